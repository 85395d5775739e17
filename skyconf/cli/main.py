"""The `skyconf` group and its core commands: validate, plan, apply, schema, sandbox."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skyconf import eventloop, redact
from skyconf.apply import Outcome
from skyconf.audit import record_apply
from skyconf.cli import progress
from skyconf.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    LazyGroup,
    echo,
    err,
    friendly_errors,
    load_tenants,
    out,
    output_options,
    paths_argument,
    pbx_option,
    verbosity,
    young_collections_only,
)
from skyconf.errors import SkyconfError
from skyconf.lock import domain_locks
from skyconf.pipeline import Session, TenantRun, apply_runs, plan_tenants, refuse_over_limits, repo_root, whole_plan
from skyconf.plan import Plan
from skyconf.render.markdown import render_markdown
from skyconf.render.plan_json import plan_document
from skyconf.render.text import render_text
from skyconf.repo import find_root
from skyconf.resolve import Desired
from skyconf.saved import read_saved, saved_text
from skyconf.scaffold import template_sources
from skyconf.schema import SCHEMA_PATH, schema_text

if TYPE_CHECKING:  # the routing modules load only for --routing-window
    from skyconf.routing_window import RoutingChanges

# Apply prints a plan longer than this to a file or pipe as counts per kind: the changes themselves
# are what `plan` is for, and printing 16,000 of them cost a cold apply 2-2.5 s.
LONG_PLAN = 500


@click.group(
    cls=LazyGroup,
    lazy={
        "simulate": "skyconf.cli.routing:simulate",
        "timeline": "skyconf.cli.routing:timeline",
        "render": "skyconf.cli.phones:render",
        "changed": "skyconf.cli.gitops:changed",
        "fmt": "skyconf.cli.gitops:fmt",
        "import": "skyconf.cli.importing:import_",
        "selftest": "skyconf.cli.selftest:selftest",
        "calls": "skyconf.cli.calls:calls",
        "verify": "skyconf.cli.calls:verify",
        "comment": "skyconf.cli.comment:comment",
        "init": "skyconf.cli.init:init",
    },
)
@click.version_option(package_name="skyconf")
@output_options
def main() -> None:
    """Keep a hosted PBX's configuration in git: tenant YAML -> plan -> apply."""


@main.command()
@paths_argument
@click.option(
    "--no-secrets", is_flag=True, help="Do not require the ${env:...} secrets to be set (pre-commit, laptops)."
)
@friendly_errors
def validate(paths: list[Path], no_secrets: bool) -> None:
    """Check tenant folders offline: YAML, schema, references, secrets. PATH is a tenant or tenants/."""
    desired = load_tenants(list(paths), secrets=not no_secrets)
    _warnings(desired)
    if verbosity() < 0:
        out.print(f"{len(desired)} tenant(s) ok", markup=False)
        return
    for d in desired:
        out.print(f"{d.tenant.name}: ok ({len(d.state)} objects)", markup=False)
    for line in template_sources(desired):  # which phone templates: the repository's own or skyconf's
        out.print(line, markup=False)


@main.command()
@paths_argument
@pbx_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes (0: none, 1: error).")
@click.option("-o", "--out", "out_file", type=click.Path(path_type=Path), help="Save the plan (JSON) for apply.")
@click.option(
    "--routing-window",
    metavar="FROM..TO",
    help='Also state how call routing changes in this window, e.g. "2026-12-20..2027-01-03" (tenant time).',
)
@click.option(
    "--changed-since",
    metavar="REF",
    help="Read and plan only the objects whose YAML changed since git REF (a pull request's plan).",
)
@friendly_errors
def plan(
    paths: list[Path],
    pbx: str | None,
    fmt: str,
    detailed_exitcode: bool,
    out_file: Path | None,
    routing_window: str | None,
    changed_since: str | None,
) -> None:
    """Show what apply would change on the PBX.

    With --changed-since REF the plan is scoped: only the objects whose resolved YAML differs from
    the merge base of REF (and what they reach) are read and planned; drift elsewhere is not checked.
    """
    result, routing, warnings = eventloop.run(
        _plan(list(paths), pbx, out_file, routing_window, fmt == "text", changed_since)
    )
    _print_plan(result, fmt, routing, warnings)
    if detailed_exitcode and result.has_changes:
        sys.exit(EXIT_CHANGES)


async def _plan(
    paths: list[Path],
    pbx: str | None,
    out_file: Path | None,
    routing_window: str | None,
    warn: bool = True,
    changed_since: str | None = None,
) -> tuple[Plan, dict[str, RoutingChanges], dict[str, list[str]]]:
    pending = None
    if changed_since is not None:  # the revision's side resolves while the working tree loads
        from skyconf import scope

        pending = scope.start(changed_since, paths)
    try:
        desired = load_tenants(paths, keep_models=False)
    except BaseException:
        if pending:
            pending.abandon()
        raise
    scopes = pending.finish(desired) if pending else None
    async with Session(repo_root(paths), pbx) as session:
        with young_collections_only(), _reading(session, desired) as on_read:
            runs = await plan_tenants(session, desired, scopes=scopes, on_read=on_read)
        # After the reads, which need nothing from them, so that they start at once.
        warnings = _warnings(desired, warn)
        result = whole_plan(runs)
        if out_file:
            out_file.write_text(saved_text(result, session.plan_key()))
    routing: dict[str, RoutingChanges] = {}
    if routing_window:
        from skyconf.routing_window import routing_changes

        routing = {r.plan.tenant: routing_changes(r, routing_window) for r in runs}
    return result, routing, warnings


def _warnings(desired: list[Desired], show: bool = True) -> dict[str, list[str]]:
    """Rules and frames that are legal but likely not meant, per tenant, printed on stderr (never blocking);
    markdown and JSON plans carry them in the document instead."""
    from skyconf.routing import tenant_warnings

    found = {d.tenant.name: [str(w) for w in tenant_warnings(d.state)] for d in desired}
    if show and verbosity() >= 0:
        err.lines((w for ws in found.values() for w in ws), style="yellow")
    return found


@main.command()
@paths_argument
@pbx_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking (for CI).")
@click.option("--force", is_flag=True, help="Apply even when the plan exceeds the tenant's safety limits.")
@click.option("--audit-log", type=click.Path(path_type=Path), help="Append a JSON line recording this apply.")
@friendly_errors
def apply(paths: list[Path], pbx: str | None, auto_approve: bool, force: bool, audit_log: Path | None) -> None:
    """Make the PBX match the tenant YAML (shows the plan first).

    PATH is tenant folders, or one plan saved with `plan -o`: then apply refuses unless the live
    PBX and the YAML are still exactly what that plan was made from.
    """
    failed = eventloop.run(_apply(list(paths), pbx, auto_approve, force, audit_log))
    sys.exit(EXIT_ERROR if failed else EXIT_OK)


def _wait_notice(message: str) -> None:
    err.print(message, style="yellow", markup=False)


@contextmanager
def _reading(session: Session, desired: list[Desired]) -> Iterator[Callable[[str], None]]:
    """Progress while the tenants' live state is read (see skyconf.cli.progress)."""
    domains = {d.tenant.name: d.tenant.tenant.domain for d in desired}
    with progress.reading(domains, session.request_stats, err, verbosity()) as on_read:
        yield on_read


@contextmanager
def _applying(session: Session, runs: list[TenantRun]) -> Iterator[Callable[[str, Outcome], None]]:
    """Progress while the changes are applied (see skyconf.cli.progress)."""
    totals = {r.plan.tenant: len(r.plan.changes) for r in runs}
    domains = {r.plan.tenant: r.plan.domain for r in runs}
    with progress.applying(totals, domains, session.request_stats, err, verbosity()) as on_outcome:
        yield on_outcome


async def _apply(paths: list[Path], pbx: str | None, auto_approve: bool, force: bool, audit: Path | None) -> int:
    """The number of changes not applied; a declined prompt counts as one (exit 1: nothing was done)."""
    saved = read_saved(paths[0]) if len(paths) == 1 and paths[0].is_file() else None
    root = find_root(paths[0].parent) if saved else repo_root(paths)
    folders = [root / f for f in saved.folders] if saved else paths
    desired = load_tenants(folders, keep_models=False)
    # One apply per domain at a time, from the plan it applies through its last write.
    domains = [d.tenant.tenant.domain for d in desired]
    connection = pbx or (saved.pbx if saved else None)
    async with domain_locks(root, domains, _wait_notice), Session(root, connection) as session:
        with young_collections_only(), _reading(session, desired) as on_read:
            scopes = saved.scopes if saved else None
            runs = await plan_tenants(session, desired, saved, scopes=scopes, on_read=on_read)
        result = whole_plan(runs)
        _print_apply_plan(result, auto_approve, " ".join(str(p) for p in (saved.folders if saved else paths)))
        if not result.has_changes:
            return 0
        refuse_over_limits(runs, force)
        if not auto_approve:
            if not sys.stdin.isatty():
                raise SkyconfError("not a terminal: pass --auto-approve to apply without confirmation")
            if not click.confirm("Apply these changes?", default=False):
                err.print("Nothing applied.", markup=False)
                return 1
        with _applying(session, runs) as on_outcome:
            outcomes = await apply_runs(runs, on_outcome, force=force, session=session)
    if audit:
        record_apply(audit, outcomes, paths[0] if saved else None)
    failed = sum(1 for os_ in outcomes.values() for o in os_ if o.status != "done")
    applied = sum(1 for os_ in outcomes.values() for o in os_ if o.status == "done")
    if failed:
        err.print(
            f"Applied {applied} change(s); {failed} failed or skipped. Fix the cause and re-run apply.",
            style="red",
            markup=False,
        )
    else:
        out.print(f"Applied {applied} change(s).", style="green", markup=False)
    return failed


def _print_apply_plan(result: Plan, auto_approve: bool, paths: str) -> None:
    """The plan apply shows: all of it, except with -q and --auto-approve (no one reads it: only
    "no changes", which is the result), and a long one to a file or pipe (counts per kind, and how to
    see every change)."""
    if verbosity() < 0 and auto_approve:
        if not result.has_changes:
            out.print(_totals(result), markup=False)
        return
    count = sum(len(tp.changes) for tp in result.tenants)
    if count <= LONG_PLAN or out.is_terminal:
        _print_plan(result, "text")
        return
    _print_plan(result, "text", brief=True)
    out.print(
        f"{count:,} changes, counted per kind above (the output is not a terminal). Each change: "
        f"`skyconf plan {paths}` (--format markdown|json), or save it with `-o plan.json` and apply that file.",
        markup=False,
    )


@main.command()
@click.option(
    "-o",
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    default=SCHEMA_PATH,
    show_default=True,
    help="Where to write the JSON Schema ('-' for stdout).",
)
@friendly_errors
def schema(out_file: Path) -> None:
    """Write the JSON Schema of tenant YAML files (generated from the models)."""
    if str(out_file) == "-":
        click.echo(schema_text(), nl=False)
        return
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(schema_text())
    out.print(f"wrote {out_file}", markup=False)


@main.group(cls=LazyGroup, lazy={"serve": "skyconf.sandbox.cli:serve", "call": "skyconf.cli.calls:sandbox_call"})
def sandbox() -> None:
    """The built-in sandbox PBX: the same API as a real one, served locally."""


def _print_plan(
    result: Plan,
    fmt: str,
    routing: dict[str, RoutingChanges] | None = None,
    warnings: dict[str, list[str]] | None = None,
    *,
    brief: bool = False,
) -> None:
    """`brief`: counts per kind instead of each change. With -q a text plan is one line of totals
    (JSON and markdown are the command's result, printed whole)."""
    routing = routing or {}
    if fmt == "json":
        doc = plan_document(result)
        loosened = {tp.tenant: tp.loosened_limits for tp in result.tenants}
        for tenant in doc["tenants"]:
            tenant["warnings"] = (warnings or {}).get(tenant["tenant"], [])
            tenant["loosened_limits"] = loosened.get(tenant["tenant"], [])
            if tenant["tenant"] in routing:
                tenant["routing_changes"] = routing[tenant["tenant"]].as_json()
        echo(json.dumps(redact.redact_data(doc), indent=2))
    elif fmt == "markdown":
        echo(render_markdown(result, warnings=warnings), nl=False)
        for tenant, changes in routing.items():
            echo(f"\n### {tenant}: call routing\n\n{changes.markdown()}", nl=False)
    elif verbosity() < 0:
        out.print(_totals(result), markup=False)
    else:
        for style, text in render_text(result, brief):
            out.print(text, style=style or None, markup=False)
        for tp in result.tenants:
            if tp.loosened_limits:
                out.print(
                    f"Tenant {tp.tenant}: safety limits loosened: {', '.join(tp.loosened_limits)}",
                    style="yellow",
                    markup=False,
                )
        for tenant, changes in routing.items():
            out.print(f"Tenant {tenant}: {changes.text()}", markup=False)


def _totals(result: Plan) -> str:
    """The plan in one line, for -q: `2 tenant(s): 3 to create, 1 to update, 0 to delete`."""
    counts = {"create": 0, "update": 0, "delete": 0}
    for tp in result.tenants:
        for action, n in tp.counts.items():
            counts[action] += n
    if not result.has_changes:
        return f"{len(result.tenants)} tenant(s): no changes"
    return f"{len(result.tenants)} tenant(s): " + ", ".join(f"{n:,} to {a}" for a, n in counts.items())
