"""CPU-bound work over many independent items on both cores: the second half in a forked child.

Import's phone search renders thousands of candidate configurations after the reads, when nothing
else is running, and Python runs them on one core. Where the system can fork and has a second CPU, a
child takes the second half of the items and sends its results back pickled; elsewhere, or for a few
items, everything runs here. The child changes nothing the parent sees, so `fn` returns all that
matters; should the child fail, its half runs here, and the result never depends on the child.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
# Below this many items a fork costs more than the half it saves.
MIN_ITEMS = 64


def split_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """[fn(item) for item in items], the second half computed by a forked child when that pays."""
    if len(items) < MIN_ITEMS or not can_fork():
        return [fn(item) for item in items]
    half = len(items) // 2
    context = multiprocessing.get_context("fork")
    answer, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, fn, items[half:]), daemon=True)
    child.start()
    send.close()
    mine = [fn(item) for item in items[:half]]
    try:
        theirs: list[R] | None = answer.recv()
    except EOFError:  # the child died before answering
        theirs = None
    answer.close()
    child.join()
    if theirs is None:
        theirs = [fn(item) for item in items[half:]]
    return mine + theirs


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def _child(send: Connection, fn: Callable[[T], R], items: Sequence[T]) -> None:
    """The child's half, without the cyclic collector (it exits right after); None when it fails, and
    the parent then does that half itself (raising what the child met, if it does)."""
    gc.disable()
    try:
        results: list[R] | None = [fn(item) for item in items]
    except Exception:
        results = None
    send.send(results)
    send.close()
