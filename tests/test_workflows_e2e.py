"""The plan and apply workflows' steps, run in order as GitHub runs them (bash, $GITHUB_ENV, $GITHUB_OUTPUT,
artifacts as copied folders), in a repository `skyconf init` wrote, against a served sandbox PBX."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from skyconf.changed import NULL_REVISION
from skyconf.sandbox.process import ServedSandbox
from skyconf.scaffold import scaffold
from tests.test_workflows import bash, load, outputs, read_env_file, step

PIN = "2580"
PRODUCTION_KEY = "prod-write-key-7f3a9c"  # a repository secret the pull request tries to print


def resolve(value: Any, context: dict[str, str]) -> str:
    """`${{ expr }}` as GitHub fills it in; a secret nobody set is empty, anything else unknown is a test error."""

    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        return context.get(expr, "") if expr.startswith("secrets.") else context[expr]

    return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", one, str(value))


class Runner:
    """One job's steps in one work tree: exports to $GITHUB_ENV reach the later steps, as on a runner."""

    def __init__(self, workflow: str, job: str, cwd: Path, context: dict[str, str], tmp: Path) -> None:
        self.workflow, self.job, self.cwd, self.context = load(workflow), job, cwd, context
        self.files = {n: tmp / f"{job}-{n}" for n in ("env", "output", "summary")}
        for file in self.files.values():
            file.write_text("")
        self.logs: list[str] = []

    def run(self, name: str, **extra: str) -> subprocess.CompletedProcess[str]:
        s = step(self.workflow["jobs"][self.job], name)
        env = {k: resolve(v, self.context) for k, v in {**self.workflow.get("env", {}), **s.get("env", {})}.items()}
        env |= read_env_file(self.files["env"]) | extra
        env |= {"GITHUB_ENV": str(self.files["env"]), "GITHUB_OUTPUT": str(self.files["output"])}
        env["GITHUB_STEP_SUMMARY"] = str(self.files["summary"])
        result = bash(s["run"], self.cwd, env)
        self.logs += [result.stdout, result.stderr]
        return result

    def output(self, name: str) -> str:
        return outputs(self.files["output"])[name]


def git(repo: Path, *args: str) -> str:
    result = bash("git " + " ".join(f"'{a}'" for a in args), repo, {})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def tenants_repo(tmp_path: Path, served_sandbox: ServedSandbox) -> Path:
    """A repository from `skyconf init` whose tenant uses the served sandbox as its real PBX, committed on main."""
    repo = tmp_path / "repo"
    scaffold(repo)
    (repo / "skyconf.yaml").write_text(
        f"profiles:\n  production:\n    url: {served_sandbox.api_url}\n    api_key_env: SKYCONF_API_KEY\n"
    )
    tenant = repo / "tenants" / "starter" / "tenant.yaml"
    tenant.write_text(tenant.read_text().replace("pbx: sandbox ", "pbx: production "))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "tests")
    git(repo, "config", "user.email", "tests@skyconf.invalid")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start")
    return repo


def secrets(served: ServedSandbox) -> dict[str, str]:
    """The secrets context a job sees: its environment's, plus repository secrets it may reference by name."""
    return {
        "secrets.SKYCONF_PLAN_API_KEY": served.token,  # the sandbox has one token; for real: a read-only key
        "secrets.SKYCONF_API_KEY": served.token,
        "secrets.SKYCONF_PLAN_KEY": "plan-signing-key",
        "secrets.SKYCONF_TENANT_SECRETS": f"STARTER_101_VM_PIN={PIN}",
        "secrets.SKYCONF_PRODUCTION_API_KEY": PRODUCTION_KEY,
        "secrets.ACME_BILLING_TOKEN": PRODUCTION_KEY,
    }


@pytest.mark.parametrize(
    ("name", "planned"),
    [("SKYCONF_PRODUCTION_API_KEY", "1"), ("ACME_BILLING_TOKEN", "2")],
    ids=["named like skyconf's own: plan fails, unset", "any other name: planned with a placeholder"],
)
def test_a_pull_request_cannot_print_a_secret_into_its_plan_comment(
    tenants_repo: Path, served_sandbox: ServedSandbox, tmp_path: Path, name: str, planned: str
) -> None:
    repo = tenants_repo
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "exfiltrate")
    phones = repo / "tenants" / "starter" / "phones.yaml"
    phones.write_text(phones.read_text().replace("ntp_server: pool.ntp.org", f'ntp_server: "${{env:{name}}}"'))
    git(repo, "commit", "-q", "-am", "a new NTP server")
    git(repo, "update-ref", "refs/remotes/origin/main", base)
    context = {
        **secrets(served_sandbox),
        "github.base_ref": "main",
        "github.event.pull_request.head.sha": git(repo, "rev-parse", "HEAD"),
        "github.server_url": "https://github.example",
        "github.repository": "org/pbx",
        "github.run_id": "42",
    }

    changed = Runner("plan.yml", "changed", repo, context, tmp_path)
    assert changed.run("Tenants this pull request changes").returncode == 0
    matrix = json.loads(changed.output("matrix"))
    assert matrix == [{"tenant": "tenants/starter", "name": "starter"}]

    plans = tmp_path / "artifacts"
    logs: list[str] = []
    for entry in matrix:
        job_context = {**context, "matrix.tenant": entry["tenant"], "matrix.name": entry["name"]}
        plan = Runner("plan.yml", "plan", repo, job_context, tmp_path)
        assert plan.run("Secrets of this tenant's environment").returncode == 0
        assert plan.run("Routing window").returncode == 0
        plan.context["steps.window.outputs.window"] = plan.output("window")
        result = plan.run("Plan")
        assert (repo / "result" / "exitcode").read_text().strip() == planned, result.stderr
        assert plan.run("Timeline of the routing window").returncode == 0
        assert (repo / "result" / "timeline.html").is_file() == (planned == "2")  # the holiday dry-run's page
        shutil.copytree(repo / "result", plans / f"plan-{entry['name']}")  # upload, then download
        logs += [*plan.logs, plan.files["env"].read_text(), plan.files["summary"].read_text()]

    shutil.move(plans, repo / "plans")
    context["needs.changed.outputs.tenants"] = changed.output("tenants")
    bodies_job = Runner("plan.yml", "comment-bodies", repo, context, tmp_path)
    assert bodies_job.run("Render the comments").returncode == 0
    bodies = json.loads((repo / "comment" / "comments.json").read_text())
    comment = "\n".join(bodies)
    assert "tenants/starter" in comment
    assert comment.count(PRODUCTION_KEY) == 0
    assert sum(text.count(PRODUCTION_KEY) for text in logs) == 0  # nor in the logs, the summary or $GITHUB_ENV
    assert ("plan failed (exit 1)" in comment) == (planned == "1")
    if planned == "1":
        assert f"{name} is not set" in comment
    else:  # the pull request's plan is scoped to what it changed, and says so
        assert "Scoped plan: 1 object(s) changed since origin/main" in comment


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_apply_on_merge_applies_the_saved_plan_byte_for_byte(
    tenants_repo: Path, served_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    repo = tenants_repo
    head = git(repo, "rev-parse", "HEAD")
    context = {
        **secrets(served_sandbox),
        "github.event.before": NULL_REVISION,
        "github.event_name": "push",
        "inputs.tenant": "",
        "inputs.force && '--force' || ''": "",
        "steps.approval.outputs.approved_by": "alice",
    }
    changed = Runner("apply.yml", "changed", repo, context, tmp_path)
    assert changed.run("Tenants this push changed").returncode == 0
    (entry,) = json.loads(changed.output("matrix"))
    context |= {"matrix.tenant": entry["tenant"], "matrix.name": entry["name"]}

    plan = Runner("apply.yml", "plan", repo, context, tmp_path)
    assert plan.run("Secrets of the environment").returncode == 0
    planned = plan.run("Plan and save it")
    assert planned.returncode == 0, planned.stderr
    saved = repo / "saved" / "plan.json"
    summary = plan.files["summary"].read_text()
    assert f"`{sha256(saved)}`" in summary and "starter" in summary  # what the approver reads
    artifact = tmp_path / "saved-plan-starter"
    shutil.move(repo / "saved", artifact)  # uploaded; the apply job starts from a fresh checkout

    shutil.copytree(artifact, repo / "saved")  # downloaded
    apply = Runner("apply.yml", "apply", repo, context, tmp_path)
    assert apply.run("Secrets of the environment").returncode == 0
    applied = apply.run("Apply the saved plan", GITHUB_SHA=head)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert saved.read_bytes() == (artifact / "plan.json").read_bytes()
    (record,) = [json.loads(line) for line in (repo / "audit" / "apply.jsonl").read_text().splitlines()]
    assert record["plan_digest"] == sha256(artifact / "plan.json")  # the bytes applied are the bytes approved
    assert record["commit"] == head and record["approved_by"] == "alice"
    assert record["changes"] and {c["outcome"] for c in record["changes"]} == {"done"}
    assert {c["tenant"] for c in record["changes"]} == {"starter"}
    assert (repo / "audit" / "exitcode").read_text().strip() == "0"
    assert "STARTER_101_VM_PIN" not in json.dumps(record) and PIN not in json.dumps(record)

    again = bash("skyconf plan tenants/starter --detailed-exitcode", repo, read_env_file(apply.files["env"]))
    assert again.returncode == 0, again.stdout + again.stderr  # the PBX is main now


def test_apply_refuses_a_saved_plan_once_main_moved(
    tenants_repo: Path, served_sandbox: ServedSandbox, tmp_path: Path
) -> None:
    repo = tenants_repo
    context = {
        **secrets(served_sandbox),
        "matrix.tenant": "tenants/starter",
        "inputs.force && '--force' || ''": "",
        "steps.approval.outputs.approved_by": "alice",
    }
    plan = Runner("apply.yml", "plan", repo, context, tmp_path)
    assert plan.run("Secrets of the environment").returncode == 0
    assert plan.run("Plan and save it").returncode == 0
    users = repo / "tenants" / "starter" / "users.yaml"
    users.write_text(users.read_text().replace("last_name: Back", "last_name: Moved"))  # after the approval

    apply = Runner("apply.yml", "apply", repo, context, tmp_path)
    assert apply.run("Secrets of the environment").returncode == 0
    refused = apply.run("Apply the saved plan")
    assert refused.returncode == 1
    assert "refusing to apply saved/plan.json" in (repo / "audit" / "apply.txt").read_text()
    assert not (repo / "audit" / "apply.jsonl").exists()
    log = served_sandbox.requests()
    assert log and [r for r in log if r["method"] != "GET"] == []  # read, then refused: nothing written
