"""Broken tenants: every folder under tests/broken/ is a small tenant with one mistake (one case has two).

Each case folder holds:
- the tenant's *.yaml files;
- `expected.txt`: the error line(s) the mistake must produce, one per row, as
  `FILE:LINE:COL: path.to.field: message` with FILE relative to the tenant folder ("." for the folder
  itself); each is matched as a substring of stderr once the folder's path prefix is removed;
- `env.txt` (optional): `NAME=value` rows set for the case. Every other `${env:NAME}` the case's YAML
  names is unset, so a case never depends on the developer's shell. Every value set is a secret and
  must never be printed.

`validate` and `plan` must both reject the case with exit code 1, print one line per problem and a
summary, never a traceback, and `plan` must not reach the PBX (the sandbox database is never created).
"""

from __future__ import annotations

import inspect
import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from skyconf.cli import main

BROKEN = Path(__file__).parent / "broken"
MIN_CASES = 20
CASES = sorted(p for p in BROKEN.iterdir() if p.is_dir()) if BROKEN.is_dir() else []
COMMANDS = ("validate", "plan")
MISSING_ENV_CASE = "missing-env-secret"
MISSING_ENV_NAME = "OFFICE_101_VM_PIN"

ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)")
PROBLEM_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): \S")
SUMMARY_LINE = re.compile(r"^(?P<count>\d+) problem\(s\); nothing was written to the PBX\.$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Outcome:
    exit_code: int
    stdout: str  # normalised: the case folder's path prefix removed
    stderr: str
    raw: str  # everything printed, as printed
    crash: str | None  # a traceback when the command raised something other than SystemExit
    sandbox_db: Path


def expected_lines(case: Path) -> list[str]:
    text = (case / "expected.txt").read_text(encoding="utf-8")
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def case_env(case: Path) -> dict[str, str]:
    path = case / "env.txt"
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for row in path.read_text(encoding="utf-8").splitlines():
        if not row.strip() or row.lstrip().startswith("#"):
            continue
        name, sep, value = row.partition("=")
        assert sep, f"{path}: expected NAME=value, got {row!r}"
        out[name.strip()] = value
    return out


def referenced_env(case: Path) -> set[str]:
    names: set[str] = set()
    for path in case.iterdir():
        if path.suffix in (".yaml", ".yml"):
            names.update(ENV_REF.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


def normalise(text: str, case: Path) -> str:
    """Paths in the output made relative to the tenant folder (the folder itself becomes ".")."""
    text = ANSI.sub("", text)
    for prefix in sorted({str(case), str(case.resolve())}, key=len, reverse=True):
        text = text.replace(prefix + os.sep, "").replace(prefix + ":", ".:")
    return text


def make_runner() -> CliRunner:
    # click < 8.2 mixes stderr into stdout unless asked not to; from 8.2 on `result.stderr` is always separate.
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    return CliRunner()


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def run(command: str, case: Path, env: dict[str, str] | None = None) -> Outcome:
        env = case_env(case) if env is None else env
        db = tmp_path / f"{command}-sandbox.sqlite3"
        monkeypatch.setenv("SKYCONF_SANDBOX_DB", str(db))
        # Should a case get past validation, a plan must not write a key file into the checkout.
        monkeypatch.setenv("SKYCONF_PLAN_KEY", "broken-tenants-test-key")
        monkeypatch.delenv("SKYCONF_DEBUG", raising=False)
        for name in referenced_env(case) - set(env):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        result = make_runner().invoke(main, [command, str(case)])
        crash = None
        if result.exception is not None and not isinstance(result.exception, SystemExit) and result.exc_info:
            crash = "".join(traceback.format_exception(*result.exc_info))
        return Outcome(
            exit_code=result.exit_code,
            stdout=normalise(result.stdout, case),
            stderr=normalise(result.stderr, case),
            raw=result.stdout + result.stderr,
            crash=crash,
            sandbox_db=db,
        )

    return run


def format_problems(out: Outcome, case: Path) -> list[str]:
    """What is wrong with the shape of stderr: problem lines, then one summary line."""
    failures: list[str] = []
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    summary = SUMMARY_LINE.match(lines[-1]) if lines else None
    if summary is None:
        failures.append("stderr does not end with 'N problem(s); nothing was written to the PBX.'")
    else:
        count = int(summary["count"])
        lines = lines[:-1]
        if count != len(lines):
            failures.append(f"summary says {count} problem(s) but {len(lines)} line(s) were printed")
    for line in lines:
        m = PROBLEM_LINE.match(line)
        if not m:
            failures.append(f"not a FILE:LINE:COL: problem line: {line!r}")
            continue
        where = case / m["file"]
        if not where.exists():
            failures.append(f"FILE is not in the tenant folder: {line!r}")
        elif where.is_file() and int(m["line"]) > len(where.read_text(encoding="utf-8", errors="replace").splitlines()):
            failures.append(f"LINE is past the end of {m['file']}: {line!r}")
    return failures


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} broken tenant cases under {BROKEN}"
    for case in CASES:
        assert (case / "expected.txt").is_file(), f"{case.name}: no expected.txt"
        assert expected_lines(case), f"{case.name}: expected.txt is empty"
        assert referenced_env(case) >= set(case_env(case)), f"{case.name}: env.txt sets a variable no YAML uses"
        assert any(p.suffix == ".yaml" for p in case.iterdir()), f"{case.name}: no tenant YAML files"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_tenant_is_rejected(run_cli, case: Path, command: str) -> None:
    out = run_cli(command, case)
    failures: list[str] = []
    if out.crash:
        failures.append(f"the command raised instead of exiting:\n{out.crash}")
    if out.exit_code != 1:
        failures.append(f"exit code {out.exit_code}, expected 1")
    if "Traceback" in out.raw:
        failures.append("a traceback was printed")
    missing = [line for line in expected_lines(case) if line not in out.stderr]
    failures.extend(f"expected line not in stderr: {line}" for line in missing)
    failures.extend(format_problems(out, case))
    leaked = [name for name, value in case_env(case).items() if value and value in out.raw]
    failures.extend(f"the value of secret {name} was printed" for name in leaked)
    if command == "plan" and out.sandbox_db.exists():
        failures.append("plan created the sandbox database: the PBX was contacted")
    assert not failures, "\n".join(failures) + f"\n--- stderr ---\n{out.stderr}--- stdout ---\n{out.stdout}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_one_problem_per_mistake(run_cli, case: Path) -> None:
    """A case's mistake(s) produce exactly the expected number of problems: no follow-on noise."""
    out = run_cli("validate", case)
    lines = [line for line in out.stderr.splitlines() if PROBLEM_LINE.match(line)]
    expected = expected_lines(case)
    assert len(lines) == len(expected), f"{len(lines)} problem line(s) for {len(expected)} mistake(s):\n" + "\n".join(
        lines
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_env_names_the_variable_but_prints_no_secret(run_cli, command: str) -> None:
    case = BROKEN / MISSING_ENV_CASE
    env = case_env(case)
    assert env, f"{MISSING_ENV_CASE}/env.txt should set the tenant's other secrets"
    assert MISSING_ENV_NAME not in env
    # Secrets of other programs in the environment must not leak either.
    unrelated = {"BROKEN_TENANTS_UNRELATED_TOKEN": "tok-5f0c2e9a71"}
    out = run_cli(command, case, {**env, **unrelated})
    assert out.exit_code == 1, out.stderr
    assert MISSING_ENV_NAME in out.stderr
    assert any(MISSING_ENV_NAME in line and PROBLEM_LINE.match(line) for line in out.stderr.splitlines())
    for name, value in {**env, **unrelated}.items():
        assert value not in out.raw, f"the value of {name} was printed:\n{out.raw}"
    assert not out.sandbox_db.exists()
