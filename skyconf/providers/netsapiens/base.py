"""What every kind's mapping gets: the API, the tenant's scope, and the live state read so far."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from skyconf.plan import Change
from skyconf.providers.netsapiens.api import Api, segment
from skyconf.resources import State


@dataclass
class Context:
    api: Api
    domain: str
    country: str
    desired: State
    # Filled kind by kind during a read, so owned kinds can see which owners exist live.
    live: State
    prune: dict[str, bool]
    # The tenant folder (music-on-hold files are read from it when uploaded).
    folder: Path = Path()
    # Per-run plans a mapping shares between its writes (say, where music-on-hold entries go).
    memo: dict[Any, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"/domains/{segment(self.domain)}"

    def user_path(self, ext: str) -> str:
        return f"{self.base}/users/{segment(ext)}"

    def managed_users(self) -> list[str]:
        """Users whose parts (rules, frames, contacts...) are read: declared here and present live."""
        return sorted(k[0] for k in self.desired.keys("user") & self.live.keys("user"))

    async def user_lists(self, suffix: str) -> dict[str, list[dict[str, Any]]]:
        """One child list (`answerrules`, `timeframes`, ...) of every managed user, fetched concurrently."""
        users = self.managed_users()
        bodies = await asyncio.gather(*(self.api.get(f"{self.user_path(ext)}/{suffix}") for ext in users))
        return {ext: list(body or []) for ext, body in zip(users, bodies, strict=True)}


class Mapping:
    """Per-kind translation between Resources and API calls; subclasses fill in all four."""

    kind: ClassVar[str]

    async def read(self, ctx: Context) -> list[Any]:
        raise NotImplementedError

    async def create(self, ctx: Context, change: Change) -> None:
        raise NotImplementedError

    async def update(self, ctx: Context, change: Change) -> None:
        raise NotImplementedError

    async def delete(self, ctx: Context, change: Change) -> None:
        raise NotImplementedError


def yes(value: bool) -> str:
    return "yes" if value else "no"


def is_yes(value: Any) -> bool:
    return str(value).lower() in ("yes", "true", "1")
