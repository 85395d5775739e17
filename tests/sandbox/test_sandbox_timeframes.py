"""Time frames: the variant dispatch of API-NOTES section 4, for domain and user scope."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import make_frame, make_user

D = "/domains/acme/timeframes"
U = "/domains/acme/users/1000/timeframes"
DATES = "timeframe-specific-dates-array"
HOLIDAYS = "timeframe-holiday-array"
DOW = "timeframe-days-of-week-array"


def date_range(begin: str = "20291224", end: str = "20291226", end_time: str = "2400") -> dict[str, str]:
    return {
        "timeframe-specific-dates-begin-date": begin,
        "timeframe-specific-dates-begin-time": "0000",
        "timeframe-specific-dates-end-date": end,
        "timeframe-specific-dates-end-time": end_time,
        "timeframe-recurrence-type": "doesNotRecur",
        "timeframe-recurrence-custom-interval": "",
        "timeframe-recurrence-custom-interval-count": "",
        "timeframe-recurrence-custom-interval-option": "",
        "timeframe-recurrence-end-option": "",
        "timeframe-recurrence-end-date": "",
    }


def weekdays(begin: str = "0900", end: str = "1700") -> dict[str, str]:
    entry = {"timeframe-recurrence-type": "weekly", "timeframe-recurrence-end-option": "never"}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        entry[f"timeframe-weekly-{day}-begin-time-1"] = begin
        entry[f"timeframe-weekly-{day}-end-time-1"] = end
    return entry


def holiday(uuid: str = "h-newyear", name: str = "New Year's Day", date: str = "20300101") -> dict[str, str]:
    entry = {
        "timeframe-holiday-uuid": uuid,
        "timeframe-holiday-name": name,
        "timeframe-holiday-begin-date": date,
        "country-abbreviation": "US",
        "state-province-abbreviation": "",
        "holiday-api-location-hint": "All",
        "timeframe-holiday-begin-time-1": "0000",
        "timeframe-holiday-end-time-1": "2400",
        "timeframe-holiday-begin-time-2": "",
        "timeframe-holiday-end-time-2": "",
        "timeframe-workweek-list": "M,T,W,Th,F",
        "timeframe-recurrence-type": "yearlyOnHoliday",
        "timeframe-recurrence-end-option": "never",
        "timeframe-recurrence-end-date": "",
    }
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
        entry[f"timeframe-weekly-{day}-observance-option"] = "observe-on-holiday-only"
    return entry


async def create(client: httpx.AsyncClient, base: str, name: str, kind: str, **arrays: Any) -> dict[str, Any]:
    body = {"timeframe-name": name, "timeframe-type": kind, "synchronous": "yes", **arrays}
    r = await client.post(base, json=body)
    assert r.status_code == 200, r.text
    frame: dict[str, Any] = r.json()
    return frame


async def read(client: httpx.AsyncClient, base: str, frame_id: str) -> dict[str, Any]:
    r = await client.get(f"{base}/{frame_id}")
    assert r.status_code == 200, r.text
    frame: dict[str, Any] = r.json()
    return frame


@pytest.fixture
async def user(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")


async def test_create_every_type_generates_ids(client: httpx.AsyncClient) -> None:
    always = await create(client, D, "Always", "always")
    assert always["timeframe-type"] == "always"
    assert always[DATES] == always[HOLIDAYS] == always[DOW] == []
    dow = await create(client, D, "Business Hours", "days-of-week", **{DOW: [weekdays()]})
    dates = await create(client, D, "Christmas", "specific-dates", **{DATES: [date_range(), date_range("20301224")]})
    hol = await create(client, D, "Holidays", "holiday", **{HOLIDAYS: [holiday()]})
    custom = await create(
        client, D, "Mixed", "custom", **{DATES: [date_range()], HOLIDAYS: [holiday()], DOW: [weekdays()]}
    )
    ids = {f["timeframe-id"] for f in (always, dow, dates, hol, custom)}
    assert len(ids) == 5 and "" not in ids
    entry = dates[DATES][1]
    assert entry["timeframe-id"] and entry["timeframe-id"] != dates[DATES][0]["timeframe-id"]
    assert entry["timeframe-parent-id"] == dates["timeframe-id"]
    assert entry["ordinal-order"] == 2
    assert entry["timeframe-specific-dates-end-time"] == "2400"
    assert dow[DOW][0]["timeframe-weekly-monday-begin-time-1"] == "0900"
    assert dow[DOW][0]["timeframe-weekly-sunday-begin-time-1"] == ""  # not sent: empty string
    assert hol[HOLIDAYS][0]["timeframe-holiday-name"] == "New Year's Day"
    assert [len(custom[a]) for a in (DATES, HOLIDAYS, DOW)] == [1, 1, 1]
    listed = (await client.get(D)).json()
    assert [f["timeframe-name"] for f in listed] == ["Always", "Business Hours", "Christmas", "Holidays", "Mixed"]


async def test_create_without_synchronous_is_202(client: httpx.AsyncClient) -> None:
    r = await client.post(D, json={"timeframe-name": "Always", "timeframe-type": "always"})
    assert (r.status_code, r.json()) == (202, {"code": 202, "message": "Accepted"})


@pytest.mark.parametrize(
    ("kind", "arrays"),
    [
        ("always", {DOW: [weekdays()]}),
        ("specific-dates", {DOW: [weekdays()]}),
        ("holiday", {DATES: [date_range()]}),
        ("days-of-week", {HOLIDAYS: [holiday()], DOW: [weekdays()]}),
        ("days-of-week", {DOW: [weekdays(), weekdays()]}),
        ("days-of-week", {}),
        ("weekly", {}),
        ("specific-dates", {DATES: [date_range(end_time="2500")]}),
        ("specific-dates", {DATES: [date_range(begin="2029-12-24")]}),
        ("specific-dates", {DATES: [{"timeframe-specific-dates-begin-date": "20291224"}]}),
        ("specific-dates", {DATES: "not-a-list"}),
    ],
)
async def test_create_rejects_arrays_that_do_not_fit(
    client: httpx.AsyncClient, kind: str, arrays: dict[str, Any]
) -> None:
    r = await client.post(D, json={"timeframe-name": "X", "timeframe-type": kind, "synchronous": "yes", **arrays})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == 400
    assert (await client.get(D)).json() == []


async def test_names_unique_per_scope(client: httpx.AsyncClient, user: None) -> None:
    await make_frame(client, "Lunch")
    r = await client.post(D, json={"timeframe-name": "Lunch", "timeframe-type": "always"})
    assert r.status_code == 409
    await make_frame(client, "Lunch", user="1000")  # same name in another scope is fine
    assert [f["timeframe-name"] for f in (await client.get(U)).json()] == ["Lunch"]
    assert len((await client.get(D)).json()) == 1


async def test_post_to_id_appends_entries(client: httpx.AsyncClient) -> None:
    frame = await create(client, D, "Closures", "specific-dates", **{DATES: [date_range()]})
    fid = frame["timeframe-id"]
    r = await client.post(f"{D}/{fid}", json={DATES: [date_range("20300101", "20300101")]})
    assert (r.status_code, r.json()) == (202, {"code": 202, "message": "Accepted"})
    assert [e["timeframe-specific-dates-begin-date"] for e in (await read(client, D, fid))[DATES]] == [
        "20291224",
        "20300101",
    ]
    assert (await client.post(f"{D}/{fid}", json={HOLIDAYS: [holiday()]})).status_code == 400
    dow = await create(client, D, "Hours", "days-of-week", **{DOW: [weekdays()]})
    assert (await client.post(f"{D}/{dow['timeframe-id']}", json={DOW: [weekdays()]})).status_code == 400


async def test_put_replaces_the_arrays_present(client: httpx.AsyncClient) -> None:
    frame = await create(client, D, "Closures", "specific-dates", **{DATES: [date_range(), date_range("20300101")]})
    fid = frame["timeframe-id"]
    r = await client.put(f"{D}/{fid}", json={DATES: [date_range("20310704", "20310704")]})
    assert r.status_code == 200
    after = await read(client, D, fid)
    assert [e["timeframe-specific-dates-begin-date"] for e in after[DATES]] == ["20310704"]
    assert after["timeframe-id"] == fid and after["timeframe-name"] == "Closures"
    assert after[DATES][0]["timeframe-id"] not in {e["timeframe-id"] for e in frame[DATES]}


@pytest.mark.parametrize("flag", ["update-only", "update_only"])
async def test_put_update_only_merges_by_entry_id(client: httpx.AsyncClient, flag: str) -> None:
    frame = await create(client, D, "Closures", "specific-dates", **{DATES: [date_range(), date_range("20300101")]})
    fid = frame["timeframe-id"]
    first, second = (e["timeframe-id"] for e in frame[DATES])
    r = await client.put(
        f"{D}/{fid}",
        json={flag: "yes", DATES: [{"timeframe-id": second, "timeframe-specific-dates-end-time": "1200"}]},
    )
    assert r.status_code == 200
    after = await read(client, D, fid)
    assert [e["timeframe-id"] for e in after[DATES]] == [first, second]
    assert after[DATES][1]["timeframe-specific-dates-end-time"] == "1200"
    assert after[DATES][1]["timeframe-specific-dates-begin-date"] == "20300101"
    assert after[DATES][0]["timeframe-specific-dates-end-time"] == "2400"
    r = await client.put(f"{D}/{fid}", json={flag: "yes", DATES: [{"timeframe-id": "nope"}]})
    assert r.status_code == 404
    r = await client.put(f"{D}/{fid}", json={flag: "yes", DATES: [date_range()]})
    assert r.status_code == 400  # update-only entries need their id


async def test_update_only_days_of_week_replaces_the_single_entry(client: httpx.AsyncClient) -> None:
    frame = await create(client, D, "Hours", "days-of-week", **{DOW: [weekdays()]})
    fid = frame["timeframe-id"]
    r = await client.put(f"{D}/{fid}", json={"update-only": "yes", DOW: [weekdays("0800", "1800")]})
    assert r.status_code == 200
    after = await read(client, D, fid)
    assert len(after[DOW]) == 1
    assert after[DOW][0]["timeframe-weekly-friday-end-time-1"] == "1800"


async def test_holiday_update_only_keeps_the_holiday_identity(client: httpx.AsyncClient) -> None:
    frame = await create(client, D, "Holidays", "holiday", **{HOLIDAYS: [holiday()]})
    fid, hid = frame["timeframe-id"], frame[HOLIDAYS][0]["timeframe-id"]
    ok_change = {"timeframe-id": hid, "timeframe-workweek-list": "M,T,W,Th,F,S"}
    assert (await client.put(f"{D}/{fid}", json={"update-only": "yes", HOLIDAYS: [ok_change]})).status_code == 200
    bad_change = {"timeframe-id": hid, "timeframe-holiday-name": "Other"}
    assert (await client.put(f"{D}/{fid}", json={"update-only": "yes", HOLIDAYS: [bad_change]})).status_code == 400
    assert (await read(client, D, fid))[HOLIDAYS][0]["timeframe-workweek-list"] == "M,T,W,Th,F,S"


async def test_convert_rules(client: httpx.AsyncClient, user: None) -> None:
    dates = await create(client, D, "Closures", "specific-dates", **{DATES: [date_range()]})
    assert (await client.put(f"{D}/{dates['timeframe-id']}", json={"type": "custom"})).status_code == 200
    converted = await read(client, D, dates["timeframe-id"])
    assert converted["timeframe-type"] == "custom" and len(converted[DATES]) == 1  # X -> custom keeps entries
    assert (await client.put(f"{D}/{dates['timeframe-id']}", json={"type": "holiday"})).status_code == 400

    hol = await create(client, D, "Holidays", "holiday", **{HOLIDAYS: [holiday()]})
    assert (await client.put(f"{D}/{hol['timeframe-id']}", json={"type": "specific-dates"})).status_code == 200
    dropped = await read(client, D, hol["timeframe-id"])
    assert dropped["timeframe-type"] == "specific-dates" and dropped[HOLIDAYS] == []

    always = await create(client, U, "Always", "always")
    r = await client.put(f"{U}/{always['timeframe-id']}", json={"timeframe-type": "custom"})  # user spelling
    assert r.status_code == 200
    assert r.json()["timeframe-type"] == "custom" and r.json()[DATES] == []
    assert (await client.put(f"{D}/{hol['timeframe-id']}", json={"type": "weekly"})).status_code == 400


async def test_delete_entry_then_frame(client: httpx.AsyncClient) -> None:
    frame = await create(client, D, "Closures", "specific-dates", **{DATES: [date_range(), date_range("20300101")]})
    fid = frame["timeframe-id"]
    first = frame[DATES][0]["timeframe-id"]
    r = await client.request("DELETE", f"{D}/{fid}", json={"child_id": first})
    assert (r.status_code, r.json()) == (202, {"code": 202, "message": "Accepted"})
    assert [e["timeframe-specific-dates-begin-date"] for e in (await read(client, D, fid))[DATES]] == ["20300101"]
    assert (await client.request("DELETE", f"{D}/{fid}", json={"child_id": first})).status_code == 404
    assert (await client.delete(f"{D}/{fid}")).status_code == 202
    assert (await client.get(f"{D}/{fid}")).status_code == 404
    assert (await client.delete(f"{D}/{fid}")).status_code == 404


async def test_user_frames_need_the_user(client: httpx.AsyncClient) -> None:
    r = await client.post(U, json={"timeframe-name": "Lunch", "timeframe-type": "always"})
    assert r.status_code == 404
    assert (await client.get(U)).status_code == 404
