"""Warnings: legal YAML that likely does not mean what it says. Printed on stderr by validate and
plan, listed in markdown plans, never blocking."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from skyconf.cli import main
from skyconf.load import load_tenant
from skyconf.resolve import resolve
from skyconf.routing import tenant_warnings

FRAMES = Path("tenants/example/time_frames.yaml")
USERS = Path("tenants/example/users.yaml")


def warnings_of(folder: Path) -> list[str]:
    return [str(w) for w in tenant_warnings(resolve(load_tenant(folder)).state)]


def test_the_example_warns_of_rules_behind_an_always_on_frame(workspace: Path) -> None:
    found = warnings_of(workspace / "tenants" / "example")
    assert found == [
        "tenants/example/profiles.yaml:11:7: profiles.office.answering_rules.default: warning: profile office's "
        "rule 'default' can never apply (for user 101): time frame 'Closed Hours' is always active and comes first",
        "tenants/example/users.yaml:67:7: users.102.answering_rules.default: warning: user 102's rule 'default' "
        "can never apply (for user 102): time frame 'Closed Hours' is always active and comes first",
        "tenants/example/users.yaml:78:7: users.103.answering_rules.default: warning: user 103's rule 'default' "
        "can never apply (for user 103): time frame 'Closed Hours' is always active and comes first",
        "tenants/example/users.yaml:79:3: users.104: warning: user 104 has no rule for time frame 'Holiday', "
        "which 3 of 4 users have",
    ]


def test_a_disabled_always_on_rule_hides_nothing(workspace: Path) -> None:
    """104's Closed Hours rule is disabled, so its default applies: no warning for it."""
    assert not [w for w in warnings_of(workspace / "tenants" / "example") if "(for user 104)" in w]


def test_a_frame_no_rule_uses(workspace: Path) -> None:
    FRAMES.write_text(FRAMES.read_text() + '  Fire Drill:\n    priority: 9\n    dates: ["2026-12-30"]\n')
    found = warnings_of(workspace / "tenants" / "example")
    assert (
        "tenants/example/time_frames.yaml:16:3: time_frames.Fire Drill: warning: time frame 'Fire Drill' "
        "has no rule: no user or menu uses it" in found
    )


def test_a_user_frame_without_its_rule(workspace: Path) -> None:
    rule = '      Lunch: {forward_always: "voicemail:self"}\n'
    assert rule in USERS.read_text()
    USERS.write_text(USERS.read_text().replace(rule, ""))
    found = warnings_of(workspace / "tenants" / "example")
    assert any("users.101.time_frames.Lunch: warning: user 101's time frame 'Lunch' has no rule" in w for w in found)


def test_validate_and_plan_print_warnings_on_stderr_and_succeed(workspace: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["validate", "tenants/example"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "can never apply" in result.stderr and "can never apply" not in result.stdout
    assert result.stdout.strip() == "example: ok (54 objects)\nphone templates: templates (example)"
    text = runner.invoke(main, ["plan", "tenants/example"], catch_exceptions=False)
    assert text.exit_code == 0
    assert "user 104 has no rule for time frame 'Holiday'" in text.stderr
    assert "warning" not in text.stdout
    # Markdown and JSON plans carry the warnings in the document, so stdout stays one document.
    plan = runner.invoke(main, ["plan", "tenants/example", "--format", "markdown"], catch_exceptions=False)
    assert plan.exit_code == 0 and plan.stderr == ""
    doc = runner.invoke(main, ["plan", "tenants/example", "--format", "json"], catch_exceptions=False)
    assert len(json.loads(doc.stdout)["tenants"][0]["warnings"]) == 4
    listed = [line for line in plan.stdout.splitlines() if line.startswith("- :warning: ")]
    assert len(listed) == 4 and "users.yaml:79:3: users.104" in listed[-1]
