"""What every kind's mapping gets: the API, the tenant's scope, and the live state read so far."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from skyconf.plan import Change
from skyconf.providers.netsapiens.api import Api, segment
from skyconf.providers.netsapiens.dialect import Dialect
from skyconf.resources import Key, State

T = TypeVar("T")
# Users whose child list one kind reads at once (see Context.per_user); a profile allows up to 64
# requests in flight, shared by the kinds read together.
PER_USER_IN_FLIGHT = 64


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
    # The PBX's wire spelling (the profile's `dialect:` mapping).
    dialect: Dialect = field(default_factory=Dialect)
    # A scoped plan's objects (see skyconf.providers.Scope): nothing else is read. None: read everything.
    only: frozenset[tuple[str, Key]] | None = None

    @property
    def base(self) -> str:
        return f"/domains/{segment(self.domain)}"

    def user_path(self, ext: str) -> str:
        return f"{self.base}/users/{segment(ext)}"

    def managed_users(self, kind: str | None = None) -> list[str]:
        """Users whose parts (rules, frames, contacts...) are read: declared here and present live;
        in a scoped read, only the users listed in it (with `kind`: those whose objects of that kind are)."""
        users = self.desired.keys("user") & self.live.keys("user")
        if self.only is not None:
            wanted = {key[:1] for k, key in self.only if k == (kind or "user")}
            users &= wanted & {key for k, key in self.only if k == "user"}
        return sorted(k[0] for k in users)

    def reads(self, kind: str, key: Key) -> bool:
        """Whether an object is declared and this run reads it in depth (a scoped read: only its own)."""
        if self.desired.get(kind, key) is None:
            return False
        return self.only is None or (kind, key) in self.only

    def scoped_keys(self, kind: str) -> list[Key] | None:
        """The keys of `kind` a scoped read is limited to (sorted), or None when the read is not scoped."""
        return None if self.only is None else sorted(key for k, key in self.only if k == kind)

    async def pages(
        self,
        path: str,
        size: int,
        expected: int,
        ident: Callable[[dict[str, Any]], str],
        convert: Callable[[dict[str, Any]], T],
    ) -> tuple[list[T], bool]:
        """Every item of a list read in pages (`start`, `limit` = size), each `convert`ed as its page
        arrives (so one page's JSON is alive at a time, not the whole list's). The `expected` first
        pages (what the declared objects predict) are asked for together, further ones while pages
        come back full. Returns (items, complete); complete is False when the server ignores `start`
        (a page repeats items of an earlier one), and the items are then those of the first page."""

        async def page(n: int) -> tuple[set[str], list[T], int]:
            items = list(await self.api.get(path, {"start": n * size, "limit": size}) or [])
            return {ident(item) for item in items}, [convert(item) for item in items], len(items)

        pages = list(await asyncio.gather(*(page(n) for n in range(max(expected, 1)))))
        out: list[T] = []
        seen: set[str] = set()
        for n in itertools.count():
            if n == len(pages):
                pages.append(await page(n))
            idents, converted, count = pages[n]
            if idents & seen:
                return out, False
            seen |= idents
            out += converted
            if count < size:
                return out, True
        raise AssertionError("unreachable")

    async def each(self, paths: list[str]) -> list[dict[str, Any]]:
        """One object per path, read concurrently (a scoped read asks by key instead of listing); a
        path answered 404 is left out, and an answer of a one-item list is taken as its item."""
        found = await asyncio.gather(*(self.api.get(path, missing_ok=True) for path in paths))
        items = [item[0] if isinstance(item, list) and item else item for item in found]
        return [item for item in items if isinstance(item, dict)]

    async def per_user(
        self,
        suffix: str,
        convert: Callable[[str, list[dict[str, Any]]], list[T]],
        users: list[str] | None = None,
        *,
        kind: str | None = None,
        keep: bool = True,
    ) -> list[T]:
        """`convert(ext, items)` over one child list (`answerrules`, `timeframes`, ...) of every managed
        user (those of `kind` in a scoped read; or of `users`), fetched concurrently. Each list is
        converted as soon as it arrives, so that work overlaps the requests still in flight instead
        of following the last of them.

        PER_USER_IN_FLIGHT workers take the users in turn: enough to keep every lane busy, where a
        task per user held a task, a coroutine and a future for each of 5,000 users at once.
        `keep=False`: no other mapping reads these lists, so their answers are not kept (Api.get)."""
        exts = self.managed_users(kind) if users is None else users
        parts: list[list[T]] = [[] for _ in exts]
        todo = iter(enumerate(exts))

        async def worker() -> None:
            for i, ext in todo:
                items = await self.api.get(f"{self.user_path(ext)}/{suffix}", keep=keep)
                parts[i] = convert(ext, list(items or []))

        await asyncio.gather(*(worker() for _ in range(min(PER_USER_IN_FLIGHT, len(exts)))))
        return [item for part in parts for item in part]


MAPPINGS: dict[str, Mapping] = {}


class Mapping:
    """Per-kind translation between Resources and API calls; subclasses fill in all four. A subclass
    that names its `kind` is the mapping of that kind (the package imports all its modules)."""

    kind: ClassVar[str]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        if "kind" in cls.__dict__:
            MAPPINGS[cls.kind] = cls()

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
