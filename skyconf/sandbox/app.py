"""`create_app`: wire storage, routes, auth, faults and the request log into one Starlette app.

Everything is set up when `create_app` is called (schema included), not in lifespan events, because
``httpx.ASGITransport`` never sends them.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import time
from collections.abc import Callable, Collection, Mapping

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

import skyconf.sandbox as sandbox_package
from skyconf.sandbox import calls, dialects
from skyconf.sandbox.admin import Admin, version_endpoint
from skyconf.sandbox.auth import DEFAULT_TOKEN_TTL, Auth
from skyconf.sandbox.faults import FaultInjector, Faults
from skyconf.sandbox.log import RequestLog
from skyconf.sandbox.router import Router
from skyconf.sandbox.store import Store
from skyconf.sandbox.vendor import PREFIX, VendorApi
from skyconf.sandbox.wire import ApiError
from skyconf.sandbox.wire import Route as Route_

# The modules that serve the app rather than a part of the vendor API (they import this one).
_SERVING = {"app", "cli", "process"}


def vendor_routes() -> list[Route_]:
    """The routes of every module of this package that serves part of the vendor API (a module with
    `ROUTES`): a new resource's module needs no entry here. Modules in name order; the router prefers
    the route with the most literal segments, so the order only breaks ties."""
    routes: list[Route_] = []
    for info in sorted(pkgutil.iter_modules(sandbox_package.__path__), key=lambda m: m.name):
        if info.name not in _SERVING:
            routes += getattr(importlib.import_module(f"{sandbox_package.__name__}.{info.name}"), "ROUTES", [])
    return routes


VENDOR_ROUTES = vendor_routes()
LEGACY_TOKEN_PATH = "/ns-api/oauth2/token/"


def create_app(
    db_path: str | os.PathLike[str],
    tokens: Collection[str],
    *,
    faults: Faults | None = None,
    log: RequestLog | None = None,
    auto_create_domains: bool = True,
    dialect: str = "standard",
    users: Mapping[str, str] | None = None,
    clients: Mapping[str, str] | None = None,
    token_ttl: float = DEFAULT_TOKEN_TTL,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """A NetSapiens-v2-compatible sandbox PBX.

    ``db_path``: SQLite file (created with its parent directories if missing) or ``":memory:"``.
    ``tokens``: accepted static bearer tokens (API keys); a Mapping of token -> ``"user@domain"`` (or
    ``"domain"``) also gives ``~`` in paths a meaning for that token. ``users`` (login ``user@domain`` ->
    password) and ``clients`` (client_id -> secret) feed the OAuth token endpoints; access tokens live
    ``token_ttl`` seconds of ``clock`` (see auth.py). ``dialect``: which PBX variant to be (dialects.py).
    ``auto_create_domains=False`` makes unknown domains a 404 instead of creating them on first use.
    ``app.state.log`` is the RequestLog, ``app.state.faults`` the FaultInjector and ``app.state.store``
    the Store.
    """
    if not tokens and not users:
        raise ValueError("the sandbox needs at least one bearer token or OAuth user")
    store = Store(db_path)
    request_log = log if log is not None else RequestLog()
    injector = FaultInjector(faults)
    auth = Auth(tokens, users=users, clients=clients, token_ttl=token_ttl, clock=clock)
    vendor = VendorApi(
        store,
        Router(VENDOR_ROUTES),
        auth,
        injector,
        request_log,
        auto_create_domains,
        dialect=dialects.get(dialect),
        clock=clock,
    )
    admin = Admin(auth, injector, request_log)

    async def legacy_token(request: Request) -> Response:
        """The legacy OAuth endpoint: a form (or JSON) body, same fields and answer as ``/tokens``."""
        try:
            if request.headers.get("content-type", "").startswith("application/json"):
                fields = await request.json()
            else:
                fields = dict((await request.form()).items())
            reply = vendor.token_grant(fields)
        except ApiError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        except ValueError:
            return JSONResponse({"code": 400, "message": "Malformed body"}, status_code=400)
        return JSONResponse(reply.body, status_code=reply.status)

    app = Starlette(
        routes=[
            Route("/version", version_endpoint, methods=["GET"]),
            Route("/_sandbox/requests", admin.requests, methods=["GET", "DELETE"]),
            Route("/_sandbox/faults", admin.faults, methods=["GET", "PUT"]),
            Route("/_sandbox/calls", calls.endpoint(store, auth), methods=["POST"]),
            Route(LEGACY_TOKEN_PATH, legacy_token, methods=["POST"]),
            Mount(PREFIX, app=vendor),
        ]
    )
    app.state.log = request_log
    app.state.faults = injector
    app.state.store = store
    app.state.vendor = vendor
    return app
