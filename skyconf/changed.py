"""Which tenant folders a git change touches, so CI plans and applies only those tenants.

A tenant is listed when a file under its folder differs between the merge base of REF and HEAD
and the working tree (committed, staged, unstaged or untracked). The merge base, not REF itself,
so that commits which landed on the base branch after a pull request branched off do not count
as the pull request's changes (the same three-dot diff GitHub shows). Changes to the inputs every
tenant shares (`templates/`, `skyconf.yaml`, `schemas/` at the skyconf root) list every tenant.

A deleted tenant folder is not listed: there is nothing left to plan or apply, and skyconf owns
only what a folder declares, so deleting a folder means "stop managing this domain", never "wipe
it on the PBX" (that would lose voicemail; prune inside the tenant for that). Deleted folders are
reported separately (`Changes.removed`) so the CLI can say so in the CI log.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from skyconf.errors import SkyconfError
from skyconf.load import TENANT_SUFFIXES
from skyconf.repo import find_root

# Inputs shared by every tenant, relative to the skyconf root; a trailing "/" means a folder.
SHARED_INPUTS: tuple[str, ...] = ("templates/", "skyconf.yaml", "schemas/")
# What GitHub sends as `github.event.before` for the first push of a branch: no base, so everything.
NULL_REVISION = "0" * 40
_REPOSITORY_VARIABLES = frozenset(
    (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_PREFIX",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_SHALLOW_FILE",
        "GIT_GRAFT_FILE",
    )
)


@dataclass(frozen=True)
class Changes:
    """The outcome of a comparison: tenant folders to plan, and why."""

    tenants: list[str] = field(default_factory=list)
    # Tenant folders that had changes but no longer exist (deleted or renamed away).
    removed: list[str] = field(default_factory=list)
    # Set when every tenant is listed: the shared input that changed, or "no base revision".
    everything_because: str | None = None
    # The git top level, and the commit compared with (the merge base); "" with no base revision.
    top: Path | None = None
    since: str = ""


def changed_tenants(
    base: str,
    paths: Sequence[Path] = (Path("tenants"),),
    shared: Sequence[str] = SHARED_INPUTS,
) -> Changes:
    """Tenant folders under `paths` changed since `base`; folders are returned as `path/name`, as typed."""
    paths = list(paths) or [Path("tenants")]
    top = _toplevel(paths[0])
    current = {_shown(p, f): f for p in paths for f in _tenant_folders(p)}
    if base == NULL_REVISION:
        return Changes(sorted(current), [], "no base revision")
    since = _since_commit(top, base)
    files = [top / name for name in _changed_files(top, since, paths, shared)]
    touched: set[str] = set()
    removed: set[str] = set()
    for path in paths:
        base_folder = path.resolve()
        if _is_tenant(base_folder):  # PATH is itself a tenant folder
            if any(_under(f, base_folder, folder=True) for f in files):
                touched.add(path.as_posix())
            continue
        for f in files:
            if not _under(f, base_folder, folder=True):
                continue
            parts = f.relative_to(base_folder).parts
            if len(parts) < 2:
                continue  # a file directly in tenants/ (a README) belongs to no tenant
            shown = _shown(path, base_folder / parts[0])
            (touched if shown in current else removed).add(shown)
    root = find_root(paths[0]).resolve()
    for name in shared:
        hit = next((f for f in files if _under(f, root / name.rstrip("/"), folder=name.endswith("/"))), None)
        if hit is not None:
            return Changes(sorted(current), sorted(removed), hit.relative_to(top).as_posix(), top, since)
    return Changes(sorted(touched), sorted(removed - touched), None, top, since)


def _toplevel(path: Path) -> Path:
    start = path if path.is_dir() else path.parent
    if not start.is_dir():
        raise SkyconfError(f"no such folder: {path}")
    proc = _git(start, "rev-parse", "--show-toplevel", check=False)
    if proc.returncode != 0:
        raise SkyconfError(f"not a git repository: {start} (`skyconf changed` compares git revisions)")
    return Path(proc.stdout.strip()).resolve()


def _since_commit(top: Path, base: str) -> str:
    """The commit a change is measured from: the merge base of `base` and HEAD."""
    if not base or base.startswith("-"):
        raise SkyconfError(f"not a git revision: {base!r}")
    verify = _git(top, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", check=False)
    if verify.returncode != 0:
        raise SkyconfError(
            f"unknown git revision '{base}': fetch it first (in GitHub Actions: actions/checkout with fetch-depth: 0)"
        )
    base_commit = verify.stdout.strip()
    merge_base = _git(top, "merge-base", base_commit, "HEAD", check=False)
    # No common ancestor (unrelated histories, or a shallow clone cut above it): compare with REF itself.
    return merge_base.stdout.strip() if merge_base.returncode == 0 else base_commit


def export_folder(top: Path, commit: str, folder: Path, dest: Path) -> bool:
    """Write `folder` (under the git top level `top`) as it was at `commit` into `dest`, at the same
    path relative to `dest` as to `top`; False when the folder did not exist then."""
    rel = folder.resolve().relative_to(top).as_posix()
    proc = _git_bytes(top, "archive", "--format=tar", commit, "--", rel)
    if proc.returncode != 0:
        return False
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return (dest / rel).is_dir()


def _changed_files(top: Path, since: str, paths: list[Path], shared: Sequence[str]) -> list[str]:
    """Paths (relative to the git top level) that differ from the commit `since`, plus untracked ones."""
    diff = _git(top, "diff", "--name-only", "--no-renames", "-z", since, "--")
    root = find_root(paths[0]).resolve()
    scopes = [str(p.resolve()) for p in paths] + [str(root / s.rstrip("/")) for s in shared]
    untracked = _git(top, "ls-files", "--others", "--exclude-standard", "--full-name", "-z", "--", *scopes)
    return [name for name in (diff.stdout + untracked.stdout).split("\0") if name]


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, env=_git_env(), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise SkyconfError("git is not installed (or not on PATH)") from None
    if check and proc.returncode != 0:
        message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"
        raise SkyconfError(f"git {args[0]} failed: {message}")
    return proc


def _git_bytes(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """A git command whose output is bytes (an archive); its exit status is the caller's to read."""
    return subprocess.run(["git", *args], cwd=cwd, env=_git_env(), capture_output=True, check=False)


def _git_env() -> dict[str, str]:
    # Variables a calling git hook sets (GIT_DIR, GIT_INDEX_FILE) would point git at another repository.
    env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # read-only: never rewrite the index as a side effect
    return env


def _tenant_folders(path: Path) -> list[Path]:
    if not path.is_dir():
        raise SkyconfError(f"no such folder: {path}")
    if _is_tenant(path):
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and _is_tenant(p))


def _is_tenant(folder: Path) -> bool:
    return folder.is_dir() and any(p.suffix in TENANT_SUFFIXES and p.is_file() for p in folder.iterdir())


def _under(file: Path, target: Path, folder: bool) -> bool:
    return file.is_relative_to(target) and file != target if folder else file == target


def _shown(path: Path, folder: Path) -> str:
    """`tenants/acme`: the PATH as the user typed it, then the tenant's folder name."""
    return path.as_posix() if _is_tenant(path) else (path / folder.name).as_posix()
