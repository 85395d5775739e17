"""An apply killed at any point converges on a re-run without --force: what is left to do restores
what the YAML already says (objects created but not finished, rules created but not yet ordered), and
that does not count against the safety limits. The example tenant's first apply makes its writes
one at a time here: every create (contacts, ..., answering rules and phone numbers last), then one
rule order per user; `last_create` is found by a first, uninterrupted apply."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skyconf.pipeline import journal_path
from skyconf.sandbox.process import ServedSandbox
from tests.conftest import run
from tests.test_concurrency import _contact_names
from tests.test_faults import assert_complete_and_unique, set_faults, use_served


@pytest.fixture(scope="module")
def last_create(tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many writes come before the first rule order, in an apply that is not killed."""
    import shutil

    root = tmp_path_factory.mktemp("count")
    repo = Path(__file__).resolve().parents[1]
    shutil.copytree(repo / "tenants" / "example", root / "tenants" / "example")
    shutil.copytree(repo / "templates", root / "templates")
    served = ServedSandbox.start(root / "count.sqlite3", "count-token")
    try:
        (root / "skyconf.yaml").write_text(
            f"profiles:\n  served:\n    url: {served.url}/ns-api/v2\n    api_key_env: COUNT_KEY\n    concurrency: 1\n"
        )
        env = {**os.environ, "COUNT_KEY": "count-token", "SKYCONF_SANDBOX_DB": str(root / "unused.sqlite3")}
        done = subprocess.run(
            [sys.executable, "-m", "skyconf", "apply", "tenants/", "--pbx", "served", "--auto-approve"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        writes = [r for r in served.requests() if r["method"] != "GET"]
    finally:
        served.stop()
    first_order = next(i for i, r in enumerate(writes) if str(r["path"]).endswith("/answerrules/reorder"))
    assert first_order > 40 and all(str(r["path"]).endswith("/reorder") for r in writes[first_order:])
    return first_order


def _writes(served: ServedSandbox) -> int:
    return sum(1 for r in served.requests() if r["method"] != "GET")


def _apply_killed_after(workspace: Path, served: ServedSandbox, writes: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "skyconf", "apply", "tenants/", "--pbx", "served", "--auto-approve"],
        cwd=workspace,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while _writes(served) < writes:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"apply ended (or stalled) before {writes} writes")
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("point", ["1", "7", "14", "22", "34", "42", "last_create", "last_create+1"])
def test_rerun_after_a_kill_converges_without_force(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch, point: str, last_create: int
) -> None:
    writes = {"last_create": last_create, "last_create+1": last_create + 1}.get(point) or int(point)
    use_served(workspace, served_sandbox, monkeypatch, concurrency=1)
    set_faults(served_sandbox, latency_ms=60)
    _apply_killed_after(workspace, served_sandbox, writes)
    assert journal_path(workspace, "acme.example.com").exists()  # the killed apply's record
    set_faults(served_sandbox)
    pending = run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode")
    assert pending.exit_code == 2 and "over the safety limit" not in pending.output, pending.output
    rerun = run("apply", "tenants/", "--pbx", "served", "--auto-approve")
    assert rerun.exit_code == 0, rerun.output
    assert not journal_path(workspace, "acme.example.com").exists()
    assert run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode").exit_code == 0
    assert_complete_and_unique(served_sandbox)
    assert set(_contact_names(served_sandbox).values()) == {1}


def test_rule_order_changes_alone_never_need_force(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch, last_create: int
) -> None:
    """After the last create and before any order was written (no journal: say, another machine
    re-runs it), the four users' rule orders are all wrong: 4 of 4 updates, still within the limits."""
    use_served(workspace, served_sandbox, monkeypatch, concurrency=1)
    set_faults(served_sandbox, latency_ms=60)
    _apply_killed_after(workspace, served_sandbox, last_create)
    journal_path(workspace, "acme.example.com").unlink()
    set_faults(served_sandbox)
    pending = run("plan", "tenants/", "--pbx", "served")
    assert "answer_rule_order" in pending.output or "order" in pending.output, pending.output
    assert "over the safety limit" not in pending.output
    assert run("apply", "tenants/", "--pbx", "served", "--auto-approve").exit_code == 0
    assert run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode").exit_code == 0


def _journal_interrupted_apply(workspace: Path) -> None:
    """Record the current plan's changes as an apply that started them and was killed."""
    import asyncio

    from skyconf.pipeline import Session, load_all, plan_tenants, write_journal

    async def record() -> None:
        async with Session(workspace) as session:
            for r in await plan_tenants(session, load_all([Path("tenants")])):
                write_journal(workspace, r, session.plan_key())

    asyncio.run(record())


def test_updates_an_interrupted_apply_was_making_are_not_a_mass_change(workspace: Path) -> None:
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    users = Path("tenants/example/users.yaml")
    original = users.read_text()
    users.write_text(original.replace("department: Sales", "department: Revenue").replace("Front Desk", "Lobby"))
    over = run("plan", "tenants/")
    assert "over the safety limit: would update 3 of 4 users" in over.output, over.output
    _journal_interrupted_apply(workspace)
    resumed = run("plan", "tenants/", "--detailed-exitcode")
    assert resumed.exit_code == 2 and "over the safety limit" not in resumed.output
    # The same objects to other values are a new intent: counted again.
    users.write_text(original.replace("department: Sales", "department: Growth").replace("Front Desk", "Hall"))
    assert "over the safety limit" in run("plan", "tenants/").output
    users.write_text(original.replace("department: Sales", "department: Revenue").replace("Front Desk", "Lobby"))
    applied = run("apply", "tenants/", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert not journal_path(workspace, "acme.example.com").exists()
    users.write_text(original)
    assert "over the safety limit" in run("plan", "tenants/").output  # journal gone: counted


def test_a_tenant_that_loosens_its_limits_says_so_in_every_plan(workspace: Path) -> None:
    tenant = Path("tenants/example/tenant.yaml")
    plain = run("plan", "tenants/")
    assert "safety limits loosened" not in plain.output
    tenant.write_text(tenant.read_text() + "safety: {max_delete_share: 0.9, max_update_share: 0.5, min_objects: 10}\n")
    loosened = run("plan", "tenants/")
    assert (
        "Tenant example: safety limits loosened: max_delete_share 0.9 (default 0.25), min_objects 10 (default 4)"
        in (loosened.output)
    )
    assert "max_update_share" not in loosened.output
    import json

    doc = json.loads(run("plan", "tenants/", "--format", "json").output)
    assert doc["tenants"][0]["loosened_limits"] == ["max_delete_share 0.9 (default 0.25)", "min_objects 10 (default 4)"]
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    assert "safety limits loosened" in run("plan", "tenants/").output  # no changes, still said
