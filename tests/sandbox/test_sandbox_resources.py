"""Contacts, music on hold, conferences, call queues + agents, auto attendants, phones and models."""

from __future__ import annotations

import base64
import re

import httpx

from tests.audio import silence

from .helpers import make_user

D = "/domains/acme"
ACCEPTED = {"code": 202, "message": "Accepted"}


async def test_contacts_domain_and_user(client: httpx.AsyncClient) -> None:
    r = await client.post(
        f"{D}/contacts", json={"name-first-name": "John", "company": "Acme", "phonenumber-work": 8587645200}
    )
    assert r.status_code == 200
    contact = r.json()
    assert re.fullmatch(r"[0-9a-f]{32}", contact["unique-id"])
    assert contact["phonenumber-work"] == "8587645200"
    assert contact["name-middle-name"] == "" and contact["tags"] == ""
    cid = contact["unique-id"]
    assert (await client.get(f"{D}/contacts")).json() == [contact]
    assert (await client.get(f"{D}/contacts/{cid}")).json() == [contact]  # the spec types this one as an array
    r = await client.put(f"{D}/contacts/{cid}", json={"company": "Acme Inc"})
    assert r.status_code == 200 and r.json()["company"] == "Acme Inc" and r.json()["name-first-name"] == "John"
    assert (await client.delete(f"{D}/contacts/{cid}")).json() == ACCEPTED
    assert (await client.get(f"{D}/contacts/{cid}")).status_code == 404

    await make_user(client, "1000")
    U = f"{D}/users/1000/contacts"
    cid = (await client.post(U, json={"name-first-name": "Ann", "email": "ann@example.com"})).json()["unique-id"]
    assert (await client.get(f"{U}/count")).json() == {"total": 1}
    assert (await client.put(f"{U}/{cid}", json={"company": "X"})).json() == ACCEPTED
    assert (await client.get(f"{U}/{cid}")).json()["company"] == "X"
    assert (await client.get(f"{D}/contacts")).json() == []  # scopes are separate


async def test_moh_upload_styles_index_and_count(client: httpx.AsyncClient) -> None:
    audio = silence(2)
    r = await client.post(
        f"{D}/moh",
        files={"File": ("song.wav", audio, "audio/wav")},
        data={"script": "sha256:aaaa", "synchronous": "yes", "convert": "no"},
    )
    assert r.status_code == 200
    first = r.json()
    assert first["ordinal-order"] == 1
    assert first["file-script-text"] == "sha256:aaaa"
    assert first["file-duration-seconds"] == 2
    assert first["file-size-kilobytes"] == f"{len(audio) / 1024:.2f} KB"
    assert first["filename"].endswith(".wav")

    encoded = base64.b64encode(b"RIFF" + b"\0" * 96).decode()
    body = {"synchronous": "no", "index": "4", "script": "sha256:bbbb", "encoding": "audio/wav", "base64_file": encoded}
    assert (await client.post(f"{D}/moh", json=body)).json() == ACCEPTED
    assert (await client.post(f"{D}/moh", json=body)).status_code == 409  # index taken
    tts = await client.post(
        f"{D}/moh", json={"synchronous": "yes", "script": "Thank you for holding", "voice_id": "en-US-Wavenet-D"}
    )
    assert tts.json()["ordinal-order"] == 5  # next after the highest
    assert tts.json()["text-to-speech-voice-id"] == "en-US-Wavenet-D"
    assert tts.json()["text-to-speech-language"] == "en-US"
    assert tts.json()["file-script-text"] == "Thank you for holding"

    listed = (await client.get(f"{D}/moh")).json()
    assert [m["ordinal-order"] for m in listed] == [1, 4, 5]
    count = (await client.get(f"{D}/moh/count")).json()
    assert count["count"] == 3 and count["size"] > len(audio) + 100

    r = await client.put(f"{D}/moh/4", json={"synchronous": "yes", "script": "sha256:cccc", "base64_file": encoded})
    assert r.status_code == 200 and r.json()["file-script-text"] == "sha256:cccc"
    assert (await client.put(f"{D}/moh/9", json={"script": "x"})).status_code == 404
    assert (await client.post(f"{D}/moh", json={"script": "x", "base64_file": "%%%"})).status_code == 400
    assert (await client.post(f"{D}/moh", json={"index": 7})).status_code == 400  # script is required
    assert (await client.delete(f"{D}/moh/4")).json() == ACCEPTED
    assert (await client.get(f"{D}/moh/count")).json()["count"] == 2

    await make_user(client, "1000")
    assert (await client.post(f"{D}/users/1000/moh", json={"script": "hi", "index": 0})).json() == ACCEPTED
    assert [m["ordinal-order"] for m in (await client.get(f"{D}/users/1000/moh")).json()] == [0]


async def test_conferences(client: httpx.AsyncClient) -> None:
    body = {
        "conference": 1234,
        "name": "My Conference Room",
        "conference_type": "dedicated",
        "owner": "1000",
        "direct_dial": "1234",
        "leader_pin": "123456",
        "participants_pin": "654321",
        "max_participants": 15,
        "quorum": 2,
        "leader_required": "yes",
        "annc_part": "yes",
        "request_name": "yes",
    }
    assert (await client.post(f"{D}/conferences", json=body)).json() == ACCEPTED
    assert (await client.post(f"{D}/conferences", json=body)).status_code == 409
    [conf] = (await client.get(f"{D}/conferences/1234")).json()
    assert conf["aor"] == "sip:1234@acme" and conf["owner_uid"] == "1000@acme"
    assert conf["max_participants"] == "15" and conf["quorum"] == "2" and conf["direct_dial"] == "1234"
    assert all(isinstance(v, str) for v in conf.values())
    assert (await client.get(f"{D}/conferences/count")).json() == {"total": 1}
    assert (
        await client.put(f"{D}/conferences/1234", json={"name": "Updated", "max_participants": "-"})
    ).json() == ACCEPTED
    [conf] = (await client.get(f"{D}/conferences")).json()
    assert (conf["name"], conf["max_participants"], conf["leader_pin"]) == ("Updated", "-", "123456")
    assert (await client.delete(f"{D}/conferences/1234")).json() == ACCEPTED
    assert (await client.get(f"{D}/conferences/1234")).status_code == 404


async def test_callqueues_and_agents(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    await make_user(client, "1001")  # agents must exist
    body = {"synchronous": "yes", "callqueue": 2032, "description": "Sales", "callqueue-dispatch-type": "Ring All"}
    r = await client.post(f"{D}/callqueues", json=body)
    assert r.status_code == 200
    assert r.json()["callqueue"] == "2032" and r.json()["callqueue-dispatch-type"] == "Ring All"
    assert (await client.post(f"{D}/callqueues", json=body)).status_code == 409
    bad = {"callqueue": "2033", "callqueue-dispatch-type": "Random"}
    assert (await client.post(f"{D}/callqueues", json=bad)).status_code == 400
    assert (
        await client.put(f"{D}/callqueues/2032", json={"callqueue-max-wait-timeout-minutes": "5"})
    ).json() == ACCEPTED
    assert (await client.get(f"{D}/callqueues/2032")).json()["callqueue-max-wait-timeout-minutes"] == 5

    A = f"{D}/callqueues/2032/agents"
    r = await client.post(
        A, json={"synchronous": "yes", "callqueue-agent-id": "1000@acme", "auto-answer-enabled": "yes"}
    )
    assert r.status_code == 200
    agent = r.json()
    assert agent["callqueue-agent-entry-type"] == "user" and agent["name-full-name"] == "Ada Lovelace"
    assert (await client.post(A, json={"callqueue-agent-id": 1001})).json() == ACCEPTED
    assert [a["callqueue-agent-id"] for a in (await client.get(A)).json()] == ["1000@acme", "1001@acme"]
    assert (await client.get(f"{A}/count")).json() == {"total": 2}
    assert (await client.get(f"{D}/callqueues/2032")).json()["callqueue-count-agents-total"] == 2
    assert (await client.put(f"{A}/1001", json={"callqueue-agent-availability-type": "manual"})).json() == ACCEPTED
    assert (await client.get(f"{A}/1001%40acme")).json()["callqueue-agent-availability-type"] == "manual"
    assert len((await client.get(f"{D}/agents")).json()) == 2
    assert (await client.delete(f"{A}/1001@acme")).json() == ACCEPTED
    assert (await client.get(f"{A}/1001@acme")).status_code == 404
    assert (await client.delete(f"{D}/callqueues/2032")).json() == ACCEPTED
    assert (await client.get(A)).status_code == 404
    assert (await client.get(f"{D}/callqueues")).json() == []


async def test_auto_attendants(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")  # menu destinations must exist
    assert (await client.post(f"{D}/callqueues", json={"callqueue": "2032"})).status_code == 202
    menu = {
        "4-digit-dial-by-extension": "yes",
        "no-key-press": "option-1",
        "option-1": {"description": "Sales", "destination-application": "to-callqueue", "destination-user": "2032"},
        "option-2": {"description": "Sub menu", "auto-attendant": {"option-1": {"destination-user": "1000"}}},
    }
    r = await client.post(f"{D}/autoattendants", json={"attendant-name": "Main", "user": 3000, "auto-attendant": menu})
    assert r.status_code == 200
    prompt = r.json()["starting-prompt"]
    assert prompt == "Prompt_100"
    again = await client.post(f"{D}/autoattendants", json={"attendant-name": "Main", "user": "3000"})
    assert again.status_code == 409  # one per (user, time-frame "*")
    night = await client.post(
        f"{D}/autoattendants", json={"attendant-name": "Night", "user": "3000", "time-frame": "Closed"}
    )
    assert night.json()["starting-prompt"] == "Prompt_101"
    listed = (await client.get(f"{D}/autoattendants")).json()
    assert listed[0] == {
        "attendant-name": "Main",
        "user": "3000",
        "time-frame": "*",
        "starting-prompt": "Prompt_100",
        "read-path": "/ns-api/v2/domains/acme/users/3000/autoattendants/Prompt_100",
    }
    one = f"{D}/users/3000/autoattendants/{prompt}"
    assert (await client.get(one)).json()["auto-attendant"] == menu
    assert (
        await client.put(one, json={"attendant-name": "Main menu", "auto-attendant": {"no-key-press": "repeat"}})
    ).json() == ACCEPTED
    got = (await client.get(one)).json()
    assert got["attendant-name"] == "Main menu" and got["auto-attendant"] == {"no-key-press": "repeat"}
    assert (await client.delete(one)).json() == ACCEPTED
    assert (await client.get(one)).status_code == 404


async def test_phones_by_mac(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    assert (await client.post(f"{D}/users/1000/devices", json={"device": "1000a"})).status_code == 202
    body = {
        "device-provisioning-mac-address": "00:0B:82:11:22:33",
        "device-models-brand-and-model": "Yealink T54W",
        "device-provisioning-sip-uri-1": "sip:1000a@acme",
    }
    assert (await client.post(f"{D}/phones", json=body)).json() == ACCEPTED
    assert (await client.post(f"{D}/phones", json=body)).status_code == 409
    assert (await client.post("/domains/other/phones", json=body)).status_code == 409  # unique system-wide
    phone = (await client.get(f"{D}/phones/000b82112233")).json()
    assert phone["device-provisioning-mac-address"] == "000b82112233"
    assert phone["device-models-brand-and-model"] == "Yealink T54W"
    update = {"device-provisioning-mac-address": "000b82112233", "device-models-overrides-blob": "features.dnd=1"}
    assert (await client.put(f"{D}/phones", json=update)).json() == ACCEPTED
    assert (await client.get(f"{D}/phones")).json()[0]["device-models-overrides-blob"] == "features.dnd=1"
    assert (await client.post(f"{D}/phones", json={"device-provisioning-mac-address": "xyz"})).status_code == 400
    mac = {"device-provisioning-mac-address": "000b82112233"}
    assert (await client.request("DELETE", f"{D}/phones", json=mac)).json() == ACCEPTED
    assert (await client.request("DELETE", f"{D}/phones", json=mac)).status_code == 404
    assert (await client.get(f"{D}/phones")).json() == []


async def test_phone_models(client: httpx.AsyncClient) -> None:
    models = (await client.get("/phones/models")).json()
    assert {m["brand"] for m in models} == {"Yealink", "Polycom", "Grandstream"}
    names = {m["brand_model"] for m in models}
    assert {"Yealink T54W", "Yealink T46U", "Polycom VVX 450", "Polycom Edge E450", "Grandstream GRP2614"} <= names
    polycom = (await client.get("/phones/models", params={"brand": "Polycom"})).json()
    assert {m["model"] for m in polycom} == {"VVX 450", "Edge E450"}
    one = (await client.get("/phones/models", params={"brand": "Grandstream", "model": "GRP2615"})).json()
    assert one["brand_model"] == "Grandstream GRP2615" and isinstance(one["phone_ext"], int)
    assert (await client.get("/phones/models", params={"brand": "Cisco", "model": "7960"})).status_code == 404
