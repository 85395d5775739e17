"""`skyconf import`: a live PBX domain -> a tenant folder; the reverse of load -> resolve.

- Read: every kind, for every user. The provider reads a kind only when the tenant declares or
  prunes it, and a user's parts only for declared users; so a first read lists the users, queues and
  attendants, and the full read declares all of them and prunes every section.
- Build: the model modules turn each kind's live fields back into YAML (`*_yaml` functions there);
  this module does what spans kinds: time-frame priorities (the PBX keeps only each user's rule
  order), profiles (answering rules several users share), `${env:...}` references for every secret
  field, music-on-hold paths, reference checks (a forward to a deleted queue is left out and noted).
- Write (skyconf/import_files.py): one file per section with the schema header, in `skyconf fmt`'s
  layout; over an existing folder each file is updated in place, keeping comments and key order.
  The folder's own profiles and `${env:...}` names are reused here.
- Check: the written folder is resolved and compared with the live state it came from, as `plan`
  would; whatever would still change is reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from skyconf.config import SANDBOX
from skyconf.errors import ConfigError, SkyconfError, display_path
from skyconf.import_files import Existing, write_folder
from skyconf.load import Document, LoadedTenant, fill_secrets, read_document
from skyconf.model.attendants import FALLBACK_ACTIONS, FALLBACKS, MENU_TARGETS, AutoAttendant, attendant_yaml
from skyconf.model.conferences import Conference, conference_yaml
from skyconf.model.contacts import Contact, contact_yaml
from skyconf.model.moh import MusicOnHold, UserMusicOnHold, import_path, moh_yaml
from skyconf.model.phones_import import recover_phones
from skyconf.model.queues import CallQueue, queue_yaml
from skyconf.model.rules import DEFAULT_RULE, FORWARD_OPTIONS, AnsweringRule, rule_fields, rule_yaml
from skyconf.model.targets import TargetError, parse_target
from skyconf.model.tenant import Tenant
from skyconf.model.timeframes import frame_yaml
from skyconf.model.users import USER_DEFAULTS, Profile, User, user_yaml
from skyconf.pipeline import Session
from skyconf.plan import diff
from skyconf.resolve import resolve
from skyconf.resources import KINDS, Key, Resource, State

# Secret fields: where each goes in the YAML and the variable name it gets (after the tenant prefix).
SECRETS: dict[tuple[str, str], tuple[Callable[[Key], tuple[str, ...]], Callable[[Key], str]]] = {
    ("user", "voicemail_pin"): (lambda k: ("users", k[0], "voicemail", "pin"), lambda k: f"{k[0]}_VM_PIN"),
    ("conference", "leader_pin"): (lambda k: ("conferences", k[0], "leader_pin"), lambda k: f"CONF_{k[0]}_LEADER_PIN"),
    ("conference", "participant_pin"): (
        lambda k: ("conferences", k[0], "participant_pin"),
        lambda k: f"CONF_{k[0]}_PIN",
    ),
}
_unplaced = {(k.name, f) for k in KINDS.values() for f in k.secret_fields} - set(SECRETS)
assert not _unplaced, f"secret fields import does not know where to put: {_unplaced}"

# The order of a user's keys in new YAML (the example's).
USER_KEYS = (
    "first_name",
    "last_name",
    "email",
    "department",
    "site",
    "time_zone",
    "scope",
    "profile",
    "ring_timeout",
    "voicemail",
    "directory",
    "caller_id",
    "contacts",
    "music_on_hold",
    "time_frames",
    "answering_rules",
)
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")
_MAX_PRIORITY = 98
# Distinct rule sets the profile search compares pairwise (the rest may still join a profile found).
_CLUSTER_LIMIT = 60
# What a profile costs beyond its rules (its name and header lines), so a new one must save more than that.
_PROFILE_COST = 1


@dataclass
class Audio:
    """A music-on-hold upload whose audio the API cannot give back: the file to put in the folder."""

    path: str
    sha256: str | None
    used_by: list[str]
    state: str  # "present" (same bytes), "differs", "missing"


@dataclass
class ImportReport:
    folder: Path
    written: list[Path]
    unchanged: list[Path]
    variables: list[str]
    audio: list[Audio]
    notes: list[str]
    remaining: list[str]
    counts: dict[str, int]


# --- reading ------------------------------------------------------------------------------------


# --- building -----------------------------------------------------------------------------------


@dataclass
class _Secrets:
    prefix: str
    existing: Existing
    values: dict[str, str] = field(default_factory=dict)

    def masked(self, resource: Resource) -> dict[str, Any]:
        """The resource's fields with each secret replaced by its `${env:...}` reference."""
        fields = dict(resource.fields)
        for name in KINDS[resource.kind].secret_fields:
            value = fields.get(name)
            fields[name] = self.ref(resource.kind, resource.key, name, str(value)) if value not in (None, "") else None
        return fields

    def ref(self, kind_name: str, key: Key, name: str, value: str) -> str:
        place, suffix = SECRETS[(kind_name, name)]
        old = self.existing.get(*place(key))
        if isinstance(old, str) and (m := _ENV_REF.search(old)):
            self.values[m.group(1)] = value
            return old
        var = re.sub(r"[^A-Z0-9]+", "_", f"{self.prefix}_{suffix(key)}".upper()).strip("_")
        var = var if not var[:1].isdigit() else f"T_{var}"
        base, n = var, 2
        while var in self.values:
            var, n = f"{base}_{n}", n + 1
        self.values[var] = value
        return f"${{env:{var}}}"

    def drop(self, ref: str) -> None:
        for name in _ENV_REF.findall(ref):
            self.values.pop(name, None)


@dataclass
class Built:
    data: dict[str, Any]
    # The users with every value the PBX has (a re-import keeps what a file states, defaults too).
    full_users: dict[str, Any]
    secrets: dict[str, str]
    audio: list[Audio]
    notes: list[str]
    counts: dict[str, int]


class _Builder:
    def __init__(self, live: State, domain: str, pbx: str, country: str, folder: Path, existing: Existing) -> None:
        self.live = live
        self.domain = domain
        self.pbx = pbx
        self.country = country
        self.folder = folder
        self.existing = existing
        self.notes: list[str] = []
        prefix = re.sub(r"[^A-Za-z0-9]+", "_", folder.resolve().name).strip("_") or "TENANT"
        self.secrets = _Secrets(prefix.upper(), existing)
        self.users = [r.key[0] for r in live.of_kind("user") if r.key[0].isdigit()]
        self.queues = {r.key[0] for r in live.of_kind("call_queue")}
        self.attendants = {r.key[0] for r in live.of_kind("auto_attendant")}
        self.conferences = {r.key[0] for r in live.of_kind("conference")}
        self.frames: dict[str, dict[str, Any]] = {}
        self.user_frames: dict[str, dict[str, dict[str, Any]]] = {}
        self.priority: dict[tuple[str, ...], int] = {}
        self.audio: dict[str, Audio] = {}
        self.user_forms: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    def build(self) -> Built:
        domain = self.live.get("domain", (self.domain,))
        zone = str((domain.fields if domain else {}).get("time_zone") or "UTC")
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.notes.append(f"the domain's time zone '{zone}' is not an IANA zone; wrote UTC")
            zone = "UTC"
        self.zone = zone
        for r in self.live.of_kind("user"):
            if not r.key[0].isdigit():
                self.notes.append(f"user '{r.key[0]}': not an extension (digits); not imported")
        # Users first: one that cannot be declared is no target for anything else either.
        for ext in list(self.users):
            checked = self._valid_user(ext, *user_yaml(self.secrets.masked(self._user(ext)), zone))
            if checked is None:
                self.users.remove(ext)
            else:
                self.user_forms[ext] = checked
        data: dict[str, Any] = {"domain": self.domain, "pbx": self.pbx, "country": self.country, "time_zone": zone}
        self._frames()
        self._priorities()
        data["time_frames"] = {
            name: frame_yaml(fields, self.priority[(name,)])
            for name, fields in sorted(self.frames.items(), key=lambda item: self.priority[(item[0],)])
        }
        # What rules may forward to: only what is imported itself.
        conferences, queues, attendants = self._conferences(), self._queues(), self._attendants()
        self.conferences, self.queues, self.attendants = set(conferences), set(queues), set(attendants)
        profiles, users, full_users = self._users()
        data["profiles"] = profiles
        data["users"] = users
        data["contacts"] = self._contacts(None)
        moh = self._moh(None)
        if moh is not None:
            data["music_on_hold"] = moh
        data["conferences"] = conferences
        data["call_queues"] = queues
        data["auto_attendants"] = attendants
        phones, settings = self._phones(data)
        data["phones"], data["phone_settings"] = phones, settings
        data = {k: v for k, v in data.items() if v not in ({}, [])}
        counted = (
            "users",
            "profiles",
            "time_frames",
            "contacts",
            "conferences",
            "call_queues",
            "auto_attendants",
            "phones",
        )
        counts = {k: len(data[k]) for k in counted if k in data}
        return Built(data, full_users, self.secrets.values, list(self.audio.values()), self.notes, counts)

    # time frames and their priorities

    def _frames(self) -> None:
        for r in self.live.of_kind("time_frame"):
            if self._frame_ok(r.key[0], r.fields, f"time frame '{r.key[0]}'"):
                self.frames[r.key[0]] = r.fields
        for ext in self.users:
            own: dict[str, dict[str, Any]] = {}
            for r in self.live.under("user_time_frame", ext):
                name = r.key[1]
                if name in self.frames:
                    self.notes.append(
                        f"user {ext}: own time frame '{name}' has a domain frame's name (skyconf requires "
                        "distinct names); not imported"
                    )
                elif self._frame_ok(name, r.fields, f"user {ext}: time frame '{name}'"):
                    own[name] = r.fields
            self.user_frames[ext] = own

    def _frame_ok(self, name: str, fields: dict[str, Any], what: str) -> bool:
        if name == DEFAULT_RULE:
            self.notes.append(f"{what}: the name is reserved for the default rule; not imported")
            return False
        if not (fields.get("always") or fields.get("weekly") or fields.get("dates")):
            self.notes.append(f"{what}: has no times skyconf can express; not imported")
            return False
        return True

    def _priorities(self) -> None:
        """Priorities that put every user's rules in the PBX's order: domain frames in an order all users
        agree with, each user's own frames in the gaps (keeping the numbers a re-imported folder has, when
        they already give that order)."""
        orders = {ext: self._order(ext) for ext in self.users}
        hint = self._existing_priorities()
        if hint is not None and all(self._consistent(ext, order, hint) for ext, order in orders.items()):
            self.priority = hint
            return
        first_seen: dict[str, int] = {}
        after: dict[str, set[str]] = {name: set() for name in self.frames}
        for order in orders.values():
            shared = [n for n in order if n in self.frames]
            for n in shared:
                first_seen.setdefault(n, len(first_seen))
            for a, b in itertools.pairwise(shared):
                after[b].add(a)
        sequence: list[str] = []
        pending = sorted(self.frames, key=lambda n: (first_seen.get(n, len(self.frames)), n))
        while pending:
            ready = [n for n in pending if not (after[n] - set(sequence))] or pending[:1]  # a cycle: first seen wins
            sequence.append(ready[0])
            pending.remove(ready[0])
        rank = {name: i for i, name in enumerate(sequence)}
        slots: dict[str, list[list[str]]] = {}
        need = [0] * (len(sequence) + 1)
        for ext in self.users:
            own = self.user_frames.get(ext, {})
            gaps: list[list[str]] = [[] for _ in need]
            slot = 0
            for name in orders.get(ext, []):
                if name in rank:
                    slot = max(slot, rank[name] + 1)
                elif name in own:
                    gaps[slot].append(name)
            ordered = {n for gap in gaps for n in gap}
            gaps[-1] += sorted(n for n in own if n not in ordered)
            slots[ext] = gaps
            need = [max(a, len(b)) for a, b in zip(need, gaps, strict=True)]
        cursor = 0 if need[0] else 1
        starts: list[int] = []
        for i in range(len(need)):
            starts.append(cursor)
            cursor += need[i]
            if i < len(sequence):
                self.priority[(sequence[i],)] = cursor
                cursor += 1
        for ext, gaps in slots.items():
            for i, names in enumerate(gaps):
                for j, name in enumerate(names):
                    self.priority[(ext, name)] = starts[i] + j
        for ext, order in orders.items():
            if not self._consistent(ext, order, self.priority):
                self.notes.append(
                    f"user {ext}: the PBX orders this user's rules {', '.join(order)}, against the order the other "
                    "users' rules agree on; the folder orders them by priority"
                )
        if cursor - 1 > _MAX_PRIORITY:
            self.notes.append("more time frames than priorities (0-98): some priorities were capped")
            self.priority = {k: min(v, _MAX_PRIORITY) for k, v in self.priority.items()}

    def _order(self, ext: str) -> list[str]:
        order = self.live.get("answer_rule_order", (ext,))
        return [n for n in (order.fields.get("order") or [] if order else []) if n != DEFAULT_RULE]

    def _existing_priorities(self) -> dict[tuple[str, ...], int] | None:
        out: dict[tuple[str, ...], int] = {}
        for name in self.frames:
            value = self.existing.get("time_frames", name, "priority")
            if not isinstance(value, int):
                return None
            out[(name,)] = value
        for ext, own in self.user_frames.items():
            for name in own:
                value = self.existing.get("users", ext, "time_frames", name, "priority")
                if not isinstance(value, int):
                    return None
                out[(ext, name)] = value
        return out

    def _consistent(self, ext: str, order: list[str], priority: dict[tuple[str, ...], int]) -> bool:
        own = self.user_frames.get(ext, {})
        mine = {n: priority[(n,)] for n in self.frames} | {n: priority[(ext, n)] for n in own}
        if len(set(mine.values())) != len(mine):
            return False
        known = [n for n in order if n in mine]
        return known == sorted(known, key=lambda n: mine[n])

    # users and profiles

    def _users(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        rules: dict[str, dict[str, dict[str, Any]]] = {}
        for ext in self.users:
            rules[ext] = self._rules(ext)
        shared = {
            ext: {f: _key(r) for f, r in rs.items() if f in self.frames or f == DEFAULT_RULE}
            for ext, rs in rules.items()
        }
        for rule_set in shared.values():
            if rule_set.get(DEFAULT_RULE) == _key({"ring_extension": True}):
                del rule_set[DEFAULT_RULE]  # implicit: what a user without a default rule gets
        ring = {ext: self._user(ext).fields.get("ring_timeout") for ext in self.users}
        profiles, members = self._profiles(shared, ring)

        users: dict[str, Any] = {}
        full_users: dict[str, Any] = {}
        for ext in self.users:
            resource = self._user(ext)
            minimal, full = self.user_forms[ext]
            name = members.get(ext)
            profile = profiles.get(name) if name else None
            live_ring = resource.fields.get("ring_timeout")
            profile_ring = profile.get("ring_timeout") if profile else None
            minimal.pop("ring_timeout", None)
            extra: dict[str, Any] = {}
            if name:
                extra["profile"] = name
            default_ring = profile_ring if profile_ring is not None else USER_DEFAULTS[("ring_timeout",)]
            if live_ring is not None and live_ring != default_ring:
                extra["ring_timeout"] = live_ring
            parts: dict[str, Any] = {}
            contacts = self._contacts(ext)
            if contacts:
                parts["contacts"] = contacts
            moh = self._moh(ext)
            if moh is not None:
                parts["music_on_hold"] = moh
            own = self.user_frames.get(ext, {})
            if own:
                parts["time_frames"] = {
                    n: frame_yaml(own[n], self.priority[(ext, n)])
                    for n in sorted(own, key=lambda n: self.priority[(ext, n)])
                }
            if DEFAULT_RULE not in rules[ext]:
                self.notes.append(f"user {ext}: no default rule on the PBX; apply adds one that rings the extension")
            answering = self._user_rules(ext, rules[ext], self._profile_rules(profile, ext) if profile else {})
            if answering:
                parts["answering_rules"] = answering
            merged = {**minimal, **extra, **parts}
            users[ext] = {k: merged[k] for k in USER_KEYS if k in merged}
            merged = {**full, **extra, "ring_timeout": live_ring, **parts}
            full_users[ext] = {k: merged[k] for k in USER_KEYS if merged.get(k) is not None}
        return (
            {n: p for n, p in profiles.items() if n in members.values() or n in (self.existing.get("profiles") or {})},
            users,
            full_users,
        )

    def _user(self, ext: str) -> Resource:
        r = self.live.get("user", (ext,))
        assert r is not None
        return r

    def _valid_user(
        self, ext: str, minimal: dict[str, Any], full: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Both forms checked with the model (secrets filled in); invalid values are left out and noted."""
        for _ in range(10):
            problem = _first_problem(User, self._filled(full))
            if problem is None:
                return minimal, full
            loc, message = problem
            if loc[:1] in (("first_name",), ("last_name",)) or not loc:
                if loc and not full.get(str(loc[0])):
                    message = f"no {str(loc[0]).replace('_', ' ')} (skyconf requires first and last names)"
                self.notes.append(f"user {ext}: {message}; not imported")
                self.secrets.drop(json.dumps(full))
                return None
            self.notes.append(f"user {ext}: {'.'.join(map(str, loc))}: {message}; left out")
            removed = _remove(full, loc)
            if isinstance(removed, str):
                self.secrets.drop(removed)
            _remove(minimal, loc, exact=True)
        return None

    def _rules(self, ext: str) -> dict[str, dict[str, Any]]:
        """The user's live rules as YAML (frame name -> rule), targets checked, `default` for `*`."""
        out: dict[str, dict[str, Any]] = {}
        own = self.user_frames.get(ext, {})
        for r in self.live.under("answer_rule", ext):
            frame = r.key[1]
            if frame != DEFAULT_RULE and frame not in self.frames and frame not in own:
                self.notes.append(f"user {ext}: rule for time frame '{frame}', which is not imported; left out")
                continue
            fields = dict(r.fields)
            for option in FORWARD_OPTIONS:
                if fields.get(option) and not self._target_ok(fields[option], ext):
                    self.notes.append(
                        f"user {ext}, rule {frame}: {option} to '{fields[option]}' is not an imported target; left out"
                    )
                    fields[option] = None
            sim = fields.get("simultaneous_ring")
            if sim and fields.get("forward_always"):
                self.notes.append(
                    f"user {ext}, rule {frame}: forwards always, so its simultaneous ring never rings; left out"
                )
                sim = fields["simultaneous_ring"] = None
            if sim:
                ring = [t for t in sim["ring"] if self._target_ok(t, ext, ring=True)]
                if len(ring) != len(sim["ring"]):
                    self.notes.append(
                        f"user {ext}, rule {frame}: simultaneous ring entries that are not imported targets; left out"
                    )
                sim = {**sim, "ring": ring}
                if not (ring or sim["include_extension"] or sim["all_user_phones"]):
                    self.notes.append(f"user {ext}, rule {frame}: simultaneous ring with nothing to ring; left out")
                    sim = None
                fields["simultaneous_ring"] = sim
            rule = rule_yaml(fields, ext)
            if _first_problem(AnsweringRule, rule) is not None:
                self.notes.append(f"user {ext}, rule {frame}: a combination skyconf does not allow; left out")
                continue
            out[frame] = rule
        return out

    def _target_ok(self, target: str, ext: str, ring: bool = False, kinds: Iterable[str] | None = None) -> bool:
        try:
            parsed = parse_target(target, own_extension=ext, country=self.country, ring_list=ring)
        except TargetError:
            return False
        if parsed.kind == "number":
            return True
        if kinds is not None and parsed.kind not in kinds:
            return False
        if ring and parsed.kind not in ("handset",):
            return False
        declared = {
            "user": self.users,
            "handset": self.users,
            "voicemail": self.users,
            "queue": self.queues,
            "auto_attendant": self.attendants,
            "conference": self.conferences,
        }[parsed.kind]
        return parsed.value in declared

    def _profiles(
        self, shared: dict[str, dict[str, str]], ring: dict[str, Any]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """Profiles (name -> YAML) and who uses which: the folder's own profiles stay as written with
        their users; users new to the folder join one when that saves lines, or form new ones."""
        profiles: dict[str, dict[str, Any]] = {}
        members: dict[str, str] = {}
        old_users = self.existing.get("users") or {}
        for name, data in (self.existing.get("profiles") or {}).items():
            kept = self._kept_profile(name, data)
            if kept is not None:
                profiles[name] = kept
        for ext in self.users:
            chosen = (old_users.get(ext) or {}).get("profile") if isinstance(old_users.get(ext), dict) else None
            if chosen in profiles:
                members[ext] = chosen
        fresh = [ext for ext in self.users if ext not in old_users]
        for ext in list(fresh):
            best: tuple[int, str] | None = None
            for name, profile in profiles.items():
                cost = _entries(shared[ext], self._profile_set(profile, ext))
                if cost < len(shared[ext]) and (best is None or cost < best[0]):
                    best = (cost, name)
            if best is not None:
                members[ext] = best[1]
                fresh.remove(ext)
        for group, rule_set in _cluster({ext: shared[ext] for ext in fresh}):
            name = self._profile_name(group, rule_set, set(profiles))
            made: dict[str, Any] = {}
            rings = Counter(ring[e] for e in group)
            value, count = rings.most_common(1)[0]
            if None not in rings and count >= 2 and value != USER_DEFAULTS[("ring_timeout",)]:
                made["ring_timeout"] = value
            frames = sorted(rule_set, key=self._frame_rank)
            made["answering_rules"] = {f: json.loads(rule_set[f]) for f in frames}
            profiles[name] = made
            members.update(dict.fromkeys(group, name))
        return profiles, members

    def _kept_profile(self, name: str, data: Any) -> dict[str, Any] | None:
        """A profile of the existing folder without rules for frames or targets that are gone."""
        if not isinstance(data, dict) or _first_problem(Profile, data) is not None:
            return None
        kept = dict(data)
        rules = dict(data.get("answering_rules") or {})
        for frame, rule in list(rules.items()):
            ok = frame == DEFAULT_RULE or frame in self.frames
            if ok and isinstance(rule, dict):
                # "0" stands for the member's own extension (as resolve checks a profile no user names).
                fields = rule_fields(AnsweringRule.model_validate(rule), "0", self.country)
                sim = (fields or {}).get("simultaneous_ring") or {}
                targets = [*(fields[o] for o in FORWARD_OPTIONS if fields and fields[o]), *sim.get("ring", [])]
                ok = fields is not None and all(self._target_ok(t, "0") or t.endswith(":0") for t in targets)
            if not ok:
                self.notes.append(f"profile {name}: rule '{frame}' names a time frame or target that is gone; removed")
                del rules[frame]
        if "answering_rules" in data:
            kept["answering_rules"] = rules
        return kept

    def _profile_set(self, profile: dict[str, Any], ext: str) -> dict[str, str]:
        """A profile's rules for one user, in the comparable form (own extension as self)."""
        return {f: _key(r) for f, r in self._profile_rules(profile, ext).items()}

    def _profile_rules(self, profile: dict[str, Any], ext: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for frame, rule in (profile.get("answering_rules") or {}).items():
            if not isinstance(rule, dict):
                continue
            fields = rule_fields(AnsweringRule.model_validate(rule), ext, self.country)
            if fields is not None:
                out[frame] = rule_yaml(fields, ext)
        if out.get(DEFAULT_RULE) == {"ring_extension": True}:
            del out[DEFAULT_RULE]
        return out

    def _user_rules(
        self, ext: str, rules: dict[str, dict[str, Any]], profile: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """The user's answering_rules: own frames' rules, and where the profile does not already say it."""
        out: dict[str, Any] = {}
        plain = {"ring_extension": True}
        for frame, rule in rules.items():
            if frame == DEFAULT_RULE and rule == plain and DEFAULT_RULE not in profile:
                continue
            if profile.get(frame) != rule:
                out[frame] = rule
        for frame in profile:
            if frame not in rules:
                out[frame] = plain if frame == DEFAULT_RULE else None
        return {f: out[f] for f in sorted(out, key=lambda f: self._frame_rank(f, ext))}

    def _frame_rank(self, frame: str, ext: str | None = None) -> tuple[int, str]:
        if frame == DEFAULT_RULE:
            return (_MAX_PRIORITY + 1, frame)
        key = (ext, frame) if ext is not None and (ext, frame) in self.priority else (frame,)
        return (self.priority.get(key, _MAX_PRIORITY), frame)

    def _profile_name(self, group: list[str], rule_set: dict[str, str], taken: set[str]) -> str:
        """By the members' common department, else by what the rules do ("holiday-voicemail-closed-hours-dnd")."""
        departments = {self._user(e).fields.get("department") for e in group}
        if len(departments) == 1 and None not in departments:
            base = _slug(str(departments.pop()))
        else:
            words = []
            for frame in sorted(rule_set, key=self._frame_rank)[:2]:
                words.append(f"{_slug(frame)}-{_rule_word(json.loads(rule_set[frame]))}")
            base = "-".join(words) or "shared"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        return name

    # contacts, music on hold, conferences, queues, attendants

    def _contacts(self, owner: str | None) -> list[dict[str, Any]]:
        kind_name = "contact" if owner is None else "user_contact"
        resources = self.live.of_kind(kind_name) if owner is None else self.live.under(kind_name, owner)
        out: list[dict[str, Any]] = []
        where = "shared contacts" if owner is None else f"user {owner}: contacts"
        for r in resources:
            if r.key[-1].endswith("]"):
                self.notes.append(f"{where}: a duplicate of '{r.key[-1].rsplit(' [', 1)[0]}' on the PBX; not imported")
                continue
            data = self._validated(Contact, contact_yaml(r.fields), f"{where}: {r.key[-1]}")
            if data is not None:
                out.append(data)
        return sorted(out, key=lambda c: _contact_sort(c))

    def _moh(self, owner: str | None) -> dict[str, Any] | None:
        scope_name = owner if owner is not None else self.domain
        prefix = "" if owner is None else "user_"
        holder = self.live.get("user" if owner else "domain", (scope_name,))
        settings = holder.fields if holder else {}
        entries = {r.key[1]: r for r in self.live.under(f"{prefix}moh_file", scope_name)}
        playlist = self.live.get(f"{prefix}moh_playlist", (scope_name,))
        order = [k for k in (playlist.fields.get("order") if playlist else None) or sorted(entries) if k in entries]
        randomized = bool(settings.get("moh_randomized"))
        comfort = settings.get("moh_comfort_repeat") if owner else None
        if not entries and not randomized and not comfort:
            return None
        who = "the domain" if owner is None else f"user {owner}"
        items: list[tuple[str, dict[str, Any]]] = []
        paths: set[str] = set()
        for position, key in enumerate(order, start=1):
            fields = entries[key].fields
            copy = re.fullmatch(r"(.+) @-?\d+", key)
            if copy and copy.group(1) in entries:  # the provider's key for a second copy of one entry
                self.notes.append(f"music on hold of {who}: entry {position} repeats an earlier one; imported once")
                continue
            if "text" in fields:
                items.append(("", fields))
                continue
            path = import_path(key, scope_name, position)
            if path in paths:
                self.notes.append(f"music on hold of {who}: {path} is listed twice on the PBX; imported once")
                continue
            paths.add(path)
            items.append((path, fields))
            self._audio(path, fields.get("sha256"), who)
        data = moh_yaml(items, randomized)
        if owner is not None and comfort:
            data = {"randomized": randomized, "comfort_repeat_seconds": comfort, "files": data["files"]}
        model = MusicOnHold if owner is None else UserMusicOnHold
        return self._validated(model, data, f"music on hold of {who}")

    def _audio(self, path: str, sha256: str | None, who: str) -> None:
        if path in self.audio:
            note = self.audio[path]
            note.used_by.append(who)
            if note.sha256 != sha256:
                self.notes.append(
                    f"music on hold: {path} holds different audio for {', '.join(note.used_by)}; one file serves both"
                )
            return
        target = self.folder / path
        state = "missing"
        if target.is_file():
            state = "present" if hashlib.sha256(target.read_bytes()).hexdigest() == sha256 else "differs"
        self.audio[path] = Audio(path, sha256, [who], state)

    def _conferences(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for r in self.live.of_kind("conference"):
            ext = r.key[0]
            fields = self.secrets.masked(r)
            if fields.get("owner") and fields["owner"] not in self.users:
                self.notes.append(f"conference {ext}: owner {fields['owner']} is not an imported user; left out")
                fields["owner"] = None
            if r.fields.get("leader_pin") and r.fields.get("leader_pin") == r.fields.get("participant_pin"):
                self.notes.append(
                    f"conference {ext}: the participant PIN equals the leader PIN (they must differ); left out"
                )
                self.secrets.drop(fields["participant_pin"])
                fields["participant_pin"] = None
            if (
                fields.get("quorum")
                and fields.get("max_participants")
                and fields["quorum"] > fields["max_participants"]
            ):
                self.notes.append(f"conference {ext}: quorum is larger than max_participants; quorum left out")
                fields["quorum"] = None
            data = self._validated(Conference, conference_yaml(fields), f"conference {ext}")
            if data is not None:
                out[ext] = data
        return out

    def _queues(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for r in self.live.of_kind("call_queue"):
            fields = dict(r.fields)
            if fields.get("agents") is not None:
                agents = list(dict.fromkeys(a for a in fields["agents"] if a in self.users))
                if len(agents) != len(fields["agents"]):
                    self.notes.append(f"call queue {r.key[0]}: agents that are not imported users were left out")
                fields["agents"] = agents
            data = self._validated(CallQueue, queue_yaml(fields), f"call queue {r.key[0]}")
            if data is not None:
                out[r.key[0]] = data
        return out

    def _attendants(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        frames = sorted(self.frames, key=lambda n: self.priority[(n,)])
        for r in self.live.of_kind("auto_attendant"):
            ext = r.key[0]
            menus: dict[str, dict[str, str]] = {}
            for frame, menu in (r.fields.get("menus") or {}).items():
                if frame != DEFAULT_RULE and frame not in self.frames:
                    self.notes.append(
                        f"auto attendant {ext}: menu for time frame '{frame}', which is not imported; left out"
                    )
                    continue
                kept: dict[str, str] = {}
                for key, target in menu.items():
                    if key in FALLBACKS:
                        continue
                    if self._target_ok(target, ext, kinds=MENU_TARGETS):
                        kept[key] = target
                    else:
                        self.notes.append(
                            f"auto attendant {ext}, menu {frame}, key {key}: {target!r} is not imported; left out"
                        )
                for name in FALLBACKS:
                    value = menu.get(name)
                    if value is not None and (value in FALLBACK_ACTIONS or value in kept.values()):
                        kept[name] = value
                    elif value is not None:
                        self.notes.append(
                            f"auto attendant {ext}, menu {frame}: {name} '{value}' is not expressible; left out"
                        )
                if any(k not in FALLBACKS for k in kept):
                    menus[frame] = kept
                else:
                    self.notes.append(f"auto attendant {ext}, menu {frame}: no key option left; not imported")
            if not menus:
                self.notes.append(f"auto attendant {ext}: no menu left; not imported")
                continue
            data = self._validated(
                AutoAttendant, attendant_yaml({**r.fields, "menus": menus}, frames), f"auto attendant {ext}"
            )
            if data is not None:
                out[ext] = data
        return out

    # phones

    def _phones(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        live = [(r.key[0], r.fields) for r in self.live.of_kind("phone")]
        if not live:
            return {}, {}
        try:
            tenant = Tenant.model_validate(
                self._filled({k: v for k, v in data.items() if k not in ("phones", "phone_settings")})
            )
        except ValidationError as exc:
            raise SkyconfError(f"internal: the imported tenant does not validate: {exc}") from None
        recovered, settings = recover_phones(tenant, self.folder, live, self.notes)
        ordered = sorted(recovered, key=lambda p: (len(p.data["user"]), p.data["user"], p.mac))
        return {p.mac: p.data for p in ordered}, dict(settings)

    # helpers

    def _filled(self, data: Any) -> Any:
        """`data` with the secrets' references replaced by their live values (for checks, never written)."""
        doc = Document(self.folder, data=json.loads(json.dumps(data)))
        fill_secrets(doc, self.secrets.values)
        return doc.data

    def _validated(self, model: type[BaseModel], data: dict[str, Any], what: str) -> dict[str, Any] | None:
        """`data` checked with its model (secrets filled in); values it refuses are left out and noted."""
        for _ in range(10):
            problem = _first_problem(model, self._filled(data))
            if problem is None:
                return data
            loc, message = problem
            if not loc:
                break
            self.notes.append(f"{what}: {'.'.join(map(str, loc))}: {message}; left out")
            removed = _remove(data, loc)
            if removed is _MISSING:
                break
            if isinstance(removed, str):
                self.secrets.drop(removed)
        self.notes.append(f"{what}: not imported")
        self.secrets.drop(json.dumps(data))
        return None


def _first_problem(model: type[BaseModel], data: Any) -> tuple[tuple[Any, ...], str] | None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        return loc, str(error["msg"]).removeprefix("Value error, ")
    return None


_MISSING = object()


def _remove(data: Any, loc: tuple[Any, ...], exact: bool = False) -> Any:
    """Remove the value at `loc` (else, unless `exact`, the nearest existing parent's entry: a model's
    error location may go deeper than the data); returns what was removed."""
    for end in range(len(loc), 0 if not exact else len(loc) - 1, -1):
        parent: Any = data
        try:
            for part in loc[: end - 1]:
                parent = parent[part]
            if isinstance(parent, dict) and loc[end - 1] in parent:
                return parent.pop(loc[end - 1])
            if isinstance(parent, list) and isinstance(loc[end - 1], int) and loc[end - 1] < len(parent):
                return parent.pop(loc[end - 1])
        except (KeyError, IndexError, TypeError):
            continue
    return _MISSING


def _key(rule: dict[str, Any]) -> str:
    return json.dumps(rule, sort_keys=True)


def _entries(rule_set: dict[str, str], profile: dict[str, str]) -> int:
    """Rules a user must still write with this profile: differences, and overrides for frames it lacks."""
    return sum(1 for f, r in rule_set.items() if profile.get(f) != r) + sum(1 for f in profile if f not in rule_set)


def _cluster(sets: dict[str, dict[str, str]]) -> list[tuple[list[str], dict[str, str]]]:
    """Groups of users whose shared rules make a profile worth it: users with equal rule sets start
    together, and groups merge while that lowers the number of rules written (profile's + users')."""
    by_set: dict[str, list[str]] = {}
    for ext, rule_set in sets.items():
        if rule_set:
            by_set.setdefault(_key(rule_set), []).append(ext)
    groups = sorted(by_set.values(), key=lambda g: (-len(g), len(g[0]), g[0]))[:_CLUSTER_LIMIT]

    def cost(group: list[str]) -> tuple[int, dict[str, str]]:
        profile = _profile_of(group, sets)
        if len(group) < 2 or not profile:
            return sum(len(sets[e]) for e in group), {}
        return _PROFILE_COST + len(profile) + sum(_entries(sets[e], profile) for e in group), profile

    costs = [cost(g)[0] for g in groups]
    while len(groups) > 1:
        best: tuple[int, int, int] | None = None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                gain = costs[i] + costs[j] - cost(groups[i] + groups[j])[0]
                if gain > 0 and (best is None or gain > best[0]):
                    best = (gain, i, j)
        if best is None:
            break
        _, i, j = best
        groups[i] = groups[i] + groups[j]
        costs[i] = cost(groups[i])[0]
        del groups[j], costs[j]
    out: list[tuple[list[str], dict[str, str]]] = []
    for group in groups:
        profile = cost(group)[1]
        if profile:
            out.append((sorted(group, key=lambda e: (len(e), e)), profile))
    return out


def _profile_of(group: list[str], sets: dict[str, dict[str, str]]) -> dict[str, str]:
    """Per frame, the rule most of the group has, where writing it once saves more lines than the
    overrides it costs (users without that frame's rule then write `null`)."""
    frames = sorted({f for e in group for f in sets[e]})
    out: dict[str, str] = {}
    for frame in frames:
        counts = Counter(sets[e][frame] for e in group if frame in sets[e])
        rule, count = max(counts.items(), key=lambda item: (item[1], item[0]))
        missing = sum(1 for e in group if frame not in sets[e])
        if count - 1 - missing > 0:
            out[frame] = rule
    return out


def _rule_word(rule: dict[str, Any]) -> str:
    if rule.get("do_not_disturb"):
        return "dnd"
    if rule.get("forward_always"):
        target = str(rule["forward_always"])
        return "external" if target.startswith("+") else target.partition(":")[0].replace("_", "-")
    if rule.get("simultaneous_ring"):
        return "simring"
    return "ring"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "profile"


def _contact_sort(contact: dict[str, Any]) -> tuple[str, str, str]:
    return tuple(str(contact.get(k) or "").casefold() for k in ("last_name", "first_name", "company"))  # type: ignore[return-value]


# --- checking -----------------------------------------------------------------------------------


def remaining_changes(
    folder: Path, live: State, secrets: dict[str, str], audio: list[Audio], today: dt.date
) -> list[str]:
    """What `plan` on the written folder would still change (music on hold whose audio is not in the
    folder yet is left out of the check: it is listed separately)."""
    doc, problems = read_document(folder)
    if problems:
        return [str(p) for p in problems]
    fill_secrets(doc, secrets)
    missing = {a.path for a in audio if a.state == "missing"}
    skipped: set[tuple[str, str]] = set()

    def needs_audio(moh: Any) -> bool:
        return isinstance(moh, dict) and any(
            isinstance(e, dict) and e.get("file") in missing for e in moh.get("files") or []
        )

    if needs_audio(doc.data.get("music_on_hold")):
        del doc.data["music_on_hold"]
        skipped.add(("moh", doc.data.get("domain", "")))
    for ext, user in (doc.data.get("users") or {}).items():
        if isinstance(user, dict) and needs_audio(user.get("music_on_hold")):
            del user["music_on_hold"]
            skipped.add(("moh", str(ext)))
    try:
        tenant = Tenant.model_validate(doc.data)
        desired = resolve(LoadedTenant(folder.name, folder, tenant, doc), today)
    except ValidationError as exc:
        return [f"the written folder does not validate: {exc.errors()[0]['msg']}"]
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    changes, _ = diff(desired.state, live, desired.prune)
    out: list[str] = []
    for c in changes:
        if "moh" in c.kind and ("moh", c.key[0]) in skipped:
            continue
        what = f" ({', '.join(c.changed)})" if c.action == "update" else ""
        out.append(f"{c.action} {KINDS[c.kind].title} {' / '.join(c.key)}{what}")
    return out


# --- the whole import ---------------------------------------------------------------------------


async def import_tenant(
    session: Session,
    pbx: str | None,
    domain: str | None,
    folder: Path,
    country: str | None,
    today: dt.date | None = None,
) -> ImportReport:
    """Read the domain from the PBX and write (or update) the tenant folder; see the module docstring.

    `pbx`, `domain` and `country` default to what an existing folder says (else sandbox, -, US).
    """
    today = today or dt.date.today()
    existing = Existing.read(folder)
    if not existing.roots and folder.is_dir() and any(c.is_dir() and any(c.glob("*.yaml")) for c in folder.iterdir()):
        raise SkyconfError(f"{display_path(folder)} holds tenant folders; name one tenant's folder, like tenants/acme")
    held = existing.get("domain")
    if domain is None:
        if not isinstance(held, str):
            raise SkyconfError(f"{display_path(folder)} declares no domain yet: name it with --domain")
        domain = held
    elif held is not None and held != domain:
        raise SkyconfError(f"{display_path(folder)} holds domain '{held}', not '{domain}'; import into another folder")
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", domain):
        raise SkyconfError(f"'{domain}' is not a domain name")
    country = (country or existing.get("country") or "US").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise SkyconfError(f"'{country}' is not a country code (ISO 3166 alpha-2, like CA)")
    folder_pbx = existing.get("pbx") if isinstance(existing.get("pbx"), str) else None
    profile = pbx or folder_pbx or SANDBOX
    live = await session.provider(profile).read_domain(domain, country, folder)
    built = _Builder(live, domain, folder_pbx or profile, country, folder, existing).build()
    written, unchanged = write_folder(folder, existing, built.data, built.full_users, country, today)
    remaining = remaining_changes(folder, live, built.secrets, built.audio, today)
    return ImportReport(
        folder,
        written,
        unchanged,
        sorted(built.secrets),
        [a for a in built.audio if a.state != "present"],
        built.notes,
        remaining,
        built.counts,
    )
