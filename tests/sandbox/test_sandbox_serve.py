"""The sandbox over real HTTP (uvicorn on a free local port), and the `serve` command's option checks."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from skyconf.sandbox.app import create_app
from skyconf.sandbox.cli import serve
from skyconf.sandbox.faults import Faults

from .helpers import user_body


@pytest.fixture
async def server_url() -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(":memory:", ["nss_live"])
    config = uvicorn.Config(app, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.01)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=5)
        sock.close()


async def test_served_over_http(server_url: str, caplog: pytest.LogCaptureFixture) -> None:
    headers = {"Authorization": "Bearer nss_live"}
    async with httpx.AsyncClient(base_url=server_url + "/ns-api/v2", headers=headers) as client:
        assert (await client.get("/version")).status_code == 200
        r = await client.post("/domains/acme/users", json=user_body("1000"))
        assert r.status_code == 200 and r.json()["user"] == "1000"
        assert (await client.get("/domains/acme/users/1000/answerrules")).json() == []
        assert (await client.get("/domains/acme/users", headers={"Authorization": "Bearer x"})).status_code == 401

        admin = server_url + "/_sandbox/faults"
        assert (await client.put(admin, json={"drop_rate": 1.0})).status_code == 200
        with caplog.at_level(logging.CRITICAL), pytest.raises(httpx.TransportError):
            await client.get("/domains/acme/users/1000")
        assert (await client.put(admin, json={})).status_code == 200
        assert (await client.get("/domains/acme/users/1000")).status_code == 200
        log = (await client.get(server_url + "/_sandbox/requests", params={"since": 1})).json()
        assert [e["path"] for e in log][:2] == ["/domains/acme/users", "/domains/acme/users/1000/answerrules"]


def test_serve_rejects_bad_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKYCONF_SANDBOX_TOKEN", raising=False)
    runner = CliRunner()
    result = runner.invoke(serve, [])
    assert result.exit_code == 2 and "token" in result.output
    result = runner.invoke(serve, ["--token", "t", "--faults", "error_rate=9"])
    assert result.exit_code == 2 and "--faults" in result.output


def test_serve_runs_uvicorn_with_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_run(app: object, **kwargs: object) -> None:
        seen.update(kwargs, app=app)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("SKYCONF_SANDBOX_TOKEN", "nss_env")
    result = CliRunner().invoke(serve, ["--port", "9999", "--faults", "seed=4,latency_ms=5", "--record-bodies"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "skyconf sandbox listening on http://127.0.0.1:9999/ns-api/v2 (db: :memory:)"
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 9999)
    app = seen["app"]
    assert app.state.log.record_bodies is True  # type: ignore[attr-defined]
    assert app.state.faults.faults == Faults(seed=4, latency_ms=5)  # type: ignore[attr-defined]


async def test_serve_dialect_and_oauth_options(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app))
    monkeypatch.delenv("SKYCONF_SANDBOX_TOKEN", raising=False)
    args = ["--dialect", "legacy", "--oauth-user", "1000@acme:pa:ss", "--oauth-client", "portal:s", "--token-ttl", "30"]
    result = CliRunner().invoke(serve, args)
    assert result.exit_code == 0, result.output
    transport = httpx.ASGITransport(app=seen["app"])  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        grant = {"grant_type": "password", "client_id": "portal", "client_secret": "s"}
        r = await client.post("/ns-api/oauth2/token/", data={**grant, "username": "1000@acme", "password": "pa:ss"})
        assert r.status_code == 200 and r.json()["expires_in"] == 30
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        conference = {"conference": "300", "name": "Bridge"}
        r = await client.post("/ns-api/v2/domains/~/conferences", json=conference, headers=headers)
        assert r.status_code == 400  # legacy: one-item arrays only

    for bad in (["--oauth-user", "no-password"], ["--token", "t", "--dialect", "vintage"]):
        assert CliRunner().invoke(serve, bad).exit_code == 2
