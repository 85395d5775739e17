"""Plan renderers share this: changes grouped per tenant and object, values formatted for people,
secrets masked. Renderers only format; they never decide anything.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from skyconf.model.kinds import dependency_levels, kind, mask
from skyconf.plan import Change, TenantPlan
from skyconf.resources import Key

SYMBOL = {"create": "+", "update": "~", "delete": "-"}
VERB = {"create": "create", "update": "update", "delete": "delete"}


@dataclass
class Group:
    """The changes to one object a reader thinks of as a unit (a user with its rules and frames)."""

    title: str
    changes: list[Change]


def groups(plan: TenantPlan) -> list[Group]:
    by_ref: dict[tuple[str, Key], list[Change]] = {}
    for change in plan.changes:
        by_ref.setdefault(change.group, []).append(change)
    levels = dependency_levels()
    out = []
    for (kind_name, key), changes in sorted(by_ref.items(), key=lambda item: (levels[item[0][0]], item[0])):
        head = next((c for c in changes if c.ref == (kind_name, key)), None)
        fields = (head.after or head.before) if head else plan.owners.get((kind_name, key))
        out.append(Group(kind(kind_name).describe(key, fields), changes))
    return out


def change_title(change: Change) -> str:
    k = kind(change.kind)
    owner = k.owner_kind
    label = k.label(change.key[1:] if owner else change.key)
    return f"{k.title} {label}".strip() if not (owner is None and change.group == change.ref) else k.title


def field_lines(change: Change) -> list[tuple[str, str]]:
    """(sign, text) lines describing the fields of a change; sign is '+', '-' or ' '."""
    before = mask(change.kind, change.before or {})
    after = mask(change.kind, change.after or {})
    lines: list[tuple[str, str]] = []
    if change.action == "create":
        for name in change.after or {}:
            if after[name] not in (None, False, [], ""):
                lines.append(("+", f"{name}: {fmt(after[name])}"))
    elif change.action == "delete":
        for name in change.before or {}:
            if before[name] not in (None, False, [], ""):
                lines.append(("-", f"{name}: {fmt(before[name])}"))
    else:
        for name in change.changed:
            lines.extend(_field_diff(name, before.get(name), after.get(name)))
    return lines


def _field_diff(name: str, old: Any, new: Any) -> list[tuple[str, str]]:
    if isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new):
        # Multi-line text (a rendered phone configuration): a unified diff, one line of context.
        lines = [(" ", f"{name}:")]
        for line in list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1))[2:]:
            lines.append((" ", line) if line.startswith("@@") else (line[:1].strip() or " ", line[1:]))
        return lines
    if isinstance(old, list) and isinstance(new, list):
        removed = [item for item in old if item not in new]
        added = [item for item in new if item not in old]
        if not removed and not added:
            return [(" ", f"{name}: order {fmt(old)} -> {fmt(new)}")]
        return [("-", f"{name}: {fmt(i)}") for i in removed] + [("+", f"{name}: {fmt(i)}") for i in added]
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[str, str]] = []
        for sub in sorted(set(old) | set(new)):
            if old.get(sub) != new.get(sub):
                out.extend(_field_diff(f"{name}.{sub}", old.get(sub), new.get(sub)))
        return out
    return [(" ", f"{name}: {fmt(old)} -> {fmt(new)}")]


def fmt(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(i, str) for i in value):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, list) and all(isinstance(i, list) for i in value):
        return "[" + ", ".join(" ".join(str(x) for x in i) for i in value) + "]"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def summary(plan: TenantPlan) -> str:
    c = plan.counts
    if not plan.changes:
        text = "no changes"
    else:
        text = f"{c['create']} to create, {c['update']} to update, {c['delete']} to delete"
    if plan.unmanaged:
        left = ", ".join(f"{n} {kind(k).title}{'s' if n != 1 else ''}" for k, n in sorted(plan.unmanaged.items()))
        text += f"; left alone (not in YAML): {left}"
    return text
