"""Benchmark: what plans and applies cost against a PBX with realistic latency.

    python -m skyconf.bench [--users 1000] [--tenants 20] [--latency-ms 20] [--out bench.json] [--only NAME,...]
    python -m skyconf.bench --calls 100000 [--users 1000] [--latency-ms 20] [--out bench-calls.json]

Generates one large tenant (N users, each with 3 answering rules, 2 own time frames, 5 contacts and
a phone) and M small tenants, starts `skyconf sandbox serve` on
127.0.0.1 with a fixed latency per request, and runs the real CLI in child processes: cold apply,
no-op plan, the scoped plan of a one-line change (`plan --changed-since HEAD`, as a pull request's
plan runs), one-change plan and apply, for the large tenant and for the fleet, and `skyconf import`
of the large tenant and of one fleet tenant into new folders. Reports wall time, CPU time and peak
memory of each child, requests by kind, and each run's ideal time (requests / concurrency x latency)
with its ratio. Also times load + validate + resolve and the diff in-process.

`--only` runs a subset, by the names in RUNS (`--only large-import,fleet-import`); a run's cold
apply runs first whenever it needs one.

With `--calls N` it measures something else, on its own: `skyconf calls` reading a month of N call
records of a domain of `--users` users (as CSV), and the same for N/10, so the peak memory of the two
shows whether reading stays flat as the records grow.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from skyconf.config import DEFAULT_CONCURRENCY
from skyconf.sandbox.fill import fill_calls
from skyconf.sandbox.log import request_kind
from skyconf.sandbox.process import ServedSandbox

TOKEN = "bench-token"
# The repository's phone templates (phones are left out of the tenants when they are not there).
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# The benchmark runs at the profile default, as the targets ask.
CONCURRENCY = DEFAULT_CONCURRENCY


# Runs whose ideal is shorter than this get no ratio to it (interpreter start alone is longer).
MEASURED_IDEAL_S = 0.1

# What `--only` can name: run -> the runs it needs first (the tenant applied cold).
RUNS: dict[str, tuple[str, ...]] = {
    "large-apply": (),
    "large-plan": ("large-apply",),
    "large-import": ("large-apply",),
    "large-scoped": ("large-apply",),
    "large-change": ("large-apply",),
    "fleet-apply": (),
    "fleet-plan": ("fleet-apply",),
    "fleet-import": ("fleet-apply",),
}


@dataclass
class Run:
    name: str
    wall_s: float
    cpu_s: float
    peak_mb: float
    requests: int
    writes: int
    by_kind: dict[str, int] = field(default_factory=dict)
    exit_code: int = 0
    # (requests / concurrency) x latency, and wall / ideal; filled in by `with_ideal`.
    ideal_s: float = 0.0
    vs_ideal: float | None = None


def with_ideal(run: Run, latency_ms: float) -> Run:
    """The run with the time its requests would take at full concurrency and nothing else, and the
    ratio; none for a run of a few requests (the scoped plan), whose ideal is not its measure."""
    run.ideal_s = round(run.requests / CONCURRENCY * latency_ms / 1000, 3)
    run.vs_ideal = round(run.wall_s / run.ideal_s, 2) if run.ideal_s >= MEASURED_IDEAL_S else None
    return run


def selected(only: str | None) -> set[str]:
    """The runs `--only` names, with the runs they need; every run without it."""
    if not only:
        return set(RUNS)
    names = {n.strip() for n in only.split(",") if n.strip()}
    unknown = sorted(names - set(RUNS))
    if unknown:
        raise SystemExit(f"--only: unknown run(s) {', '.join(unknown)}; runs: {', '.join(RUNS)}")
    return names | {need for n in names for need in RUNS[n]}


def tenant_yaml(domain: str, users: int, rich: bool) -> dict[str, str]:
    """Files of one generated tenant: domain frames, a profile, and `users` users."""
    head = "# yaml-language-server: $schema=../../schemas/tenant.schema.json\n"
    files = {
        "tenant.yaml": f"{head}domain: {domain}\npbx: bench\ncountry: US\ntime_zone: America/New_York\n",
        "time_frames.yaml": head
        + "time_frames:\n"
        + '  Holiday: {priority: 1, dates: ["2026-12-25", "2027-01-01"]}\n'
        + '  Open Hours: {priority: 2, weekly: {mon-fri: ["09:00-17:00"]}}\n'
        + "  Closed Hours: {priority: 3, always: true}\n",
    }
    lines = [head, "users:\n"]
    for i in range(users):
        ext = str(1000 + i)
        lines.append(
            f'  "{ext}":\n'
            f"    first_name: User{i}\n    last_name: Bench\n    email: u{i}@{domain}\n    ring_timeout: 20\n"
            f"    time_frames:\n"
            f'      Lunch: {{priority: 10, weekly: {{mon-fri: ["12:00-13:00"]}}}}\n'
            f'      Training: {{priority: 11, dates: ["2026-12-{10 + i % 15:02d}"]}}\n'
            f"    answering_rules:\n"
            f'      Lunch: {{forward_always: "voicemail:self"}}\n'
            f"      Closed Hours: {{do_not_disturb: true}}\n"
            f'      default: {{forward_no_answer: "voicemail:self"}}\n'
        )
        if rich:
            lines.append("    contacts:\n")
            for c in range(5):
                # A number of its own per contact, as personal contacts have (no parsing shared by chance).
                work = f"+1 212 {230 + i % 50} {1000 + (i // 50) * 5 + c}"
                lines.append(f'      - {{first_name: Contact{c}, last_name: Of{ext}, work: "{work}"}}\n')
    files["users.yaml"] = "".join(lines)
    if rich and TEMPLATES.is_dir():
        phones = [head, "phone_settings: {ntp_server: pool.ntp.org}\nphones:\n"]
        for i in range(users):
            ext = str(1000 + i)
            blf = f'["{1000 + (i + 1) % users}"]' if users > 1 else "[]"
            phones.append(f'  "0015650{i:05x}": {{model: yealink-t54w, user: "{ext}", blf: {blf}}}\n')
        files["phones.yaml"] = "".join(phones)
    return files


def write_tenant(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)


def run_cli(name: str, args: list[str], cwd: Path, sandbox: ServedSandbox) -> Run:
    before = len(sandbox.requests())
    env = {**os.environ, "BENCH_KEY": TOKEN, "SKYCONF_PLAN_KEY": "bench"}
    with tempfile.TemporaryFile() as stderr_file:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "skyconf", *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr_file
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stderr_file.seek(0)
        stderr = stderr_file.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        raise RuntimeError(f"{name}: exit {code}\n{stderr[-2000:]}")
    log = sandbox.requests(before)
    kinds = Counter(request_kind(str(e["method"]), str(e["path"])) for e in log)
    return Run(
        name,
        round(wall, 3),
        round(usage.ru_utime + usage.ru_stime, 3),
        round(usage.ru_maxrss / 1024, 1),
        len(log),
        sum(1 for e in log if e["method"] != "GET"),
        dict(sorted(kinds.items())),
        code,
    )


def scoped_run(work: Path, big: Path, user: int, sandbox: ServedSandbox) -> Run:
    """`plan --changed-since HEAD` after a one-line change (one user's default forward), the way a
    pull request's plan runs; the change is undone afterwards."""

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@invalid", *args], cwd=work, check=True)

    git("init", "-q", "-b", "main")
    # A repository of tenants, as users keep one: not the sandbox's database or another run's import.
    (work / ".gitignore").write_text("bench.sqlite3*\nimports/\n.skyconf/\n")
    git("add", "-A")
    git("commit", "-q", "-m", "applied")
    users = big / "users.yaml"
    text = users.read_text()
    head = f'  "{1000 + user}":\n'
    start = text.index(head)
    old = 'default: {forward_no_answer: "voicemail:self"}'
    at = text.index(old, start)
    users.write_text(text[:at] + 'default: {forward_no_answer: "user:1000"}' + text[at + len(old) :])
    try:
        return run_cli(
            "large: scoped plan of a one-line change", ["plan", "tenants/big", "--changed-since", "HEAD"], work, sandbox
        )
    finally:
        users.write_text(text)


def in_process_costs(folder: Path, sandbox_url: str) -> dict[str, float]:
    """CPU seconds of load + validate + resolve, and of the diff, for one tenant."""
    from skyconf.cli.common import load_tenants as load_all
    from skyconf.pipeline import Session
    from skyconf.plan import diff

    start = time.process_time()
    desired = load_all([folder])
    load_cpu = time.process_time() - start

    async def read() -> Any:
        async with Session(folder.parent.parent) as session:
            return await session.provider("bench").tenant(desired[0].scope).read()

    live = asyncio.run(read())
    start = time.process_time()
    diff(desired[0].state, live, desired[0].prune)
    diff_cpu = time.process_time() - start
    return {"load_validate_resolve_cpu_s": round(load_cpu, 3), "diff_cpu_s": round(diff_cpu, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skyconf.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000, help="users in the large tenant")
    parser.add_argument("--tenants", type=int, default=20, help="number of small tenants in the fleet")
    parser.add_argument("--fleet-users", type=int, default=25, help="users per small tenant")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="latency the sandbox adds per request")
    parser.add_argument("--out", type=Path, default=Path("bench-results.json"), help="JSON results file")
    parser.add_argument("--calls", type=int, default=0, help="instead: time reading this many call records")
    parser.add_argument("--only", help=f"comma-separated runs to do (and what they need): {', '.join(RUNS)}")
    args = parser.parse_args(argv)
    if args.calls:
        return calls_main(args.calls, args.users, args.latency_ms, args.out)
    only = selected(args.only)
    installed_bytecode()

    work = Path(tempfile.mkdtemp(prefix="skyconf-bench-"))
    sandbox = ServedSandbox.start(work / "bench.sqlite3", TOKEN, f"latency_ms={args.latency_ms}")
    costs: dict[str, float] = {}
    try:
        (work / "skyconf.yaml").write_text(
            f"profiles:\n  bench:\n    url: {sandbox.api_url}\n    api_key_env: BENCH_KEY\n"
            f"    concurrency: {CONCURRENCY}\n    timeout: 120\n"
        )
        os.environ["BENCH_KEY"] = TOKEN
        if TEMPLATES.is_dir():
            shutil.copytree(TEMPLATES, work / "templates")
        big = work / "tenants" / "big"
        write_tenant(big, tenant_yaml("big.bench.example.com", args.users, rich=True))
        fleet = work / "fleet"
        fleet.mkdir()
        for i in range(args.tenants):
            write_tenant(fleet / f"t{i:03d}", tenant_yaml(f"t{i:03d}.bench.example.com", args.fleet_users, False))
        (fleet / "skyconf.yaml").write_text((work / "skyconf.yaml").read_text())

        runs: list[Run] = []
        if "large-apply" in only:
            runs.append(
                run_cli("large: cold apply", ["apply", "tenants/big", "--auto-approve", "--force"], work, sandbox)
            )
        if "large-plan" in only:
            runs.append(run_cli("large: no-op plan", ["plan", "tenants/big", "--detailed-exitcode"], work, sandbox))
        if "large-import" in only:
            runs.append(run_cli("large: import", import_args("big.bench.example.com", "imports/big"), work, sandbox))
        if "large-scoped" in only:
            runs.append(scoped_run(work, big, args.users // 2, sandbox))
        if "large-change" in only:
            users = big / "users.yaml"
            middle = args.users // 2
            before = f'"{1000 + middle}":\n    first_name: User{middle}\n'
            text = users.read_text()
            assert before in text
            users.write_text(text.replace(before, f'"{1000 + middle}":\n    first_name: Renamed\n', 1))
            runs.append(run_cli("large: one-change plan", ["plan", "tenants/big"], work, sandbox))
            runs.append(run_cli("large: one-change apply", ["apply", "tenants/big", "--auto-approve"], work, sandbox))
        if "fleet-apply" in only:
            runs.append(run_cli("fleet: cold apply", ["apply", ".", "--auto-approve", "--force"], fleet, sandbox))
        if "fleet-plan" in only:
            runs.append(run_cli("fleet: no-op plan", ["plan", ".", "--detailed-exitcode"], fleet, sandbox))
        if "fleet-import" in only and args.tenants:
            args_t = import_args("t000.bench.example.com", "imports/t000")
            runs.append(run_cli("fleet: import of one tenant", args_t, work, sandbox))
        if "large-plan" in only:
            costs = in_process_costs(big, sandbox.url)
    finally:
        sandbox.stop()
        shutil.rmtree(work, ignore_errors=True)

    runs = [with_ideal(r, args.latency_ms) for r in runs]
    noop = next((r for r in runs if r.name == "large: no-op plan"), None)
    result = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "settings": {
            "users": args.users,
            "tenants": args.tenants,
            "fleet_users": args.fleet_users,
            "latency_ms": args.latency_ms,
            "concurrency": CONCURRENCY,
            "only": sorted(only),
        },
        "runs": [asdict(r) for r in runs],
        **({"noop_plan_ideal_s": noop.ideal_s, "noop_plan_vs_ideal": noop.vs_ideal} if noop else {}),
        **costs,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    return 0


def installed_bytecode() -> None:
    """Compile skyconf's modules to bytecode once, as installing a package does: with
    PYTHONDONTWRITEBYTECODE set (or a read-only checkout) every run would compile them from source
    again, and the benchmark would time that instead of skyconf."""
    compileall.compile_dir(Path(__file__).resolve().parent, quiet=1)


def import_args(domain: str, folder: str) -> list[str]:
    """`skyconf import` of a domain into a new folder (outside tenants/, so no other run reads it)."""
    return ["import", "--pbx", "bench", "--domain", domain, "-o", folder]


def calls_main(calls: int, users: int, latency_ms: float, out: Path) -> int:
    work = Path(tempfile.mkdtemp(prefix="skyconf-bench-calls-"))
    runs: list[Run] = []
    try:
        for n in (calls // 10, calls):
            domain = f"calls{n}.bench.example.com"
            fill_calls(work / f"calls-{n}.sqlite3", domain, n, users)
            sandbox = ServedSandbox.start(work / f"calls-{n}.sqlite3", TOKEN, f"latency_ms={latency_ms}")
            try:
                (work / "skyconf.yaml").write_text(
                    f"profiles:\n  bench:\n    url: {sandbox.api_url}\n    api_key_env: BENCH_KEY\n    timeout: 120\n"
                )
                tenant = work / "tenants" / f"calls{n}"
                head = f"domain: {domain}\npbx: bench\ncountry: US\ntime_zone: America/New_York\n"
                write_tenant(tenant, {"tenant.yaml": head})
                args = ["calls", f"tenants/calls{n}", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv"]
                runs.append(run_cli(f"calls: read {n} records (csv)", args, work, sandbox))
            finally:
                sandbox.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "settings": {"calls": calls, "users": users, "latency_ms": latency_ms},
        "runs": [asdict(r) for r in runs],
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
    rows = ["| run | wall s | CPU s | peak MB | requests |", "|---|---:|---:|---:|---:|"]
    rows += [f"| {r.name} | {r.wall_s} | {r.cpu_s} | {r.peak_mb} | {r.requests} |" for r in runs]
    print("\n".join(rows))
    return 0


def table(result: dict[str, Any]) -> str:
    settings = result["settings"]
    rows = [
        "| run | wall s | CPU s | peak MB | requests | writes | ideal s | x ideal |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["runs"]:
        rows.append(
            f"| {r['name']} | {r['wall_s']} | {r['cpu_s']} | {r['peak_mb']} | {r['requests']} | {r['writes']} "
            f"| {r['ideal_s']} | {r['vs_ideal'] or '—'} |"
        )
    rows.append("")
    rows.append(f"Ideal: requests / {settings['concurrency']} x {settings['latency_ms']} ms.")
    if "load_validate_resolve_cpu_s" in result:
        rows.append(
            f"Load + validate + resolve CPU: {result['load_validate_resolve_cpu_s']} s; "
            f"diff CPU: {result['diff_cpu_s']} s"
        )
    for r in result["runs"]:
        if r["name"] == "large: no-op plan":
            rows.append("")
            rows.append("Requests by kind (no-op plan of the large tenant):")
            rows += [f"- {kind}: {n}" for kind, n in r["by_kind"].items()]
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
