"""Routing proven by call records: calls placed on a served sandbox PBX against `skyconf verify`.

The sandbox routes calls by its own reading of the rules as stored on the wire, so agreement here means
the provider wrote what skyconf's routing module means; a change made behind skyconf's back shows up
as exactly the calls it changed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zoneinfo
from pathlib import Path
from typing import Any

import httpx
import pytest

from skyconf.sandbox.calls import post_calls
from skyconf.sandbox.process import ServedSandbox

from .conftest import run

DOMAIN = "acme.example.com"
ZONE = zoneinfo.ZoneInfo("America/Toronto")
USERS = ("101", "102", "103", "104")
CALLER = "+19055550199"  # Bob Smith of Supplier Inc, in the shared directory


def calls_at(days: list[dt.date], hours: range) -> list[dict[str, Any]]:
    """A call to every user at half past each hour; every third hour the dialled user picks up."""
    return [
        {
            "domain": DOMAIN,
            "to": ext,
            "from": CALLER,
            "at": f"{day}T{hour:02d}:30",
            "answer": ext if hour % 3 == 0 else "none",
        }
        for day in days
        for hour in hours
        for ext in USERS
    ]


@pytest.fixture
def served_tenant(workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch) -> ServedSandbox:
    (workspace / "skyconf.yaml").write_text(
        f"profiles:\n  served:\n    url: {served_sandbox.api_url}\n    api_key_env: SERVED_KEY\n"
    )
    monkeypatch.setenv("SERVED_KEY", served_sandbox.token)
    assert run("apply", "tenants/example", "--pbx", "served", "--auto-approve").exit_code == 0
    return served_sandbox


def verify_json(*window: str) -> tuple[int, dict[str, Any]]:
    result = run(
        "verify", "tenants/example", "--from", window[0], "--to", window[1], "--pbx", "served", "--format", "json"
    )
    return result.exit_code, json.loads(result.output)


def test_verify_matches_a_holiday_week_then_names_the_calls_a_portal_edit_changed(served_tenant: ServedSandbox) -> None:
    week = [dt.date(2026, 12, 21) + dt.timedelta(days=n) for n in range(7)]
    placed = post_calls(served_tenant.api_url, served_tenant.token, None, calls_at(week, range(24)))
    assert len(placed) == 7 * 24 * len(USERS)

    code, report = verify_json("2026-12-21", "2026-12-27")
    assert report["mismatches"] == []
    assert code == 0
    assert report["counts"]["match"] + report["counts"]["not_checkable"] == len(placed)
    assert report["counts"]["match"] > len(placed) * 0.9, report["counts"]

    # Someone points 102's holiday forward at another voicemail box in the portal.
    rule = f"{served_tenant.api_url}/domains/{DOMAIN}/users/102/answerrules/Holiday"
    edit = httpx.put(
        rule,
        json={"forward-always": {"enabled": "yes", "parameters": ["vmail_101"]}},
        headers={"Authorization": f"Bearer {served_tenant.token}"},
    )
    assert edit.status_code == 202, edit.text
    more = post_calls(served_tenant.api_url, served_tenant.token, None, calls_at([dt.date(2026, 12, 28)], range(24)))
    more += post_calls(served_tenant.api_url, served_tenant.token, None, calls_at([dt.date(2026, 12, 23)], range(24)))
    holiday_start = dt.datetime(2026, 12, 24, 12, tzinfo=ZONE)
    changed = {
        d["id"]
        for d in more
        if d["call-orig-to-user"] == "102"
        and dt.datetime.fromisoformat(d["call-start-datetime"].replace("Z", "+00:00")) >= holiday_start
    }
    assert len(changed) == 24

    code, report = verify_json("2026-12-21", "2026-12-28")
    assert code == 2
    assert {m["call"] for m in report["mismatches"]} == changed
    first = report["mismatches"][0]
    assert first["rule"] == "Holiday"
    assert first["predicted"] == "voicemail 102" and first["happened"] == "voicemail 101"

    text = run("verify", "tenants/example", "--from", "2026-12-28", "--to", "2026-12-28", "--pbx", "served")
    assert text.exit_code == 2
    lines = [line for line in text.output.splitlines() if line.startswith("MISMATCH")]
    assert len(lines) == 24 and all("-> 102" in line and "rule Holiday" in line for line in lines)

    # Against the live PBX's rules instead of the YAML, the new calls are the ones that went as predicted.
    live = run("verify", "tenants/example", "--from", "2026-12-28", "--to", "2026-12-28", "--live", "--pbx", "served")
    assert live.exit_code == 0, live.output
    assert live.output.strip() == "96 call(s): 96 match, 0 mismatch, 0 not checkable, 0 skipped (not to a user)"

    # The same calls as CSV: one row per call, as a spreadsheet reads it.
    result = run(
        "calls", "tenants/example", "--from", "2026-12-28", "--to", "2026-12-28", "--pbx", "served", "--format", "csv"
    )
    assert result.exit_code == 0
    table = list(csv.DictReader(io.StringIO(result.output)))
    day_ids = {
        d["id"]
        for d in more
        if d["call-start-datetime"].startswith("2026-12-28") or d["call-start-datetime"].startswith("2026-12-29T0")
    }
    assert len(table) == 24 * len(USERS) == len(day_ids)
    assert {row["caller_name"] for row in table} == {"Bob Smith"}
    assert {row["dialled"] for row in table} == set(USERS)
    to_102 = [row for row in table if row["dialled"] == "102"]
    assert {row["what"] for row in to_102} == {"voicemail 101"}
    assert all(row["time"].startswith("2026-12-28 ") for row in table)
