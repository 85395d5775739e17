"""`skyconf calls`: the call list in every format and the HTML report, opened in headless Chromium."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import struct
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from skyconf.config import SANDBOX_TOKEN
from skyconf.sandbox.calls import post_calls

from .conftest import run
from .test_routing_html import browse, chromium  # noqa: F401  (the fixture)

DOMAIN = "acme.example.com"
USERS = ("101", "102", "103", "104")
CALLERS = ("+19055550199", "+16475550188", "+12125550100")  # Bob Smith, Priya Raman, nobody we know


def place(days: list[dt.date], hours: range) -> list[dict[str, Any]]:
    calls = [
        {
            "domain": DOMAIN,
            "to": ext,
            "from": CALLERS[(hour + i) % 3],
            "at": f"{day}T{hour:02d}:15",
            "answer": ext if hour % 2 else "none",
        }
        for day in days
        for hour in hours
        for i, ext in enumerate(USERS)
    ]
    calls.append({"domain": DOMAIN, "to": "400", "from": CALLERS[0], "at": f"{days[0]}T10:00"})
    return post_calls(None, SANDBOX_TOKEN, os.environ["SKYCONF_SANDBOX_DB"], calls)


@pytest.fixture
def history(workspace: Path) -> list[dict[str, Any]]:
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    return place([dt.date(2026, 12, 21), dt.date(2026, 12, 22), dt.date(2026, 12, 24)], range(8, 18))


def test_csv_has_one_row_per_call_with_names_from_the_directory(history: list[dict[str, Any]]) -> None:
    result = run("calls", "tenants/example", "--from", "2026-12-21", "--to", "2026-12-24", "--format", "csv")
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert len(table) == len(history) == 3 * 10 * 4 + 1
    names = {row["caller"]: row["caller_name"] for row in table}
    assert names == {"+19055550199": "Bob Smith", "+16475550188": "Priya Raman", "+12125550100": ""}
    assert Counter(row["dialled_name"] for row in table)["Alice Chen"] == 30
    # Monday 21 December, 09:15 Toronto time, is 14:15 UTC: times are the tenant's.
    first = next(r for r in table if r["dialled"] == "101" and r["time"].startswith("2026-12-21 09:15"))
    assert first["outcome"] == "answered" and first["target"] == "101" and first["talk_s"] == "60"
    queue = next(r for r in table if r["dialled"] == "400")
    assert queue["what"] == "forwarded to queue 400" and queue["dialled_name"] == "Support"


def test_the_other_formats_and_the_user_filter(history: list[dict[str, Any]]) -> None:
    window = ["--from", "2026-12-24", "--to", "2026-12-24"]
    as_json = json.loads(run("calls", "tenants/example", *window, "--format", "json").output)
    assert len(as_json) == 40 and {c["dialled"] for c in as_json} == set(USERS)
    # Christmas Eve afternoon is Holiday: 102's holiday rule forwards to voicemail.
    assert {c["what"] for c in as_json if c["dialled"] == "102" and c["time"] >= "2026-12-24 12"} == {"voicemail 102"}

    text = run("calls", "tenants/example", *window, "--ext", "103").output.splitlines()
    assert len(text) == 11 and text[-1] == "10 call(s), times in America/Toronto"
    assert all("-> 103 (Carol Diaz)" in line for line in text[:-1])

    markdown = run("calls", "tenants/example", *window, "--format", "markdown", "--ext", "101").output.splitlines()
    # 101's calls, and the one to 103 at 08:15 (closed hours: forwarded to 101) that ended in 101's voicemail.
    assert markdown[0].startswith("| time |") and len(markdown) == 2 + 11
    assert [line for line in markdown if "-> 103" in line or "| 103 (" in line] == [
        next(line for line in markdown if "2026-12-24 08:15:00" in line and "103 (Carol Diaz)" in line)
    ]
    assert "voicemail 101" in next(line for line in markdown if "103 (Carol Diaz)" in line)


def test_an_empty_window_and_a_bad_one(workspace: Path) -> None:
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    empty = run("calls", "tenants/example", "--from", "2026-01-05", "--to", "2026-01-05", "--format", "csv")
    assert (
        empty.exit_code == 0
        and empty.output.strip() == "time,caller,caller_name,dialled,dialled_name,outcome,target,what,ring_s,talk_s"
    )
    backwards = run("calls", "tenants/example", "--from", "2026-01-05", "--to", "2026-01-01")
    assert backwards.exit_code == 1 and "must be after" in backwards.output


class Charts(HTMLParser):
    """Per section: its heading, the bars of its chart (their titles) and its table's rows."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[dict[str, Any]] = []
        self.field: str | None = None
        self.row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.sections.append({"heading": "", "bars": [], "rows": []})
        elif tag == "h2":
            self.field = "heading"
        elif tag == "rect" and a.get("class") == "bar":
            self.sections[-1]["bars"].append("")
        elif tag == "title" and self.sections and self.sections[-1]["bars"]:
            self.field = "bar"
        elif tag == "tr":
            self.row = []
        elif tag == "td" and self.row is not None:
            self.row.append("")
            self.field = "td"

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self.row:
            self.sections[-1]["rows"].append(self.row)
        if tag in ("h2", "title", "td"):
            self.field = None

    def handle_data(self, data: str) -> None:
        if self.field == "heading":
            self.sections[-1]["heading"] += data
        elif self.field == "bar":
            self.sections[-1]["bars"][-1] += data
        elif self.field == "td" and self.row is not None:
            self.row[-1] += data


def test_the_report_page_charts_what_the_records_say_and_renders(
    history: list[dict[str, Any]],
    chromium: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    page = tmp_path / "calls.html"
    result = run("calls", "tenants/example", "--from", "2026-12-21", "--to", "2026-12-27", "--html", str(page))
    assert result.exit_code == 0, result.output
    source = page.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", source) and "<script" not in source

    parser = Charts()
    parser.feed(browse(chromium, tmp_path, "--dump-dom", page.as_uri()).stdout.decode())
    by_heading = {s["heading"]: s for s in parser.sections}
    days = by_heading["Calls per day"]
    assert days["rows"] == [["2026-12-21", "41"], ["2026-12-22", "40"], ["2026-12-24", "40"]]
    assert days["bars"] == ["2026-12-21: 41 calls", "2026-12-22: 40 calls", "2026-12-24: 40 calls"]
    hours = by_heading["Calls per hour of the day"]
    assert len(hours["rows"]) == 24 and sum(int(r[1]) for r in hours["rows"]) == 121
    assert len(hours["bars"]) == 10  # 08:00 to 17:00; empty hours draw no bar

    users = by_heading["Per user: answered, voicemail, missed"]
    outcomes = Counter((d["call-orig-to-user"], d["call-disconnect-reason-text"]) for d in history)
    assert [r[0] for r in users["rows"]] == ["101 Alice Chen", "102 Bob Martin", "103 Carol Diaz", "104 Dev Patel"]
    assert sum(int(r[1]) + int(r[2]) + int(r[3]) + int(r[4]) for r in users["rows"]) == 120
    assert int(users["rows"][0][1]) + int(users["rows"][0][2]) == outcomes[("101", "Normal Clearing")]
    queues = by_heading["Per queue: answered, voicemail, missed"]
    assert queues["rows"] == [["400 Support", "0", "0", "0", "1"]]
    busiest = by_heading["Busiest hours"]
    assert len(busiest["rows"]) == 10 and all(int(r[1]) >= 4 for r in busiest["rows"])

    shot = tmp_path / "calls.png"
    browse(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1200,900", page.as_uri())
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1200, 900)
    assert len(png) > 20_000  # a blank or unstyled page compresses to far less
