"""Where PBXs disagree on the wire, one named setting per disagreement (a profile's `dialect:` mapping).

The defaults ("standard") follow the vendor's OpenAPI spec and its examples, checked against code that
runs on live servers; each setting names its evidence, so a PBX that differs is fixed by one setting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

EXT = "{ext}"


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TargetFormats(_Settings):
    """How an answer rule's forward target is written in `parameters`: a format with `{ext}`."""

    user: str = "user_{ext}"
    """Spec example `user_5555`; a call-flow decoder built from live PBX data reads `user_<ext>`."""
    handset: str = "phone_{ext}"
    """Spec example `phone_5555` only (weak): ring the user's devices, bypassing their rules."""
    voicemail: str = "vmail_{ext}"
    """Spec example `vmail_5555`; the live decoder reads `vmail_<ext>`."""
    queue: str = "queue_{ext}"
    """Spec example `queue_234`; the live decoder reads `queue_<ext>`."""
    auto_attendant: str = "attendant_{ext}"
    """The live decoder reads `attendant_<x>` and `<did>_attendant_<ext>` (AAs are named by extension).
    The spec's example is `aa_AutoAttendantName`: a PBX wanting that form uses `aa_{name}` (the AA's name)."""
    conference: str = "{ext}"
    """No conference prefix appears anywhere: a bridge is reached by dialling its extension."""

    @field_validator("user", "handset", "voicemail", "queue", "conference")
    @classmethod
    def _has_ext(cls, value: str) -> str:
        if EXT not in value:
            raise ValueError(f"must contain {EXT}")
        return value

    @field_validator("auto_attendant")
    @classmethod
    def _has_ext_or_name(cls, value: str) -> str:
        if EXT not in value and "{name}" not in value:
            raise ValueError(f"must contain {EXT} or {{name}}")
        return value


class UserFieldNames(_Settings):
    """User fields whose spelling differs between the spec and live servers."""

    voicemail_announce_date: Literal[
        "voicemail-playback-announce-datetime-received", "voicemail-playback-announce-date-time-received"
    ] = "voicemail-playback-announce-datetime-received"
    """Spec schema spelling (default); a client written against live servers reads `...-date-time-received`."""
    directory_dial_by_name: Literal[
        "directory-announce-in-dial-by-name-enabled", "directory-annouce-in-dial-by-name-enabled"
    ] = "directory-annouce-in-dial-by-name-enabled"
    """Live spelling (default; sic): every public client found reads and writes `directory-annouce-...`,
    among them a dial-by-name directory that depends on it, and none uses the spec's `announce`."""


class Dialect(_Settings):
    """One PBX's wire spelling. Readers accept every known spelling; these settings choose what is written."""

    targets: TargetFormats = Field(default_factory=TargetFormats)
    """Forward-target formats (see TargetFormats)."""
    conference_body: Literal["object", "array"] = "object"
    """`object`: the spec example's create body (`conference`, `conference_type`, integer counts);
    `array`: a one-item array with `aor`, the shape of the spec's `Conference` schema."""
    update_only_key: Literal["update-only", "update_only", "both"] = "both"
    """Time-frame in-place update flag: the spec spells it `update_only` (specific-dates schema) and
    `update-only` (the other texts); `both` sends both keys. skyconf's time-frame edits replace a
    frame's entries (a PUT without the flag), so it sends neither today; the setting is where a merge
    by entry id would take its spelling from."""
    fields: UserFieldNames = Field(default_factory=UserFieldNames)
    """User field spellings (see UserFieldNames)."""
