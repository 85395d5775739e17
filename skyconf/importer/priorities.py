"""Time-frame priorities for an imported folder: the PBX keeps only each user's rule order, so the
priorities are chosen to reproduce every user's order (and kept as a re-imported folder has them
when they already do)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from skyconf.model.rules import DEFAULT_RULE
from skyconf.model.users import ANSWER_RULE_ORDER

if TYPE_CHECKING:
    from skyconf.importer.build import Builder

MAX_PRIORITY = 98


def assign_priorities(b: Builder) -> None:
    """Priorities that put every user's rules in the PBX's order: domain frames in an order all users
    agree with, each user's own frames in the gaps (keeping the numbers a re-imported folder has, when
    they already give that order)."""
    orders = {ext: rule_order(b, ext) for ext in b.users}
    hint = existing_priorities(b)
    if hint is not None and all(consistent(b, ext, order, hint) for ext, order in orders.items()):
        b.priority = hint
        return
    first_seen: dict[str, int] = {}
    after: dict[str, set[str]] = {name: set() for name in b.frame_fields}
    for order in orders.values():
        shared = [n for n in order if n in b.frame_fields]
        for n in shared:
            first_seen.setdefault(n, len(first_seen))
        for earlier, later in itertools.pairwise(shared):
            after[later].add(earlier)
    sequence: list[str] = []
    pending = sorted(b.frame_fields, key=lambda n: (first_seen.get(n, len(b.frame_fields)), n))
    while pending:
        ready = [n for n in pending if not (after[n] - set(sequence))] or pending[:1]  # a cycle: first seen wins
        sequence.append(ready[0])
        pending.remove(ready[0])
    rank = {name: i for i, name in enumerate(sequence)}
    slots: dict[str, list[list[str]]] = {}
    need = [0] * (len(sequence) + 1)
    for ext in b.users:
        own = b.user_frames.get(ext, {})
        gaps: list[list[str]] = [[] for _ in need]
        slot = 0
        for name in orders.get(ext, []):
            if name in rank:
                slot = max(slot, rank[name] + 1)
            elif name in own:
                gaps[slot].append(name)
        ordered = {n for gap in gaps for n in gap}
        gaps[-1] += sorted(n for n in own if n not in ordered)
        slots[ext] = gaps
        need = [max(a, len(b)) for a, b in zip(need, gaps, strict=True)]
    cursor = 0 if need[0] else 1
    starts: list[int] = []
    for i in range(len(need)):
        starts.append(cursor)
        cursor += need[i]
        if i < len(sequence):
            b.priority[(sequence[i],)] = cursor
            cursor += 1
    for ext, gaps in slots.items():
        for i, names in enumerate(gaps):
            for j, name in enumerate(names):
                b.priority[(ext, name)] = starts[i] + j
    for ext, order in orders.items():
        if not consistent(b, ext, order, b.priority):
            b.notes.append(
                f"user {ext}: the PBX orders this user's rules {', '.join(order)}, against the order the other "
                "users' rules agree on; the folder orders them by priority"
            )
    if cursor - 1 > MAX_PRIORITY:
        b.notes.append("more time frames than priorities (0-98): some priorities were capped")
        b.priority = {k: min(v, MAX_PRIORITY) for k, v in b.priority.items()}


def rule_order(b: Builder, ext: str) -> list[str]:
    order = b.live.get(*ANSWER_RULE_ORDER.ref(ext))
    return [n for n in (order.fields.get("order") or [] if order else []) if n != DEFAULT_RULE]


def existing_priorities(b: Builder) -> dict[tuple[str, ...], int] | None:
    out: dict[tuple[str, ...], int] = {}
    for name in b.frame_fields:
        value = b.existing.get("time_frames", name, "priority")
        if not isinstance(value, int):
            return None
        out[(name,)] = value
    for ext, own in b.user_frames.items():
        for name in own:
            value = b.existing.get("users", ext, "time_frames", name, "priority")
            if not isinstance(value, int):
                return None
            out[(ext, name)] = value
    return out


def consistent(b: Builder, ext: str, order: list[str], priority: dict[tuple[str, ...], int]) -> bool:
    own = b.user_frames.get(ext, {})
    mine = {n: priority[(n,)] for n in b.frame_fields} | {n: priority[(ext, n)] for n in own}
    if len(set(mine.values())) != len(mine):
        return False
    known = [n for n in order if n in mine]
    return known == sorted(known, key=lambda n: mine[n])


def frame_rank(b: Builder, frame: str, ext: str | None = None) -> tuple[int, str]:
    if frame == DEFAULT_RULE:
        return (MAX_PRIORITY + 1, frame)
    key = (ext, frame) if ext is not None and (ext, frame) in b.priority else (frame,)
    return (b.priority.get(key, MAX_PRIORITY), frame)
