"""The pull request's plan comment: every tenant's plan, however big, in comments GitHub accepts.

GitHub refuses a comment over 65,536 characters, and a 1,000-user onboarding plans to megabytes.
So the first comment opens with a summary row for every tenant, and each tenant's plan follows
folded in its own `<details>`, cut to a per-tenant budget (the full plan stays in the run's
artifact, linked). Sections that do not fit go to further comments, in order. No tenant is ever
left out: a tenant always has its row and its section, even if the section only links the artifact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from skyconf.render.markdown import MARKER

COMMENT_LIMIT = 65_000  # GitHub's limit is 65,536 characters; keep a margin
TENANT_BUDGET = 20_000  # one tenant's folded plan, before it is cut
PART_MARKER = "<!-- skyconf-plan:part {n} -->"  # comments after the first
_COUNTS = re.compile(r"^\|[^|]*\|[^|]*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*$")
EXIT_OK, EXIT_CHANGES = 0, 2
SAFETY_LIMIT = "Over the safety limit"  # what the markdown plan says when apply would need --force


@dataclass(frozen=True)
class TenantResult:
    """One tenant's `plan --format markdown` output (stdout) and exit code; `errors` is its stderr."""

    tenant: str
    exit_code: int | None  # None: the tenant's plan job left no result
    markdown: str = ""
    errors: str = ""


def render_comments(
    results: list[TenantResult],
    *,
    head: str = "",
    run_url: str = "",
    artifact_url: str = "",
    apply_url: str = "",
    limit: int = COMMENT_LIMIT,
    budget: int = TENANT_BUDGET,
) -> list[str]:
    """Comment bodies, first one first, each at most `limit` characters."""
    where = f" at {head}" if head else ""
    run = f" [Run]({run_url})." if run_url else ""
    if not results:
        return [f"{MARKER}\n## skyconf plan\n\nNo tenant folder changes in this pull request{where}.\n"]
    budget = min(budget, limit - 1_000)  # a section always fits in a comment of its own
    sections = [_section(r, budget, artifact_url or run_url, apply_url) for r in results]
    changed = sum(r.exit_code == EXIT_CHANGES for r in results)
    failed = sum(r.exit_code not in (EXIT_OK, EXIT_CHANGES) for r in results)
    head_lines = [
        MARKER,
        "## skyconf plan",
        "",
        f"{len(results)} tenant(s) planned{where}: {changed} with changes, {failed} failed.{run}",
        "",
        "| tenant | result | create | update | delete |",
        "|---|---|---:|---:|---:|",
        *(_row(r) for r in results),
        "",
    ]
    room = limit - 64  # the "comment i of n" footer
    bodies = ["\n".join(head_lines)]
    for section in sections:
        if len(bodies[-1]) + len(section) + 1 > room:
            bodies.append(PART_MARKER.format(n=len(bodies) + 1) + "\n")
        bodies[-1] += "\n" + section
    count = len(bodies)
    if count > 1:
        bodies = [b + f"\n<sub>comment {i} of {count}</sub>\n" for i, b in enumerate(bodies, start=1)]
    return bodies


def _row(result: TenantResult) -> str:
    counts = ["", "", ""]
    if result.exit_code in (EXIT_OK, EXIT_CHANGES):
        status = ":pencil2: changes" if result.exit_code == EXIT_CHANGES else ":white_check_mark: no changes"
        found = next((m for line in result.markdown.splitlines() if (m := _COUNTS.match(line))), None)
        if found:
            counts = list(found.groups())
    else:
        status = ":x: failed" if result.exit_code is not None else ":x: no result"
    return f"| {_cell(result.tenant)} | {status} | {' | '.join(counts)} |"


def _section(result: TenantResult, budget: int, full_url: str, apply_url: str) -> str:
    if result.exit_code in (EXIT_OK, EXIT_CHANGES):
        body = _plan_body(result.markdown)
        summary = "changes" if result.exit_code == EXIT_CHANGES else "no changes"
    elif result.exit_code is None:
        body, summary = "The plan job left no result; see the run.", "no result"
    else:
        detail = "\n".join(result.errors.strip().splitlines()[-30:]).replace("```", "'''")
        body = f"plan failed (exit {result.exit_code})" + (f"\n\n```text\n{detail}\n```" if detail else "")
        summary = "failed"
    body = _cut(body, budget, full_url)
    if SAFETY_LIMIT in body:
        manual = f"[run the apply workflow by hand]({apply_url})" if apply_url else "run the apply workflow by hand"
        body += (
            f"\n\n> [!NOTE]\n> Over a safety limit, the apply after merging stops. Once someone has read this plan, "
            f"{manual} with tenant `{result.tenant}` and `force` checked."
        )
    return f"<details><summary><b>{_cell(result.tenant)}</b>: {summary}</summary>\n\n{body}\n\n</details>\n"


def _plan_body(markdown: str) -> str:
    """The tenant's plan without the marker, the title and the one-row table the summary repeats."""
    lines = markdown.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("### ")), len(lines))
    return "\n".join(lines[start:]).strip() or "No changes."


def _cut(body: str, budget: int, full_url: str) -> str:
    """`body` cut at a line to `budget` characters, an open code block closed, and a link to the rest."""
    if len(body) <= budget:
        return body
    link = f"[the run's artifact]({full_url})" if full_url else "the run's artifact"
    note = f"\n\n… cut at {budget:,} of {len(body):,} characters: the full plan is in {link}."
    kept = body[: max(0, budget - len(note) - 8)]
    kept = kept[: kept.rfind("\n")] if "\n" in kept else ""
    if len(re.findall(r"^```", kept, re.M)) % 2 == 1:
        kept += "\n```"
    return kept + note


def _cell(text: str) -> str:
    """Text safe inside a table cell and a summary: no pipes, no HTML."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")
