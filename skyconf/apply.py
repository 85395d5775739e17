"""Executes a tenant's plan through a provider connection: phase by phase, changes of a phase
together, each change reported as done, failed or skipped (something it needs did not happen).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from skyconf.errors import SkyconfError
from skyconf.model.kinds import dependency_levels, depends_on, kind
from skyconf.plan import Change, phases
from skyconf.resources import Key

Status = Literal["done", "failed", "skipped"]
# Changes of one phase in progress at once: twice the largest concurrency a profile allows (64), since
# a change may wait between its requests. A task for every change of a phase (8,000 in a cold apply of
# 1,000 users) took a quarter of a second to start, with every lane idle.
IN_PROGRESS = 128


@dataclass
class Outcome:
    change: Change
    status: Status
    error: str = ""


async def apply_changes(
    changes: list[Change],
    write: Callable[[Change], Awaitable[None]],
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Apply every change it can; a failure never stops independent changes, only their dependants."""
    outcomes: list[Outcome] = []
    broken: set[tuple[str, Key]] = set()
    broken_deletes: set[str] = set()

    async def run(change: Change) -> Outcome:
        blocked = _blocked_by(change, broken, broken_deletes)
        if blocked:
            return Outcome(change, "skipped", f"needs {blocked}, which was not applied")
        try:
            await write(change)
        except SkyconfError as exc:
            return Outcome(change, "failed", located(change, str(exc)))
        return Outcome(change, "done")

    def settle(outcome: Outcome) -> None:
        if outcome.status != "done":
            broken.add(outcome.change.ref)
            if outcome.change.action == "delete":
                broken_deletes.add(outcome.change.kind)
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    for group in phases(changes):
        await _in_order(group, run, settle)
    return outcomes


async def _in_order(
    group: list[Change], run: Callable[[Change], Awaitable[Outcome]], settle: Callable[[Outcome], None]
) -> None:
    """Run a phase's changes, IN_PROGRESS at a time, and settle each outcome as soon as those before
    it are settled: progress moves during a long phase, and outcomes keep the plan's order."""
    done: list[Outcome | None] = [None] * len(group)
    todo = iter(enumerate(group))
    settled = 0

    async def worker() -> None:
        nonlocal settled
        for i, change in todo:
            done[i] = await run(change)
            while settled < len(done) and (ready := done[settled]) is not None:
                settle(ready)
                settled += 1

    await asyncio.gather(*(worker() for _ in range(min(IN_PROGRESS, len(group)))))


def _blocked_by(change: Change, broken: set[tuple[str, Key]], broken_deletes: set[str]) -> str:
    if change.action != "delete":
        for ref in sorted(change.needs & broken):
            return f"{kind(ref[0]).title} {kind(ref[0]).label(ref[1])}"
        return ""
    # A delete waits for the deletes of whatever depends on its kind (a time frame outlives its rules).
    level = dependency_levels()
    for other in sorted(broken_deletes):
        if depends_on(kind(other), change.kind) and level[other] > level[change.kind]:
            return f"the deletion of its {kind(other).title}s"
    return ""


def located(change: Change, message: str) -> str:
    """`message` after the YAML position that declared the change (`file:line:col: path: ...`), so a
    refusal points at what to fix; deletes of objects the YAML does not declare have none."""
    return f"{change.source}: {message}" if change.source else message
