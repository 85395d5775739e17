"""Answering rules: what happens to a call to a user while a time frame is active.

Keyed by time frame name; `default` is the PBX's `*` rule, which applies when no other does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator

from skyconf.model.base import Build, Needs, Strict, YamlPath
from skyconf.model.targets import TargetError, parse_target, target_prefixes

DEFAULT_RULE = "default"
FORWARD_OPTIONS = ("forward_always", "forward_active", "forward_busy", "forward_no_answer", "forward_offline")


def _target_text(value: Any) -> Any:
    # An unquoted number in YAML arrives as int; a target is always text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class SimultaneousRing(Strict):
    """Ring these handsets and numbers together with (or instead of) the user's extension."""

    ring: list[str] = []
    """Handsets (`handset:102`) and external numbers to ring."""
    include_extension: bool = True
    """Ring the user's own extension too."""
    all_user_phones: bool = False
    """Ring every phone of the user."""
    answer_confirmation: bool = False
    """External numbers press a key to accept the call."""
    delay: int = Field(0, ge=0, le=300)
    """Seconds before the listed entries start ringing (0-300)."""

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
    """What happens to a call while the rule's time frame is active."""

    enabled: bool = True
    """false keeps the rule but skips it."""
    do_not_disturb: bool = False
    """Reject ringing: callers go to voicemail (or hear busy without one)."""
    call_screening: bool = False
    """Ask callers for their name before ringing."""
    ring_extension: bool = False
    """Just ring the user's extension: the PBX's behaviour when nothing else is set; stated for readers."""
    forward_always: str | None = None
    """Send every call to this target."""
    forward_active: str | None = None
    """Target when the user is already on a call."""
    forward_busy: str | None = None
    """Target when the phone answers busy."""
    forward_no_answer: str | None = None
    """Target after ring_timeout seconds."""
    forward_offline: str | None = None
    """Target when no phone is registered."""
    simultaneous_ring: SimultaneousRing | None = None
    """Ring handsets and numbers together with the extension."""

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


# --- import: resolved fields back into YAML -------------------------------------------------------


def with_self(target: str, own: str) -> str:
    """`voicemail:101` -> `voicemail:self` in user 101's rules: how a person writes the own extension,
    and what lets two users' rules compare equal (so a profile can hold them)."""
    kind, sep, ext = target.partition(":")
    return f"{kind}:self" if sep and kind in target_prefixes() and ext == own else target


def rule_yaml(fields: Mapping[str, Any], own: str) -> dict[str, Any]:
    """A rule's resolved fields as YAML: only what differs from a rule that just rings the extension
    (which is written `ring_extension: true`, rather than `{}`)."""
    out: dict[str, Any] = {}
    if not fields.get("enabled", True):
        out["enabled"] = False
    if fields.get("do_not_disturb"):
        out["do_not_disturb"] = True
    if fields.get("call_screening"):
        out["call_screening"] = True
    for option in FORWARD_OPTIONS:
        if fields.get(option):
            out[option] = with_self(fields[option], own)
    sim = fields.get("simultaneous_ring")
    if sim:
        ring: dict[str, Any] = {}
        if sim.get("ring"):
            ring["ring"] = [with_self(t, own) for t in sim["ring"]]
        if not sim.get("include_extension", True):
            ring["include_extension"] = False
        for name in ("all_user_phones", "answer_confirmation"):
            if sim.get(name):
                ring[name] = True
        if sim.get("delay"):
            ring["delay"] = sim["delay"]
        out["simultaneous_ring"] = ring
    if not set(out) - {"enabled"}:
        return {**out, "ring_extension": True}
    return out


def fields_of(
    rule: AnsweringRule, forward: Callable[[str, str], str | None], ring: Callable[[list[str]], list[str]]
) -> dict[str, Any]:
    """The resource fields of a YAML rule; `forward(option, text)` and `ring(texts)` turn targets into
    their canonical form (resolve checks references there, import only parses)."""
    fields: dict[str, Any] = {
        "enabled": rule.enabled,
        "do_not_disturb": rule.do_not_disturb,
        "call_screening": rule.call_screening,
    }
    for option in FORWARD_OPTIONS:
        text = getattr(rule, option)
        fields[option] = forward(option, text) if text else None
    sim = rule.simultaneous_ring
    fields["simultaneous_ring"] = (
        None
        if sim is None
        else {
            "ring": ring(sim.ring),
            "include_extension": sim.include_extension,
            "all_user_phones": sim.all_user_phones,
            "answer_confirmation": sim.answer_confirmation,
            "delay": sim.delay,
        }
    )
    return fields


def rule_fields(rule: AnsweringRule, own: str, country: str) -> dict[str, Any] | None:
    """The resolved fields of a YAML rule for user `own` (as resolve makes them, without its reference
    checks), or None when a target does not parse: lets import tell a hand-written rule equals a live one."""
    try:
        return fields_of(
            rule,
            lambda _, text: str(parse_target(text, own_extension=own, country=country)),
            lambda texts: [str(parse_target(t, own_extension=own, country=country, ring_list=True)) for t in texts],
        )
    except TargetError:
        return None


def rule_resource_fields(build: Build, ext: str, rule: AnsweringRule, path: YamlPath, needs: Needs) -> dict[str, Any]:
    """The resource fields of user `ext`'s rule, every target checked (`needs` gains what they name)."""

    def forward(option: str, text: str) -> str | None:
        return build.target(text, (*path, option), needs, own_extension=ext)

    def ring(texts: list[str]) -> list[str]:
        out: list[str] = []
        for i, text in enumerate(texts):
            ipath = (*path, "simultaneous_ring", "ring", i)
            target = build.target(text, ipath, needs, own_extension=ext, ring_list=True)
            if target and target in out:
                build.fail(ipath, f"'{text}' is listed twice")
            if target == f"handset:{ext}":
                build.fail(ipath, "the user's own handset: use include_extension: true instead")
            if target:
                out.append(target)
        return out

    return fields_of(rule, forward, ring)
