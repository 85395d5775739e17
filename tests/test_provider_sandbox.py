"""Provider writes against the embedded sandbox: pruned auto attendants, conference bodies, and the
fields whose spelling or case differs between servers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from skyconf.config import SANDBOX_TOKEN
from skyconf.pipeline import Session, apply_runs, load_all, plan_tenants
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import Api
from skyconf.providers.netsapiens.base import Context
from skyconf.providers.netsapiens.conferences import ConferenceMapping
from skyconf.providers.netsapiens.dialect import Dialect
from skyconf.providers.netsapiens.queues import _fields as queue_fields
from skyconf.providers.netsapiens.users import _user_body, _user_fields
from skyconf.resources import State
from skyconf.sandbox.app import create_app
from skyconf.sandbox.log import Exchange
from tests.conftest import portal_request

DOMAIN = "acme.example.com"
TENANT = Path("tenants") / "example"


async def apply(root: Path) -> tuple[list[Change], list[Exchange]]:
    async with Session(root, record_bodies=True) as session:
        runs = await plan_tenants(session, load_all([root / "tenants"]))
        outcomes = await apply_runs(runs)
        assert {o.status for o in outcomes["example"]} <= {"done"}, [o.error for o in outcomes["example"]]
        return runs[0].plan.changes, session.sandbox_logs["sandbox"].writes()


async def plan_changes(root: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    async with Session(root) as session:
        (run,) = await plan_tenants(session, load_all([root / "tenants"]))
        return [(c.action, c.kind, c.key) for c in run.plan.changes]


async def test_a_pruned_auto_attendant_is_deleted_and_the_next_plan_is_clean(workspace: Path) -> None:
    await apply(workspace)
    made = await portal_request(
        "POST",
        f"/domains/{DOMAIN}/autoattendants",
        {"attendant-name": "Old Menu", "user": "599", "time-frame": "*", "auto-attendant": {}},
    )
    assert made.status_code == 200
    prompt = made.json()["starting-prompt"]
    tenant = workspace / TENANT / "tenant.yaml"
    tenant.write_text(tenant.read_text() + "prune:\n  auto_attendants: true\n")
    changes, writes = await apply(workspace)
    assert [(c.action, c.kind, c.key) for c in changes] == [("delete", "auto_attendant", ("599",))]
    assert [(w.method, w.path) for w in writes] == [("DELETE", f"/domains/{DOMAIN}/users/599/autoattendants/{prompt}")]
    assert await plan_changes(workspace) == []


@asynccontextmanager
async def sandbox_context(dialect: Dialect) -> AsyncIterator[Context]:
    """The provider on the workspace's embedded sandbox, with a chosen dialect."""
    app = create_app(os.environ["SKYCONF_SANDBOX_DB"], tokens=[SANDBOX_TOKEN])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://pbx/ns-api/v2",
        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
    ) as client:
        yield Context(Api([client]), DOMAIN, "CA", State(), State(), {}, dialect=dialect)


BRIDGE = {
    "name": "Board Room",
    "owner": "101",
    "leader_pin": "1357",
    "participant_pin": "2468",
    "max_participants": 12,
    "quorum": 3,
    "leader_required": True,
    "announce_participants": False,
    "request_name": True,
}


async def test_both_conference_bodies_create_the_same_bridge(workspace: Path) -> None:
    await apply(workspace)
    for ext, form in (("310", "object"), ("311", "array")):
        async with sandbox_context(Dialect(conference_body=form)) as ctx:
            await ConferenceMapping().create(ctx, Change("create", "conference", (ext,), None, BRIDGE))
    async with sandbox_context(Dialect()) as ctx:
        read = {r.key[0]: r.fields for r in await ConferenceMapping().read(ctx)}
    assert read["310"] == read["311"] == BRIDGE


async def test_conference_bodies_on_the_wire(workspace: Path) -> None:
    await apply(workspace)
    log: list[object] = []

    def record(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the create's read-back after its 202
            return httpx.Response(200, json=[{"aor": f"sip:310@{DOMAIN}"}])
        log.append(httpx.Response(200, content=request.content).json())
        return httpx.Response(202, json={"code": 202, "message": "Accepted"})

    for form in ("object", "array"):
        async with httpx.AsyncClient(transport=httpx.MockTransport(record), base_url="http://pbx") as client:
            ctx = Context(Api([client]), DOMAIN, "CA", State(), State(), {}, dialect=Dialect(conference_body=form))
            await ConferenceMapping().create(ctx, Change("create", "conference", ("310",), None, BRIDGE))
    obj, array = log
    assert isinstance(obj, dict) and obj["conference"] == "310" and obj["conference_type"] == "dedicated"
    assert obj["max_participants"] == 12 and obj["quorum"] == 3 and obj["leader_required"] == "yes"
    assert isinstance(array, list) and len(array) == 1
    assert array[0]["aor"] == f"sip:310@{DOMAIN}" and array[0]["max_participants"] == "12"


def test_queue_dispatch_types_compare_regardless_of_case() -> None:
    for wire in ("Round-robin", "round-robin", "ROUND-ROBIN"):
        assert queue_fields({"callqueue-dispatch-type": wire})["dispatch"] == "round_robin"
    assert queue_fields({"callqueue-dispatch-type": "ring all"})["dispatch"] == "ring_all"


def test_user_fields_spelled_two_ways() -> None:
    standard = Dialect()
    live = Dialect.model_validate(
        {
            "fields": {
                "voicemail_announce_date": "voicemail-playback-announce-date-time-received",
                "directory_dial_by_name": "directory-annouce-in-dial-by-name-enabled",
            }
        }
    )
    fields = {"voicemail_announce_date": True, "directory_dial_by_name": True}
    assert _user_body(fields, standard) == {
        "voicemail-playback-announce-datetime-received": "yes",
        "directory-annouce-in-dial-by-name-enabled": "yes",
    }
    written = _user_body(fields, live)
    assert written == {
        "voicemail-playback-announce-date-time-received": "yes",
        "directory-annouce-in-dial-by-name-enabled": "yes",
    }
    # Either spelling reads back, whatever the dialect; the dialect's own wins when both are there.
    for dialect in (standard, live):
        read = _user_fields(written, "US", dialect)
        assert (read["voicemail_announce_date"], read["directory_dial_by_name"]) == (True, True)
    both = {**written, "voicemail-playback-announce-datetime-received": "no"}
    assert _user_fields(both, "US", standard)["voicemail_announce_date"] is False
    assert _user_fields(both, "US", live)["voicemail_announce_date"] is True


async def test_rule_targets_are_written_in_the_standard_forms_and_read_back(workspace: Path) -> None:
    await apply(workspace)
    rules = (await portal_request("GET", f"/domains/{DOMAIN}/users/103/answerrules")).json()
    default = next(r for r in rules if r["time-frame"] == "*")
    closed = next(r for r in rules if r["time-frame"] == "Closed Hours")
    assert default["forward-on-busy"]["parameters"] == ["300"]  # a bridge: its bare extension
    assert default["forward-no-answer"]["parameters"] == ["attendant_500"]
    assert closed["forward-always"]["parameters"] == ["user_101"]
    assert await plan_changes(workspace) == []
