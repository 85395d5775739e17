"""The tenant: one PBX domain, declared by one folder of YAML files."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from skyconf.model.base import Strict
from skyconf.model.timeframes import TimeFrame
from skyconf.model.users import Profile, User

# YAML section -> resource kind it prunes (see `prune:`).
PRUNABLE = {
    "users": "user",
    "time_frames": "time_frame",
    "user_time_frames": "user_time_frame",
    "answering_rules": "answer_rule",
}


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
    prune: dict[Literal["users", "time_frames", "user_time_frames", "answering_rules"], bool] = {}
    time_frames: dict[str, TimeFrame] = {}
    profiles: dict[str, Profile] = {}
    users: dict[str, User] = {}
