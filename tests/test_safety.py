"""Issue 7: saved plans apply only what was reviewed; plans over the safety limits need --force."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import portal_edit, run

USERS = Path("tenants/example/users.yaml")


def test_saved_plan_applies_when_nothing_moved(workspace: Path) -> None:
    assert run("plan", "tenants/", "-o", "plan.json").exit_code == 0
    saved = json.loads(Path("plan.json").read_text())
    assert saved["tenants"][0]["folder"] == "tenants/example"
    result = run("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert run("plan", "tenants/", "--detailed-exitcode").exit_code == 0


def test_saved_plan_is_refused_after_a_portal_change(workspace: Path) -> None:
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    USERS.write_text(USERS.read_text().replace("last_name: Diaz", "last_name: Diaz-Lopez"))
    assert run("plan", "tenants/", "-o", "plan.json").exit_code == 0
    edited = portal_edit("PUT", "/domains/acme.example.com/users/102", {"department": "Marketing"})
    assert edited.status_code in (200, 202)
    result = run("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1
    assert "live PBX changed since the plan was made" in result.output
    # Nothing was applied: the reviewed rename is still pending.
    assert "Diaz-Lopez" in run("plan", "tenants/").output


def test_saved_plan_is_refused_after_the_yaml_changed(workspace: Path) -> None:
    assert run("plan", "tenants/", "-o", "plan.json").exit_code == 0
    USERS.write_text(USERS.read_text().replace("last_name: Diaz", "last_name: Diaz-Lopez"))
    result = run("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1 and "YAML or its secrets changed" in result.output


def test_saved_plan_is_refused_after_a_secret_changed(workspace: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    assert run("plan", "tenants/", "-o", "plan.json").exit_code == 0
    assert "918273" not in Path("plan.json").read_text()
    monkeypatch.setenv("EXAMPLE_101_VM_PIN", "111222")
    result = run("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1 and "YAML or its secrets changed" in result.output


def test_mass_deletion_needs_force(workspace: Path) -> None:
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    # Drop user 101's own frame and rules: a few of the tenant's 15 rules go away, within the limit.
    text = USERS.read_text()
    start = text.index("    time_frames:\n      Lunch")
    end = text.index('  "102":')
    USERS.write_text(text[:start] + text[end:])
    plan = run("plan", "tenants/")
    assert "2 to delete" in plan.output and "over the safety limit" not in plan.output
    # Now remove the profile from every user: most rules disappear at once.
    USERS.write_text(USERS.read_text().replace("    profile: office\n", ""))
    refused = run("apply", "tenants/", "--auto-approve")
    assert refused.exit_code == 1
    assert "exceeds the safety limits" in refused.output and "answering rules" in refused.output
    assert run("plan", "tenants/", "--detailed-exitcode").exit_code == 2  # nothing was written
    forced = run("apply", "tenants/", "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    assert run("plan", "tenants/", "--detailed-exitcode").exit_code == 0
