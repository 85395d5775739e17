"""Contacts: identity (names + company, or an explicit key), updates in place, no duplicates ever."""

from __future__ import annotations

from pathlib import Path

import httpx

from skyconf.apply import apply_changes
from skyconf.config import SANDBOX_TOKEN
from skyconf.load import load_tenant
from skyconf.pipeline import Session, apply_runs, load_all, plan_tenants
from skyconf.plan import diff
from skyconf.providers.netsapiens import NetSapiensTenant
from skyconf.providers.netsapiens.api import Api
from skyconf.resolve import resolve
from skyconf.sandbox.app import create_app
from skyconf.sandbox.faults import Faults
from skyconf.sandbox.log import RequestLog
from tests.conformance.openapi_check import SpecChecker

HEADER = "# yaml-language-server: $schema=../../schemas/tenant.schema.json\n"
DOMAIN = "big.example.com"


def directory(root: Path, contacts: list[str], extra: str = "") -> Path:
    folder = root / "tenants" / "big"
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f"  - {c}\n" for c in contacts)
    (folder / "tenant.yaml").write_text(
        f"{HEADER}domain: {DOMAIN}\ncountry: CA\ntime_zone: America/Toronto\n{extra}contacts:\n{body}"
    )
    return folder


def people(n: int) -> list[str]:
    return [
        f'{{first_name: "Person{i:03d}", last_name: Test, company: "Firm {i % 7}", work: "+1 416 555 {i:04d}"}}'
        for i in range(n)
    ]


async def apply_folder(root: Path, folder: Path, record: bool = False) -> Session:
    desired = load_all([folder])
    async with Session(root, record_bodies=record) as session:
        runs = await plan_tenants(session, desired)
        outcomes = await apply_runs(runs)
        assert {o.status for os_ in outcomes.values() for o in os_} <= {"done"}
    return session


async def test_500_contacts_then_one_number_change_is_one_update(workspace: Path, spec_checker: SpecChecker) -> None:
    contacts = people(500)
    folder = directory(workspace, contacts)
    first = await apply_folder(workspace, folder, record=True)
    log = first.sandbox_logs["sandbox"]
    assert sum(1 for e in log.writes() if e.method == "POST") == 500
    assert spec_checker.check_exchanges(log.exchanges[:5] + log.exchanges[-5:]) == []

    contacts[123] = contacts[123].replace("+1 416 555 0123", "(905) 555-0000")
    directory(workspace, contacts)
    second = await apply_folder(workspace, folder, record=True)
    writes = second.sandbox_logs["sandbox"].writes()
    assert [(w.method, w.request_body["phonenumber-work"], w.request_body["name-first-name"]) for w in writes] == [
        ("PUT", "19055550000", "Person123")
    ]
    assert spec_checker.check_exchanges(writes) == []

    third = await apply_folder(workspace, folder)
    assert third.sandbox_logs["sandbox"].writes() == []


async def test_identity_ignores_case_and_spacing_and_a_key_survives_renames(workspace: Path) -> None:
    folder = directory(
        workspace,
        [
            '{key: desk, first_name: Front, last_name: Desk, work: "416 555 0100"}',
            "{first_name: Ann, last_name: Lee, company: ACME}",
        ],
    )
    await apply_folder(workspace, folder)
    # Renaming a keyed contact and re-casing a named one: updates, never new contacts.
    directory(
        workspace,
        [
            '{key: desk, first_name: Reception, last_name: Desk, work: "416 555 0100"}',
            '{first_name: ann, last_name: "Lee ", company: "ACME"}',
        ],
    )
    desired = load_all([folder])
    async with Session(workspace) as session:
        (run,) = await plan_tenants(session, desired)
        assert [(c.action, c.key, c.changed) for c in run.plan.changes] == [
            ("update", ("#desk",), ("first_name",)),
            ("update", ("ann lee @ acme",), ("first_name",)),
        ]
        await apply_runs([run])
    async with Session(workspace) as session:
        (run,) = await plan_tenants(session, desired)
        assert run.plan.changes == []
        assert len(run.live.of_kind("contact")) == 2


async def test_adding_a_key_to_an_existing_contact_is_an_update(workspace: Path) -> None:
    folder = directory(workspace, ['{first_name: Ann, last_name: Lee, work: "416 555 0100"}'])
    await apply_folder(workspace, folder)
    directory(workspace, ['{key: ann, first_name: Ann, last_name: Lee, work: "416 555 0100"}'])
    desired = load_all([folder])
    async with Session(workspace) as session:
        (run,) = await plan_tenants(session, desired)
        assert [(c.action, c.key, c.changed) for c in run.plan.changes] == [("update", ("#ann",), ("key",))]
        await apply_runs([run])
        (put,) = session.sandbox_logs["sandbox"].writes()
        assert put.method == "PUT"
    async with Session(workspace) as session:
        (run,) = await plan_tenants(session, desired)
        assert run.plan.changes == [] and len(run.live.of_kind("contact")) == 1


async def test_live_contacts_not_in_yaml_are_left_alone_unless_pruned(workspace: Path) -> None:
    folder = directory(workspace, ["{first_name: Ann, last_name: Lee}", "{first_name: Bo, last_name: Li}"])
    await apply_folder(workspace, folder)
    directory(workspace, ["{first_name: Ann, last_name: Lee}"])
    async with Session(workspace) as session:
        (run,) = await plan_tenants(session, load_all([folder]))
        assert run.plan.changes == [] and run.plan.unmanaged == {"contact": 1}
    directory(workspace, ["{first_name: Ann, last_name: Lee}"], extra="prune: {contacts: true}\n")
    async with Session(workspace) as session:
        (run,) = await plan_tenants(session, load_all([folder]))
        assert [(c.action, c.key) for c in run.plan.changes] == [("delete", ("bo li",))]


async def test_creates_retried_after_lost_answers_do_not_duplicate(workspace: Path, tmp_path: Path) -> None:
    """Writes fail with a 5xx *after* the server made the contact: a blind retry would create it
    twice; the client looks first."""
    folder = directory(workspace, people(60))
    desired = resolve(load_tenant(folder))
    log = RequestLog()
    faults = Faults(seed=3, error_rate=0.3, error_after_write_share=1.0)
    app = create_app(tmp_path / "faulty.sqlite3", tokens=[SANDBOX_TOKEN], faults=faults, log=log)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://sandbox/ns-api/v2",
        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
    ) as client:
        tenant = NetSapiensTenant(Api([client]), desired.scope)
        changes, _ = diff(desired.state, await tenant.read(), desired.prune)
        outcomes = await apply_changes(changes, tenant.write)
        assert {o.status for o in outcomes} == {"done"}
        assert any(e.status >= 500 and e.method == "POST" for e in log.exchanges), "the faults did happen"
        app.state.faults.replace(Faults())
        tenant.ctx.api.forget()
        live = await NetSapiensTenant(Api([client]), desired.scope).read()
    assert len(live.of_kind("contact")) == 60
    assert diff(desired.state, live)[0] == []
