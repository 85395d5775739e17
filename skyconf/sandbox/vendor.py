"""The ``/ns-api/v2`` ASGI app: body parsing, bearer auth, faults, dispatch, request log, sending.

Written against raw ASGI (not Starlette routing) because the vendor API needs things a router does
not give: per-segment percent-decoding, literal-before-parameter matching, ``~`` aliases, JSON bodies
on GET/DELETE, and responses that can be slowed down or cut off mid-body on purpose.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from skyconf.sandbox import domains
from skyconf.sandbox.auth import API_VERSION, Auth, TokenScope
from skyconf.sandbox.dialects import STANDARD, Dialect
from skyconf.sandbox.faults import FaultDecision, FaultInjector
from skyconf.sandbox.log import Exchange, RequestLog
from skyconf.sandbox.router import Router
from skyconf.sandbox.store import Store
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, Upload, now

PREFIX = "/ns-api/v2"
HOSTNAME = "skyconf-sandbox"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FAULT_MESSAGES = {429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}

log = logging.getLogger(__name__)


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised to cut a response off mid-body.

    Under uvicorn this aborts the connection (the client sees an incomplete body); under
    ``httpx.ASGITransport`` the exception reaches the client as the transport error it is.
    """


@dataclass
class ParsedBody:
    """A request body as handlers see it, plus what the request log records."""

    json: Any = None
    form: dict[str, str | Upload] | None = None
    logged: Any = None
    error: str | None = None


class _Rollback(Exception):
    """Undoes a write tried only to validate it (the ``async_writes`` fault applies it later)."""


@dataclass
class _Pending:
    due: float
    route: Route
    req: Req


class VendorApi:
    """ASGI callable serving the NetSapiens v2 API subset (mounted at /ns-api/v2)."""

    def __init__(
        self,
        store: Store,
        router: Router,
        auth: Auth,
        injector: FaultInjector,
        request_log: RequestLog,
        auto_create_domains: bool = True,
        *,
        dialect: Dialect = STANDARD,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.router = router
        self.auth = auth
        self.injector = injector
        self.log = request_log
        self.auto_create_domains = auto_create_domains
        self.dialect = dialect
        self.clock = clock
        self.pending: list[_Pending] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        arrived = time.perf_counter()
        request = Request(scope, receive)
        method = request.method.upper()
        raw_path, segments = _split_path(scope)
        raw_body = await request.body()
        content_type = request.headers.get("content-type")
        body = await _parse_body(request, method, raw_body, content_type)

        is_version = segments == ["version"]
        decision = (
            None if is_version or not self.injector.faults.active else self.injector.decide(method not in READ_METHODS)
        )
        if decision is not None and decision.status is not None and not decision.after_write:
            reply = _fault_reply(decision)
        else:
            reply = self._answer(method, segments, dict(request.query_params), body, request)
            if decision is not None and decision.status is not None:
                reply = _fault_reply(decision)  # the write above was applied; the client sees an error

        record = self.log.record_bodies
        self.log.add(
            Exchange(
                method=method,
                path=raw_path,
                query=dict(request.query_params),
                request_body=body.logged if record else None,
                request_content_type=content_type,
                status=reply.status,
                response_body=reply.body if record else None,
            )
        )
        # The latency is the time to answer, the sandbox's own work included, so a benchmark's ideal
        # (requests / concurrency x latency) is what a PBX answering in exactly that time allows.
        answer_at = arrived + (decision.latency_s if decision is not None else 0.0)
        await _send(send, reply, decision, answer_at)

    def _answer(
        self, method: str, segments: list[str], query: dict[str, str], body: ParsedBody, request: Request
    ) -> Reply:
        try:
            if segments == ["version"]:
                return Reply(200, version())
            if segments == ["tokens"] and method == "POST":
                return self.token_grant(body.json)
            scope = self.auth.check(request.headers.get("authorization"))
            route, params = self.router.match(method, segments)
            if body.error is not None:
                raise ApiError(400, body.error)
            self._resolve_aliases(params, scope)
            self.apply_due_writes()
            if "domain" in params:
                domains.ensure(self.store, params["domain"], self.auto_create_domains)
            req = Req(method, params, query, body.json, body.form, self.store, self.dialect)
            faults = self.injector.faults
            if faults.async_writes > 0 and method not in READ_METHODS:
                return self._deferred(route, req, faults.async_writes)
            with self.store.transaction():
                reply = route.handler(req)
            if faults.empty_list_404 and method == "GET" and "domain" in params and reply.body == []:
                raise ApiError(404, "Not Found: no records")  # as some live servers answer an empty child list
            return reply
        except ApiError as exc:
            return Reply(exc.status, exc.body())
        except Exception as exc:  # a sandbox bug: answer 500 like a server would, and say why in the log
            log.exception("sandbox handler failed for %s /%s", method, "/".join(segments))
            return Reply(500, {"code": 500, "message": f"Sandbox error: {type(exc).__name__}: {exc}"})

    def token_grant(self, fields: Any) -> Reply:
        """``POST /tokens`` (and the legacy ``/ns-api/oauth2/token/``): no bearer needed."""
        if not isinstance(fields, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return self.auth.grant(self.store, fields)

    def _deferred(self, route: Route, req: Req, delay: float) -> Reply:
        """The ``async_writes`` fault: a write that would answer 202 is validated now (errors answer as
        usual) but applied only ``delay`` seconds later, so reads before then do not see it. Writes
        answering 200 (``synchronous: "yes"``, or those returning the object) are applied at once, as the
        vendor promises for ``synchronous``."""
        try:
            with self.store.transaction():
                reply = route.handler(req)
                if reply.status != 202:
                    return reply
                raise _Rollback
        except _Rollback:
            pass
        self.pending.append(_Pending(self.clock() + delay, route, req))
        return reply

    def apply_due_writes(self) -> None:
        """Apply the deferred writes whose time has come, in the order they arrived."""
        if not self.pending:
            return
        now_s = self.clock()
        due = [p for p in self.pending if p.due <= now_s]
        self.pending = [p for p in self.pending if p.due > now_s]
        for item in due:
            try:
                with self.store.transaction():
                    item.route.handler(item.req)
            except ApiError as exc:  # the state changed meanwhile; a real server would drop it too
                log.info("deferred %s failed: %s", item.req.method, exc.message)

    def _resolve_aliases(self, params: dict[str, str], scope: TokenScope) -> None:
        """``~`` means the token's own domain / user (only known for scoped tokens)."""
        user, domain = scope
        if params.get("domain") == "~":
            if domain is None:
                raise ApiError(404, "Domain ~ does not exist: this token has no domain")
            params["domain"] = domain
        if params.get("user") == "~":
            if user is None:
                raise ApiError(404, "User ~ does not exist: this token has no user")
            params["user"] = user


def version() -> dict[str, str]:
    """``GET /version`` (no auth): the health check."""
    return {"apiversion": API_VERSION, "hostname": HOSTNAME, "current-time": now()}


def _split_path(scope: Scope) -> tuple[str, list[str]]:
    """The path after the prefix as sent (still percent-encoded; this is what the log records) and
    its segments, each percent-decoded on its own (so an encoded "/" stays inside one segment)."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    path = raw.split(b"?", 1)[0].decode("latin-1")
    if path.startswith(PREFIX):
        path = path[len(PREFIX) :]
    return path or "/", [unquote(s) for s in path.split("/") if s]


async def _parse_body(request: Request, method: str, raw: bytes, content_type: str | None) -> ParsedBody:
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            form = await request.form()
        except Exception as exc:
            return ParsedBody(logged=None, error=f"Malformed form body: {exc}")
        fields: dict[str, str | Upload] = {}
        logged: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                fields[key] = Upload(value.filename or "", content, value.content_type)
                logged[key] = {"filename": value.filename, "size": len(content)}
            else:
                fields[key] = value
                logged[key] = value
        await form.close()
        if ctype == "multipart/form-data":
            return ParsedBody(form=fields, logged=logged)
        return ParsedBody(json=logged, logged=logged)
    if not raw.strip():
        return ParsedBody()
    try:
        parsed = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        text = raw.decode("utf-8", "replace")
        if method in READ_METHODS:
            return ParsedBody(logged=text)
        return ParsedBody(logged=text, error=f"Malformed JSON body: {exc}")
    if parsed == [] and method in ("GET", "HEAD", "DELETE"):
        return ParsedBody(logged=parsed)  # some clients send [] on every request
    return ParsedBody(json=parsed, logged=parsed)


def _fault_reply(decision: FaultDecision) -> Reply:
    status = decision.status or 500
    headers = {"Retry-After": decision.retry_after} if decision.retry_after else {}
    return Reply(status, {"code": status, "message": _FAULT_MESSAGES.get(status, "Error")}, headers)


async def _send(send: Send, reply: Reply, decision: FaultDecision | None, answer_at: float) -> None:
    payload = b"" if reply.body is None else json.dumps(reply.body).encode()
    wait = answer_at - time.perf_counter()
    if wait > 0:
        await asyncio.sleep(wait)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in reply.headers.items()),
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    if decision is not None and decision.drop:
        await send({"type": "http.response.body", "body": payload[: len(payload) // 2], "more_body": True})
        raise ConnectionDropped("sandbox fault: connection dropped mid-response")
    if decision is not None and decision.slow_body_s > 0 and payload:
        size = max(1, -(-len(payload) // 4))
        for start in range(0, len(payload), size):
            await asyncio.sleep(decision.slow_body_s)
            await send({"type": "http.response.body", "body": payload[start : start + size], "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    await send({"type": "http.response.body", "body": payload, "more_body": False})
