"""Answer-rule ``parameters``: the target forms a PBX knows, and that each names something that exists.

Forward features (``forward-*``) take one target each. Known forms (the read grammar of the wire
decisions; spec examples plus what live call-flow data shows): ``user_<ext>``, ``vmail_<ext>``,
``phone_<ext>`` (a user), ``queue_<ext>`` (a call queue), ``park_<digits>`` (a park orbit),
``attendant_<ext>`` and ``<did>_attendant_<ext>`` (an auto attendant by extension), ``aa_<name>`` (an auto
attendant by name), ``<did>_callqueue_<ext>``, ``<did>_voicemail_<ext>``, ``<did>_pstn_<digits>``, bare digits
(up to 7: an extension of a user, conference, queue or auto attendant; 8-15: an off-net number),
``Prompt_<id>`` (a greeting) and ``<OwnDevices>``. Anything else, or a form naming an extension the domain
does not have, is a 400 whose message quotes the value. The dialect decides which auto attendant forms
exist.

Simultaneous ring entries may carry ``;delay=N`` and a ``confirm_`` prefix; what remains is
``<OwnDevices>``, digits as above, a SIP device of the domain (``1234wp``), or a forward form.
"""

from __future__ import annotations

import re

from skyconf.sandbox.wire import ApiError, Req

FORWARD_FEATURES = (
    "forward-always",
    "forward-on-active",
    "forward-on-busy",
    "forward-no-answer",
    "forward-when-unregistered",
    "forward-on-dnd",
    "forward-on-spam-call",
)
SIM_RING = "simultaneous-ring"
OWN_DEVICES = "<OwnDevices>"
EXTENSION_MAX = 7

_USER = re.compile(r"^(?:user|vmail|phone)_(.+)$|^\d+_voicemail_(.+)$")
_QUEUE = re.compile(r"^queue_(.+)$|^\d+_callqueue_(.+)$")
_ATTENDANT_EXT = re.compile(r"^attendant_(.+)$")
_DID_ATTENDANT = re.compile(r"^\d+_attendant_(.+)$")
_AA_NAME = re.compile(r"^aa_(.+)$")
_ALWAYS_OK = re.compile(r"^park_\d+$|^\d+_pstn_\d{1,15}$|^Prompt_\w+$|^\d{8,15}$")
_DELAY = re.compile(r";delay=(\d+)$")


def _bad(feature: str, value: str, why: str) -> ApiError:
    return ApiError(400, f"Invalid destination {value} in {feature}: {why}")


def has_user(req: Req, ext: str) -> bool:
    return req.store.get(req.domain, "user", "", ext) is not None


def has_queue(req: Req, ext: str) -> bool:
    return req.store.get(req.domain, "callqueue", "", ext) is not None


def has_conference(req: Req, ext: str) -> bool:
    return req.store.get(req.domain, "conference", "", ext) is not None


def has_attendant(req: Req, ext: str) -> bool:
    return req.store.count(req.domain, "autoattendant", ext) > 0


def has_extension(req: Req, ext: str) -> bool:
    """Whether dialling ``ext`` in the domain reaches something (user, conference, queue or attendant)."""
    return has_user(req, ext) or has_conference(req, ext) or has_queue(req, ext) or has_attendant(req, ext)


def _has_attendant_named(req: Req, name: str) -> bool:
    return any(r.doc.get("attendant-name") == name for r in req.store.rows("autoattendant", req.domain))


def check_forward(req: Req, feature: str, value: str) -> None:
    """400 unless ``value`` is a known forward form naming something that exists in the domain."""
    forms = req.dialect.attendant_target_forms
    if value == OWN_DEVICES or _ALWAYS_OK.match(value):
        return
    if m := _USER.match(value):
        ext = m.group(1) or m.group(2)
        if not has_user(req, ext):
            raise _bad(feature, value, f"user {ext} does not exist")
        return
    if m := _QUEUE.match(value):
        ext = m.group(1) or m.group(2)
        if not has_queue(req, ext):
            raise _bad(feature, value, f"call queue {ext} does not exist")
        return
    for pattern, form in ((_ATTENDANT_EXT, "attendant_ext"), (_DID_ATTENDANT, "did_attendant_ext")):
        if m := pattern.match(value):
            if form not in forms:
                raise _bad(feature, value, "auto attendants are named aa_<name> on this PBX")
            if not has_attendant(req, m.group(1)):
                raise _bad(feature, value, f"auto attendant {m.group(1)} does not exist")
            return
    if m := _AA_NAME.match(value):
        if "aa_name" not in forms:
            raise _bad(feature, value, "not a known destination")
        if not _has_attendant_named(req, m.group(1)):
            raise _bad(feature, value, f"auto attendant {m.group(1)} does not exist")
        return
    if value.isdigit() and len(value) <= EXTENSION_MAX:
        if not has_extension(req, value):
            raise _bad(feature, value, f"extension {value} does not exist")
        return
    raise _bad(feature, value, "not a known destination")


def check_sim_ring(req: Req, value: str) -> None:
    """400 unless ``value`` is a simultaneous-ring entry naming something that exists."""
    text = _DELAY.sub("", value)
    text = text.removeprefix("confirm_")
    if req.store.lookup(req.domain, "device", text) is not None:
        return
    try:
        check_forward(req, SIM_RING, text)
    except ApiError:
        raise _bad(SIM_RING, value, "not a known ring target") from None
