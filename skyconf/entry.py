"""Where calls enter: a dialled number -> its destination -> (an auto attendant's menu ->) a user's rule.

Pure, no I/O, on a State (desired or live) like `routing`. A number's `to` names its destination; an
auto attendant plays the menu of the first of its time frames (domain frames, highest priority first)
that is active at the instant, else its `default` menu, and each option leads on: a user's own rules
apply (`routing.evaluate`), voicemail and handsets end there, another attendant is named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from skyconf.model.attendants import AUTO_ATTENDANT, FALLBACKS
from skyconf.model.numbers import PHONE_NUMBER
from skyconf.model.rules import DEFAULT_RULE
from skyconf.model.targets import TargetError, parse_number
from skyconf.model.users import USER
from skyconf.resources import State
from skyconf.routing import Routing, call_path, describe, evaluate, frame_active, frame_label


@dataclass(frozen=True)
class Menu:
    attendant: str
    name: str
    frame: str  # the time frame whose menu plays, or `default`
    prompt: str | None  # what the menu says first, in words
    options: dict[str, str] = field(default_factory=dict)  # key -> target


@dataclass(frozen=True)
class Entry:
    """A call to `number` at one instant: where the number sends it and, for an attendant, its menu."""

    number: str
    target: str | None  # None: the number is not declared, or disabled
    disabled: bool = False
    menu: Menu | None = None
    # Where each reachable user's rules send the call (the destination user, or each menu option's).
    users: dict[str, Routing] = field(default_factory=dict)


def number_key(state: State, text: str, country: str) -> str:
    """The E.164 key of `text` among the State's numbers (any common spelling)."""
    try:
        return parse_number(text, country)
    except TargetError:
        return text.strip()


def enter(state: State, number: str, at: dt.datetime, priorities: dict[str, int] | None = None) -> Entry:
    """`priorities`: the domain time frames' priorities (the YAML's), which order an attendant's menus."""
    declared = state.get(*PHONE_NUMBER.ref(number))
    if declared is None:
        return Entry(number, None)
    target = str(declared.fields.get("to") or "") or None
    if declared.fields.get("enabled") is False:
        return Entry(number, target, disabled=True)
    if target is None:
        return Entry(number, None)
    kind, _, ext = target.partition(":")
    if kind == "auto_attendant":
        menu = attendant_menu(state, ext, at, priorities or {})
        users = {}
        if menu is not None:
            for key, option in menu.options.items():
                okind, _, oext = option.partition(":")
                if key not in FALLBACKS and okind == "user" and state.get(*USER.ref(oext)):
                    users[oext] = evaluate(state, oext, at)
        return Entry(number, target, menu=menu, users=users)
    if kind == "user" and state.get(*USER.ref(ext)):
        return Entry(number, target, users={ext: evaluate(state, ext, at)})
    return Entry(number, target)


def attendant_menu(state: State, ext: str, at: dt.datetime, priorities: dict[str, int]) -> Menu | None:
    attendant = state.get(*AUTO_ATTENDANT.ref(ext))
    if attendant is None:
        return None
    menus: dict[str, dict[str, str]] = attendant.fields.get("menus") or {}
    # The menu of the highest-priority frame that is active (as a user's rules are tried), `default` last.
    ordered = sorted((n for n in menus if n != DEFAULT_RULE), key=lambda n: priorities.get(n, len(priorities) + 99))
    chosen = next((name for name in ordered if frame_active(state, name, at)), None)
    if chosen is None and DEFAULT_RULE in menus:
        chosen = DEFAULT_RULE
    if chosen is None:
        return None
    prompt = (attendant.fields.get("prompts") or {}).get(chosen)
    said = None
    if isinstance(prompt, dict):
        said = f'"{prompt["text"]}"' if prompt.get("text") else f"the recording {prompt.get('file')}"
    return Menu(ext, str(attendant.fields.get("name") or ext), chosen, said, dict(menus[chosen]))


def describe_entry(entry: Entry) -> str:
    """The call in words, one line per step, as `simulate` prints it."""
    if entry.target is None:
        return f"{entry.number} is not one of the tenant's numbers: the PBX does not route it"
    if entry.disabled:
        return f"{entry.number} is disabled: calls to it are not routed"
    lines = [f"{entry.number} -> {entry.target}"]
    if entry.menu is not None:
        m = entry.menu
        lines.append(f"auto attendant {m.attendant} ({m.name}) plays its {frame_label(m.frame)} menu")
        if m.prompt:
            lines.append(f"  prompt: {m.prompt}")
        for key, option in m.options.items():
            what = (
                "no key pressed" if key == "no_key_press" else "an unassigned key" if key in FALLBACKS else f"key {key}"
            )
            line = f"  {what} -> {option}"
            okind, _, oext = option.partition(":")
            if okind == "user" and oext in entry.users:
                line += f": {call_path(entry.users[oext])}"
            lines.append(line)
    else:
        for routing in entry.users.values():
            lines.append(describe(routing))
    return "\n".join(lines)


def users_behind(state: State, number: str) -> list[str]:
    """Every user a call to the number can reach first, at any time: its destination user, or the users
    its attendant's menus offer (for a timeline that starts at the number)."""
    declared = state.get(*PHONE_NUMBER.ref(number))
    target = str((declared.fields.get("to") if declared else "") or "")
    kind, _, ext = target.partition(":")
    found: list[str] = []
    if kind == "user":
        found.append(ext)
    elif kind == "auto_attendant":
        attendant = state.get(*AUTO_ATTENDANT.ref(ext))
        for menu in ((attendant.fields.get("menus") if attendant else None) or {}).values():
            for option in menu.values():
                okind, _, oext = str(option).partition(":")
                if okind == "user" and oext not in found:
                    found.append(oext)
    return [e for e in found if state.get(*USER.ref(e)) is not None]
