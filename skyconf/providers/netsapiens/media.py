"""The bodies that send audio content, shared by music on hold and greetings (the spec's `MediaRequest`):
text to speak (`script`, `voice_id`, `voice_language`), or a WAV file as base64 whose `script` carries
its path and content hash, so a later read tells whether the bytes changed (docs/api-evidence.md)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from skyconf.errors import SkyconfError
from skyconf.providers.netsapiens.base import Context


def media_body(ctx: Context, what: str, fields: dict[str, Any], file: str | None, label: str = "") -> dict[str, Any]:
    """`file` None: speak `fields["text"]`; else upload that file of the tenant folder, refusing when its
    bytes are no longer the ones planned. `label` goes before the path in the description."""
    if file is None:
        body: dict[str, Any] = {"synchronous": "yes", "script": fields["text"]}
        if fields.get("voice"):
            body["voice_id"] = fields["voice"]
        if fields.get("language"):
            body["voice_language"] = fields["language"]
        return body
    try:
        data = (ctx.folder / file).read_bytes()
    except OSError as exc:
        raise SkyconfError(f"{what}: cannot read {file}: {exc.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != fields.get("sha256"):
        raise SkyconfError(f"{what}: {file} changed since the plan was made; plan again")
    return {
        "synchronous": "yes",
        "script": f"{label}{file} sha256:{digest}",
        "convert": "yes",
        "encoding": "audio/wav",
        "base64_file": base64.b64encode(data).decode("ascii"),
    }
