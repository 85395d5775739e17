"""Answer rules: order semantics, feature blocks, 409/404s and reorder rules and error texts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import make_frame, make_user

U = "/domains/acme/users/1000/answerrules"
FEATURES = {
    "do-not-disturb",
    "call-screening",
    "forward-always",
    "forward-on-active",
    "forward-on-busy",
    "forward-no-answer",
    "forward-when-unregistered",
    "forward-on-dnd",
    "forward-on-spam-call",
    "simultaneous-ring",
    "phone-numbers-to-allow",
    "phone-numbers-to-reject",
}


@pytest.fixture(autouse=True)
async def setup(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    await make_user(client, "1001")  # forward and ring targets must exist
    await make_frame(client, "Business Hours")  # domain frame
    await make_frame(client, "Lunch", user="1000")  # user frame
    await make_frame(client, "Holidays")


async def add(client: httpx.AsyncClient, frame: str, **body: Any) -> None:
    r = await client.post(U, json={"time-frame": frame, "enabled": "yes", "synchronous": "no", **body})
    assert (r.status_code, r.json()) == (202, {"code": 202, "message": "Accepted"}), r.text


async def orders(client: httpx.AsyncClient) -> list[tuple[str, int]]:
    rules = (await client.get(U)).json()
    assert all(r["order"] == r["ordinal-priority"] for r in rules)
    return [(r["time-frame"], r["order"]) for r in rules]


async def test_order_default_rule_is_99_and_new_rules_append(client: httpx.AsyncClient) -> None:
    await add(client, "*")
    await add(client, "Business Hours")
    await add(client, "Lunch")
    assert await orders(client) == [("Business Hours", 1), ("Lunch", 2), ("*", 99)]
    await add(client, "Holidays", **{"new-position": "top"})
    assert await orders(client) == [("Holidays", 1), ("Business Hours", 2), ("Lunch", 3), ("*", 99)]
    assert (await client.get(f"{U}/count")).json() == {"total": 4}


async def test_features_read_back_as_enabled_and_string_parameters(client: httpx.AsyncClient) -> None:
    await make_user(client, "3456")
    r = await client.post(
        U,
        json={
            "time-frame": "Business Hours",
            "enabled": "yes",
            "synchronous": "yes",
            "forward-always": {"enabled": "yes", "parameters": [18005551234]},
            "simultaneous-ring": {"enabled": "yes", "parameters": ["1001", "3456;delay=15", "<OwnDevices>"]},
            "do-not-disturb": {"enabled": "no"},
        },
    )
    assert r.status_code == 200
    rule = r.json()
    assert set(rule) >= FEATURES | {"domain", "user", "time-frame", "enabled", "is-active", "order"}
    assert rule["forward-always"] == {"enabled": "yes", "parameters": ["18005551234"]}
    assert rule["simultaneous-ring"]["parameters"] == ["1001", "3456;delay=15", "<OwnDevices>"]
    assert rule["do-not-disturb"] == {"enabled": "no", "parameters": []}
    assert rule["forward-on-spam-call"] == {"enabled": "no", "parameters": []}
    assert rule["is-active"] is True
    assert (await client.get(f"{U}/Business%20Hours")).json() == rule


async def test_put_merges_feature_blocks(client: httpx.AsyncClient) -> None:
    await add(client, "Lunch", **{"forward-always": {"enabled": "no", "parameters": ["user_1001"]}})
    r = await client.put(f"{U}/Lunch", json={"enabled": "no", "forward-always": {"enabled": "yes"}})
    assert (r.status_code, r.json()) == (202, {"code": 202, "message": "Accepted"})
    rule = (await client.get(f"{U}/Lunch")).json()
    assert rule["enabled"] == "no" and rule["is-active"] is False
    assert rule["forward-always"] == {"enabled": "yes", "parameters": ["user_1001"]}
    bad = await client.put(f"{U}/Lunch", json={"forward-always": {"enabled": True}})
    assert bad.status_code == 400


async def test_409_404_and_delete(client: httpx.AsyncClient) -> None:
    await add(client, "*")
    r = await client.post(U, json={"time-frame": "*", "enabled": "yes"})
    assert r.status_code == 409
    r = await client.post(U, json={"time-frame": "Nope", "enabled": "yes"})
    assert r.status_code == 404
    assert (await client.get(f"{U}/Lunch")).status_code == 404
    assert (await client.put(f"{U}/Lunch", json={"enabled": "no"})).status_code == 404
    assert (await client.delete(f"{U}/%2A")).status_code == 202
    assert (await client.get(U)).json() == []
    assert (await client.get("/domains/acme/users/4040/answerrules")).status_code == 404


async def test_reorder_put_with_objects_and_post_with_names(client: httpx.AsyncClient) -> None:
    for frame in ("Business Hours", "Lunch", "*", "Holidays"):
        await add(client, frame)
    body = [{"time-frame": "Holidays"}, {"time-frame": "Lunch"}, {"time-frame": "Business Hours"}, {"time-frame": "*"}]
    r = await client.put(f"{U}/reorder", json=body)
    assert (r.status_code, r.json()) == (202, {"code": 202, "message": "Accepted"})
    assert await orders(client) == [("Holidays", 1), ("Lunch", 2), ("Business Hours", 3), ("*", 99)]
    r = await client.post(f"{U}/reorder", json=["Lunch", "*", "Business Hours", "Holidays"])
    assert r.status_code == 202
    # the default rule stays last whatever its position in the list
    assert await orders(client) == [("Lunch", 1), ("Business Hours", 2), ("Holidays", 3), ("*", 99)]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (["Lunch", "Business Hours"], 400, "Please provide all timeframes in the new order."),
        (["Lunch", "Business Hours", "*", "*"], 400, "Please provide all timeframes in the new order."),
        (["Lunch", "Business Hours", "*", "Holidays"], 404, "Not Found. Timeframe input was not found."),
        (["Lunch", "Business Hours", "Nope"], 404, "Not Found. Timeframe input was not found."),
        ({"time-frame": "Lunch"}, 400, "Please provide all timeframes in the new order."),
    ],
)
async def test_reorder_errors(client: httpx.AsyncClient, body: Any, status: int, message: str) -> None:
    for frame in ("Business Hours", "Lunch", "*"):
        await add(client, frame)
    r = await client.put(f"{U}/reorder", json=body)
    assert (r.status_code, r.json()) == (status, {"code": status, "message": message})
    assert await orders(client) == [("Business Hours", 1), ("Lunch", 2), ("*", 99)]


async def test_aliases_for_my_domain_and_user(client: httpx.AsyncClient) -> None:
    await add(client, "Lunch")
    mine = (await client.get("/domains/~/users/~/answerrules")).json()
    assert [r["time-frame"] for r in mine] == ["Lunch"]
