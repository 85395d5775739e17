"""Simulated calls and the CDR endpoints: routing by the stored rules, the spec's paging and filters."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import httpx

from .helpers import AUTH, make_user

SANDBOX = Path(__file__).resolve().parents[2] / "skyconf" / "sandbox"
WINDOW = {"datetime-start": "2026-12-01T00:00:00Z", "datetime-end": "2027-01-01T00:00:00Z"}


async def place(client: httpx.AsyncClient, *calls: dict[str, Any]) -> list[dict[str, Any]]:
    r = await client.post("http://sandbox.test/_sandbox/calls", json=[{"domain": "acme", **c} for c in calls])
    assert r.status_code == 200, r.text
    docs: list[dict[str, Any]] = r.json()
    return docs


async def office(client: httpx.AsyncClient) -> None:
    """1000 forwards to 1001 in office hours (Mon 09:00-17:00 UTC) and rings with a 15 s timeout otherwise."""
    await make_user(client, "1000", **{"time-zone": "UTC", "ring-no-answer-timeout-seconds": 15})
    await make_user(client, "1001", **{"time-zone": "UTC", "voicemail-enabled": "no"})
    frame = {
        "timeframe-name": "Office",
        "timeframe-type": "days-of-week",
        "timeframe-days-of-week-array": [
            {"timeframe-weekly-monday-begin-time-1": "0900", "timeframe-weekly-monday-end-time-1": "1700"}
        ],
        "synchronous": "yes",
    }
    assert (await client.post("/domains/acme/timeframes", json=frame)).status_code == 200
    rules = [
        {"time-frame": "Office", "forward-always": {"enabled": "yes", "parameters": ["user_1001"]}},
        {"time-frame": "*", "forward-no-answer": {"enabled": "yes", "parameters": ["vmail_1001"]}},
    ]
    for rule in rules:
        r = await client.post("/domains/acme/users/1000/answerrules", json={**rule, "synchronous": "yes"})
        assert r.status_code == 200, r.text


def ended(doc: dict[str, Any]) -> str:
    return str(doc["call-term-to-uri"]).removeprefix("sip:").partition("@")[0]


async def test_calls_follow_the_stored_rules_and_time_frames(client: httpx.AsyncClient) -> None:
    await office(client)
    monday_in, monday_out = "2026-12-07T10:00:00Z", "2026-12-07T18:00:00Z"
    docs = await place(
        client,
        {"to": "1000", "from": "+14165550100", "at": monday_in, "answer": "1001"},
        {"to": "1000", "from": "+14165550100", "at": monday_in},  # 1001 has no voicemail: missed
        {"to": "1000", "from": "+14165550100", "at": monday_out, "answer": "1000"},
        {"to": "1000", "from": "1001", "at": monday_out},
    )
    assert [ended(d) for d in docs] == ["1001", "1001", "1000", "vmail_1001"]
    assert [d["call-disconnect-reason-text"] for d in docs] == [
        "Normal Clearing",
        "No Answer",
        "Normal Clearing",
        "Normal Clearing",
    ]
    assert [d["call-direction"] for d in docs] == [1, 1, 1, 2]
    assert docs[3]["call-through-action"] == "forward-no-answer"
    assert docs[3]["call-answer-datetime"] == "2026-12-07T18:00:15Z"  # after 1000's 15 s ring timeout
    assert docs[0]["call-answer-datetime"] and not docs[1]["call-answer-datetime"]


async def test_a_disabled_rule_and_a_loop(client: httpx.AsyncClient) -> None:
    await office(client)
    r = await client.put(
        "/domains/acme/users/1001/answerrules/*", json={"forward-always": {"enabled": "yes", "parameters": ["1000"]}}
    )
    assert r.status_code in (202, 404)
    if r.status_code == 404:
        body = {"time-frame": "*", "forward-always": {"enabled": "yes", "parameters": ["1000"]}, "synchronous": "yes"}
        assert (await client.post("/domains/acme/users/1001/answerrules", json=body)).status_code == 200
    (loop,) = await place(client, {"to": "1000", "at": "2026-12-07T10:00:00Z"})
    assert loop["call-disconnect-reason-text"] == "No Route"
    await client.put("/domains/acme/users/1000/answerrules/Office", json={"enabled": "no"})
    (rang,) = await place(client, {"to": "1000", "at": "2026-12-07T10:00:00Z", "answer": "1000"})
    assert ended(rang) == "1000"


async def test_cdrs_page_filter_and_count_as_the_spec_says(client: httpx.AsyncClient) -> None:
    await office(client)
    days = [f"2026-12-{d:02d}T{h:02d}:00:00Z" for d in range(1, 26) for h in range(10)]
    await place(client, *({"to": "1000", "from": "+14165550100", "at": at, "answer": "1000"} for at in days))
    await place(client, {"to": "1001", "from": "1000", "at": "2026-12-31T23:00:00Z", "answer": "1001"})
    pages = []
    for start in (0, 100, 200, 300):
        r = await client.get("/domains/acme/cdrs", params={**WINDOW, "start": start, "limit": 100})
        assert r.status_code == 200
        pages.append(r.json())
    assert [len(p) for p in pages] == [100, 100, 51, 0]
    starts = [d["call-start-datetime"] for p in pages for d in p]
    assert starts == sorted(starts) and len(set(d["id"] for p in pages for d in p)) == 251
    assert len((await client.get("/domains/acme/cdrs", params=WINDOW)).json()) == 100  # the default limit

    narrow = {"datetime-start": "2026-12-02 00:00:00", "datetime-end": "2026-12-03T00:00:00-00:00[UTC]"}
    assert len((await client.get("/domains/acme/cdrs", params=narrow)).json()) == 10
    count = (await client.get("/domains/acme/cdrs/count", params=WINDOW)).json()
    # Mondays at 09:00 (7, 14, 21 December) the office rule sends the call to 1001, who does not pick up.
    assert count == {"total": 251, "minutes": 248, "seconds": 248 * 60}

    mine = (await client.get("/domains/acme/users/1001/cdrs", params=WINDOW)).json()
    # 1001's records: the call dialled to 1001, and the three forwarded to 1001 that ended there.
    assert [d["call-orig-to-user"] for d in mine] == ["1000", "1000", "1000", "1001"]
    assert (await client.get("/domains/acme/users/1000/cdrs/count", params=WINDOW)).json()["total"] == 251
    on_net = (await client.get("/domains/acme/cdrs", params={**WINDOW, "type": "On-net"})).json()
    assert len(on_net) == 1
    inbound = await client.get("/domains/acme/cdrs/count", params={**WINDOW, "type": "1"})
    assert inbound.json()["total"] == 250


async def test_cdr_requests_the_spec_refuses(client: httpx.AsyncClient) -> None:
    await office(client)
    for params in (
        {"datetime-end": WINDOW["datetime-end"]},
        {**WINDOW, "limit": 1001},
        {**WINDOW, "start": -1},
        {**WINDOW, "type": "sideways"},
        {**WINDOW, "datetime-start": "yesterday"},
    ):
        assert (await client.get("/domains/acme/cdrs", params=params)).status_code == 400, params
    assert (await client.get("/domains/acme/users/9999/cdrs", params=WINDOW)).status_code == 404


async def test_placing_calls_needs_the_token_and_a_sound_body(client: httpx.AsyncClient) -> None:
    await office(client)
    url = "http://sandbox.test/_sandbox/calls"
    body = {"domain": "acme", "to": "1000", "at": "2026-12-07T10:00:00Z"}
    assert (await client.post(url, json=body, headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await client.post(url, json={**body, "at": "soon"}, headers=AUTH)).status_code == 400
    assert (await client.post(url, json={**body, "domain": "nowhere"}, headers=AUTH)).status_code == 400
    one = await client.post(url, json=body, headers=AUTH)
    assert one.status_code == 200 and one.json()["call-orig-to-user"] == "1000"


def test_the_call_router_is_the_sandboxs_own_reading() -> None:
    """Two independent readings of the same rules: the router imports nothing of skyconf but the sandbox."""
    for name in ("calls.py", "cdrs.py"):
        tree = ast.parse((SANDBOX / name).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        skyconf = {m for m in imported if m.split(".")[0] == "skyconf"}
        assert skyconf and all(m.startswith("skyconf.sandbox") for m in skyconf), (name, skyconf)
