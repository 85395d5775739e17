"""Music on hold, domain (``/domains/{d}/moh``) and user (``.../users/{u}/moh``), keyed by index.

One path takes three body styles (API-NOTES section 4): multipart ``File`` upload, JSON with
``base64_file``, or JSON with only ``script`` (text to speech; the sandbox fakes a short silent WAV).
Only the audio's size and duration are kept, not the bytes. ``script`` is stored exactly as
sent (clients keep a content hash there). Index: given ``index`` is used (409 if taken on create);
without one the next free index after the highest (starting at 1; 0 is the intro slot) is picked.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import wave
from collections.abc import Callable
from typing import Any

from skyconf.sandbox.store import Doc
from skyconf.sandbox.users import require_user
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, Upload, accepted, now, ok

COLLECTION = "moh"
DEFAULT_VOICE = "en-US-Wavenet-C"
DEFAULT_LANGUAGE = "en-US"


def _parent(req: Req) -> str:
    if "user" in req.params:
        require_user(req)
        return req.user
    return ""


def _index(value: Any) -> int:
    if isinstance(value, bool):
        raise ApiError(400, "Invalid value for index")
    try:
        index = int(str(value).strip())
    except ValueError:
        raise ApiError(400, f"Invalid value for index: {value!r}") from None
    if index < 0:
        raise ApiError(400, "index must be >= 0")
    return index


def _fields(req: Req) -> tuple[dict[str, Any], bytes | None, str]:
    """The request's fields, the audio bytes (None for TTS) and the source kind."""
    if req.form is not None:
        values = {k: v for k, v in req.form.items() if not isinstance(v, Upload)}
        upload = req.form.get("File")
        if not isinstance(upload, Upload):
            raise ApiError(400, "Multipart MOH upload needs a File part")
        return values, upload.content, "upload"
    body = req.obj()
    if "base64_file" in body:
        encoded = body["base64_file"]
        if not isinstance(encoded, str):
            raise ApiError(400, "base64_file must be a string")
        try:
            return body, base64.b64decode(encoded, validate=True), "upload"
        except (binascii.Error, ValueError):
            raise ApiError(400, "base64_file is not valid base64") from None
    if "script" not in body:
        raise ApiError(400, "Missing required field script")
    return body, None, "tts"


def _text(values: dict[str, Any], name: str, default: str) -> str:
    value = values.get(name)
    if value is None:
        return default
    if isinstance(value, dict | list | bool):
        raise ApiError(400, f"Invalid value for {name}")
    return str(value)


def _fake_wav(script: str) -> bytes:
    """A silent 8 kHz mono WAV, about one second per 15 characters of script."""
    seconds = max(1, len(script) // 15)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 8000 * seconds)
    return buffer.getvalue()


def _duration(audio: bytes) -> int:
    try:
        with wave.open(io.BytesIO(audio), "rb") as wav:
            return round(wav.getnframes() / wav.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError, struct.error):
        return 0


def _audiofile(index: int, values: dict[str, Any], audio: bytes | None, source: str, created: str) -> Doc:
    script = _text(values, "script", "")
    if audio is None:
        audio = _fake_wav(script)
        voice = _text(values, "voice_id", DEFAULT_VOICE)
        language = _text(values, "voice_language", DEFAULT_LANGUAGE)
    else:
        voice = language = ""
    return {
        "filename": f"moh-{index}.wav",
        "ordinal-order": index,
        "file-duration-seconds": _duration(audio),
        "file-size-kilobytes": f"{len(audio) / 1024:.2f} KB",
        "_size": len(audio),
        "created-datetime": created,
        "file-access-url": "",
        "file-script-text": script,
        "file-source": source,
        "text-to-speech-voice-id": voice,
        "text-to-speech-language": language,
    }


def _view(doc: Doc) -> Doc:
    """Drop internal bookkeeping (keys starting with "_") from a stored Audiofile."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _written(req: Req, doc: Doc) -> Reply:
    return ok(_view(doc)) if req.sync() else accepted()


def list_audio(req: Req, collection: str, parent: str) -> Reply:
    """A list of Audiofiles (music on hold, greetings) in index order."""
    docs = req.store.docs(req.domain, collection, parent)
    return ok([_view(d) for d in sorted(docs, key=lambda d: d["ordinal-order"])])


def count_audio(req: Req, collection: str, parent: str) -> Reply:
    docs = req.store.docs(req.domain, collection, parent)
    return ok({"count": len(docs), "size": sum(d["_size"] for d in docs)})


def create_audio(req: Req, collection: str, parent: str, what: str, make: Callable[..., Doc]) -> Reply:
    """Create an Audiofile at the body's `index` (409 when taken), else after the last one."""
    values, audio, source = _fields(req)
    existing = req.store.docs(req.domain, collection, parent)
    if values.get("index") not in (None, ""):
        index = _index(values["index"])
        if any(d["ordinal-order"] == index for d in existing):
            raise ApiError(409, f"{what} {index} already exists")
    else:
        index = 1 + max((d["ordinal-order"] for d in existing), default=0)
    doc = make(index, values, audio, source, now())
    req.store.put(req.domain, collection, parent, str(index), doc)
    return _written(req, doc)


def list_moh(req: Req) -> Reply:
    return list_audio(req, COLLECTION, _parent(req))


def count_moh(req: Req) -> Reply:
    return count_audio(req, COLLECTION, _parent(req))


def create_moh(req: Req) -> Reply:
    return create_audio(req, COLLECTION, _parent(req), "MOH index", _audiofile)


def _load(req: Req, parent: str) -> Doc:
    index = _index(req.params["index"])
    doc = req.store.get(req.domain, COLLECTION, parent, str(index))
    if doc is None:
        raise ApiError(404, f"MOH index {index} not found")
    return doc


def get_moh(req: Req) -> Reply:
    return ok(_view(_load(req, _parent(req))))


def update_moh(req: Req) -> Reply:
    parent = _parent(req)
    current = _load(req, parent)
    values, audio, source = _fields(req)
    index = current["ordinal-order"]
    doc = _audiofile(index, values, audio, source, current["created-datetime"])
    req.store.put(req.domain, COLLECTION, parent, str(index), doc)
    return _written(req, doc)


def delete_moh(req: Req) -> Reply:
    parent = _parent(req)
    doc = _load(req, parent)
    req.store.delete(req.domain, COLLECTION, parent, str(doc["ordinal-order"]))
    return accepted()


def _routes(prefix: str) -> list[Route]:
    return [
        Route("GET", prefix, list_moh),
        Route("POST", prefix, create_moh),
        Route("GET", prefix + "/count", count_moh),
        Route("GET", prefix + "/{index}", get_moh),
        Route("PUT", prefix + "/{index}", update_moh),
        Route("DELETE", prefix + "/{index}", delete_moh),
    ]


ROUTES = _routes("domains/{domain}/moh") + _routes("domains/{domain}/users/{user}/moh")
