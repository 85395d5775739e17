"""Music on hold: the domain's (`music_on_hold:`) and a user's (`users.<ext>.music_on_hold`).

`files` is the ordered playlist. Each entry is an audio file inside the tenant folder (`file:`, a
RIFF/WAVE file of at most 10 MB) or text the PBX speaks (`tts:`, with an optional `voice` and
`language`). Entries are keyed by what they are, not by where they stand: a file by its path, a
spoken text by the text. So an edited file is one upload in place, and a reordered playlist is a
change of the playlist's `order` alone (see the provider for how the PBX's positions are moved).
The file's content is compared through its SHA-256, which the PBX keeps in the entry's description.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import Field, model_validator

from skyconf.model.base import Build, Needs, Strict, YamlPath
from skyconf.model.kinds import Kind, Section, register, register_section
from skyconf.model.tenant import DOMAIN

MAX_AUDIO_BYTES = 10 * 1024 * 1024
_SHORT_TEXT = 48


class MohEntry(Strict):
    """One entry of a music-on-hold playlist: a WAV file or text the PBX speaks."""

    file: str | None = None
    """A WAV file, relative to the tenant folder (e.g. moh/welcome.wav)."""
    tts: str | None = Field(None, min_length=1, max_length=2000)
    """Or text the PBX speaks."""
    voice: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$")
    """Text-to-speech voice (the PBX's default: en-US-Wavenet-C)."""
    language: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    """Text-to-speech language tag, e.g. en-US."""

    @model_validator(mode="after")
    def _one_source(self) -> MohEntry:
        if (self.file is None) == (self.tts is None):
            raise ValueError("an entry is either {file: path} or {tts: text}")
        if self.file is not None and (self.voice or self.language):
            raise ValueError("voice and language apply to tts entries only")
        return self


class MusicOnHold(Strict):
    """Music on hold of the domain: files and spoken text, in order or randomized."""

    randomized: bool | None = None
    """Play the files in random order (then `files` order does not matter and is not enforced)."""
    files: list[MohEntry] = []
    """What callers hear, in order: WAV files and text the PBX speaks."""


class UserMusicOnHold(MusicOnHold):
    """The user's own music on hold (replaces the domain's for calls this user holds)."""

    comfort_repeat_seconds: int | None = Field(None, ge=0, le=3600)
    """Seconds between comfort messages while a caller holds (0-3600; 0 = none)."""


def tts_key(text: str) -> str:
    """The entry key of a spoken text: the text itself, shortened (with a hash) when long."""
    if len(text) <= _SHORT_TEXT:
        return f"tts:{text}"
    return f"tts:{text[:40]}…{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def file_key(relative: str) -> str:
    return f"file:{relative}"


def moh_resources(
    build: Build,
    moh: MusicOnHold,
    kinds: tuple[Kind, Kind],
    owner: str | None,
    path: YamlPath,
    needs: Needs | None = None,
) -> None:
    """The playlist's entries and the playlist itself (its order), as `kinds` (entry kind, playlist
    kind): the domain's, or user `owner`'s (then `needs` names the user)."""
    file_kind, playlist_kind = kinds
    scope = owner if owner is not None else build.tenant.domain
    owner_needs: Needs = set(needs or ())
    keys: list[str] = []
    for i, entry in enumerate(moh.files):
        epath = (*path, "files", i)
        fields: dict[str, Any]
        if entry.file is not None:
            found = _audio(build, entry.file, (*epath, "file"))
            if found is None:
                continue
            relative, digest = found
            key, fields = file_key(relative), {"sha256": digest}
        else:
            assert entry.tts is not None
            key, fields = tts_key(entry.tts), {"text": entry.tts}
            if entry.voice:
                fields["voice"] = entry.voice
            if entry.language:
                fields["language"] = entry.language
        if key in keys:
            build.fail(epath, f"listed twice (also entry {keys.index(key) + 1})")
            continue
        keys.append(key)
        build.add(file_kind, (scope, key), fields, epath, set(owner_needs))
    order: dict[str, Any] = {} if moh.randomized else {"order": keys}
    build.add(playlist_kind, (scope,), order, path, owner_needs | {file_kind.ref(scope, k) for k in keys})


def moh_settings(moh: MusicOnHold) -> dict[str, Any]:
    """Fields of the domain or user object that the music-on-hold section sets."""
    fields: dict[str, Any] = {}
    if moh.randomized is not None:
        fields["moh_randomized"] = moh.randomized
    if isinstance(moh, UserMusicOnHold) and moh.comfort_repeat_seconds is not None:
        fields["moh_comfort_repeat"] = moh.comfort_repeat_seconds
    return fields


def _audio(build: Build, text: str, path: YamlPath) -> tuple[str, str] | None:
    """(path relative to the tenant folder, sha256 of the bytes) of a valid WAV file, else a problem."""
    folder = build.folder.resolve()
    if PurePosixPath(text).is_absolute() or Path(text).is_absolute():
        build.fail(path, f"'{text}' is an absolute path; give a path inside the tenant folder (like moh/hold.wav)")
        return None
    target = (folder / text).resolve()
    if not target.is_relative_to(folder):
        build.fail(path, f"'{text}' is outside the tenant folder; audio files must live inside it")
        return None
    if not target.is_file():
        build.fail(path, f"no such file '{text}' in the tenant folder")
        return None
    size = target.stat().st_size
    if size > MAX_AUDIO_BYTES:
        build.fail(path, f"'{text}' is {size / 1024 / 1024:.1f} MB; the limit is {MAX_AUDIO_BYTES // 1024 // 1024} MB")
        return None
    data = target.read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        build.fail(path, f"'{text}' is not a WAV file (RIFF/WAVE); convert it to WAV first")
        return None
    return target.relative_to(folder).as_posix(), hashlib.sha256(data).hexdigest()


# Music on hold: a playlist per scope (the domain, or a user) owns its entries. The playlist exists in
# the desired state only where the YAML declares music on hold, so an undeclared scope's files are out
# of reach; a declared one's list is complete (entries it does not name are deleted).
_MOH_FILE = Kind("moh_file", "music-on-hold entry", ("domain", "entry"), depends_on=(DOMAIN,), prune_default=True)
MOH_PLAYLIST = register(Kind("moh_playlist", "music on hold", ("domain",), depends_on=(_MOH_FILE,), singleton=True))
MOH_FILE = register(replace(_MOH_FILE, owner=MOH_PLAYLIST))


def _build(build: Build) -> None:
    moh = MUSIC_ON_HOLD.of(build.tenant)
    if moh is not None:
        build.merge(DOMAIN, (build.tenant.domain,), moh_settings(moh))
        moh_resources(build, moh, (MOH_FILE, MOH_PLAYLIST), None, ("music_on_hold",))


# The domain's music on hold.
MUSIC_ON_HOLD: Section[MusicOnHold | None] = register_section(
    Section("music_on_hold", MusicOnHold | None, lambda: None, "music_on_hold.yaml", build=_build, order=40)
)


# --- import: a live playlist back into YAML -------------------------------------------------------


def import_path(key: str, scope: str, position: int) -> str:
    """Where an uploaded entry's audio goes in the tenant folder: the path skyconf recorded on the PBX
    (`file:moh/welcome.wav`), made safe (inside the folder); `moh/<scope>-<n>.wav` for audio uploaded
    some other way (the portal), which carries no path."""
    if key.startswith("file:"):
        parts = [p for p in PurePosixPath(key.removeprefix("file:").replace("\\", "/")).parts if p not in ("/", "..")]
        if parts and not parts[0].endswith(":"):
            return "/".join(parts)
    return f"moh/{scope}-{position}.wav"


def moh_yaml(entries: list[tuple[str, dict[str, Any]]], randomized: bool) -> dict[str, Any]:
    """A playlist as YAML from (path, fields) pairs in play order: spoken entries (fields with `text`) as
    `{tts, voice, language}`, uploads as `{file: path}` (see `import_path`)."""
    files: list[dict[str, Any]] = []
    for path, fields in entries:
        if "text" in fields:
            entry: dict[str, Any] = {"tts": fields["text"]}
            for name in ("voice", "language"):
                if fields.get(name):
                    entry[name] = fields[name]
            files.append(entry)
        else:
            files.append({"file": path})
    return {"randomized": randomized, "files": files}
