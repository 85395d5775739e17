"""`skyconf changed`: which tenant folders a git change touches, in a throwaway git repository."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from skyconf.changed import NULL_REVISION, changed_tenants
from skyconf.cli.gitops import changed

TENANT = "domain: {name}.example.com\ntime_zone: America/Toronto\n"


def git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proc = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def touch(repo: Path, relative: str, text: str = "# changed\n") -> None:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(text)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tenants/a, tenants/b, templates/ and skyconf.yaml, committed once on branch main."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "skyconf tests")
    git(root, "config", "user.email", "tests@skyconf.invalid")
    git(root, "config", "commit.gpgsign", "false")
    for name in ("a", "b"):
        touch(root, f"tenants/{name}/tenant.yaml", TENANT.format(name=name))
    touch(root, "templates/yealink.j2", "# phone template\n")
    touch(root, "schemas/tenant.schema.json", "{}\n")
    touch(root, "skyconf.yaml", "profiles: {}\n")
    commit(root, "initial")
    monkeypatch.chdir(root)
    return root


def cli(*args: str) -> Result:
    return CliRunner().invoke(changed, list(args))


def lines(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_one_tenant(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    touch(repo, "tenants/a/tenant.yaml")
    commit(repo, "edit a")
    assert lines(cli("--base", base)) == ["tenants/a"]


def test_two_tenants_and_json_for_a_matrix(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    touch(repo, "tenants/a/tenant.yaml")
    commit(repo, "edit a")
    touch(repo, "tenants/b/users.yaml", "users: {}\n")
    commit(repo, "add b's users")
    assert lines(cli("--base", base)) == ["tenants/a", "tenants/b"]
    result = cli("--base", base, "--format", "json")
    assert result.exit_code == 0
    assert result.stdout == '["tenants/a", "tenants/b"]\n'
    assert json.loads(result.stdout) == ["tenants/a", "tenants/b"]


@pytest.mark.parametrize("shared", ["templates/yealink.j2", "skyconf.yaml", "schemas/tenant.schema.json"])
def test_a_shared_input_lists_every_tenant(repo: Path, shared: str) -> None:
    base = git(repo, "rev-parse", "HEAD")
    touch(repo, shared, "\n")
    commit(repo, f"edit {shared}")
    result = cli("--base", base)
    assert lines(result) == ["tenants/a", "tenants/b"]
    assert f"every tenant: {shared} changed" in result.stderr


def test_nothing_changed_prints_nothing_and_an_empty_json_array(repo: Path) -> None:
    assert lines(cli("--base", "HEAD")) == []
    assert cli("--base", "HEAD", "--format", "json").stdout == "[]\n"


def test_uncommitted_and_untracked_changes_count(repo: Path) -> None:
    touch(repo, "tenants/b/tenant.yaml")  # unstaged
    touch(repo, "tenants/c/tenant.yaml", TENANT.format(name="c"))  # untracked: a new tenant
    assert lines(cli("--base", "HEAD")) == ["tenants/b", "tenants/c"]
    git(repo, "add", "tenants/b")  # staged
    assert lines(cli("--base", "HEAD")) == ["tenants/b", "tenants/c"]


def test_ignored_files_and_files_outside_tenant_folders_do_not_count(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.sqlite3\n")
    touch(repo, "tenants/a/cache.sqlite3")
    touch(repo, "tenants/README.md", "# tenants\n")
    touch(repo, "docs/notes.md")
    assert lines(cli("--base", "HEAD")) == []


def test_any_file_in_a_tenant_folder_counts(repo: Path) -> None:
    touch(repo, "tenants/a/moh/welcome.wav", "RIFF")
    assert lines(cli("--base", "HEAD")) == ["tenants/a"]


def test_a_deleted_tenant_is_not_listed_but_named_on_stderr(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-q", "-r", "tenants/b")
    touch(repo, "tenants/a/tenant.yaml")
    commit(repo, "retire b, edit a")
    result = cli("--base", base)
    assert lines(result) == ["tenants/a"]
    assert "tenants/b: folder deleted" in result.stderr
    assert "nothing is removed from the PBX" in result.stderr


def test_a_renamed_tenant_lists_its_new_folder_only(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "mv", "tenants/b", "tenants/bravo")
    commit(repo, "rename b")
    assert lines(cli("--base", base)) == ["tenants/bravo"]


def test_only_the_branch_changes_count_not_what_landed_on_the_base_since(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    touch(repo, "tenants/a/tenant.yaml")
    commit(repo, "feature edits a")
    git(repo, "checkout", "-q", "main")
    touch(repo, "tenants/b/tenant.yaml")
    commit(repo, "main edits b meanwhile")
    git(repo, "checkout", "-q", "feature")
    git(repo, "update-ref", "refs/remotes/origin/main", "main")
    assert lines(cli("--base", "origin/main")) == ["tenants/a"]


def test_null_base_of_a_new_branch_lists_every_tenant(repo: Path) -> None:
    assert lines(cli("--base", NULL_REVISION)) == ["tenants/a", "tenants/b"]


def test_path_argument_as_typed_and_a_single_tenant_folder(repo: Path) -> None:
    touch(repo, "tenants/a/tenant.yaml")
    assert lines(cli("--base", "HEAD", "./tenants/")) == ["tenants/a"]
    assert lines(cli("--base", "HEAD", "tenants/a")) == ["tenants/a"]
    assert lines(cli("--base", "HEAD", "tenants/b")) == []


def test_from_a_subfolder(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(repo, "tenants/b/tenant.yaml")
    monkeypatch.chdir(repo / "tenants")
    assert lines(cli("--base", "HEAD", ".")) == ["b"]


def test_bad_ref_is_one_clear_line(repo: Path) -> None:
    result = cli("--base", "no-such-branch")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: unknown git revision 'no-such-branch': fetch it first (in GitHub Actions: actions/checkout with "
        "fetch-depth: 0)"
    ]


def test_a_ref_that_looks_like_an_option_is_refused(repo: Path) -> None:
    result = cli("--base=--output=x.txt")
    assert result.exit_code == 1
    assert "not a git revision" in result.stderr


def test_not_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "plain"
    touch(folder, "tenants/a/tenant.yaml", TENANT.format(name="a"))
    monkeypatch.chdir(folder)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = cli("--base", "main")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: not a git repository: tenants")
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_path(repo: Path) -> None:
    result = cli("--base", "HEAD", "nowhere")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no such folder: nowhere"


def test_library_reports_why_everything_changed(repo: Path) -> None:
    touch(repo, "templates/polycom.j2")
    result = changed_tenants("HEAD", [repo / "tenants"])
    assert result.tenants == [(repo / "tenants" / n).as_posix() for n in ("a", "b")]
    assert result.everything_because == "templates/polycom.j2"
    assert result.removed == []
