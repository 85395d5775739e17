"""The whole flow for a set of tenant folders: load -> resolve -> read live -> diff -> plan, and apply.

Tenants are planned concurrently; tenants on the same PBX share one HTTP client and its bound on
requests in flight.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from skyconf.apply import Outcome, apply_changes
from skyconf.checks import run_problems
from skyconf.config import Profile, find_root, load_profile
from skyconf.errors import ConfigError, Problem
from skyconf.load import load_tenant, tenant_folders
from skyconf.plan import Plan, TenantPlan, check_limits, diff, fingerprint, owner_fields
from skyconf.providers.netsapiens import NetSapiensTenant
from skyconf.providers.netsapiens.api import Api
from skyconf.resolve import Desired, resolve
from skyconf.resources import State
from skyconf.sandbox.log import RequestLog

PLAN_KEY_ENV = "SKYCONF_PLAN_KEY"


@dataclass
class TenantRun:
    desired: Desired
    connection: NetSapiensTenant
    live: State
    plan: TenantPlan


def load_all(paths: list[Path], today: dt.date | None = None, *, secrets: bool = True) -> list[Desired]:
    """Every tenant loaded and resolved; the problems of all tenants are reported together."""
    with _collector_paused():
        return _load_all(paths, today, secrets)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading a tenant builds hundreds of thousands of objects that live until the command ends,
    and no garbage cycles: the cyclic collector's passes over them doubled the CPU time of loading
    (measured at 1,000 and 5,000 users). What was built is then frozen, so later passes skip it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@contextmanager
def _young_collections_only() -> Iterator[None]:
    """While live state is read, the cyclic collector still clears each request's short-lived
    cycles, but makes no full passes: those walked the growing live state and stopped every request
    for 30-50 ms each (measured on 1,000 users). Pausing it altogether instead let the requests'
    cycles pile up (peak memory of a 5,000-user plan 615 -> 785 MB)."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, 2**31 - 1)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)
        gc.freeze()


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
    """Open connections to PBXs, one per profile, for the length of one command."""

    root: Path
    pbx_override: str | None = None
    # Keep request and response bodies in the embedded sandbox's request log (conformance tests).
    record_bodies: bool = False
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    apis: dict[str, Api] = field(default_factory=dict)
    # Request logs of embedded sandboxes, by profile name (for request counting).
    sandbox_logs: dict[str, RequestLog] = field(default_factory=dict)

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stack.aclose()

    def api(self, pbx: str) -> Api:
        name = self.pbx_override or pbx
        if name not in self.apis:
            profile = load_profile(name, self.root)
            self.apis[name] = Api(self._lanes(profile))
        return self.apis[name]

    def _lanes(self, profile: Profile) -> list[httpx.AsyncClient]:
        """`profile.concurrency` clients of one connection each (see Api)."""
        options: dict[str, Any] = {
            "headers": {"Authorization": f"Bearer {profile.api_key}"} if profile.api_key else {},
            "timeout": httpx.Timeout(profile.timeout),
            "limits": httpx.Limits(max_connections=1, max_keepalive_connections=1),
        }
        if profile.url is None:
            from skyconf.sandbox.app import create_app

            assert profile.sandbox_db is not None
            log = self.sandbox_logs.setdefault(profile.name, RequestLog(record_bodies=self.record_bodies))
            app = create_app(profile.sandbox_db, tokens=[profile.api_key or ""], log=log)
            options |= {"transport": httpx.ASGITransport(app=app), "base_url": "http://sandbox/ns-api/v2"}
        else:
            # One TLS context for all lanes: building one takes ~16 ms (it loads the CA bundle).
            options |= {"base_url": profile.url, "verify": httpx.create_ssl_context(verify=profile.verify_tls)}
        lanes = [httpx.AsyncClient(**options) for _ in range(profile.concurrency)]

        async def close() -> None:
            await asyncio.gather(*(lane.aclose() for lane in lanes))

        self.stack.push_async_callback(close)
        return lanes

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


async def plan_tenants(session: Session, desired: list[Desired]) -> list[TenantRun]:
    key = session.plan_key()

    async def one(d: Desired) -> TenantRun:
        conn = NetSapiensTenant(session.api(d.tenant.tenant.pbx), d)
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

    with _young_collections_only():
        return list(await asyncio.gather(*(one(d) for d in desired)))


def whole_plan(runs: list[TenantRun]) -> Plan:
    return Plan([r.plan for r in runs])


async def apply_runs(
    runs: list[TenantRun], on_outcome: Callable[[str, Outcome], None] | None = None
) -> dict[str, list[Outcome]]:
    """Apply each tenant's plan; tenants run concurrently, each in its own dependency order."""

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
