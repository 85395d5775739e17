"""Music on hold <-> /domains/{domain}/moh and /domains/{domain}/users/{user}/moh.

Entries on the PBX are addressed by `index` (the play position, the path key). skyconf keys them by
content instead (skyconf.model.moh): uploads carry `<path> sha256:<hex>` in their `script` (the
description the PBX keeps), so a re-read knows which file and which bytes each index holds; spoken
entries are known by their text. Audio goes up as base64 JSON with `convert: yes`.

The API cannot move an entry to another index (no body carries `index` on PUT), and entries play in
index order. So the playlist's order is kept with as few moves as possible: new indexes are spread
out (steps of 100) so later inserts fit between; the entries kept in place are the heaviest chain
already in the wanted order (an uploaded file weighs more than a spoken text, which the PBX makes
again from its text without an upload); only the others move, each by a create at a free index
between its neighbours and a delete of its old index. Created and re-uploaded entries are written
straight to their final index, so they never move afterwards.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from skyconf.model.moh import MOH_FILE, MOH_PLAYLIST, file_key, tts_key
from skyconf.model.users import USER_MOH_FILE, USER_MOH_PLAYLIST
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import ApiError
from skyconf.providers.netsapiens.base import Context, Mapping
from skyconf.providers.netsapiens.media import media_body
from skyconf.resources import Resource

STEP = 100
_SCRIPT = re.compile(r"^(?P<path>.+) sha256:(?P<hex>[0-9a-f]{64})$")


def _weight(key: str, rewritten: bool) -> int:
    """What keeping an entry in place saves: an upload (a file), a remake from text (spoken), or, for
    an entry sent again anyway, just the delete of its old index."""
    if rewritten:
        return 1
    return 1000 if key.startswith("file:") else 10


@dataclass(frozen=True)
class _Scope:
    """The domain's or one user's music on hold."""

    user: str | None
    name: str  # the domain name or the user's extension (the first key part of every resource)

    def path(self, ctx: Context) -> str:
        return f"{ctx.user_path(self.user)}/moh" if self.user is not None else f"{ctx.base}/moh"

    @property
    def entry_kind(self) -> str:
        return "user_moh_file" if self.user is not None else "moh_file"

    @property
    def playlist_kind(self) -> str:
        return "user_moh_playlist" if self.user is not None else "moh_playlist"


def _scopes(ctx: Context, user_scoped: bool) -> list[_Scope]:
    """The scopes the YAML declares music on hold for (others are out of reach and not read)."""
    if not user_scoped:
        declared = ctx.desired.get("moh_playlist", (ctx.domain,)) is not None
        return [_Scope(None, ctx.domain)] if declared else []
    wanted = {r.key[0] for r in ctx.desired.of_kind("user_moh_playlist")}
    return [_Scope(ext, ext) for ext in ctx.managed_users() if ext in wanted]


async def _live_entries(ctx: Context, scope: _Scope) -> list[Resource]:
    items = await ctx.api.get(scope.path(ctx)) or []
    out: list[Resource] = []
    seen: set[str] = set()
    for item in sorted(items, key=_index):
        key, fields, source = _decode(item)
        if key in seen:  # the same file twice: the later copy is an extra entry
            key = f"{key} @{_index(item)}"
        seen.add(key)
        out.append(
            Resource(scope.entry_kind, (scope.name, key), fields, meta={"index": _index(item), "source": source})
        )
    return out


def _index(item: dict[str, Any]) -> int:
    value = item.get("ordinal-order", item.get("index"))
    return int(str(value)) if str(value).lstrip("-").isdigit() else -1


def _decode(item: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """(entry key, fields, source) of a live Audiofile."""
    script = str(item.get("file-script-text") or "")
    m = _SCRIPT.match(script)
    if m:
        return file_key(m.group("path")), {"sha256": m.group("hex")}, "file"
    voice = str(item.get("text-to-speech-voice-id") or "")
    if voice or "tts" in str(item.get("file-source") or "").lower():
        fields = {
            "text": script,
            "voice": voice or None,
            "language": str(item.get("text-to-speech-language") or "") or None,
        }
        return tts_key(script), fields, "tts"
    # Uploaded some other way (say, in the portal): its content is unknown to skyconf.
    return f"index:{_index(item)}", {"sha256": None}, "unknown"


class _EntryMapping(Mapping):
    user_scoped: bool

    def _scope(self, ctx: Context, change: Change) -> _Scope:
        name = change.key[0]
        return _Scope(name if self.user_scoped else None, name)

    async def read(self, ctx: Context) -> list[Resource]:
        lists = await asyncio.gather(*(_live_entries(ctx, scope) for scope in _scopes(ctx, self.user_scoped)))
        return [r for entries in lists for r in entries]

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        scope = self._scope(ctx, change)
        await _write_at(ctx, scope, change.key[1], change.after, _layout(ctx, scope)[change.key[1]])

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        scope = self._scope(ctx, change)
        target = _layout(ctx, scope)[change.key[1]]
        fields = {**(change.before or {}), **change.after}
        if target == change.meta["index"]:
            await ctx.api.request("PUT", f"{scope.path(ctx)}/{target}", json=_content(ctx, change.key[1], fields))
            return
        await _write_at(ctx, scope, change.key[1], fields, target)
        await _drop(ctx, scope, change.meta["index"])

    async def delete(self, ctx: Context, change: Change) -> None:
        scope = self._scope(ctx, change)
        await _drop(ctx, scope, change.meta["index"])


class MohFileMapping(_EntryMapping):
    kind = MOH_FILE.name
    user_scoped = False


class UserMohFileMapping(_EntryMapping):
    kind = USER_MOH_FILE.name
    user_scoped = True


class _PlaylistMapping(Mapping):
    user_scoped: bool

    async def read(self, ctx: Context) -> list[Resource]:
        scopes = _scopes(ctx, self.user_scoped)
        lists = await asyncio.gather(*(_live_entries(ctx, scope) for scope in scopes))
        return [
            Resource(self.kind, (scope.name,), {"order": [r.key[1] for r in entries]})
            for scope, entries in zip(scopes, lists, strict=True)
        ]

    async def create(self, ctx: Context, change: Change) -> None:
        await self.update(ctx, change)

    async def update(self, ctx: Context, change: Change) -> None:
        """Move the entries that are out of place (created and rewritten ones are already in place)."""
        name = change.key[0]
        scope = _Scope(name if self.user_scoped else None, name)
        layout = _layout(ctx, scope)
        rewritten = _rewritten(ctx, scope)
        for key, target in layout.items():
            have = ctx.live.get(scope.entry_kind, (name, key))
            if have is None or key in rewritten or have.meta["index"] == target:
                continue
            await _write_at(ctx, scope, key, have.fields, target)
            await _drop(ctx, scope, have.meta["index"])


class MohPlaylistMapping(_PlaylistMapping):
    kind = MOH_PLAYLIST.name
    user_scoped = False


class UserMohPlaylistMapping(_PlaylistMapping):
    kind = USER_MOH_PLAYLIST.name
    user_scoped = True


async def _write_at(ctx: Context, scope: _Scope, key: str, fields: dict[str, Any], index: int) -> None:
    """Create the entry at `index`; a 409 means an earlier attempt already did (checked, not assumed)."""
    body = {**_content(ctx, key, fields), "index": index}
    made = ctx.api.finds(scope.path(ctx), lambda item: _index(item) == index and _decode(item)[0] == key)
    try:
        await ctx.api.request("POST", scope.path(ctx), json=body, done_already=made)
    except ApiError as exc:
        if exc.status != 409:
            raise
        fresh = await ctx.api.request("GET", scope.path(ctx)) or []
        there = [_decode(item) for item in fresh if _index(item) == index]
        if not there or there[0][0] != key or any(there[0][1].get(k) != v for k, v in fields.items() if v):
            raise
        return


def _content(ctx: Context, key: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The body that sends an entry's content: the audio (base64) or the text to speak."""
    return media_body(ctx, "music on hold", fields, None if key.startswith("tts:") else key.removeprefix("file:"))


async def _drop(ctx: Context, scope: _Scope, index: object) -> None:
    """Remove the entry at `index` (gone already counts as done: a retried delete)."""
    await ctx.api.request("DELETE", f"{scope.path(ctx)}/{index}", missing_ok=True)


def _rewritten(ctx: Context, scope: _Scope) -> set[str]:
    """Entries whose content this apply sends again anyway (so they may land anywhere for free)."""
    out: set[str] = set()
    for want in ctx.desired.under(scope.entry_kind, scope.name):
        have = ctx.live.get(scope.entry_kind, want.key)
        if have is not None and any(have.fields.get(k) != v for k, v in want.fields.items()):
            out.add(want.key[1])
    return out


def _layout(ctx: Context, scope: _Scope) -> dict[str, int]:
    """Where each wanted entry of the scope ends up (computed once per run, shared by all writes)."""
    memo_key = ("moh-layout", scope)
    if memo_key not in ctx.memo:
        ctx.memo[memo_key] = _compute_layout(ctx, scope)
    layout: dict[str, int] = ctx.memo[memo_key]
    return layout


def _compute_layout(ctx: Context, scope: _Scope) -> dict[str, int]:
    live = {r.key[1]: r for r in ctx.live.under(scope.entry_kind, scope.name)}
    wanted = [r.key[1] for r in ctx.desired.under(scope.entry_kind, scope.name)]
    playlist = ctx.desired.get(scope.playlist_kind, (scope.name,))
    order: list[str] | None = playlist.fields.get("order") if playlist else None
    if order is None:  # randomized: keep what is there, add the new ones after it
        order = sorted((k for k in wanted if k in live), key=lambda k: live[k].meta["index"])
        order += sorted(k for k in wanted if k not in live)
    rewritten = _rewritten(ctx, scope)
    weights = {k: _weight(k, k in rewritten) for k in order if k in live}
    occupied = {int(r.meta["index"]) for r in live.values()}
    return plan_positions(order, {k: int(live[k].meta["index"]) for k in weights}, weights, occupied)


def plan_positions(
    order: list[str], current: dict[str, int], weights: dict[str, int], occupied: set[int]
) -> dict[str, int]:
    """Target index per key of `order`: the heaviest chain of `current` positions already in order stays;
    every other key gets a free index between its neighbours (or all move above the top when one does
    not fit). Index 0 (the PBX's intro slot) is never used."""
    keep = _heaviest_chain([k for k in order if k in current], current, weights)
    out: dict[str, int] = {}
    run: list[str] = []
    low = 0
    for key in [*order, None]:
        if key is not None and key not in keep:
            run.append(key)
            continue
        high = current[key] if key is not None else None
        spots = _free(low, high, len(run), occupied)
        if spots is None:
            top = max(occupied | {0})
            return {k: top + STEP * (i + 1) for i, k in enumerate(order)}
        out.update(zip(run, spots, strict=True))
        run = []
        if key is not None:
            out[key] = current[key]
            low = current[key]
    return out


def _heaviest_chain(keys: list[str], current: dict[str, int], weights: dict[str, int]) -> set[str]:
    """The subsequence of `keys` with increasing current positions and the largest total weight."""
    best: list[int] = []
    prev: list[int] = []
    for i, key in enumerate(keys):
        best.append(weights[key])
        prev.append(-1)
        for j in range(i):
            if current[keys[j]] < current[key] and best[j] + weights[key] > best[i]:
                best[i], prev[i] = best[j] + weights[key], j
    if not keys:
        return set()
    i = max(range(len(keys)), key=lambda n: best[n])
    chain: set[str] = set()
    while i >= 0:
        chain.add(keys[i])
        i = prev[i]
    return chain


def _free(low: int, high: int | None, count: int, occupied: set[int]) -> list[int] | None:
    """`count` free indexes above `low` (and below `high`), spread out; None when they do not fit."""
    if count == 0:
        return []
    if high is None:
        spots: list[int] = []
        value = low
        while len(spots) < count:
            value += STEP
            if value not in occupied:
                spots.append(value)
        return spots
    free = [v for v in range(low + 1, min(high, low + 100_000)) if v not in occupied]
    if len(free) < count:
        return None
    return [free[(i + 1) * len(free) // (count + 1)] for i in range(count)]
