"""Bad input in the issue-3 sections: one clear `FILE:LINE:COL: field: message` line, nothing sent to the PBX."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import run

BASE = """\
domain: broken.example.com
country: CA
time_zone: America/Toronto
time_frames:
  Open Hours: {priority: 2, weekly: {mon-fri: ["09:00-17:00"]}}
users:
  "101": {first_name: Alice, last_name: Chen}
  "102": {first_name: Bob, last_name: Martin}
"""  # 8 lines: the case's own YAML starts at line 9 of tenant.yaml
PROBLEM = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+):(?P<col>\d+): (?P<field>\S+): (?P<message>.+)$")

CASES: dict[str, tuple[str, dict[str, bytes], str]] = {
    "missing-audio": (
        "music_on_hold:\n  files:\n    - {file: moh/missing.wav}\n",
        {},
        "tenant.yaml:11:8: music_on_hold.files.0.file: no such file 'moh/missing.wav' in the tenant folder",
    ),
    "not-a-wav": (
        "music_on_hold:\n  files:\n    - {tts: Hello}\n    - {file: moh/song.mp3}\n",
        {"moh/song.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00 not a wave file"},
        "tenant.yaml:12:8: music_on_hold.files.1.file: 'moh/song.mp3' is not a WAV file (RIFF/WAVE)",
    ),
    "audio-outside-the-folder": (
        "music_on_hold:\n  files: [{file: ../shared.wav}]\n",
        {"../shared.wav": b"RIFF\x24\x00\x00\x00WAVEfmt "},
        "tenant.yaml:10:12: music_on_hold.files.0.file: '../shared.wav' is outside the tenant folder",
    ),
    "pin-not-digits": (
        'conferences:\n  "300":\n    name: Bridge\n    leader_pin: "12ab"\n',
        {},
        "tenant.yaml:12:5: conferences.300.leader_pin: a PIN is digits only, 3 to 12 of them",
    ),
    "duplicate-conference": (
        'conferences:\n  "300": {name: Sales}\n  "301": {name: Support}\n  "300": {name: Board}\n',
        {},
        "tenant.yaml:12:3: conferences.300: duplicate key '300' (first at line 10)",
    ),
    "contact-bad-number": (
        'contacts:\n  - {first_name: Ann, last_name: Lee, cell: "+1 416 555"}\n',
        {},
        "tenant.yaml:10:39: contacts.0.cell: '+1 416 555' is not a valid phone number in CA",
    ),
    "contacts-same-identity": (
        "contacts:\n  - {first_name: Ann, last_name: Lee, company: Acme}\n"
        "  - {first_name: ann, last_name: LEE, company: ' Acme', work: '416 555 0100'}\n",
        {},
        "tenant.yaml:11:5: contacts.1: same first name, last name and company as contact 1 (",
    ),
    "queue-agent-unknown": (
        'call_queues:\n  "400": {description: Support, agents: ["101", "109"]}\n',
        {},
        "tenant.yaml:10:49: call_queues.400.agents.1: no user extension named '109'",
    ),
    "menu-option-unknown": (
        'call_queues:\n  "400": {agents: ["101"]}\n'
        'auto_attendants:\n  "500":\n    name: Main\n    menus:\n      default: {"1": "queue:401"}\n',
        {},
        "tenant.yaml:15:17: auto_attendants.500.menus.default.1: no queue named '401' in call_queues",
    ),
    "extension-used-twice": (
        'call_queues:\n  "102": {description: Support}\n',
        {},
        "tenant.yaml:10:3: call_queues.102: extension 102 is already used by users.102 (",
    ),
}


def make_case(root: Path, name: str) -> Path:
    yaml, files, _ = CASES[name]
    folder = root / "tenants" / name
    folder.mkdir(parents=True)
    (folder / "tenant.yaml").write_text(BASE + yaml)
    for rel, data in files.items():
        target = (folder / rel).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_clear_message_and_no_pbx_contact(name: str, workspace: Path, tmp_path: Path) -> None:
    make_case(workspace, name)
    result = run("plan", f"tenants/{name}")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if PROBLEM.match(line)]
    assert len(lines) == 1, result.output
    expected = f"tenants/{name}/{CASES[name][2]}"
    assert lines[0].startswith(expected), (lines[0], expected)
    assert not (tmp_path / "sandbox.sqlite3").exists(), "the PBX was contacted"
    assert "12ab" not in result.output  # a PIN, even a wrong one, is never printed


def test_extension_conflict_names_both_places(workspace: Path) -> None:
    make_case(workspace, "extension-used-twice")
    result = run("validate", "tenants/extension-used-twice")
    assert "already used by users.102 (tenants/extension-used-twice/tenant.yaml:8)" in result.output
