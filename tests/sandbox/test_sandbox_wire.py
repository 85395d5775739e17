"""Transport-level behaviour: auth, /version, aliases, tolerant bodies, domains, routing errors, storage."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette

from skyconf.sandbox.app import create_app

from .helpers import BASE, UNSCOPED_TOKEN, make_user, user_body


async def test_bearer_auth_is_required_except_for_version(app: Starlette) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as anonymous:
        version = await anonymous.get("/version")
        assert version.status_code == 200
        assert set(version.json()) == {"apiversion", "hostname", "current-time"}
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
            r = await anonymous.get("/domains/acme/users", headers=headers)
            assert r.status_code == 401
            assert r.json()["code"] == 401 and isinstance(r.json()["message"], str)
        assert (await anonymous.get("http://sandbox.test/version")).status_code == 200


async def test_tilde_aliases_follow_the_token_scope(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    assert (await client.get("/domains/~/users/~")).json()["user"] == "1000"
    assert (await client.get("/domains/~")).json()["domain"] == "acme"
    r = await client.get("/domains/~/users", headers={"Authorization": f"Bearer {UNSCOPED_TOKEN}"})
    assert r.status_code == 404 and r.json()["code"] == 404


async def test_empty_array_bodies_on_get_and_delete_are_tolerated(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    r = await client.request("GET", "/domains/acme/users/1000", json=[])
    assert r.status_code == 200
    r = await client.request("DELETE", "/domains/acme/users/1000", json=[])
    assert r.status_code == 202


async def test_malformed_bodies_are_400(client: httpx.AsyncClient) -> None:
    r = await client.post("/domains/acme/users", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == 400
    r = await client.post("/domains/acme/users", json=[user_body()])
    assert r.status_code == 400


async def test_domains_are_created_on_first_use(client: httpx.AsyncClient) -> None:
    assert (await client.get("/domains")).json() == []
    assert (await client.get("/domains/newco/users")).json() == []
    assert (await client.get("/domains/newco/count")).json() == {"total": 1}
    domain = (await client.get("/domains/newco")).json()
    assert domain["domain"] == "newco" and domain["time-zone"] == "US/Pacific"
    r = await client.put(
        "/domains/newco", json={"time-zone": "US/Eastern", "music-on-hold-enabled": "no", "area-code": "212"}
    )
    assert r.status_code == 202
    domain = (await client.get("/domains/newco")).json()
    assert (domain["time-zone"], domain["music-on-hold-enabled"], domain["area-code"]) == ("US/Eastern", "no", 212)
    r = await client.post("/domains", json={"domain": "second", "reseller": "r1", "synchronous": "yes"})
    assert r.status_code == 200 and r.json()["reseller"] == "r1"
    assert (await client.post("/domains", json={"domain": "second", "reseller": "r1"})).status_code == 409
    assert [d["domain"] for d in (await client.get("/domains")).json()] == ["newco", "second"]
    assert (await client.get("/domains/count")).json() == {"total": 2}


async def test_auto_create_can_be_turned_off() -> None:
    app = create_app(":memory:", ["t"], auto_create_domains=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers={"Authorization": "Bearer t"}) as c:
        r = await c.get("/domains/ghost/users")
        assert (r.status_code, r.json()) == (404, {"code": 404, "message": "Domain ghost does not exist"})
        assert (await c.post("/domains", json={"domain": "ghost", "reseller": "r"})).status_code == 202
        assert (await c.get("/domains/ghost/users")).json() == []


async def test_unknown_paths_and_methods(client: httpx.AsyncClient) -> None:
    r = await client.get("/domains/acme/nonsense")
    assert (r.status_code, r.json()["code"]) == (404, 404)
    r = await client.patch("/domains/acme/users")
    assert (r.status_code, r.json()["code"]) == (405, 405)


async def test_file_database_persists_and_is_shared_by_tenants(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "dir" / "sandbox.sqlite3"
    app = create_app(db, ["nss_a"])
    assert db.is_file()  # parent directories and schema are created at once (no lifespan needed)
    headers = {"Authorization": "Bearer nss_a"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, headers=headers) as c:
        await make_user(c, "1000", domain="acme")
        await make_user(c, "1000", domain="beta", **{"login-username": "1000@beta"})
    app.state.store.close()

    app = create_app(db, ["nss_b"])
    headers = {"Authorization": "Bearer nss_b"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, headers=headers) as c:
        assert (await c.get("/domains/acme/users/count")).json() == {"total": 1}
        assert (await c.get("/domains/beta/users/1000")).json()["login-username"] == "1000@beta"
    app.state.store.close()
