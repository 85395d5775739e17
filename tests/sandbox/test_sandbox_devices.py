"""SIP devices of a user: CRUD, counts, the domain list, 409, generated password, cascade on user delete."""

from __future__ import annotations

import httpx

from .helpers import make_user

D = "/domains/acme"
DEV = f"{D}/users/1000/devices"
ACCEPTED = {"code": 202, "message": "Accepted"}


async def test_device_crud_and_count(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    assert (await client.get(f"{DEV}/count")).json() == {"total": 0}
    r = await client.post(DEV, json={"device": "1000a", "synchronous": "yes"})
    assert r.status_code == 200
    device = r.json()
    assert device["device"] == "1000a" and device["user"] == "1000" and device["domain"] == "acme"
    assert device["device-sip-registration-uri"] == "sip:1000a@acme"
    password = device["device-sip-registration-password"]
    assert len(password) == 16 and password.isalnum()
    assert device["device-sip-nat-traversal-enabled"] == "automatic" and device["name-full-name"] == "Ada Lovelace"

    r = await client.post(DEV, json={"device": "1000b", "device-sip-registration-password": "S3cretS3cret"})
    assert r.json() == ACCEPTED
    assert (await client.get(f"{DEV}/1000b")).json()["device-sip-registration-password"] == "S3cretS3cret"
    assert (await client.get(f"{DEV}/count")).json() == {"total": 2}
    assert [d["device"] for d in (await client.get(DEV)).json()] == ["1000a", "1000b"]

    assert (await client.put(f"{DEV}/1000a", json={"device-srtp-enabled": "opportunistic"})).json() == ACCEPTED
    assert (await client.get(f"{DEV}/1000a")).json()["device-srtp-enabled"] == "opportunistic"
    assert (await client.put(f"{DEV}/1000a", json={"device-srtp-enabled": "maybe"})).status_code == 400

    assert (await client.delete(f"{DEV}/1000b")).json() == ACCEPTED
    assert (await client.get(f"{DEV}/1000b")).status_code == 404
    assert (await client.get(f"{DEV}/count")).json() == {"total": 1}


async def test_device_required_duplicate_and_domain_list(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    await make_user(client, "1001")
    r = await client.post(DEV, json={"device-srtp-enabled": "no"})
    assert r.status_code == 400 and "device" in r.json()["message"]
    assert (await client.post(DEV, json={"device": "1000a"})).json() == ACCEPTED
    assert (await client.post(DEV, json={"device": "1000a"})).status_code == 409
    other = await client.post(f"{D}/users/1001/devices", json={"device": "1000a"})
    assert other.status_code == 409  # the AOR sip:1000a@acme is one per domain
    assert (await client.post(f"{D}/users/1001/devices", json={"device": "1001a"})).json() == ACCEPTED
    listed = (await client.get(f"{D}/devices")).json()
    assert sorted((d["user"], d["device"]) for d in listed) == [("1000", "1000a"), ("1001", "1001a")]
    assert (await client.get(f"{D}/devices/count")).json() == {"total": 2}
    assert (await client.get(f"{D}/devices/1001a/count")).json() == {"total": 1}
    assert (await client.get(f"{D}/devices/1001b/count")).json() == {"total": 0}
    assert (await client.post(f"{D}/users/4040/devices", json={"device": "x"})).status_code == 404


async def test_deleting_a_user_deletes_their_devices(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    assert (await client.post(DEV, json={"device": "1000a"})).json() == ACCEPTED
    assert (await client.delete(f"{D}/users/1000")).json() == ACCEPTED
    assert (await client.get(f"{D}/devices")).json() == []
    await make_user(client, "1000")
    assert (await client.post(DEV, json={"device": "1000a"})).json() == ACCEPTED  # the name is free again
