"""Checks across objects that no single model can make: answering rules that can only fail a call,
and a desk phone declared by two tenants of one run.

Loops: `simulate` follows `forward_always` from user to user and reports a "forwarding loop (call
fails)" when a call comes back to a user it already passed. Here a loop is refused when it can
happen whatever the clock says:
- a rule forwarding always to its own user (`user:self`);
- users forwarding always to each other in rules of the same time frame (a domain time frame, or
  `default` in all of them): those rules apply at the same moments, so a call there never rings.
A chain through rules of different time frames (A forwards after hours, B during the day) is a
normal hand-over, not refused; `simulate` shows any moment where it would still loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from skyconf.config import profile_problems
from skyconf.errors import Problem
from skyconf.model.phones import PHONES, normalize_mac
from skyconf.model.rules import DEFAULT_RULE, AnsweringRule
from skyconf.model.timeframes import TIME_FRAMES
from skyconf.model.users import ANSWER_RULE, PROFILES, USERS
from skyconf.repo import find_root
from skyconf.resources import Resource

if TYPE_CHECKING:
    from skyconf.load import LoadedTenant, Path_
    from skyconf.resolve import Desired


def tenant_problems(loaded: LoadedTenant, resources: Iterable[Resource]) -> list[Problem]:
    """What resolve checks last: do-not-disturb with forward_always in one rule, forward_always loops
    (see the module docstring), and a `pbx:` naming no connection profile (or a broken skyconf.yaml)."""
    problems = [loaded.doc.problem(path, message) for path, message in _dnd_with_forward(loaded)]
    problems.extend(_forward_loops(loaded, resources))
    problems.extend(profile_problems([loaded], find_root(loaded.folder)))
    return problems


def run_problems(tenants: list[Desired]) -> list[Problem]:
    """Checks over all tenants of one run: no phone is in two of them."""
    return duplicate_macs(tenants)


def duplicate_macs(tenants: list[Desired]) -> list[Problem]:
    """A phone (MAC) declared by two tenants of one run: each apply would take it from the other."""
    first: dict[str, str] = {}
    problems: list[Problem] = []
    for desired in tenants:
        loaded = desired.tenant
        written = {}
        for key in PHONES.of(loaded.tenant):
            try:
                written[normalize_mac(key)] = key
            except ValueError:
                continue  # reported by its own tenant
        for mac, key in written.items():
            if mac in first:
                problems.append(
                    loaded.doc.problem(
                        ("phones", key), f"MAC {mac} is also declared by tenant '{first[mac]}'; a phone has one tenant"
                    )
                )
            else:
                first[mac] = loaded.name
    return problems


def _dnd_with_forward(loaded: LoadedTenant) -> list[tuple[Path_, str]]:
    t = loaded.tenant
    rules: list[tuple[Path_, AnsweringRule]] = []
    for ext, user in USERS.of(t).items():
        rules.extend((("users", ext, "answering_rules", n), r) for n, r in user.answering_rules.items() if r)
    for name, profile in PROFILES.of(t).items():
        rules.extend((("profiles", name, "answering_rules", n), r) for n, r in profile.answering_rules.items())
    return [
        (
            (*path, "forward_always"),
            "do_not_disturb sends every call to busy handling, so forward_always never applies; keep one of them",
        )
        for path, rule in rules
        if rule.do_not_disturb and rule.forward_always
    ]


def _forward_loops(loaded: LoadedTenant, resources: Iterable[Resource]) -> list[Problem]:
    # Per rule name: user -> user it forwards every call to (enabled rules without do-not-disturb).
    edges: dict[str, dict[str, str]] = {}
    for r in resources:
        if r.kind != ANSWER_RULE.name:
            continue
        ext, name = str(r.key[0]), str(r.key[1])
        target = str(r.fields.get("forward_always") or "")
        if target.startswith("user:") and r.fields.get("enabled", True) and not r.fields.get("do_not_disturb"):
            edges.setdefault(name, {})[ext] = target.removeprefix("user:")
    shared = {DEFAULT_RULE, *TIME_FRAMES.of(loaded.tenant)}
    problems: list[Problem] = []
    for name, forward in sorted(edges.items()):
        reported: set[str] = set()
        for start in sorted(forward):
            cycle = _cycle(forward, start)
            if not cycle or start in reported:
                continue  # no loop, or reported from the loop's first member
            reported.update(cycle)
            frame = name
            if len(cycle) == 1:
                message = "forward_always to the user's own extension: every call would loop and fail"
            elif name in shared:
                chain = " -> ".join([*cycle, cycle[0]])
                message = f"forward_always makes a loop {chain} in rule '{frame}': calls to these users fail"
            else:
                continue  # users' own time frames of one name need not apply together
            problems.append(loaded.doc.problem((*_rule_path(loaded, start, frame), "forward_always"), message))
    return problems


def _cycle(forward: dict[str, str], start: str) -> list[str]:
    """The loop `start` is on (starting with it), or [] when following from it ends or loops elsewhere."""
    path = [start]
    current = forward.get(start)
    while current is not None and current not in path:
        path.append(current)
        current = forward.get(current)
    return path if current == start else []


def _rule_path(loaded: LoadedTenant, ext: str, frame: str) -> Path_:
    """Where user `ext`'s rule for `frame` is written: the user's own rule, else their profile's."""
    t = loaded.tenant
    user = USERS.of(t).get(ext)
    if user is None:
        return ("users", ext)
    if user.answering_rules.get(frame) is not None:
        return ("users", ext, "answering_rules", frame)
    profile = PROFILES.of(t).get(user.profile or "")
    if profile is not None and frame in profile.answering_rules:
        return ("profiles", user.profile or "", "answering_rules", frame)
    return ("users", ext)
