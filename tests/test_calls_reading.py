"""Reading call records through the provider: whole pages, streamed, and a user's calls once each."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from skyconf.calls.records import CallRecord
from skyconf.config import SANDBOX_TOKEN
from skyconf.pipeline import Session
from skyconf.providers.netsapiens.cdrs import PAGE_SIZE
from skyconf.sandbox.calls import post_calls

from .conftest import run

DOMAIN = "acme.example.com"


def place(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return post_calls(None, SANDBOX_TOKEN, os.environ["SKYCONF_SANDBOX_DB"], calls)


def read(root: Path, users: tuple[str, ...] = ()) -> tuple[list[CallRecord], int]:
    """The records of December 2026, and how many GETs of call records it took."""
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    async def go() -> tuple[list[CallRecord], int]:
        async with Session(root) as session:
            provider: Any = session.provider("sandbox")
            found = [r async for r in provider.calls(DOMAIN, start, start + dt.timedelta(days=31), users, "CA")]
            log = provider.sandbox_log
            return found, sum(1 for e in log.exchanges if e.method == "GET" and "/cdrs" in e.path)

    return asyncio.run(go())


def test_records_are_read_page_by_page_in_start_order(workspace: Path) -> None:
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    base = dt.datetime(2026, 12, 2, 14, tzinfo=dt.UTC)
    n = 2 * PAGE_SIZE + 300
    calls = [
        {"domain": DOMAIN, "to": "400", "from": "+14165550123", "at": (base + dt.timedelta(minutes=7 * i)).isoformat()}
        for i in range(n)
    ]
    place(calls)
    records, gets = read(workspace)
    assert len(records) == n and gets == 3
    assert [r.start for r in records] == sorted(r.start for r in records)
    assert {(r.outcome, r.target, r.direction, r.caller) for r in records} == {
        ("forwarded", "queue:400", "inbound", "+14165550123")
    }


def test_a_users_records_come_once_even_when_they_are_in_two_lists(workspace: Path) -> None:
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    placed = place(
        [
            # Monday 21 December, 10:00 in Toronto: 103 calls 102, who is in open hours and picks up.
            {"domain": DOMAIN, "to": "102", "from": "103", "at": "2026-12-21T15:00:00Z", "answer": "102"},
            {"domain": DOMAIN, "to": "101", "from": "+16475550188", "at": "2026-12-21T15:05:00Z", "answer": "none"},
        ]
    )
    records, gets = read(workspace, ("102", "103"))
    assert [r.id for r in records] == [placed[0]["id"]]
    only = records[0]
    assert (only.direction, only.caller, only.dialled, only.outcome, only.target) == (
        "internal",
        "103",
        "102",
        "answered",
        "102",
    )
    assert (only.ring_seconds, only.talk_seconds, only.total_seconds) == (5, 60, 65)
    assert gets == 2

    alice, _ = read(workspace, ("101",))
    assert [(r.outcome, r.target, r.ring_seconds) for r in alice] == [("voicemail", "101", 25)]


def test_placing_a_call_from_the_command_line(workspace: Path) -> None:
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    result = run("sandbox", "call", "--domain", DOMAIN, "--to", "104", "--at", "2026-12-25 10:00")
    assert result.exit_code == 0, result.output
    # Christmas Day: 104 has no holiday rule, so the default one forwards to Dev's mobile.
    assert "to 104 at 2026-12-25T15:00:00Z: ended at 16045550144" in result.output
    records, _ = read(workspace)
    assert [(r.outcome, r.target) for r in records] == [("forwarded", "+16045550144")]
    bad = run("sandbox", "call", "--domain", "nowhere.example.com", "--to", "104", "--at", "2026-12-25 10:00")
    assert bad.exit_code == 1 and "no domain nowhere.example.com" in bad.output


def test_a_server_that_ignores_start_is_an_error_not_an_endless_read() -> None:
    from skyconf.errors import PbxError
    from skyconf.providers.netsapiens.cdrs import read_calls

    page = [{"id": f"c{i}", "call-start-datetime": "2026-12-01T10:00:00Z"} for i in range(PAGE_SIZE)]

    class SamePage:
        requests = 0

        async def request(self, method: str, path: str, **_: Any) -> list[dict[str, Any]]:
            self.requests += 1
            return page

    api = SamePage()
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    async def drain() -> int:
        return len([r async for r in read_calls(api, DOMAIN, start, start + dt.timedelta(days=1))])  # type: ignore[arg-type]

    with pytest.raises(PbxError, match="ignores `start`"):
        asyncio.run(drain())
    assert api.requests == 2
