"""Issue 7: apply converges against a PBX that fails, rate-limits and dies mid-apply, with nothing
duplicated and nothing missing (objects counted on the sandbox afterwards)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from skyconf.pipeline import load_all
from tests.conftest import ServedSandbox, run

DOMAIN = "/ns-api/v2/domains/acme.example.com"


def use_served(workspace: Path, sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch, concurrency: int = 4) -> None:
    (workspace / "skyconf.yaml").write_text(
        f"profiles:\n  served:\n    url: {sandbox.url}/ns-api/v2\n    api_key_env: SERVED_KEY\n"
        f"    concurrency: {concurrency}\n"
    )
    monkeypatch.setenv("SERVED_KEY", sandbox.token)


def set_faults(sandbox: ServedSandbox, **faults: float) -> None:
    r = httpx.put(f"{sandbox.url}/_sandbox/faults", json=faults, headers={"Authorization": f"Bearer {sandbox.token}"})
    r.raise_for_status()


def count_objects(sandbox: ServedSandbox) -> dict[str, object]:
    """What is on the PBX now, counted through its API (faults must be off)."""
    headers = {"Authorization": f"Bearer {sandbox.token}"}

    def get(path: str) -> list[dict[str, object]]:
        r = httpx.get(f"{sandbox.url}{DOMAIN}{path}", headers=headers)
        r.raise_for_status()
        return list(r.json())

    users = sorted(str(u["user"]) for u in get("/users"))
    frames = sorted(str(f["timeframe-name"]) for f in get("/timeframes"))
    rules = {u: sorted(str(r["time-frame"]) for r in get(f"/users/{u}/answerrules")) for u in users}
    user_frames = {u: sorted(str(f["timeframe-name"]) for f in get(f"/users/{u}/timeframes")) for u in users}
    return {"users": users, "frames": frames, "rules": rules, "user_frames": user_frames}


def assert_complete_and_unique(sandbox: ServedSandbox) -> None:
    """The PBX holds exactly what the YAML declares: every object once, none missing."""
    (desired,) = load_all([Path("tenants")])
    state = desired.state
    objects = count_objects(sandbox)
    assert objects["users"] == sorted(k[0] for k in state.keys("user"))
    assert objects["frames"] == sorted(k[0] for k in state.keys("time_frame"))
    rules = objects["rules"]
    assert isinstance(rules, dict)
    for ext, names in rules.items():
        wire = sorted("*" if k[1] == "default" else k[1] for k in state.keys("answer_rule") if k[0] == ext)
        assert names == wire, ext
    frames = objects["user_frames"]
    assert isinstance(frames, dict)
    for ext, names in frames.items():
        assert names == sorted(k[1] for k in state.keys("user_time_frame") if k[0] == ext), ext


def test_apply_converges_through_errors_and_429_bursts(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_served(workspace, served_sandbox, monkeypatch)
    set_faults(served_sandbox, seed=11, error_rate=0.2, burst_429_every=15, burst_429_length=3, retry_after_s=0.01)
    first = run("apply", "tenants/", "--pbx", "served", "--auto-approve")
    if first.exit_code != 0:  # allowed once: a change that ran out of retries is done by the second run
        assert "re-run apply" in first.output
        assert run("apply", "tenants/", "--pbx", "served", "--auto-approve").exit_code == 0
    faulty = [r for r in served_sandbox.requests() if int(str(r["status"])) in (429, 500, 503)]
    assert len(faulty) > 10, "the faults were injected"
    set_faults(served_sandbox)
    assert run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode").exit_code == 0
    assert_complete_and_unique(served_sandbox)


def test_dropped_connections_and_slow_bodies(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_served(workspace, served_sandbox, monkeypatch)
    set_faults(served_sandbox, seed=5, drop_rate=0.15, slow_body_ms=2)
    result = run("apply", "tenants/", "--pbx", "served", "--auto-approve")
    if result.exit_code != 0:
        assert run("apply", "tenants/", "--pbx", "served", "--auto-approve").exit_code == 0
    set_faults(served_sandbox)
    assert run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode").exit_code == 0
    assert_complete_and_unique(served_sandbox)


def test_sigkill_mid_apply_then_rerun_converges(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_served(workspace, served_sandbox, monkeypatch)
    set_faults(served_sandbox, latency_ms=40)
    proc = subprocess.Popen(
        [sys.executable, "-m", "skyconf", "apply", "tenants/", "--pbx", "served", "--auto-approve"],
        cwd=workspace,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            writes = [r for r in served_sandbox.requests() if r["method"] != "GET"]
            if len(writes) >= 8:
                break
            time.sleep(0.05)
        else:
            pytest.fail("apply never started writing")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode").exit_code == 2  # half-applied
    set_faults(served_sandbox)
    assert run("apply", "tenants/", "--pbx", "served", "--auto-approve").exit_code == 0
    assert run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode").exit_code == 0
    assert_complete_and_unique(served_sandbox)
