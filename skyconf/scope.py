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
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from skyconf.changed import changed_tenants, export_folder, git_toplevel, since_commit
from skyconf.errors import ConfigError, SkyconfError
from skyconf.load import load_tenant
from skyconf.model.kinds import KINDS
from skyconf.plan import Scoped
from skyconf.repo import CONFIG_FILE, find_root
from skyconf.resolve import Desired, resolve
from skyconf.resources import Key, State

Ref = tuple[str, Key]


def scopes_since(
    since: str, desired: Sequence[Desired], paths: Sequence[Path], today: dt.date | None = None
) -> dict[str, Scoped]:
    """Each tenant's scope (by tenant name) for a plan of what changed since the revision `since`."""
    try:
        changes = changed_tenants(since, list(paths))
        top = git_toplevel(paths[0])
        commit = since_commit(top, since)
    except SkyconfError as exc:
        return {d.tenant.name: Scoped(since, reason=str(exc)) for d in desired}
    if changes.everything_because:
        reason = f"{changes.everything_because} changed since {since}, which may reach every object"
        return {d.tenant.name: Scoped(since, reason=reason) for d in desired}
    touched = {Path(t).resolve() for t in changes.tenants}
    out: dict[str, Scoped] = {}
    for d in desired:
        if d.tenant.folder.resolve() not in touched:
            out[d.tenant.name] = Scoped(since, 0, frozenset())
            continue
        then = _state_at(top, commit, d, today)
        if isinstance(then, str):
            out[d.tenant.name] = Scoped(since, reason=then.format(since=since))
            continue
        changed = changed_objects(then, d.state)
        out[d.tenant.name] = Scoped(since, len(changed), objects_to_read(changed, (then, d.state)))
    return out


def changed_objects(then: State, now: State) -> set[Ref]:
    """Objects declared in only one of the states, or with different fields."""
    out: set[Ref] = set()
    for ref in then.resources.keys() | now.resources.keys():
        before, after = then.resources.get(ref), now.resources.get(ref)
        if before is None or after is None or before.fields != after.fields:
            out.add(ref)
    return out


def objects_to_read(changed: set[Ref], states: Iterable[State]) -> frozenset[Ref]:
    """The changed objects, the objects that need one of them (in either state), and their owners."""
    reach = set(changed)
    for state in states:
        reach |= {r.ref for r in state if r.needs & changed}
    for kind_name, key in list(reach):
        owner = KINDS[kind_name].owner
        if owner is not None:
            reach.add((owner.name, key[: len(owner.key_names)]))
    return frozenset(reach)


def _state_at(top: Path, commit: str, d: Desired, today: dt.date | None) -> State | str:
    """The tenant's desired state from its files at `commit`, or why it cannot be had (a message
    with a `{since}` placeholder)."""
    root = find_root(d.tenant.folder)
    with tempfile.TemporaryDirectory(prefix="skyconf-scope-") as tmp:
        dest = Path(tmp)
        if not export_folder(top, commit, d.tenant.folder, dest):
            return "the tenant is new since {since}"
        # The same repository around it: skyconf.yaml and templates/ are unchanged (else no scope).
        shadow = dest / root.resolve().relative_to(top)
        shadow.mkdir(parents=True, exist_ok=True)
        if (root / CONFIG_FILE).is_file():
            shutil.copyfile(root / CONFIG_FILE, shadow / CONFIG_FILE)
        else:
            (shadow / ".git").mkdir(exist_ok=True)
        if (root / "templates").is_dir() and not (shadow / "templates").exists():
            (shadow / "templates").symlink_to((root / "templates").resolve(), target_is_directory=True)
        folder = dest / d.tenant.folder.resolve().relative_to(top)
        try:
            return resolve(load_tenant(folder), today).state
        except ConfigError as exc:
            return f"the tenant as it was at {{since}} does not load ({len(exc.problems)} problem(s))"
