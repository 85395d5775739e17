"""Request/response values shared by the resource modules, and the vendor's wire conventions.

Handlers are plain synchronous functions ``(Req) -> Reply`` that raise `ApiError` for the vendor's
``{"code": <status>, "message": ...}`` error bodies; the ASGI layer (vendor.py) does the I/O.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from skyconf.sandbox.dialects import STANDARD, Dialect
from skyconf.sandbox.store import Doc, Store

ACCEPTED: dict[str, Any] = {"code": 202, "message": "Accepted"}


class ApiError(Exception):
    """An error answered as the vendor's ErrorResponse."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"code": self.status, "message": self.message}


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart body."""

    filename: str
    content: bytes
    content_type: str | None = None


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Req:
    """One parsed vendor request. ``params`` hold decoded path parameters (``~`` already resolved)."""

    method: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    form: dict[str, str | Upload] | None
    store: Store
    dialect: Dialect = STANDARD

    @property
    def domain(self) -> str:
        return self.params["domain"]

    @property
    def user(self) -> str:
        return self.params["user"]

    def obj(self) -> dict[str, Any]:
        """The JSON body as an object; no body reads as {}; anything else is a 400."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return self.body

    def sync(self) -> bool:
        """True when the body asks for ``"synchronous": "yes"`` (answer 200 + the object)."""
        value = self.obj().get("synchronous") if isinstance(self.body, dict) else None
        if value is None and self.form is not None:
            value = self.form.get("synchronous")
        return value in ("yes", True)


Handler = Callable[[Req], Reply]


@dataclass(frozen=True)
class Route:
    """``pattern`` is a path relative to /ns-api/v2 with ``{name}`` parameters, e.g. ``domains/{domain}``."""

    method: str
    pattern: str
    handler: Handler


def accepted() -> Reply:
    return Reply(202, dict(ACCEPTED))


def ok(body: Any) -> Reply:
    return Reply(200, body)


def written(req: Req, obj: Doc) -> Reply:
    """Answer a write that accepts ``synchronous``: 200 + the object when asked, else 202."""
    return ok(obj) if req.sync() else accepted()


def now() -> str:
    """Timestamp format used for created/modified fields (UTC, ISO 8601 with offset)."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def as_key(value: Any, what: str) -> str:
    """Ids and extensions arrive as strings or JSON numbers; both become strings."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise ApiError(400, f"Invalid value for {what}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text:
        raise ApiError(400, f"Missing required field {what}")
    return text
