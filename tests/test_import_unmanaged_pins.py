"""`pin: unmanaged`: the YAML leaves a voicemail PIN to the PBX; plans never touch it and import keeps
the word instead of asking for a variable."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import portal_edit, run
from tests.test_import import skyconf_import, variables

USERS = Path("tenants/example/users.yaml")
PIN_101 = 'pin: "${env:EXAMPLE_101_VM_PIN:-4826}"'
USER_101 = "/domains/acme.example.com/users/101"


def test_an_unmanaged_pin_is_never_planned_and_import_keeps_it(workspace: Path) -> None:
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    text = USERS.read_text()
    assert PIN_101 in text
    USERS.write_text(text.replace(PIN_101, "pin: unmanaged"))
    assert run("validate", "tenants/example").exit_code == 0

    # The user changes their PIN on the phone: no drift, and apply leaves it alone.
    record = portal_edit("GET", USER_101).json()
    record["voicemail-login-pin"] = "9999"
    assert portal_edit("PUT", USER_101, record).status_code in (200, 202)
    plan = run("plan", "tenants/example", "--detailed-exitcode")
    assert plan.exit_code == 0 and "no changes" in plan.output, plan.output
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    assert portal_edit("GET", USER_101).json()["voicemail-login-pin"] == "9999"

    before = USERS.read_text()
    result = skyconf_import("-o", "tenants/example")
    assert result.exit_code == 0, result.output
    assert USERS.read_text() == before
    assert "EXAMPLE_101_VM_PIN" not in variables(result.output)


def test_a_pin_that_is_neither_digits_nor_unmanaged_is_refused(workspace: Path) -> None:
    USERS.write_text(USERS.read_text().replace(PIN_101, "pin: managed"))
    result = run("validate", "tenants/example")
    assert result.exit_code == 1
    assert "users.101.voicemail.pin: a PIN is 4 to 10 digits, or 'unmanaged'" in result.output


def test_import_can_leave_every_voicemail_pin_unmanaged(workspace: Path) -> None:
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    result = skyconf_import("--domain", "acme.example.com", "-o", "tenants/imported", "--unmanaged-pins")
    assert result.exit_code == 0, result.output
    users = (workspace / "tenants" / "imported" / "users.yaml").read_text()
    assert users.count("pin: unmanaged") == 2 and "VM_PIN" not in users
    assert not [v for v in variables(result.output) if v.endswith("VM_PIN")], "only the conference PINs are asked for"
