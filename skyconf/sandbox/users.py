"""Users (``/domains/{domain}/users``): the spec's writable fields, paging, 409s and cascade delete.

Reads return every writable field (defaults filled in), including ``voicemail-login-pin`` as a real
PBX does for an admin token. PUT merges the fields sent. ``login-username`` (default
``user@domain``) is unique across all domains.
"""

from __future__ import annotations

import re
from typing import Any

from skyconf.sandbox import domains
from skyconf.sandbox.dialects import Dialect
from skyconf.sandbox.fields import YN, A, E, Field, N, S, apply, defaults, require
from skyconf.sandbox.store import Doc, Store
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, as_key, now, ok

COLLECTION = "user"
# Children removed with their user (answer rules, user time frames, user contacts, user MOH, SIP devices,
# greetings).
CHILD_COLLECTIONS = ("answerrule", "timeframe", "contact", "moh", "device", "greeting")

SCOPES = (
    "Basic User",
    "Simple User",
    "Advanced User",
    "Call Center Agent",
    "Site Manager",
    "Call Center Supervisor",
    "Office Manager",
    "Reseller",
    "Super User",
    "NDP",
    "No Portal",
)
VM_BEHAVIOR = ("no", "yes", "attnew", "attsave", "atttrash", "brief", "briefattnew", "briefattsave", "briefatttrash")

FIELDS: dict[str, Field] = {
    "name-first-name": S(),
    "name-last-name": S(),
    "login-username": S(),
    "email": S(),
    "user-scope": E(SCOPES, "Basic User"),
    "department": S(),
    "site": S(),
    "time-zone": S(),
    "voicemail-login-pin": S(),
    "privacy": YN("no"),
    "dial-plan": S(),
    "dial-policy": S(),
    "status-message": S(),
    "directory-name-number-dtmf-mapping": N(),
    "voicemail-user-control-enabled": YN("yes"),
    "phone-numbers-to-allow-enabled": YN("yes"),
    "phone-numbers-to-reject-enabled": YN("yes"),
    "call-screening-enabled": YN("yes"),
    "ring-no-answer-timeout-seconds": N(25),
    "language-token": S("en_US"),
    "limits-max-data-storage-kilobytes": N(),
    "limits-max-active-calls-total": N(),
    "directory-announce-in-dial-by-name-enabled": YN("yes"),
    "directory-override-order-duplicate-dtmf-mapping": N(0),
    "voicemail-greeting-index": N(0),
    "voicemail-enabled": YN("yes"),
    "voicemail-receive-broadcast-enabled": YN("yes"),
    "reject-anonymous-calls-enabled": YN("no"),
    "voicemail-playback-announce-datetime-received": YN("no"),
    "voicemail-playback-announce-caller-id": YN("no"),
    "voicemail-playback-sort-newest-to-oldest": YN("yes"),
    "email-send-alert-new-voicemail-cc-list-csv": S(),
    "email-send-alert-new-voicemail-behavior": E(VM_BEHAVIOR, "no"),
    "email-send-alert-new-voicemail-enabled": YN("no"),
    "email-send-alert-new-missed-call-enabled": YN("no"),
    "email-send-alert-data-storage-limit-reached-enabled": YN("no"),
    "caller-id-number": S(),
    "caller-id-name": S(),
    "caller-id-number-emergency": A(""),
    "area-code": N(),
    "directory-name-visible-in-list-enabled": YN("yes"),
    "service-code": S(),
    "voicemail-transcription-enabled": E(("no", "Deepgram", "Google", "Mutare", "Voicebase"), "no"),
    "emergency-address-id": S(),
    "call-recordings-hide-from-others-enabled": YN("no"),
    "music-on-hold-randomized-enabled": YN("no"),
    "music-on-hold-comfort-message-repeat-interval-seconds": N(0),
    "recording-configuration": E(domains.RECORDING, "no"),
}


def fields_for(dialect: Dialect) -> dict[str, Field]:
    """The writable fields under the names this dialect's PBX uses (the others are unknown there)."""
    renames = dialect.user_field_names
    return {renames.get(name, name): spec for name, spec in FIELDS.items()}


REQUIRED_ON_CREATE = ("user", "name-first-name", "name-last-name", "email", "user-scope")
PUBLIC_FIELDS: tuple[str, ...] = (
    "user",
    "domain",
    "site",
    "name-first-name",
    "name-last-name",
    "department",
    "directory-name-number-dtmf-mapping",
)
_DTMF = {
    c: str(d)
    for d, letters in enumerate(("", "", "abc", "def", "ghi", "jkl", "mno", "pqrs", "tuv", "wxyz"))
    for c in letters
}


def require_user(req: Req, user: str | None = None) -> Doc:
    """The user document named in the path, or 404."""
    name = req.user if user is None else user
    doc = req.store.get(req.domain, COLLECTION, "", name)
    if doc is None:
        raise ApiError(404, f"User {name} does not exist in domain {req.domain}")
    return doc


def _view(doc: Doc) -> Doc:
    return {**doc, "user-presence-status": "inactive", "active-calls-total-current": 0}


def _login_taken(store: Store, login: str, domain: str, user: str) -> bool:
    return any((row.domain, row.key) != (domain, user) for row in store.find(COLLECTION, "login-username", login))


def _dtmf(name: str) -> int:
    """Dial-by-name digits: the keypad digits of the first three letters (100 when there are none)."""
    digits = "".join(_DTMF.get(c, "") for c in name.lower())[:3]
    return int(digits.ljust(3, "0")) if digits else 100


def _sort_key(user: str) -> tuple[int, int, str]:
    return (0, int(user), user) if user.isdigit() else (1, 0, user)


def list_users(req: Req) -> Reply:
    start, limit = domains.paging(req.query)
    docs = sorted(req.store.docs(req.domain, COLLECTION), key=lambda d: _sort_key(d["user"]))
    site = req.query.get("site")
    if site is not None:
        docs = [d for d in docs if d.get("site") == site]
    return ok([_view(d) for d in docs[start : start + limit]])


def list_public(req: Req) -> Reply:
    """The spec's PublicUserInfo fields always, plus any other field named in ``?fields=a,b``."""
    extra = [f.strip() for f in req.query.get("fields", "").split(",") if f.strip() not in ("", *PUBLIC_FIELDS)]
    wanted = [*PUBLIC_FIELDS, *extra]
    docs = sorted(req.store.docs(req.domain, COLLECTION), key=lambda d: _sort_key(d["user"]))
    return ok([{f: d[f] for f in wanted if f in d} for d in docs])


def count_users(req: Req) -> Reply:
    return ok({"total": req.store.count(req.domain, COLLECTION)})


def create_user(req: Req) -> Reply:
    body = req.obj()
    require(body, *REQUIRED_ON_CREATE)
    user = as_key(body["user"], "user")
    if len(user) > 16 or not re.fullmatch(r"[A-Za-z0-9._-]+", user):
        raise ApiError(400, f"Invalid user {user}")
    if req.store.get(req.domain, COLLECTION, "", user) is not None:
        raise ApiError(409, "UID already exists.")
    stamp = now()
    catalog = fields_for(req.dialect)
    doc: Doc = {"domain": req.domain, "user": user, **defaults(catalog)}
    apply(catalog, body, doc)
    if not doc["login-username"]:
        doc["login-username"] = f"{user}@{req.domain}"
    if doc.get("directory-name-number-dtmf-mapping") is None:
        doc["directory-name-number-dtmf-mapping"] = _dtmf(doc["name-last-name"] + doc["name-first-name"])
    if not doc["time-zone"]:
        domain = req.store.get(req.domain, domains.COLLECTION, "", req.domain) or {}
        doc["time-zone"] = domain.get("time-zone") or "US/Pacific"
    if _login_taken(req.store, doc["login-username"], req.domain, user):
        raise ApiError(409, "UID already exists.")
    doc.update({"account-status": "standard", "created-datetime": stamp, "last-modified-datetime": stamp})
    req.store.put(req.domain, COLLECTION, "", user, doc)
    return ok(_view(doc)) if req.sync() else accepted()


def get_user(req: Req) -> Reply:
    return ok(_view(require_user(req)))


def update_user(req: Req) -> Reply:
    doc = require_user(req)
    body: dict[str, Any] = req.obj()
    apply(fields_for(req.dialect), body, doc)
    if not doc["login-username"]:
        doc["login-username"] = f"{req.user}@{req.domain}"
    if _login_taken(req.store, doc["login-username"], req.domain, req.user):
        raise ApiError(409, "UID already exists.")
    doc["last-modified-datetime"] = now()
    req.store.put(req.domain, COLLECTION, "", req.user, doc)
    return accepted()


def delete_user(req: Req) -> Reply:
    require_user(req)
    req.store.delete(req.domain, COLLECTION, "", req.user)
    req.store.delete_children(req.domain, CHILD_COLLECTIONS, req.user)
    return accepted()


ROUTES = [
    Route("GET", "domains/{domain}/users", list_users),
    Route("POST", "domains/{domain}/users", create_user),
    Route("GET", "domains/{domain}/users/count", count_users),
    Route("GET", "domains/{domain}/users/list", list_public),
    Route("GET", "domains/{domain}/users/{user}", get_user),
    Route("PUT", "domains/{domain}/users/{user}", update_user),
    Route("DELETE", "domains/{domain}/users/{user}", delete_user),
]
