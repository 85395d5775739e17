"""Plain-text plan for terminals and logs: (style, text) lines; the CLI adds colour on a terminal."""

from __future__ import annotations

from skyconf.plan import Plan
from skyconf.render import SYMBOL, change_title, field_lines, groups, summary

STYLE = {"+": "green", "-": "red", "~": "yellow", " ": ""}


def render_text(plan: Plan) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for tp in plan.tenants:
        lines.append(("bold", f"Tenant {tp.tenant} ({tp.domain} on {tp.pbx}): {summary(tp)}"))
        if tp.scope is not None:
            lines.append(("yellow", f"  {tp.scope.note}"))
        for violation in tp.violations:
            lines.append(("red", f"  ! over the safety limit: {violation} (apply needs --force)"))
        for group in groups(tp):
            lines.append(("bold", f"  {group.title}"))
            for change in group.changes:
                sign = SYMBOL[change.action]
                lines.append((STYLE[sign], f"    {sign} {change.action} {change_title(change)}"))
                for fsign, text in field_lines(change):
                    lines.append((STYLE[fsign], f"        {fsign} {text}"))
        lines.append(("", ""))
    return lines
