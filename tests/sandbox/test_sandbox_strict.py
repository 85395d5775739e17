"""What a real PBX refuses: unknown forward targets, targets naming nothing, incomplete phones, phone lines
naming no device, agents and menu options naming nothing; and what it accepts that looks odd."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import make_frame, make_user

D = "/domains/acme"
U = f"{D}/users/1000/answerrules"
ACCEPTED = {"code": 202, "message": "Accepted"}


@pytest.fixture(autouse=True)
async def tenant(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    await make_user(client, "101")
    await make_frame(client, "Lunch", user="1000")
    assert (await client.post(f"{D}/callqueues", json={"callqueue": "400"})).status_code == 202
    assert (await client.post(f"{D}/conferences", json={"conference": "300", "name": "Bridge"})).status_code == 202
    r = await client.post(f"{D}/autoattendants", json={"attendant-name": "Main", "user": "500"})
    assert r.status_code == 200


async def rule(client: httpx.AsyncClient, target: str, feature: str = "forward-always") -> httpx.Response:
    body = {"time-frame": "*", "enabled": "yes", feature: {"enabled": "yes", "parameters": [target]}}
    return await client.post(U, json=body)


async def test_unknown_forward_target_is_400_naming_it(client: httpx.AsyncClient) -> None:
    r = await rule(client, "bogus_target_999")
    assert r.status_code == 400
    assert r.json()["code"] == 400 and "bogus_target_999" in r.json()["message"]
    assert (await client.get(U)).json() == []  # nothing was stored


@pytest.mark.parametrize(
    "target",
    [
        "user_101",
        "vmail_101",
        "phone_101",
        "queue_400",
        "attendant_500",
        "aa_Main",
        "300",
        "101",
        "400",
        "500",
        "14165550101",
        "2125550100_attendant_500",
        "2125550100_callqueue_400",
        "2125550100_voicemail_101",
        "2125550100_pstn_14165550101",
        "park_701",
        "Prompt_100",
        "<OwnDevices>",
    ],
)
async def test_known_forward_forms_naming_what_exists_are_stored(client: httpx.AsyncClient, target: str) -> None:
    r = await rule(client, target)
    assert r.json() == ACCEPTED
    assert (await client.get(f"{U}/%2A")).json()["forward-always"]["parameters"] == [target]


@pytest.mark.parametrize(
    "target", ["user_999", "vmail_999", "queue_401", "attendant_501", "aa_Night", "999", "conf_300", "aa_500"]
)
async def test_targets_naming_nothing_are_400(client: httpx.AsyncClient, target: str) -> None:
    r = await rule(client, target, "forward-no-answer")
    assert r.status_code == 400 and target in r.json()["message"]


async def test_sim_ring_entries(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"{D}/users/1000/devices", json={"device": "1000wp"})).status_code == 202
    params = ["1000", "<OwnDevices>", "101;delay=15", "confirm_14165550101;delay=20", "1000wp"]
    body = {"time-frame": "*", "enabled": "yes", "simultaneous-ring": {"enabled": "yes", "parameters": params}}
    assert (await client.post(U, json=body)).json() == ACCEPTED
    assert (await client.get(f"{U}/%2A")).json()["simultaneous-ring"]["parameters"] == params
    bad = await client.put(f"{U}/%2A", json={"simultaneous-ring": {"parameters": ["102;delay=5"]}})
    assert bad.status_code == 400 and "102;delay=5" in bad.json()["message"]


async def test_update_checks_targets_ignores_unknown_keys_and_changes_known_ones(client: httpx.AsyncClient) -> None:
    assert (await rule(client, "user_101")).json() == ACCEPTED
    bad = await client.put(f"{U}/%2A", json={"forward-always": {"parameters": ["bogus_target_999"]}})
    assert bad.status_code == 400 and "bogus_target_999" in bad.json()["message"]
    r = await client.put(
        f"{U}/%2A",
        json={
            "enable": "no",
            "time_frame": "Lunch",
            "new-position": "",
            "forward-always": {"parameters": ["vmail_101"]},
        },
    )
    assert r.json() == ACCEPTED
    got = (await client.get(f"{U}/%2A")).json()
    assert got["forward-always"] == {"enabled": "yes", "parameters": ["vmail_101"]}
    assert got["enabled"] == "yes" and got["time-frame"] == "*"  # the v1 keys were ignored


async def test_rule_on_missing_frame_is_404(client: httpx.AsyncClient) -> None:
    r = await client.post(U, json={"time-frame": "Nope", "enabled": "yes"})
    assert r.status_code == 404 and r.json()["code"] == 404


async def test_deleting_a_used_frame_leaves_the_rule_marked(client: httpx.AsyncClient) -> None:
    assert (await client.post(U, json={"time-frame": "Lunch", "enabled": "yes"})).json() == ACCEPTED
    frame = (await client.get(f"{D}/users/1000/timeframes")).json()[0]
    before = (await client.get(U)).json()[0]
    assert before["is-active"] is True and before["time-frame-exists"] == "yes"
    assert (await client.delete(f"{D}/users/1000/timeframes/{frame['timeframe-id']}")).json() == ACCEPTED
    after = (await client.get(U)).json()
    assert [(r["time-frame"], r["is-active"], r["time-frame-exists"]) for r in after] == [("Lunch", False, "no")]
    await make_frame(client, "Lunch")  # a domain frame of that name revives it
    assert (await client.get(f"{U}/Lunch")).json()["time-frame-exists"] == "yes"


def phone(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "device-provisioning-mac-address": "000b82112233",
        "device-models-brand-and-model": "Yealink T54W",
        "device-provisioning-sip-uri-1": "sip:1000a@acme",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


async def test_phone_missing_required_fields_is_400_naming_them(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{D}/phones", json={"device-provisioning-mac-address": "000b82112233", "notes": "x"})
    assert r.status_code == 400
    message = r.json()["message"]
    assert "device-models-brand-and-model" in message and "device-provisioning-sip-uri-1" in message
    assert "device-provisioning-mac-address" not in message
    r = await client.post(f"{D}/phones", json={"model": "Yealink T54W", "device1": "sip:1000a@acme"})
    assert r.status_code == 400 and "device-provisioning-mac-address" in r.json()["message"]
    assert (await client.get(f"{D}/phones")).json() == []


async def test_phone_line_must_name_an_existing_device(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{D}/phones", json=phone())
    assert r.status_code == 400 and "1000a" in r.json()["message"]
    assert (await client.post(f"{D}/users/1000/devices", json={"device": "1000a"})).status_code == 202
    assert (await client.post(f"{D}/phones", json=phone())).json() == ACCEPTED
    bad = {"device-provisioning-mac-address": "000b82112233", "device-provisioning-sip-uri-2": "sip:1000b@acme"}
    assert (await client.put(f"{D}/phones", json=bad)).status_code == 400
    not_a_uri = phone(**{"device-provisioning-sip-uri-1": "101"})
    assert (await client.put(f"{D}/phones", json=not_a_uri)).status_code == 400
    got = (await client.get(f"{D}/phones/000b82112233")).json()
    assert got["device-provisioning-sip-uri-1"] == "sip:1000a@acme" and got["device-provisioning-sip-uri-2"] == ""


async def test_phone_v1_names_are_stored_under_v2_names(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"{D}/users/1000/devices", json={"device": "1000a"})).status_code == 202
    body = {"mac": "00:0B:82:11:22:33", "model": "VTech VSP735", "device1": "sip:1000a@acme", "server": "core1"}
    assert (await client.post(f"{D}/phones", json=body)).json() == ACCEPTED
    got = (await client.get(f"{D}/phones/000b82112233")).json()
    assert got["device-models-brand-and-model"] == "VTech VSP735"
    assert got["device-provisioning-sip-uri-1"] == "sip:1000a@acme"
    assert got["device-provisioning-registration-core-server"] == "core1"
    assert not {"mac", "model", "device1", "server"} & set(got)


async def test_queue_dispatch_type_any_case_stored_as_sent(client: httpx.AsyncClient) -> None:
    for value in ("round-robin", "Linear Hunt", "ring all"):
        r = await client.put(f"{D}/callqueues/400", json={"callqueue-dispatch-type": value})
        assert r.json() == ACCEPTED
        assert (await client.get(f"{D}/callqueues/400")).json()["callqueue-dispatch-type"] == value
    r = await client.put(f"{D}/callqueues/400", json={"callqueue-dispatch-type": "random"})
    assert r.status_code == 400


async def test_agents_and_menu_options_must_name_what_exists(client: httpx.AsyncClient) -> None:
    agents = f"{D}/callqueues/400/agents"
    assert (await client.post(agents, json={"callqueue-agent-id": "999"})).status_code == 404
    assert (await client.post(agents, json={"callqueue-agent-id": "101"})).json() == ACCEPTED
    assert (await client.post(agents, json={"callqueue-agent-id": "14165550101"})).json() == ACCEPTED
    assert len((await client.get(agents)).json()) == 2

    one = f"{D}/users/500/autoattendants/Prompt_100"
    for app, dest in (("to-voicemail", "400"), ("to-callqueue", "101"), ("to-connection", "sales")):
        menu = {"option-1": {"destination-application": app, "destination-user": dest}}
        r = await client.put(one, json={"auto-attendant": menu})
        assert r.status_code == 400 and dest in r.json()["message"], (app, dest)
    menu = {
        "option-1": {"destination-application": "to-user", "destination-user": "300"},
        "option-2": {"destination-application": "to-voicemail", "destination-user": "101"},
        "option-3": {"destination-application": "to-callqueue", "destination-user": "400"},
        "option-4": {"destination-application": "to-connection", "destination-user": "14165550101"},
        "option-5": {"description": "Sub", "auto-attendant": {"option-1": {"destination-user": "500"}}},
        "option-6": {"destination-application": "to-user", "destination-user": "501"},  # an attendant to come
    }
    assert (await client.put(one, json={"auto-attendant": menu})).json() == ACCEPTED
    assert (await client.get(one)).json()["auto-attendant"] == menu
    sub = {
        "option-5": {
            "auto-attendant": {"option-1": {"destination-application": "to-voicemail", "destination-user": "9"}}
        }
    }
    assert (await client.put(one, json={"auto-attendant": sub})).status_code == 400  # sub-menus are checked too
