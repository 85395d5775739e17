"""Recorded audio callers hear: a user's voicemail greetings and an auto attendant's menu prompts.

A greeting (`users.<ext>.voicemail.greetings.<name>`) and a prompt (`auto_attendants.<ext>.menus.
<frame>.prompt`) are each a WAV file inside the tenant folder (`file:`) or text the PBX speaks
(`tts:`, with an optional `voice` and `language`), as music-on-hold entries are.

The PBX numbers a user's greetings (1, 2, ...; 0 is its system greeting "... is not available") and
the user picks one by number. skyconf names them instead, and the name decides the number, so
nothing has to be remembered to find a greeting again, and a spoken greeting (whose stored text is
what the PBX speaks, with no room for a name) is found exactly as a file is:

- a name of digits is that number (`"2"` is greeting 2: what import writes for greetings recorded
  some other way, and what `greeting: 2` names);
- any other name is the number 1000 + (the first 32 bits of the name's SHA-256) mod 9000, so it stays
  clear of greetings recorded by phone or in the portal (1, 2, ...); two names of one user that land
  on one number are an error (rename one).

`voicemail.greeting` names the greeting that plays: a name from `greetings`, or a number (0 = the
system greeting). Uploads also carry `<name>: <path> sha256:<hex>` as their description, so import
gets the name and path back and a re-read knows which bytes each number holds: an unchanged file is
never uploaded again, a changed one is one upload in place, a changed text is one update in place.
A spoken greeting imports under the name the folder already gives its number, else as its number.
A declared `greetings` list is complete: a greeting of that user it does not name is deleted.

A prompt is a greeting of the attendant's own extension, at the number of the menu's starting
prompt (see the provider). It is part of the attendant (its `prompts` field, time frame -> audio),
so `skyconf simulate` can say what a caller hears.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from skyconf.model.base import Build, Needs, YamlPath
from skyconf.model.kinds import Kind
from skyconf.model.moh import MohEntry, _audio

FIRST_SLOT = 1000
SLOTS = 9000
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


class Greeting(MohEntry):
    """A greeting or a prompt: `{file: path}` or `{tts: text, voice, language}`."""


def greeting_index(name: str) -> int:
    """The PBX's number for a greeting name (see the module docstring)."""
    if name.isdigit():
        return int(name)
    return FIRST_SLOT + int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % SLOTS


def audio_fields(build: Build, entry: MohEntry, path: YamlPath) -> dict[str, Any] | None:
    """The comparable fields of one piece of audio: `{file, sha256}` or `{text[, voice, language]}`;
    None (and a problem) for a file that is missing or not a WAV file."""
    if entry.file is not None:
        found = _audio(build, entry.file, (*path, "file"))
        return None if found is None else {"file": found[0], "sha256": found[1]}
    fields: dict[str, Any] = {"text": entry.tts}
    if entry.voice:
        fields["voice"] = entry.voice
    if entry.language:
        fields["language"] = entry.language
    return fields


def greeting_resources(
    build: Build,
    ext: str,
    greetings: dict[str, Greeting] | None,
    active: int | str | None,
    kinds: tuple[Kind, Kind],
    path: YamlPath,
    needs: Needs,
) -> int | None:
    """A user's greetings (`kinds` = (greeting kind, the set's kind), present only when declared) and
    the number of the greeting that plays (None: not stated, or wrong)."""
    greeting_kind, set_kind = kinds
    slots: dict[int, str] = {}
    if greetings is not None:
        for name, greeting in greetings.items():
            gpath = (*path, "greetings", name)
            if not NAME.match(name) or name.strip("0") == "":
                build.fail(gpath, "a greeting's name is letters, digits, '_', '.' or '-' (up to 40), and not 0")
                continue
            slot = greeting_index(name)
            if slot in slots:
                build.fail(gpath, f"'{name}' and '{slots[slot]}' would be the same greeting number {slot}; rename one")
                continue
            slots[slot] = name
            fields = audio_fields(build, greeting, gpath)
            if fields is not None:
                build.add(greeting_kind, (ext, name), fields, gpath, set(needs))
        names = sorted(slots.values())
        build.add(set_kind, (ext,), {}, (*path, "greetings"), set(needs) | {greeting_kind.ref(ext, n) for n in names})
    if active is None:
        return None
    apath = (*path, "greeting")
    if isinstance(active, str):
        if greetings is None or active not in greetings:
            known = ", ".join(sorted(greetings or {})) or "none declared"
            build.fail(apath, f"no greeting named '{active}' in voicemail.greetings ({known})")
            return None
        return greeting_index(active)
    if active != 0 and greetings is not None and active not in slots:
        build.fail(apath, f"greeting {active} is not one of voicemail.greetings; name one, or 0 for the system's")
        return None
    return active


# --- import: live greetings back into YAML --------------------------------------------------------


def greeting_import_path(fields: dict[str, Any], ext: str, name: str) -> str:
    """Where an uploaded greeting's audio goes in the tenant folder: the path skyconf recorded on the
    PBX, made safe (inside the folder); `greetings/<ext>-<name>.wav` for audio uploaded another way."""
    recorded = str(fields.get("file") or "").replace("\\", "/")
    parts = [p for p in recorded.split("/") if p not in ("", ".", "..")]
    if parts and not parts[0].endswith(":"):
        return "/".join(parts)
    return f"greetings/{ext}-{name}.wav"


def audio_yaml(fields: dict[str, Any], path: str) -> dict[str, Any]:
    """One piece of audio as YAML: spoken (fields with `text`) as `{tts, voice, language}`, else
    `{file: path}`."""
    if fields.get("text") is not None:
        out: dict[str, Any] = {"tts": fields["text"]}
        for name in ("voice", "language"):
            if fields.get(name):
                out[name] = fields[name]
        return out
    return {"file": path}
