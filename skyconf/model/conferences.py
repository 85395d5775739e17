"""Conference bridges (`conferences:`), keyed by the bridge's extension.

PINs are secrets (write them as `${env:NAME}`): compared with the PBX, never printed. The portal's
conference type and direct-dial setting are not here: the API's conference request schema has no
field for them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from skyconf.model.base import Build, Export, Needs, Strict, YamlPath
from skyconf.model.kinds import Kind, Section, register, register_section
from skyconf.model.users import USER

PIN_FIELDS = ("leader_pin", "participant_pin")


class Conference(Strict):
    """Conference bridges, keyed by extension."""

    name: str = Field(min_length=1)
    """The bridge's name, shown in the portal."""
    owner: str | None = None
    """The user (extension) who owns the bridge."""
    leader_pin: str | None = None
    """The leader's PIN: a secret written as ${env:NAME}, digits only (3-12)."""
    participant_pin: str | None = None
    """The participants' PIN: a secret written as ${env:NAME}, digits only (3-12)."""
    max_participants: int | None = Field(None, ge=2, le=1000)
    """Most participants at once (2-1000)."""
    quorum: int | None = Field(None, ge=1, le=1000)
    """Participants needed before the conference starts."""
    leader_required: bool | None = None
    """Participants wait until a leader (with the leader PIN) joins."""
    announce_participants: bool | None = None
    """Announce how many participants are in the conference to each one joining."""
    request_name: bool | None = None
    """Ask callers to record their name before joining."""

    @field_validator("owner", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator(*PIN_FIELDS, mode="before")
    @classmethod
    def _digits(cls, value: Any) -> Any:
        # The value is a secret: the message never repeats it.
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError("write the PIN in quotes: YAML reads unquoted digits as a number and drops leading zeros")
        if isinstance(value, str) and not (value.isdigit() and value.isascii() and 3 <= len(value) <= 12):
            raise ValueError("a PIN is digits only, 3 to 12 of them")
        return value


CONFERENCE = register(
    Kind(
        "conference",
        "conference",
        ("extension",),
        depends_on=(USER,),
        secret_fields=frozenset(PIN_FIELDS),
        display_fields=("name",),
        prune_key="conferences",
    )
)


def conference_resources(build: Build) -> None:
    for ext, conf in CONFERENCES.of(build.tenant).items():
        path: YamlPath = ("conferences", ext)
        needs: Needs = set()
        fields: dict[str, Any] = {"name": conf.name}
        if conf.owner is not None and build.user_extension(conf.owner, (*path, "owner"), needs) is not None:
            fields["owner"] = conf.owner
        if conf.leader_pin and conf.leader_pin == conf.participant_pin:
            build.fail((*path, "participant_pin"), "the participant PIN must differ from the leader PIN")
        if conf.quorum and conf.max_participants and conf.quorum > conf.max_participants:
            build.fail((*path, "quorum"), "quorum is larger than max_participants")
        for name in (
            "leader_pin",
            "participant_pin",
            "max_participants",
            "quorum",
            "leader_required",
            "announce_participants",
            "request_name",
        ):
            value = getattr(conf, name)
            if value is not None:
                fields[name] = value
        build.add(CONFERENCE, (ext,), fields, path, needs)


def conference_yaml(fields: dict[str, Any]) -> dict[str, Any]:
    """A live bridge as YAML (PINs must already be `${env:...}` references); switches only when on."""
    out: dict[str, Any] = {"name": fields.get("name")}
    for name in ("owner", "leader_pin", "participant_pin", "max_participants", "quorum"):
        if fields.get(name) is not None:
            out[name] = fields[name]
    for name in ("leader_required", "announce_participants", "request_name"):
        if fields.get(name):
            out[name] = True
    return out


def conference_export(ex: Export) -> dict[str, Any]:
    """The live bridges as YAML; what the models refuse is left out and noted."""
    out: dict[str, Any] = {}
    for r in ex.live.of_kind(CONFERENCE.name):
        ext = r.key[0]
        fields = ex.masked(r)
        if fields.get("owner") and fields["owner"] not in ex.users:
            ex.note(f"conference {ext}: owner {fields['owner']} is not an imported user; left out")
            fields["owner"] = None
        if r.fields.get("leader_pin") and r.fields.get("leader_pin") == r.fields.get("participant_pin"):
            ex.note(f"conference {ext}: the participant PIN equals the leader PIN (they must differ); left out")
            ex.drop_secret(fields["participant_pin"])
            fields["participant_pin"] = None
        if fields.get("quorum") and fields.get("max_participants") and fields["quorum"] > fields["max_participants"]:
            ex.note(f"conference {ext}: quorum is larger than max_participants; quorum left out")
            fields["quorum"] = None
        data = ex.validated(Conference, conference_yaml(fields), f"conference {ext}")
        if data is not None:
            out[ext] = data
    return out


CONFERENCES: Section[dict[str, Conference]] = register_section(
    Section(
        "conferences",
        dict[str, Conference],
        dict,
        "conferences.yaml",
        build=conference_resources,
        order=53,
        export=conference_export,
        extension_kind=CONFERENCE,
        extension_word="conference",
        targets=("conference",),
    )
)
