"""Call records (``/domains/{d}/cdrs``, ``/domains/{d}/users/{u}/cdrs`` and their ``/count``).

As the spec has them: ``datetime-start`` and ``datetime-end`` are required (RFC 3339, also
``YYYY-MM-DD HH:MM:SS`` and a ``[Zone/Name]`` suffix; a time without offset is read in that zone, else
UTC); the window is [start, end) on ``call-start-datetime``; ``start``/``limit`` page (limit 1..1000,
default 100) in start-time order; ``type`` filters: Outbound (0), Inbound (1), On-net (2), Off-net (3:
in or out), Missed, Received (answered inbound). A user's records are those the user placed, was
dialled in, or that ended with them. Count answers ``{"total", "minutes", "seconds"}`` (talk time).

Records are written by simulated calls (calls.py, ``POST /_sandbox/calls``).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from skyconf.sandbox import domains
from skyconf.sandbox.calls import CDR, wire_time
from skyconf.sandbox.store import Doc
from skyconf.sandbox.users import require_user
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, ok

_ZONE = re.compile(r"^(.*)\[([^\]]+)\]$")
_TYPES: dict[str, Any] = {
    "outbound": lambda d: d["call-direction"] == 0,
    "0": lambda d: d["call-direction"] == 0,
    "inbound": lambda d: d["call-direction"] == 1,
    "1": lambda d: d["call-direction"] == 1,
    "on-net": lambda d: d["call-direction"] == 2,
    "2": lambda d: d["call-direction"] == 2,
    "off-net": lambda d: d["call-direction"] in (0, 1),
    "3": lambda d: d["call-direction"] in (0, 1),
    "missed": lambda d: not d["call-answer-datetime"],
    "received": lambda d: d["call-direction"] == 1 and bool(d["call-answer-datetime"]),
}


def parse_time(name: str, raw: str | None) -> dt.datetime:
    if raw is None or not raw.strip():
        raise ApiError(400, f"Missing required parameter {name}")
    text, zone = raw.strip(), None
    if m := _ZONE.match(text):
        text, zone_name = m.group(1), m.group(2)
        try:
            zone = zoneinfo.ZoneInfo(zone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ApiError(400, f"Invalid time zone in {name}: {zone_name}") from None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"Invalid {name}: {raw!r} (RFC 3339)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone or dt.UTC)
    return value


def _window(req: Req) -> tuple[str, str]:
    start = parse_time("datetime-start", req.query.get("datetime-start"))
    end = parse_time("datetime-end", req.query.get("datetime-end"))
    if end < start:
        raise ApiError(400, "datetime-end is before datetime-start")
    return wire_time(start), wire_time(end)


def _match(req: Req) -> dict[str, str] | None:
    if "user" not in req.params:
        return None
    require_user(req)
    return {"call-orig-from-user": req.user, "call-orig-to-user": req.user, "call-term-user": req.user}


def _type(req: Req) -> Any:
    raw = req.query.get("type")
    if raw in (None, ""):
        return None
    check = _TYPES.get(raw.lower())
    if check is None:
        raise ApiError(400, f"Invalid type {raw!r}: Inbound, Outbound, On-net, Off-net, Missed, Received or 0-3")
    return check


def _all(req: Req, low: str, high: str) -> list[Doc]:
    return req.store.key_range(req.domain, CDR, low, high, 0, 2**62, _match(req))


def list_cdrs(req: Req) -> Reply:
    low, high = _window(req)
    start, limit = domains.paging(req.query)
    check = _type(req)
    if check is None:
        return ok(req.store.key_range(req.domain, CDR, low, high, start, limit, _match(req)))
    return ok([d for d in _all(req, low, high) if check(d)][start : start + limit])


def count_cdrs(req: Req) -> Reply:
    low, high = _window(req)
    check = _type(req)
    docs = [d for d in _all(req, low, high) if check is None or check(d)]
    seconds = sum(int(d.get("call-talking-duration-seconds") or 0) for d in docs)
    return ok({"total": len(docs), "minutes": (seconds + 59) // 60, "seconds": seconds})


ROUTES = [
    Route("GET", "domains/{domain}/cdrs", list_cdrs),
    Route("GET", "domains/{domain}/cdrs/count", count_cdrs),
    Route("GET", "domains/{domain}/users/{user}/cdrs", list_cdrs),
    Route("GET", "domains/{domain}/users/{user}/cdrs/count", count_cdrs),
]
