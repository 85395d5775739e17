"""The whole flow for a set of tenant folders: load -> resolve -> read live -> diff -> plan, and apply.

Tenants are planned concurrently; tenants on the same PBX share one HTTP client and its bound on
requests in flight.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from skyconf import providers
from skyconf.apply import Outcome, apply_changes
from skyconf.checks import run_problems
from skyconf.config import load_profile
from skyconf.errors import ConfigError, Problem, SkyconfError
from skyconf.load import load_tenant, tenant_folders
from skyconf.plan import Plan, TenantPlan, check_limits, diff, fingerprint, owner_fields
from skyconf.providers import Connection, Provider
from skyconf.repo import find_root
from skyconf.resolve import Desired, resolve
from skyconf.resources import State
from skyconf.saved import SavedPlan, check_saved

PLAN_KEY_ENV = "SKYCONF_PLAN_KEY"


@dataclass
class TenantRun:
    desired: Desired
    connection: Connection
    live: State
    plan: TenantPlan


def load_all(paths: list[Path], today: dt.date | None = None, *, secrets: bool = True) -> list[Desired]:
    """Every tenant loaded and resolved; the problems of all tenants are reported together."""
    return _load_all(paths, today, secrets)


def _load_all(paths: list[Path], today: dt.date | None, with_secrets: bool) -> list[Desired]:
    problems: list[Problem] = []
    out: list[Desired] = []
    for folder in tenant_folders(paths):
        try:
            out.append(resolve(load_tenant(folder, secrets=with_secrets), today))
        except ConfigError as exc:
            problems.extend(exc.problems)
    problems.extend(run_problems(out))
    if problems:
        raise ConfigError(problems)
    domains: dict[str, str] = {}
    for d in out:
        other = domains.setdefault(d.tenant.tenant.domain, d.tenant.name)
        if other != d.tenant.name:
            problems.append(d.tenant.doc.problem(("domain",), f"domain is also declared by tenant '{other}'"))
    if problems:
        raise ConfigError(problems)
    return out


@dataclass
class Session:
    """Open PBXs, one per connection profile, for the length of one command."""

    root: Path
    pbx_override: str | None = None
    # Keep request and response bodies in the embedded sandbox's request log (conformance tests).
    record_bodies: bool = False
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    providers: dict[str, Provider] = field(default_factory=dict)

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stack.aclose()

    def provider(self, pbx: str) -> Provider:
        name = self.pbx_override or pbx
        if name not in self.providers:
            profile = replace(load_profile(name, self.root), record_bodies=self.record_bodies)
            opened = providers.connect(profile)
            self.stack.push_async_callback(opened.close)
            self.providers[name] = opened
        return self.providers[name]

    @property
    def sandbox_logs(self) -> dict[str, Any]:
        """Request logs of embedded sandboxes, by profile name (tests count requests with them)."""
        logs = {name: getattr(p, "sandbox_log", None) for name, p in self.providers.items()}
        return {name: log for name, log in logs.items() if log is not None}

    def plan_key(self) -> bytes:
        """Key for the hashes of secrets in saved plans: from the environment, else a local key file."""
        if os.environ.get(PLAN_KEY_ENV):
            return os.environ[PLAN_KEY_ENV].encode()
        path = self.root / ".skyconf" / "plan.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()


async def plan_tenants(session: Session, desired: list[Desired], saved: SavedPlan | None = None) -> list[TenantRun]:
    """Read each tenant's live state and plan it. With `saved`, refuse unless the live state and the
    changes are still exactly what that saved plan recorded."""
    key = session.plan_key()

    async def one(d: Desired) -> TenantRun:
        conn = session.provider(d.tenant.tenant.pbx).tenant(d.scope)
        live = await conn.read()
        changes, unmanaged = diff(d.state, live, d.prune)
        t = d.tenant
        plan = TenantPlan(
            t.name,
            t.tenant.domain,
            session.pbx_override or t.tenant.pbx,
            changes,
            unmanaged,
            lambda: fingerprint(live, key),
            _relative(t.folder, session.root),
            check_limits(changes, live, d.limits),
            owner_fields(changes, d.state, live),
        )
        return TenantRun(d, conn, live, plan)

    runs = list(await asyncio.gather(*(one(d) for d in desired)))
    if saved is not None:
        check_saved(saved, [r.plan for r in runs], key)
    return runs


def whole_plan(runs: list[TenantRun]) -> Plan:
    return Plan([r.plan for r in runs])


def refuse_over_limits(runs: list[TenantRun], force: bool = False) -> None:
    """Raise unless `force` when a plan changes more of a kind than its tenant's safety limits allow."""
    over = [f"{r.plan.tenant}: {v}" for r in runs for v in r.plan.violations]
    if over and not force:
        raise SkyconfError("plan exceeds the safety limits (" + "; ".join(over) + "); re-run with --force")


async def apply_runs(
    runs: list[TenantRun], on_outcome: Callable[[str, Outcome], None] | None = None, *, force: bool = False
) -> dict[str, list[Outcome]]:
    """Apply each tenant's plan; tenants run concurrently, each in its own dependency order.
    Nothing is written when a plan exceeds its safety limits, unless `force`."""
    refuse_over_limits(runs, force)

    async def one(run: TenantRun) -> tuple[str, list[Outcome]]:
        report = (lambda o: on_outcome(run.plan.tenant, o)) if on_outcome else None
        return run.plan.tenant, await apply_changes(run.plan.changes, run.connection.write, report)

    return dict(await asyncio.gather(*(one(r) for r in runs)))


def _relative(folder: Path, root: Path) -> str:
    try:
        return folder.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return folder.resolve().as_posix()


def repo_root(paths: list[Path]) -> Path:
    return find_root(paths[0] if paths else Path.cwd())
