"""The generated schema catches, in an editor, the mistakes `validate` catches: 12 planted errors,
each of which validate refuses; check-jsonschema with the schema must catch at least 10."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skyconf.schema import SCHEMA_PATH
from tests.conftest import run

ROOT = Path(__file__).resolve().parent.parent
CHECK = Path(sys.executable).parent / "check-jsonschema"
USER = '  "201": {first_name: Sam, last_name: Sales, %s}\n'

# name -> the extra YAML file planted in a copy of the example tenant (one mistake each).
PLANTED: dict[str, str] = {
    "unknown key": 'users:\n  "201": {first_name: Sam, last_name: Sales, frist_name: Sam}\n',
    "day key": 'time_frames:\n  Late:\n    priority: 20\n    weekly: {monday: ["18:00-20:00"]}\n',
    "time range": 'time_frames:\n  Late:\n    priority: 20\n    weekly: {mon: ["6pm-8pm"]}\n',
    "target kind": "users:\n" + USER % 'answering_rules: {default: {forward_busy: "vm:201"}}',
    "ring list": "users:\n" + USER % 'answering_rules: {default: {simultaneous_ring: {ring: ["user:201"]}}}',
    "MAC": 'phones:\n  "00:15:65:aa:bb": {model: yealink-t54w, user: "101"}\n',
    "priority": "time_frames:\n  Late:\n    priority: 120\n    always: true\n",
    "ring timeout": "users:\n" + USER % "ring_timeout: soon",
    "voicemail email": "users:\n" + USER % "voicemail: {email: maybe}",
    "extension key": "users:\n  bob: {first_name: Bob, last_name: B}\n",
    "delay": "users:\n" + USER % "answering_rules: {default: {simultaneous_ring: {ring: [], delay: 900}}}",
    "transcription": "users:\n" + USER % "voicemail: {transcription: whisper}",
}


def plant(workspace: Path, name: str) -> Path:
    folder = workspace / "tenants" / "example"
    if "users:" in PLANTED[name]:
        (folder / "users.yaml").unlink()  # each top-level key lives in one file
    if "phones:" in PLANTED[name]:
        (folder / "phones.yaml").unlink()
    if "time_frames:" in PLANTED[name]:
        text = (folder / "time_frames.yaml").read_text()
        extra = PLANTED[name].split("time_frames:\n", 1)[1]
        (folder / "time_frames.yaml").write_text(text + extra)
        return folder / "time_frames.yaml"
    path = folder / "planted.yaml"
    path.write_text(PLANTED[name])
    return path


def schema_catches(path: Path) -> bool:
    result = subprocess.run(
        [str(CHECK), "--schemafile", str(ROOT / SCHEMA_PATH), str(path)], capture_output=True, text=True, check=False
    )
    return result.returncode != 0


@pytest.mark.parametrize("name", sorted(PLANTED))
def test_validate_refuses_each_planted_error(workspace: Path, name: str) -> None:
    plant(workspace, name)
    result = run("validate", "tenants/example", "--no-secrets")
    assert result.exit_code == 1, f"{name}: {result.output}"


def test_the_schema_catches_at_least_ten_of_twelve(workspace: Path, tmp_path: Path) -> None:
    caught = []
    for name in sorted(PLANTED):
        copy = tmp_path / name.replace(" ", "_")
        shutil.copytree(workspace, copy)
        if schema_catches(plant(copy, name)):
            caught.append(name)
    assert len(PLANTED) == 12
    missed = sorted(set(PLANTED) - set(caught))
    assert len(caught) >= 10, f"missed {missed}"


def test_the_example_passes_the_schema() -> None:
    files = sorted(str(p) for p in (ROOT / "tenants" / "example").glob("*.yaml"))
    result = subprocess.run([str(CHECK), "--schemafile", str(ROOT / SCHEMA_PATH), *files], capture_output=True)
    assert result.returncode == 0, result.stdout
