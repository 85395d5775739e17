"""Path matching for the vendor API: literal segments win over parameters.

Segments are matched after percent-decoding each one separately, so a time-frame name containing
``/`` (sent as ``%2F``) stays one segment. Among matching routes the one with the most literal
segments wins (``users/count`` over ``users/{user}``), which is the rule in API-NOTES section 4.
"""

from __future__ import annotations

from collections.abc import Iterable

from skyconf.sandbox.wire import ApiError, Route


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes = [(r, tuple(s for s in r.pattern.split("/") if s)) for r in routes]

    def match(self, method: str, segments: list[str]) -> tuple[Route, dict[str, str]]:
        """Best route for the path, or 404 (no such path) / 405 (path exists, method does not)."""
        best: tuple[int, Route, dict[str, str]] | None = None
        path_found = False
        for route, pattern in self._routes:
            params = _match(pattern, segments)
            if params is None:
                continue
            path_found = True
            if route.method != method:
                continue
            literals = sum(1 for s in pattern if not s.startswith("{"))
            if best is None or literals > best[0]:
                best = (literals, route, params)
        if best is None:
            if path_found:
                raise ApiError(405, "Method Not Allowed")
            raise ApiError(404, "Not Found")
        return best[1], best[2]


def _match(pattern: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for want, got in zip(pattern, segments, strict=True):
        if want.startswith("{") and want.endswith("}"):
            params[want[1:-1]] = got
        elif want != got:
            return None
    return params
