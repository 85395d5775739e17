"""The generic diff: only declared fields compared, ownership, ordering by kind dependencies."""

from __future__ import annotations

from skyconf.plan import diff, phases
from skyconf.resources import Resource, State


def res(kind: str, key: tuple[str, ...], **fields: object) -> Resource:
    return Resource(kind, key, dict(fields))


def test_only_declared_fields_are_compared() -> None:
    desired = State.of([res("user", ("101",), first_name="Alice", last_name="Chen")])
    live = State.of([res("user", ("101",), first_name="Alice", last_name="Chen", department="Sales")])
    changes, _ = diff(desired, live)
    assert changes == []


def test_update_lists_changed_fields_only() -> None:
    desired = State.of([res("user", ("101",), first_name="Alicia", last_name="Chen")])
    live = State.of([res("user", ("101",), first_name="Alice", last_name="Chen")])
    (change,), _ = diff(desired, live)
    assert (change.action, change.changed) == ("update", ("first_name",))


def test_unmanaged_users_are_counted_not_deleted_unless_pruned() -> None:
    desired = State.of([res("user", ("101",), first_name="A")])
    live = State.of([res("user", ("101",), first_name="A"), res("user", ("199",), first_name="Z")])
    changes, unmanaged = diff(desired, live)
    assert changes == [] and unmanaged == {"user": 1}
    changes, unmanaged = diff(desired, live, {"user": True})
    assert [(c.action, c.key) for c in changes] == [("delete", ("199",))] and unmanaged == {}


def test_rules_of_undeclared_users_are_out_of_reach() -> None:
    desired = State.of([res("user", ("101",), first_name="A")])
    live = State.of(
        [
            res("user", ("101",), first_name="A"),
            res("answer_rule", ("101", "Lunch"), enabled=True),
            res("answer_rule", ("199", "Lunch"), enabled=True),
        ]
    )
    changes, _ = diff(desired, live)
    assert [(c.action, c.key) for c in changes] == [("delete", ("101", "Lunch"))]


def test_writes_follow_dependencies_and_deletes_run_in_reverse() -> None:
    desired = State.of(
        [
            res("answer_rule", ("101", "New"), enabled=True),
            res("user_time_frame", ("101", "New"), always=True),
            res("user", ("101",), first_name="A"),
            res("answer_rule_order", ("101",), order=["New", "default"]),
        ]
    )
    live = State.of(
        [
            res("user", ("102",), first_name="B"),
            res("user", ("101",), first_name="X"),
            res("user_time_frame", ("101", "Old"), always=True),
            res("answer_rule", ("101", "Old"), enabled=True),
        ]
    )
    changes, _ = diff(desired, live, {"user": False})
    order = [(c.action, c.kind) for c in changes]
    assert order == [
        ("update", "user"),
        ("create", "user_time_frame"),
        ("create", "answer_rule"),
        ("create", "answer_rule_order"),
        ("delete", "answer_rule"),
        ("delete", "user_time_frame"),
    ]
    assert [len(p) for p in phases(changes)] == [1, 1, 1, 1, 1, 1]


def test_singletons_are_never_deleted() -> None:
    live = State.of([res("user", ("101",), first_name="A"), res("answer_rule_order", ("101",), order=["default"])])
    desired = State.of([res("user", ("101",), first_name="A")])
    assert diff(desired, live)[0] == []
