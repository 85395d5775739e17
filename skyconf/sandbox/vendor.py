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
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from skyconf.sandbox import domains
from skyconf.sandbox.faults import FaultDecision, FaultInjector
from skyconf.sandbox.log import Exchange, RequestLog
from skyconf.sandbox.router import Router
from skyconf.sandbox.store import Store
from skyconf.sandbox.wire import ApiError, Reply, Req, Upload, now

PREFIX = "/ns-api/v2"
API_VERSION = "Version: 44.1.2"
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


class Auth:
    """Static bearer tokens. A Mapping of token -> scope ("domain" or "user@domain") also feeds ``~``."""

    def __init__(self, tokens: Collection[str]) -> None:
        self.scopes: dict[str, tuple[str | None, str | None]] = {}
        for token in [tokens] if isinstance(tokens, str) else tokens:
            scope = tokens[token] if isinstance(tokens, Mapping) else None
            user, domain = (None, None)
            if scope:
                user, _, domain = scope.rpartition("@")
            self.scopes[token] = (user or None, domain or None)

    def token(self, header: str | None) -> str | None:
        """The known token in an ``Authorization: Bearer <token>`` header, else None."""
        if not header:
            return None
        kind, _, value = header.partition(" ")
        value = value.strip()
        if kind.lower() != "bearer" or value not in self.scopes:
            return None
        return value


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
    ) -> None:
        self.store = store
        self.router = router
        self.auth = auth
        self.injector = injector
        self.log = request_log
        self.auto_create_domains = auto_create_domains

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
            token = self.auth.token(request.headers.get("authorization"))
            if token is None:
                raise ApiError(401, "Unauthorized: a valid 'Authorization: Bearer <token>' header is required")
            route, params = self.router.match(method, segments)
            if body.error is not None:
                raise ApiError(400, body.error)
            self._resolve_aliases(params, token)
            if "domain" in params:
                domains.ensure(self.store, params["domain"], self.auto_create_domains)
            req = Req(method, params, query, body.json, body.form, self.store)
            with self.store.transaction():
                return route.handler(req)
        except ApiError as exc:
            return Reply(exc.status, exc.body())
        except Exception as exc:  # a sandbox bug: answer 500 like a server would, and say why in the log
            log.exception("sandbox handler failed for %s /%s", method, "/".join(segments))
            return Reply(500, {"code": 500, "message": f"Sandbox error: {type(exc).__name__}: {exc}"})

    def _resolve_aliases(self, params: dict[str, str], token: str) -> None:
        """``~`` means the token's own domain / user (only known for scoped tokens)."""
        user, domain = self.auth.scopes[token]
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
