"""`plan --routing-window`: a pull request that adds a holiday closure states exactly what callers get."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run

FRAMES = Path("tenants/example/time_frames.yaml")


def add_closure_day(day: str) -> None:
    text = FRAMES.read_text()
    marker = '      - {from: "2026-12-24 12:00"'
    assert marker in text
    FRAMES.write_text(text.replace(marker, f'      - "{day}"\n{marker}'))


def test_routing_window_shows_only_the_closure(workspace: Path) -> None:
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    add_closure_day("2026-12-22")
    result = run("plan", "tenants/", "--routing-window", "2026-12-21..2026-12-23", "--format", "json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.output)["tenants"][0]["routing_changes"]
    assert changes, "the closure changes call routing"
    for change in changes:
        # Every changed stretch lies within the closure day (Toronto time, UTC-5 in December).
        assert change["start"] >= "2026-12-22T05:00:00+00:00" and change["end"] <= "2026-12-23T05:00:00+00:00"
        assert "voicemail" in change["after"]
    assert {c["user"] for c in changes} <= {"101", "102", "103", "104"}

    markdown = run("plan", "tenants/", "--routing-window", "2026-12-21..2026-12-23", "--format", "markdown")
    assert "Call routing changes" in markdown.output and "Dec 22" in markdown.output
    assert "Dec 21" not in markdown.output.split("Call routing changes")[1]


def test_routing_window_must_be_a_range(workspace: Path) -> None:
    result = run("plan", "tenants/", "--routing-window", "2026-12-21")
    assert result.exit_code == 1 and "FROM..TO" in result.output
