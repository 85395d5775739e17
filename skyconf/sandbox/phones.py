"""NDP phones by MAC (``/domains/{d}/phones``) and the supported-model catalog (``/phones/models``).

POST, PUT and DELETE carry the MAC in the body (``device-provisioning-mac-address``), as the spec
says. MACs are accepted with or without ``:``/``-``/``.`` separators and stored as 12 lowercase hex
digits; a MAC belongs to one domain system-wide (409 when it exists anywhere). The model list is a
small fixed set of real Yealink, Polycom and Grandstream models.

A create needs what a real PBX needs to provision a phone: the MAC, a model
(``device-models-brand-and-model``) and line 1 (``device-provisioning-sip-uri-1``); a 400 names what is
missing. The v1 names the vendor's own load generator and the spec examples send (``mac``, ``model``,
``device1`` .. ``device8``, ``server``, ``transport``) are accepted on create and update and stored under
the v2 names (a v2 name wins when both are sent). A line URI ``sip:<device>@<domain>`` must name an
existing SIP device of that domain (devices.py), else 400.
"""

from __future__ import annotations

import re
from typing import Any

from skyconf.sandbox.fields import YN, Field, N, S, apply, defaults
from skyconf.sandbox.store import Doc
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, now, ok

COLLECTION = "phone"
MAC_FIELD = "device-provisioning-mac-address"

FIELDS: dict[str, Field] = {
    "reseller": S("sandbox"),
    "device-models-brand-and-model": S(),
    "device-provisioning-registration-core-server": S(),
    "notes": S(),
    "device-provisioning-sip-transport-protocol": S("udp"),
    "device-provisioning-username": S(),
    "device-provisioning-password": S(),
    "device-models-count-buttons": N(0),
    "device-models-fxs-support-enabled": N(0),
    "device-models-overrides-blob": S(),
    "device-models-resync-support-enabled": S("yes"),
    "device-models-shared-line-support-enabled": S("yes"),
    "device-models-sidecar-support-enabled": S("no"),
    "device-provisioning-directory": S(),
    "device-provisioning-last-retrieved-datetime": S(),
    "device-provisioning-directory-support": S("yes"),
    "device-provisioning-ndp-hostname": S(),
    "device-provisioning-presence": S("yes"),
    "global-one-time-pass": S(),
    "redundency": S("no"),
}
for _line in range(1, 9):
    FIELDS[f"device-provisioning-sip-uri-{_line}"] = S()
    FIELDS[f"device-provisioning-line-{_line}-enabled"] = YN("no") if _line <= 2 else S("no")
    FIELDS[f"device-provisioning-sip-uri-{_line}-shared-line-enabled"] = S("no")

_MAC = re.compile(r"^[0-9a-f]{12}$")
_SIP_URI = re.compile(r"^sip:([^@\s]+)@([A-Za-z0-9._-]+)$")
MODEL_FIELD = "device-models-brand-and-model"
LINE_1 = "device-provisioning-sip-uri-1"
# v1 name -> v2 name
V1_NAMES: dict[str, str] = {
    "mac": MAC_FIELD,
    "model": MODEL_FIELD,
    "server": "device-provisioning-registration-core-server",
    "transport": "device-provisioning-sip-transport-protocol",
    **{f"device{n}": f"device-provisioning-sip-uri-{n}" for n in range(1, 9)},
}
REQUIRED_ON_CREATE = (MAC_FIELD, MODEL_FIELD, LINE_1)


def _model(brand: str, model: str, lines: int, sidecar: str, description: str) -> dict[str, Any]:
    return {
        "brand": brand,
        "model": model,
        "portal_view": f"{brand} {model}",
        "device_type": "phone",
        "ndp_syntax": brand.lower(),
        "brand_model": f"{brand} {model}",
        "force_https": "no",
        "allow_tftp": "no",
        "phone_ext": lines,
        "fxs": 0,
        "fxo": 0,
        "trunk": 0,
        "directory": "yes",
        "presense": "yes",
        "sla": "yes",
        "sidecar": sidecar,
        "resync": "yes",
        "encrypt_support": "no",
        "firmware_support": "no",
        "firmware_options": "",
        "overrides": "",
        "description": description,
    }


MODELS: list[dict[str, Any]] = [
    _model("Yealink", "T54W", 16, "yes", "Yealink T54W prime business phone, color screen, Wi-Fi, Bluetooth"),
    _model("Yealink", "T46U", 16, "yes", "Yealink T46U color screen business phone, dual USB"),
    _model("Yealink", "T57W", 16, "yes", "Yealink T57W touch screen business phone, Wi-Fi, Bluetooth"),
    _model("Polycom", "VVX 450", 12, "yes", "Poly VVX 450 12-line color business IP phone"),
    _model("Polycom", "Edge E450", 12, "no", "Poly Edge E450 color business IP phone, Bluetooth"),
    _model("Grandstream", "GRP2614", 16, "no", "Grandstream GRP2614 carrier-grade 4-line IP phone"),
    _model("Grandstream", "GRP2615", 10, "no", "Grandstream GRP2615 carrier-grade 5-line color IP phone, Wi-Fi"),
]


def normalize_mac(value: Any) -> str:
    text = re.sub(r"[:\-.]", "", str(value)).lower() if isinstance(value, str | int) else ""
    if not _MAC.match(text):
        raise ApiError(400, f"Invalid MAC address {value!r}: expected 12 hex digits")
    return text


def _body(req: Req) -> dict[str, Any]:
    """The request object with v1 names moved to their v2 names (a v2 name sent too wins)."""
    body = dict(req.obj())
    for old, new in V1_NAMES.items():
        if old in body:
            value = body.pop(old)
            body.setdefault(new, value)
    return body


def _body_mac(body: dict[str, Any]) -> str:
    if body.get(MAC_FIELD) in (None, ""):
        raise ApiError(400, f"Missing required field {MAC_FIELD} (or mac)")
    return normalize_mac(body[MAC_FIELD])


def _check_lines(req: Req, doc: Doc) -> None:
    """Every line URI in ``doc`` names an existing SIP device of its domain."""
    for line in range(1, 9):
        uri = doc.get(f"device-provisioning-sip-uri-{line}") or ""
        if not uri:
            continue
        m = _SIP_URI.match(uri)
        if m is None:
            raise ApiError(400, f"Invalid device-provisioning-sip-uri-{line} {uri}: expected sip:<device>@<domain>")
        device, domain = m.groups()
        if req.store.lookup(domain, "device", device) is None:
            raise ApiError(400, f"Invalid device-provisioning-sip-uri-{line} {uri}: device {device} does not exist")


def _load(req: Req, mac: str) -> Doc:
    doc = req.store.get(req.domain, COLLECTION, "", mac)
    if doc is None:
        raise ApiError(404, f"MAC {mac} not found in domain {req.domain}")
    return doc


def _limit(req: Req) -> int | None:
    raw = req.query.get("limit")
    if raw in (None, ""):
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, "limit must be a positive integer")
    return int(raw)


def list_phones(req: Req) -> Reply:
    """`limit` as the spec declares it (without one, every phone); `start` as the vendor's guide says
    every list takes ("Pagination and API data"), though the spec leaves it out here."""
    docs = req.store.docs(req.domain, COLLECTION)
    limit = _limit(req)
    start = _start(req)
    return ok(docs[start:] if limit is None else docs[start : start + limit])


def _start(req: Req) -> int:
    raw = req.query.get("start")
    if raw in (None, ""):
        return 0
    if not raw.isdigit():
        raise ApiError(400, "start must be a whole number >= 0")
    return int(raw)


def get_phone(req: Req) -> Reply:
    return ok(_load(req, normalize_mac(req.params["mac"])))


def create_phone(req: Req) -> Reply:
    body = _body(req)
    missing = [
        f"{name} (or {next(old for old, new in V1_NAMES.items() if new == name)})"
        for name in REQUIRED_ON_CREATE
        if body.get(name) in (None, "")
    ]
    if missing:
        raise ApiError(400, f"Missing required field(s): {', '.join(missing)}")
    mac = _body_mac(body)
    if req.store.key_exists(COLLECTION, mac):
        raise ApiError(409, f"MAC {mac} already exists")
    stamp = now()
    doc: Doc = {MAC_FIELD: mac, "domain": req.domain, **defaults(FIELDS)}
    apply(FIELDS, body, doc)
    _check_lines(req, doc)
    doc.update({"created-datetime": stamp, "last-modified-datetime": stamp})
    req.store.put(req.domain, COLLECTION, "", mac, doc)
    return accepted()


def update_phone(req: Req) -> Reply:
    body = _body(req)
    mac = _body_mac(body)
    doc = _load(req, mac)
    apply(FIELDS, body, doc)
    _check_lines(req, {name: doc[name] for name in body if name in doc})  # only the lines this update sets
    doc["last-modified-datetime"] = now()
    req.store.put(req.domain, COLLECTION, "", mac, doc)
    return accepted()


def delete_phone(req: Req) -> Reply:
    mac = _body_mac(_body(req))
    _load(req, mac)
    req.store.delete(req.domain, COLLECTION, "", mac)
    return accepted()


def list_models(req: Req) -> Reply:
    brand = req.query.get("brand")
    model = req.query.get("model")
    found = [dict(m) for m in MODELS if brand is None or m["brand"].lower() == brand.lower()]
    if model is None:
        return ok(found)
    for m in found:
        if m["model"].lower() == model.lower():
            return ok(m)
    raise ApiError(404, f"Model {brand} {model} not found")


ROUTES = [
    Route("GET", "domains/{domain}/phones", list_phones),
    Route("POST", "domains/{domain}/phones", create_phone),
    Route("PUT", "domains/{domain}/phones", update_phone),
    Route("DELETE", "domains/{domain}/phones", delete_phone),
    Route("GET", "domains/{domain}/phones/{mac}", get_phone),
    Route("GET", "phones/models", list_models),
]
