"""Issue 2 acceptance: example tenants -> plan -> apply on the sandbox, embedded and served."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skyconf.pipeline import Session, apply_runs, load_all, plan_tenants
from skyconf.schema import SCHEMA_PATH, schema_text
from tests.conformance.openapi_check import SpecChecker
from tests.conftest import REPO, SECRETS, ServedSandbox, run

FORWARD_LINE = 'Closed Hours: {forward_always: "user:101"}'


def edit_forward_target(root: Path) -> None:
    users = root / "tenants" / "example" / "users.yaml"
    text = users.read_text()
    assert FORWARD_LINE in text
    users.write_text(text.replace(FORWARD_LINE, 'Closed Hours: {forward_always: "user:102"}'))


async def test_apply_converges_and_second_apply_writes_nothing(workspace: Path, spec_checker: SpecChecker) -> None:
    desired = load_all([workspace / "tenants"])
    async with Session(workspace, record_bodies=True) as session:
        runs = await plan_tenants(session, desired)
        assert runs[0].plan.counts["create"] > 20
        outcomes = await apply_runs(runs)
        assert {o.status for o in outcomes["example"]} == {"done"}
        log = session.sandbox_logs["sandbox"]
        assert not spec_checker.check_exchanges(log.exchanges)

    async with Session(workspace) as session:
        runs = await plan_tenants(session, desired)
        assert runs[0].plan.changes == []
        await apply_runs(runs)
        log = session.sandbox_logs["sandbox"]
        assert log.exchanges, "the plan read the PBX"
        assert log.writes() == []

    live = runs[0].live
    assert live.get("answer_rule_order", ("101",)).fields["order"] == [
        "Lunch",
        "Holiday",
        "Open Hours",
        "Closed Hours",
        "default",
    ]
    assert live.get("answer_rule", ("101", "Open Hours")).fields["simultaneous_ring"] == {
        "ring": ["+14165550101", "handset:102"],
        "include_extension": True,
        "all_user_phones": True,
        "answer_confirmation": True,
        "delay": 5,
    }


def test_cli_plan_apply_replan_and_one_edit(workspace: Path) -> None:
    first = run("apply", "tenants/", "--auto-approve")
    assert first.exit_code == 0, first.output
    again = run("plan", "tenants/example", "--detailed-exitcode")
    assert again.exit_code == 0 and "no changes" in again.output

    edit_forward_target(workspace)
    changed = run("plan", "tenants/example", "--detailed-exitcode", "--format", "json")
    assert changed.exit_code == 2
    doc = json.loads(changed.output)
    (change,) = doc["tenants"][0]["changes"]
    assert (change["action"], change["kind"], change["key"], change["changed"]) == (
        "update",
        "answer_rule",
        ["103", "Closed Hours"],
        ["forward_always"],
    )
    assert (change["before"]["forward_always"], change["after"]["forward_always"]) == ("user:101", "user:102")


def test_same_flow_over_real_http(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "skyconf.yaml").write_text(
        f"profiles:\n  served:\n    url: {served_sandbox.url}/ns-api/v2\n    api_key_env: SERVED_KEY\n"
    )
    monkeypatch.setenv("SERVED_KEY", served_sandbox.token)
    assert run("apply", "tenants/", "--pbx", "served", "--auto-approve").exit_code == 0
    assert run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode").exit_code == 0
    before = len(served_sandbox.requests())
    assert run("apply", "tenants/", "--pbx", "served", "--auto-approve").exit_code == 0
    second = served_sandbox.requests()[before:]
    assert second and all(r["method"] == "GET" for r in second)

    edit_forward_target(workspace)
    assert run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode").exit_code == 2


def test_wrong_api_key_is_one_clear_error(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "skyconf.yaml").write_text(
        f"profiles:\n  served:\n    url: {served_sandbox.url}/ns-api/v2\n    api_key_env: SERVED_KEY\n"
    )
    monkeypatch.setenv("SERVED_KEY", "not-the-token")
    result = run("plan", "tenants/", "--pbx", "served")
    assert result.exit_code == 1
    assert "HTTP 401" in result.output and "not-the-token" not in result.output
    assert "Traceback" not in result.output


def test_no_secret_in_any_plan_format_or_log(workspace: Path, caplog: pytest.LogCaptureFixture) -> None:
    outputs = []
    for fmt in ("text", "markdown", "json"):
        result = run("-v", "plan", "tenants/", "--format", fmt, "-o", f"plan-{fmt}.json")
        assert result.exit_code == 0
        outputs.append(result.output)
        outputs.append((workspace / f"plan-{fmt}.json").read_text())
    applied = run("-v", "apply", "tenants/", "--auto-approve")
    outputs.append(applied.output)
    outputs.append(caplog.text)
    assert "(secret)" in outputs[0]
    for text in outputs:
        for value in SECRETS.values():
            assert value not in text


def test_schema_file_is_fresh() -> None:
    assert (REPO / SCHEMA_PATH).read_text() == schema_text(), "run `skyconf schema` and commit the result"


def test_example_files_carry_the_schema_header() -> None:
    for path in sorted((REPO / "tenants").glob("*/*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/tenant.schema.json", path
