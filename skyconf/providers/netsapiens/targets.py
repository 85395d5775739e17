"""Forward targets between skyconf's canonical spelling and the answer-rule `parameters` strings.

Written forms (one per target kind; the vendor leaves these to convention):
  user:101 -> user_101        handset:101 -> phone_101      voicemail:101 -> vmail_101
  queue:400 -> queue_400      auto_attendant:500 -> aa_500  conference:300 -> conf_300
  +14165550101 -> 14165550101 (E.164 without the plus)
Read forms also include the spellings live servers use: `<did>_callqueue_<ext>`, `<did>_attendant_<ext>`,
`<did>_voicemail_<ext>`, `<did>_pstn_<number>`, and bare extensions (read as user:EXT).

Simultaneous ring parameters: the user's own extension (include_extension), `<OwnDevices>`
(all_user_phones), other extensions bare (handset:EXT), external numbers as digits, prefixed
`confirm_` with answer confirmation; ring-list entries carry `;delay=N` when delayed.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

PREFIX_OUT = {
    "user": "user_",
    "handset": "phone_",
    "voicemail": "vmail_",
    "queue": "queue_",
    "auto_attendant": "aa_",
    "conference": "conf_",
}
PREFIX_IN = {v: k for k, v in PREFIX_OUT.items()}
_LIVE_FORMS = {"callqueue": "queue", "attendant": "auto_attendant", "voicemail": "voicemail"}
OWN_DEVICES = "<OwnDevices>"
_EXTENSION_MAX = 7


def encode_target(target: str) -> str:
    if target.startswith("+"):
        return target[1:]
    kind, _, ext = target.partition(":")
    return PREFIX_OUT[kind] + ext


def decode_target(value: Any, country: str) -> str:
    text = str(value).strip()
    for prefix, kind in PREFIX_IN.items():
        if text.startswith(prefix):
            return f"{kind}:{text[len(prefix) :]}"
    m = re.fullmatch(r"\d*_(callqueue|attendant|voicemail|pstn)_(\d+)", text)
    if m:
        if m.group(1) == "pstn":
            return decode_number(m.group(2), country)
        return f"{_LIVE_FORMS[m.group(1)]}:{m.group(2)}"
    if text.isdigit():
        return f"user:{text}" if len(text) <= _EXTENSION_MAX else decode_number(text, country)
    return text


def decode_number(digits: str, country: str) -> str:
    """Digits as a live server stores them -> E.164 (with country code, or national in `country`)."""
    for candidate, region in (("+" + digits, None), (digits, country)):
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return "+" + digits


def encode_sim_ring(own_ext: str, sim: dict[str, Any]) -> list[str]:
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


def decode_sim_ring(own_ext: str, params: list[Any], country: str) -> dict[str, Any]:
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
            sim["ring"].append(decode_number(text.removeprefix("confirm_"), country))
        elif text.isdigit() and len(text) <= _EXTENSION_MAX:
            sim["ring"].append(f"handset:{text}")
        elif text.startswith(tuple(PREFIX_IN)):
            sim["ring"].append(decode_target(text, country).replace("user:", "handset:", 1))
        else:
            sim["ring"].append(decode_number(text, country) if text.isdigit() else text)
    return sim
