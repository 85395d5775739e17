"""Answer rules (``/domains/{d}/users/{u}/answerrules``), keyed by time-frame name (``*`` = default).

Order semantics chosen for the sandbox (the spec leaves them open):
- ``*`` always has order 99 and sorts last; other rules are numbered 1, 2, ... in priority order.
- A new rule is appended after the current last non-``*`` rule (``new-position: top`` puts it first).
- Reorder (PUT or POST ``.../reorder``) takes ``[{"time-frame": name}, ...]`` or bare names, must name
  every rule's time frame (``*`` included) and nothing else, and renumbers the non-``*`` rules 1..n.
Reads carry ``order`` and, as live servers do, the same value as ``ordinal-priority``.
Every feature block reads back as ``{"enabled": "yes"|"no", "parameters": [strings]}``.

Writes are checked as a real PBX would: every ``forward-*`` and ``simultaneous-ring`` parameter must be a
known target form naming something that exists in the domain (see targets.py; else 400 quoting the value);
a rule's ``time-frame`` must name a user or domain time frame (or ``*``; else 404). Unknown body keys (the
v1 ``enable``/``time_frame`` some clients send) are ignored; ``new-position: ""`` means no move.

Deleting a time frame that rules still use is accepted (202), as API-NOTES says of real servers: the rules
stay but stop working. Reads show it: such a rule has ``"is-active": false`` and the sandbox's own marker
``"time-frame-exists": "no"`` (``"yes"`` otherwise). Creating a frame with that name again revives the rule,
since rules name their frame.
"""

from __future__ import annotations

from typing import Any

from skyconf.sandbox import targets, timeframes
from skyconf.sandbox.store import Doc
from skyconf.sandbox.users import require_user
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, as_key, now, ok, written

COLLECTION = "answerrule"
DEFAULT_RULE = "*"
DEFAULT_ORDER = 99
FEATURES = (
    "do-not-disturb",
    "call-screening",
    "forward-always",
    "forward-on-active",
    "forward-on-busy",
    "forward-no-answer",
    "forward-when-unregistered",
    "forward-on-dnd",
    "forward-on-spam-call",
    "simultaneous-ring",
    "phone-numbers-to-allow",
    "phone-numbers-to-reject",
)
MSG_INCOMPLETE = "Please provide all timeframes in the new order."
MSG_UNKNOWN = "Not Found. Timeframe input was not found."


def _rules(req: Req) -> list[Doc]:
    return sorted(req.store.docs(req.domain, COLLECTION, req.user), key=lambda r: r["order"])


def _load(req: Req) -> Doc:
    name = req.params["timeframe"]
    rule = req.store.get(req.domain, COLLECTION, req.user, name)
    if rule is None:
        raise ApiError(404, f"Answerrule for timeframe {name} not found")
    return rule


def _save(req: Req, rule: Doc) -> None:
    req.store.put(req.domain, COLLECTION, req.user, rule["time-frame"], rule)


def _frame_exists(req: Req, name: str) -> bool:
    return name == DEFAULT_RULE or bool(
        timeframes.find_by_name(req, req.user, name) or timeframes.find_by_name(req, "", name)
    )


def _view(req: Req, rule: Doc) -> Doc:
    exists = _frame_exists(req, rule["time-frame"])
    out: Doc = {
        "domain": rule["domain"],
        "user": rule["user"],
        "time-frame": rule["time-frame"],
        "enabled": rule["enabled"],
        "is-active": rule["enabled"] == "yes" and exists,
        "time-frame-exists": "yes" if exists else "no",
        "order": rule["order"],
        "ordinal-priority": rule["order"],
    }
    for feature in FEATURES:
        block = rule["features"].get(feature) or {"enabled": "no", "parameters": []}
        out[feature] = {"enabled": block["enabled"], "parameters": list(block["parameters"])}
    return out


def _param(feature: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ApiError(400, f"Invalid parameter in {feature}: {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _check_target(req: Req, feature: str, value: str) -> None:
    if feature in targets.FORWARD_FEATURES:
        targets.check_forward(req, feature, value)
    elif feature == targets.SIM_RING:
        targets.check_sim_ring(req, value)


def _merge_features(req: Req, features: dict[str, Any], body: dict[str, Any]) -> None:
    """Feature blocks merge key by key: a PUT of only ``enabled`` keeps the stored parameters."""
    for feature in FEATURES:
        if feature not in body:
            continue
        raw = body[feature]
        if not isinstance(raw, dict):
            raise ApiError(400, f"{feature} must be an object")
        block = dict(features.get(feature) or {"enabled": "no", "parameters": []})
        if "enabled" in raw:
            if raw["enabled"] not in ("yes", "no"):
                raise ApiError(400, f'Invalid value for {feature}.enabled: expected "yes" or "no"')
            block["enabled"] = raw["enabled"]
        if "parameters" in raw:
            params = raw["parameters"]
            if params is None:
                params = []
            if not isinstance(params, list):
                raise ApiError(400, f"{feature}.parameters must be an array")
            block["parameters"] = [_param(feature, p) for p in params]
            for value in block["parameters"]:
                _check_target(req, feature, value)
        features[feature] = block


def _enabled(body: dict[str, Any], current: str) -> str:
    value = body.get("enabled", current)
    if value not in ("yes", "no"):
        raise ApiError(400, 'Invalid value for enabled: expected "yes" or "no"')
    return str(value)


def _renumber(rules: list[Doc]) -> None:
    """Give the non-* rules 1..n in list order; * stays 99."""
    position = 0
    for rule in rules:
        if rule["time-frame"] == DEFAULT_RULE:
            rule["order"] = DEFAULT_ORDER
        else:
            position += 1
            rule["order"] = position


def _place(req: Req, rule: Doc, position: Any) -> None:
    """Apply ``new-position`` (top/bottom) by renumbering the user's rules."""
    if position in (None, "") or rule["time-frame"] == DEFAULT_RULE:
        return
    if position not in ("top", "bottom"):
        raise ApiError(400, 'Invalid value for new-position: expected "top" or "bottom"')
    others = [r for r in _rules(req) if r["time-frame"] != rule["time-frame"]]
    ordered = [rule, *others] if position == "top" else [*[r for r in others if r["order"] < DEFAULT_ORDER], rule]
    ordered += [r for r in others if r not in ordered]
    _renumber(ordered)
    for r in ordered:
        _save(req, r)


def list_rules(req: Req) -> Reply:
    require_user(req)
    return ok([_view(req, r) for r in _rules(req)])


def count_rules(req: Req) -> Reply:
    require_user(req)
    return ok({"total": req.store.count(req.domain, COLLECTION, req.user)})


def create_rule(req: Req) -> Reply:
    require_user(req)
    body = req.obj()
    if body.get("time-frame") is None:
        raise ApiError(400, "Missing required field time-frame")
    name = as_key(body["time-frame"], "time-frame")
    if req.store.get(req.domain, COLLECTION, req.user, name) is not None:
        raise ApiError(409, f"Answerrule for timeframe {name} already exists")
    if not _frame_exists(req, name):
        raise ApiError(404, f"Timeframe {name} not found")
    if name == DEFAULT_RULE:
        order = DEFAULT_ORDER
    else:
        order = 1 + max((r["order"] for r in _rules(req) if r["time-frame"] != DEFAULT_RULE), default=0)
    stamp = now()
    rule: Doc = {
        "domain": req.domain,
        "user": req.user,
        "time-frame": name,
        "enabled": _enabled(body, "yes"),
        "order": order,
        "features": {},
        "created-datetime": stamp,
        "last-modified-datetime": stamp,
    }
    _merge_features(req, rule["features"], body)
    _save(req, rule)
    _place(req, rule, body.get("new-position"))
    return written(req, _view(req, _reload(req, name)))


def _reload(req: Req, name: str) -> Doc:
    rule = req.store.get(req.domain, COLLECTION, req.user, name)
    assert rule is not None
    return rule


def get_rule(req: Req) -> Reply:
    require_user(req)
    return ok(_view(req, _load(req)))


def update_rule(req: Req) -> Reply:
    require_user(req)
    rule = _load(req)
    body = req.obj()
    rule["enabled"] = _enabled(body, rule["enabled"])
    _merge_features(req, rule["features"], body)
    rule["last-modified-datetime"] = now()
    _save(req, rule)
    _place(req, rule, body.get("new-position"))
    return accepted()


def delete_rule(req: Req) -> Reply:
    require_user(req)
    rule = _load(req)
    req.store.delete(req.domain, COLLECTION, req.user, rule["time-frame"])
    return accepted()


def reorder(req: Req) -> Reply:
    require_user(req)
    if not isinstance(req.body, list):
        raise ApiError(400, MSG_INCOMPLETE)
    names: list[str] = []
    for item in req.body:
        value = item.get("time-frame") if isinstance(item, dict) else item
        if value is None or isinstance(value, bool | dict | list):
            raise ApiError(400, MSG_INCOMPLETE)
        names.append(as_key(value, "time-frame"))
    rules = {r["time-frame"]: r for r in _rules(req)}
    if any(n not in rules for n in names):
        raise ApiError(404, MSG_UNKNOWN)
    if len(set(names)) != len(names) or set(names) != set(rules):
        raise ApiError(400, MSG_INCOMPLETE)
    ordered = [rules[n] for n in names]
    _renumber(ordered)
    for rule in ordered:
        _save(req, rule)
    return accepted()


_BASE = "domains/{domain}/users/{user}/answerrules"
ROUTES = [
    Route("GET", _BASE, list_rules),
    Route("POST", _BASE, create_rule),
    Route("GET", _BASE + "/count", count_rules),
    Route("PUT", _BASE + "/reorder", reorder),
    Route("POST", _BASE + "/reorder", reorder),
    Route("GET", _BASE + "/{timeframe}", get_rule),
    Route("PUT", _BASE + "/{timeframe}", update_rule),
    Route("DELETE", _BASE + "/{timeframe}", delete_rule),
]
