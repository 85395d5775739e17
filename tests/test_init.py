"""`skyconf init`: a new tenants repository validates with the packaged templates, its pre-commit hooks pass
offline, its workflows and hooks are pinned to this skyconf, and a repository's own templates/ wins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skyconf.scaffold import installed_version
from skyconf.schema import schema_text
from tests.conftest import run

BIN = str(Path(sys.executable).parent)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKYCONF_SANDBOX_DB", str(tmp_path / "sandbox.sqlite3"))
    monkeypatch.setenv("STARTER_101_VM_PIN", "2580")
    result = run("init", "repo")
    assert result.exit_code == 0, result.output
    assert "pinned to skyconf" in result.output
    return tmp_path / "repo"


def test_init_writes_a_repository_that_validates_with_the_packaged_templates(repo: Path) -> None:
    for name in (
        "skyconf.yaml",
        "README.md",
        ".pre-commit-config.yaml",
        ".gitignore",
        "requirements-lock.txt",
        ".github/dependabot.yml",
        ".github/workflows/plan.yml",
        ".github/workflows/apply.yml",
        ".github/workflows/drift.yml",
        "tenants/starter/tenant.yaml",
    ):
        assert (repo / name).is_file(), name
    assert not (repo / "templates").exists()
    assert (repo / "schemas" / "tenant.schema.json").read_text() == schema_text()

    result = run("validate", "repo/tenants")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "starter: ok (" + result.output.split("(", 1)[1].split(")", 1)[0] + ")",
        "phone templates: shipped with skyconf (starter)",
    ]
    rendered = run("render", "repo/tenants/starter")
    assert rendered.exit_code == 0, rendered.output
    assert "local_time.ntp_server1 = pool.ntp.org" in rendered.output  # the packaged Yealink template


def test_a_repository_templates_folder_overrides_the_packaged_one(repo: Path) -> None:
    (repo / "templates").mkdir()
    (repo / "templates" / "yealink.cfg.j2").write_text("#!version:1.0.0.1\n# ours for {{ phone.mac }}\n")
    result = run("validate", "repo/tenants")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "phone templates: repo/templates (starter)"
    rendered = run("render", "repo/tenants/starter")
    assert "# ours for" in rendered.output and "ntp_server1" not in rendered.output


def test_the_repository_plans_on_the_sandbox_as_is(repo: Path) -> None:
    result = run("plan", "repo/tenants", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "starter.example.com" in result.output


def test_init_pins_this_version_and_refuses_a_folder_in_use(repo: Path, tmp_path: Path) -> None:
    version = installed_version()
    hooks = (repo / ".pre-commit-config.yaml").read_text()
    assert f"rev: v{version}" in hooks and f'grep -q "version {version}$"' in hooks
    for name in ("plan", "apply", "drift"):
        assert f'SKYCONF_PACKAGE: "skyconf=={version}"' in (repo / ".github/workflows" / f"{name}.yml").read_text()
    assert f"pipx install skyconf=={version}" in (repo / "README.md").read_text()

    again = run("init", "repo")
    assert again.exit_code == 1 and "not an empty folder" in again.output
    other = run("init", str(tmp_path / "other"), "--version", "9.9.9")
    assert other.exit_code == 0
    assert 'SKYCONF_PACKAGE: "skyconf==9.9.9"' in (tmp_path / "other/.github/workflows/plan.yml").read_text()


def test_pre_commit_runs_offline_in_the_new_repository(repo: Path, tmp_path: Path) -> None:
    pytest.importorskip("pre_commit", reason="pre-commit is a test extra")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "SKIP"}
    env["PATH"] = os.pathsep.join([BIN, env.get("PATH", "")])  # the hooks run this environment's skyconf
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env.pop("STARTER_101_VM_PIN", None)  # a laptop without the secrets: validate runs with --no-secrets

    def sh(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=300)

    sh("git", "init", "-q")
    sh("git", "add", "-A")
    result = sh(sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never")
    assert result.returncode == 0, result.stdout + result.stderr
    for hook in (f"skyconf is version {installed_version()}", "skyconf validate tenants/", "skyconf fmt --check"):
        assert hook in result.stdout and "Failed" not in result.stdout

    users = repo / "tenants" / "starter" / "users.yaml"
    users.write_text(users.read_text().replace('forward_busy: "user:101"', 'forward_busy: "user:999"'))
    broken = sh(sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never")
    assert broken.returncode == 1 and "999" in broken.stdout and "users.yaml" in broken.stdout
