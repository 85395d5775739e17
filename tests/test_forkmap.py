"""split_map: the same results as a plain map, whether a forked child computes half of them or not."""

from __future__ import annotations

import os
import time

import pytest

from skyconf import forkmap


def test_a_forked_half_gives_the_results_a_plain_map_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forkmap, "MIN_ITEMS", 4)
    parent = os.getpid()
    where = forkmap.split_map(lambda n: (n * n, os.getpid() == parent), list(range(10)))
    assert [square for square, _ in where] == [n * n for n in range(10)]
    if forkmap.can_fork():  # the second half was computed elsewhere
        assert [here for _, here in where] == [True] * 5 + [False] * 5


def test_few_items_are_not_worth_a_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    assert forkmap.split_map(lambda n: os.getpid() == parent, list(range(forkmap.MIN_ITEMS - 1))) == [True] * (
        forkmap.MIN_ITEMS - 1
    )


def test_a_child_that_fails_leaves_its_half_to_the_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forkmap, "MIN_ITEMS", 2)
    monkeypatch.setattr(forkmap, "can_fork", lambda: True)
    parent = os.getpid()

    def only_here(n: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("the child fails")
        return n + 1

    assert forkmap.split_map(only_here, [1, 2, 3, 4]) == [2, 3, 4, 5]


def test_an_error_of_the_work_itself_is_raised_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forkmap, "MIN_ITEMS", 2)

    def broken(n: int) -> int:
        if n == 3:
            raise ValueError("item 3")
        return n

    with pytest.raises(ValueError, match="item 3"):
        forkmap.split_map(broken, [1, 2, 3, 4])


@pytest.mark.skipif(not forkmap.can_fork(), reason="needs fork and a second CPU")
def test_a_forked_answer_arrives_or_is_abandoned() -> None:
    parent = os.getpid()
    assert forkmap.Forked(lambda: {"from": os.getpid() != parent}).result() == {"from": True}
    slow = forkmap.Forked(lambda: time.sleep(60) or "late")
    slow.abandon()  # at once, not after a minute
    assert not slow._child.is_alive()
