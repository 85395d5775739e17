"""Users: create/read/update/delete, 409s, paging, the light list and the cascade on delete."""

from __future__ import annotations

import httpx

from .helpers import make_frame, make_user, user_body

D = "/domains/acme"


async def test_create_sync_returns_the_user_and_plain_create_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{D}/users", json=user_body("1000", **{"voicemail-login-pin": "4321"}))
    assert r.status_code == 200
    user = r.json()
    assert user["user"] == "1000"
    assert user["domain"] == "acme"
    assert user["login-username"] == "1000@acme"
    assert user["voicemail-login-pin"] == "4321"
    assert user["voicemail-enabled"] == "yes"  # spec default
    assert user["time-zone"] == "US/Pacific"  # inherited from the (auto-created) domain

    body = user_body("1001")
    del body["synchronous"]
    r = await client.post(f"{D}/users", json=body)
    assert (r.status_code, r.json()) == (202, {"code": 202, "message": "Accepted"})
    assert (await client.get(f"{D}/users/1001")).status_code == 200


async def test_duplicate_user_and_duplicate_login_are_409(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    r = await client.post(f"{D}/users", json=user_body("1000"))
    assert (r.status_code, r.json()) == (409, {"code": 409, "message": "UID already exists."})
    # login-username is unique across all domains
    r = await client.post("/domains/other/users", json=user_body("2000", **{"login-username": "1000@acme"}))
    assert (r.status_code, r.json()["message"]) == (409, "UID already exists.")
    await make_user(client, "2001", domain="other", **{"login-username": "boss@other"})
    r = await client.put(f"{D}/users/1000", json={"login-username": "boss@other"})
    assert r.status_code == 409


async def test_numeric_ids_are_strings_and_bad_input_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{D}/users", json=user_body(1005, **{"ring-no-answer-timeout-seconds": "30"}))  # type: ignore[arg-type]
    assert r.status_code == 200
    assert r.json()["user"] == "1005"
    assert r.json()["ring-no-answer-timeout-seconds"] == 30
    body = user_body("1006")
    del body["email"]
    r = await client.post(f"{D}/users", json=body)
    assert r.status_code == 400 and r.json()["code"] == 400 and "email" in r.json()["message"]
    r = await client.post(f"{D}/users", json=user_body("1007", **{"voicemail-enabled": True}))
    assert r.status_code == 400
    r = await client.post(f"{D}/users", json=user_body("1008", **{"user-scope": "Emperor"}))
    assert r.status_code == 400


async def test_update_merges_and_returns_every_field(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000", department="Sales", **{"email-send-alert-new-voicemail-enabled": "yes"})
    r = await client.put(
        f"{D}/users/1000",
        json={"name-first-name": "Grace", "caller-id-number": 18005551234, "unknown-field": "ignored"},
    )
    assert (r.status_code, r.json()) == (202, {"code": 202, "message": "Accepted"})
    user = (await client.get(f"{D}/users/1000")).json()
    assert user["name-first-name"] == "Grace"
    assert user["name-last-name"] == "Lovelace"
    assert user["department"] == "Sales"
    assert user["email-send-alert-new-voicemail-enabled"] == "yes"
    assert user["caller-id-number"] == "18005551234"
    assert "unknown-field" not in user


async def test_unknown_user_is_404_error_response(client: httpx.AsyncClient) -> None:
    for method in ("GET", "PUT", "DELETE"):
        r = await client.request(method, f"{D}/users/4040", json={} if method == "PUT" else None)
        assert r.status_code == 404
        assert r.json()["code"] == 404 and r.json()["message"]


async def test_paging_count_and_light_list(client: httpx.AsyncClient) -> None:
    for n in range(105):
        await make_user(client, str(2000 + n))
    first = (await client.get(f"{D}/users")).json()
    assert len(first) == 100  # default limit
    assert first[0]["user"] == "2000"
    rest = (await client.get(f"{D}/users", params={"start": 100, "limit": 100})).json()
    assert [u["user"] for u in rest] == [str(2100 + n) for n in range(5)]
    page = (await client.get(f"{D}/users", params={"start": 3, "limit": 2})).json()
    assert [u["user"] for u in page] == ["2003", "2004"]
    assert (await client.get(f"{D}/users/count")).json() == {"total": 105}
    assert (await client.get(f"{D}/users", params={"limit": 1001})).status_code == 400
    assert (await client.get(f"{D}/users", params={"limit": 0})).status_code == 400
    assert (await client.get(f"{D}/users", params={"start": "x"})).status_code == 400
    light = (await client.get(f"{D}/users/list", params={"fields": "email"})).json()
    assert set(light[0]) == {
        "user",
        "domain",
        "site",
        "name-first-name",
        "name-last-name",
        "department",
        "directory-name-number-dtmf-mapping",
        "email",
    }
    assert light[0]["directory-name-number-dtmf-mapping"] == 568  # L-O-V on the keypad


async def test_delete_cascades_to_rules_frames_contacts_and_moh(client: httpx.AsyncClient) -> None:
    U = f"{D}/users/1000"
    await make_user(client, "1000")
    await make_frame(client, "Lunch", user="1000")
    assert (await client.post(f"{U}/answerrules", json={"time-frame": "Lunch"})).status_code == 202
    assert (await client.post(f"{U}/answerrules", json={"time-frame": "*"})).status_code == 202
    assert (await client.post(f"{U}/contacts", json={"name-first-name": "Bob"})).status_code == 200
    assert (await client.post(f"{U}/moh", json={"script": "hold on"})).status_code == 202
    r = await client.delete(U)
    assert (r.status_code, r.json()) == (202, {"code": 202, "message": "Accepted"})
    assert (await client.get(U)).status_code == 404
    await make_user(client, "1000")
    for child in ("answerrules", "timeframes", "contacts", "moh"):
        assert (await client.get(f"{U}/{child}")).json() == [], child
