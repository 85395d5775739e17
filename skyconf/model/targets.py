"""Forward targets and phone numbers: YAML spelling -> one canonical spelling the diff compares.

Canonical forms: `user:101`, `handset:101`, `voicemail:101`, `queue:400`, `auto_attendant:500`,
`conference:300` and external numbers in E.164 (`+14165550101`). `self` is replaced by the user's
own extension during resolve, so the canonical form never contains it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import phonenumbers

from skyconf.model.kinds import target_kinds

# A simultaneous ring rings these (and phone numbers); it cannot apply another user's rules.
RING_TARGETS = ("handset",)


def target_prefixes() -> tuple[str, ...]:
    """Every target prefix the declared sections offer (`user`, `queue`, ...)."""
    return tuple(target_kinds())


class TargetError(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    kind: str  # a target prefix (see target_prefixes), or "number"
    value: str  # an extension, or an E.164 number

    def __str__(self) -> str:
        return self.value if self.kind == "number" else f"{self.kind}:{self.value}"


# Numbers parse_number gave: each is valid and parses to itself, whatever the country. A live read
# finds the YAML's numbers again in this form, and a tenant repeats its main numbers.
_E164_SEEN: set[str] = set()
_E164_SEEN_MAX = 1_000_000


def parse_number(text: str, country: str) -> str:
    """An external number in E.164, or TargetError saying why not."""
    if text in _E164_SEEN:
        return text
    number = _parse_number(text, country)
    if len(_E164_SEEN) >= _E164_SEEN_MAX:
        _E164_SEEN.clear()
    _E164_SEEN.add(number)
    return number


def known_e164(text: str) -> bool:
    """Whether `text` is a number parse_number gave (so valid, and its own E.164 form)."""
    return text in _E164_SEEN


@functools.lru_cache(maxsize=4096)
def _parse_number(text: str, country: str) -> str:
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        raise TargetError(f"'{text}' is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise TargetError(f"'{text}' is not a valid phone number in {country}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_target(text: str, *, own_extension: str, country: str, ring_list: bool = False) -> Target:
    """`kind:EXT` (EXT may be `self`) or an external number."""
    text = text.strip()
    prefix, sep, rest = text.partition(":")
    prefixes = target_prefixes()
    if sep and prefix in prefixes:
        ext = own_extension if rest == "self" else rest
        if not ext.isdigit():
            raise TargetError(f"'{text}': {prefix}: needs an extension (digits) or self")
        return Target(prefix, ext)
    if sep and not prefix.startswith("+") and not prefix.isdigit():
        raise TargetError(f"'{text}': unknown target kind '{prefix}'; use one of {', '.join(prefixes)}")
    if text == "self":
        raise TargetError("'self' needs a kind, e.g. voicemail:self")
    digits = text.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) <= 6:
        spelled = f"handset:{digits}" if ring_list else f"user:{digits} or handset:{digits}"
        raise TargetError(f"'{text}' looks like an extension; write {spelled}")
    return Target("number", parse_number(text, country))
