"""An imported folder is already in `skyconf fmt`'s layout, and a re-import gives the same bytes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from skyconf.cli.gitops import fmt
from tests.conftest import portal_edit, run
from tests.test_import import DOMAIN, skyconf_import


def fmt_check(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(fmt, [str(folder), "--check"])
    return result.exit_code, result.output


def test_an_import_needs_no_formatting_and_a_reimport_changes_no_byte(workspace: Path) -> None:
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    # Values import cannot write directly (a comma inside a flow mapping, an emoji) go through ruamel: same layout.
    added = {"name-first-name": "Ann", "name-last-name": "Lee, Jr", "phone-number-work": "+14165550112"}
    assert portal_edit("POST", f"/domains/{DOMAIN}/users/101/contacts", added).status_code < 300
    assert portal_edit("PUT", f"/domains/{DOMAIN}/users/103", {"department": "Help \U0001f3a7 Desk"}).status_code < 300

    result = skyconf_import("--domain", DOMAIN, "-o", "tenants/imported")
    assert result.exit_code == 0, result.output
    folder = workspace / "tenants" / "imported"
    files = {p.name: p.read_bytes() for p in folder.glob("*.yaml")}
    assert len(files) == 11
    users = files["users.yaml"].decode()
    assert "last_name: 'Lee, Jr'" in users
    assert 'department: "Help \U0001f3a7 Desk"' in users
    code, output = fmt_check(folder)
    assert code == 0, output

    again = skyconf_import("-o", "tenants/imported")
    assert again.exit_code == 0, again.output
    assert "no file changed" in again.output
    assert {p.name: p.read_bytes() for p in folder.glob("*.yaml")} == files
