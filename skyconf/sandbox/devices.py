"""SIP devices (registrations) of a user: ``/domains/{d}/users/{u}/devices[/{device}]`` and the domain list.

``device`` is the left-hand part of ``sip:<device>@<domain>`` and is unique per domain whichever user
owns it (409 on a duplicate). It is the only required create field; an omitted
``device-sip-registration-password`` becomes a random 16-character one. Create answers 200 with the
``Device`` when ``synchronous`` is ``yes``, else 202; PUT and DELETE answer 202. Stored under the owning
user, so deleting the user deletes its devices. Phones name devices in their line URIs (phones.py).
"""

from __future__ import annotations

import re
import secrets
import string

from skyconf.sandbox import domains
from skyconf.sandbox.fields import YN, A, E, Field, N, S, apply, defaults
from skyconf.sandbox.store import Doc
from skyconf.sandbox.users import require_user
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, as_key, now, ok, written

COLLECTION = "device"
PASSWORD_LENGTH = 16
_DEVICE = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")

FIELDS: dict[str, Field] = {
    "device-sip-registration-password": S(),
    "caller-id-number-emergency": S("[*]"),
    "device-force-notify-new-voicemails-enabled": YN("no"),
    "device-level-call-recording-enabled": YN("no"),
    "device-push-enabled": YN("yes"),
    "device-sip-registration-expiry-seconds": N(60),
    "device-sip-registration-ignore-for-presence-calculation": YN("no"),
    "device-sip-registration-ignore-report-enabled": YN("no"),
    "device-sip-no-to-tag-in-cancel": YN("no"),
    "device-srtp-enabled": E(("yes", "no", "opportunistic"), "no"),
    "auto-answer-enabled": YN("no"),
    "device-sip-allowed-user-agent": S(),
    "device-sip-nat-traversal-enabled": E(("automatic", "none", "never", "fixed"), "automatic"),
    "emergency-address-id": S(None, nullable=True),
    "device-models-model": S(),
    "device-provisioning-mac-address": S(),
    "device-provisioning-registration-core-server": S(),
    "device-provisioning-sip-transport-protocol": E(("udp", "tcp", "tls"), "udp"),
    "device-provisioning-username": S(None, nullable=True),
    "device-provisioning-password": S(None, nullable=True),
    "device-provisioning-line": A(),
    "device-provisioning-overrides": S(),
    "recording-configuration": E(domains.RECORDING, "no"),
}


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH))


def _view(req: Req, doc: Doc) -> Doc:
    user = req.store.get(req.domain, "user", "", doc["user"]) or {}
    full_name = f"{user.get('name-first-name', '')} {user.get('name-last-name', '')}".strip()
    return {
        **doc,
        "device-sip-registration-uri": f"sip:{doc['device']}@{doc['domain']}",
        "device-sip-registration-state": "unregistered",
        "device-sip-registration-contact": "",
        "device-sip-registration-core-server": "",
        "device-sip-registration-datetime": None,
        "device-sip-registration-expires-datetime": None,
        "device-sip-registration-ip-address": "",
        "device-sip-registration-user-agent": "",
        "login-username": user.get("login-username", ""),
        "name-full-name": full_name,
    }


def _load(req: Req) -> Doc:
    require_user(req)
    name = req.params["device"]
    doc = req.store.get(req.domain, COLLECTION, req.user, name)
    if doc is None:
        raise ApiError(404, f"Device {name} does not exist for user {req.user} in domain {req.domain}")
    return doc


def list_devices(req: Req) -> Reply:
    require_user(req)
    return ok([_view(req, d) for d in req.store.docs(req.domain, COLLECTION, req.user)])


def count_devices(req: Req) -> Reply:
    require_user(req)
    return ok({"total": req.store.count(req.domain, COLLECTION, req.user)})


def list_domain_devices(req: Req) -> Reply:
    return ok([_view(req, r.doc) for r in req.store.rows(COLLECTION, req.domain)])


def count_domain_devices(req: Req) -> Reply:
    return ok({"total": len(req.store.rows(COLLECTION, req.domain))})


def count_device_name(req: Req) -> Reply:
    """``GET /domains/{d}/devices/{device}/count``: 1 when the domain has that device, else 0."""
    return ok({"total": 0 if req.store.lookup(req.domain, COLLECTION, req.params["device"]) is None else 1})


def create_device(req: Req) -> Reply:
    require_user(req)
    body = req.obj()
    if body.get("device") is None:
        raise ApiError(400, "Missing required field device")
    name = as_key(body["device"], "device")
    if not _DEVICE.match(name):
        raise ApiError(400, f"Invalid device {name}")
    if req.store.lookup(req.domain, COLLECTION, name) is not None:
        raise ApiError(409, f"Device {name} already exists in domain {req.domain}")
    stamp = now()
    doc: Doc = {"device": name, "user": req.user, "domain": req.domain, **defaults(FIELDS)}
    apply(FIELDS, body, doc)
    if not doc["device-sip-registration-password"]:
        doc["device-sip-registration-password"] = _password()
    doc.update({"created-datetime": stamp, "last-modified-datetime": stamp})
    req.store.put(req.domain, COLLECTION, req.user, name, doc)
    return written(req, _view(req, doc))


def get_device(req: Req) -> Reply:
    return ok(_view(req, _load(req)))


def update_device(req: Req) -> Reply:
    doc = _load(req)
    apply(FIELDS, req.obj(), doc)
    if not doc["device-sip-registration-password"]:
        doc["device-sip-registration-password"] = _password()
    doc["last-modified-datetime"] = now()
    req.store.put(req.domain, COLLECTION, req.user, doc["device"], doc)
    return accepted()


def delete_device(req: Req) -> Reply:
    doc = _load(req)
    req.store.delete(req.domain, COLLECTION, req.user, doc["device"])
    return accepted()


_BASE = "domains/{domain}/users/{user}/devices"
ROUTES = [
    Route("GET", _BASE, list_devices),
    Route("POST", _BASE, create_device),
    Route("GET", _BASE + "/count", count_devices),
    Route("GET", _BASE + "/{device}", get_device),
    Route("PUT", _BASE + "/{device}", update_device),
    Route("DELETE", _BASE + "/{device}", delete_device),
    Route("GET", "domains/{domain}/devices", list_domain_devices),
    Route("GET", "domains/{domain}/devices/count", count_domain_devices),
    Route("GET", "domains/{domain}/devices/{device}/count", count_device_name),
]
