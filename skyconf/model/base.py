"""Shared pieces of the tenant models: strict base class, small value types, and what a section's
resource builder gets from resolve."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from skyconf.model.tenant import Tenant
    from skyconf.resources import Key


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
    def tenant(self) -> Tenant: ...

    @property
    def folder(self) -> Path: ...

    def fail(self, path: YamlPath, message: str) -> None: ...

    def where(self, path: YamlPath) -> str:
        """`file:line` of a path, for messages that name another place."""
        ...

    def add(self, kind: str, key: Key, fields: dict[str, Any], path: YamlPath, needs: Needs | None = None) -> None: ...

    def target(
        self, text: str, path: YamlPath, needs: Needs, *, own_extension: str | None = None, kinds: tuple[str, ...]
    ) -> str | None:
        """A forward target in canonical form (references checked, `needs` extended), or None after a problem."""
        ...

    def user_extension(self, ext: str, path: YamlPath, needs: Needs) -> str | None:
        """A declared user's extension (else a problem naming the closest one)."""
        ...
