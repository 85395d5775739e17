"""verify's judgement, call by call: what counts as a match, a mismatch, not checkable or skipped."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from skyconf.calls.records import CallRecord, Outcome
from skyconf.calls.verify import Check, verify
from skyconf.config import SANDBOX_TOKEN
from skyconf.load import load_tenant
from skyconf.resolve import resolve
from skyconf.sandbox.calls import post_calls

from .conftest import EXAMPLE, portal_edit, run

TORONTO = ZoneInfo("America/Toronto")
MONDAY_10 = dt.datetime(2026, 12, 21, 10, tzinfo=TORONTO)  # open hours
DOMAIN = "acme.example.com"


def record(dialled: str, outcome: Outcome, target: str, *, ring: int = 25, out: bool = False) -> CallRecord:
    direction = "outbound" if out else "inbound"
    start = MONDAY_10.astimezone(dt.UTC)
    return CallRecord("c1", start, direction, "+19055550199", "", dialled, outcome, target, ring, 0)


@pytest.fixture(scope="module")
def example() -> object:
    os.environ.setdefault("EXAMPLE_101_VM_PIN", "918273")
    os.environ.setdefault("EXAMPLE_102_VM_PIN", "564738")
    return resolve(load_tenant(EXAMPLE)).state


def judge(state: object, r: CallRecord) -> Check:
    (check,) = verify([r], state)  # type: ignore[arg-type]
    return check


def test_what_counts_as_what(example: object) -> None:
    # 103 in open hours: rings 103, then voicemail on no answer.
    assert judge(example, record("103", "answered", "103")).status == "match"
    assert judge(example, record("103", "voicemail", "103")).status == "match"
    wrong = judge(example, record("103", "answered", "102"))
    assert (wrong.status, wrong.predicted, wrong.happened) == (
        "mismatch",
        "voicemail 103 after ringing",
        "answered by 102",
    )
    # Voicemail at once is not voicemail after 103 rang.
    at_once = judge(example, record("103", "voicemail", "103", ring=0))
    assert (at_once.status, at_once.happened) == ("mismatch", "voicemail 103")
    assert wrong.rule == "Open Hours"
    # Unanswered at a device: busy, offline and no answer look the same in a record.
    assert judge(example, record("103", "missed", "103")).status == "not_checkable"
    # 101's simultaneous ring includes a mobile number, which may pick up.
    assert judge(example, record("101", "answered", "+14165550101")).status == "match"
    # 104 at 07:00 in Vancouver: the default rule forwards to a mobile.
    assert judge(example, record("104", "forwarded", "+16045550144", ring=0)).status == "match"
    assert judge(example, record("104", "forwarded", "+16045550144", ring=20)).status == "mismatch"
    assert judge(example, record("104", "voicemail", "104", ring=0)).status == "mismatch"
    # Not to a user, or not inbound: nothing to predict.
    assert judge(example, record("400", "forwarded", "queue:400")).status == "skipped"
    assert judge(example, record("+14165550199", "answered", "+14165550199", out=True)).status == "skipped"


def test_a_time_frame_changed_on_the_pbx_shows_as_the_calls_it_moved(workspace: Path) -> None:
    """Office hours cut to 16:00 in the portal: calls at 16:30 meet the closed-hours rules instead."""
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    frames = portal_edit("GET", f"/domains/{DOMAIN}/timeframes").json()
    frame = next(f for f in frames if f["timeframe-name"] == "Open Hours")
    days = ("monday", "tuesday", "wednesday", "thursday", "friday")
    entry = {
        k: v
        for d in days
        for k, v in ((f"timeframe-weekly-{d}-begin-time-1", "0900"), (f"timeframe-weekly-{d}-end-time-1", "1600"))
    }
    edit = portal_edit(
        "PUT", f"/domains/{DOMAIN}/timeframes/{frame['timeframe-id']}", {"timeframe-days-of-week-array": [entry]}
    )
    assert edit.status_code == 200, edit.text
    calls = [
        {"domain": DOMAIN, "to": ext, "at": f"2026-12-21T{hour}", "answer": ext}
        for hour in ("15:30", "16:30")
        for ext in ("101", "102", "103", "104")
    ]
    placed = post_calls(None, SANDBOX_TOKEN, os.environ["SKYCONF_SANDBOX_DB"], calls)
    result = run("verify", "tenants/example", "--from", "2026-12-21", "--to", "2026-12-21", "--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.output)
    # 104 works on Vancouver time (13:30 there, still open either way); the others were answered at
    # their desks before 16:00 and met do-not-disturb after.
    moved = {d["id"] for d in placed[4:7]}
    assert {m["call"] for m in report["mismatches"]} == moved
    # 103's closed-hours rule forwards to 101, whose do-not-disturb sends the call to 101's voicemail.
    assert sorted((m["dialled"], m["rule"], m["predicted"], m["happened"]) for m in report["mismatches"]) == [
        ("101", "Open Hours", "voicemail 101 after ringing", "voicemail 101"),
        ("102", "Open Hours", "voicemail 102 after ringing", "voicemail 102"),
        ("103", "Open Hours", "voicemail 103 after ringing", "voicemail 101"),
    ]
    assert report["counts"] == {"match": 5, "mismatch": 3, "not_checkable": 0, "skipped": 0}
    markdown = run("verify", "tenants/example", "--from", "2026-12-21", "--to", "2026-12-21", "--format", "markdown")
    assert markdown.exit_code == 2
    lines = markdown.output.splitlines()
    assert lines[0] == "**Routing check:** 8 call(s): 5 match, 3 mismatch, 0 not checkable, 0 skipped (not to a user)"
    rows = [line for line in lines if line.startswith("| 2026-12-21 16:30")]
    assert len(rows) == 3 and all("Open Hours: " in row for row in rows)
