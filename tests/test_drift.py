"""Issue 6: a change made by hand in the portal shows as drift: plan exits 2 and says what moved."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import portal_edit, run


def test_portal_edit_is_drift(workspace: Path) -> None:
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    assert run("plan", "tenants/", "--detailed-exitcode").exit_code == 0

    # Someone turns on do-not-disturb for 103's Open Hours rule in the portal.
    edited = portal_edit(
        "PUT",
        "/domains/acme.example.com/users/103/answerrules/Open%20Hours",
        {"do-not-disturb": {"enabled": "yes"}},
    )
    assert edited.status_code == 202

    drift = run("plan", "tenants/", "--detailed-exitcode", "--format", "markdown")
    assert drift.exit_code == 2
    assert drift.output.startswith("<!-- skyconf-plan -->")
    assert "| example | acme.example.com | 0 | 1 | 0 |" in drift.output
    assert "**user 103 (Carol Diaz)**" in drift.output
    assert "do_not_disturb: true -> false" in drift.output

    # Applying the YAML puts it back; the drift is gone.
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    assert run("plan", "tenants/", "--detailed-exitcode").exit_code == 0
