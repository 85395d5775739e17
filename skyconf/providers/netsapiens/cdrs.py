"""Call records <-> ``GET /domains/{d}/cdrs`` and ``GET /domains/{d}/users/{u}/cdrs``, as CallRecords.

Pages of PAGE_SIZE (the spec's maximum ``limit``) are read one at a time and yielded record by record,
so a month of a large domain never sits in memory. The window goes as ``datetime-start`` /
``datetime-end`` in RFC 3339 UTC. Records of several users are read per user and merged by id (a call
between two listed users shows in both lists).

Where a call ended is read from the term URI's user part, in the spellings answer-rule parameters use
(``vmail_101``, ``queue_400``, ``attendant_500``, ``conf_300``, an extension, a number's digits),
``call-answer-datetime`` (empty: never answered) and ``call-disconnect-reason-text`` (``Busy``,
``No Route``). See docs/api-evidence.md.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from skyconf.calls.records import CallRecord, Direction, Outcome
from skyconf.errors import PbxError
from skyconf.providers.netsapiens.api import Api, segment
from skyconf.providers.netsapiens.targets import decode_number

PAGE_SIZE = 1000
_EXTENSION_MAX = 7
_DIRECTIONS: dict[int, Direction] = {0: "outbound", 1: "inbound", 2: "internal"}
_FORWARDED = {"queue_": "queue", "park_": "queue", "attendant_": "auto_attendant", "conf_": "conference"}


async def read_calls(
    api: Api, domain: str, start: dt.datetime, end: dt.datetime, users: Sequence[str] = (), country: str = "US"
) -> AsyncIterator[CallRecord]:
    """The calls in [start, end) of the domain, or of the listed users, page by page."""
    base = f"/domains/{segment(domain)}"
    if not users:
        async for item in _pages(api, f"{base}/cdrs", start, end):
            yield call_record(item, country)
        return
    seen: set[str] = set()
    for user in users:
        async for item in _pages(api, f"{base}/users/{segment(user)}/cdrs", start, end):
            record = call_record(item, country)
            if record.id not in seen:
                seen.add(record.id)
                yield record


async def _pages(api: Api, path: str, start: dt.datetime, end: dt.datetime) -> AsyncIterator[dict[str, Any]]:
    """Full pages until a short one. A page that repeats the one before means the server ignores
    `start`: an error, not an endless loop."""
    offset = 0
    window = {"datetime-start": _wire_time(start), "datetime-end": _wire_time(end)}
    before: set[str] = set()
    while True:
        page = await api.request("GET", path, params={**window, "start": offset, "limit": PAGE_SIZE})
        items = [item for item in page or [] if isinstance(item, dict)]
        ids = {str(item.get("id")) for item in items}
        if ids & before:
            raise PbxError(f"GET {path} answered the same call records for start={offset}: the PBX ignores `start`")
        for item in items:
            yield item
        if len(items) < PAGE_SIZE:
            return
        offset += len(items)
        before = ids


def _wire_time(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(value: Any) -> dt.datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _party(value: Any, country: str) -> str:
    """An extension stays as it is; a longer run of digits is a number, in E.164."""
    text = str(value if value is not None else "").strip()
    digits = re.sub(r"\D", "", text)
    if digits and len(digits) > _EXTENSION_MAX and digits == text.lstrip("+"):
        return decode_number(digits, country)
    return text


def _term(item: dict[str, Any]) -> str:
    uri = str(item.get("call-term-to-uri") or "")
    return uri.removeprefix("sip:").partition("@")[0]


def _outcome(item: dict[str, Any], country: str) -> tuple[Outcome, str]:
    term, reason = _term(item), str(item.get("call-disconnect-reason-text") or "").lower()
    answered = bool(str(item.get("call-answer-datetime") or "").strip())
    if reason == "no route":
        return "failed", term
    if reason == "busy":
        return "rejected", term
    if term.startswith("vmail_"):
        return "voicemail", term.removeprefix("vmail_")
    for prefix, kind in _FORWARDED.items():
        if term.startswith(prefix):
            return "forwarded", f"{kind}:{term.removeprefix(prefix)}"
    if term.isdigit() and len(term) > _EXTENSION_MAX:
        return ("answered" if answered else "forwarded"), decode_number(term, country)
    return ("answered" if answered else "missed"), term


def call_record(item: dict[str, Any], country: str = "US") -> CallRecord:
    """One CDR (the spec's CdrD) in skyconf's words."""
    start = _time(item.get("call-start-datetime")) or dt.datetime.fromtimestamp(0, dt.UTC)
    answer = _time(item.get("call-answer-datetime"))
    total = int(item.get("call-total-duration-seconds") or 0)
    talk = int(item.get("call-talking-duration-seconds") or 0)
    outcome, target = _outcome(item, country)
    direction = _DIRECTIONS.get(int(item.get("call-direction") or 0), "inbound")
    return CallRecord(
        id=str(item.get("id") or item.get("call-orig-call-id") or ""),
        start=start.astimezone(dt.UTC),
        direction=direction,
        caller=_party(item.get("call-orig-from-user") or item.get("call-orig-caller-id"), country),
        caller_name=str(item.get("call-orig-from-name") or ""),
        dialled=_party(item.get("call-orig-to-user") or item.get("call-orig-request-user"), country),
        outcome=outcome,
        target=target,
        ring_seconds=int((answer - start).total_seconds()) if answer else max(total - talk, 0),
        talk_seconds=talk,
    )
