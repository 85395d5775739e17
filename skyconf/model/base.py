"""Shared pieces of the tenant models: strict base class, small value types, and what a section's
resource builder gets from resolve."""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, field_validator

if TYPE_CHECKING:
    from skyconf.errors import Problem
    from skyconf.model.kinds import Kind
    from skyconf.model.tenant import TenantBase
    from skyconf.resources import Key, Resource, State


# Longest text a field takes: a name or label (shown on phones, in portals, in plans), other text.
NAME_LIMIT = 200
TEXT_LIMIT = 1_000
# Control characters (C0 but tab and line breaks, DEL, C1): never meant, and ESC sequences in a name
# would drive the terminal that prints a plan.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidirectional overrides, isolates and marks: they make a name display as something it is not.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BREAK = re.compile("[\t\n\r]")
# Any of the above: most texts have none and are short, and are passed after this one search.
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def text_problem(text: str, *, limit: int = TEXT_LIMIT, multiline: bool = False) -> str | None:
    """What is wrong with a piece of text from the YAML, or None: hostile characters, a line break
    (a tab) in a one-line value, or more characters than `limit`."""
    if len(text) <= limit and not _SUSPECT.search(text):
        return None  # nearly every text: one length check and one search
    for pattern, what in ((_CONTROL, "control character"), (_BIDI, "bidirectional control character")):
        m = pattern.search(text)
        if m:
            return f"{what} U+{ord(m.group()):04X} is not allowed"
    if not multiline:
        m = _BREAK.search(text)
        if m:
            return "a line break is not allowed here" if m.group() != "\t" else "a tab is not allowed here"
    if len(text) > limit:
        return f"longer than {limit:,} characters ({len(text):,})"
    return None


def _limit(field: str) -> int:
    return NAME_LIMIT if field.endswith("name") or field in ("label", "title") else TEXT_LIMIT


class Strict(BaseModel):
    """Every tenant model rejects unknown keys (the loader turns that into a "did you mean" hint), and
    every text in it (values, list items, mapping keys) is checked by `text_problem`: names and labels
    (fields named *name, label, title) to NAME_LIMIT, the rest to TEXT_LIMIT."""

    # A field's description is the docstring under it: one source for the schema, editors and the README.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_attribute_docstrings=True)
    # Fields whose text may span lines (tabs and line breaks allowed).
    multiline_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any, info: Any) -> Any:
        # Runs for every field of every object loaded (5,000 users): the common case stays cheap.
        kind = value.__class__
        if kind is str:
            if len(value) > NAME_LIMIT or _SUSPECT.search(value):
                name = str(info.field_name)
                problem = text_problem(value, limit=_limit(name), multiline=name in cls.multiline_fields)
                if problem:
                    raise ValueError(problem)
        elif kind is list or kind is dict:
            _check_items(cls, value, str(info.field_name))
        return value


def _check_items(model: type[Strict], value: list[Any] | dict[Any, Any], name: str) -> None:
    """Text items of a list, and text values of a mapping (models check themselves; the loader checks
    every mapping key, where it knows the key's own position)."""
    first = next(iter(value.values() if isinstance(value, dict) else value), None)
    if isinstance(first, BaseModel):
        return  # a mapping or list of models (users, contacts): each checked itself
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if item.__class__ is str and (len(item) > NAME_LIMIT or _SUSPECT.search(item)):
            problem = text_problem(item, limit=_limit(name), multiline=name in model.multiline_fields)
            if problem:
                raise ValueError(f"'{key}': {problem}" if isinstance(key, str) else f"item {key + 1}: {problem}")


Extension = str
# Where a value sits in the tenant document: ("users", "101", "voicemail", "pin").
YamlPath = tuple[str | int, ...]
Needs = set[tuple[str, "Key"]]


class Build(Protocol):
    """What a section's builder (model module) gets from resolve: the tenant, its folder, a place to
    report problems (file and line come from the path), a place to put resources, and target checks."""

    @property
    def tenant(self) -> TenantBase: ...

    @property
    def folder(self) -> Path: ...

    @property
    def years(self) -> list[int]:
        """The years holidays expand to when a frame names none (this one and the next)."""
        ...

    def fail(self, path: YamlPath, message: str) -> None: ...

    def report(self, problem: Problem) -> None:
        """A problem with its own position (a phone template's file and line)."""
        ...

    def where(self, path: YamlPath) -> str:
        """`file:line` of a path, for messages that name another place."""
        ...

    def add(self, kind: Kind, key: Key, fields: dict[str, Any], path: YamlPath, needs: Needs | None = None) -> None: ...

    def merge(self, kind: Kind, key: Key, fields: dict[str, Any]) -> None:
        """Add fields to a resource added before (a section that sets some of the domain's settings)."""
        ...

    def target(
        self,
        text: str,
        path: YamlPath,
        needs: Needs,
        *,
        own_extension: str | None = None,
        kinds: tuple[str, ...] | None = None,
        ring_list: bool = False,
    ) -> str | None:
        """A forward target in canonical form (references checked, `needs` extended), or None after a
        problem. `kinds` limits the target prefixes allowed (default: every one); `ring_list` is for a
        simultaneous ring's list, which rings handsets and numbers only."""
        ...

    def user_extension(self, ext: str, path: YamlPath, needs: Needs) -> str | None:
        """A declared user's extension (else a problem naming the closest one)."""
        ...


def unknown(what: str, name: str, known: Any, note: str = "") -> str:
    """`no user extension named '109'; did you mean '101'?`"""
    import difflib

    names = sorted(str(k) for k in known)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"no {what} named '{name}'{note}{hint}"


def check_time_zone(build: Build, name: str, path: YamlPath) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        build.fail(path, f"'{name}' is not an IANA time zone (like America/Toronto)")


class Export(Protocol):
    """What a section's exporter (model module) gets from `skyconf import`: the live state, what
    else is imported (forward targets must name imported objects), secrets as `${env:...}`
    references, and a place for notes about what could not be imported."""

    @property
    def live(self) -> State: ...

    @property
    def users(self) -> list[str]:
        """Extensions of the users that are imported."""
        ...

    @property
    def frames(self) -> list[str]:
        """Names of the domain time frames that are imported, highest priority first."""
        ...

    def note(self, message: str) -> None: ...

    def masked(self, resource: Resource) -> dict[str, Any]:
        """The resource's fields with each secret replaced by an `${env:...}` reference."""
        ...

    def drop_secret(self, reference: Any) -> None:
        """Forget the variables named in `reference` (a value that is not imported after all)."""
        ...

    def validated(self, model: type[BaseModel], data: dict[str, Any], what: str) -> dict[str, Any] | None:
        """`data` checked with `model`: values it refuses are left out and noted; None when nothing is left."""
        ...

    def audio_file(self, path: str, sha256: str | None, who: str) -> None:
        """Note an uploaded file the folder needs at `path` (the API cannot give its audio back)."""
        ...

    def target_ok(self, target: str, ext: str, kinds: tuple[str, ...] | None = None) -> bool:
        """Whether a forward target names something imported (so the YAML may say it)."""
        ...
