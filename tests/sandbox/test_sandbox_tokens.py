"""OAuth tokens: password grant (JSON and the legacy form endpoint), refresh, expiry, and ``~``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from skyconf.sandbox.app import create_app

from .helpers import BASE, user_body

LEGACY = "http://sandbox.test/ns-api/oauth2/token/"
GRANT = {
    "grant_type": "password",
    "client_id": "portal",
    "client_secret": "client-secret",
    "username": "1000@acme",
    "password": "hunter2",
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def anon(clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        ":memory:",
        ["nss_admin"],
        users={"1000@acme": "hunter2"},
        clients={"portal": "client-secret"},
        token_ttl=60,
        clock=clock,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        r = await c.post("/domains/acme/users", json=user_body("1000"), headers={"Authorization": "Bearer nss_admin"})
        assert r.status_code == 200
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_password_grant_and_tilde(anon: httpx.AsyncClient) -> None:
    r = await anon.post("/tokens", json=GRANT)
    assert r.status_code == 200
    token = r.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 60
    assert token["apiversion"] == "Version: 44.1.2"
    assert (token["domain"], token["user"], token["uid"], token["scope"]) == ("acme", "1000", "1000@acme", "Basic User")
    assert token["access_token"] != token["refresh_token"]
    me = await anon.get("/domains/~/users/~", headers=bearer(token["access_token"]))
    assert me.status_code == 200 and (me.json()["user"], me.json()["domain"]) == ("1000", "acme")
    assert (await anon.get("/domains/acme/users/1000")).status_code == 401  # no token, no answer


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"password": "wrong"}, 401),
        ({"username": "1001@acme"}, 401),
        ({"client_secret": "nope"}, 401),
        ({"client_id": ""}, 400),
        ({"grant_type": "client_credentials"}, 400),
    ],
)
async def test_bad_grants(anon: httpx.AsyncClient, change: dict[str, str], status: int) -> None:
    r = await anon.post("/tokens", json={**GRANT, **change})
    assert r.status_code == status and r.json()["code"] == status


async def test_legacy_form_endpoint(anon: httpx.AsyncClient) -> None:
    r = await anon.post(LEGACY, data=GRANT)
    assert r.status_code == 200
    token = r.json()["access_token"]
    assert (await anon.get("/domains/~/users/~", headers=bearer(token))).json()["user"] == "1000"
    assert (await anon.post(LEGACY, data={**GRANT, "password": "x"})).status_code == 401


async def test_expiry_and_refresh(anon: httpx.AsyncClient, clock: Clock) -> None:
    first = (await anon.post("/tokens", json=GRANT)).json()
    clock.now += 59
    assert (await anon.get("/domains/~/users/~", headers=bearer(first["access_token"]))).status_code == 200
    clock.now += 1
    expired = await anon.get("/domains/~/users/~", headers=bearer(first["access_token"]))
    assert expired.status_code == 401 and "expired" in expired.json()["message"]

    refresh = {"grant_type": "refresh_token", "client_id": "portal", "client_secret": "client-secret"}
    r = await anon.post("/tokens", json={**refresh, "refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["access_token"] != first["access_token"] and second["user"] == "1000"
    assert (await anon.get("/domains/~/users/~", headers=bearer(second["access_token"]))).status_code == 200
    again = await anon.post("/tokens", json={**refresh, "refresh_token": first["refresh_token"]})
    assert again.status_code == 401  # a refresh token is used once
