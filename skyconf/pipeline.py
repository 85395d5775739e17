"""The whole flow for a set of tenant folders: load -> resolve -> read live -> diff -> plan, and apply.

Tenants are planned concurrently; tenants on the same PBX share one HTTP client and its bound on
requests in flight.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from skyconf import providers, redact
from skyconf.apply import Outcome, apply_changes
from skyconf.checks import run_problems
from skyconf.config import load_profile
from skyconf.errors import ConfigError, Problem, SkyconfError
from skyconf.load import load_tenant, tenant_folders
from skyconf.lock import lock_path
from skyconf.model.tenant import Safety
from skyconf.plan import (
    Change,
    Limits,
    Plan,
    Scoped,
    TenantPlan,
    check_limits,
    diff,
    fingerprint,
    owner_fields,
    secret_digest,
)
from skyconf.providers import Connection, Provider, RequestStats
from skyconf.repo import find_root
from skyconf.resolve import Desired, resolve
from skyconf.resources import Key, State
from skyconf.saved import SavedPlan, check_saved

PLAN_KEY_ENV = "SKYCONF_PLAN_KEY"
# Kinds whose live duplicates the provider keys `identity [server id]` (see providers' contacts).
DUPLICATE_KINDS = frozenset({"contact", "user_contact"})
_DUPLICATE = re.compile(r"^(.*) \[[^\]]*\]$")
# Kinds whose changes never count against the safety limits: an answering-rule order follows from
# the time frames' priorities and deletes nothing (the rules themselves are counted).
UNCOUNTED_KINDS = frozenset({"answer_rule_order"})


@dataclass
class TenantRun:
    desired: Desired
    connection: Connection
    # What the plan read: in a scoped plan, only its objects.
    live: State
    plan: TenantPlan

    @property
    def live_view(self) -> State:
        """The live tenant as the plan sees it: a scoped plan takes every object it did not read to be
        as declared (routing questions need the whole tenant, its frames and users)."""
        scope = self.plan.scope
        if scope is None or scope.objects is None:
            return self.live
        objects = scope.objects
        return State.of([*(r for r in self.desired.state if r.ref not in objects), *self.live])


def load_all(
    paths: list[Path], today: dt.date | None = None, *, secrets: bool = True, keep_models: bool = True
) -> list[Desired]:
    """Every tenant loaded and resolved; the problems of all tenants are reported together.
    `keep_models=False` (plan, apply) keeps of each tenant's models only what every tenant has
    (see LoadedTenant.drop_sections)."""
    out = _load_all(paths, today, secrets)
    if not keep_models:
        for d in out:
            d.tenant.drop_sections()
    return out


def _load_all(paths: list[Path], today: dt.date | None, with_secrets: bool) -> list[Desired]:
    problems: list[Problem] = []
    out: list[Desired] = []
    for folder in tenant_folders(paths):
        try:
            loaded = load_tenant(folder, secrets=with_secrets)
            # Registered before anything else can print them (a problem, a plan, a server's error).
            redact.register(loaded.doc.secret_values)
            out.append(resolve(loaded, today))
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
            redact.register([profile.api_key])
            if profile.sandbox_db is not None:
                from skyconf.sandbox.process import private_db

                private_db(profile.sandbox_db)
            opened = providers.connect(profile)
            self.stack.push_async_callback(opened.close)
            self.providers[name] = opened
        return self.providers[name]

    @property
    def sandbox_logs(self) -> dict[str, Any]:
        """Request logs of embedded sandboxes, by profile name (tests count requests with them)."""
        logs = {name: getattr(p, "sandbox_log", None) for name, p in self.providers.items()}
        return {name: log for name, log in logs.items() if log is not None}

    def request_stats(self, domain: str) -> RequestStats | None:
        """What this command has sent so far for `domain`, where its provider counts (progress, `-v`).
        Safe to call from another thread: the providers are copied before they are looked at."""
        for opened in list(self.providers.values()):
            found = getattr(opened, "request_stats", {}).get(domain)
            if isinstance(found, RequestStats):
                return found
        return None

    def plan_key(self) -> bytes:
        """Key for the hashes of secrets in saved plans: from the environment, else a local key file."""
        if os.environ.get(PLAN_KEY_ENV):
            return os.environ[PLAN_KEY_ENV].encode()
        path = self.root / ".skyconf" / "plan.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()


async def plan_tenants(
    session: Session,
    desired: list[Desired],
    saved: SavedPlan | None = None,
    *,
    scopes: Mapping[str, Scoped] | None = None,
    on_read: Callable[[str], None] | None = None,
) -> list[TenantRun]:
    """Read each tenant's live state and plan it. With `saved`, refuse unless the live state and the
    changes are still exactly what that saved plan recorded. With `scopes` (by tenant name, see
    skyconf.scope), a tenant whose scope lists objects is read and planned for those objects only.
    `on_read(tenant name)` is called as each tenant's live state has been read (progress)."""
    key = session.plan_key()
    scopes = scopes or {}

    async def one(d: Desired) -> TenantRun:
        scoped = scopes.get(d.tenant.name)
        only = scoped.objects if scoped else None
        conn = session.provider(d.tenant.tenant.pbx).tenant(replace(d.scope, only=only))
        live = await conn.read()
        if on_read is not None:
            on_read(d.tenant.name)
        want, population = d.state, live
        if only is not None:
            want, live = d.state.restricted(only), live.restricted(only)
            # The safety limits' shares are of the whole tenant, which a scoped read does not see:
            # the declared objects stand in for it, with the live ones this plan read.
            population = State.of([*d.state, *(r for r in live if r.ref not in d.state.resources)])
        changes, unmanaged = diff(want, live, d.prune)
        repairs = duplicate_deletes(want, live, changes, unmanaged)
        changes = sorted([*changes, *repairs], key=lambda c: (c.phase, c.kind, c.key))
        t = d.tenant
        resumed = read_journal(session.root, t.tenant.domain)
        repaired = {c.ref for c in repairs}
        counted = [c for c in changes if counts_against_limits(c, repaired, resumed, key)]
        plan = TenantPlan(
            t.name,
            t.tenant.domain,
            session.pbx_override or t.tenant.pbx,
            changes,
            unmanaged,
            lambda: fingerprint(live, key),
            _relative(t.folder, session.root),
            check_limits(counted, population, d.limits),
            owner_fields(changes, d.state, live),
            loosened_limits(d.limits),
            scoped,
        )
        return TenantRun(d, conn, live, plan)

    runs = list(await asyncio.gather(*(one(d) for d in desired)))
    if saved is not None:
        check_saved(saved, [r.plan for r in runs], key)
    return runs


def duplicate_deletes(desired: State, live: State, changes: list[Change], unmanaged: dict[str, int]) -> list[Change]:
    """Deletes of live copies of a declared object (two applies that raced, a portal double entry):
    drift that apply repairs even where the kind is not pruned. They leave `unmanaged`'s counts."""
    planned = {c.ref for c in changes}
    out: list[Change] = []
    for kind_name in sorted(DUPLICATE_KINDS):
        for have in live.of_kind(kind_name):
            match = _DUPLICATE.match(have.key[-1])
            if match is None or desired.get(kind_name, (*have.key[:-1], match.group(1))) is None:
                continue
            if have.ref in planned or desired.get(kind_name, have.key) is not None:
                continue
            out.append(
                Change("delete", kind_name, have.key, dict(have.fields), None, tuple(have.fields), meta=dict(have.meta))
            )
            if unmanaged.get(kind_name):
                unmanaged[kind_name] -= 1
                if not unmanaged[kind_name]:
                    del unmanaged[kind_name]
    return out


def loosened_limits(limits: Limits) -> list[str]:
    """Each safety value a tenant set above its default, in words (every plan of it says so)."""
    defaults = Safety()
    out: list[str] = []
    for name in ("max_delete_share", "max_update_share", "min_objects"):
        value, default = getattr(limits, name), getattr(defaults, name)
        if value > default:
            out.append(f"{name} {value:g} (default {default:g})")
    return out


def counts_against_limits(change: Change, repaired: set[tuple[str, Key]], resumed: set[str], key: bytes) -> bool:
    """Whether a change counts against the safety limits. Not counted: answering-rule order, deletes of
    duplicates of declared objects, and changes that finish an apply that was interrupted (the same
    object, to the same desired value, as its journal recorded): restoring what the YAML already says
    and an earlier apply was already writing is no mass change."""
    if change.kind in UNCOUNTED_KINDS or change.ref in repaired:
        return False
    return not resumed or _journal_entry(change.kind, change.key, change.after, key) not in resumed


def _journal_entry(kind_name: str, key: Key, after: object, secret_key: bytes) -> str:
    # Keyed, so a journal file does not let anyone guess a PIN offline.
    return secret_digest(secret_key, [kind_name, list(key), after])


def journal_path(root: Path, domain: str) -> Path:
    return lock_path(root, domain).with_suffix(".journal")


def read_journal(root: Path, domain: str) -> set[str]:
    """The changes an apply of `domain` had started and not finished (it was killed, or some failed)."""
    try:
        return set(json.loads(journal_path(root, domain).read_text()))
    except (OSError, ValueError, TypeError):
        return set()


def write_journal(root: Path, run: TenantRun, key: bytes) -> None:
    """Record what this apply is about to write, added to what an unfinished earlier one recorded."""
    path = journal_path(root, run.plan.domain)
    entries = read_journal(root, run.plan.domain)
    entries |= {_journal_entry(c.kind, c.key, c.after, key) for c in run.plan.changes}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(sorted(entries)))
    tmp.replace(path)


def whole_plan(runs: list[TenantRun]) -> Plan:
    return Plan([r.plan for r in runs])


def refuse_over_limits(runs: list[TenantRun], force: bool = False) -> None:
    """Raise unless `force` when a plan changes more of a kind than its tenant's safety limits allow."""
    over = [f"{r.plan.tenant}: {v}" for r in runs for v in r.plan.violations]
    if over and not force:
        raise SkyconfError("plan exceeds the safety limits (" + "; ".join(over) + "); re-run with --force")


async def apply_runs(
    runs: list[TenantRun],
    on_outcome: Callable[[str, Outcome], None] | None = None,
    *,
    force: bool = False,
    session: Session | None = None,
) -> dict[str, list[Outcome]]:
    """Apply each tenant's plan; tenants run concurrently, each in its own dependency order.
    Nothing is written when a plan exceeds its safety limits, unless `force`. With `session`, each
    tenant's changes are journaled under the repository's `.skyconf/locks/` until all are done, so a
    re-run after a kill or a failure may finish them without `--force` (see counts_against_limits)."""
    refuse_over_limits(runs, force)

    async def one(run: TenantRun) -> tuple[str, list[Outcome]]:
        report = (lambda o: on_outcome(run.plan.tenant, o)) if on_outcome else None
        if session is not None:
            write_journal(session.root, run, session.plan_key())
        outcomes = await apply_changes(run.plan.changes, run.connection.write, report)
        if session is not None and all(o.status == "done" for o in outcomes):
            journal_path(session.root, run.plan.domain).unlink(missing_ok=True)
        return run.plan.tenant, outcomes

    return dict(await asyncio.gather(*(one(r) for r in runs)))


def _relative(folder: Path, root: Path) -> str:
    try:
        return folder.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return folder.resolve().as_posix()


def repo_root(paths: list[Path]) -> Path:
    return find_root(paths[0] if paths else Path.cwd())
