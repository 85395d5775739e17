"""Users (extensions) and the profiles they inherit answering rules from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import EmailStr, Field, field_validator

from skyconf.model.base import Strict
from skyconf.model.rules import AnsweringRule
from skyconf.model.timeframes import TimeFrame

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
    enabled: bool = True
    # A secret: write it as ${env:NAME}. Digits only, 4 to 10 of them.
    pin: str | None = None
    # What the user gets by email when a message arrives: nothing, a notification, or the audio attached.
    email: Literal["none", "link", "attach"] | None = None

    @field_validator("pin", mode="before")
    @classmethod
    def _pin(cls, value: Any) -> Any:
        # Never echo the value: it is a secret.
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError("write the PIN in quotes: YAML reads unquoted digits as a number and drops leading zeros")
        if isinstance(value, str) and not (value.isdigit() and 4 <= len(value) <= 10):
            raise ValueError("a PIN is 4 to 10 digits")
        return value


class Profile(Strict):
    """A reusable set of answering rules (and ring timeout) that users name with `profile:`."""

    ring_timeout: int | None = Field(None, ge=0, le=3600)
    answering_rules: dict[str, AnsweringRule] = {}


class User(Strict):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    email: EmailStr | None = None
    department: str | None = None
    site: str | None = None
    time_zone: str | None = None
    scope: Scope | None = None
    # Seconds to ring before forward_no_answer applies.
    ring_timeout: int | None = Field(None, ge=0, le=3600)
    voicemail: Voicemail | None = None
    profile: str | None = None
    time_frames: dict[str, TimeFrame] = {}
    # Merged over the profile's rules, per time frame; `null` removes a rule the profile gives.
    answering_rules: dict[str, AnsweringRule | None] = {}
