"""Model -> desired State: every section built, targets parsed, references checked.

Each section's builder lives next to its models (see `skyconf.model.kinds`); this module runs them in
order over one loaded tenant, owns what spans sections (the one extension namespace, forward
targets to any declared extension), and collects all problems into one ConfigError before anything
can be written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skyconf.checks import tenant_problems
from skyconf.errors import ConfigError, Problem
from skyconf.load import LoadedTenant, Path_, collector_paused
from skyconf.model.base import Needs, check_time_zone, unknown
from skyconf.model.kinds import SECTIONS, Kind, extension_sections, prune_keys, target_sections
from skyconf.model.targets import RING_TARGETS, TargetError, parse_target, target_prefixes
from skyconf.model.tenant import DOMAIN, TenantBase
from skyconf.plan import Limits
from skyconf.providers import Scope
from skyconf.resources import Key, Resource, Source, State, share_strings


@dataclass
class Desired:
    tenant: LoadedTenant
    state: State
    prune: dict[str, bool]
    limits: Limits

    @property
    def scope(self) -> Scope:
        """What the provider may know of this tenant."""
        t = self.tenant.tenant
        return Scope(t.domain, t.country, self.tenant.folder, self.state, self.prune)


@dataclass
class _Context:
    """What section builders get (the `Build` protocol of skyconf.model.base)."""

    loaded: LoadedTenant
    today: dt.date
    problems: list[Problem] = field(default_factory=list)
    resources: dict[tuple[str, Key], Resource] = field(default_factory=dict)
    # Each distinct set of needs once, shared by the resources that have it.
    needs: dict[frozenset[tuple[str, Key]], frozenset[tuple[str, Key]]] = field(default_factory=dict)

    @property
    def tenant(self) -> TenantBase:
        return self.loaded.tenant

    @property
    def folder(self) -> Path:
        return self.loaded.folder

    @property
    def years(self) -> list[int]:
        return [self.today.year, self.today.year + 1]

    def fail(self, path: Path_, message: str) -> None:
        self.problems.append(self.loaded.doc.problem(path, message))

    def report(self, problem: Problem) -> None:
        self.problems.append(problem)

    def where(self, path: Path_) -> str:
        file, line, _ = self.loaded.doc.where(path)
        return f"{file}:{line}"

    def add(self, kind: Kind, key: Key, fields: dict[str, Any], path: Path_, needs: Needs | None = None) -> None:
        file, line, column = self.loaded.doc.where(path)
        source = Source(file, line, column, ".".join(map(str, path)))
        wanted = frozenset(needs or ())
        wanted = self.needs.setdefault(wanted, wanted)  # a user's 5 contacts need the same user
        share_strings(fields)  # the live state's equal strings then become these
        resource = Resource(kind.name, key, fields, wanted, source)
        if resource.ref in self.resources:
            raise ValueError(f"duplicate {kind.name} {key}")
        self.resources[resource.ref] = resource

    def merge(self, kind: Kind, key: Key, fields: dict[str, Any]) -> None:
        self.resources[kind.ref(*key)].fields.update(fields)

    def target(
        self,
        text: str,
        path: Path_,
        needs: Needs,
        *,
        own_extension: str | None = None,
        kinds: tuple[str, ...] | None = None,
        ring_list: bool = False,
    ) -> str | None:
        return _target(self, own_extension or "", text, path, needs, kinds or target_prefixes(), ring_list)

    def user_extension(self, ext: str, path: Path_, needs: Needs) -> str | None:
        users = target_sections()["user"]
        declared = users.of(self.tenant)
        if ext not in declared:
            self.fail(path, unknown("user extension", ext, declared))
            return None
        assert users.extension_kind is not None
        needs.add(users.extension_kind.ref(ext))
        return ext


def resolve(loaded: LoadedTenant, today: dt.date | None = None) -> Desired:
    """The desired state of one tenant; raises ConfigError with every problem found."""
    with collector_paused():
        return _resolve(loaded, today)


def _resolve(loaded: LoadedTenant, today: dt.date | None) -> Desired:
    ctx = _Context(loaded, today or dt.date.today())
    t = loaded.tenant
    check_time_zone(ctx, t.time_zone, ("time_zone",))
    ctx.add(DOMAIN, (t.domain,), {"time_zone": t.time_zone}, ("domain",))
    _check_extensions(ctx)
    for section in sorted(SECTIONS.values(), key=lambda s: (s.order, s.name)):
        if section.build is not None:
            section.build(ctx)
    ctx.problems.extend(tenant_problems(loaded, ctx.resources.values()))
    if ctx.problems:
        raise ConfigError(ctx.problems)
    keys = prune_keys()
    prune = {keys[key].name: value for key, value in t.prune.items()}
    limits = Limits(t.safety.max_delete_share, t.safety.max_update_share, t.safety.min_objects)
    loaded.doc.release()
    return Desired(loaded, State.of(ctx.resources.values()), prune, limits)


def _target(
    ctx: _Context,
    ext: str,
    text: str,
    path: Path_,
    needs: Needs,
    kinds: tuple[str, ...],
    ring_list: bool,
) -> str | None:
    t = ctx.tenant
    try:
        target = parse_target(text, own_extension=ext, country=t.country, ring_list=ring_list)
    except TargetError as exc:
        ctx.fail(path, str(exc))
        return None
    if target.kind != "number" and target.kind not in kinds:
        ctx.fail(path, f"{target.kind}: is not possible here; use one of {', '.join(kinds)} or a phone number")
        return None
    if ring_list and target.kind == "user":
        ctx.fail(
            path,
            f"a simultaneous ring rings handsets, not users: write handset:{target.value} "
            f"(it rings {target.value}'s phones without applying their answering rules)",
        )
        return None
    if ring_list and target.kind not in (*RING_TARGETS, "number"):
        ctx.fail(path, f"a simultaneous ring can ring handsets and phone numbers, not {target.kind}:")
        return None
    if target.kind == "number":
        return str(target)
    section = target_sections()[target.kind]
    assert section.extension_kind is not None
    declared = section.of(t)
    own = section.name == "users" and target.value == ext
    if not own and target.value not in declared:
        what = target.kind.replace("_", " ")
        if section.name == "users":
            ctx.fail(path, unknown("user extension", target.value, declared))
        else:
            ctx.fail(path, unknown(what, target.value, declared, f" in {section.name}"))
        return None
    if not own:
        needs.add(section.extension_kind.ref(target.value))
    return str(target)


def _check_extensions(ctx: _Context) -> None:
    """Users, conferences, call queues and auto attendants share one extension namespace."""
    owners: dict[str, str] = {}
    sections = extension_sections()
    words = [s.extension_word for s in sections]
    one_of = ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else "".join(words)
    for section in sections:
        what = section.extension_word
        for ext in section.of(ctx.tenant):
            path: Path_ = (section.name, ext)
            if not ext.isdigit():
                if section.name != "users":  # a user reports this itself
                    ctx.fail(path, f"a {what}'s key is its extension (digits)")
                continue
            if ext in owners:
                other = owners[ext]
                ctx.fail(
                    path,
                    f"extension {ext} is already used by {other}.{ext} ({ctx.where((other, ext))}); "
                    f"an extension belongs to one {one_of}",
                )
                continue
            owners[ext] = section.name
