"""Conferences (``/domains/{d}/conferences``), keyed by the bridge extension in the path.

Requests use the spec examples' snake_case keys (``conference``, ``name``, ``leader_pin``,
``max_participants`` ...); responses are the spec's all-string ``Conference`` objects with ``aor``,
``owner_domain``, ``owner_uid`` and friends. Every scalar sent is kept (as a string) and read back
under the same key, so ``direct_dial`` and ``conference_type`` survive a round trip too. POST, PUT and
DELETE answer 202. A single read is a one-element array: the spec types it as the (array) Conference.
"""

from __future__ import annotations

from typing import Any

from skyconf.sandbox.store import Doc
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, as_key, ok

COLLECTION = "conference"
RESPONSE_DEFAULTS: dict[str, str] = {
    "owner": "",
    "name": "",
    "leader_pin": "",
    "speaker_pin": "",
    "participants_pin": "",
    "num_participants": "0",
    "max_participants": "",
    "time_begin": "",
    "time_end": "",
    "gmt_offset": "",
    "activate": "yes",
    "audio_dir": "",
    "annc_join": "no",
    "annc_depart": "no",
    "dial_plan": "",
    "save_participants": "no",
    "request_name": "no",
    "lock_part": "no",
    "annc_part": "no",
    "mute": "no",
    "trigger_by": "",
    "leader_required": "no",
    "quorum": "",
    "SipSipProxy": "",
    "SipSipAuthUser": "",
    "SipSipAuthKey": "",
    "RegRequired": "no",
    "promptAudioId": "",
    "confOptions": "",
}
# Keys the server owns; a request cannot set them.
READ_ONLY = frozenset({"aor", "owner_domain", "owner_uid", "num_participants", "conference", "synchronous"})


def _scalar(name: str, value: Any) -> str:
    if isinstance(value, dict | list):
        raise ApiError(400, f"Invalid value for {name}")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _merge(doc: Doc, body: dict[str, Any]) -> None:
    for name, value in body.items():
        if name not in READ_ONLY:
            doc[name] = _scalar(name, value)


def _view(req: Req, key: str, doc: Doc) -> Doc:
    owner = doc.get("owner", "")
    return {
        "aor": f"sip:{key}@{req.domain}",
        "owner_domain": req.domain,
        "owner_uid": f"{owner}@{req.domain}" if owner else "",
        **doc,
    }


def _body(req: Req) -> dict[str, Any]:
    """The request object; a one-element array is unwrapped (the spec types the body as an array).
    Which of the two shapes the PBX takes is the dialect's ``conference_bodies``."""
    if isinstance(req.body, list) and len(req.body) == 1 and isinstance(req.body[0], dict):
        if "array" not in req.dialect.conference_bodies:
            raise ApiError(400, "Request body must be a JSON object")
        return req.body[0]
    if "object" not in req.dialect.conference_bodies:
        raise ApiError(400, "Request body must be a one-item JSON array of conference objects")
    return req.obj()


def _load(req: Req) -> tuple[str, Doc]:
    key = req.params["conference"]
    doc = req.store.get(req.domain, COLLECTION, "", key)
    if doc is None:
        raise ApiError(404, f"Conference {key} not found")
    return key, doc


def list_conferences(req: Req) -> Reply:
    rows = req.store.rows(COLLECTION, req.domain)
    return ok([_view(req, r.key, r.doc) for r in rows])


def count_conferences(req: Req) -> Reply:
    return ok({"total": req.store.count(req.domain, COLLECTION)})


def create_conference(req: Req) -> Reply:
    body = _body(req)
    # The spec's (array) form has no `conference` key: the extension then comes from `aor`.
    given = body.get("conference")
    if given is None and isinstance(body.get("aor"), str):
        given = body["aor"].removeprefix("sip:").partition("@")[0] or None
    if given is None:
        raise ApiError(400, "Missing required field conference")
    key = as_key(given, "conference")
    if req.store.get(req.domain, COLLECTION, "", key) is not None:
        raise ApiError(409, f"Conference {key} already exists")
    doc: Doc = dict(RESPONSE_DEFAULTS)
    _merge(doc, body)
    req.store.put(req.domain, COLLECTION, "", key, doc)
    return accepted()


def get_conference(req: Req) -> Reply:
    key, doc = _load(req)
    return ok([_view(req, key, doc)])


def update_conference(req: Req) -> Reply:
    key, doc = _load(req)
    _merge(doc, _body(req))
    req.store.put(req.domain, COLLECTION, "", key, doc)
    return accepted()


def delete_conference(req: Req) -> Reply:
    key, _ = _load(req)
    req.store.delete(req.domain, COLLECTION, "", key)
    return accepted()


_BASE = "domains/{domain}/conferences"
ROUTES = [
    Route("GET", _BASE, list_conferences),
    Route("POST", _BASE, create_conference),
    Route("GET", _BASE + "/count", count_conferences),
    Route("GET", _BASE + "/{conference}", get_conference),
    Route("PUT", _BASE + "/{conference}", update_conference),
    Route("DELETE", _BASE + "/{conference}", delete_conference),
]
