"""What plan and apply print: off a terminal a line per tenant and per failure (never per success),
-q only errors and the result, -v a request summary per tenant matching what the PBX received, -vv
every request; on a terminal a spinner while reading and one bar while applying; a long plan sent to
a file or pipe by apply is counted per kind."""

from __future__ import annotations

import importlib
import io
import json
import re
import shutil
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import skyconf.pipeline as pipeline
from skyconf.apply import Outcome
from skyconf.cli.common import RedactingConsole
from skyconf.cli.progress import Applying, reading
from skyconf.errors import PbxError
from skyconf.plan import Change
from skyconf.providers import RequestStats
from skyconf.sandbox.log import Exchange, RequestLog
from tests.conftest import run

# The module, not the `main` group that skyconf.cli exports under the same name.
cli_main = importlib.import_module("skyconf.cli.main")
SUMMARY = re.compile(r"^(\S+): ([\d,]+) applied, ([\d,]+) failed, ([\d,]+) skipped$")


def _second_tenant(workspace: Path) -> None:
    """tenants/second: the example under another domain (without its phones and numbers, which belong
    to one tenant only), so output has two tenants."""
    second = workspace / "tenants" / "second"
    shutil.copytree(workspace / "tenants" / "example", second)
    (second / "phones.yaml").unlink()
    (second / "phone_numbers.yaml").unlink()
    tenant = second / "tenant.yaml"
    tenant.write_text(tenant.read_text().replace("domain: acme.example.com", "domain: second.example.com"))


def _changes_per_tenant() -> dict[str, int]:
    planned = run("plan", "tenants/", "--format", "json")
    assert planned.exit_code == 0, planned.output
    return {t["tenant"]: len(t["changes"]) for t in json.loads(planned.stdout)["tenants"]}


@pytest.fixture
def exchanges(monkeypatch: pytest.MonkeyPatch) -> list[Exchange]:
    """Every request the embedded sandbox answers from now on."""
    seen: list[Exchange] = []
    original = RequestLog.add

    def add(self: RequestLog, exchange: Exchange) -> None:
        seen.append(exchange)
        original(self, exchange)

    monkeypatch.setattr(RequestLog, "add", add)
    return seen


def test_apply_off_a_terminal_prints_a_line_per_tenant_and_none_per_success(workspace: Path) -> None:
    _second_tenant(workspace)
    planned = _changes_per_tenant()
    assert set(planned) == {"example", "second"} and all(n > 0 for n in planned.values())

    applied = run("apply", "tenants/", "--auto-approve")

    assert applied.exit_code == 0, applied.output
    summaries = [line for line in applied.stderr.splitlines() if SUMMARY.match(line)]
    assert sorted(summaries) == sorted(f"{t}: {n} applied, 0 failed, 0 skipped" for t, n in planned.items())
    assert not [line for line in applied.stderr.splitlines() if re.search(r": (done|create|update)\b", line)]
    assert f"Applied {sum(planned.values())} change(s)." in applied.stdout


def test_failed_and_skipped_changes_are_listed_with_their_errors(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PBX refuses to create user 103: that fails, and the user's own objects are skipped."""
    real = pipeline.apply_changes

    async def refusing(
        changes: list[Change], write: Callable[[Change], Awaitable[None]], on_outcome: Callable[[Outcome], None] | None
    ) -> list[Outcome]:
        async def write_or_refuse(change: Change) -> None:
            if change.ref == ("user", ("103",)):
                raise PbxError("PBX refused POST user 103: HTTP 400 no such department")
            await write(change)

        return await real(changes, write_or_refuse, on_outcome)

    monkeypatch.setattr(pipeline, "apply_changes", refusing)
    (planned,) = _changes_per_tenant().values()

    applied = run("apply", "tenants/", "--auto-approve")

    assert applied.exit_code == 1
    lines = applied.stderr.splitlines()
    failed = [line for line in lines if ": failed (" in line]
    skipped = [line for line in lines if ": skipped (" in line]
    assert len(failed) == 1 and failed[0].startswith("example: create user 103: failed (")
    assert "HTTP 400 no such department" in failed[0]
    assert all(line.startswith("example: ") and "which was not applied)" in line for line in skipped)
    assert any("create answer_rule 103/" in line and "needs user 103" in line for line in skipped)
    (summary,) = [line for line in lines if SUMMARY.match(line)]
    done = planned - 1 - len(skipped)
    assert summary == f"example: {done} applied, 1 failed, {len(skipped)} skipped"
    assert f"Applied {done} change(s); {1 + len(skipped)} failed or skipped" in applied.stderr


@pytest.mark.parametrize("args", [("-q", "plan", "tenants/"), ("plan", "tenants/", "--quiet")])
def test_quiet_plan_prints_only_its_totals(workspace: Path, args: tuple[str, ...]) -> None:
    (planned,) = _changes_per_tenant().values()
    result = run(*args)
    assert result.exit_code == 0
    (line,) = result.stdout.splitlines()
    assert line.startswith("1 tenant(s): ") and "to create" in line
    counts = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) to", line)]
    assert sum(counts) == planned
    assert result.stderr == ""  # the example's warnings are not errors


def test_quiet_apply_prints_errors_and_the_result_only(workspace: Path) -> None:
    (planned,) = _changes_per_tenant().values()
    applied = run("apply", "tenants/", "--auto-approve", "-q")
    assert applied.exit_code == 0
    assert applied.stdout.splitlines() == [f"Applied {planned} change(s)."]
    assert applied.stderr == ""
    again = run("apply", "tenants/", "--auto-approve", "-q")
    assert again.exit_code == 0 and again.stdout.splitlines() == ["1 tenant(s): no changes"]


def test_quiet_and_verbose_together_are_a_usage_error(workspace: Path) -> None:
    assert run("-q", "plan", "tenants/", "-v").exit_code == 64


def _request_summary(stderr: str, tenant: str, what: str) -> Counter[str]:
    """The methods and counts of `tenant: read with N requests (GET n, ...), R retries, in T s`."""
    (line,) = [line for line in stderr.splitlines() if f"{tenant}: {what} with " in line]
    by_method = re.search(r"\(([^)]*)\), 0 retries, in [\d.]+ s$", line)
    assert by_method is not None, line
    counted = Counter({m: int(n.replace(",", "")) for m, n in re.findall(r"([A-Z]+) ([\d,]+)", by_method.group(1))})
    total = re.search(r"with ([\d,]+) requests", line)
    assert total is not None and int(total.group(1).replace(",", "")) == counted.total()
    return counted


@pytest.mark.parametrize("args", [("plan", "tenants/", "-v"), ("-v", "plan", "tenants/")])
def test_verbose_plan_logs_requests_per_tenant_as_the_pbx_received_them(
    workspace: Path, exchanges: list[Exchange], args: tuple[str, ...]
) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert exchanges, "the sandbox was read"
    assert _request_summary(result.stderr, "example", "read") == Counter(e.method for e in exchanges)
    assert "DEBUG" not in result.stderr  # -v summarises; it does not list each request


def test_verbose_apply_logs_the_writes_per_tenant(workspace: Path, exchanges: list[Exchange]) -> None:
    _second_tenant(workspace)
    applied = run("-v", "apply", "tenants/", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    by_domain = {"example": "acme.example.com", "second": "second.example.com"}
    total: Counter[str] = Counter()
    for tenant, domain in by_domain.items():
        read = _request_summary(applied.stderr, tenant, "read")
        written = _request_summary(applied.stderr, tenant, "applied")
        assert written["POST"] > 0
        total += read + written
        # The writes are this domain's own: every write the sandbox answered for it, counted.
        mine = [e for e in exchanges if e.is_write and f"/{domain}" in e.path]
        assert written["POST"] + written["PUT"] + written["DELETE"] + written["PATCH"] == len(mine)
    assert total == Counter(e.method for e in exchanges)


def test_very_verbose_logs_every_request(workspace: Path, exchanges: list[Exchange]) -> None:
    result = run("plan", "tenants/", "-vv")
    assert result.exit_code == 0
    logged = re.findall(r"^DEBUG (GET|POST|PUT|DELETE) (/[^?:]*)\S*: HTTP (\d+)", result.stderr, re.MULTILINE)
    assert len(logged) == len(exchanges) > 0
    assert sorted(logged) == sorted((e.method, e.path, str(e.status)) for e in exchanges)


def test_a_long_plan_apply_sends_to_a_pipe_is_counted_per_kind(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_main, "LONG_PLAN", 10)
    planned = json.loads(run("plan", "tenants/", "--format", "json").stdout)["tenants"][0]["changes"]
    users = sum(1 for c in planned if c["kind"] == "user" and c["action"] == "create")
    assert len(planned) > 10 and users > 1

    applied = run("apply", "tenants/", "--auto-approve")

    assert applied.exit_code == 0
    assert "Tenant example (acme.example.com on sandbox): " in applied.stdout
    creates = sum(1 for c in planned if c["action"] == "create")
    assert re.search(rf"^  create {creates}: .*\buser {users}\b", applied.stdout, re.MULTILINE)
    assert "+ create user" not in applied.stdout  # no change listed one by one
    assert f"{len(planned)} changes, counted per kind" in applied.stdout
    assert "`skyconf plan tenants`" in applied.stdout and "-o plan.json" in applied.stdout


def test_a_long_plan_to_a_terminal_is_printed_whole(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_main, "LONG_PLAN", 10)
    terminal = io.StringIO()
    monkeypatch.setattr(cli_main, "out", RedactingConsole(file=terminal, force_terminal=True, width=200))
    applied = run("apply", "tenants/", "--auto-approve")
    assert applied.exit_code == 0
    assert "+ create user" in terminal.getvalue() and "counted per kind" not in terminal.getvalue()


def _terminal() -> tuple[RedactingConsole, io.StringIO]:
    buffer = io.StringIO()
    return RedactingConsole(file=buffer, force_terminal=True, width=120, highlight=False), buffer


def _change(key: str) -> Change:
    return Change("create", "user", (key,), None, {"first_name": key})


def test_apply_on_a_terminal_shows_one_bar_counting_failures() -> None:
    console, buffer = _terminal()
    reporter = Applying({"big.example": 3}, {"big.example": "big.example"}, lambda domain: None, console)
    reporter.start(verbose=0)
    reporter.report("big.example", Outcome(_change("101"), "done"))
    reporter.report("big.example", Outcome(_change("102"), "failed", "PBX refused POST: HTTP 400 bad"))
    reporter.report("big.example", Outcome(_change("103"), "done"))
    reporter.stop()
    shown = buffer.getvalue()
    assert "applying" in shown and "3/3" in shown and "1 failed, 0 skipped" in shown
    assert "big.example: create user 102: failed (PBX refused POST: HTTP 400 bad)" in shown
    assert "big.example: 2 applied, 1 failed, 0 skipped" in shown
    assert "create user 101" not in shown and "create user 103" not in shown


def test_off_a_terminal_there_is_no_bar() -> None:
    buffer = io.StringIO()
    console = RedactingConsole(file=buffer, highlight=False, width=120)
    reporter = Applying({"a": 2}, {"a": "a.example"}, lambda domain: None, console)
    reporter.start(verbose=0)
    reporter.report("a", Outcome(_change("101"), "done"))
    reporter.report("a", Outcome(_change("102"), "done"))
    reporter.stop()
    assert buffer.getvalue() == "a: 2 applied, 0 failed, 0 skipped\n"


def test_plan_on_a_terminal_shows_each_tenant_being_read_with_its_requests() -> None:
    console, buffer = _terminal()
    stats = {"big.example": RequestStats({"GET": 1234}, 1234), "small.example": RequestStats({"GET": 7}, 7)}
    with reading({"big": "big.example", "small": "small.example"}, stats.get, console, 0) as on_read:
        on_read("small")
    shown = buffer.getvalue()
    assert "reading big: 1,234 requests" in shown
    assert "read 1/2 tenants" in shown


def test_quiet_plan_on_a_terminal_shows_no_spinner() -> None:
    console, buffer = _terminal()
    with reading({"big": "big.example"}, lambda domain: RequestStats({"GET": 5}, 5), console, -1):
        pass
    assert buffer.getvalue() == ""
