"""The import builder: live State -> the tenant's YAML data, section by section (see skyconf.importer).

Why this module is long: the Builder is the `Export` every section's exporter sees, and it exports
the parts that span kinds itself (users with their rules, own frames, contacts, music on hold and
voicemail greetings),
which share its state; priorities, profiles, secrets and phones are modules of their own.
"""

from __future__ import annotations

import hashlib
import json
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from skyconf.errors import SkyconfError
from skyconf.importer.files import Existing
from skyconf.importer.phones import recover_phones
from skyconf.importer.priorities import MAX_PRIORITY, assign_priorities
from skyconf.importer.profiles import make_profiles, profile_rules, rule_key, user_rules
from skyconf.importer.secrets import Secrets
from skyconf.importer.validate import MISSING, first_problem, remove_at
from skyconf.load import Document, fill_secrets
from skyconf.model.contacts import CONTACT, Contact, contact_yaml
from skyconf.model.greetings import Greeting, audio_yaml, greeting_import_path, greeting_index
from skyconf.model.kinds import SECTIONS, target_sections
from skyconf.model.moh import MOH_FILE, MOH_PLAYLIST, MusicOnHold, UserMusicOnHold, import_path, moh_yaml
from skyconf.model.phones import PHONE, PHONE_SETTINGS, PHONES
from skyconf.model.rules import DEFAULT_RULE, FORWARD_OPTIONS, AnsweringRule, rule_yaml
from skyconf.model.targets import RING_TARGETS, TargetError, parse_target
from skyconf.model.tenant import DOMAIN, tenant_model
from skyconf.model.timeframes import TIME_FRAME, frame_yaml
from skyconf.model.users import (
    ANSWER_RULE,
    USER,
    USER_CONTACT,
    USER_DEFAULTS,
    USER_GREETING,
    USER_MOH_FILE,
    USER_MOH_PLAYLIST,
    USER_TIME_FRAME,
    USERS,
    User,
    user_yaml,
)
from skyconf.resources import Resource, State

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


@dataclass
class Audio:
    """An upload (music on hold, a greeting, a prompt) whose audio the API cannot give back: the file to
    put in the folder."""

    path: str
    sha256: str | None
    used_by: list[str]
    state: str  # "present" (same bytes), "differs", "missing"


@dataclass
class Built:
    data: dict[str, Any]
    # The users with every value the PBX has (a re-import keeps what a file states, defaults too).
    full_users: dict[str, Any]
    secrets: dict[str, str]
    audio: list[Audio]
    notes: list[str]
    counts: dict[str, int]


class Builder:
    def __init__(
        self,
        live: State,
        domain: str,
        pbx: str,
        country: str,
        folder: Path,
        existing: Existing,
        unmanaged_pins: bool = False,
    ) -> None:
        self.live = live
        self.domain = domain
        self.pbx = pbx
        self.country = country
        self.folder = folder
        self.existing = existing
        self.notes: list[str] = []
        prefix = re.sub(r"[^A-Za-z0-9]+", "_", folder.resolve().name).strip("_") or "TENANT"
        self.secrets = Secrets(prefix.upper(), existing, unmanaged_pins)
        self.users = [r.key[0] for r in live.of_kind(USER.name) if r.key[0].isdigit()]
        # Target prefix -> the extensions imported that it may name (filled as sections are exported).
        self.imported: dict[str, set[str]] = {}
        self.frame_fields: dict[str, dict[str, Any]] = {}
        self.user_frames: dict[str, dict[str, dict[str, Any]]] = {}
        self.priority: dict[tuple[str, ...], int] = {}
        self.audio: dict[str, Audio] = {}
        self.user_forms: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    def build(self) -> Built:
        domain = self.live.get(*DOMAIN.ref(self.domain))
        zone = str((domain.fields if domain else {}).get("time_zone") or "UTC")
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.notes.append(f"the domain's time zone '{zone}' is not an IANA zone; wrote UTC")
            zone = "UTC"
        self.zone = zone
        for r in self.live.of_kind(USER.name):
            if not r.key[0].isdigit():
                self.notes.append(f"user '{r.key[0]}': not an extension (digits); not imported")
        # Users first: one that cannot be declared is no target for anything else either.
        for ext in list(self.users):
            checked = self._valid_user(ext, *user_yaml(self.secrets.masked(self.user(ext)), zone))
            if checked is None:
                self.users.remove(ext)
            else:
                self.user_forms[ext] = checked
        data: dict[str, Any] = {"domain": self.domain, "pbx": self.pbx, "country": self.country, "time_zone": zone}
        self._frames()
        assign_priorities(self)
        data["time_frames"] = {
            name: frame_yaml(fields, self.priority[(name,)])
            for name, fields in sorted(self.frame_fields.items(), key=lambda item: self.priority[(item[0],)])
        }
        # What rules may forward to: only what is imported itself. Sections exported on their own
        # (queues, attendants, conferences, ...) come first; users and profiles, then the rest.
        for prefix, section in target_sections().items():
            assert section.extension_kind is not None
            live_keys = {r.key[0] for r in self.live.of_kind(section.extension_kind.name)}
            self.imported[prefix] = set(self.users) if section is USERS else live_keys
        exported: dict[str, Any] = {}
        for section in sorted(SECTIONS.values(), key=lambda s: (s.order, s.name)):
            if section.export is not None:
                exported[section.name] = section.export(self)
                for prefix in section.targets:
                    self.imported[prefix] = set(exported[section.name])
        profiles, users, full_users = self._users()
        data["profiles"] = profiles
        data["users"] = users
        data["contacts"] = self._contacts(None)
        moh = self._moh(None)
        if moh is not None:
            data["music_on_hold"] = moh
        data.update(exported)
        phones, settings = self._phones(data)
        data[PHONES.name], data[PHONE_SETTINGS.name] = phones, settings
        data = {k: v for k, v in data.items() if v not in ({}, [])}
        counted = [s.name for s in SECTIONS.values() if s.default() in ({}, [])]
        counts = {k: len(data[k]) for k in counted if k in data}
        return Built(data, full_users, self.secrets.values, list(self.audio.values()), self.notes, counts)

    # what section exporters get (the Export protocol of skyconf.model.base)

    @property
    def frames(self) -> list[str]:
        return sorted(self.frame_fields, key=lambda n: self.priority.get((n,), MAX_PRIORITY))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def masked(self, resource: Resource) -> dict[str, Any]:
        return self.secrets.masked(resource)

    def drop_secret(self, reference: Any) -> None:
        if isinstance(reference, str):
            self.secrets.drop(reference)

    # time frames and their priorities

    def _frames(self) -> None:
        for r in self.live.of_kind(TIME_FRAME.name):
            if self._frame_ok(r.key[0], r.fields, f"time frame '{r.key[0]}'"):
                self.frame_fields[r.key[0]] = r.fields
        for ext in self.users:
            own: dict[str, dict[str, Any]] = {}
            for r in self.live.under(USER_TIME_FRAME.name, ext):
                name = r.key[1]
                if name in self.frame_fields:
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

    # users and profiles

    def _users(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        rules: dict[str, dict[str, dict[str, Any]]] = {}
        for ext in self.users:
            rules[ext] = self._rules(ext)
        shared = {
            ext: {f: rule_key(r) for f, r in rs.items() if f in self.frame_fields or f == DEFAULT_RULE}
            for ext, rs in rules.items()
        }
        for rule_set in shared.values():
            if rule_set.get(DEFAULT_RULE) == rule_key({"ring_extension": True}):
                del rule_set[DEFAULT_RULE]  # implicit: what a user without a default rule gets
        ring = {ext: self.user(ext).fields.get("ring_timeout") for ext in self.users}
        profiles, members = make_profiles(self, shared, ring)

        users: dict[str, Any] = {}
        full_users: dict[str, Any] = {}
        for ext in self.users:
            resource = self.user(ext)
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
            answering = user_rules(self, ext, rules[ext], profile_rules(self, profile, ext) if profile else {})
            if answering:
                parts["answering_rules"] = answering
            self._greetings(ext, minimal, full)
            merged = {**minimal, **extra, **parts}
            users[ext] = {k: merged[k] for k in USER_KEYS if k in merged}
            merged = {**full, **extra, "ring_timeout": live_ring, **parts}
            full_users[ext] = {k: merged[k] for k in USER_KEYS if merged.get(k) is not None}
        return (
            {n: p for n, p in profiles.items() if n in members.values() or n in (self.existing.get("profiles") or {})},
            users,
            full_users,
        )

    def user(self, ext: str) -> Resource:
        r = self.live.get(*USER.ref(ext))
        assert r is not None
        return r

    def _valid_user(
        self, ext: str, minimal: dict[str, Any], full: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Both forms checked with the model (secrets filled in); invalid values are left out and noted."""
        for _ in range(10):
            problem = first_problem(User, self._filled(full))
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
            removed = remove_at(full, loc)
            if isinstance(removed, str):
                self.secrets.drop(removed)
            remove_at(minimal, loc, exact=True)
        return None

    def _rules(self, ext: str) -> dict[str, dict[str, Any]]:
        """The user's live rules as YAML (frame name -> rule), targets checked, `default` for `*`."""
        out: dict[str, dict[str, Any]] = {}
        own = self.user_frames.get(ext, {})
        for r in self.live.under(ANSWER_RULE.name, ext):
            frame = r.key[1]
            if frame != DEFAULT_RULE and frame not in self.frame_fields and frame not in own:
                self.notes.append(f"user {ext}: rule for time frame '{frame}', which is not imported; left out")
                continue
            fields = dict(r.fields)
            for option in FORWARD_OPTIONS:
                if fields.get(option) and not self.target_ok(fields[option], ext):
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
                ring = [t for t in sim["ring"] if self.target_ok(t, ext, ring=True)]
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
            if first_problem(AnsweringRule, rule) is not None:
                self.notes.append(f"user {ext}, rule {frame}: a combination skyconf does not allow; left out")
                continue
            out[frame] = rule
        return out

    def target_ok(self, target: str, ext: str, kinds: Iterable[str] | None = None, ring: bool = False) -> bool:
        try:
            parsed = parse_target(target, own_extension=ext, country=self.country, ring_list=ring)
        except TargetError:
            return False
        if parsed.kind == "number":
            return True
        if kinds is not None and parsed.kind not in kinds:
            return False
        if ring and parsed.kind not in RING_TARGETS:
            return False
        return parsed.value in self.imported.get(parsed.kind, set())

    def _contacts(self, owner: str | None) -> list[dict[str, Any]]:
        resources = self.live.of_kind(CONTACT.name) if owner is None else self.live.under(USER_CONTACT.name, owner)
        out: list[dict[str, Any]] = []
        where = "shared contacts" if owner is None else f"user {owner}: contacts"
        for r in resources:
            if r.key[-1].endswith("]"):
                self.notes.append(f"{where}: a duplicate of '{r.key[-1].rsplit(' [', 1)[0]}' on the PBX; not imported")
                continue
            data = self.validated(Contact, contact_yaml(r.fields), f"{where}: {r.key[-1]}")
            if data is not None:
                out.append(data)
        return sorted(out, key=lambda c: _contact_sort(c))

    def _moh(self, owner: str | None) -> dict[str, Any] | None:
        scope_name = owner if owner is not None else self.domain
        file_kind, playlist_kind = (MOH_FILE, MOH_PLAYLIST) if owner is None else (USER_MOH_FILE, USER_MOH_PLAYLIST)
        holder = self.live.get(*(USER if owner else DOMAIN).ref(scope_name))
        settings = holder.fields if holder else {}
        entries = {r.key[1]: r for r in self.live.under(file_kind.name, scope_name)}
        playlist = self.live.get(*playlist_kind.ref(scope_name))
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
        return self.validated(model, data, f"music on hold of {who}")

    def _greetings(self, ext: str, minimal: dict[str, Any], full: dict[str, Any]) -> None:
        """The user's greetings into both forms' `voicemail`, and the one that plays by its name."""
        # A spoken greeting carries no name on the PBX: the folder's own names (by number) come back.
        written = self.existing.get("users", ext, "voicemail", "greetings")
        known = {greeting_index(str(n)): str(n) for n in written} if isinstance(written, dict) else {}
        live: dict[str, dict[str, Any]] = {}
        for r in self.live.under(USER_GREETING.name, ext):
            name = r.key[1]
            live[known.get(greeting_index(name), name) if name.isdigit() else name] = r.fields
        greetings: dict[str, Any] = {}
        for name in sorted(live, key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else 0, n)):
            fields = live[name]
            path = "" if fields.get("text") is not None else greeting_import_path(fields, ext, name)
            data = self.validated(Greeting, audio_yaml(fields, path), f"user {ext}: greeting {name}")
            if data is not None:
                if path:
                    self._audio(path, fields.get("sha256"), f"user {ext}")
                greetings[name] = data
        if not greetings:
            return
        active = self.user(ext).fields.get("voicemail_greeting")
        named = next((n for n in greetings if greeting_index(n) == active and not n.isdigit()), None)
        for form in (minimal, full):
            voicemail = form.setdefault("voicemail", {})
            if named is not None:
                voicemail["greeting"] = named
            voicemail["greetings"] = greetings

    def audio_file(self, path: str, sha256: str | None, who: str) -> None:
        self._audio(path, sha256, who)

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

    # phones

    def _phones(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        live = [(r.key[0], r.fields) for r in self.live.of_kind(PHONE.name)]
        if not live:
            return {}, {}
        try:
            tenant = tenant_model().model_validate(
                self._filled({k: v for k, v in data.items() if k not in (PHONES.name, PHONE_SETTINGS.name)})
            )
        except ValidationError as exc:
            raise SkyconfError(f"internal: the imported tenant does not validate: {exc}") from None
        recovered, settings = recover_phones(tenant, self.folder, live, self.notes)
        ordered = sorted(recovered, key=lambda p: (len(p.data["user"]), p.data["user"], p.mac))
        return {p.mac: p.data for p in ordered}, dict(settings)

    # helpers

    def _filled(self, data: Any) -> Any:
        """`data` with the secrets' references replaced by their live values (for checks, never written)."""
        text = json.dumps(data)
        if "${env:" not in text:  # most objects hold no secret: a copy is all it takes
            return json.loads(text)
        doc = Document(self.folder, data=json.loads(text))
        fill_secrets(doc, self.secrets.values)
        return doc.data

    def validated(self, model: type[BaseModel], data: dict[str, Any], what: str) -> dict[str, Any] | None:
        """`data` checked with its model (secrets filled in); values it refuses are left out and noted."""
        for _ in range(10):
            problem = first_problem(model, self._filled(data))
            if problem is None:
                return data
            loc, message = problem
            if not loc:
                break
            self.notes.append(f"{what}: {'.'.join(map(str, loc))}: {message}; left out")
            removed = remove_at(data, loc)
            if removed is MISSING:
                break
            if isinstance(removed, str):
                self.secrets.drop(removed)
        self.notes.append(f"{what}: not imported")
        self.secrets.drop(json.dumps(data))
        return None


def _contact_sort(contact: dict[str, Any]) -> tuple[str, str, str]:
    return tuple(str(contact.get(k) or "").casefold() for k in ("last_name", "first_name", "company"))  # type: ignore[return-value]
