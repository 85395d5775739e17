"""CPU-bound work on both cores: a forked child computes a part while this process goes on.

Import's phone search renders thousands of candidate configurations after the reads, when nothing
else is running, and Python runs them on one core. Where the system can fork and has a second CPU, a
child takes the second half of the items and sends its results back pickled; elsewhere, or for a few
items, everything runs here. The child changes nothing the parent sees, so `fn` returns all that
matters; should the child fail, its half runs here, and the result never depends on the child.
Scoped plans resolve the revision's side of a tenant the same way (`Forked`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
# Below this many items a fork costs more than the half it saves.
MIN_ITEMS = 64


class Forked(Generic[R]):
    """`fn()` computed by a forked child while this process goes on; `result()` waits for it. The
    child runs without the cyclic collector (it exits right after), and a child that fails or dies
    gives None, so `fn` must not return None itself."""

    def __init__(self, fn: Callable[[], R]) -> None:
        context = multiprocessing.get_context("fork")
        self._answer, send = context.Pipe(duplex=False)
        self._child = context.Process(target=_child, args=(send, fn), daemon=True)
        self._child.start()
        send.close()

    def result(self) -> R | None:
        try:
            value: R | None = self._answer.recv()
        except EOFError:  # the child died before answering
            value = None
        self._answer.close()
        self._child.join()
        return value

    def abandon(self) -> None:
        """Stop the child at once (its answer is no longer wanted)."""
        self._child.terminate()
        self._child.join()
        self._answer.close()


def split_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """[fn(item) for item in items], the second half computed by a forked child when that pays; should
    the child fail, its half runs here (raising what the child met, if it does)."""
    if len(items) < MIN_ITEMS or not can_fork():
        return [fn(item) for item in items]
    half = len(items) // 2
    forked = Forked(lambda: [fn(item) for item in items[half:]])
    mine = [fn(item) for item in items[:half]]
    theirs = forked.result()
    if theirs is None:
        theirs = [fn(item) for item in items[half:]]
    return mine + theirs


def can_fork() -> bool:
    """Whether a child can take work in parallel: the system forks, and there is a second CPU."""
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def _child(send: Connection, fn: Callable[[], R]) -> None:
    gc.disable()
    try:
        result: R | None = fn()
    except Exception:
        result = None
    send.send(result)
    send.close()
