"""Markdown plan for pull-request comments and drift issues: a summary table, then one diff block
per object so GitHub colours additions and removals.

Names and values come from YAML and from the live PBX, so they are untrusted: outside code blocks
`<`, `>` and `&` are escaped (no HTML renders, no forged marker is found), and each diff block's
fence is longer than any run of backticks inside it, so nothing in it can close it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from skyconf.plan import Plan
from skyconf.render import SYMBOL, change_title, field_lines, groups, summary

MARKER = "<!-- skyconf-plan -->"


def escape(text: str) -> str:
    """Text safe outside code blocks: no HTML, no table cell break, no line break."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def fence_for(lines: list[str]) -> str:
    """A backtick fence longer than any backtick run in the block (at least three)."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(
    plan: Plan, title: str = "skyconf plan", warnings: Mapping[str, Sequence[object]] | None = None
) -> str:
    """The plan; `warnings` (per tenant) are listed under the tenant's summary, never blocking."""
    out = [
        MARKER,
        f"## {escape(title)}",
        "",
        "| tenant | domain | create | update | delete |",
        "|---|---|---:|---:|---:|",
    ]
    for tp in plan.tenants:
        c = tp.counts
        out.append(f"| {escape(tp.tenant)} | {escape(tp.domain)} | {c['create']} | {c['update']} | {c['delete']} |")
    out.append("")
    for tp in plan.tenants:
        out.append(f"### {escape(tp.tenant)} ({escape(tp.domain)})")
        out.append("")
        out.append(escape(summary(tp).capitalize()) + ".")
        out.append("")
        if tp.scope is not None:
            out.append(f"> [!NOTE]\n> {escape(tp.scope.note.capitalize())}.")
            out.append("")
        for warning in (warnings or {}).get(tp.tenant, ()):
            out.append(f"- :warning: {escape(str(warning))}")
        if (warnings or {}).get(tp.tenant):
            out.append("")
        for violation in tp.violations:
            out.append(f"> [!WARNING]\n> Over the safety limit: {escape(violation)}; apply needs `--force`.")
            out.append("")
        for group in groups(tp):
            out.append(f"**{escape(group.title)}**")
            out.append("")
            block: list[str] = []
            for change in group.changes:
                sign = SYMBOL[change.action] if change.action != "update" else "!"
                block.append(f"{sign} {change.action} {change_title(change)}")
                for fsign, text in field_lines(change):
                    block.append(f"{fsign}     {text}")
            fence = fence_for(block)
            out.extend([f"{fence}diff", *block, fence, ""])
    return "\n".join(out).rstrip() + "\n"
