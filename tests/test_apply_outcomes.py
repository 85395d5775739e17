"""apply's failure and skip paths: a refused change fails with its YAML position, what needs it is
skipped, independent changes still run, and a delete waits for the deletes of what depends on it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from skyconf.apply import Outcome, apply_changes
from skyconf.errors import PbxError
from skyconf.model.timeframes import TIME_FRAME
from skyconf.model.users import ANSWER_RULE, ANSWER_RULE_ORDER, USER
from skyconf.pipeline import load_all
from skyconf.plan import Change, diff
from skyconf.resources import Resource, State

EXAMPLE = Path(__file__).resolve().parents[1] / "tenants" / "example"


def run(changes: list[Change], refuse: set[tuple[str, tuple[str, ...]]]) -> dict[tuple[str, tuple[str, ...]], Outcome]:
    written: list[tuple[str, tuple[str, ...]]] = []

    async def write(change: Change) -> None:
        if change.ref in refuse:
            raise PbxError("PBX refused PUT /somewhere: HTTP 400 Invalid destination")
        written.append(change.ref)

    outcomes = asyncio.run(apply_changes(changes, write))
    assert [o.change.ref for o in outcomes if o.status == "done"] == written
    return {o.change.ref: o for o in outcomes}


def test_a_refused_rule_fails_with_its_yaml_position_and_its_order_is_skipped() -> None:
    (desired,) = load_all([EXAMPLE])
    changes, _ = diff(desired.state, State())
    rule = ANSWER_RULE.ref("101", "Open Hours")
    source = desired.state.get(*rule).source  # type: ignore[union-attr]
    assert source is not None

    outcomes = run(changes, {rule})

    failed = outcomes[rule]
    assert failed.status == "failed"
    where = f"{source.file}:{source.line}:{source.column}: {source.path}"
    assert failed.error == f"{where}: PBX refused PUT /somewhere: HTTP 400 Invalid destination"
    assert source.file.endswith(".yaml") and source.path.endswith("answering_rules.Open Hours")
    order = outcomes[ANSWER_RULE_ORDER.ref("101")]
    assert order.status == "skipped"
    assert order.error == "needs answering rule 101 / Open Hours, which was not applied"
    # Independent changes still ran: other users' rules, and 101's other rules.
    assert outcomes[ANSWER_RULE.ref("102", "Open Hours")].status == "done"
    assert outcomes[ANSWER_RULE.ref("101", "default")].status == "done"
    assert {o.status for ref, o in outcomes.items() if ref not in (rule, order.change.ref)} == {"done"}


def test_a_failed_user_skips_everything_of_that_user() -> None:
    (desired,) = load_all([EXAMPLE])
    changes, _ = diff(desired.state, State())
    outcomes = run(changes, {USER.ref("103")})
    skipped = {ref for ref, o in outcomes.items() if o.status == "skipped"}
    assert ANSWER_RULE.ref("103", "default") in skipped
    assert ANSWER_RULE_ORDER.ref("103") in skipped
    assert all(ref[1][0] != "101" for ref in skipped)


def test_a_delete_waits_for_the_deletes_of_what_depends_on_it() -> None:
    live = State.of(
        [
            Resource(USER.name, ("101",), {"first_name": "A"}),
            Resource(TIME_FRAME.name, ("Gone",), {"always": True}),
            Resource(ANSWER_RULE.name, ("101", "Gone"), {"enabled": True}),
        ]
    )
    desired = State.of([Resource(USER.name, ("101",), {"first_name": "A"})])
    changes, _ = diff(desired, live, {TIME_FRAME.name: True})
    assert [(c.action, c.kind) for c in changes] == [("delete", ANSWER_RULE.name), ("delete", TIME_FRAME.name)]

    outcomes = run(changes, {ANSWER_RULE.ref("101", "Gone")})

    rule = outcomes[ANSWER_RULE.ref("101", "Gone")]
    assert rule.status == "failed" and rule.error.startswith("PBX refused")  # a live-only object has no position
    frame = outcomes[TIME_FRAME.ref("Gone")]
    assert frame.status == "skipped"
    assert frame.error == "needs the deletion of its answering rules, which was not applied"
