"""Live PBX access. A provider reads a tenant's live state and writes plan changes."""

from __future__ import annotations

from typing import Protocol

from skyconf.plan import Change
from skyconf.resources import State


class TenantConnection(Protocol):
    async def read(self) -> State: ...

    async def write(self, change: Change) -> None: ...
