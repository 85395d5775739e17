"""Forward targets between skyconf's canonical spelling and the answer-rule `parameters` strings.

Written forms follow the dialect (dialect.TargetFormats); the defaults:
  user:101 -> user_101        handset:101 -> phone_101      voicemail:101 -> vmail_101
  queue:400 -> queue_400      auto_attendant:500 -> attendant_500
  conference:300 -> 300 (a bridge is reached by dialling its extension)
  +14165550101 -> 14165550101 (E.164 without the plus)

Read forms: every one above, the dialect's own formats, and what live servers and the spec's examples
use: `aa_<name>` (the AA's name; `aa_<ext>` too), `park_<ext>` (a park orbit, a queue),
`conf_<ext>` (older skyconf), `<did>_callqueue_<ext>`, `<did>_attendant_<ext>`, `<did>_voicemail_<ext>`,
`<did>_pstn_<number>`, and bare digits: up to 7 an extension, read as the kind that owns it (conference,
queue or auto attendant, else a user), longer an off-net number. Anything else (`Prompt_<id>`,
`<OwnDevices>`) is kept as it is, so a plan shows it.

Simultaneous ring parameters (the spec's examples are the only evidence): the user's own extension
(include_extension), `<OwnDevices>` (all_user_phones), other extensions bare (handset:EXT), external
numbers as digits, prefixed `confirm_` with answer confirmation; ring-list entries carry `;delay=N`.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from skyconf.model.kinds import KINDS
from skyconf.model.targets import known_e164
from skyconf.providers.netsapiens.base import Context
from skyconf.providers.netsapiens.conferences import conference_extension
from skyconf.providers.netsapiens.dialect import Dialect

OWN_DEVICES = "<OwnDevices>"
_EXTENSION_MAX = 7
# Prefixes every reader accepts, whatever the dialect writes.
_PREFIXES_IN = {
    "user_": "user",
    "phone_": "handset",
    "vmail_": "voicemail",
    "queue_": "queue",
    "park_": "queue",
    "attendant_": "auto_attendant",
    "conf_": "conference",
}
_LIVE_FORMS = {"callqueue": "queue", "attendant": "auto_attendant", "voicemail": "voicemail"}
_DID_FORM = re.compile(r"\d*_(callqueue|attendant|voicemail|pstn)_(\d+)")
# skyconf target kinds whose extension may be written bare (they are told apart by who owns it).
EXTENSION_KINDS = ("conference", "queue", "auto_attendant")


@dataclass(frozen=True)
class Targets:
    """What encoding and decoding need besides the text: the dialect, the tenant's country, the kind
    owning each non-user extension (`kinds`: ext -> conference|queue|auto_attendant) and the auto
    attendants' names (`attendant_names`: ext -> name, for `aa_<name>`)."""

    dialect: Dialect = field(default_factory=Dialect)
    country: str = "US"
    kinds: Mapping[str, str] = field(default_factory=dict)
    attendant_names: Mapping[str, str] = field(default_factory=dict)

    def encode(self, target: str) -> str:
        if target.startswith("+"):
            return target[1:]
        kind, _, ext = target.partition(":")
        fmt: str = getattr(self.dialect.targets, kind)
        return fmt.replace("{name}", self.attendant_names.get(ext, ext)).replace("{ext}", ext)

    def decode(self, value: Any) -> str:
        text = str(value).strip()
        own = self._dialect_form(text)
        if own is not None:
            return own
        if text.startswith("aa_"):
            return self._attendant(text.removeprefix("aa_"))
        for prefix, kind in _PREFIXES_IN.items():
            rest = text.removeprefix(prefix)
            if rest != text and rest.isdigit():
                return f"{kind}:{rest}"
        m = _DID_FORM.fullmatch(text)
        if m:
            if m.group(1) == "pstn":
                return decode_number(m.group(2), self.country)
            return f"{_LIVE_FORMS[m.group(1)]}:{m.group(2)}"
        if text.isdigit():
            if len(text) > _EXTENSION_MAX:
                return decode_number(text, self.country)
            return f"{self.kinds.get(text, 'user')}:{text}"
        return text

    @functools.cached_property
    def _patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        """(kind, regex) of each configured format but the bare `{ext}` (told apart by the owner)."""
        out: list[tuple[str, re.Pattern[str]]] = []
        for kind, fmt in self.dialect.targets.model_dump().items():
            if fmt != "{ext}":
                escaped = re.escape(fmt).replace(r"\{ext\}", r"(?P<ext>\d+)")
                out.append((kind, re.compile(escaped.replace(r"\{name\}", r"(?P<name>.+)"))))
        return out

    def _dialect_form(self, text: str) -> str | None:
        """The kind whose configured format matches `text`, as `kind:EXT`."""
        for kind, pattern in self._patterns:
            m = pattern.fullmatch(text)
            if m is None:
                continue
            if "ext" in m.groupdict():
                return f"{kind}:{m.group('ext')}"
            return self._attendant(m.group("name"))
        return None

    def _attendant(self, name: str) -> str:
        """`aa_<name>`: the auto attendant with that name; a bare extension also works (older writes)."""
        for ext, known in self.attendant_names.items():
            if known == name:
                return f"auto_attendant:{ext}"
        if name.isdigit():
            return f"auto_attendant:{name}"
        return f"aa_{name}"

    def encode_sim_ring(self, own_ext: str, sim: dict[str, Any]) -> list[str]:
        params: list[str] = []
        if sim["include_extension"]:
            params.append(own_ext)
        if sim["all_user_phones"]:
            params.append(OWN_DEVICES)
        delay = f";delay={sim['delay']}" if sim["delay"] else ""
        for target in sim["ring"]:
            if target.startswith("+"):
                confirm = "confirm_" if sim["answer_confirmation"] else ""
                params.append(f"{confirm}{target[1:]}{delay}")
            else:
                params.append(target.partition(":")[2] + delay)
        return params

    def decode_sim_ring(self, own_ext: str, params: list[Any]) -> dict[str, Any]:
        sim: dict[str, Any] = {
            "ring": [],
            "include_extension": False,
            "all_user_phones": False,
            "answer_confirmation": False,
            "delay": 0,
        }
        for raw in params:
            text, _, options = str(raw).partition(";")
            m = re.search(r"delay=(\d+)", options)
            if m:
                sim["delay"] = max(sim["delay"], int(m.group(1)))
            if text == OWN_DEVICES:
                sim["all_user_phones"] = True
            elif text == own_ext:
                sim["include_extension"] = True
            elif text.startswith("confirm_"):
                sim["answer_confirmation"] = True
                sim["ring"].append(decode_number(text.removeprefix("confirm_"), self.country))
            elif text.isdigit() and len(text) <= _EXTENSION_MAX:
                sim["ring"].append(f"handset:{text}")
            elif text.isdigit():
                sim["ring"].append(decode_number(text, self.country))
            else:
                decoded = self.decode(text)
                sim["ring"].append(decoded.replace("user:", "handset:", 1) if decoded.startswith("user:") else decoded)
        return sim


# skyconf kind -> (its list under the domain, the extension of a listed item)
_OWNERS = {
    "conference": ("conferences", conference_extension),
    "call_queue": ("callqueues", lambda item: str(item.get("callqueue") or "")),
    "auto_attendant": ("autoattendants", lambda item: str(item.get("user") or "")),
}
_TARGET_KIND = {"conference": "conference", "call_queue": "queue", "auto_attendant": "auto_attendant"}


async def targets_for(ctx: Context) -> Targets:
    """The tenant's Targets: extension owners from the YAML and from the live lists of the kinds this
    run reads anyway (the same cached reads, so no extra request). Computed once per run."""
    key = "targets"
    if key not in ctx.memo:
        ctx.memo[key] = asyncio.ensure_future(_targets(ctx))
    targets: Targets = await ctx.memo[key]
    return targets


async def _targets(ctx: Context) -> Targets:
    kinds: dict[str, str] = {}
    names: dict[str, str] = {}
    for kind_name, (suffix, extension) in _OWNERS.items():
        if ctx.desired.keys(kind_name) or ctx.prune.get(kind_name, KINDS[kind_name].prune_default):
            for item in await ctx.api.get(f"{ctx.base}/{suffix}") or []:
                ext = extension(item)
                if ext:
                    kinds[ext] = _TARGET_KIND[kind_name]
                    if kind_name == "auto_attendant" and item.get("attendant-name"):
                        names.setdefault(ext, str(item["attendant-name"]))
        for resource in ctx.desired.of_kind(kind_name):
            kinds[resource.key[0]] = _TARGET_KIND[kind_name]
            if kind_name == "auto_attendant" and resource.fields.get("name"):
                names[resource.key[0]] = str(resource.fields["name"])
    return Targets(ctx.dialect, ctx.country, kinds, names)


def encode_target(target: str, targets: Targets | None = None) -> str:
    return (targets or Targets()).encode(target)


def decode_target(value: Any, country: str, targets: Targets | None = None) -> str:
    return (targets or Targets(country=country)).decode(value)


def encode_sim_ring(own_ext: str, sim: dict[str, Any], targets: Targets | None = None) -> list[str]:
    return (targets or Targets()).encode_sim_ring(own_ext, sim)


def decode_sim_ring(own_ext: str, params: list[Any], country: str, targets: Targets | None = None) -> dict[str, Any]:
    return (targets or Targets(country=country)).decode_sim_ring(own_ext, params)


def decode_number(digits: str, country: str) -> str:
    """Digits as a live server stores them -> E.164 (with country code, or national in `country`)."""
    if known_e164("+" + digits):
        return "+" + digits  # what the first candidate below gives, without parsing it again
    for candidate, region in (("+" + digits, None), (digits, country)):
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return "+" + digits
