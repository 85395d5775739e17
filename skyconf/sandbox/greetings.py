"""Greetings (``/domains/{d}/users/{u}/greetings[/{index}]``), keyed by index.

The same three body styles as music on hold (multipart ``File``, JSON ``base64_file``, JSON with only
``script`` = text to speech; API-NOTES section 4) and the same ``Audiofile`` answers, with
``filename`` ``greeting-<index>.wav``. The owner is a user or the extension of an auto attendant
(whose prompts are its greetings: ``Prompt_100`` plays greeting 100, see ``autoattendants``). Given
``index`` is used (409 if taken on create); without one, the next free index from 1. ``script`` is
stored exactly as sent.
"""

from __future__ import annotations

from typing import Any

from skyconf.sandbox import autoattendants
from skyconf.sandbox.moh import _audiofile, _fields, _index, _view, _written, count_audio, create_audio, list_audio
from skyconf.sandbox.store import Doc
from skyconf.sandbox.users import COLLECTION as USERS
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, ok

COLLECTION = autoattendants.GREETINGS


def _owner(req: Req) -> str:
    """The extension whose greetings the path names: a user, or an auto attendant's extension."""
    ext = req.user
    if req.store.get(req.domain, USERS, "", ext) is None and not req.store.docs(
        req.domain, autoattendants.COLLECTION, ext
    ):
        raise ApiError(404, f"User {ext} does not exist in domain {req.domain}")
    return ext


def _doc(index: int, values: dict[str, Any], audio: bytes | None, source: str, created: str) -> Doc:
    return {**_audiofile(index, values, audio, source, created), "filename": f"greeting-{index}.wav"}


def _load(req: Req, owner: str) -> Doc:
    index = _index(req.params["index"])
    doc = req.store.get(req.domain, COLLECTION, owner, str(index))
    if doc is None:
        raise ApiError(404, f"Greeting {index} not found")
    return doc


def list_greetings(req: Req) -> Reply:
    return list_audio(req, COLLECTION, _owner(req))


def count_greetings(req: Req) -> Reply:
    return count_audio(req, COLLECTION, _owner(req))


def create_greeting(req: Req) -> Reply:
    return create_audio(req, COLLECTION, _owner(req), "Greeting", _doc)


def get_greeting(req: Req) -> Reply:
    return ok(_view(_load(req, _owner(req))))


def update_greeting(req: Req) -> Reply:
    owner = _owner(req)
    current = _load(req, owner)
    values, audio, source = _fields(req)
    doc = _doc(current["ordinal-order"], values, audio, source, current["created-datetime"])
    req.store.put(req.domain, COLLECTION, owner, str(doc["ordinal-order"]), doc)
    return _written(req, doc)


def delete_greeting(req: Req) -> Reply:
    owner = _owner(req)
    doc = _load(req, owner)
    req.store.delete(req.domain, COLLECTION, owner, str(doc["ordinal-order"]))
    return accepted()


_PREFIX = "domains/{domain}/users/{user}/greetings"
ROUTES = [
    Route("GET", _PREFIX, list_greetings),
    Route("POST", _PREFIX, create_greeting),
    Route("GET", _PREFIX + "/count", count_greetings),
    Route("GET", _PREFIX + "/{index}", get_greeting),
    Route("PUT", _PREFIX + "/{index}", update_greeting),
    Route("DELETE", _PREFIX + "/{index}", delete_greeting),
]
