"""Users (extensions) and the profiles they inherit answering rules from.

Why this module is long: the `users:` section builds six kinds (the user, its own frames,
rules and their order, contacts, music on hold and voicemail greetings), so its builder and those kinds' declarations
live beside the models they read.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, field_validator

from skyconf.model.base import Build, Needs, Strict, YamlPath, check_time_zone, unknown
from skyconf.model.contacts import Contact, contact_resources
from skyconf.model.greetings import Greeting, greeting_resources
from skyconf.model.kinds import Kind, Section, register, register_section
from skyconf.model.moh import UserMusicOnHold, moh_resources, moh_settings
from skyconf.model.rules import DEFAULT_RULE, AnsweringRule, rule_resource_fields
from skyconf.model.targets import TargetError, parse_number
from skyconf.model.tenant import DOMAIN
from skyconf.model.timeframes import (
    TIME_FRAME,
    TIME_FRAMES,
    TimeFrame,
    check_frame_name,
    check_holidays,
    check_priority,
    domain_priorities,
)

# A PIN the YAML leaves to the PBX: never compared, shown or written.
UNMANAGED = "unmanaged"

Scope = Literal[
    "Basic User",
    "Simple User",
    "Advanced User",
    "Call Center Agent",
    "Site Manager",
    "Call Center Supervisor",
    "Office Manager",
    "No Portal",
]


class Voicemail(Strict):
    """The user's voicemail box."""

    enabled: bool = True
    """The user has a voicemail box (default true when `voicemail` is written)."""
    pin: str | None = None
    """A secret: write it as ${env:NAME} (4 to 10 digits), or `unmanaged` to leave the PIN on the PBX
    as it is (plans never show or change it, and import keeps the word)."""
    email: Literal["none", "link", "attach"] | None = None
    """What the user gets by email when a message arrives: nothing, a notification, or the audio attached."""
    cc: list[str] | None = None
    """Users (extensions) who also get each new message of this box."""
    greeting: Annotated[int, Field(ge=0)] | str | None = None
    """Which greeting plays: a name from `greetings`, or a number (0 = the system's "... is not available")."""
    greetings: dict[str, Greeting] | None = Field(
        None, examples=[{"standard": {"file": "greetings/alice.wav"}, "away": {"tts": "I am away this week."}}]
    )
    """The user's own greetings by name: {file: path} (a WAV file in the tenant folder) or {tts: text}."""
    transcription: Literal["none", "deepgram", "google", "mutare", "voicebase"] | None = None
    """Transcribe new messages with this service, or none."""
    announce_caller_id: bool | None = None
    """Before playing a message, announce the caller's number / when it was received."""
    announce_date: bool | None = None
    """Before playing a message, say when it was received."""
    sort: Literal["newest_first", "oldest_first"] | None = None
    """Play messages newest or oldest first."""
    receive_broadcast: bool | None = None
    """Receive broadcast messages sent to the whole domain."""

    @field_validator("cc", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @field_validator("pin", mode="before")
    @classmethod
    def _pin(cls, value: Any) -> Any:
        # Never echo the value: it is a secret.
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError("write the PIN in quotes: YAML reads unquoted digits as a number and drops leading zeros")
        if isinstance(value, str) and value != UNMANAGED and not (value.isdigit() and 4 <= len(value) <= 10):
            raise ValueError(f"a PIN is 4 to 10 digits, or '{UNMANAGED}' to leave it as the PBX has it")
        return value


class Directory(Strict):
    """How the user appears in the company directory."""

    listed: bool | None = None
    """Listed in the company directory."""
    dial_by_name: bool | None = None
    """Reachable by dial-by-name (the directory announces the name)."""


class CallerId(Strict):
    """What outside callees see."""

    name: str | None = Field(None, max_length=40)
    """Name shown on outbound calls outside the domain."""
    number: str | None = None
    """Number shown on outbound calls (any common spelling; stored in E.164)."""

    @field_validator("number", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Profile(Strict):
    """A reusable set of answering rules (and ring timeout) that users name with `profile:`."""

    ring_timeout: int | None = Field(None, ge=0, le=3600)
    """Seconds to ring before forward_no_answer applies (users inherit it)."""
    answering_rules: dict[str, AnsweringRule] = {}
    """Rules keyed by time frame name or default."""


class User(Strict):
    """A user of the domain, keyed by extension (quote it: "101"): directory data, voicemail, rules."""

    first_name: str = Field(min_length=1)
    """Given name (required)."""
    last_name: str = Field(min_length=1)
    """Family name (required)."""
    email: EmailStr | None = None
    """The user's email address (voicemail notifications go here)."""
    department: str | None = None
    """Department, for the directory and the timeline's filter."""
    site: str | None = None
    """Site or office."""
    time_zone: str | None = None
    """The user's own IANA time zone; their time frames are evaluated in it."""
    scope: Scope | None = None
    """The portal role (Basic User, Office Manager, ...)."""
    ring_timeout: int | None = Field(None, ge=0, le=3600)
    """Seconds to ring before forward_no_answer applies."""
    voicemail: Voicemail | None = None
    """The voicemail box: enabled, PIN, notifications, greeting, transcription."""
    directory: Directory | None = None
    """Company directory listing and dial-by-name."""
    caller_id: CallerId | None = None
    """What outside callees see: name and number."""
    profile: str | None = None
    """A profile whose answering rules and ring timeout the user inherits."""
    time_frames: dict[str, TimeFrame] = {}
    """The user's own time frames (a name may not repeat a domain frame's)."""
    answering_rules: dict[str, AnsweringRule | None] = {}
    """Merged over the profile's rules, per time frame; `null` removes a rule the profile gives."""
    contacts: list[Contact] = []
    """The user's own contacts (see the shared `contacts:`)."""
    music_on_hold: UserMusicOnHold | None = None
    """The user's own music on hold (replaces the domain's for calls this user holds)."""


VOICEMAIL_SETTINGS = {
    "greeting": "voicemail_greeting",
    "transcription": "voicemail_transcription",
    "announce_caller_id": "voicemail_announce_caller_id",
    "announce_date": "voicemail_announce_date",
    "sort": "voicemail_sort",
    "receive_broadcast": "voicemail_receive_broadcast",
}


def user_settings(build: Build, ext: str, user: User, path: YamlPath) -> dict[str, Any]:
    """The user fields of the voicemail extras, directory, caller id and music-on-hold settings."""
    fields: dict[str, Any] = {}
    vm = user.voicemail
    if vm is not None:
        for name, field in VOICEMAIL_SETTINGS.items():
            value = getattr(vm, name)
            if value is not None:
                fields[field] = value
        if vm.cc is not None:
            cc: list[str] = []
            for i, other in enumerate(vm.cc):
                cpath = (*path, "voicemail", "cc", i)
                if other == ext:
                    build.fail(cpath, "a box cannot copy its messages to itself")
                elif other in cc:
                    build.fail(cpath, f"{other} is listed twice")
                elif build.user_extension(other, cpath, set()) is not None:  # same kind: no order to wait for
                    cc.append(other)
            fields["voicemail_cc"] = sorted(cc, key=lambda e: (len(e), e))
    if user.directory is not None:
        if user.directory.listed is not None:
            fields["directory_listed"] = user.directory.listed
        if user.directory.dial_by_name is not None:
            fields["directory_dial_by_name"] = user.directory.dial_by_name
    if user.caller_id is not None:
        if user.caller_id.name is not None:
            fields["caller_id_name"] = user.caller_id.name
        if user.caller_id.number is not None:
            try:
                fields["caller_id_number"] = parse_number(user.caller_id.number, build.tenant.country)
            except TargetError as exc:
                build.fail((*path, "caller_id", "number"), str(exc))
    if user.music_on_hold is not None:
        fields.update(moh_settings(user.music_on_hold))
    return fields


# --- the `users:` and `profiles:` sections -----------------------------------------------------------

USER = register(
    Kind(
        "user",
        "user",
        ("user",),
        depends_on=(DOMAIN,),
        secret_fields=frozenset({"voicemail_pin"}),
        display_fields=("first_name", "last_name"),
        prune_key="users",
    )
)
USER_TIME_FRAME = register(
    Kind(
        "user_time_frame",
        "user time frame",
        ("user", "name"),
        depends_on=(USER,),
        prune_default=True,
        owner=USER,
        prune_key="user_time_frames",
    )
)
USER_CONTACT = register(
    Kind(
        "user_contact",
        "contact",
        ("user", "identity"),
        depends_on=(USER,),
        owner=USER,
        display_fields=("first_name", "last_name", "company"),
        prune_key="user_contacts",
    )
)
# A user's music-on-hold playlist and its entries (see skyconf.model.moh for the domain's).
_USER_MOH_FILE = Kind("user_moh_file", "music-on-hold entry", ("user", "entry"), depends_on=(USER,), prune_default=True)
USER_MOH_PLAYLIST = register(
    Kind("user_moh_playlist", "music on hold", ("user",), depends_on=(_USER_MOH_FILE,), owner=USER, singleton=True)
)
USER_MOH_FILE = register(replace(_USER_MOH_FILE, owner=USER_MOH_PLAYLIST))
# A user's voicemail greetings (see skyconf.model.greetings): the set is present only where the YAML
# declares `voicemail.greetings`, so only those users' greetings are read; a declared set is complete.
_USER_GREETING = Kind("user_greeting", "greeting", ("user", "name"), depends_on=(USER,), prune_default=True)
USER_GREETINGS = register(
    Kind("user_greetings", "greetings", ("user",), depends_on=(_USER_GREETING,), owner=USER, singleton=True)
)
USER_GREETING = register(replace(_USER_GREETING, owner=USER_GREETINGS))
ANSWER_RULE = register(
    Kind(
        "answer_rule",
        "answering rule",
        ("user", "time_frame"),
        depends_on=(USER, TIME_FRAME, USER_TIME_FRAME),
        prune_default=True,
        owner=USER,
        prune_key="answering_rules",
        uses_targets=True,
    )
)
ANSWER_RULE_ORDER = register(
    Kind("answer_rule_order", "answering rule order", ("user",), depends_on=(ANSWER_RULE,), owner=USER, singleton=True)
)
# Stands in for `self` when checking a profile no user names yet.
_NOBODY = "0"


def _build_users(build: Build) -> None:
    for ext, user in USERS.of(build.tenant).items():
        _user(build, ext, user)


def _user(build: Build, ext: str, user: User) -> None:
    t = build.tenant
    path: YamlPath = ("users", ext)
    if not ext.isdigit():
        build.fail(path, "a user's key is its extension (digits)")
    if user.time_zone:
        check_time_zone(build, user.time_zone, (*path, "time_zone"))
    profiles = PROFILES.of(t)
    profile = None
    if user.profile:
        profile = profiles.get(user.profile)
        if profile is None:
            build.fail((*path, "profile"), unknown("profile", user.profile, profiles))
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
        if vm.pin is not None and vm.pin != UNMANAGED:
            fields["voicemail_pin"] = vm.pin
        if vm.email is not None:
            fields["voicemail_email"] = vm.email
    fields.update(user_settings(build, ext, user, path))
    owned: Needs = {USER.ref(ext)}
    if user.voicemail is not None:
        vm = user.voicemail
        kinds = (USER_GREETING, USER_GREETINGS)
        active = greeting_resources(build, ext, vm.greetings, vm.greeting, kinds, (*path, "voicemail"), owned)
        fields.pop("voicemail_greeting", None)
        if active is not None:
            fields["voicemail_greeting"] = active
    build.add(USER, (ext,), fields, path)
    contact_resources(build, user.contacts, USER_CONTACT, (ext,), (*path, "contacts"), owned)
    if user.music_on_hold is not None:
        moh_resources(
            build, user.music_on_hold, (USER_MOH_FILE, USER_MOH_PLAYLIST), ext, (*path, "music_on_hold"), owned
        )

    domain_frames = TIME_FRAMES.of(t)
    priorities = domain_priorities(t)
    for name, frame in user.time_frames.items():
        fpath = (*path, "time_frames", name)
        check_frame_name(build, name, fpath)
        if name in domain_frames:
            build.fail(fpath, f"'{name}' is already a domain time frame; a user's time frame needs its own name")
        check_priority(build, priorities, name, frame, fpath)
        check_holidays(build, frame, fpath)
        build.add(USER_TIME_FRAME, (ext, name), frame.resolved(build.years), fpath, set(owned))

    rules: dict[str, tuple[AnsweringRule, YamlPath]] = {}
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
        needs: Needs = set(owned)
        if name in user.time_frames:
            needs.add(USER_TIME_FRAME.ref(ext, name))
            order.append((user.time_frames[name].priority, name))
        elif name in domain_frames:
            needs.add(TIME_FRAME.ref(name))
            order.append((domain_frames[name].priority, name))
        elif name != DEFAULT_RULE:
            known = [*domain_frames, *user.time_frames]
            build.fail(rpath, unknown("time frame", name, known, " (a rule is keyed by a time frame or 'default')"))
            continue
        build.add(ANSWER_RULE, (ext, name), rule_resource_fields(build, ext, rule, rpath, needs), rpath, needs)
    names = [name for _, name in sorted(order)] + [DEFAULT_RULE]
    build.add(
        ANSWER_RULE_ORDER,
        (ext,),
        {"order": names},
        (*path, "answering_rules"),
        {ANSWER_RULE.ref(ext, n) for n in names},
    )


def _check_unused_profiles(build: Build) -> None:
    """A profile no user names yet still gets its targets checked (its frame names need a user)."""
    used = {user.profile for user in USERS.of(build.tenant).values()}
    for name, profile in PROFILES.of(build.tenant).items():
        if name in used:
            continue
        for frame, rule in profile.answering_rules.items():
            rule_resource_fields(build, _NOBODY, rule, ("profiles", name, "answering_rules", frame), set())


USERS: Section[dict[str, User]] = register_section(
    Section(
        "users",
        dict[str, User],
        dict,
        "users.yaml",
        build=_build_users,
        order=20,
        extension_kind=USER,
        extension_word="user",
        targets=("user", "handset", "voicemail"),
    )
)
PROFILES: Section[dict[str, Profile]] = register_section(
    Section("profiles", dict[str, Profile], dict, "profiles.yaml", build=_check_unused_profiles, order=15)
)


# --- import: a live user back into YAML -----------------------------------------------------------

# What a new user reads back as on the PBX: import leaves these values out (a person would not write
# them), and skyconf then leaves them alone. `time_zone` defaults to the tenant's.
USER_DEFAULTS: dict[tuple[str, ...], Any] = {
    ("scope",): "Basic User",
    ("ring_timeout",): 25,
    ("voicemail", "enabled"): True,
    ("voicemail", "email"): "none",
    ("voicemail", "cc"): [],
    ("voicemail", "greeting"): 0,
    ("voicemail", "transcription"): "none",
    ("voicemail", "announce_caller_id"): False,
    ("voicemail", "announce_date"): False,
    ("voicemail", "sort"): "newest_first",
    ("voicemail", "receive_broadcast"): True,
    ("directory", "listed"): True,
    ("directory", "dial_by_name"): True,
}


def user_yaml(fields: dict[str, Any], tenant_zone: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A live user's own settings as YAML: (what a person writes, everything the PBX has).

    Secret fields must already be `${env:...}` references. The second form lets a re-import keep
    values a hand-written file states even where they equal the defaults. Answering rules, time
    frames, contacts and music on hold are added by the importer.
    """
    full: dict[str, Any] = {"first_name": fields.get("first_name"), "last_name": fields.get("last_name")}
    for name in ("email", "department", "site", "time_zone", "scope", "ring_timeout"):
        if fields.get(name) is not None:
            full[name] = fields[name]
    voicemail: dict[str, Any] = {"enabled": fields.get("voicemail_enabled", True)}
    if fields.get("voicemail_pin"):
        voicemail["pin"] = fields["voicemail_pin"]
    if fields.get("voicemail_email") is not None:
        voicemail["email"] = fields["voicemail_email"]
    if fields.get("voicemail_cc") is not None:
        voicemail["cc"] = list(fields["voicemail_cc"])
    for name, field in VOICEMAIL_SETTINGS.items():
        if fields.get(field) is not None:
            voicemail[name] = fields[field]
    full["voicemail"] = voicemail
    full["directory"] = {
        name: fields[field]
        for name, field in (("listed", "directory_listed"), ("dial_by_name", "directory_dial_by_name"))
        if fields.get(field) is not None
    }
    full["caller_id"] = {
        name: fields[field]
        for name, field in (("name", "caller_id_name"), ("number", "caller_id_number"))
        if fields.get(field)
    }
    defaults = {**USER_DEFAULTS, ("time_zone",): tenant_zone}
    minimal: dict[str, Any] = {}
    for key, value in full.items():
        if isinstance(value, dict):
            kept = {k: v for k, v in value.items() if defaults.get((key, k), _NO_DEFAULT) != v}
            if kept:
                minimal[key] = kept
        elif defaults.get((key,), _NO_DEFAULT) != value:
            minimal[key] = value
    return minimal, {k: v for k, v in full.items() if v != {}}


_NO_DEFAULT = object()
