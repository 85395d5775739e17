"""Inbound phone numbers: declared in any spelling, written as dial rules the sandbox checks, read back
clean, imported again, and never pruned unless asked."""

from __future__ import annotations

from pathlib import Path

from skyconf.importer import import_tenant
from skyconf.model.numbers import PHONE_NUMBER
from skyconf.pipeline import Session, apply_runs, load_all, plan_tenants
from skyconf.sandbox.log import Exchange
from tests.conformance.openapi_check import SpecChecker
from tests.conftest import portal_request

NUMBERS = """\
phone_numbers:
  "+1 416 555 0100": {to: "auto_attendant:500", description: Main line}
  "(416) 555-0101": {to: "user:101", caller_name_prefix: "Alice-"}
  "416-555-0102": {to: "queue:400"}
  "4165550103": {to: "voicemail:102", enabled: false}
  "+14165550104": {to: "+1 905 555 0199"}
"""


def add_numbers(root: Path, text: str = NUMBERS) -> None:
    (root / "tenants" / "example" / "phone_numbers.yaml").write_text(text)


async def apply(root: Path) -> list[Exchange]:
    async with Session(root, record_bodies=True) as session:
        runs = await plan_tenants(session, load_all([root / "tenants"]))
        outcomes = await apply_runs(runs)
        assert {o.status for o in outcomes["example"]} == {"done"}, [o.error for o in outcomes["example"]]
        return session.sandbox_logs["sandbox"].writes()


async def changes(root: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    async with Session(root) as session:
        (run,) = await plan_tenants(session, load_all([root / "tenants"]))
        return [(c.action, c.kind, c.key) for c in run.plan.changes]


async def test_numbers_apply_as_dial_rules_and_plan_clean(workspace: Path, spec_checker: SpecChecker) -> None:
    add_numbers(workspace)
    (desired,) = load_all([workspace / "tenants"])
    assert sorted(k[0] for k in desired.state.keys(PHONE_NUMBER.name)) == [
        "+14165550100",
        "+14165550101",
        "+14165550102",
        "+14165550103",
        "+14165550104",
    ]
    writes = await apply(workspace)
    posts = {e.request_body["phonenumber"]: e.request_body for e in writes if e.path.endswith("/phonenumbers")}
    assert posts["14165550100"]["dial-rule-application"] == "to-user"
    assert posts["14165550100"]["dial-rule-translation-destination-user"] == "500"
    assert posts["14165550102"]["dial-rule-application"] == "to-callqueue"
    assert posts["14165550103"]["dial-rule-application"] == "to-voicemail"
    assert posts["14165550103"]["enabled"] == "no"
    assert posts["14165550104"]["dial-rule-application"] == "to-connection"
    assert posts["14165550104"]["dial-rule-translation-destination-user"] == "19055550199"
    assert posts["14165550101"]["dial-rule-translation-source-name"] == "Alice-[*]"
    assert spec_checker.check_exchanges([e for e in writes if "/phonenumbers" in e.path]) == []
    assert await changes(workspace) == []

    # A changed destination is one update; the number stays.
    add_numbers(workspace, NUMBERS.replace('to: "queue:400"', 'to: "user:102"'))
    assert await changes(workspace) == [("update", PHONE_NUMBER.name, ("+14165550102",))]
    writes = await apply(workspace)
    assert [(e.method, e.path.rsplit("/", 1)[-1]) for e in writes] == [("PUT", "14165550102")]
    assert await changes(workspace) == []


async def test_undeclared_numbers_are_left_alone_unless_pruned(workspace: Path) -> None:
    add_numbers(workspace)
    await apply(workspace)
    add_numbers(workspace, "\n".join(NUMBERS.splitlines()[:2]) + "\n")
    assert await changes(workspace) == []
    tenant = workspace / "tenants" / "example" / "tenant.yaml"
    tenant.write_text(tenant.read_text() + "prune: {phone_numbers: true}\n")
    assert sorted(await changes(workspace)) == [
        ("delete", PHONE_NUMBER.name, (f"+1416555010{i}",)) for i in range(1, 5)
    ]


async def test_the_sandbox_refuses_a_number_routed_to_nothing(workspace: Path) -> None:
    add_numbers(workspace)
    await apply(workspace)
    missing = await portal_request(
        "POST",
        "/domains/acme.example.com/phonenumbers",
        {
            "phonenumber": "14165550188",
            "dial-rule-application": "to-callqueue",
            "dial-rule-translation-destination-user": "999",
        },
    )
    assert missing.status_code == 400 and "999" in missing.json()["message"]
    duplicate = await portal_request(
        "POST",
        "/domains/acme.example.com/phonenumbers",
        {"phonenumber": "14165550100", "dial-rule-translation-destination-user": "101"},
    )
    assert duplicate.status_code == 409


async def test_import_writes_the_numbers_back(workspace: Path) -> None:
    add_numbers(workspace)
    await apply(workspace)
    (before,) = load_all([workspace / "tenants"])
    folder = workspace / "tenants" / "example"
    (folder / "phone_numbers.yaml").unlink()
    async with Session(workspace) as session:
        report = await import_tenant(session, "sandbox", "acme.example.com", folder, "CA")
    assert (folder / "phone_numbers.yaml").is_file()
    assert report.remaining == []
    (again,) = load_all([workspace / "tenants"])
    wanted = {r.key: r.fields for r in before.state.of_kind(PHONE_NUMBER.name)}
    assert {r.key: r.fields for r in again.state.of_kind(PHONE_NUMBER.name)} == wanted


def test_two_spellings_of_one_number_are_one_problem(workspace: Path) -> None:
    from tests.conftest import run

    add_numbers(workspace, NUMBERS + '  "+1 (416) 555-0100": {to: "user:101"}\n')
    result = run("validate", "tenants/example")
    assert result.exit_code == 1
    assert "phone_numbers.yaml:7:3: phone_numbers.+1 (416) 555-0100: +14165550100 is already declared" in result.output
