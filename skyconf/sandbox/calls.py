"""Simulated calls: route a call by the sandbox's own stored data, and store the CDR the PBX would write.

This is a second, independent reading of answer rules: it works on the wire form as stored (feature
blocks and their parameter strings, time-frame entry arrays in hhmm / YYYYMMDD, the user's
``time-zone`` and ``ring-no-answer-timeout-seconds``) and imports nothing of skyconf outside the
sandbox. A provider that writes a target or a time-frame field wrongly thus routes calls differently
here than skyconf's own routing module predicts, and `skyconf verify` shows it.

What the sandbox models (its choices, the vendor documents none of this):
- The first enabled rule (by ``order``) whose time frame (the user's own, else the domain's, ``*``
  always) is active at the call's wall-clock time in the user's zone applies; none: ring the user.
- do-not-disturb -> the user's voicemail (else busy); forward-always -> its target; else the legs
  ring (the user, or the simultaneous-ring list); ``answer`` names who picks up. Unanswered after the
  user's ring timeout: forward-no-answer's target, else voicemail (else the call ends, missed).
- Every user is registered and idle, so on-busy / when-unregistered / on-active never apply.
- ``user_X`` and bare extensions of users follow X's rules; ``phone_X`` rings X's phones and ends there.

``POST /_sandbox/calls`` takes one call or a list: ``{"domain", "to", "from", "at", "answer"}``
(``domain`` may be left out when the store has one domain); it answers the CDRs it stored.

Why this module is long: routing a call, the CDR it leaves, and the endpoint and client that place
calls share one body format and one set of outcomes; split, each part would restate the others.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from skyconf.sandbox.auth import Auth
from skyconf.sandbox.store import Doc, Store

CDR = "cdr"
DEFAULT_TIMEOUT = 25
ANSWERED_TALK_S = 60
VOICEMAIL_TALK_S = 30
PICKUP_S = 5
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DELAY = re.compile(r";.*$")
REASONS = {
    "answered": "Normal Clearing",
    "voicemail": "Normal Clearing",
    "forwarded": "Forwarded",
    "missed": "No Answer",
    "rejected": "Busy",
    "failed": "No Route",
}


class CallError(ValueError):
    """A call the sandbox cannot place (bad body, unknown domain)."""


@dataclass
class Ending:
    """Where a call ended: an outcome, the term (a wire form: ``101``, ``vmail_101``, ``queue_400``...),
    the extension of the user it ended with (if any), seconds rung before and the answer rule feature
    that sent it there."""

    outcome: str
    term: str
    term_user: str | None
    ring: int
    via: str = ""


@dataclass(frozen=True)
class Call:
    domain: str
    to: str
    caller: str
    at: dt.datetime
    answer: str | None


class Pbx:
    """One domain's stored data, read the way the PBX routes calls."""

    def __init__(self, store: Store, domain: str) -> None:
        self.store = store
        self.domain = domain
        doc = store.get(domain, "domain", "", domain) or {}
        self.domain_zone = _zone(doc.get("time-zone"), zoneinfo.ZoneInfo("UTC"))

    def user(self, ext: str) -> Doc | None:
        return self.store.get(self.domain, "user", "", ext)

    def zone(self, user: Doc) -> zoneinfo.ZoneInfo:
        return _zone(user.get("time-zone"), self.domain_zone)

    def timeout(self, user: Doc) -> int:
        value = str(user.get("ring-no-answer-timeout-seconds", ""))
        return int(value) if value.isdigit() else DEFAULT_TIMEOUT

    def frame(self, ext: str, name: str) -> Doc | None:
        for parent in (ext, ""):
            for frame in self.store.docs(self.domain, "timeframe", parent):
                if frame.get("timeframe-name") == name:
                    return frame
        return None

    def rule(self, ext: str, user: Doc, at: dt.datetime) -> Doc | None:
        """The user's answer rule that applies at `at`."""
        local = at.astimezone(self.zone(user)).replace(tzinfo=None)
        for rule in sorted(self.store.docs(self.domain, "answerrule", ext), key=lambda r: int(r["order"])):
            if rule.get("enabled") != "yes":
                continue
            name = rule["time-frame"]
            if name == "*":
                return rule
            frame = self.frame(ext, name)
            if frame is not None and frame_active(frame, local):
                return rule
        return None

    def route(self, ext: str, at: dt.datetime, answer: str | None, seen: tuple[str, ...] = ()) -> Ending:
        """A call reaching extension `ext`."""
        user = self.user(ext)
        if user is None:
            return self.other_extension(ext)
        if ext in seen:
            return Ending("failed", ext, ext, 0)
        seen = (*seen, ext)
        rule = self.rule(ext, user, at)
        features: dict[str, Any] = rule["features"] if rule else {}
        if _on(features, "do-not-disturb"):
            return self.fallback(ext, user, "busy", 0, "do-not-disturb")
        target = _param(features, "forward-always")
        if target:
            ending = self.follow(target, at, answer, seen)
            ending.via = ending.via or "forward-always"
            return ending
        legs = self.legs(ext, features)
        if answer is not None and answer in legs:
            return Ending("answered", answer, answer if len(answer) <= 7 else None, PICKUP_S)
        timeout = self.timeout(user)
        target = _param(features, "forward-no-answer")
        if target:
            ending = self.follow(target, at, answer, seen)
            ending.ring += timeout
            ending.via = "forward-no-answer"
            return ending
        return self.fallback(ext, user, "no_answer", timeout, "")

    def legs(self, ext: str, features: dict[str, Any]) -> set[str]:
        """Who can pick up when the rule rings: extensions, and numbers as digits."""
        if not _on(features, "simultaneous-ring"):
            return {ext}
        legs: set[str] = set()
        for raw in (features.get("simultaneous-ring") or {}).get("parameters") or []:
            text = _DELAY.sub("", str(raw)).removeprefix("confirm_")
            if text == "<OwnDevices>":
                legs.add(ext)
            elif text.isdigit():
                legs.add(text)
            elif m := re.fullmatch(r"(?:user|phone)_(\d+)", text):
                legs.add(m.group(1))
        return legs

    def fallback(self, ext: str, user: Doc, when: str, ring: int, via: str) -> Ending:
        if user.get("voicemail-enabled", "yes") != "no":
            return Ending("voicemail", f"vmail_{ext}", ext, ring, via)
        return Ending("rejected" if when == "busy" else "missed", ext, ext, ring, via)

    def follow(self, target: str, at: dt.datetime, answer: str | None, seen: tuple[str, ...]) -> Ending:
        """Where a forward's parameter string sends the call."""
        text = target.strip()
        if m := re.fullmatch(r"(?:vmail_|\d+_voicemail_)(\d+)", text):
            return Ending("voicemail", f"vmail_{m.group(1)}", m.group(1), 0)
        if m := re.fullmatch(r"user_(\d+)", text):
            return self.route(m.group(1), at, answer, seen)
        if m := re.fullmatch(r"phone_(\d+)", text):
            ext = m.group(1)
            if answer == ext:
                return Ending("answered", ext, ext, PICKUP_S)
            return Ending("missed", ext, ext, self.timeout(self.user(ext) or {}))
        if m := re.fullmatch(r"(?:queue_|park_|\d+_callqueue_)(\d+)", text):
            return Ending("forwarded", f"queue_{m.group(1)}", None, 0)
        if m := re.fullmatch(r"(?:attendant_|\d+_attendant_)(\d+)", text):
            return Ending("forwarded", f"attendant_{m.group(1)}", None, 0)
        if m := re.fullmatch(r"aa_(.+)", text):
            return Ending("forwarded", f"attendant_{self.attendant_named(m.group(1))}", None, 0)
        if m := re.fullmatch(r"\d+_pstn_(\d+)", text):
            text = m.group(1)
        if text.isdigit() and len(text) <= 7:
            return self.route(text, at, answer, seen)
        if text.isdigit():
            if answer is not None and re.sub(r"\D", "", answer) == text:
                return Ending("answered", text, None, PICKUP_S)
            return Ending("forwarded", text, None, 0)
        return Ending("forwarded", text, None, 0)

    def other_extension(self, ext: str) -> Ending:
        """An extension that is not a user: a queue, an auto attendant, a conference, or nothing."""
        if self.store.get(self.domain, "callqueue", "", ext) is not None:
            return Ending("forwarded", f"queue_{ext}", None, 0)
        if self.store.count(self.domain, "autoattendant", ext) > 0:
            return Ending("forwarded", f"attendant_{ext}", None, 0)
        if self.store.get(self.domain, "conference", "", ext) is not None:
            return Ending("forwarded", f"conf_{ext}", None, 0)
        return Ending("failed", ext, None, 0)

    def attendant_named(self, name: str) -> str:
        for row in self.store.rows("autoattendant", self.domain):
            if row.doc.get("attendant-name") == name:
                return row.parent
        return name


def frame_active(frame: Doc, local: dt.datetime) -> bool:
    """Whether a stored time frame covers the wall-clock time `local` (in the frame owner's zone)."""
    if frame.get("timeframe-type") == "always":
        return True
    minute = local.hour * 60 + local.minute
    today, yesterday = _WEEKDAYS[local.weekday()], _WEEKDAYS[(local.weekday() - 1) % 7]
    for entry in frame.get("timeframe-days-of-week-array") or []:
        for n in (1, 2):
            span = _minutes(entry, today, n)
            if span and (span[0] <= minute < span[1] if span[1] > span[0] else minute >= span[0]):
                return True
            past = _minutes(entry, yesterday, n)
            if past and past[1] <= past[0] and minute < past[1]:
                return True
    for entry in frame.get("timeframe-specific-dates-array") or []:
        begin = _stamp(
            entry.get("timeframe-specific-dates-begin-date"), entry.get("timeframe-specific-dates-begin-time")
        )
        end = _stamp(entry.get("timeframe-specific-dates-end-date"), entry.get("timeframe-specific-dates-end-time"))
        if begin and end and begin <= local < end:
            return True
    for entry in frame.get("timeframe-holiday-array") or []:
        day = str(entry.get("timeframe-holiday-begin-date") or "")
        begin, end = _stamp(day, "0000"), _stamp(day, "2400")
        if begin and end and begin <= local < end:
            return True
    return False


def _minutes(entry: Doc, day: str, n: int) -> tuple[int, int] | None:
    begin = str(entry.get(f"timeframe-weekly-{day}-begin-time-{n}") or "")
    end = str(entry.get(f"timeframe-weekly-{day}-end-time-{n}") or "")
    if len(begin) != 4 or len(end) != 4:
        return None
    return int(begin[:2]) * 60 + int(begin[2:]), int(end[:2]) * 60 + int(end[2:])


def _stamp(day: Any, hhmm: Any) -> dt.datetime | None:
    text, time = str(day or ""), str(hhmm or "0000")
    if len(text) != 8 or len(time) != 4:
        return None
    base = dt.datetime(int(text[:4]), int(text[4:6]), int(text[6:]))
    return base + dt.timedelta(hours=int(time[:2]), minutes=int(time[2:]))


def _on(features: dict[str, Any], name: str) -> bool:
    return bool((features.get(name) or {}).get("enabled") == "yes")


def _param(features: dict[str, Any], name: str) -> str | None:
    params = (features.get(name) or {}).get("parameters") or []
    return str(params[0]) if _on(features, name) and params else None


def _zone(name: Any, fallback: zoneinfo.ZoneInfo) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(str(name)) if name else fallback
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return fallback


# --- placing calls and recording them ------------------------------------------------------------


def wire_time(instant: dt.datetime) -> str:
    """CDR timestamps: RFC 3339 in UTC, to the second (sortable as text)."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cdr_doc(call: Call, ending: Ending, call_id: str | None = None) -> Doc:
    """The CDR (the spec's CdrD field names) the PBX writes for one call."""
    call_id = call_id or uuid.uuid4().hex
    talk = {"answered": ANSWERED_TALK_S, "voicemail": VOICEMAIL_TALK_S}.get(ending.outcome, 0)
    answered = talk > 0
    start = call.at.astimezone(dt.UTC)
    caller_digits = re.sub(r"\D", "", call.caller)
    on_net = caller_digits == call.caller and len(caller_digits) <= 7
    to_number = call.to.isdigit() and len(call.to) > 7
    return {
        "id": call_id,
        "domain": call.domain,
        "reseller": "",
        "call-orig-call-id": f"{call_id}@sandbox",
        "call-parent-call-id": "",
        "call-leg-ordinal-index": 0,
        "call-direction": 0 if to_number else (2 if on_net else 1),
        "call-start-datetime": wire_time(start),
        "call-answer-datetime": wire_time(start + dt.timedelta(seconds=ending.ring)) if answered else "",
        "call-disconnect-datetime": wire_time(start + dt.timedelta(seconds=ending.ring + talk)),
        "call-disconnect-reason-text": REASONS[ending.outcome],
        "call-orig-caller-id": int(caller_digits) if caller_digits else 0,
        "call-orig-from-user": caller_digits or call.caller,
        "call-orig-from-name": "",
        "call-orig-user": int(call.caller) if on_net else None,
        "call-orig-to-user": call.to,
        "call-orig-request-user": call.to,
        "call-orig-domain": call.domain,
        "call-term-user": ending.term_user,
        "call-term-to-uri": f"sip:{ending.term}@{call.domain}",
        "call-through-action": ending.via,
        "call-talking-duration-seconds": talk,
        "call-total-duration-seconds": ending.ring + talk,
        "hide-from-results": 0,
    }


def place(store: Store, call: Call) -> Doc:
    """Route one call and store its CDR."""
    pbx = Pbx(store, call.domain)
    if call.to.isdigit() and len(call.to) > 7:  # an outbound call to an off-net number
        picked = call.answer is not None and re.sub(r"\D", "", call.answer) == call.to
        outcome = "answered" if picked else "missed"
        ending = Ending(outcome, call.to, None, PICKUP_S if picked else DEFAULT_TIMEOUT)
    else:
        ending = pbx.route(call.to, call.at, call.answer)
    doc = cdr_doc(call, ending)
    store_cdr(store, doc)
    return doc


def store_cdr(store: Store, doc: Doc) -> None:
    """CDRs are keyed by start time then id, so a time window is a key range (see Store.key_range)."""
    store.put(doc["domain"], CDR, "", f"{doc['call-start-datetime']}|{doc['id']}", doc)


def parse_call(raw: Any, store: Store) -> Call:
    if not isinstance(raw, dict):
        raise CallError("each call must be a JSON object")
    for name in ("to", "at"):
        if not isinstance(raw.get(name), str | int) or not str(raw[name]).strip():
            raise CallError(f"missing {name!r}")
    domain = raw.get("domain") or _only_domain(store)
    if store.get(str(domain), "domain", "", str(domain)) is None:
        raise CallError(f"no domain {domain}")
    try:
        at = dt.datetime.fromisoformat(str(raw["at"]).replace("Z", "+00:00"))
    except ValueError:
        raise CallError(f"'at' is not an ISO time: {raw['at']!r}") from None
    if at.tzinfo is None:
        pbx = Pbx(store, str(domain))
        at = at.replace(tzinfo=pbx.domain_zone)
    answer = raw.get("answer")
    answer_text = None if answer in (None, "", "none") else str(answer).strip()
    if answer_text and answer_text.startswith("+"):
        answer_text = re.sub(r"\D", "", answer_text)
    caller = str(raw.get("from") or "+14165550000").strip()
    return Call(str(domain), str(raw["to"]).strip(), caller, at, answer_text)


def _only_domain(store: Store) -> str:
    domains = [row.key for row in store.rows("domain")]
    if len(domains) != 1:
        raise CallError("name the 'domain' of the call (the sandbox has several or none)")
    return domains[0]


def endpoint(store: Store, auth: Auth) -> Any:
    """The ``POST /_sandbox/calls`` handler (bearer-protected, like the other admin routes)."""

    async def calls(request: Request) -> Response:
        if auth.token(request.headers.get("authorization")) is None:
            return JSONResponse({"code": 401, "message": "Unauthorized"}, status_code=401)
        try:
            body = json.loads(await request.body() or b"null")
            items = body if isinstance(body, list) else [body]
            parsed = [parse_call(item, store) for item in items]
            with store.transaction():
                docs = [place(store, call) for call in parsed]
        except (CallError, json.JSONDecodeError) as exc:
            return JSONResponse({"code": 400, "message": str(exc)}, status_code=400)
        return JSONResponse(docs if isinstance(body, list) else docs[0])

    return calls


def post_calls(url: str | None, token: str, db: str | None, calls: list[dict[str, Any]]) -> list[Doc]:
    """Place calls on a sandbox: served at `url` (a profile's API URL), or embedded in the file `db`."""
    import httpx

    from skyconf.sandbox.vendor import PREFIX

    headers = {"Authorization": f"Bearer {token}"}
    if url is None:
        from skyconf.sandbox.app import create_app

        transport = httpx.ASGITransport(app=create_app(db or ":memory:", tokens=[token]))
        return _post(httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=headers), calls)
    base = url.rstrip("/").removesuffix(PREFIX)
    return _post(httpx.AsyncClient(base_url=base, headers=headers, timeout=120), calls)


def _post(client: Any, calls: list[dict[str, Any]]) -> list[Doc]:
    import asyncio

    async def send() -> list[Doc]:
        async with client:
            response = await client.post("/_sandbox/calls", json=calls)
        if response.status_code != 200:
            raise CallError(f"the sandbox refused the call: HTTP {response.status_code} {response.text}")
        docs: list[Doc] = response.json()
        return docs

    return asyncio.run(send())


def summary(doc: Doc) -> str:
    """One line for a person about a stored CDR: where the call ended and how."""
    term = str(doc["call-term-to-uri"]).removeprefix("sip:").partition("@")[0]
    answered = f", answered {doc['call-answer-datetime']}" if doc.get("call-answer-datetime") else ", not answered"
    return (
        f"call {doc['id']} from {doc['call-orig-from-user']} to {doc['call-orig-to-user']} at "
        f"{doc['call-start-datetime']}: ended at {term} ({doc['call-disconnect-reason-text']}{answered})"
    )
