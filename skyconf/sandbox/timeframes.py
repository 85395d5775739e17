"""Time frames, domain-shared (``/domains/{d}/timeframes``) and per user (``.../users/{u}/timeframes``).

The vendor folds many operations onto one method+path and tells them apart by the body
(API-NOTES section 4); this module implements exactly that dispatch:

- POST collection: create by ``timeframe-type``; arrays that do not fit the type are a 400.
- POST {id}: append entries; PUT {id}: convert (body holds only ``type``/``timeframe-type``),
  update in place (``update-only``/``update_only`` = "yes"; the dialect says which spellings it knows), or
  replace the arrays present.
- DELETE {id}: with ``child_id`` removes one entry, without a body removes the frame.

Frame names are unique per scope (409). Domain frames and user frames are separate lists; answer
rules look a name up in the user's frames first, then the domain's.
"""

from __future__ import annotations

import datetime as _dt
import re
import uuid
from typing import Any

from skyconf.sandbox.store import Doc
from skyconf.sandbox.users import require_user
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, ok, written

COLLECTION = "timeframe"
TYPES = ("always", "days-of-week", "specific-dates", "holiday", "custom")

DATES = "timeframe-specific-dates-array"
HOLIDAYS = "timeframe-holiday-array"
DOW = "timeframe-days-of-week-array"
ARRAYS = (DATES, HOLIDAYS, DOW)
ALLOWED: dict[str, tuple[str, ...]] = {
    "always": (),
    "days-of-week": (DOW,),
    "specific-dates": (DATES,),
    "holiday": (HOLIDAYS,),
    "custom": ARRAYS,
}
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")

_RECURRENCE_END = ("timeframe-recurrence-end-option", "timeframe-recurrence-end-date")
ENTRY_FIELDS: dict[str, tuple[str, ...]] = {
    DATES: (
        "timeframe-specific-dates-begin-date",
        "timeframe-specific-dates-begin-time",
        "timeframe-specific-dates-end-date",
        "timeframe-specific-dates-end-time",
        "timeframe-recurrence-type",
        "timeframe-recurrence-custom-interval",
        "timeframe-recurrence-custom-interval-count",
        "timeframe-recurrence-custom-interval-option",
        *_RECURRENCE_END,
    ),
    HOLIDAYS: (
        "timeframe-holiday-uuid",
        "timeframe-holiday-name",
        "timeframe-holiday-begin-date",
        "country-abbreviation",
        "state-province-abbreviation",
        "holiday-api-location-hint",
        "timeframe-holiday-begin-time-1",
        "timeframe-holiday-end-time-1",
        "timeframe-holiday-begin-time-2",
        "timeframe-holiday-end-time-2",
        *(f"timeframe-weekly-{day}-observance-option" for day in DAYS),
        "timeframe-workweek-list",
        "timeframe-recurrence-type",
        *_RECURRENCE_END,
        "timeframe-expiry-datetime",
    ),
    DOW: (
        *(f"timeframe-weekly-{day}-{edge}-time-{n}" for day in DAYS for n in (1, 2) for edge in ("begin", "end")),
        "timeframe-recurrence-type",
        "timeframe-recurrence-begin-date",
        "timeframe-recurrence-custom-interval",
        "timeframe-recurrence-custom-interval-count",
        "timeframe-recurrence-custom-interval-option",
        *_RECURRENCE_END,
    ),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    DATES: ENTRY_FIELDS[DATES][:4],
    HOLIDAYS: ("timeframe-holiday-uuid", "timeframe-holiday-name", "timeframe-holiday-begin-date"),
    DOW: (),
}
ENTRY_DEFAULTS: dict[str, dict[str, str]] = {
    DATES: {"timeframe-recurrence-type": "doesNotRecur"},
    HOLIDAYS: {"timeframe-recurrence-type": "yearlyOnHoliday", "timeframe-recurrence-end-option": "never"},
    DOW: {"timeframe-recurrence-type": "weekly", "timeframe-recurrence-end-option": "never"},
}
# A holiday updated in place keeps its identity; only schedule fields may change.
HOLIDAY_IDENTITY = ENTRY_FIELDS[HOLIDAYS][:6]
_TIME = re.compile(r"^(?:[01]\d|2[0-3])[0-5]\d$|^2400$")


# ---------------------------------------------------------------- scope helpers


def _parent(req: Req) -> str:
    """ "" for domain frames; the user for user frames (which needs the user to exist)."""
    if "user" in req.params:
        require_user(req)
        return req.user
    return ""


def frames(req: Req, parent: str) -> list[Doc]:
    return req.store.docs(req.domain, COLLECTION, parent)


def find_by_name(req: Req, parent: str, name: str) -> Doc | None:
    return next((f for f in frames(req, parent) if f["timeframe-name"] == name), None)


def _load(req: Req, parent: str) -> Doc:
    frame = req.store.get(req.domain, COLLECTION, parent, req.params["id"])
    if frame is None:
        raise ApiError(404, f"Timeframe {req.params['id']} not found")
    return frame


def _save(req: Req, parent: str, frame: Doc) -> None:
    req.store.put(req.domain, COLLECTION, parent, frame["timeframe-id"], frame)


def _view(frame: Doc) -> Doc:
    """The stored frame plus the read-only per-entry fields (parent id, position, domain)."""
    out = dict(frame)
    for array in ARRAYS:
        entries = []
        for position, entry in enumerate(frame.get(array, []), start=1):
            item = dict(entry)
            item["timeframe-parent-id"] = frame["timeframe-id"]
            item["ordinal-order"] = position
            item["domain"] = frame["domain"]
            item.setdefault("timeframe-next-observance-datetime", [])
            if array != HOLIDAYS:
                item.update({"timeframe-recurrence-rrule": None, "timeframe-is-v1": False})
                item.setdefault("timeframe-expiry-datetime", "")
            entries.append(item)
        out[array] = entries
    return out


# ---------------------------------------------------------------- entry validation


def _text(name: str, value: Any) -> str:
    """Entry fields are strings on the wire; numbers are accepted and stringified."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise ApiError(400, f"Invalid value for {name}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _check_format(name: str, value: str) -> None:
    if value == "":
        return
    if name.endswith(("-time", "-time-1", "-time-2")) and not _TIME.match(value):
        raise ApiError(400, f"Invalid time for {name}: {value!r} (hhmm, 0000-2359 or 2400)")
    if name.endswith("-date") or name == "timeframe-expiry-datetime":
        try:
            _dt.datetime.strptime(value, "%Y%m%d")
        except ValueError:
            raise ApiError(400, f"Invalid date for {name}: {value!r} (YYYYMMDD)") from None


def _entry_values(array: str, raw: Any) -> dict[str, str]:
    """The writable fields of one entry, validated; unknown keys are ignored."""
    if not isinstance(raw, dict):
        raise ApiError(400, f"Entries of {array} must be objects")
    values: dict[str, str] = {}
    for name in ENTRY_FIELDS[array]:
        if name in raw:
            values[name] = _text(name, raw[name])
            _check_format(name, values[name])
    return values


def _new_entry(array: str, raw: Any) -> dict[str, str]:
    values = _entry_values(array, raw)
    missing = [n for n in REQUIRED[array] if not values.get(n)]
    if missing:
        raise ApiError(400, f"Missing required field(s) in {array}: {', '.join(missing)}")
    entry = {"timeframe-id": _entry_id(raw), **{n: "" for n in ENTRY_FIELDS[array]}}
    entry.update(ENTRY_DEFAULTS[array])
    entry.update(values)
    return entry


def _entry_id(raw: dict[str, Any]) -> str:
    given = raw.get("timeframe-id")
    if given in (None, ""):
        return str(uuid.uuid4())
    return _text("timeframe-id", given)


def _arrays_in(body: dict[str, Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for array in ARRAYS:
        if array in body and body[array] is not None:
            if not isinstance(body[array], list):
                raise ApiError(400, f"{array} must be an array")
            found[array] = body[array]
    return found


def _check_fit(kind: str, arrays: dict[str, list[Any]]) -> None:
    for array, entries in arrays.items():
        if entries and array not in ALLOWED[kind]:
            raise ApiError(400, f"{array} does not fit a timeframe of type {kind}")
    if kind == "days-of-week" and len(arrays.get(DOW, [])) > 1:
        raise ApiError(400, "A days-of-week timeframe has exactly one entry")


def _check_unique_ids(frame: Doc) -> None:
    seen: set[str] = set()
    for array in ARRAYS:
        for entry in frame[array]:
            if entry["timeframe-id"] in seen:
                raise ApiError(409, f"Duplicate timeframe-id {entry['timeframe-id']}")
            seen.add(entry["timeframe-id"])


# ---------------------------------------------------------------- handlers


def list_frames(req: Req) -> Reply:
    return ok([_view(f) for f in frames(req, _parent(req))])


def get_frame(req: Req) -> Reply:
    return ok(_view(_load(req, _parent(req))))


def create_frame(req: Req) -> Reply:
    parent = _parent(req)
    body = req.obj()
    name = body.get("timeframe-name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "Missing required field timeframe-name")
    kind = body.get("timeframe-type")
    if kind not in TYPES:
        raise ApiError(400, f"Invalid timeframe-type {kind!r}: expected one of {', '.join(TYPES)}")
    arrays = _arrays_in(body)
    _check_fit(kind, arrays)
    if kind == "days-of-week" and len(arrays.get(DOW, [])) != 1:
        raise ApiError(400, "A days-of-week timeframe needs exactly one entry in timeframe-days-of-week-array")
    if find_by_name(req, parent, name) is not None:
        raise ApiError(409, f"Timeframe {name} already exists")
    frame: Doc = {
        "timeframe-id": str(uuid.uuid4()),
        "timeframe-name": name,
        "timeframe-type": kind,
        "user": parent,
        "domain": req.domain,
        **{array: [_new_entry(array, raw) for raw in arrays.get(array, [])] for array in ARRAYS},
    }
    _check_unique_ids(frame)
    _save(req, parent, frame)
    return written(req, _view(frame))


def add_entries(req: Req) -> Reply:
    parent = _parent(req)
    frame = _load(req, parent)
    arrays = {a: e for a, e in _arrays_in(req.obj()).items() if e}
    if not arrays:
        raise ApiError(400, "No entries to add")
    kind = frame["timeframe-type"]
    _check_fit(kind, arrays)
    if kind == "days-of-week" and len(frame[DOW]) + len(arrays.get(DOW, [])) > 1:
        raise ApiError(400, "A days-of-week timeframe has exactly one entry; update it with PUT")
    for array, entries in arrays.items():
        frame[array].extend(_new_entry(array, raw) for raw in entries)
    _check_unique_ids(frame)
    _save(req, parent, frame)
    return accepted()


def update_frame(req: Req) -> Reply:
    parent = _parent(req)
    frame = _load(req, parent)
    body = req.obj()
    kind = frame["timeframe-type"]
    arrays = _arrays_in(body)
    target = body.get("type", body.get("timeframe-type"))
    if target is not None and not arrays:
        _convert(frame, target)
    else:
        if target is not None and target != kind:
            raise ApiError(400, "Converting a timeframe takes only the new type in the body")
        if not arrays:
            raise ApiError(400, "Nothing to update: no entry arrays and no type in the body")
        _check_fit(kind, arrays)
        if any(body.get(key) == "yes" for key in req.dialect.update_only_keys):
            _update_in_place(frame, arrays)
        else:
            if kind == "days-of-week" and len(arrays.get(DOW, [])) != 1:
                raise ApiError(400, "A days-of-week timeframe needs exactly one entry")
            for array, entries in arrays.items():
                frame[array] = [_new_entry(array, raw) for raw in entries]
    _check_unique_ids(frame)
    _save(req, parent, frame)
    return ok(_view(frame))


def _convert(frame: Doc, target: Any) -> None:
    """Vendor rules: custom converts to nothing; X->custom keeps entries; other changes drop them."""
    kind = frame["timeframe-type"]
    if target not in TYPES:
        raise ApiError(400, f"Invalid timeframe type {target!r}: expected one of {', '.join(TYPES)}")
    if target == kind:
        return
    if kind == "custom":
        raise ApiError(400, "A custom timeframe cannot be converted to another type")
    if target != "custom":
        for array in ARRAYS:
            frame[array] = []
    frame["timeframe-type"] = target


def _update_in_place(frame: Doc, arrays: dict[str, list[Any]]) -> None:
    if frame["timeframe-type"] == "days-of-week":
        entries = arrays.get(DOW, [])
        if len(entries) != 1:
            raise ApiError(400, "A days-of-week timeframe needs exactly one entry")
        frame[DOW] = [_new_entry(DOW, entries[0])]
        return
    for array, entries in arrays.items():
        by_id = {e["timeframe-id"]: e for e in frame[array]}
        for raw in entries:
            if not isinstance(raw, dict) or raw.get("timeframe-id") in (None, ""):
                raise ApiError(400, f"update-only entries in {array} need their timeframe-id")
            entry = by_id.get(_text("timeframe-id", raw["timeframe-id"]))
            if entry is None:
                raise ApiError(404, f"Timeframe entry {raw['timeframe-id']} not found")
            values = _entry_values(array, raw)
            if array == HOLIDAYS and any(n in values and values[n] != entry[n] for n in HOLIDAY_IDENTITY):
                raise ApiError(
                    400,
                    "Only workweek, observance, time-of-day and recurrence of a holiday can be updated; "
                    "delete it and add the other holiday",
                )
            entry.update(values)


def delete_frame(req: Req) -> Reply:
    parent = _parent(req)
    frame = _load(req, parent)
    body = req.body if isinstance(req.body, dict) else {}
    child = body.get("child_id")
    if child in (None, ""):
        req.store.delete(req.domain, COLLECTION, parent, frame["timeframe-id"])
        return accepted()
    child_id = _text("child_id", child)
    for array in ARRAYS:
        kept = [e for e in frame[array] if e["timeframe-id"] != child_id]
        if len(kept) != len(frame[array]):
            frame[array] = kept
            _save(req, parent, frame)
            return accepted()
    raise ApiError(404, f"Timeframe entry {child_id} not found")


def _routes(prefix: str) -> list[Route]:
    return [
        Route("GET", prefix, list_frames),
        Route("POST", prefix, create_frame),
        Route("GET", prefix + "/{id}", get_frame),
        Route("POST", prefix + "/{id}", add_entries),
        Route("PUT", prefix + "/{id}", update_frame),
        Route("DELETE", prefix + "/{id}", delete_frame),
    ]


ROUTES = _routes("domains/{domain}/timeframes") + _routes("domains/{domain}/users/{user}/timeframes")
