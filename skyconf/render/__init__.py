"""Plan renderers share this: changes grouped per tenant and object, values formatted for people,
secrets masked. Renderers only format; they never decide anything.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from typing import Any

from skyconf.model.kinds import dependency_levels, kind, mask
from skyconf.model.rules import AnsweringRule, rule_fields
from skyconf.model.timeframes import date_yaml, weekly_yaml
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
    title = f"{k.title} {label}".strip() if not (owner is None and change.group == change.ref) else k.title
    profile = profile_of(change)
    return f"{title} (from profile {profile})" if profile else title


def profile_of(change: Change) -> str | None:
    """The profile a desired object comes from, so a reader sees why a user's rule changes."""
    path = change.source.path if change.source else ""
    parts = path.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "profiles" else None


def field_lines(change: Change) -> list[tuple[str, str]]:
    """(sign, text) lines describing the fields of a change; sign is '+', '-' or ' '.

    Creates and deletes show every managed field, unset and empty ones too (marked as the default),
    so a reviewer sees the whole object; updates show only what changes, as before -> after.
    """
    before = mask(change.kind, change.before or {})
    after = mask(change.kind, change.after or {})
    if change.action in ("create", "delete"):
        sign, fields = ("+", after) if change.action == "create" else ("-", before)
        lines: list[tuple[str, str]] = []
        for name, value in fields.items():
            if isinstance(value, str) and "\n" in value:
                lines.append((sign, f"{name}:"))
                lines.extend((sign, f"    {line}") for line in value.splitlines())
            else:
                lines.append((sign, f"{name}: {show(name, value, defaults(change.kind).get(name, _UNSET))}"))
        return lines
    out: list[tuple[str, str]] = []
    for name in change.changed:
        out.extend(_field_diff(name, before.get(name), after.get(name)))
    return out


def _field_diff(name: str, old: Any, new: Any) -> list[tuple[str, str]]:
    if isinstance(old, str) and isinstance(new, str) and ("\n" in old or "\n" in new):
        # Multi-line text (a rendered phone configuration): a unified diff, one line of context.
        lines = [(" ", f"{name}:")]
        for line in list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1))[2:]:
            lines.append((" ", line) if line.startswith("@@") else (line[:1].strip() or " ", line[1:]))
        return lines
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[str, str]] = []
        for sub in sorted(set(old) | set(new)):
            if old.get(sub) != new.get(sub):
                out.extend(_field_diff(f"{name}.{sub}", old.get(sub), new.get(sub)))
        return out
    return [(" ", f"{name}: {show(name, old)} -> {show(name, new)}")]


_UNSET = object()


@functools.cache
def defaults(kind_name: str) -> dict[str, Any]:
    """What a kind's fields are when the YAML says nothing, for kinds whose every field is managed
    (a rule written `{}` and a frame's empty parts); other kinds only carry fields the YAML wrote."""
    if kind_name == "answer_rule":
        return rule_fields(AnsweringRule(), "0", "US") or {}
    if kind_name in ("time_frame", "user_time_frame"):
        return {"always": False, "weekly": [], "dates": []}
    return {}


def show(name: str, value: Any, default: Any = _UNSET) -> str:
    """A field's value for people: schedules as the YAML writes them; a value the object has when the
    YAML says nothing (`default`, else an unset or empty one) marked as the default."""
    if value == default or (default is _UNSET and (value is None or value == [] or value == "")):
        return f"{_plain_value(name, value)} (default)"
    return _plain_value(name, value)


def _plain_value(name: str, value: Any) -> str:
    if value is None or value == [] or value == "":
        return "(none)" if value is None else fmt(value)
    if name == "weekly" and _is_rows(value, 3):
        return fmt(weekly_yaml(value))
    if name == "dates" and _is_rows(value, 2):
        return fmt([date_yaml(start, end) for start, end in value])
    return fmt(value)


def _is_rows(value: Any, width: int) -> bool:
    return isinstance(value, list) and all(
        isinstance(row, list) and len(row) == width and all(isinstance(x, str) for x in row) for row in value
    )


def fmt(value: Any) -> str:
    """A value in YAML's flow style, as a reader would write it."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(i, str) for i in value):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, list) and all(isinstance(i, list) for i in value):
        return "[" + ", ".join(" ".join(str(x) for x in i) for i in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(fmt(i) for i in value) + "]"
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
