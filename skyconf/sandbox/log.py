"""What the sandbox saw: every request and response, for request counting and conformance tests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Exchange:
    """One request the sandbox answered (path is relative to the /ns-api/v2 prefix)."""

    method: str
    path: str
    query: dict[str, str]
    request_body: Any
    request_content_type: str | None
    status: int
    response_body: Any

    @property
    def is_write(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")


@dataclass
class RequestLog:
    """Append-only log; `record_bodies` keeps bodies (conformance tests), otherwise only the line."""

    record_bodies: bool = False
    exchanges: list[Exchange] = field(default_factory=list)

    def add(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def clear(self) -> None:
        self.exchanges.clear()

    def writes(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.is_write]


def request_kind(method: str, path: str) -> str:
    """`GET /domains/{d}/users/{u}/answerrules`: a request with its domain, user and object ids
    replaced, so requests can be counted by what they ask for."""
    template = re.sub(r"^/domains/[^/]+", "/domains/{d}", path.split("?")[0])
    template = re.sub(r"/users/[^/]+", "/users/{u}", template)
    template = re.sub(
        r"/(answerrules|timeframes|contacts|moh|phones|conferences|callqueues|devices)/(?!models$|reorder$|count$|list$)[^/]+$",
        r"/\1/{id}",
        template,
    )
    return f"{method} {template}"
