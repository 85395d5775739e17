"""Plain-text plan for terminals and logs: (style, text) lines; the CLI adds colour on a terminal."""

from __future__ import annotations

from collections import Counter

from skyconf.plan import Plan, TenantPlan
from skyconf.render import SYMBOL, change_title, field_lines, groups, summary

STYLE = {"+": "green", "-": "red", "~": "yellow", " ": ""}


def render_text(plan: Plan, brief: bool = False) -> list[tuple[str, str]]:
    """The plan; `brief`: a line per action counting its kinds instead of each change (a long plan
    sent to a log). Kinds are named as in JSON plans: two kinds share the title `contact`."""
    lines: list[tuple[str, str]] = []
    for tp in plan.tenants:
        lines.append(("bold", f"Tenant {tp.tenant} ({tp.domain} on {tp.pbx}): {summary(tp)}"))
        if tp.scope is not None:
            lines.append(("yellow", f"  {tp.scope.note}"))
        for violation in tp.violations:
            lines.append(("red", f"  ! over the safety limit: {violation} (apply needs --force)"))
        if brief:
            lines.extend(_counts_per_kind(tp))
            lines.append(("", ""))
            continue
        for group in groups(tp):
            lines.append(("bold", f"  {group.title}"))
            for change in group.changes:
                sign = SYMBOL[change.action]
                lines.append((STYLE[sign], f"    {sign} {change.action} {change_title(change)}"))
                for fsign, text in field_lines(change):
                    lines.append((STYLE[fsign], f"        {fsign} {text}"))
        lines.append(("", ""))
    return lines


def _counts_per_kind(tp: TenantPlan) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for action, sign in (("create", "+"), ("update", "~"), ("delete", "-")):
        kinds = Counter(c.kind for c in tp.changes if c.action == action)
        if kinds:
            counted = ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items()))
            lines.append((STYLE[sign], f"  {action} {kinds.total():,}: {counted}"))
    return lines
