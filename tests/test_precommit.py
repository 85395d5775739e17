"""This repository's pre-commit hooks pass on its own files, offline, in a copy of the work tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Variables a calling git hook may set; they would point git in the copy at this repository.
GIT_REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR")


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in GIT_REPOSITORY_VARIABLES and k != "SKIP"}
    # The hooks are `language: system`: they run the tools of this test's environment.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    return env


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The work tree as git sees it (tracked, plus new files not ignored), in a fresh git repository."""
    pytest.importorskip("pre_commit", reason="pre-commit is a test extra")
    env = environment(tmp_path)
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    listed = git(REPO, env, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    target = tmp_path / "repo"
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git(target, env, "init", "-q")
    git(target, env, "config", "user.name", "skyconf tests")
    git(target, env, "config", "user.email", "tests@skyconf.invalid")
    git(target, env, "add", "-A")
    return target


def pre_commit(repo: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color", "never", *args],
        cwd=repo,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_all_hooks_pass_on_the_repository(copy: Path, tmp_path: Path) -> None:
    result = pre_commit(copy, tmp_path, "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr
    for hook in ("ruff check", "mypy skyconf", "skyconf validate", "skyconf fmt --check", "schemas/tenant.schema"):
        assert hook in result.stdout


def test_hooks_catch_unformatted_tenants_and_a_stale_schema(copy: Path, tmp_path: Path) -> None:
    tenant = copy / "tenants" / "example" / "tenant.yaml"
    tenant.write_text(tenant.read_text().replace("\ncountry:", "\ncountry:    "))
    schema = copy / "schemas" / "tenant.schema.json"
    schema.write_text(schema.read_text().replace("{", '{\n  "stale": true,', 1))
    fmt = pre_commit(copy, tmp_path, "skyconf-fmt", "--all-files")
    assert fmt.returncode == 1
    assert "tenants/example/tenant.yaml" in fmt.stdout
    fresh = pre_commit(copy, tmp_path, "schema-fresh", "--all-files")
    assert fresh.returncode == 1
    assert "schemas/tenant.schema.json is stale" in fresh.stdout


def test_the_offered_hooks_manifest_is_valid() -> None:
    pytest.importorskip("pre_commit", reason="pre-commit is a test extra")
    checks = (("validate-manifest", ".pre-commit-hooks.yaml"), ("validate-config", ".pre-commit-config.yaml"))
    for command, file in checks:
        result = subprocess.run(
            [sys.executable, "-m", "pre_commit", command, file], cwd=REPO, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
