"""Issue 6, part 1: `skyconf import` writes a tenant folder from the live PBX that plans to no changes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result

from skyconf.cli import main
from skyconf.cli.importing import import_
from skyconf.model.timeframes import date_yaml, weekly_yaml
from tests.conftest import REPO, SECRETS, portal_edit, run

DOMAIN = "acme.example.com"
# The live values behind the example's secrets (its ${env:...:-fallback}s and the workspace's env).
LIVE_SECRETS = {
    "101_VM_PIN": SECRETS["EXAMPLE_101_VM_PIN"],
    "102_VM_PIN": SECRETS["EXAMPLE_102_VM_PIN"],
    "CONF_300_LEADER_PIN": "5190",
    "CONF_300_PIN": "2468",
}
HEADER = "# yaml-language-server: $schema=../../schemas/tenant.schema.json\n"


def skyconf_import(*args: str) -> Result:
    """`skyconf import ...` (through the group once skyconf.cli registers the command)."""
    from click.testing import CliRunner

    if "import" in main.commands:
        return CliRunner().invoke(main, ["import", *args], catch_exceptions=False)
    return CliRunner().invoke(import_, list(args), catch_exceptions=False)


def variables(output: str) -> list[str]:
    block = output.split("Set these environment variables", 1)[1].split("\n", 1)[1]
    return re.findall(r"^  ([A-Z0-9_]+)$", block.split("\n\n")[0], re.M)


def set_secrets(names: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in names:
        suffix = next(s for s in LIVE_SECRETS if name.endswith("_" + s))
        monkeypatch.setenv(name, LIVE_SECRETS[suffix])


@pytest.fixture
def applied(workspace: Path) -> Path:
    result = run("apply", "tenants/example", "--auto-approve")
    assert result.exit_code == 0, result.output
    return workspace


def test_round_trip_plans_to_no_changes(applied: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = skyconf_import("--pbx", "sandbox", "--domain", DOMAIN, "-o", "tenants/imported", "--country", "CA")
    assert result.exit_code == 0, result.output
    folder = applied / "tenants" / "imported"
    names = variables(result.output)
    assert sorted(names) == [
        "IMPORTED_101_VM_PIN",
        "IMPORTED_102_VM_PIN",
        "IMPORTED_CONF_300_LEADER_PIN",
        "IMPORTED_CONF_300_PIN",
    ]
    texts = {p.name: p.read_text() for p in folder.glob("*.yaml")}
    assert set(texts) == {
        "tenant.yaml",
        "time_frames.yaml",
        "profiles.yaml",
        "users.yaml",
        "contacts.yaml",
        "music_on_hold.yaml",
        "conferences.yaml",
        "call_queues.yaml",
        "auto_attendants.yaml",
        "phones.yaml",
        "phone_numbers.yaml",
    }
    assert all(text.startswith(HEADER) for text in texts.values())
    # Secrets are references, never values; the printed list names the variables only.
    everything = "\n".join(texts.values()) + result.output
    for value in LIVE_SECRETS.values():
        assert not re.search(rf"(?<!\d){value}(?!\d)", everything)
    assert 'pin: "${env:IMPORTED_101_VM_PIN}"' in texts["users.yaml"]
    assert 'leader_pin: "${env:IMPORTED_CONF_300_LEADER_PIN}"' in texts["conferences.yaml"]
    # The audio cannot be downloaded: the output says which file to put where.
    assert "tenants/imported/moh/welcome.wav (missing; sha256 225d98e9cbcc…" in result.output

    shutil.copytree(applied / "tenants" / "example" / "moh", folder / "moh")
    shutil.copytree(applied / "tenants" / "example" / "greetings", folder / "greetings")
    set_secrets(names, monkeypatch)
    plan = run("plan", "tenants/imported", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "no changes" in plan.output


def test_the_import_reads_like_hand_written_yaml(applied: Path) -> None:
    assert skyconf_import("--domain", DOMAIN, "-o", "tenants/imported").exit_code == 0
    folder = applied / "tenants" / "imported"
    frames = (folder / "time_frames.yaml").read_text()
    assert 'mon-fri: ["09:00-17:00"]' in frames
    assert '- {from: "2026-12-24 12:00", to: "2027-01-02 00:00"}' in frames
    assert '- "2026-07-01"' in frames or "- 2026-07-01" in frames  # a holiday comes back as its date
    schema_line, imported_line, rest = (folder / "profiles.yaml").read_text().split("\n", 2)
    assert imported_line.startswith("# Imported by `skyconf import` from PBX profile sandbox, domain acme.example.com")
    profiles = f"{schema_line}\n{rest}"
    # Holiday -> voicemail is what 101, 102 and 103 share; Closed Hours DND two of them.
    assert profiles == (
        HEADER + "profiles:\n"
        "  holiday-voicemail-closed-hours-dnd:\n"
        "    answering_rules:\n"
        '      Holiday: {forward_always: "voicemail:self"}\n'
        "      Closed Hours: {do_not_disturb: true}\n"
    )
    users = (folder / "users.yaml").read_text()
    assert users.count("profile: holiday-voicemail-closed-hours-dnd") == 3
    # 103 keeps only what differs from the profile: its own Closed Hours rule replaces the profile's.
    carol = users.split('"103":', 1)[1].split('"104":', 1)[0]
    assert 'Closed Hours: {forward_always: "user:101"}' in carol and "Holiday" not in carol
    assert 'Lunch: {forward_always: "voicemail:self"}' in users
    assert 'forward_offline: "+14165550101"' in users  # numbers in plain E.164
    phones = (folder / "phones.yaml").read_text()
    assert '- {label: Supplier, target: "contact:Bob Smith"}' in phones
    assert "overrides: {P122: 1}" in phones and "ntp_server: pool.ntp.org" in phones


def test_imported_files_validate_against_the_schema(applied: Path, tmp_path: Path) -> None:
    assert skyconf_import("--domain", DOMAIN, "-o", "tenants/imported").exit_code == 0
    files = sorted(str(p) for p in (applied / "tenants" / "imported").glob("*.yaml"))
    schema = json.loads((REPO / "schemas" / "tenant.schema.json").read_text())
    # A tenant file is a partial document: each alone holds some of the top-level keys.
    partial = tmp_path / "partial.schema.json"
    partial.write_text(json.dumps({k: v for k, v in schema.items() if k != "required"}))
    assert check_jsonschema(partial, files).returncode == 0
    tenant_file = [f for f in files if f.endswith("/tenant.yaml")]
    assert check_jsonschema(REPO / "schemas" / "tenant.schema.json", tenant_file).returncode == 0


def test_each_imported_file_validates_against_the_schema_alone(applied: Path) -> None:
    assert skyconf_import("--domain", DOMAIN, "-o", "tenants/imported").exit_code == 0
    files = sorted(str(p) for p in (applied / "tenants" / "imported").glob("*.yaml"))
    assert check_jsonschema(REPO / "schemas" / "tenant.schema.json", files).returncode == 0


def check_jsonschema(schema: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run([str(tool), "--schemafile", str(schema), *files], capture_output=True, text=True, check=False)


def test_reimport_keeps_comments_and_order_and_takes_portal_changes(
    applied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = skyconf_import("--domain", DOMAIN, "-o", "tenants/imported")
    assert first.exit_code == 0
    users = applied / "tenants" / "imported" / "users.yaml"
    text = users.read_text()
    text = text.replace('  "102":\n', '  # Bob runs sales; ask him before changing his rules.\n  "102":\n', 1)
    text = text.replace("    department: Sales\n", "    department: Sales            # cost centre 4410\n", 1)
    users.write_text(text)
    before = users.read_text()

    assert portal_edit("PUT", f"/domains/{DOMAIN}/users/102", {"department": "Marketing"}).status_code < 300
    contacts = portal_edit("GET", f"/domains/{DOMAIN}/users/101/contacts").json()
    mei = next(c["unique-id"] for c in contacts if c["name-first-name"] == "Mei")
    assert portal_edit("DELETE", f"/domains/{DOMAIN}/users/101/contacts/{mei}").status_code < 300
    again = skyconf_import("-o", "tenants/imported")  # the folder names its domain
    assert again.exit_code == 0, again.output
    assert "wrote tenants/imported/users.yaml" in again.output

    after = users.read_text()
    assert "  # Bob runs sales; ask him before changing his rules.\n" in after
    bob = after.split('"102":', 1)[1].split('"103":', 1)[0]
    assert re.search(r"department: Marketing +# cost centre 4410\n", bob)  # the comment keeps its column
    assert "Mei" not in after
    # Nothing else moved: the only differences are the edit and the contact that is gone.
    changed = [re.sub(r" +", " ", line) for line in _diff(before, after) if line[0] in "+-"]
    assert changed == [
        "- - first_name: Mei",
        "- last_name: Chen",
        "- email: mei.chen@example.org",
        '- cell: "+14165550177"',
        "- department: Sales # cost centre 4410",
        "+ department: Marketing # cost centre 4410",
    ]
    assert "wrote tenants/imported/users.yaml" in again.output and "wrote tenants/imported/phones" not in again.output

    shutil.copytree(applied / "tenants" / "example" / "moh", applied / "tenants" / "imported" / "moh")
    shutil.copytree(applied / "tenants" / "example" / "greetings", applied / "tenants" / "imported" / "greetings")
    set_secrets(variables(again.output), monkeypatch)
    plan = run("plan", "tenants/imported", "--detailed-exitcode")
    assert plan.exit_code == 0, again.output + plan.output


def _diff(a: str, b: str) -> list[str]:
    import difflib

    return [line for line in difflib.ndiff(a.splitlines(), b.splitlines()) if not line.startswith("?")]


def test_reimport_over_the_hand_written_example_changes_nothing(applied: Path) -> None:
    folder = applied / "tenants" / "example"
    before = {p.name: p.read_text() for p in folder.glob("*.yaml")}
    result = skyconf_import("-o", "tenants/example")
    assert result.exit_code == 0, result.output
    assert "no file changed" in result.output
    assert {p.name: p.read_text() for p in folder.glob("*.yaml")} == before
    # Its own variable names are reused (holidays:, the office profile and every comment stay too).
    assert variables(result.output) == [
        "EXAMPLE_101_VM_PIN",
        "EXAMPLE_102_VM_PIN",
        "EXAMPLE_CONF_LEADER_PIN",
        "EXAMPLE_CONF_PIN",
    ]
    assert "A plan of tenants/example against the PBX shows no changes" in result.output


def test_what_the_yaml_cannot_say_is_reported(applied: Path) -> None:
    # Audio uploaded in the portal has no path; a hand edit of a phone's text is not a template's.
    wav = (applied / "tenants" / "example" / "moh" / "welcome.wav").read_bytes()
    import base64

    body = {"synchronous": "yes", "index": 300, "base64_file": base64.b64encode(wav).decode(), "convert": "yes"}
    assert portal_edit("POST", f"/domains/{DOMAIN}/moh", body).status_code < 300
    record = portal_edit("GET", f"/domains/{DOMAIN}/phones/001565aabbcc").json()
    record["device-models-overrides-blob"] = record["device-models-overrides-blob"].replace(
        "account.1.enable = 1\n", ""
    )
    assert portal_edit("PUT", f"/domains/{DOMAIN}/phones", record).status_code < 300
    # The PBX keeps each user's rule order, not the frames' priorities: one user may contradict the rest.
    order = [{"time-frame": f} for f in ("Closed Hours", "Open Hours", "*")]
    assert portal_edit("PUT", f"/domains/{DOMAIN}/users/104/answerrules/reorder", order).status_code < 300

    result = skyconf_import("--domain", DOMAIN, "-o", "tenants/imported")
    assert result.exit_code == 0, result.output
    assert "user 104: the PBX orders this user's rules Closed Hours, Open Hours, against the order" in result.output
    assert "update answering rule order 104 (order)" in result.output
    assert f"tenants/imported/moh/{DOMAIN}-3.wav (missing; uploaded in the portal: download it there" in result.output
    assert "phone 00:15:65:aa:bb:cc: its configuration is not fully recovered (1 line(s) differ)" in result.output
    assert "update phone 001565aabbcc (config)" in result.output


def test_a_folder_of_another_domain_is_refused(applied: Path) -> None:
    result = skyconf_import("--domain", "other.example.com", "-o", "tenants/example")
    assert result.exit_code == 1
    assert "holds domain 'acme.example.com', not 'other.example.com'" in result.output


def test_weekly_ranges_and_dates_group_back() -> None:
    rows = [[d, "09:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")]
    rows += [["sat", "10:00", "12:00"], ["sat", "13:00", "14:00"], ["sun", "09:00", "17:00"]]
    assert weekly_yaml(rows) == {"mon-fri,sun": ["09:00-17:00"], "sat": ["10:00-12:00", "13:00-14:00"]}
    assert date_yaml("2026-12-25 00:00", "2026-12-26 00:00") == "2026-12-25"
    assert date_yaml("2026-12-25 00:00", "2026-12-28 00:00") == {"from": "2026-12-25", "to": "2026-12-27"}
    assert date_yaml("2026-12-24 12:00", "2026-12-25 00:00") == {"from": "2026-12-24 12:00", "to": "2026-12-25 00:00"}


def test_phone_keys_labels_settings_and_overrides_come_back(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    phones = workspace / "tenants" / "example" / "phones.yaml"
    text = phones.read_text()
    text = text.replace(
        '    blf: ["101", "103"]\n  "000b82445566":',
        '    blf: ["101", "103"]\n'
        '    speed_dial: [{label: "R&D <Lab>", target: "+1 613 555 0100"}, {label: Bob, target: "101"}]\n'
        '  "000b82445566":',
    )
    text = text.replace("overrides: {P122: 1}", "overrides: {P122: 1, P30: time.example.com}")
    text = text.replace("phone_settings:\n", "phone_settings:\n  ldap_url: ldap://ldap.acme.example.com\n")
    phones.write_text(text)
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0

    result = skyconf_import("--domain", DOMAIN, "-o", "tenants/imported")
    assert result.exit_code == 0, result.output
    imported = (workspace / "tenants" / "imported" / "phones.yaml").read_text()
    polycom = imported.split('"00:04:f2:11:22:33":', 1)[1].split('"00:0b:82:44:55:66":', 1)[0]
    # A speed dial to a user a BLF key also watches, with its own label; XML-escaped text read back.
    assert polycom.endswith(
        '    speed_dial:\n      - {label: "R&D <Lab>", target: "+16135550100"}\n      - {label: Bob, target: "101"}\n  '
    )
    assert "overrides: {P30: time.example.com, P122: 1}" in imported
    assert 'ldap_url: "ldap://ldap.acme.example.com"' in imported
    assert "not fully recovered" not in result.output

    shutil.copytree(workspace / "tenants" / "example" / "moh", workspace / "tenants" / "imported" / "moh")
    shutil.copytree(workspace / "tenants" / "example" / "greetings", workspace / "tenants" / "imported" / "greetings")
    set_secrets(variables(result.output), monkeypatch)
    plan = run("plan", "tenants/imported", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
