"""Auto attendants: ``POST|GET /domains/{d}/autoattendants`` and
``GET|PUT|DELETE /domains/{d}/users/{user}/autoattendants/{prompt}``.

An AA is identified by its extension (``user``) plus the generated starting prompt (``Prompt_100``,
``Prompt_101``, ... per extension); one AA per (user, time-frame) (409 otherwise; ``time-frame``
defaults to ``*``). The ``auto-attendant`` menu tree is stored exactly as given. The AA extension need
not be a user in the sandbox. POST answers 200 + the AA (the spec's only success response; it carries
the generated ``starting-prompt``); PUT and DELETE answer 202.

Menu options (``option-0`` .. ``option-9``, ``option-*``, also in sub-menus) must name what exists:
``to-voicemail`` a user, ``to-callqueue*`` a queue, ``to-connection`` digits; else 400 naming the option and
the destination. ``to-user`` (also the default when only ``destination-user`` is sent) is not checked: it
reaches users, conferences and other attendants, and attendants lead to each other in cycles (a main menu
and its after-hours menu each offering the other), which no creation order could satisfy if the PBX
refused an extension that does not exist yet.

A single read carries ``audio``: the greeting of the attendant's extension whose number is the starting
prompt's (``Prompt_100`` plays greeting 100, as in the spec's read example), when there is one. Deleting
an attendant leaves its greetings (unstated in the spec; a new menu that gets the number again finds
the old audio, which a client then replaces).
"""

from __future__ import annotations

from typing import Any

from skyconf.sandbox import targets
from skyconf.sandbox.moh import _view
from skyconf.sandbox.store import Doc
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, as_key, ok

COLLECTION = "autoattendant"
# The collection of greetings (skyconf.sandbox.greetings), which holds the prompts' audio.
GREETINGS = "greeting"
FIRST_PROMPT = 100


def _check_option(req: Req, key: str, option: dict[str, Any]) -> None:
    if option.get("destination-user") in (None, ""):
        return
    dest = str(option["destination-user"])
    app = str(option.get("destination-application") or "to-user")
    found = True
    if app == "to-voicemail":
        found = targets.has_user(req, dest)
    elif app.startswith("to-callqueue"):
        found = targets.has_queue(req, dest)
    elif app == "to-connection":
        found = dest.isdigit()
    if not found:
        raise ApiError(400, f"Invalid destination {dest} for {app} in {key}: it does not exist in domain {req.domain}")


def _check_tree(req: Req, tree: dict[str, Any]) -> None:
    """Every option of the menu and its sub-menus names something that exists."""
    for key, option in tree.items():
        if not (key.startswith("option-") and isinstance(option, dict)):
            continue
        _check_option(req, key, option)
        sub = option.get("auto-attendant")
        if isinstance(sub, dict):
            _check_tree(req, sub)


def _tree(value: Any) -> dict[str, Any]:
    """The menu tree as stored: options sent as ``{"remove": "yes"}`` are taken out (spec: "If set to yes
    it will remove the option from the menu")."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, "auto-attendant must be an object")
    return {k: v for k, v in value.items() if not (isinstance(v, dict) and v.get("remove") == "yes")}


def _name(value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
        raise ApiError(400, "Missing required field attendant-name")
    return str(value)


def _read_path(domain: str, doc: Doc) -> str:
    return f"/ns-api/v2/domains/{domain}/users/{doc['user']}/autoattendants/{doc['starting-prompt']}"


def list_attendants(req: Req) -> Reply:
    return ok(
        [
            {
                "attendant-name": r.doc["attendant-name"],
                "user": r.doc["user"],
                "time-frame": r.doc["time-frame"],
                "starting-prompt": r.doc["starting-prompt"],
                "read-path": _read_path(req.domain, r.doc),
            }
            for r in req.store.rows(COLLECTION, req.domain)
        ]
    )


def create_attendant(req: Req) -> Reply:
    body = req.obj()
    name = _name(body.get("attendant-name"))
    if body.get("user") is None:
        raise ApiError(400, "Missing required field user")
    user = as_key(body["user"], "user")
    frame = as_key(body.get("time-frame") or "*", "time-frame")
    existing = req.store.docs(req.domain, COLLECTION, user)
    if any(d["time-frame"] == frame for d in existing):
        raise ApiError(409, f"Auto attendant for {user} and time frame {frame} already exists")
    number = 1 + max((int(d["starting-prompt"].split("_")[1]) for d in existing), default=FIRST_PROMPT - 1)
    doc: Doc = {
        "attendant-name": name,
        "user": user,
        "time-frame": frame,
        "starting-prompt": f"Prompt_{number}",
        "auto-attendant": _tree(body.get("auto-attendant")),
    }
    req.store.put(req.domain, COLLECTION, user, doc["starting-prompt"], doc)
    _check_tree(req, doc["auto-attendant"])  # after the put: a menu may lead back to its own extension
    return ok(doc)


def _load(req: Req) -> Doc:
    doc = req.store.get(req.domain, COLLECTION, req.user, req.params["prompt"])
    if doc is None:
        raise ApiError(404, f"Auto attendant {req.user}/{req.params['prompt']} not found")
    return doc


def get_attendant(req: Req) -> Reply:
    doc = _load(req)
    number = str(doc["starting-prompt"]).rpartition("_")[2]
    audio = req.store.get(req.domain, GREETINGS, req.user, number) if number.isdigit() else None
    return ok({**doc, "audio": _view(audio)} if audio is not None else doc)


def update_attendant(req: Req) -> Reply:
    doc = _load(req)
    body = req.obj()
    if "attendant-name" in body:
        doc["attendant-name"] = _name(body["attendant-name"])
    if "auto-attendant" in body:
        doc["auto-attendant"] = _tree(body["auto-attendant"])
        _check_tree(req, doc["auto-attendant"])
    req.store.put(req.domain, COLLECTION, req.user, doc["starting-prompt"], doc)
    return accepted()


def delete_attendant(req: Req) -> Reply:
    doc = _load(req)
    req.store.delete(req.domain, COLLECTION, req.user, doc["starting-prompt"])
    return accepted()


_ONE = "domains/{domain}/users/{user}/autoattendants/{prompt}"
ROUTES = [
    Route("GET", "domains/{domain}/autoattendants", list_attendants),
    Route("POST", "domains/{domain}/autoattendants", create_attendant),
    Route("GET", _ONE, get_attendant),
    Route("PUT", _ONE, update_attendant),
    Route("DELETE", _ONE, delete_attendant),
]
