"""Domains (tenants): created on first use so tests and demos need no setup step.

Any authenticated request naming ``/domains/{domain}`` creates that domain with defaults (unless the
app was built with ``auto_create_domains=False``, which makes unknown domains a 404).
"""

from __future__ import annotations

import re
from typing import Any

from skyconf.sandbox.fields import YN, A, E, Field, N, S, apply, coerce, defaults
from skyconf.sandbox.store import Doc, Store
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, as_key, now, ok

COLLECTION = "domain"
DOMAIN_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
RECORDING = ("yes", "yes-with-transcription", "yes-with-transcription-and-sentiment", "no")

FIELDS: dict[str, Field] = {
    "reseller": S("sandbox"),
    "description": S(),
    "music-on-hold-enabled": YN("yes"),
    "music-on-ring-enabled": YN("no"),
    "music-on-hold-randomized-enabled": YN("no"),
    "domain-type": E(("Standard", "Residential", "Hospitality"), "Standard"),
    "dial-plan": S(),
    "dial-policy": S("US and Canada"),
    "email-send-from-address": S(),
    "single-sign-on-enabled": YN("no"),
    "area-code": N(),
    "caller-id-name": S(),
    "caller-id-number": A(""),
    "caller-id-number-emergency": A(""),
    "limits-max-subcriber-resources-total": N(0),
    "limits-max-active-calls-total": N(0),
    "limits-max-active-calls-offnet": N(0),
    "limits-max-call-queues": N(0),
    "limits-max-auto-attendants": N(0),
    "limits-max-conferences": N(0),
    "limits-max-departments": N(0),
    "limits-max-users": N(0),
    "limits-max-sites": N(0),
    "limits-max-fax-accounts": N(0),
    "time-zone": S("US/Pacific"),
    "email-send-smtp-hostname": S(None, nullable=True),
    "email-send-smtp-port": S(None, nullable=True),
    "email-send-smtp-username": S(None, nullable=True),
    "email-send-smtp-password": S(None, nullable=True),
    "emergency-address-id": S(None, nullable=True),
    "voicemail-enabled": YN("yes"),
    "recording-configuration": E(RECORDING, "no"),
    "voicemail-transcription-enabled": E(("no", "Deepgram", "Google", "Mutare", "Voicebase"), "no"),
    "language-token": S("en_US"),
    "is-domain-locked": YN("no"),
    "is-stir-enabled": YN("no"),
    "is-ivr-forward-change-blocked": YN("no"),
}


def new_domain(name: str, body: dict[str, Any] | None = None) -> Doc:
    doc: Doc = {"domain": name, **defaults(FIELDS), "dial-plan": name, "description": name}
    doc["created-datetime"] = doc["last-modified-datetime"] = now()
    if body:
        apply(FIELDS, body, doc)
    return doc


def valid_name(name: str) -> bool:
    return bool(DOMAIN_PATTERN.match(name))


def ensure(store: Store, name: str, auto_create: bool) -> None:
    """Make sure the domain exists: create it (auto mode) or answer 404."""
    if store.get(name, COLLECTION, "", name) is not None:
        return
    if not auto_create or not valid_name(name):
        raise ApiError(404, f"Domain {name} does not exist")
    with store.transaction():
        store.put(name, COLLECTION, "", name, new_domain(name))


def _view(store: Store, doc: Doc) -> Doc:
    name = doc["domain"]
    return {
        **doc,
        "active-calls-total-current": 0,
        "active-calls-offnet-current": 0,
        "active-calls-against-license-count": 0,
        "count-subcriber-resources-total": store.count(name, "user"),
    }


def get_domain(req: Req) -> Reply:
    doc = req.store.get(req.domain, COLLECTION, "", req.domain)
    if doc is None:
        raise ApiError(404, f"Domain {req.domain} does not exist")
    return ok(_view(req.store, doc))


def update_domain(req: Req) -> Reply:
    doc = req.store.get(req.domain, COLLECTION, "", req.domain)
    if doc is None:
        raise ApiError(404, f"Domain {req.domain} does not exist")
    apply(FIELDS, req.obj(), doc)
    doc["last-modified-datetime"] = now()
    req.store.put(req.domain, COLLECTION, "", req.domain, doc)
    return accepted()


def delete_domain(req: Req) -> Reply:
    req.store.delete_domain(req.domain)
    return accepted()


def count_domain(req: Req) -> Reply:
    exists = req.store.get(req.domain, COLLECTION, "", req.domain) is not None
    if not exists:
        raise ApiError(404, f"Domain {req.domain} does not exist")
    return ok({"total": 1})


def list_domains(req: Req) -> Reply:
    start, limit = paging(req.query)
    docs = [_view(req.store, r.doc) for r in req.store.rows(COLLECTION)]
    return ok(docs[start : start + limit])


def count_domains(req: Req) -> Reply:
    return ok({"total": len(req.store.rows(COLLECTION))})


def create_domain(req: Req) -> Reply:
    body = req.obj()
    name = as_key(body.get("domain"), "domain")
    if not valid_name(name):
        raise ApiError(400, f"Invalid domain name {name}")
    if req.store.get(name, COLLECTION, "", name) is not None:
        raise ApiError(409, "Domain already exists.")
    doc = new_domain(name, body)
    req.store.put(name, COLLECTION, "", name, doc)
    return ok(_view(req.store, doc)) if req.sync() else accepted()


def paging(query: dict[str, str], default_limit: int = 100) -> tuple[int, int]:
    """``start``/``limit`` as the spec bounds them (start >= 0, 1 <= limit <= 1000); else 400."""
    start = _int_query(query, "start", 0)
    limit = _int_query(query, "limit", default_limit)
    if start < 0:
        raise ApiError(400, "start must be >= 0")
    if not 1 <= limit <= 1000:
        raise ApiError(400, "limit must be between 1 and 1000")
    return start, limit


def _int_query(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    value = coerce(name, N(), raw)
    assert isinstance(value, int)
    return value


ROUTES = [
    Route("GET", "domains", list_domains),
    Route("POST", "domains", create_domain),
    Route("GET", "domains/count", count_domains),
    Route("GET", "domains/{domain}", get_domain),
    Route("PUT", "domains/{domain}", update_domain),
    Route("DELETE", "domains/{domain}", delete_domain),
    Route("GET", "domains/{domain}/count", count_domain),
]
