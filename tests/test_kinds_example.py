"""Issue 3: tenants/example uses every kind; it applies, conforms to the vendor spec, and converges."""

from __future__ import annotations

from pathlib import Path

from skyconf.model.kinds import KINDS
from skyconf.model.targets import target_prefixes
from skyconf.pipeline import Session, apply_runs, load_all, plan_tenants
from skyconf.providers.netsapiens import MAPPINGS
from tests.conformance.openapi_check import SpecChecker

ISSUE_3_KINDS = {
    "contact",
    "user_contact",
    "moh_file",
    "moh_playlist",
    "user_moh_file",
    "user_moh_playlist",
    "conference",
    "call_queue",
    "auto_attendant",
}


async def test_example_applies_conforms_and_converges(workspace: Path, spec_checker: SpecChecker) -> None:
    desired = load_all([workspace / "tenants"])
    async with Session(workspace, record_bodies=True) as session:
        runs = await plan_tenants(session, desired)
        outcomes = await apply_runs(runs)
        assert {o.status for o in outcomes["example"]} == {"done"}, [o.error for o in outcomes["example"]]
        assert spec_checker.check_exchanges(session.sandbox_logs["sandbox"].exchanges) == []

    async with Session(workspace) as session:
        runs = await plan_tenants(session, desired)
        assert runs[0].plan.changes == [], [(c.action, c.kind, c.key, c.changed) for c in runs[0].plan.changes]
        assert runs[0].plan.unmanaged == {}
        await apply_runs(runs)
        assert session.sandbox_logs["sandbox"].writes() == []

    live = runs[0].live
    # Every kind of issue 3 is in the example, and what was written reads back as declared.
    assert {r.kind for r in live} >= ISSUE_3_KINDS and set(KINDS) & set(MAPPINGS) >= ISSUE_3_KINDS
    assert live.get("call_queue", ("400",)).fields["agents"] == ["104", "101"]
    assert live.get("moh_playlist", ("acme.example.com",)).fields["order"][0] == "file:moh/welcome.wav"
    keyed = live.get("contact", ("#courier",))
    assert keyed is not None and keyed.fields["key"] == "courier" and keyed.fields["work"] == "+18005550142"
    assert live.get("user_contact", ("101", "#building-security")) is not None
    menus = live.get("auto_attendant", ("500",)).fields["menus"]
    assert menus["Open Hours"]["3"] == "conference:300" and menus["default"]["2"] == "auto_attendant:501"
    assert live.get("user", ("101",)).fields["caller_id_number"] == "+14165550100"
    assert live.get("user", ("102",)).fields["moh_comfort_repeat"] == 45


def test_example_answering_rules_use_every_target_kind(workspace: Path) -> None:
    (d,) = load_all([workspace / "tenants"])
    used: set[str] = set()
    for r in d.state.of_kind("answer_rule"):
        for name, value in r.fields.items():
            if name.startswith("forward_") and value:
                used.add("number" if value.startswith("+") else value.partition(":")[0])
            if name == "simultaneous_ring" and value:
                used.update("number" if t.startswith("+") else t.partition(":")[0] for t in value["ring"])
    assert used == {*target_prefixes(), "number"}
