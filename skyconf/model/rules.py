"""Answering rules: what happens to a call to a user while a time frame is active.

Keyed by time frame name; `default` is the PBX's `*` rule, which applies when no other does.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from skyconf.model.base import Strict

DEFAULT_RULE = "default"
FORWARD_OPTIONS = ("forward_always", "forward_active", "forward_busy", "forward_no_answer", "forward_offline")


def _target_text(value: Any) -> Any:
    # An unquoted number in YAML arrives as int; a target is always text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class SimultaneousRing(Strict):
    """Ring these handsets and numbers together with (or instead of) the user's extension."""

    ring: list[str] = []
    include_extension: bool = True
    all_user_phones: bool = False
    answer_confirmation: bool = False
    delay: int = Field(0, ge=0, le=300)

    @field_validator("ring", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        return [_target_text(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _something_rings(self) -> SimultaneousRing:
        if not (self.ring or self.include_extension or self.all_user_phones):
            raise ValueError("simultaneous ring with nothing to ring")
        return self


class AnsweringRule(Strict):
    enabled: bool = True
    do_not_disturb: bool = False
    call_screening: bool = False
    # Just ring the user's extension: the PBX's behaviour when nothing else is set; stated for readers.
    ring_extension: bool = False
    forward_always: str | None = None
    forward_active: str | None = None
    forward_busy: str | None = None
    forward_no_answer: str | None = None
    forward_offline: str | None = None
    simultaneous_ring: SimultaneousRing | None = None

    @field_validator(*FORWARD_OPTIONS, mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        return _target_text(value)

    @model_validator(mode="after")
    def _consistent(self) -> AnsweringRule:
        if self.ring_extension and (self.forward_always or self.do_not_disturb or self.simultaneous_ring):
            raise ValueError(
                "ring_extension cannot be combined with forward_always, do_not_disturb or simultaneous_ring"
            )
        if self.forward_always and self.simultaneous_ring:
            raise ValueError("forward_always sends every call away, so simultaneous_ring would never ring")
        return self
