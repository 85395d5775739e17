"""The same writes against the ``standard`` and the ``legacy`` dialect: where they differ, and how."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from skyconf.sandbox import dialects
from skyconf.sandbox.app import create_app

from .helpers import AUTH, BASE, make_user

D = "/domains/acme"
ACCEPTED = {"code": 202, "message": "Accepted"}


@pytest.fixture(params=["standard", "legacy"])
async def pbx(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    app = create_app(":memory:", {AUTH["Authorization"].split()[1]: "1000@acme"}, dialect=request.param)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, headers=AUTH) as c:
        await make_user(c, "1000")
        yield request.param, c


def test_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="standard"):
        create_app(":memory:", ["t"], dialect="vintage")
    assert set(dialects.DIALECTS) == {"standard", "legacy"}


async def test_conference_bodies(pbx: tuple[str, httpx.AsyncClient]) -> None:
    name, client = pbx
    as_object = {"conference": "300", "name": "Bridge", "max_participants": 10}
    r = await client.post(f"{D}/conferences", json=as_object)
    assert r.status_code == (202 if name == "standard" else 400)
    as_array = [{"aor": "sip:301@acme", "name": "Other"}]
    assert (await client.post(f"{D}/conferences", json=as_array)).json() == ACCEPTED
    keys = [c["aor"] for c in (await client.get(f"{D}/conferences")).json()]
    assert keys == (["sip:300@acme", "sip:301@acme"] if name == "standard" else ["sip:301@acme"])


def dates(entry_id: str, day: str, end: str = "1700") -> dict[str, Any]:
    return {
        "timeframe-id": entry_id,
        "timeframe-specific-dates-begin-date": day,
        "timeframe-specific-dates-begin-time": "0900",
        "timeframe-specific-dates-end-date": day,
        "timeframe-specific-dates-end-time": end,
    }


@pytest.mark.parametrize("key", ["update-only", "update_only"])
async def test_update_only_spelling(pbx: tuple[str, httpx.AsyncClient], key: str) -> None:
    name, client = pbx
    body = {
        "timeframe-name": "Closed",
        "timeframe-type": "specific-dates",
        "synchronous": "yes",
        "timeframe-specific-dates-array": [dates("a", "20261224"), dates("b", "20261231")],
    }
    frame = (await client.post(f"{D}/timeframes", json=body)).json()
    update = {key: "yes", "timeframe-specific-dates-array": [dates("a", "20261224", end="1200")]}
    assert (await client.put(f"{D}/timeframes/{frame['timeframe-id']}", json=update)).status_code == 200
    got = (await client.get(f"{D}/timeframes/{frame['timeframe-id']}")).json()["timeframe-specific-dates-array"]
    merged = name == "standard" or key == "update_only"
    # merged: entry a changed in place, b kept; not merged: the unknown key is ignored and the array replaced
    assert [(e["timeframe-id"], e["timeframe-specific-dates-end-time"]) for e in got] == (
        [("a", "1200"), ("b", "1700")] if merged else [("a", "1200")]
    )


async def test_user_field_spellings(pbx: tuple[str, httpx.AsyncClient]) -> None:
    name, client = pbx
    spec = {"voicemail-playback-announce-datetime-received": "yes", "directory-announce-in-dial-by-name-enabled": "no"}
    live = {"voicemail-playback-announce-date-time-received": "yes", "directory-annouce-in-dial-by-name-enabled": "no"}
    assert (await client.put(f"{D}/users/1000", json=spec)).json() == ACCEPTED
    user = (await client.get(f"{D}/users/1000")).json()
    if name == "standard":  # the spec's date spelling, the live (sic) dial-by-name one
        date, dial = "voicemail-playback-announce-datetime-received", "directory-annouce-in-dial-by-name-enabled"
        assert (user[date], user[dial]) == ("yes", "yes") and set(user) & {*spec, *live} == {date, dial}
        assert (await client.put(f"{D}/users/1000", json=live)).json() == ACCEPTED
        assert (await client.get(f"{D}/users/1000")).json()[dial] == "no"
    else:  # the spec spellings are unknown here: accepted, ignored
        assert {k: user[k] for k in live} == {k: v for k, v in zip(live, ("no", "yes"), strict=True)}
        assert not set(spec) & set(user)
        assert (await client.put(f"{D}/users/1000", json=live)).json() == ACCEPTED
        user = (await client.get(f"{D}/users/1000")).json()
        assert {k: user[k] for k in live} == live


async def test_attendant_target_forms(pbx: tuple[str, httpx.AsyncClient]) -> None:
    name, client = pbx
    assert (await client.post(f"{D}/autoattendants", json={"attendant-name": "Main", "user": "500"})).status_code == 200
    rules = f"{D}/users/1000/answerrules"
    r = await client.post(rules, json={"time-frame": "*", "enabled": "yes"})
    assert r.json() == ACCEPTED
    for target in ("attendant_500", "2125550100_attendant_500", "aa_Main"):
        r = await client.put(f"{rules}/%2A", json={"forward-always": {"enabled": "yes", "parameters": [target]}})
        refused = name == "legacy" and target != "aa_Main"
        assert r.status_code == (400 if refused else 202), target
        if refused:
            assert target in r.json()["message"]
