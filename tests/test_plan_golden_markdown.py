"""Markdown plans carry untrusted names: nothing in them closes a diff block, renders HTML or forges
the marker a workflow finds its comment by."""

from __future__ import annotations

import re

from skyconf.plan import Change, Plan, TenantPlan
from skyconf.render.markdown import MARKER, render_markdown

HOSTILE = "Bob\n```\n<img src=x onerror=alert(1)> & <!-- skyconf-plan -->"


def hostile_plan() -> Plan:
    name = HOSTILE.replace("\n", " ")
    fields = {"first_name": name, "last_name": "````", "company": "<b>Acme</b>"}
    change = Change("create", "contact", ("evil",), None, fields, tuple(fields))
    return Plan([TenantPlan("t<script>", "acme.example.com", "sandbox", [change])])


def outside_code(markdown: str) -> list[str]:
    """The lines a reader sees rendered as markdown (not inside a fenced block)."""
    out: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines():
        opening = re.match(r"^(`{3,})", line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
        elif fence is None:
            out.append(line)
    assert fence is None, "every block is closed"
    return out


def test_backticks_in_a_name_do_not_close_the_block() -> None:
    markdown = render_markdown(hostile_plan())
    fences = [line for line in markdown.splitlines() if line.startswith("```")]
    assert fences[0] == "`````diff" and fences[1] == "`````"
    assert len(fences) == 2, "the name's own backtick lines stay inside the block"


def test_no_html_and_no_forged_marker_outside_code() -> None:
    markdown = render_markdown(hostile_plan())
    seen = outside_code(markdown)
    assert [line for line in markdown.splitlines() if line.strip() == MARKER] == [MARKER]
    assert seen[0] == MARKER
    for line in seen[1:]:
        assert "<" not in line and ">" not in line, line
    assert any("t&lt;script&gt;" in line for line in seen)


def test_the_title_names_the_contact_escaped() -> None:
    seen = outside_code(render_markdown(hostile_plan()))
    (title,) = [line for line in seen if line.startswith("**")]
    assert "&lt;img" in title and "&amp;" in title and "&lt;!-- skyconf-plan --&gt;" in title


def test_routing_tables_escape_names() -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from skyconf.render.timeline_text import render_routing_diff_markdown
    from skyconf.routing import DiffInterval, End, Routing

    names = {"101": "<img src=x onerror=alert(1)> <!-- skyconf-plan -->"}
    before = Routing("101", "default", (End("voicemail", "101"),), names)
    after = Routing("101", "Holiday", (End("number", "+14165550199"),), names)
    start = dt.datetime(2026, 12, 22, 14, tzinfo=dt.UTC)
    diff = DiffInterval(start, start + dt.timedelta(hours=1), before, after, ("default",), ("Holiday",))
    markdown = render_routing_diff_markdown({"101": [diff]}, ZoneInfo("America/Toronto"))
    assert "<" not in markdown and ">" not in markdown.replace("-&gt;", "")
    assert "&lt;img src=x onerror=alert(1)&gt; &lt;!-- skyconf-plan --&gt;" in markdown
