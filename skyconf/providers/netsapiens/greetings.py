"""Voicemail greetings and prompt audio <-> /domains/{domain}/users/{user}/greetings[/{index}].

A greeting on the PBX is addressed by its number (`index`, the path key; `ordinal-order` in the
`Audiofile` read back). skyconf's greeting name decides that number (skyconf.model.greetings), so
a create is a POST with `index` set, and a content change is one PUT at the same number. Audio goes
up as base64 JSON with `convert: yes` and, in `script` (kept as `file-script-text`), the description
`<name>: <path> sha256:<hex>`; a spoken greeting's `script` is the text it speaks.

An auto attendant's prompts are greetings of the attendant's extension (the spec's attendant read
shows `starting-prompt: Prompt_100` with `audio.ordinal-order: 100`, a `type=greeting` URL of the
attendant's user); `write_greeting` and `decode_audio` serve the attendant mapping too.
"""

from __future__ import annotations

import re
from typing import Any

from skyconf.model.greetings import greeting_index
from skyconf.model.users import USER_GREETING, USER_GREETINGS
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import ApiError
from skyconf.providers.netsapiens.base import Context, Mapping
from skyconf.providers.netsapiens.media import media_body
from skyconf.resources import Resource

_SCRIPT = re.compile(r"^(?:(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*): )?(?P<path>.+) sha256:(?P<hex>[0-9a-f]{64})$")


def index_of(item: dict[str, Any]) -> int:
    value = item.get("ordinal-order", item.get("index"))
    return int(str(value)) if str(value).lstrip("-").isdigit() else -1


def decode_audio(item: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """(the name recorded in an upload's description, else None; the comparable fields) of an
    Audiofile: `{file, sha256}` for an upload skyconf made, `{text, voice, language}` for a spoken
    one, `{file: None, sha256: None}` for audio recorded or uploaded some other way."""
    script = str(item.get("file-script-text") or "")
    m = _SCRIPT.match(script)
    if m:
        return m.group("name"), {"file": m.group("path"), "sha256": m.group("hex")}
    voice = str(item.get("text-to-speech-voice-id") or "")
    if voice or "tts" in str(item.get("file-source") or "").lower():
        language = str(item.get("text-to-speech-language") or "") or None
        return None, {"text": script, "voice": voice or None, "language": language}
    return None, {"file": None, "sha256": None}


def audio_body(ctx: Context, fields: dict[str, Any], name: str | None) -> dict[str, Any]:
    """The body that sends a greeting's content: the text to speak, or the file (base64) with its
    description (`<name>: <path> sha256:<hex>`; no name for a prompt)."""
    file = None if fields.get("text") is not None else str(fields["file"])
    return media_body(ctx, "greetings", fields, file, f"{name}: " if name else "")


async def write_greeting(
    ctx: Context, ext: str, index: int, fields: dict[str, Any], name: str | None, exists: bool
) -> None:
    """Send greeting `index` of extension `ext`: a PUT when it `exists` live, else a POST at that
    index; a 409 on the POST (made by an earlier attempt, or there already) becomes the PUT."""
    path = f"{ctx.user_path(ext)}/greetings"
    body = audio_body(ctx, fields, name)
    if not exists:
        try:
            await ctx.api.request("POST", path, json={**body, "index": index})
            return
        except ApiError as exc:
            if exc.status != 409:
                raise
    await ctx.api.request("PUT", f"{path}/{index}", json=body)


def _declared(ctx: Context) -> dict[str, dict[int, str]]:
    """User -> greeting number -> declared name, for the users whose YAML declares greetings."""
    wanted = {r.key[0] for r in ctx.desired.of_kind(USER_GREETINGS.name)}
    out: dict[str, dict[int, str]] = {ext: {} for ext in ctx.managed_users() if ext in wanted}
    for r in ctx.desired.of_kind(USER_GREETING.name):
        if r.key[0] in out:
            out[r.key[0]][greeting_index(r.key[1])] = r.key[1]
    return out


def _resources(ext: str, names: dict[int, str], items: list[dict[str, Any]]) -> list[Resource]:
    out: list[Resource] = []
    for item in sorted(items, key=index_of):
        index = index_of(item)
        if index <= 0:  # 0 is the system greeting, not an uploaded one
            continue
        recorded, fields = decode_audio(item)
        name = names.get(index)
        if name is None:
            name = recorded if recorded and greeting_index(recorded) == index else str(index)
        out.append(Resource(USER_GREETING.name, (ext, name), fields, meta={"index": index}))
    return out


class UserGreetingMapping(Mapping):
    kind = USER_GREETING.name

    async def read(self, ctx: Context) -> list[Resource]:
        declared = _declared(ctx)
        return await ctx.per_user(
            "greetings", lambda ext, items: _resources(ext, declared[ext], items), list(declared), keep=False
        )

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext, name = change.key
        await write_greeting(ctx, ext, greeting_index(name), change.after, name, exists=False)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext, name = change.key
        await write_greeting(ctx, ext, int(change.meta["index"]), change.after, name, exists=True)

    async def delete(self, ctx: Context, change: Change) -> None:
        path = f"{ctx.user_path(change.key[0])}/greetings/{change.meta['index']}"
        await ctx.api.request("DELETE", path, missing_ok=True)


class UserGreetingsMapping(Mapping):
    """The set of a user's greetings: nothing on the PBX of its own (it marks whose list is read)."""

    kind = USER_GREETINGS.name

    async def read(self, ctx: Context) -> list[Resource]:
        return [Resource(self.kind, (ext,), {}) for ext in _declared(ctx)]

    async def create(self, ctx: Context, change: Change) -> None:
        return None

    async def update(self, ctx: Context, change: Change) -> None:
        return None

    async def delete(self, ctx: Context, change: Change) -> None:
        return None
