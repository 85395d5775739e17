"""Inbound phone numbers (DIDs) of a domain: ``/domains/{d}/phonenumbers[/{phonenumber}]`` and the count.

A number is its E.164 digits without ``+`` (the spec's "18005551234"), unique across the system (409 on a
duplicate). Its dial rule routes calls: ``dial-rule-application`` (an enum of the spec: ``to-user``,
``to-callqueue``, ``to-voicemail``, ``to-single-device``, ``to-connection``, ``available-number``, ...) with
``dial-rule-translation-destination-user`` (and ``-host``). Create requires ``phonenumber`` and the
destination user (the spec's `required`); PUT on the collection carries the number in the body (the spec's
queue/user/off-net variants), PUT on ``{phonenumber}`` in the path. Like a real PBX, the destination must
exist for the applications that name an extension of the domain: a user for ``to-user``,
``to-voicemail`` and ``to-single-device`` (auto attendants and conference bridges are users of the domain
here: reached by ``to-user`` with their extension), a queue for ``to-callqueue*``; an off-net destination
is 8 to 15 digits.
"""

from __future__ import annotations

import re

from skyconf.sandbox.fields import YN, E, Field, S, apply, defaults
from skyconf.sandbox.store import Doc
from skyconf.sandbox.targets import has_extension, has_queue, has_user
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, ok, written

COLLECTION = "phonenumber"
APPLICATIONS = (
    "available-number",
    "to-voicemail-residential",
    "to-callqueue",
    "to-callqueue-announce-count-callers-ahead",
    "to-callqueue-announce-expected-wait-time",
    "to-connection",
    "to-connection-or-user-no-failover",
    "to-single-device",
    "to-user",
    "to-user-residential",
    "to-voicemail",
    "spam-screening",
    "to-connection-block-caller-id",
    "to-connection-no-timeout",
    "to-connection-add-header-force-caller-id",
    "to-connection-add-header-no-timeout",
    "to-connection-add-header",
    "to-single-device-add-header-allow-voicemail",
    "to-single-device-add-header-allow-voicemail-residential",
    "to-single-device-add-header",
    "to-user-add-header",
    "to-user-residential-add-header",
    "to-user-notify-of-recording",
    "hangup",
    "to-user-answer-and-fake-ringback",
    "toggle-timeframe",
)
FIELDS: dict[str, Field] = {
    "enabled": YN("yes"),
    "dial-rule-application": E(APPLICATIONS, "available-number"),
    "dial-rule-parameter": S(),
    "dial-rule-translation-destination-user": S("[*]"),
    "dial-rule-translation-destination-host": S("[*]"),
    "dial-rule-translation-source-name": S("[*]"),
    "dial-rule-description": S(),
}
_NUMBER = re.compile(r"^\d{8,15}$")


def _number(value: object) -> str:
    text = str(value or "").strip().removeprefix("+")
    if not _NUMBER.match(text):
        raise ApiError(400, f"Invalid phonenumber {value!r}: expected 8 to 15 digits with the country code")
    return text


def _check_destination(req: Req, doc: Doc) -> None:
    application = str(doc["dial-rule-application"])
    user = str(doc["dial-rule-translation-destination-user"])
    if application in ("available-number", "hangup", "spam-screening", "toggle-timeframe") or user == "[*]":
        return
    if application.startswith("to-callqueue"):
        if not has_queue(req, user):
            raise ApiError(400, f"Invalid destination {user} for {application}: no such call queue")
    elif application.startswith("to-connection"):
        if not _NUMBER.match(user) and not has_extension(req, user):
            raise ApiError(400, f"Invalid destination {user} for {application}: not a number")
    elif application.startswith(("to-user", "to-voicemail", "to-single-device")) and not (
        has_user(req, user) or has_extension(req, user)
    ):
        raise ApiError(400, f"Invalid destination {user} for {application}: no such user")


def _find(req: Req, number: str) -> Doc:
    doc = req.store.get(req.domain, COLLECTION, "", number)
    if doc is None:
        raise ApiError(404, f"Phone number {number} not found in domain {req.domain}")
    return doc


def list_numbers(req: Req) -> Reply:
    return ok(req.store.docs(req.domain, COLLECTION, ""))


def count_numbers(req: Req) -> Reply:
    return ok({"total": req.store.count(req.domain, COLLECTION, "")})


def create_number(req: Req) -> Reply:
    body = req.obj()
    missing = [f for f in ("phonenumber", "dial-rule-translation-destination-user") if body.get(f) in (None, "")]
    if missing:
        raise ApiError(400, f"Missing required field(s): {', '.join(missing)}")
    number = _number(body["phonenumber"])
    if any(row.key == number for row in req.store.rows(COLLECTION)):
        raise ApiError(409, f"Phone number {number} already exists")
    doc: Doc = {"phonenumber": number, "domain": req.domain, **defaults(FIELDS)}
    apply(FIELDS, body, doc)
    _check_destination(req, doc)
    req.store.put(req.domain, COLLECTION, "", number, doc)
    return written(req, doc)


def get_number(req: Req) -> Reply:
    return ok(_find(req, _number(req.params["phonenumber"])))


def _update(req: Req, number: str) -> Reply:
    doc = dict(_find(req, number))
    body = req.obj()
    if body.get("dial-rule-translation-destination-user") in (None, ""):
        raise ApiError(400, "Missing required field(s): dial-rule-translation-destination-user")
    apply(FIELDS, body, doc)
    _check_destination(req, doc)
    req.store.put(req.domain, COLLECTION, "", number, doc)
    return accepted()


def update_number(req: Req) -> Reply:
    return _update(req, _number(req.params["phonenumber"]))


def update_number_in_body(req: Req) -> Reply:
    body = req.obj()
    if body.get("phonenumber") in (None, ""):
        raise ApiError(400, "Missing required field(s): phonenumber")
    return _update(req, _number(body["phonenumber"]))


def delete_number(req: Req) -> Reply:
    number = _number(req.params["phonenumber"])
    _find(req, number)
    req.store.delete(req.domain, COLLECTION, "", number)
    return accepted()


_BASE = "domains/{domain}/phonenumbers"
ROUTES = [
    Route("GET", _BASE, list_numbers),
    Route("POST", _BASE, create_number),
    Route("PUT", _BASE, update_number_in_body),
    Route("GET", _BASE + "/count", count_numbers),
    Route("GET", _BASE + "/{phonenumber}", get_number),
    Route("PUT", _BASE + "/{phonenumber}", update_number),
    Route("DELETE", _BASE + "/{phonenumber}", delete_number),
]
