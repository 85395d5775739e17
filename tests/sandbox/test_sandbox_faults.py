"""Fault injection: config parsing, seeded determinism, 429 bursts, errors before/after writes, drops."""

from __future__ import annotations

import time

import httpx
import pytest

from skyconf.sandbox.app import create_app
from skyconf.sandbox.faults import FaultInjector, Faults
from skyconf.sandbox.log import RequestLog

from .helpers import BASE, user_body


def client_for(faults: Faults, log: RequestLog | None = None) -> tuple[httpx.AsyncClient, FaultInjector]:
    app = create_app(":memory:", ["nss_t"], faults=faults, log=log)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, headers={"Authorization": "Bearer nss_t"}
    )
    injector: FaultInjector = app.state.faults
    return client, injector


def test_parse_and_validate() -> None:
    faults = Faults.parse("seed=7, error_rate=0.25,burst-429-every=10,burst_429_length=2,retry_after_s=0.5")
    assert faults == Faults(seed=7, error_rate=0.25, burst_429_every=10, burst_429_length=2, retry_after_s=0.5)
    assert Faults.parse("") == Faults()
    assert Faults.from_dict(faults.to_dict()) == faults
    for bad in ("nonsense=1", "error_rate", "error_rate=lots", "error_rate=1.5", "latency_ms=-1"):
        with pytest.raises(ValueError):
            Faults.parse(bad)


def test_same_seed_same_decisions() -> None:
    faults = Faults(seed=42, error_rate=0.3, drop_rate=0.2, burst_429_every=7, burst_429_length=2)
    writes = [i % 3 == 0 for i in range(200)]
    first = [FaultInjector(faults).decide(w) for w in writes[:1]]
    a, b = FaultInjector(faults), FaultInjector(faults)
    run_a = [a.decide(w) for w in writes]
    run_b = [b.decide(w) for w in writes]
    assert run_a == run_b
    assert run_a[0] == first[0]
    assert {d.status for d in run_a} == {None, 429, 500, 503}
    assert any(d.after_write for d in run_a) and any(d.drop for d in run_a)
    other = FaultInjector(Faults(seed=43, error_rate=0.3, drop_rate=0.2, burst_429_every=7, burst_429_length=2))
    assert [other.decide(w) for w in writes] != run_a
    a.replace(faults)  # replacing restarts the sequence
    assert [a.decide(w) for w in writes] == run_a


async def test_same_seed_same_statuses_over_http() -> None:
    async def statuses() -> list[int]:
        client, _ = client_for(Faults(seed=5, error_rate=0.4))
        async with client:
            return [(await client.get("/domains/acme/users")).status_code for _ in range(30)]

    first, second = await statuses(), await statuses()
    assert first == second
    assert set(first) >= {200} and set(first) & {500, 503}


async def test_429_bursts_with_retry_after() -> None:
    client, _ = client_for(Faults(burst_429_every=3, burst_429_length=2, retry_after_s=0.25))
    async with client:
        responses = [await client.get("/domains/acme/users") for _ in range(8)]
        # /version and /_sandbox are neither faulted nor counted
        assert (await client.get("/version")).status_code == 200
        assert (await client.get("http://sandbox.test/_sandbox/faults")).status_code == 200
        ninth = await client.get("/domains/acme/users")
    assert [r.status_code for r in responses] == [200, 200, 429, 429, 200, 429, 429, 200]
    assert responses[2].headers["Retry-After"] == "0.25"
    assert responses[2].json() == {"code": 429, "message": "Too Many Requests"}
    assert "Retry-After" not in responses[0].headers
    assert ninth.status_code == 429


async def test_error_after_write_applies_the_write() -> None:
    client, injector = client_for(Faults(error_rate=1.0, error_after_write_share=1.0))
    async with client:
        r = await client.post("/domains/acme/users", json=user_body("1000"))
        assert r.status_code in (500, 503)
        assert r.json() == {"code": r.status_code, "message": r.json()["message"]}
        injector.replace(Faults())
        assert (await client.get("/domains/acme/users/1000")).status_code == 200
        assert (await client.post("/domains/acme/users", json=user_body("1000"))).status_code == 409


async def test_error_before_write_does_not_apply_it() -> None:
    client, injector = client_for(Faults(error_rate=1.0, error_after_write_share=0.0))
    async with client:
        assert (await client.post("/domains/acme/users", json=user_body("1000"))).status_code in (500, 503)
        injector.replace(Faults())
        assert (await client.get("/domains/acme/users/1000")).status_code == 404


async def test_dropped_connection_is_a_transport_error() -> None:
    client, injector = client_for(Faults(drop_rate=1.0))
    async with client:
        with pytest.raises(httpx.TransportError):
            await client.post("/domains/acme/users", json=user_body("1000"))
        injector.replace(Faults())
        assert (await client.get("/domains/acme/users/1000")).status_code == 200  # the write happened


async def test_latency_and_slow_body() -> None:
    client, injector = client_for(Faults(latency_ms=40))
    async with client:
        started = time.perf_counter()
        assert (await client.get("/domains/acme/users")).status_code == 200
        assert time.perf_counter() - started >= 0.035
        injector.replace(Faults(slow_body_ms=10))
        await client.post("/domains/acme/users", json=user_body("1000"))
        started = time.perf_counter()
        r = await client.get("/domains/acme/users/1000")
        assert time.perf_counter() - started >= 0.035  # four chunks, 10 ms before each
        assert r.json()["user"] == "1000"


async def test_faults_can_be_changed_at_runtime(client: httpx.AsyncClient) -> None:
    admin = "http://sandbox.test/_sandbox/faults"
    assert (await client.get(admin)).json() == Faults().to_dict()
    r = await client.put(admin, json={"seed": 3, "burst_429_every": 1, "burst_429_length": 1})
    assert r.status_code == 200 and r.json()["burst_429_every"] == 1
    assert (await client.get("/domains/acme/users")).status_code == 429
    assert (await client.put(admin, json={"bogus": 1})).status_code == 400
    assert (await client.put(admin, json={})).json() == Faults().to_dict()
    assert (await client.get("/domains/acme/users")).status_code == 200
    assert (await client.get(admin, headers={"Authorization": "Bearer nope"})).status_code == 401


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_parse_state_faults() -> None:
    faults = Faults.parse("seed=1,latency_ms=20,async_writes=2.5,empty_list_404=1")
    assert (faults.async_writes, faults.empty_list_404, faults.latency_ms) == (2.5, 1, 20)
    with pytest.raises(ValueError):
        Faults.parse("async_writes=-1")


async def test_async_writes_become_visible_after_the_delay() -> None:
    clock = Clock()
    app = create_app(":memory:", ["nss_t"], faults=Faults(async_writes=5), clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, headers={"Authorization": "Bearer nss_t"}
    ) as client:
        body = {**user_body("1000"), "synchronous": "no"}
        r = await client.post("/domains/acme/users", json=body)
        assert (r.status_code, r.json()) == (202, {"code": 202, "message": "Accepted"})
        assert (await client.get("/domains/acme/users/1000")).status_code == 404
        assert (await client.get("/domains/acme/users")).json() == []
        bad = await client.post("/domains/acme/users", json={**body, "user-scope": "Emperor"})
        assert bad.status_code == 400  # still validated at once
        clock.now += 4.9
        assert (await client.get("/domains/acme/users/1000")).status_code == 404
        clock.now += 0.1
        assert (await client.get("/domains/acme/users/1000")).json()["name-first-name"] == "Ada"

        assert (await client.put("/domains/acme/users/1000", json={"name-first-name": "Grace"})).status_code == 202
        assert (await client.get("/domains/acme/users/1000")).json()["name-first-name"] == "Ada"  # not yet
        clock.now += 5
        assert (await client.get("/domains/acme/users/1000")).json()["name-first-name"] == "Grace"

        r = await client.post("/domains/acme/users", json=user_body("1001"))  # synchronous: "yes"
        assert r.status_code == 200
        assert (await client.get("/domains/acme/users/1001")).status_code == 200


async def test_empty_list_404() -> None:
    client, _ = client_for(Faults(empty_list_404=1))
    async with client:
        r = await client.get("/domains/acme/users")
        assert r.status_code == 404 and r.json()["code"] == 404
        assert (await client.post("/domains/acme/users", json=user_body("1000"))).status_code == 200
        assert [u["user"] for u in (await client.get("/domains/acme/users")).json()] == ["1000"]
        for child in ("answerrules", "timeframes", "contacts", "devices"):
            r = await client.get(f"/domains/acme/users/1000/{child}")
            assert (r.status_code, r.json()["code"]) == (404, 404), child
        assert (await client.get("/domains/acme/users/1000/devices/count")).json() == {"total": 0}
        assert (await client.get("/domains/acme/users/1000")).status_code == 200
