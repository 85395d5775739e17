"""Sandbox-only endpoints under ``/_sandbox`` (bearer-protected, never faulted or logged).

- ``GET /_sandbox/requests[?since=N]``: the request log from index N as a JSON array (each entry has
  its ``index``); ``DELETE /_sandbox/requests`` clears it.
- ``GET /_sandbox/faults`` / ``PUT /_sandbox/faults``: read / replace the fault config (a JSON object
  of `Faults` fields; omitted fields take their defaults). Replacing restarts the seeded sequence.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from skyconf.sandbox.auth import Auth
from skyconf.sandbox.faults import FaultInjector, Faults
from skyconf.sandbox.log import RequestLog
from skyconf.sandbox.vendor import version


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": status, "message": message}, status_code=status)


class Admin:
    def __init__(self, auth: Auth, injector: FaultInjector, request_log: RequestLog) -> None:
        self.auth = auth
        self.injector = injector
        self.log = request_log

    def _denied(self, request: Request) -> JSONResponse | None:
        if self.auth.token(request.headers.get("authorization")) is None:
            return _error(401, "Unauthorized")
        return None

    async def requests(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        if request.method == "DELETE":
            cleared = len(self.log.exchanges)
            self.log.clear()
            return JSONResponse({"code": 200, "message": f"Cleared {cleared} requests"})
        raw = request.query_params.get("since", "0")
        if not raw.isdigit():
            return _error(400, "since must be a non-negative integer")
        since = int(raw)
        entries = [
            {"index": i, **dataclasses.asdict(e), "is_write": e.is_write}
            for i, e in enumerate(self.log.exchanges[since:], start=since)
        ]
        return JSONResponse(entries)

    async def faults(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        if request.method == "PUT":
            try:
                body: Any = json.loads(await request.body() or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("body must be a JSON object")
                self.injector.replace(Faults.from_dict(body))
            except ValueError as exc:
                return _error(400, str(exc))
        return JSONResponse(self.injector.faults.to_dict())


async def version_endpoint(request: Request) -> Response:
    return JSONResponse(version())
