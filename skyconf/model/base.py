"""Shared pieces of the tenant models: strict base class, small value types, and what a section's
resource builder gets from resolve."""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from skyconf.errors import Problem
    from skyconf.model.kinds import Kind
    from skyconf.model.tenant import TenantBase
    from skyconf.resources import Key, Resource, State


class Strict(BaseModel):
    """Every tenant model rejects unknown keys (the loader turns that into a "did you mean" hint)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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

    def target_ok(self, target: str, ext: str, kinds: tuple[str, ...] | None = None) -> bool:
        """Whether a forward target names something imported (so the YAML may say it)."""
        ...
