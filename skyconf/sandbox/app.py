"""`create_app`: wire storage, routes, auth, faults and the request log into one Starlette app.

Everything is set up when `create_app` is called (schema included), not in lifespan events, because
``httpx.ASGITransport`` never sends them.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from starlette.applications import Starlette
from starlette.routing import Mount, Route

from skyconf.sandbox import (
    answerrules,
    autoattendants,
    callqueues,
    conferences,
    contacts,
    domains,
    moh,
    phones,
    timeframes,
    users,
)
from skyconf.sandbox.admin import Admin, version_endpoint
from skyconf.sandbox.faults import FaultInjector, Faults
from skyconf.sandbox.log import RequestLog
from skyconf.sandbox.router import Router
from skyconf.sandbox.store import Store
from skyconf.sandbox.vendor import PREFIX, Auth, VendorApi

VENDOR_ROUTES = [
    *domains.ROUTES,
    *users.ROUTES,
    *timeframes.ROUTES,
    *answerrules.ROUTES,
    *contacts.ROUTES,
    *moh.ROUTES,
    *conferences.ROUTES,
    *callqueues.ROUTES,
    *autoattendants.ROUTES,
    *phones.ROUTES,
]


def create_app(
    db_path: str | os.PathLike[str],
    tokens: Collection[str],
    *,
    faults: Faults | None = None,
    log: RequestLog | None = None,
    auto_create_domains: bool = True,
) -> Starlette:
    """A NetSapiens-v2-compatible sandbox PBX.

    ``db_path``: SQLite file (created with its parent directories if missing) or ``":memory:"``.
    ``tokens``: accepted bearer tokens; a Mapping of token -> ``"user@domain"`` (or ``"domain"``)
    also gives ``~`` in paths a meaning for that token. ``auto_create_domains=False`` makes unknown
    domains a 404 instead of creating them on first use. ``app.state.log`` is the RequestLog,
    ``app.state.faults`` the FaultInjector and ``app.state.store`` the Store.
    """
    if not tokens:
        raise ValueError("the sandbox needs at least one bearer token")
    store = Store(db_path)
    request_log = log if log is not None else RequestLog()
    injector = FaultInjector(faults)
    auth = Auth(tokens)
    vendor = VendorApi(store, Router(VENDOR_ROUTES), auth, injector, request_log, auto_create_domains)
    admin = Admin(auth, injector, request_log)
    app = Starlette(
        routes=[
            Route("/version", version_endpoint, methods=["GET"]),
            Route("/_sandbox/requests", admin.requests, methods=["GET", "DELETE"]),
            Route("/_sandbox/faults", admin.faults, methods=["GET", "PUT"]),
            Mount(PREFIX, app=vendor),
        ]
    )
    app.state.log = request_log
    app.state.faults = injector
    app.state.store = store
    return app
