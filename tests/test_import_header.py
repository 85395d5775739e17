"""Import: a new folder's files say where they came from; a re-import keeps them byte for byte and
adds what the portal added at the end (contacts too)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import portal_edit, run
from tests.test_import import DOMAIN, skyconf_import


def test_new_files_carry_a_header_that_a_reimport_keeps(workspace: Path) -> None:
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    result = skyconf_import("--domain", DOMAIN, "-o", "tenants/imported")
    assert result.exit_code == 0, result.output
    folder = workspace / "tenants" / "imported"
    files = sorted(folder.glob("*.yaml"))
    assert files
    for path in files:
        second = path.read_text().splitlines()[1]
        assert second.startswith(f"# Imported by `skyconf import` from PBX profile sandbox, domain {DOMAIN}, on 20"), (
            path.name
        )
    before = {p.name: p.read_text() for p in files}

    added = {"name-first-name": "Zoe", "name-last-name": "Young", "phone-number-work": "+14165550111"}
    assert portal_edit("POST", f"/domains/{DOMAIN}/contacts", added).status_code < 300
    again = skyconf_import("-o", "tenants/imported")
    assert again.exit_code == 0, again.output
    after = {p.name: p.read_text() for p in folder.glob("*.yaml")}
    assert {name for name in after if after[name] != before[name]} == {"contacts.yaml"}
    old, new = before["contacts.yaml"], after["contacts.yaml"]
    assert new.startswith(old.rstrip("\n")), "the existing contacts stay as they were"
    assert "Zoe" in new.split(old.rstrip("\n"), 1)[1], "the new contact comes last"
