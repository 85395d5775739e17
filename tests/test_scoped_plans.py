"""`plan --changed-since REF`: only the objects whose YAML changed are read (counted at a served
sandbox) and planned; a saved scoped plan is refused when an object it read has moved; and the plan
falls back to a full one, saying why, when the scope cannot be computed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from skyconf.pipeline import load_all
from skyconf.sandbox.process import ServedSandbox
from tests.conftest import run
from tests.test_faults import use_served

DOMAIN = "acme.example.com"
USERS = "/domains/acme.example.com/users"
OPEN_104 = '      Open Hours: {forward_busy: "handset:101"'
FORWARD_103 = 'Closed Hours: {forward_always: "user:101"}'


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


@pytest.fixture
def repo(workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example tenant applied to a served sandbox and committed on `main`, plus an extra
    domain time frame that one user's rule uses (so that deleting a frame can be tried)."""
    use_served(workspace, served_sandbox, monkeypatch)
    frames = workspace / "tenants/example/time_frames.yaml"
    frames.write_text(frames.read_text() + '  Inventory:\n    priority: 4\n    dates: ["2026-12-30"]\n')
    edit(workspace / "tenants/example/users.yaml", OPEN_104, "      Inventory: {do_not_disturb: true}\n" + OPEN_104)
    assert run("apply", "tenants/", "--pbx", "served", "--auto-approve").exit_code == 0
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "config", "user.name", "skyconf tests")
    git(workspace, "config", "user.email", "tests@skyconf.invalid")
    git(workspace, "config", "commit.gpgsign", "false")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", "tenants as applied")
    return workspace


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def scoped_plan(sandbox: ServedSandbox, *extra: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The JSON plan of `--changed-since main` and the requests it made."""
    before = len(sandbox.requests())
    result = run("plan", "tenants/example", "--pbx", "served", "--format", "json", "--changed-since", "main", *extra)
    assert result.exit_code == 0, result.output
    (tenant,) = json.loads(result.stdout)["tenants"]
    return tenant, sandbox.requests(before)


def rules_read(requests: list[dict[str, Any]]) -> set[str]:
    """The users whose answering rules were read."""
    return {
        str(r["path"]).split("/")[-2]
        for r in requests
        if r["method"] == "GET" and str(r["path"]).endswith("/answerrules")
    }


def planned(tenant: dict[str, Any]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(c["action"], c["kind"], tuple(c["key"])) for c in tenant["changes"]}


def users_with_rule_on(frame: str) -> set[str]:
    (desired,) = load_all([Path("tenants/example")])
    return {r.key[0] for r in desired.state.of_kind("answer_rule") if r.key[1] == frame}


def test_a_changed_forward_reads_that_user_alone(repo: Path, served_sandbox: ServedSandbox) -> None:
    edit(repo / "tenants/example/users.yaml", FORWARD_103, FORWARD_103.replace("101", "102"))
    tenant, requests = scoped_plan(served_sandbox)
    assert planned(tenant) == {("update", "answer_rule", ("103", "Closed Hours"))}
    assert tenant["scope"]["changed"] == 1
    assert "1 object(s) changed since main; drift elsewhere is not checked" in tenant["scope"]["note"]
    assert rules_read(requests) == {"103"}
    user_reads = {str(r["path"]) for r in requests if str(r["path"]).startswith(USERS)}
    assert user_reads == {f"{USERS}/103", f"{USERS}/103/answerrules"}  # no list of users, no other user
    assert all(r["method"] == "GET" for r in requests)
    assert len(requests) <= 10
    full = run("plan", "tenants/example", "--pbx", "served", "--format", "json")
    assert len(json.loads(full.stdout)["tenants"][0]["changes"]) == 1  # the same change a full plan finds
    for fmt, note in (("text", "scoped plan: 1 object(s)"), ("markdown", "Scoped plan: 1 object(s)")):
        shown = run("plan", "tenants/example", "--pbx", "served", "--format", fmt, "--changed-since", "main")
        assert f"{note} changed since main; drift elsewhere is not checked: run a full plan" in shown.stdout


def test_a_changed_profile_reaches_the_users_of_that_profile(repo: Path, served_sandbox: ServedSandbox) -> None:
    office = {u for u in ("101", "102", "103", "104") if _uses_office(repo, u)}
    profiles = repo / "tenants/example/profiles.yaml"
    edit(profiles, "Closed Hours: {do_not_disturb: true}", 'Closed Hours: {forward_always: "voicemail:self"}')
    tenant, requests = scoped_plan(served_sandbox)
    changed_users = {key[0] for _, kind, key in planned(tenant) if kind == "answer_rule"}
    assert changed_users and changed_users <= office
    assert rules_read(requests) == changed_users  # nobody outside the profile is read


def _uses_office(repo: Path, user: str) -> bool:
    text = (repo / "tenants/example/users.yaml").read_text()
    block = text.split(f'  "{user}":\n', 1)[1].split('\n  "', 1)[0]
    return "profile: office" in block


def test_a_deleted_time_frame_reaches_the_rules_on_it(repo: Path, served_sandbox: ServedSandbox) -> None:
    frames = repo / "tenants/example/time_frames.yaml"
    edit(frames, '  Inventory:\n    priority: 4\n    dates: ["2026-12-30"]\n', "")
    edit(repo / "tenants/example/users.yaml", "      Inventory: {do_not_disturb: true}\n", "")
    tenant, requests = scoped_plan(served_sandbox)
    assert ("delete", "answer_rule", ("104", "Inventory")) in planned(tenant)
    assert rules_read(requests) == {"104"}
    assert any(str(r["path"]).endswith("/timeframes") for r in requests)  # the frame itself is read
    assert tenant["unmanaged"] == {"time_frame": 1}  # not pruned: left on the PBX, and said so


def test_a_changed_holiday_list_reaches_every_rule_on_that_frame(repo: Path, served_sandbox: ServedSandbox) -> None:
    on_holiday = users_with_rule_on("Holiday")
    assert on_holiday and on_holiday != {"101", "102", "103", "104"}  # someone is out of reach
    edit(repo / "tenants/example/time_frames.yaml", 'subdivision: "ON"', 'subdivision: "BC"')
    tenant, requests = scoped_plan(served_sandbox)
    assert ("update", "time_frame", ("Holiday",)) in planned(tenant)
    assert rules_read(requests) == on_holiday


def test_an_unchanged_tenant_reads_nothing(repo: Path, served_sandbox: ServedSandbox) -> None:
    tenant, requests = scoped_plan(served_sandbox)
    assert tenant["changes"] == [] and requests == []
    assert tenant["scope"]["changed"] == 0


def test_a_saved_scoped_plan_is_refused_when_an_object_it_read_moved(repo: Path, served_sandbox: ServedSandbox) -> None:
    edit(repo / "tenants/example/users.yaml", FORWARD_103, FORWARD_103.replace("101", "102"))
    made = run("plan", "tenants/example", "--pbx", "served", "--changed-since", "main", "-o", "plan.json")
    assert made.exit_code == 0, made.output
    # Drift outside the scope does not make the plan stale: it never read that object.
    portal(served_sandbox, "PUT", f"{USERS}/102", {"name-first-name": "Robert"})
    # Drift on the user the plan read does.
    portal(served_sandbox, "PUT", f"{USERS}/103", {"name-first-name": "Caroline"})
    refused = run("apply", "plan.json", "--auto-approve")
    assert refused.exit_code == 1
    assert "the live PBX changed since the plan was made" in refused.output
    assert rule_forward(served_sandbox, "103", "Closed Hours") != "102"  # nothing written


def test_a_saved_scoped_plan_applies_its_objects_only(repo: Path, served_sandbox: ServedSandbox) -> None:
    edit(repo / "tenants/example/users.yaml", FORWARD_103, FORWARD_103.replace("101", "102"))
    assert (
        run("plan", "tenants/example", "--pbx", "served", "--changed-since", "main", "-o", "plan.json").exit_code == 0
    )
    portal(served_sandbox, "PUT", f"{USERS}/102", {"name-first-name": "Robert"})  # drift it did not read
    before = len(served_sandbox.requests())
    applied = run("apply", "plan.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    writes = [r for r in served_sandbox.requests(before) if r["method"] != "GET"]
    assert [(r["method"], r["path"]) for r in writes] == [("PUT", f"{USERS}/103/answerrules/Closed%20Hours")]
    assert "102" in rule_forward(served_sandbox, "103", "Closed Hours")
    full = json.loads(run("plan", "tenants/example", "--pbx", "served", "--format", "json").stdout)
    assert planned(full["tenants"][0]) == {("update", "user", ("102",))}  # the drift a full plan sees


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("skyconf.yaml", "skyconf.yaml changed since main"),
        ("ref", "unknown git revision"),
    ],
)
def test_the_plan_is_full_when_the_scope_cannot_be_computed(
    repo: Path, served_sandbox: ServedSandbox, change: str, reason: str
) -> None:
    edit(repo / "tenants/example/users.yaml", FORWARD_103, FORWARD_103.replace("101", "102"))
    since = "main"
    if change == "skyconf.yaml":
        (repo / "skyconf.yaml").write_text((repo / "skyconf.yaml").read_text() + "# tuned\n")
    else:
        since = "no-such-branch@{1}"  # braces in the message must stay as typed
    before = len(served_sandbox.requests())
    result = run("plan", "tenants/example", "--pbx", "served", "--changed-since", since)
    assert result.exit_code == 0, result.output
    assert f"full plan: {reason}" in result.stdout
    assert rules_read(served_sandbox.requests(before)) == {"101", "102", "103", "104"}


def test_a_tenant_new_since_the_revision_gets_a_full_plan(repo: Path, served_sandbox: ServedSandbox) -> None:
    git(repo, "mv", "tenants/example", "tenants/acme")
    result = run("plan", "tenants/acme", "--pbx", "served", "--changed-since", "main", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "Full plan: the tenant is new since main" in result.stdout


def portal(sandbox: ServedSandbox, method: str, path: str, body: object) -> None:
    r = httpx.request(
        method, f"{sandbox.url}/ns-api/v2{path}", json=body, headers={"Authorization": f"Bearer {sandbox.token}"}
    )
    assert r.status_code < 300, r.text


def rule_forward(sandbox: ServedSandbox, user: str, frame: str) -> str:
    r = httpx.get(
        f"{sandbox.url}/ns-api/v2{USERS}/{user}/answerrules", headers={"Authorization": f"Bearer {sandbox.token}"}
    )
    rule = next(x for x in r.json() if x["time-frame"] == frame)
    return json.dumps(rule.get("forward-always") or rule)


def test_the_routing_dry_run_of_a_scoped_plan_names_only_what_changed(
    repo: Path, served_sandbox: ServedSandbox
) -> None:
    """Objects a scoped plan did not read are taken to be as declared, not missing."""
    edit(repo / "tenants/example/users.yaml", FORWARD_103, FORWARD_103.replace("101", "102"))
    tenant, _ = scoped_plan(served_sandbox, "--routing-window", "2026-12-01..2026-12-14")
    routing = tenant["routing_changes"]
    assert routing and {r["user"] for r in routing} == {"103"}
    assert all("102" in r["after"] and "101" in r["before"] for r in routing)


def test_the_scope_is_the_same_without_a_second_process(
    repo: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On one core (or where fork is missing) the revision's side resolves in-process."""
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    edit(repo / "tenants/example/users.yaml", FORWARD_103, FORWARD_103.replace("101", "102"))
    tenant, requests = scoped_plan(served_sandbox)
    assert planned(tenant) == {("update", "answer_rule", ("103", "Closed Hours"))}
    assert rules_read(requests) == {"103"}


def test_a_broken_working_tree_is_one_clear_error_and_no_request(repo: Path, served_sandbox: ServedSandbox) -> None:
    edit(repo / "tenants/example/users.yaml", "    first_name: Carol\n", "    first_nam: Carol\n")
    before = len(served_sandbox.requests())
    result = run("plan", "tenants/example", "--pbx", "served", "--changed-since", "main")
    assert result.exit_code == 1
    assert "users.yaml" in result.output and "first_nam" in result.output
    assert served_sandbox.requests(before) == []
