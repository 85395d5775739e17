"""Desired vs live -> Plan: ordered changes with field-level diffs, for any resource kind.

Nothing here knows a kind by name: ordering comes from each kind's dependencies, ownership from its
prune default (or the tenant's override), grouping from its owner kind.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from skyconf.model.kinds import KINDS, dependency_levels, kind
from skyconf.resources import Fields, Key, Source, State

Action = Literal["create", "update", "delete"]


@dataclass
class Change:
    action: Action
    kind: str
    key: Key
    before: Fields | None
    after: Fields | None
    # Names of the fields whose values differ (updates only; creates and deletes list every field).
    changed: tuple[str, ...] = ()
    needs: frozenset[tuple[str, Key]] = frozenset()
    source: Source | None = None
    # The live object's provider data (see Resource.meta).
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> tuple[str, Key]:
        return (self.kind, self.key)

    @property
    def group(self) -> tuple[str, Key]:
        """The object a reader thinks of this change as part of (a user's rules belong to the user)."""
        owner = kind(self.kind).owner_kind
        return (owner, self.key[:1]) if owner else (self.kind, self.key)

    @property
    def phase(self) -> tuple[int, int]:
        """Apply order: writes by dependency level, then deletes in reverse; equal phases may run together."""
        level = dependency_levels()[self.kind]
        return (1, -level) if self.action == "delete" else (0, level)


@dataclass(frozen=True)
class Scoped:
    """What a plan asked to be scoped (`plan --changed-since REF`) covers. `objects` are the objects
    read and planned; None when the plan is full after all, and `reason` says why."""

    since: str
    changed: int = 0
    objects: frozenset[tuple[str, Key]] | None = None
    reason: str = ""

    @property
    def note(self) -> str:
        """What every format of the plan says about its scope."""
        if self.objects is None:
            return f"full plan: {self.reason}"
        return (
            f"scoped plan: {self.changed} object(s) changed since {self.since}; "
            "drift elsewhere is not checked: run a full plan"
        )


@dataclass
class TenantPlan:
    tenant: str
    domain: str
    pbx: str
    changes: list[Change]
    # Live objects of kinds the tenant does not prune and that its YAML does not mention.
    unmanaged: dict[str, int] = field(default_factory=dict)
    # Computes the digest of the live state the plan was computed against. Only saved plans and JSON
    # output use it, so it is computed when first asked for (a 1,000-user tenant: ~0.06 s).
    fingerprint_of: Callable[[], str] = field(default=lambda: "", repr=False, compare=False)
    # The tenant folder, relative to the repository root (saved plans find their YAML again by it).
    folder: str = ""
    # Safety limits this plan exceeds; apply refuses it unless forced.
    violations: list[str] = field(default_factory=list)
    # Fields of the objects changes are grouped under (a user whose rules change), to name them.
    owners: dict[tuple[str, Key], Fields] = field(default_factory=dict)
    # The tenant's safety values above their defaults, in words ("max_delete_share 0.5 (default
    # 0.25)"): every plan of a tenant that loosened its limits says so.
    loosened_limits: list[str] = field(default_factory=list)
    # Set for plans asked to be scoped (see Scoped); None for a plain full plan.
    scope: Scoped | None = None

    @functools.cached_property
    def fingerprint(self) -> str:
        return self.fingerprint_of()

    @property
    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "delete": 0}
        for c in self.changes:
            out[c.action] += 1
        return out


@dataclass
class Plan:
    tenants: list[TenantPlan]

    @property
    def has_changes(self) -> bool:
        return any(t.changes for t in self.tenants)


def diff(desired: State, live: State, prune: Mapping[str, bool] | None = None) -> tuple[list[Change], dict[str, int]]:
    """Changes that make `live` match `desired`, in apply order, and counts of unmanaged live objects.

    Only fields present on the desired resource are compared. Live objects owned by an object the
    tenant does not declare (say, rules of an unmanaged user) are outside the tenant's reach.
    """
    prune = prune or {}
    changes: list[Change] = []
    unmanaged: dict[str, int] = {}
    for want in desired:
        have = live.get(want.kind, want.key)
        if have is None:
            changes.append(
                Change(
                    "create", want.kind, want.key, None, dict(want.fields), tuple(want.fields), want.needs, want.source
                )
            )
            continue
        changed = tuple(name for name, value in want.fields.items() if have.fields.get(name) != value)
        if changed:
            changes.append(
                Change(
                    "update",
                    want.kind,
                    want.key,
                    dict(have.fields),
                    dict(want.fields),
                    changed,
                    want.needs,
                    want.source,
                    dict(have.meta),
                )
            )
    for have in live:
        if desired.get(have.kind, have.key) is not None:
            continue
        k = kind(have.kind)
        if k.singleton:
            continue
        if k.owner_kind and desired.get(k.owner_kind, have.key[:1]) is None:
            continue
        if prune.get(have.kind, k.prune_default):
            changes.append(
                Change("delete", have.kind, have.key, dict(have.fields), None, tuple(have.fields), meta=dict(have.meta))
            )
        else:
            unmanaged[have.kind] = unmanaged.get(have.kind, 0) + 1
    changes.sort(key=lambda c: (c.phase, c.kind, c.key))
    return changes, unmanaged


def owner_fields(changes: list[Change], desired: State, live: State) -> dict[tuple[str, Key], Fields]:
    """The desired (else live) fields of each object the changes are grouped under."""
    out: dict[tuple[str, Key], Fields] = {}
    for change in changes:
        owner = desired.get(*change.group) or live.get(*change.group)
        if owner is not None:
            out[change.group] = owner.fields
    return out


@dataclass(frozen=True)
class Limits:
    """How much of a kind one plan may change (see the tenant's `safety:`)."""

    max_delete_share: float
    max_update_share: float
    min_objects: int


def check_limits(changes: list[Change], live: State, limits: Limits) -> list[str]:
    """Kinds whose share of deleted or updated live objects exceeds the limits, in words."""
    problems: list[str] = []
    for kind_name in sorted({c.kind for c in changes}):
        existing = len(live.of_kind(kind_name))
        if existing < limits.min_objects:
            continue
        for action, share in (("delete", limits.max_delete_share), ("update", limits.max_update_share)):
            n = sum(1 for c in changes if c.kind == kind_name and c.action == action)
            if n / existing > share:
                problems.append(
                    f"would {action} {n} of {existing} {kind(kind_name).title}s ({n / existing:.0%}, limit {share:.0%})"
                )
    return problems


def phases(changes: list[Change]) -> list[list[Change]]:
    """Changes split into consecutive groups that may run concurrently."""
    groups: list[list[Change]] = []
    for change in changes:
        if groups and groups[-1][0].phase == change.phase:
            groups[-1].append(change)
        else:
            groups.append([change])
    return groups


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def secret_digest(secret_key: bytes, value: Any) -> str:
    """A keyed hash of a secret: it detects change without letting anyone guess a 4-digit PIN offline."""
    return "hmac-sha256:" + hmac.new(secret_key, canonical_json(value).encode(), hashlib.sha256).hexdigest()[:32]


def fingerprint(live: State, secret_key: bytes) -> str:
    """A digest of the live state a plan was computed against (secrets enter only through their hash)."""
    h = hashlib.sha256()
    for (kind_name, key), res in sorted(live.resources.items()):
        secrets = KINDS[kind_name].secret_fields
        fields = (
            {k: (secret_digest(secret_key, v) if k in secrets else v) for k, v in res.fields.items()}
            if secrets
            else res.fields
        )
        h.update(canonical_json([kind_name, list(key), fields]).encode())
    return h.hexdigest()
