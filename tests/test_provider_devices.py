"""Phones and their lines' SIP devices, and how reads and creates cope with what real servers answer,
against a small in-memory PBX behind httpx.MockTransport (the sandbox has no devices yet)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from skyconf.errors import PbxError
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import Api, ApiError, is_child_list
from skyconf.providers.netsapiens.base import Context
from skyconf.providers.netsapiens.conferences import ConferenceMapping
from skyconf.providers.netsapiens.phones import MAC, PhoneMapping
from skyconf.resources import Resource, State

DOMAIN = "acme.example.com"
BASE = f"/ns-api/v2/domains/{DOMAIN}"
MODEL = "Yealink T54W"


class FakePbx:
    """Users 101-105 with device lists, phones by MAC, conferences; every request is logged."""

    def __init__(self, devices: dict[str, list[str]] | None = None) -> None:
        self.devices = {ext: list(names) for ext, names in (devices or {}).items()}
        self.phones: dict[str, dict[str, Any]] = {}
        self.conferences: list[dict[str, Any]] = []
        self.log: list[tuple[str, str]] = []
        # Hooks a test sets: (method, path) -> answer to give instead, once per entry.
        self.scripted: dict[tuple[str, str], list[Callable[[], httpx.Response]]] = {}
        self.hidden_reads = 0  # device list reads that still miss a device created with a 202

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(BASE)
        method = request.method
        self.log.append((method, path))
        body = json.loads(request.content) if request.content else None
        queue = self.scripted.get((method, path))
        if queue:
            return queue.pop(0)()
        parts = path.strip("/").split("/")
        if path == "":
            return httpx.Response(200, json={"domain": DOMAIN, "reseller": "r1"})
        if request.url.path == "/ns-api/v2/phones/models":
            return httpx.Response(200, json=[{"brand": "Yealink", "model": "T54W", "brand_model": MODEL}])
        if parts[0] == "users" and len(parts) >= 3 and parts[2] == "devices":
            return self._devices(method, parts, body)
        if path == "/phones":
            mac = str(body[MAC])
            if method == "DELETE":
                self.phones.pop(mac, None)
            else:
                self.phones[mac] = body
            return httpx.Response(202, json={"code": 202, "message": "Accepted"})
        if path == "/conferences":
            if method == "GET":
                return httpx.Response(200, json=self.conferences)
            self.conferences.append({"aor": f"sip:{body['conference']}@{DOMAIN}", **body})
            return httpx.Response(202, json={"code": 202, "message": "Accepted"})
        if parts[0] == "users" and len(parts) == 3:
            return httpx.Response(404, json={"code": 404, "message": "Not found"})  # an empty child list
        return httpx.Response(404, json={"code": 404, "message": f"User {parts[-1]} not found"})

    def _devices(self, method: str, parts: list[str], body: Any) -> httpx.Response:
        ext = parts[1]
        if ext not in {"101", "102", "103", "104", "105"}:
            return httpx.Response(404, json={"code": 404, "message": f"User {ext} not found"})
        names = self.devices.setdefault(ext, [])
        if method == "GET":
            if not names:
                return httpx.Response(404, json={"code": 404, "message": "No devices"})
            if self.hidden_reads:
                self.hidden_reads -= 1
                return httpx.Response(200, json=[{"device": n} for n in names[:-1]])
            return httpx.Response(200, json=[{"device-sip-registration-uri": f"sip:{n}@{DOMAIN}"} for n in names])
        if method == "POST":
            if body["device"] in names:
                return httpx.Response(409, json={"code": 409, "message": "Device already exists"})
            names.append(body["device"])
            return httpx.Response(200, json={"device": body["device"]})
        if method == "DELETE" and parts[3] in names:
            names.remove(parts[3])
            return httpx.Response(202, json={"code": 202, "message": "Accepted"})
        return httpx.Response(404, json={"code": 404, "message": "Device not found"})

    def writes(self) -> list[tuple[str, str]]:
        return [entry for entry in self.log if entry[0] != "GET"]


@asynccontextmanager
async def context(
    fake: FakePbx, desired: list[Resource] = (), live: list[Resource] = (), prune: bool = False
) -> AsyncIterator[Context]:
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake), base_url="http://pbx/ns-api/v2")
    async with client:
        yield Context(Api([client]), DOMAIN, "US", State.of(desired), State.of(live), {"phone": prune})


def phone(mac: str, user: str, *lines: str) -> Resource:
    return Resource("phone", (mac,), {"model": MODEL, "user": user, "lines": list(lines), "config": ""})


def live_phone(mac: str, user: str, *lines: str) -> Resource:
    resource = phone(mac, user, *lines)
    record = {MAC: mac, "domain": DOMAIN, "device-provisioning-sip-uri-1": f"sip:{user}@{DOMAIN}"}
    return Resource("phone", resource.key, resource.fields, meta={"record": record})


A, B, C = "001565aabbcc", "0004f2112233", "001565000001"


async def test_devices_are_made_before_the_phone_that_names_them() -> None:
    fake = FakePbx({"102": ["102"]})
    desired = [phone(A, "101", "102")]
    async with context(fake, desired) as ctx:
        await PhoneMapping().create(ctx, Change("create", "phone", (A,), None, desired[0].fields))
    assert fake.writes() == [("POST", "/users/101/devices"), ("POST", "/phones")]
    assert fake.devices == {"101": ["101"], "102": ["102"]}
    assert fake.phones[A]["device-provisioning-sip-uri-2"] == f"sip:102@{DOMAIN}"


async def test_a_device_that_exists_already_is_fine_and_each_list_is_read_once() -> None:
    fake = FakePbx()
    fake.scripted[("GET", "/users/101/devices")] = [lambda: httpx.Response(200, json=[])]  # made meanwhile
    fake.devices["101"] = ["101"]
    desired = [phone(A, "101"), phone(B, "101", "103")]
    async with context(fake, desired) as ctx:
        for resource in desired:
            await PhoneMapping().create(ctx, Change("create", "phone", resource.key, None, resource.fields))
    assert fake.log.count(("GET", "/users/101/devices")) == 1
    assert fake.log.count(("POST", "/users/101/devices")) == 1  # answered 409: it exists
    assert set(fake.phones) == {A, B}


async def test_deleting_a_phone_deletes_only_devices_no_other_phone_names() -> None:
    fake = FakePbx({"101": ["101", "101a"], "102": ["102"], "103": ["103"]})
    desired = [phone(B, "102")]
    live = [live_phone(A, "101", "102"), live_phone(B, "102"), live_phone(C, "103")]
    async with context(fake, desired, live) as ctx:  # phones not pruned: C stays and keeps 103
        await PhoneMapping().delete(ctx, Change("delete", "phone", (A,), live[0].fields, None, meta=live[0].meta))
    assert fake.writes() == [("DELETE", "/phones"), ("DELETE", "/users/101/devices/101")]
    assert fake.devices == {"101": ["101a"], "102": ["102"], "103": ["103"]}


async def test_a_pruned_phone_does_not_keep_its_devices() -> None:
    fake = FakePbx({"103": ["103"]})
    live = [live_phone(A, "101"), live_phone(C, "103")]
    async with context(fake, [], live, prune=True) as ctx:
        await PhoneMapping().delete(ctx, Change("delete", "phone", (A,), live[0].fields, None, meta=live[0].meta))
    assert ("DELETE", "/users/101/devices/101") in fake.writes()
    assert fake.devices["103"] == ["103"]


async def test_an_update_adds_the_new_line_device_first_and_drops_the_old_one_after() -> None:
    fake = FakePbx({"101": ["101"], "103": ["103"]})
    before = live_phone(A, "101", "103")
    after = phone(A, "101", "104")
    async with context(fake, [after], [before]) as ctx:
        change = Change("update", "phone", (A,), before.fields, after.fields, ("lines",), meta=before.meta)
        await PhoneMapping().update(ctx, change)
    assert fake.writes() == [
        ("POST", "/users/104/devices"),
        ("PUT", "/phones"),
        ("DELETE", "/users/103/devices/103"),
    ]


async def test_a_device_accepted_with_202_is_waited_for_before_the_phone() -> None:
    fake = FakePbx()
    fake.scripted[("POST", "/users/101/devices")] = [lambda: accept_device(fake)]
    fake.hidden_reads = 2
    async with context(fake, [phone(A, "101")]) as ctx:
        await PhoneMapping().create(ctx, Change("create", "phone", (A,), None, phone(A, "101").fields))
    assert fake.log.count(("GET", "/users/101/devices")) == 4  # the first read, then until it shows
    assert fake.log[-1] == ("POST", "/phones")


async def test_a_device_that_never_shows_fails_clearly_and_no_phone_is_written() -> None:
    fake = FakePbx()
    fake.scripted[("POST", "/users/101/devices")] = [lambda: accept_device(fake)]
    fake.hidden_reads = 100
    async with context(fake, [phone(A, "101")]) as ctx:
        with pytest.raises(PbxError, match=r"accepted \(HTTP 202\) but the object is still not readable"):
            await PhoneMapping().create(ctx, Change("create", "phone", (A,), None, phone(A, "101").fields))
    assert ("POST", "/phones") not in fake.log


def accept_device(fake: FakePbx) -> httpx.Response:
    fake.devices.setdefault("101", []).append("101")
    return httpx.Response(202, json={"code": 202, "message": "Accepted"})


async def test_an_empty_child_list_may_404_but_a_missing_user_may_not() -> None:
    fake = FakePbx()
    async with context(fake) as ctx:
        assert await ctx.api.get(f"{ctx.user_path('101')}/answerrules") == []
        assert await ctx.api.get(f"{ctx.user_path('101')}/devices") == []
        with pytest.raises(ApiError, match="HTTP 404"):
            await ctx.api.get(ctx.user_path("101"))


async def test_a_create_whose_answer_was_lost_is_looked_up_before_the_retry() -> None:
    fake = FakePbx()

    def lost() -> httpx.Response:
        fake.conferences.append({"aor": f"sip:300@{DOMAIN}", "name": "Sales"})
        return httpx.Response(503, json={"code": 503, "message": "Unavailable"})

    fields = {"name": "Sales", "max_participants": 10}
    fake.scripted[("POST", "/conferences")] = [lost]
    async with context(fake) as ctx:
        await ConferenceMapping().create(ctx, Change("create", "conference", ("300",), None, fields))
    assert fake.log == [("POST", "/conferences"), ("GET", "/conferences")]
    assert len(fake.conferences) == 1


async def test_a_normal_create_sends_one_request() -> None:
    fake = FakePbx()
    async with context(fake) as ctx:
        await ConferenceMapping().create(ctx, Change("create", "conference", ("300",), None, {"name": "Sales"}))
    # No lookup before the first attempt; the one read is the read-back a 202 (accepted) calls for.
    assert fake.log == [("POST", "/conferences"), ("GET", "/conferences")]


def test_which_paths_are_child_lists() -> None:
    assert is_child_list(f"/domains/{DOMAIN}/users/101/answerrules")
    assert is_child_list(f"/domains/{DOMAIN}/callqueues/400/agents")
    assert is_child_list(f"/domains/{DOMAIN}/conferences")
    assert not is_child_list(f"/domains/{DOMAIN}")
    assert not is_child_list(f"/domains/{DOMAIN}/users/101")
    assert not is_child_list(f"/domains/{DOMAIN}/users/contacts")  # a user named like a list
    assert not is_child_list("/domains/moh")
    # The domain's users and phones are lists too: a new domain's may answer 404 while empty.
    assert is_child_list(f"/domains/{DOMAIN}/phones") and is_child_list(f"/domains/{DOMAIN}/users")
