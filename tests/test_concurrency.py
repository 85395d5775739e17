"""Two applies of one domain at once: the per-domain lock makes the second wait for the first (or
refuse when it may not wait), so nothing is created twice; duplicates that appear anyway (another
machine, the portal) are drift that plan shows and apply removes, even without prune."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from skyconf.lock import lock_path
from skyconf.sandbox.process import ServedSandbox
from tests.conftest import portal_edit, run

DOMAIN = "/ns-api/v2/domains/acme.example.com"
TRIALS = 10


def _contact_names(served: ServedSandbox) -> Counter[str]:
    """Every contact on the PBX (shared and users' own), by owner and name, counted."""
    headers = {"Authorization": f"Bearer {served.token}"}

    def get(path: str) -> list[dict[str, object]]:
        r = httpx.get(f"{served.url}{DOMAIN}{path}", headers=headers)
        if r.status_code == 404:
            return []
        r.raise_for_status()
        return list(r.json())

    names: Counter[str] = Counter()
    owners = [""] + [f"/users/{u['user']}" for u in get("/users")]
    for owner in owners:
        for c in get(f"{owner}/contacts"):
            names[f"{owner} {c.get('name-first-name')} {c.get('name-last-name')} {c.get('company')}"] += 1
    return names


def _apply(workspace: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "skyconf", "apply", "tenants/", "--pbx", "served", "--auto-approve"],
        cwd=workspace,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
    )


def test_two_concurrent_applies_create_nothing_twice(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole example tenant, against a served sandbox answering in 20 ms, ten times over."""
    monkeypatch.setenv("SERVED_KEY", "served-token")
    for trial in range(TRIALS):
        served = ServedSandbox.start(tmp_path / f"trial-{trial}.sqlite3", "served-token", faults="latency_ms=20")
        try:
            (workspace / "skyconf.yaml").write_text(
                f"profiles:\n  served:\n    url: {served.url}/ns-api/v2\n    api_key_env: SERVED_KEY\n"
            )
            first, second = _apply(workspace), _apply(workspace)
            outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
            assert [first.returncode, second.returncode] == [0, 0], outputs
            # One of them made every change; the other planned after it had finished and found none.
            assert sorted(bool(re.search(r"Applied [1-9]\d* change\(s\)\.", o)) for o in outputs) == [False, True], (
                outputs
            )
            assert any("no changes" in o for o in outputs), outputs
            names = _contact_names(served)
            assert len(names) == 6 and set(names.values()) == {1}, names
            assert run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode").exit_code == 0
        finally:
            served.stop()


def test_an_apply_that_may_not_wait_refuses_with_a_clear_message(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = lock_path(workspace, "acme.example.com")
    path.parent.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("SKYCONF_LOCK_WAIT", "0")
    with path.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("pid 4242 on ci-runner since 2026-12-01T00:00:00Z\n")
        held.flush()
        refused = run("apply", "tenants/", "--auto-approve")
        plan = run("plan", "tenants/", "--detailed-exitcode")  # plans do not lock
    assert refused.exit_code == 1
    assert "another apply of acme.example.com is running" in refused.output
    assert "pid 4242 on ci-runner" in refused.output and "SKYCONF_LOCK_WAIT" in refused.output
    assert plan.exit_code == 2
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0  # released: the next one runs


def _contact_body(first: str, last: str, company: str) -> dict[str, str]:
    fields = ("name-first-name", "name-middle-name", "name-last-name", "company", "email")
    body = dict.fromkeys(fields, "") | {"name-first-name": first, "name-last-name": last, "company": company}
    return body | {f"phonenumber-{k}": "" for k in ("work", "cell", "home", "fax")}


def test_duplicates_of_declared_contacts_are_drift_that_apply_removes(workspace: Path) -> None:
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    for path, body in (
        ("/domains/acme.example.com/contacts", _contact_body("Bob", "Smith", "Supplier Inc")),
        ("/domains/acme.example.com/users/101/contacts", _contact_body("Mei", "Chen", "")),
        # Not declared anywhere: left alone (contacts are not pruned by default).
        ("/domains/acme.example.com/contacts", _contact_body("Zed", "Unlisted", "")),
    ):
        assert portal_edit("POST", path, body).status_code in (200, 201, 202)
    plan = run("plan", "tenants/", "--detailed-exitcode")
    assert plan.exit_code == 2
    assert plan.output.count("delete") >= 2 or "2 to delete" in plan.output, plan.output
    applied = run("apply", "tenants/", "--auto-approve")
    assert applied.exit_code == 0 and "Applied 2 change(s)." in applied.output, applied.output
    assert run("plan", "tenants/", "--detailed-exitcode").exit_code == 0
    shared = portal_edit("GET", "/domains/acme.example.com/contacts").json()
    own = portal_edit("GET", "/domains/acme.example.com/users/101/contacts").json()
    assert [c["name-last-name"] for c in shared].count("Smith") == 1
    assert [c["name-last-name"] for c in own].count("Chen") == 1
    assert "Unlisted" in [c["name-last-name"] for c in shared]
