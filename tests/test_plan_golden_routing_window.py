"""`plan --routing-window` and `simulate` describe a call's path in the same words, hop by hop."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from skyconf.cli.routing import simulate
from skyconf.load import load_tenant
from skyconf.resolve import resolve
from skyconf.resources import State
from skyconf.routing import applied, call_path, describe, evaluate, routing_diff
from skyconf.routing_window import RoutingChanges

EXAMPLE = Path(__file__).resolve().parent.parent / "tenants" / "example"
TORONTO = ZoneInfo("America/Toronto")
TODAY = dt.date(2026, 12, 1)
WEEK_START = dt.datetime(2026, 12, 21, tzinfo=TORONTO)  # Christmas week: Holiday, Lunch, Open Hours


def edited(tmp_path: Path) -> Path:
    """The example with a closure day and Carol on do-not-disturb after hours."""
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    frames = folder / "time_frames.yaml"
    frames.write_text(frames.read_text().replace("    dates:\n", '    dates:\n      - "2026-12-22"\n'))
    users = folder / "users.yaml"
    text = users.read_text()
    rule = 'Closed Hours: {forward_always: "user:101"}'
    assert rule in text
    users.write_text(text.replace(rule, "Closed Hours: {do_not_disturb: true}"))
    return folder


def test_window_and_simulate_agree_every_hour_of_a_holiday_week(tmp_path: Path) -> None:
    live = resolve(load_tenant(EXAMPLE), TODAY).state
    desired = resolve(load_tenant(edited(tmp_path)), TODAY).state
    after = applied(live, desired)
    end = WEEK_START + dt.timedelta(days=7)
    changes = routing_diff(live, desired, WEEK_START, end)
    rows = RoutingChanges(TORONTO, changes).as_json()
    assert rows, "the edit changes routing"
    compared = 0
    for hour in range(7 * 24):
        at = WEEK_START + dt.timedelta(hours=hour)
        for ext, diffs in changes.items():
            for d in diffs:
                if d.start <= at < d.end:
                    assert call_path(d.before) == describe(evaluate(live, ext, at), with_frame=False)
                    assert call_path(d.after) == describe(evaluate(after, ext, at), with_frame=False)
                    compared += 1
    assert compared > 50
    texts = [r["before"] for r in rows] + [r["after"] for r in rows]
    assert any(t.startswith("do not disturb -> voicemail 103") for t in texts), "do not disturb said as such"
    assert not any("-> [" in t for t in texts), "no hop dropped from a chain"
    assert any("forwards to 101 (Alice Chen) [Closed Hours: " in t for t in texts), "a forward names its user"
    assert any("on a call -> 103 (Carol Diaz) [Open Hours: rings 103" in t for t in texts), "chains keep hops"


def test_simulate_prints_the_same_path(tmp_path: Path) -> None:
    folder = edited(tmp_path)
    state: State = resolve(load_tenant(folder), TODAY).state
    at = "2026-12-23 20:00"
    result = CliRunner().invoke(simulate, [str(folder), "--ext", "103", "--at", at])
    assert result.exit_code == 0, result.output
    routing = evaluate(state, "103", dt.datetime.fromisoformat(at).replace(tzinfo=TORONTO))
    assert result.output.strip().splitlines()[-1] == describe(routing) == f"Closed Hours: {call_path(routing)}"
    assert call_path(routing) == "do not disturb -> voicemail 103"
