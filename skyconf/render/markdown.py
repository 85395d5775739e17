"""Markdown plan for pull-request comments and drift issues: a summary table, then one diff block
per object so GitHub colours additions and removals.
"""

from __future__ import annotations

from skyconf.plan import Plan
from skyconf.render import SYMBOL, change_title, field_lines, groups, summary

MARKER = "<!-- skyconf-plan -->"


def render_markdown(plan: Plan, title: str = "skyconf plan") -> str:
    out = [MARKER, f"## {title}", "", "| tenant | domain | create | update | delete |", "|---|---|---:|---:|---:|"]
    for tp in plan.tenants:
        c = tp.counts
        out.append(f"| {tp.tenant} | {tp.domain} | {c['create']} | {c['update']} | {c['delete']} |")
    out.append("")
    for tp in plan.tenants:
        out.append(f"### {tp.tenant} ({tp.domain})")
        out.append("")
        out.append(summary(tp).capitalize() + ".")
        out.append("")
        for violation in tp.violations:
            out.append(f"> [!WARNING]\n> Over the safety limit: {violation}; apply needs `--force`.")
            out.append("")
        for group in groups(tp):
            out.append(f"**{group.title}**")
            out.append("")
            out.append("```diff")
            for change in group.changes:
                out.append(
                    f"{SYMBOL[change.action] if change.action != 'update' else '!'} "
                    f"{change.action} {change_title(change)}"
                )
                for sign, text in field_lines(change):
                    out.append(f"{sign if sign != ' ' else ' '}     {text}")
            out.append("```")
            out.append("")
    return "\n".join(out).rstrip() + "\n"
