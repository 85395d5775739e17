"""Profiles for an imported folder: answering rules that several users share, written once.

The folder's own profiles stay as written with their users; users new to the folder join one when
that saves lines, or form new ones (`_cluster`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from skyconf.importer.priorities import frame_rank
from skyconf.importer.validate import first_problem
from skyconf.model.rules import DEFAULT_RULE, FORWARD_OPTIONS, AnsweringRule, rule_fields, rule_yaml
from skyconf.model.users import USER_DEFAULTS, Profile

if TYPE_CHECKING:
    from skyconf.importer.build import Builder

# Distinct rule sets the profile search compares pairwise (the rest may still join a profile found).
_CLUSTER_LIMIT = 60
# What a profile costs beyond its rules (its name and header lines), so a new one must save more than that.
_PROFILE_COST = 1


def make_profiles(
    b: Builder, shared: dict[str, dict[str, str]], ring: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Profiles (name -> YAML) and who uses which: the folder's own profiles stay as written with
    their users; users new to the folder join one when that saves lines, or form new ones."""
    profiles: dict[str, dict[str, Any]] = {}
    members: dict[str, str] = {}
    old_users = b.existing.get("users") or {}
    for name, data in (b.existing.get("profiles") or {}).items():
        kept = kept_profile(b, name, data)
        if kept is not None:
            profiles[name] = kept
    for ext in b.users:
        chosen = (old_users.get(ext) or {}).get("profile") if isinstance(old_users.get(ext), dict) else None
        if chosen in profiles:
            members[ext] = chosen
    fresh = [ext for ext in b.users if ext not in old_users]
    for ext in list(fresh):
        best: tuple[int, str] | None = None
        for name, profile in profiles.items():
            cost = _entries(shared[ext], profile_set(b, profile, ext))
            if cost < len(shared[ext]) and (best is None or cost < best[0]):
                best = (cost, name)
        if best is not None:
            members[ext] = best[1]
            fresh.remove(ext)
    for group, rule_set in _cluster({ext: shared[ext] for ext in fresh}):
        name = profile_name(b, group, rule_set, set(profiles))
        made: dict[str, Any] = {}
        rings = Counter(ring[e] for e in group)
        value, count = rings.most_common(1)[0]
        if None not in rings and count >= 2 and value != USER_DEFAULTS[("ring_timeout",)]:
            made["ring_timeout"] = value
        frames = sorted(rule_set, key=lambda f: frame_rank(b, f))
        made["answering_rules"] = {f: json.loads(rule_set[f]) for f in frames}
        profiles[name] = made
        members.update(dict.fromkeys(group, name))
    return profiles, members


def kept_profile(b: Builder, name: str, data: Any) -> dict[str, Any] | None:
    """A profile of the existing folder without rules for frames or targets that are gone."""
    if not isinstance(data, dict) or first_problem(Profile, data) is not None:
        return None
    kept = dict(data)
    rules = dict(data.get("answering_rules") or {})
    for frame, rule in list(rules.items()):
        ok = frame == DEFAULT_RULE or frame in b.frame_fields
        if ok and isinstance(rule, dict):
            # "0" stands for the member's own extension (as resolve checks a profile no user names).
            fields = rule_fields(AnsweringRule.model_validate(rule), "0", b.country)
            sim = (fields or {}).get("simultaneous_ring") or {}
            targets = [*(fields[o] for o in FORWARD_OPTIONS if fields and fields[o]), *sim.get("ring", [])]
            ok = fields is not None and all(b.target_ok(t, "0") or t.endswith(":0") for t in targets)
        if not ok:
            b.notes.append(f"profile {name}: rule '{frame}' names a time frame or target that is gone; removed")
            del rules[frame]
    if "answering_rules" in data:
        kept["answering_rules"] = rules
    return kept


def profile_set(b: Builder, profile: dict[str, Any], ext: str) -> dict[str, str]:
    """A profile's rules for one user, in the comparable form (own extension as self)."""
    return {f: rule_key(r) for f, r in profile_rules(b, profile, ext).items()}


def profile_rules(b: Builder, profile: dict[str, Any], ext: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for frame, rule in (profile.get("answering_rules") or {}).items():
        if not isinstance(rule, dict):
            continue
        fields = rule_fields(AnsweringRule.model_validate(rule), ext, b.country)
        if fields is not None:
            out[frame] = rule_yaml(fields, ext)
    if out.get(DEFAULT_RULE) == {"ring_extension": True}:
        del out[DEFAULT_RULE]
    return out


def user_rules(
    b: Builder, ext: str, rules: dict[str, dict[str, Any]], profile: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The user's answering_rules: own frames' rules, and where the profile does not already say it."""
    out: dict[str, Any] = {}
    plain = {"ring_extension": True}
    for frame, rule in rules.items():
        if frame == DEFAULT_RULE and rule == plain and DEFAULT_RULE not in profile:
            continue
        if profile.get(frame) != rule:
            out[frame] = rule
    for frame in profile:
        if frame not in rules:
            out[frame] = plain if frame == DEFAULT_RULE else None
    return {f: out[f] for f in sorted(out, key=lambda f: frame_rank(b, f, ext))}


def profile_name(b: Builder, group: list[str], rule_set: dict[str, str], taken: set[str]) -> str:
    """By the members' common department, else by what the rules do ("holiday-voicemail-closed-hours-dnd")."""
    departments = {b.user(e).fields.get("department") for e in group}
    if len(departments) == 1 and None not in departments:
        base = _slug(str(departments.pop()))
    else:
        words = []
        for frame in sorted(rule_set, key=lambda f: frame_rank(b, f))[:2]:
            words.append(f"{_slug(frame)}-{_rule_word(json.loads(rule_set[frame]))}")
        base = "-".join(words) or "shared"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def rule_key(rule: dict[str, Any]) -> str:
    return json.dumps(rule, sort_keys=True)


def _entries(rule_set: dict[str, str], profile: dict[str, str]) -> int:
    """Rules a user must still write with this profile: differences, and overrides for frames it lacks."""
    return sum(1 for f, r in rule_set.items() if profile.get(f) != r) + sum(1 for f in profile if f not in rule_set)


def _cluster(sets: dict[str, dict[str, str]]) -> list[tuple[list[str], dict[str, str]]]:
    """Groups of users whose shared rules make a profile worth it: users with equal rule sets start
    together, and groups merge while that lowers the number of rules written (profile's + users')."""
    by_set: dict[str, list[str]] = {}
    for ext, rule_set in sets.items():
        if rule_set:
            by_set.setdefault(rule_key(rule_set), []).append(ext)
    groups = sorted(by_set.values(), key=lambda g: (-len(g), len(g[0]), g[0]))[:_CLUSTER_LIMIT]

    def cost(group: list[str]) -> tuple[int, dict[str, str]]:
        profile = _profile_of(group, sets)
        if len(group) < 2 or not profile:
            return sum(len(sets[e]) for e in group), {}
        return _PROFILE_COST + len(profile) + sum(_entries(sets[e], profile) for e in group), profile

    costs = [cost(g)[0] for g in groups]
    while len(groups) > 1:
        best: tuple[int, int, int] | None = None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                gain = costs[i] + costs[j] - cost(groups[i] + groups[j])[0]
                if gain > 0 and (best is None or gain > best[0]):
                    best = (gain, i, j)
        if best is None:
            break
        _, i, j = best
        groups[i] = groups[i] + groups[j]
        costs[i] = cost(groups[i])[0]
        del groups[j], costs[j]
    out: list[tuple[list[str], dict[str, str]]] = []
    for group in groups:
        profile = cost(group)[1]
        if profile:
            out.append((sorted(group, key=lambda e: (len(e), e)), profile))
    return out


def _profile_of(group: list[str], sets: dict[str, dict[str, str]]) -> dict[str, str]:
    """Per frame, the rule most of the group has, where writing it once saves more lines than the
    overrides it costs (users without that frame's rule then write `null`)."""
    frames = sorted({f for e in group for f in sets[e]})
    out: dict[str, str] = {}
    for frame in frames:
        counts = Counter(sets[e][frame] for e in group if frame in sets[e])
        rule, count = max(counts.items(), key=lambda item: (item[1], item[0]))
        missing = sum(1 for e in group if frame not in sets[e])
        if count - 1 - missing > 0:
            out[frame] = rule
    return out


def _rule_word(rule: dict[str, Any]) -> str:
    if rule.get("do_not_disturb"):
        return "dnd"
    if rule.get("forward_always"):
        target = str(rule["forward_always"])
        return "external" if target.startswith("+") else target.partition(":")[0].replace("_", "-")
    if rule.get("simultaneous_ring"):
        return "simring"
    return "ring"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "profile"
