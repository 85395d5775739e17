"""The tenant: one PBX domain, declared by one folder of YAML files."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from skyconf.model.attendants import AutoAttendant
from skyconf.model.base import Strict
from skyconf.model.conferences import Conference
from skyconf.model.contacts import Contact
from skyconf.model.moh import MusicOnHold
from skyconf.model.phones import Phone, Scalar
from skyconf.model.queues import CallQueue
from skyconf.model.timeframes import TimeFrame
from skyconf.model.users import Profile, User

# YAML section -> resource kind it prunes (see `prune:`).
PRUNABLE = {
    "users": "user",
    "time_frames": "time_frame",
    "user_time_frames": "user_time_frame",
    "answering_rules": "answer_rule",
    "contacts": "contact",
    "user_contacts": "user_contact",
    "conferences": "conference",
    "call_queues": "call_queue",
    "auto_attendants": "auto_attendant",
    "phones": "phone",
}


class Safety(Strict):
    """Plans that would change too much at once are refused unless `--force` is given."""

    # Largest share of a kind's existing live objects one plan may delete (0.0-1.0).
    max_delete_share: float = Field(0.25, ge=0, le=1)
    # Largest share of a kind's existing live objects one plan may update.
    max_update_share: float = Field(0.5, ge=0, le=1)
    # Kinds with fewer live objects than this are exempt (deleting 1 of 3 time frames is normal).
    min_objects: int = Field(4, ge=0)


class Tenant(Strict):
    # The PBX domain this folder owns.
    domain: str = Field(pattern=r"^[A-Za-z0-9._-]+$", max_length=64)
    # Connection profile: "sandbox" (built in) or a name from skyconf.yaml.
    pbx: str = "sandbox"
    # Default region for phone numbers (ISO 3166 alpha-2).
    country: str = Field("US", pattern=r"^[A-Z]{2}$")
    # IANA time zone the domain's time frames are evaluated in.
    time_zone: str
    # Per section: delete live objects the YAML does not mention (true) or leave them alone (false).
    prune: dict[
        Literal[
            "users",
            "time_frames",
            "user_time_frames",
            "answering_rules",
            "contacts",
            "user_contacts",
            "conferences",
            "call_queues",
            "auto_attendants",
            "phones",
        ],
        bool,
    ] = {}
    safety: Safety = Safety()
    time_frames: dict[str, TimeFrame] = {}
    profiles: dict[str, Profile] = {}
    users: dict[str, User] = {}
    # The shared directory.
    contacts: list[Contact] = []
    # The domain's music on hold.
    music_on_hold: MusicOnHold | None = None
    conferences: dict[str, Conference] = {}
    call_queues: dict[str, CallQueue] = {}
    auto_attendants: dict[str, AutoAttendant] = {}
    # Desk phones by MAC address (see templates/ for their configuration).
    phones: dict[str, Phone] = {}
    # Values every phone template can read as settings.NAME (phonebook_url, ntp_server, ldap_url...).
    phone_settings: dict[str, Scalar] = {}
