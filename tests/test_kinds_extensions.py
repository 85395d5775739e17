"""Call queues, auto attendants, conferences and the user settings: small edits are small writes."""

from __future__ import annotations

from pathlib import Path

from skyconf.model.kinds import dependency_levels
from skyconf.pipeline import Session, apply_runs, load_all, plan_tenants
from skyconf.plan import Change, Plan
from skyconf.render.text import render_text
from skyconf.sandbox.log import Exchange
from tests.conformance.openapi_check import SpecChecker

EXAMPLE = Path("tenants") / "example"


def edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / EXAMPLE / file
    text = path.read_text()
    assert old in text, (file, old)
    path.write_text(text.replace(old, new))


async def apply(root: Path) -> tuple[list[Change], list[Exchange]]:
    desired = load_all([root / "tenants"])
    async with Session(root, record_bodies=True) as session:
        runs = await plan_tenants(session, desired)
        outcomes = await apply_runs(runs)
        assert {o.status for o in outcomes["example"]} <= {"done"}, [o.error for o in outcomes["example"]]
        return runs[0].plan.changes, session.sandbox_logs["sandbox"].writes()


async def converged(root: Path) -> None:
    async with Session(root) as session:
        (run,) = await plan_tenants(session, load_all([root / "tenants"]))
        assert run.plan.changes == [], [(c.action, c.kind, c.key, c.changed) for c in run.plan.changes]


def test_queues_attendants_and_conferences_come_before_the_rules_that_target_them() -> None:
    level = dependency_levels()
    for kind in ("call_queue", "auto_attendant", "conference"):
        assert level["user"] < level[kind] < level["answer_rule"], kind
    assert level["call_queue"] < level["auto_attendant"] and level["conference"] < level["auto_attendant"]


async def test_reordering_agents_only_renumbers_them(workspace: Path, spec_checker: SpecChecker) -> None:
    await apply(workspace)
    edit(workspace, "call_queues.yaml", 'agents: ["104", "101"]', 'agents: ["101", "104", "102"]')
    changes, writes = await apply(workspace)
    assert [(c.kind, c.changed) for c in changes] == [("call_queue", ("agents",))]
    assert sorted((w.method, w.path.rsplit("/", 1)[-1]) for w in writes) == [
        ("POST", "agents"),
        ("PUT", "101%40acme.example.com"),
        ("PUT", "104%40acme.example.com"),
    ]
    assert spec_checker.check_exchanges(writes) == []
    await converged(workspace)


async def test_attendant_menu_edits(workspace: Path, spec_checker: SpecChecker) -> None:
    await apply(workspace)
    # Drop option 3 from the Open Hours menu and the whole Holiday menu.
    edit(workspace, "auto_attendants.yaml", '        # 3: the sales bridge\n        "3": "conference:300"\n', "")
    text = (workspace / EXAMPLE / "auto_attendants.yaml").read_text()
    start, end = text.index("      Holiday:"), text.index("      default:")
    (workspace / EXAMPLE / "auto_attendants.yaml").write_text(text[:start] + text[end:])
    changes, writes = await apply(workspace)
    assert [(c.kind, c.key, c.changed) for c in changes] == [("auto_attendant", ("500",), ("menus",))]
    assert sorted(w.method for w in writes) == ["DELETE", "PUT"]
    (put,) = [w for w in writes if w.method == "PUT"]
    assert put.request_body["auto-attendant"]["option-3"] == {"remove": "yes"}
    assert spec_checker.check_exchanges(writes) == []
    await converged(workspace)


async def test_a_conference_pin_change_is_one_masked_update(workspace: Path, spec_checker: SpecChecker) -> None:
    await apply(workspace)
    edit(workspace, "conferences.yaml", "EXAMPLE_CONF_PIN:-2468", "EXAMPLE_CONF_PIN:-2469")
    desired = load_all([workspace / "tenants"])
    async with Session(workspace, record_bodies=True) as session:
        runs = await plan_tenants(session, desired)
        (change,) = runs[0].plan.changes
        assert (change.kind, change.changed) == ("conference", ("participant_pin",))
        text = "\n".join(line for _, line in render_text(Plan([runs[0].plan])))
        assert "participant_pin: (secret) -> (secret)" in text and "2469" not in text
        await apply_runs(runs)
        (put,) = session.sandbox_logs["sandbox"].writes()
        assert put.method == "PUT" and put.request_body == {"participants_pin": "2469"}
        assert spec_checker.check_exchanges([put]) == []
    await converged(workspace)


async def test_voicemail_directory_and_caller_id_settings_round_trip(workspace: Path) -> None:
    await apply(workspace)
    edit(workspace, "users.yaml", "transcription: google", "transcription: deepgram")
    edit(workspace, "users.yaml", "sort: oldest_first", "sort: newest_first")
    edit(workspace, "users.yaml", 'cc: ["102"]', 'cc: ["103", "102"]')
    edit(workspace, "users.yaml", "directory: {listed: true, dial_by_name: true}", "directory: {listed: false}")
    edit(workspace, "users.yaml", 'number: "+1 416 555 0100"', 'number: "(416) 555-0109"')
    changes, writes = await apply(workspace)
    (change,) = changes
    assert set(change.changed) == {
        "voicemail_transcription",
        "voicemail_sort",
        "voicemail_cc",
        "directory_listed",
        "caller_id_number",
    }
    (put,) = writes
    body = put.request_body
    assert (body["voicemail-transcription-enabled"], body["voicemail-playback-sort-newest-to-oldest"]) == (
        "Deepgram",
        "yes",
    )
    assert (body["email-send-alert-new-voicemail-cc-list-csv"], body["caller-id-number"]) == ("102,103", "14165550109")
    assert body["directory-name-visible-in-list-enabled"] == "no"
    await converged(workspace)
