"""`skyconf apply --audit-log FILE`: one JSON line per apply, appended, naming the plan applied and each outcome."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import run


def test_each_apply_appends_one_record(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_SHA", "c0ffee")
    monkeypatch.setenv("SKYCONF_APPROVED_BY", "alice")
    log = workspace / "audit" / "apply.jsonl"
    first = run("apply", "tenants/example", "--auto-approve", "--audit-log", str(log))
    assert first.exit_code == 0, first.output
    (record,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["commit"] == "c0ffee" and record["approved_by"] == "alice" and record["saved_plan"] is None
    assert record["plan_digest"].startswith("sha256:") and record["time"].endswith("+00:00")
    assert record["changes"] and all(c["outcome"] == "done" and c["tenant"] == "example" for c in record["changes"])
    assert {"action", "kind", "key"} <= set(record["changes"][0])

    users = workspace / "tenants" / "example" / "users.yaml"
    users.write_text(users.read_text().replace("department: Front Desk", "department: Reception", 1))
    saved = workspace / "plan.json"
    assert run("plan", "tenants/example", "-o", str(saved)).exit_code == 0
    second = run("apply", str(saved), "--auto-approve", "--audit-log", str(log))
    assert second.exit_code == 0, second.output
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[0] == record  # appended, never rewritten
    assert records[1]["saved_plan"] == "plan.json"
    assert records[1]["plan_digest"] == "sha256:" + hashlib.sha256(saved.read_bytes()).hexdigest()
    assert [(c["action"], c["kind"], c["outcome"]) for c in records[1]["changes"]] == [("update", "user", "done")]

    nothing = run("apply", "tenants/example", "--auto-approve", "--audit-log", str(log))
    assert nothing.exit_code == 0 and len(log.read_text().splitlines()) == 2  # no changes: no apply to record
