"""Scoped plans: plan only the objects whose desired state changed since a git revision.

`plan --changed-since REF` resolves each tenant twice, offline: as its files were at the merge base
of REF and HEAD (read from git) and as they are in the working tree. The objects whose resolved
state differs are the change. That already holds what a changed profile or holiday list reaches,
since their effect is in the resolved objects. To it are added the objects that need a changed one
(the rules on a changed or deleted time frame), and the owners those are read under (a user, for its
rules). The provider reads these and nothing else, so a one-line change costs a few requests.

A scoped plan cannot see drift anywhere else, and every format of it says so. When the scope cannot
be computed the tenant gets a full plan with the reason: a changed `skyconf.yaml` or `templates/`
(every tenant or every phone is reached), a revision that does not resolve, a tenant that is new
since REF, or a tenant whose files at REF do not load.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from skyconf.changed import changed_tenants, export_folder
from skyconf.errors import ConfigError, SkyconfError
from skyconf.forkmap import Forked, can_fork
from skyconf.load import load_tenant
from skyconf.model.kinds import KINDS
from skyconf.model.phone_templates import TEMPLATES_DIR
from skyconf.plan import Scoped
from skyconf.repo import CONFIG_FILE, find_root
from skyconf.resolve import Desired, resolve
from skyconf.resources import Fields, Key, State

Ref = tuple[str, Key]
# What the revision's side of a scope sends back per object: a digest of its fields, and what it needs.
Then = dict[Ref, tuple[bytes, frozenset[Ref]]]


@dataclass
class PendingScopes:
    """A scope being computed: git is asked at once, and the tenants as they were at the revision
    are resolved in a child process (when the system can fork) while the working tree loads."""

    since: str
    reason: str = ""
    touched: set[Path] = field(default_factory=set)
    # The child resolving the revision's side; or its answer.
    child: Forked[dict[str, Then | str]] | None = None
    found: dict[str, Then | str] = field(default_factory=dict)

    def abandon(self) -> None:
        """Stop the child at once (the working tree did not load: there is nothing to scope)."""
        if self.child is not None:
            self.child.abandon()
            self.child = None

    def finish(self, desired: Sequence[Desired]) -> dict[str, Scoped]:
        """Each tenant's scope, by tenant name."""
        # The working tree's side first: the child is likely still resolving the revision's.
        now = {d.tenant.name: digests(d.state) for d in desired if d.tenant.folder.resolve() in self.touched}
        if self.child is not None:
            answer = self.child.result()
            if answer is None:  # the child died without answering
                self.reason = f"the tenants as they were at {self.since} could not be resolved"
            self.found = answer or {}
            self.child = None
        found = self.found
        out: dict[str, Scoped] = {}
        for d in desired:
            folder = d.tenant.folder.resolve()
            then = found.get(str(folder))
            if self.reason:
                out[d.tenant.name] = Scoped(self.since, reason=self.reason)
            elif folder not in self.touched:
                out[d.tenant.name] = Scoped(self.since, 0, frozenset())
            elif then is None or isinstance(then, str):
                out[d.tenant.name] = Scoped(self.since, reason=then or "not read")
            else:
                changed = changed_objects(then, now[d.tenant.name])
                needs = [*((ref, wants) for ref, (_, wants) in then.items()), *((r.ref, r.needs) for r in d.state)]
                out[d.tenant.name] = Scoped(self.since, len(changed), objects_to_read(changed, needs))
        return out


def start(since: str, paths: Sequence[Path], today: dt.date | None = None) -> PendingScopes:
    """Begin computing the scopes of a plan of what changed since the revision `since`."""
    try:
        changes = changed_tenants(since, list(paths))
    except SkyconfError as exc:
        return PendingScopes(since, str(exc))
    top, commit = changes.top, changes.since
    if changes.everything_because or top is None:
        return PendingScopes(since, f"{changes.everything_because} changed since {since}, which may reach every object")
    touched = {Path(t).resolve() for t in changes.tenants}
    pending = PendingScopes(since, touched=touched)
    folders = sorted(str(f) for f in touched)
    if not folders:
        return pending
    if can_fork():
        pending.child = Forked(lambda: _answer(since, top, commit, folders, today))
    else:
        pending.found = states_at(since, top, commit, folders, today)
    return pending


def _answer(since: str, top: Path, commit: str, folders: list[str], today: dt.date | None) -> dict[str, Then | str]:
    """The child's work (see skyconf.forkmap.Forked, which runs it without the cyclic collector, as
    the working tree's load runs): an error becomes every tenant's reason for a full plan."""
    try:
        return states_at(since, top, commit, folders, today)
    except Exception as exc:  # any failure means "no scope", which the plan says
        return {f: f"the tenant at {since} could not be resolved ({type(exc).__name__})" for f in folders}


def states_at(since: str, top: Path, commit: str, folders: list[str], today: dt.date | None) -> dict[str, Then | str]:
    """Each tenant folder's objects as resolved from its files at `commit` (the merge base of
    `since`): digests and needs, or why they cannot be had."""
    out: dict[str, Then | str] = {}
    for folder in folders:
        state = _state_at(since, top, commit, Path(folder), today)
        out[folder] = state if isinstance(state, str) else {r.ref: (digest(r.fields), r.needs) for r in state}
    return out


def digest(fields: Fields) -> bytes:
    """Of the fields' repr, which is half the work of canonical JSON: both ends are made by the same
    code in one run, so equal fields print alike (fields in another order, say a YAML mapping's keys
    reordered, only add an unchanged object to the scope)."""
    return hashlib.blake2b(repr(fields).encode(), digest_size=16).digest()


def changed_objects(then: Then, now: dict[Ref, bytes]) -> set[Ref]:
    """Objects declared at only one end, or with different fields (by digest)."""
    out = {ref for ref in then if ref not in now}
    for ref, mine in now.items():
        before = then.get(ref)
        if before is None or before[0] != mine:
            out.add(ref)
    return out


def digests(state: State) -> dict[Ref, bytes]:
    return {r.ref: digest(r.fields) for r in state}


def objects_to_read(changed: set[Ref], needs: Iterable[tuple[Ref, frozenset[Ref]]]) -> frozenset[Ref]:
    """The changed objects, the objects that need one of them (at either end), and their owners."""
    reach = set(changed)
    reach |= {ref for ref, wants in needs if wants & changed}
    for kind_name, key in list(reach):
        owner = KINDS[kind_name].owner
        if owner is not None:
            reach.add((owner.name, key[: len(owner.key_names)]))
    return frozenset(reach)


def _state_at(since: str, top: Path, commit: str, tenant: Path, today: dt.date | None) -> State | str:
    """The tenant's desired state from its files at `commit`, or why it cannot be had."""
    root = find_root(tenant).resolve()
    if not root.is_relative_to(top):
        return f"skyconf.yaml is outside the git repository, so the tenant at {since} cannot be read"
    with tempfile.TemporaryDirectory(prefix="skyconf-scope-") as tmp:
        dest = Path(tmp)
        if not export_folder(top, commit, tenant, dest):
            return f"the tenant is new since {since}"
        # The same repository around it: skyconf.yaml and templates/ are unchanged (else no scope).
        shadow = dest / root.relative_to(top)
        shadow.mkdir(parents=True, exist_ok=True)
        if (root / CONFIG_FILE).is_file():
            shutil.copyfile(root / CONFIG_FILE, shadow / CONFIG_FILE)
        else:
            (shadow / ".git").mkdir(exist_ok=True)
        if (root / TEMPLATES_DIR).is_dir() and not (shadow / TEMPLATES_DIR).exists():
            (shadow / TEMPLATES_DIR).symlink_to((root / TEMPLATES_DIR).resolve(), target_is_directory=True)
        folder = dest / tenant.resolve().relative_to(top)
        try:
            return resolve(load_tenant(folder), today).state
        except ConfigError as exc:
            return f"the tenant as it was at {since} does not load ({len(exc.problems)} problem(s))"
