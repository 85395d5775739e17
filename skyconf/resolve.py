"""Model -> desired State: profiles applied, time frames expanded, targets parsed, references checked.

Per-kind field building lives next to the models; this module walks the tenant once, checks every
reference before anything can be written, and collects all problems into one ConfigError.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skyconf.checks import tenant_problems
from skyconf.errors import ConfigError, Problem
from skyconf.load import LoadedTenant, Path_
from skyconf.model.attendants import attendant_resources
from skyconf.model.base import Needs
from skyconf.model.conferences import conference_resources
from skyconf.model.contacts import contact_resources
from skyconf.model.moh import moh_resources, moh_settings
from skyconf.model.phones import phone_resources
from skyconf.model.queues import queue_resources
from skyconf.model.rules import DEFAULT_RULE, AnsweringRule, fields_of
from skyconf.model.targets import TARGET_KINDS, USER_TARGETS, TargetError, parse_target
from skyconf.model.tenant import PRUNABLE, Tenant
from skyconf.model.users import Profile, User, user_settings
from skyconf.plan import Limits
from skyconf.resources import Key, Resource, Source, State

WIRE_DEFAULT_RULE = "*"
# Target prefix -> (tenant section, resource kind) for extensions that are not users.
OTHER_EXTENSIONS = {
    "queue": ("call_queues", "call_queue"),
    "auto_attendant": ("auto_attendants", "auto_attendant"),
    "conference": ("conferences", "conference"),
}
# Sections whose keys are extensions; one extension belongs to one of them.
EXTENSION_SECTIONS = {
    "users": "user",
    "conferences": "conference",
    "call_queues": "call queue",
    "auto_attendants": "auto attendant",
}
# Stands in for `self` when checking a profile no user names yet.
_NOBODY = "0"


@dataclass
class Desired:
    tenant: LoadedTenant
    state: State
    prune: dict[str, bool]
    limits: Limits


@dataclass
class _Context:
    loaded: LoadedTenant
    today: dt.date
    problems: list[Problem] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)

    @property
    def tenant(self) -> Tenant:
        return self.loaded.tenant

    @property
    def folder(self) -> Path:
        return self.loaded.folder

    def fail(self, path: Path_, message: str) -> None:
        self.problems.append(self.loaded.doc.problem(path, message))

    def where(self, path: Path_) -> str:
        file, line, _ = self.loaded.doc.where(path)
        return f"{file}:{line}"

    def add(
        self, kind: str, key: Key, fields: dict[str, Any], path: Path_, needs: set[tuple[str, Key]] | None = None
    ) -> None:
        file, line, column = self.loaded.doc.where(path)
        self.resources.append(Resource(kind, key, fields, frozenset(needs or ()), Source(file, line, column)))

    def target(
        self,
        text: str,
        path: Path_,
        needs: Needs,
        *,
        own_extension: str | None = None,
        kinds: tuple[str, ...] = TARGET_KINDS,
    ) -> str | None:
        return _target(self, own_extension or "", text, path, needs, kinds=kinds)

    def user_extension(self, ext: str, path: Path_, needs: Needs) -> str | None:
        if ext not in self.tenant.users:
            self.fail(path, _unknown("user extension", ext, self.tenant.users))
            return None
        needs.add(("user", (ext,)))
        return ext


def resolve(loaded: LoadedTenant, today: dt.date | None = None) -> Desired:
    """The desired state of one tenant; raises ConfigError with every problem found."""
    ctx = _Context(loaded, today or dt.date.today())
    t = loaded.tenant
    _check_time_zone(ctx, t.time_zone, ("time_zone",))
    domain_fields: dict[str, Any] = {"time_zone": t.time_zone}
    if t.music_on_hold is not None:
        domain_fields.update(moh_settings(t.music_on_hold))
    ctx.add("domain", (t.domain,), domain_fields, ("domain",))
    _check_extensions(ctx)
    years = [ctx.today.year, ctx.today.year + 1]

    priorities: dict[int, str] = {}
    for name, frame in t.time_frames.items():
        _check_frame_name(ctx, name, ("time_frames", name))
        if frame.priority in priorities:
            ctx.fail(
                ("time_frames", name, "priority"),
                f"priority {frame.priority} is already used by time frame '{priorities[frame.priority]}'",
            )
        priorities[frame.priority] = name
        ctx.add("time_frame", (name,), frame.resolved(years), ("time_frames", name))

    for ext, user in t.users.items():
        _user(ctx, ext, user, priorities, years)
    contact_resources(ctx, t.contacts, None, ("contacts",))
    if t.music_on_hold is not None:
        moh_resources(ctx, t.music_on_hold, None, ("music_on_hold",))
    conference_resources(ctx)
    queue_resources(ctx)
    attendant_resources(ctx)
    ctx.problems.extend(phone_resources(ctx))
    used = {user.profile for user in t.users.values()}
    for name, profile in t.profiles.items():
        if name not in used:
            _check_unused_profile(ctx, name, profile)
    ctx.problems.extend(tenant_problems(loaded, ctx.resources))

    if ctx.problems:
        raise ConfigError(ctx.problems)
    prune = {PRUNABLE[section]: value for section, value in t.prune.items()}
    limits = Limits(t.safety.max_delete_share, t.safety.max_update_share, t.safety.min_objects)
    return Desired(loaded, State.of(ctx.resources), prune, limits)


def _user(ctx: _Context, ext: str, user: User, domain_priorities: dict[int, str], years: list[int]) -> None:
    t = ctx.loaded.tenant
    path: Path_ = ("users", ext)
    if not ext.isdigit():
        ctx.fail(path, "a user's key is its extension (digits)")
    if user.time_zone:
        _check_time_zone(ctx, user.time_zone, (*path, "time_zone"))
    profile = None
    if user.profile:
        profile = t.profiles.get(user.profile)
        if profile is None:
            ctx.fail((*path, "profile"), _unknown("profile", user.profile, t.profiles))
    fields: dict[str, Any] = {"first_name": user.first_name, "last_name": user.last_name}
    optional = {
        "email": user.email,
        "department": user.department,
        "site": user.site,
        "time_zone": user.time_zone,
        "scope": user.scope,
        "ring_timeout": user.ring_timeout if user.ring_timeout is not None else (profile and profile.ring_timeout),
    }
    fields.update({k: v for k, v in optional.items() if v is not None})
    if user.voicemail:
        vm = user.voicemail
        fields["voicemail_enabled"] = vm.enabled
        if vm.pin is not None:
            fields["voicemail_pin"] = vm.pin
        if vm.email is not None:
            fields["voicemail_email"] = vm.email
    fields.update(user_settings(ctx, ext, user, path))
    ctx.add("user", (ext,), fields, path)
    contact_resources(ctx, user.contacts, ext, (*path, "contacts"))
    if user.music_on_hold is not None:
        moh_resources(ctx, user.music_on_hold, ext, (*path, "music_on_hold"))

    priorities = dict(domain_priorities)
    for name, frame in user.time_frames.items():
        fpath = (*path, "time_frames", name)
        _check_frame_name(ctx, name, fpath)
        if name in t.time_frames:
            ctx.fail(fpath, f"'{name}' is already a domain time frame; a user's time frame needs its own name")
        if frame.priority in priorities:
            ctx.fail(
                (*fpath, "priority"),
                f"priority {frame.priority} is already used by time frame '{priorities[frame.priority]}'",
            )
        priorities[frame.priority] = name
        ctx.add("user_time_frame", (ext, name), frame.resolved(years), fpath, {("user", (ext,))})

    rules: dict[str, tuple[AnsweringRule, Path_]] = {}
    if profile:
        for name, rule in profile.answering_rules.items():
            rules[name] = (rule, ("profiles", user.profile or "", "answering_rules", name))
    for name, maybe_rule in user.answering_rules.items():
        if maybe_rule is None:
            rules.pop(name, None)
        else:
            rules[name] = (maybe_rule, (*path, "answering_rules", name))
    if DEFAULT_RULE not in rules:
        rules[DEFAULT_RULE] = (AnsweringRule(), path)

    order: list[tuple[int, str]] = []
    for name, (rule, rpath) in rules.items():
        needs: set[tuple[str, Key]] = {("user", (ext,))}
        if name == DEFAULT_RULE:
            wire_name = WIRE_DEFAULT_RULE
        elif name in user.time_frames:
            wire_name = name
            needs.add(("user_time_frame", (ext, name)))
            order.append((user.time_frames[name].priority, name))
        elif name in t.time_frames:
            wire_name = name
            needs.add(("time_frame", (name,)))
            order.append((t.time_frames[name].priority, name))
        else:
            known = [*t.time_frames, *user.time_frames]
            ctx.fail(rpath, _unknown("time frame", name, known, " (a rule is keyed by a time frame or 'default')"))
            continue
        ctx.add("answer_rule", (ext, wire_name), _rule_fields(ctx, ext, rule, rpath, needs), rpath, needs)
    names = [name for _, name in sorted(order)] + [WIRE_DEFAULT_RULE]
    ctx.add(
        "answer_rule_order",
        (ext,),
        {"order": names},
        (*path, "answering_rules"),
        {("answer_rule", (ext, n)) for n in names},
    )


def _rule_fields(
    ctx: _Context, ext: str, rule: AnsweringRule, path: Path_, needs: set[tuple[str, Key]]
) -> dict[str, Any]:
    def forward(option: str, text: str) -> str | None:
        return _target(ctx, ext, text, (*path, option), needs)

    def ring(texts: list[str]) -> list[str]:
        out: list[str] = []
        for i, text in enumerate(texts):
            ipath = (*path, "simultaneous_ring", "ring", i)
            target = _target(ctx, ext, text, ipath, needs, ring_list=True)
            if target and target in out:
                ctx.fail(ipath, f"'{text}' is listed twice")
            if target == f"handset:{ext}":
                ctx.fail(ipath, "the user's own handset: use include_extension: true instead")
            if target:
                out.append(target)
        return out

    return fields_of(rule, forward, ring)


def _target(
    ctx: _Context,
    ext: str,
    text: str,
    path: Path_,
    needs: set[tuple[str, Key]],
    ring_list: bool = False,
    kinds: tuple[str, ...] = TARGET_KINDS,
) -> str | None:
    t = ctx.loaded.tenant
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
    if ring_list and target.kind not in ("handset", "number"):
        ctx.fail(path, f"a simultaneous ring can ring handsets and phone numbers, not {target.kind}:")
        return None
    if target.kind in USER_TARGETS:
        if target.value != ext and target.value not in t.users:
            ctx.fail(path, _unknown("user extension", target.value, t.users))
            return None
        if target.value != ext:
            needs.add(("user", (target.value,)))
    elif target.kind != "number":
        section, kind_name = OTHER_EXTENSIONS[target.kind]
        if target.value not in getattr(t, section):
            what = target.kind.replace("_", " ")
            ctx.fail(path, _unknown(what, target.value, getattr(t, section), f" in {section}"))
            return None
        needs.add((kind_name, (target.value,)))
    return str(target)


def _check_extensions(ctx: _Context) -> None:
    """Users, conferences, call queues and auto attendants share one extension namespace."""
    t = ctx.loaded.tenant
    owners: dict[str, str] = {}
    for section, what in EXTENSION_SECTIONS.items():
        for ext in getattr(t, section):
            path: Path_ = (section, ext)
            if not ext.isdigit():
                if section != "users":  # a user reports this itself
                    ctx.fail(path, f"a {what}'s key is its extension (digits)")
                continue
            if ext in owners:
                other = owners[ext]
                ctx.fail(
                    path,
                    f"extension {ext} is already used by {other}.{ext} ({ctx.where((other, ext))}); "
                    "an extension belongs to one user, conference, call queue or auto attendant",
                )
                continue
            owners[ext] = section


def _check_unused_profile(ctx: _Context, name: str, profile: Profile) -> None:
    """A profile no user names yet still gets its targets checked (its frame names need a user)."""
    for frame, rule in profile.answering_rules.items():
        path: Path_ = ("profiles", name, "answering_rules", frame)
        _rule_fields(ctx, _NOBODY, rule, path, set())


def _check_time_zone(ctx: _Context, name: str, path: Path_) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        ctx.fail(path, f"'{name}' is not an IANA time zone (like America/Toronto)")


def _check_frame_name(ctx: _Context, name: str, path: Path_) -> None:
    if name in (DEFAULT_RULE, WIRE_DEFAULT_RULE):
        ctx.fail(path, f"'{name}' is reserved for the default answering rule")


def _unknown(what: str, name: str, known: Any, note: str = "") -> str:
    import difflib

    names = sorted(str(k) for k in known)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"no {what} named '{name}'{note}{hint}"
