"""Issue 4: phones by MAC, their rendered configurations, plan diffs of that text, apply to NDP phones."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from skyconf.cli.phones import render
from skyconf.model.phone_templates import merge_overrides, normalize_config, zone_info
from skyconf.pipeline import Session, apply_runs, load_all, plan_tenants
from skyconf.plan import Change
from skyconf.render import field_lines
from skyconf.resources import State
from tests.conformance.openapi_check import SpecChecker
from tests.conftest import REPO, portal_edit, portal_request, run

YEALINK, POLYCOM, GRANDSTREAM = "001565aabbcc", "0004f2112233", "000b82445566"
DOMAIN = "acme.example.com"


def example_state() -> State:
    return load_all([REPO / "tenants" / "example"])[0].state


def key_values(text: str) -> dict[str, str]:
    """A key=value configuration as a dict; fails on a line that is neither a comment nor key = value."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not key=value: {line!r}"
        assert key.strip() not in out, f"{key.strip()} twice"
        out[key.strip()] = value.strip()
    return out


def polycom_attributes(text: str) -> dict[str, str]:
    root = ET.fromstring(text)
    assert root.tag == "polycomConfig"
    out: dict[str, str] = {}
    for element in root.iter():
        out.update(element.attrib)
    return out


def config(state: State, mac: str) -> str:
    phone = state.get("phone", (mac,))
    assert phone is not None
    return str(phone.fields["config"])


# --- rendering ---------------------------------------------------------------------------------


def test_example_has_one_phone_of_each_family() -> None:
    state = example_state()
    models = {r.key[0]: r.fields["model"] for r in state.of_kind("phone")}
    assert models == {YEALINK: "Yealink T54W", POLYCOM: "Polycom VVX 450", GRANDSTREAM: "Grandstream GRP2614"}
    polycom = state.get("phone", (POLYCOM,))
    assert polycom is not None and (polycom.fields["user"], polycom.fields["lines"]) == ("102", ["104"])


def test_yealink_config_is_key_value_with_account_blf_and_time() -> None:
    text = config(example_state(), YEALINK)
    assert text.splitlines()[0] == "#!version:1.0.0.1"
    kv = key_values(text)
    assert kv["account.1.user_name"] == "101"
    assert kv["account.1.display_name"] == "Alice Chen"
    assert kv["account.1.label"] == "101"
    # line 1, then BLF 102 and 103, then two speed dials
    assert (kv["linekey.1.type"], kv["linekey.1.line"]) == ("15", "1")
    assert [kv[f"linekey.2.{f}"] for f in ("type", "value", "label")] == ["16", "102", "Bob Martin"]
    assert [kv[f"linekey.3.{f}"] for f in ("type", "value", "label")] == ["16", "103", "Carol Diaz"]
    assert [kv[f"linekey.4.{f}"] for f in ("type", "value", "label")] == ["13", "+19055550199", "Supplier"]
    assert [kv[f"linekey.5.{f}"] for f in ("value", "label")] == ["+18005550142", "Northline Courier"]
    assert kv["local_time.time_zone"] == "-5"
    assert (kv["local_time.start_time"], kv["local_time.end_time"]) == ("3/2/7/2", "11/1/7/2")
    assert kv["remote_phonebook.data.1.url"] == "https://provisioning.acme.example.com/phonebook/acme.xml"


def test_polycom_config_is_well_formed_xml_with_lines_and_blf() -> None:
    attrs = polycom_attributes(config(example_state(), POLYCOM))
    assert attrs["reg.1.address"] == "102" and attrs["reg.1.displayName"] == "Bob Martin"
    assert attrs["reg.2.address"] == "104" and attrs["reg.2.displayName"] == "Dev Patel"
    assert attrs["attendant.resourceList.1.address"] == "101"
    assert attrs["attendant.resourceList.1.label"] == "Alice Chen"
    assert attrs["attendant.resourceList.2.label"] == "Carol Diaz"
    assert attrs["tcpIpApp.sntp.gmtOffset"] == "-18000"
    assert attrs["tcpIpApp.sntp.daylightSavings.start.date"] == "8"
    assert attrs["tcpIpApp.sntp.daylightSavings.start.dayOfWeek"] == "1"


def test_grandstream_config_is_p_values_with_account_vpks_time_and_override() -> None:
    kv = key_values(config(example_state(), GRANDSTREAM))
    assert (kv["P271"], kv["P270"], kv["P35"], kv["P3"]) == ("1", "103", "103", "Carol Diaz")
    # GRP2614: VPK 1-4 belong to the accounts; BLF keys are VPK 5 and 6
    assert (kv["P1371"], kv["P1473"], kv["P1474"]) == ("1", "Alice Chen", "101")
    assert (kv["P1373"], kv["P1475"], kv["P1476"]) == ("1", "Bob Martin", "102")
    assert (kv["P64"], kv["P246"], kv["P143"]) == ("customize", "EST5EDT,M3.2.0,M11.1.0", "0")
    assert kv["P122"] == "1"  # from `overrides:`


def test_xml_values_are_escaped_and_key_value_values_stay_on_one_line(tmp_path: Path) -> None:
    tenant = tmp_path / "t"
    tenant.mkdir()
    (tmp_path / "skyconf.yaml").write_text("profiles: {}\n")
    (tmp_path / "templates").symlink_to(REPO / "templates")
    (tenant / "tenant.yaml").write_text(
        "domain: t.example\ntime_zone: Asia/Kolkata\n"
        "users:\n"
        '  "201": {first_name: "R&D", last_name: "<Sales> \\"x\\""}\n'
        '  "202": {first_name: "Eve", last_name: "Two"}\n'
        "phones:\n"
        '  "0004f2000001": {model: Poly VVX 450, user: "201", blf: ["202"]}\n'
        '  "001565000002": {model: T54W, user: "202"}\n'
    )
    state = load_all([tenant])[0].state
    attrs = polycom_attributes(config(state, "0004f2000001"))
    assert attrs["reg.1.displayName"] == 'R&D <Sales> "x"'
    assert attrs["tcpIpApp.sntp.gmtOffset"] == "19800"
    assert attrs["tcpIpApp.sntp.daylightSavings.enable"] == "0"
    kv = key_values(config(state, "001565000002"))
    # A line break in a name ("Two\naccount.1.password = stolen") is refused on input: test_hostile_inputs.
    assert kv["account.1.display_name"] == "Eve Two"
    assert kv["local_time.time_zone"] == "+5:30"


def test_overrides_replace_keys_and_attributes_or_are_added() -> None:
    text = "#!version:1.0.0.1\nlocal_time.time_zone = -5\nfoo = 1\nlocal_time.time_zone = -5\n"
    merged = merge_overrides(text, {"local_time.time_zone": -6, "bar": True}, xml=False)
    assert key_values(merged) == {"local_time.time_zone": "-6", "foo": "1", "bar": "1"}
    xml = '<?xml version="1.0"?>\n<polycomConfig>\n  <reg\n    reg.1.label="101"\n  />\n</polycomConfig>\n'
    merged = merge_overrides(xml, {"reg.1.label": "A&B", "up.oneTouchVoiceMail": 1}, xml=True)
    assert polycom_attributes(merged) == {"reg.1.label": "A&B", "up.oneTouchVoiceMail": "1"}


def test_time_zone_rules_come_from_tzdata() -> None:
    toronto = zone_info("America/Toronto")
    assert toronto["posix"] == "EST5EDT,M3.2.0,M11.1.0"
    assert toronto["utc_offset_seconds"] == -5 * 3600
    assert toronto["dst"]["start"] == {
        "month": 3,
        "week": 2,
        "weekday": 0,
        "weekday_mon1": 7,
        "weekday_sun1": 1,
        "first_day": 8,
        "last": False,
        "hour": 2,
        "minute": 0,
    }
    assert zone_info("Europe/Paris")["dst"]["end"]["last"] is True
    assert zone_info("America/St_Johns")["utc_offset_hours"] == "-3:30"
    assert zone_info("UTC")["dst"] is None


def test_multi_line_fields_render_as_a_unified_diff() -> None:
    before = {"config": "a = 1\nb = 2\nc = 3\nd = 4\n", "model": "Yealink T54W"}
    after = {"config": "a = 1\nb = 20\nc = 3\nd = 4\n", "model": "Yealink T54W"}
    change = Change("update", "phone", ("001565aabbcc",), before, after, ("config",))
    assert field_lines(change) == [
        (" ", "config:"),
        (" ", "@@ -1,3 +1,3 @@"),
        (" ", "a = 1"),
        ("-", "b = 2"),
        ("+", "b = 20"),
        (" ", "c = 3"),
    ]


def test_normalized_config_is_stable() -> None:
    assert normalize_config("\r\n\na = 1  \r\n\n\n\nb = 2\n\n") == "a = 1\n\nb = 2\n"
    assert normalize_config(None) == ""


# --- plan / apply on the sandbox ---------------------------------------------------------------


async def test_phones_apply_converge_and_conform(workspace: Path, spec_checker: SpecChecker) -> None:
    desired = load_all([workspace / "tenants"])
    async with Session(workspace, record_bodies=True) as session:
        runs = await plan_tenants(session, desired)
        phones = [c for c in runs[0].plan.changes if c.kind == "phone"]
        assert sorted((c.action, c.key[0]) for c in phones) == [
            ("create", POLYCOM),
            ("create", GRANDSTREAM),
            ("create", YEALINK),
        ]
        outcomes = await apply_runs(runs)
        assert {o.status for o in outcomes["example"]} == {"done"}
        log = session.sandbox_logs["sandbox"]
        assert not spec_checker.check_exchanges(log.exchanges)
        assert any(e.path == "/phones/models" for e in log.exchanges)

    async with Session(workspace) as session:
        runs = await plan_tenants(session, desired)
        assert runs[0].plan.changes == []
        live = runs[0].live
        assert live.get("phone", (YEALINK,)).fields == desired[0].state.get("phone", (YEALINK,)).fields  # type: ignore[union-attr]

    record = (await portal_request("GET", f"/domains/{DOMAIN}/phones/{POLYCOM}")).json()
    assert record["device-models-brand-and-model"] == "Polycom VVX 450"
    assert (record["device-provisioning-sip-uri-1"], record["device-provisioning-line-1-enabled"]) == (
        f"sip:102@{DOMAIN}",
        "yes",
    )
    assert (record["device-provisioning-sip-uri-2"], record["device-provisioning-line-2-enabled"]) == (
        f"sip:104@{DOMAIN}",
        "yes",
    )
    assert record["device-models-overrides-blob"] == config(desired[0].state, POLYCOM)


async def test_a_portal_edit_of_a_phone_is_drift_and_apply_restores_it(workspace: Path) -> None:
    desired = load_all([workspace / "tenants"])
    async with Session(workspace) as session:
        await apply_runs(await plan_tenants(session, desired))
    record = (await portal_request("GET", f"/domains/{DOMAIN}/phones/{YEALINK}")).json()
    record["device-models-overrides-blob"] = record["device-models-overrides-blob"].replace("Bob Martin", "Bobby")
    record["device-provisioning-sip-uri-2"] = f"sip:103@{DOMAIN}"
    record["device-provisioning-line-2-enabled"] = "yes"
    assert (await portal_request("PUT", f"/domains/{DOMAIN}/phones", record)).status_code == 202

    async with Session(workspace, record_bodies=True) as session:
        runs = await plan_tenants(session, desired)
        (change,) = runs[0].plan.changes
        assert (change.kind, change.changed) == ("phone", ("lines", "config"))
        assert field_lines(change)[0] == (" ", "lines: [103] -> [] (default)")
        signed = [line for line in field_lines(change) if line[0] != " "]
        assert signed == [
            ("-", "linekey.2.label = Bobby"),
            ("+", "linekey.2.label = Bob Martin"),
        ]
        await apply_runs(runs)
        (put,) = session.sandbox_logs["sandbox"].writes()
        assert put.method == "PUT" and put.request_body["device-provisioning-line-2-enabled"] == "no"
    async with Session(workspace) as session:
        assert (await plan_tenants(session, desired))[0].plan.changes == []


async def test_renaming_a_user_changes_only_their_name_lines_on_every_phone(workspace: Path) -> None:
    desired = load_all([workspace / "tenants"])
    async with Session(workspace) as session:
        await apply_runs(await plan_tenants(session, desired))

    users = workspace / "tenants" / "example" / "users.yaml"
    users.write_text(users.read_text().replace("first_name: Alice", "first_name: Alicia", 1))
    desired = load_all([workspace / "tenants"])
    async with Session(workspace) as session:
        plan = (await plan_tenants(session, desired))[0].plan
    by_ref = {(c.kind, c.key[0]): c for c in plan.changes}
    assert set(by_ref) == {("user", "101"), ("phone", YEALINK), ("phone", POLYCOM), ("phone", GRANDSTREAM)}

    def signed(mac: str) -> list[tuple[str, str]]:
        change = by_ref[("phone", mac)]
        assert change.changed == ("config",)
        return [line for line in field_lines(change) if line[0] != " "]

    # Alice's own phone: her display name; every phone watching her: that BLF key's label.
    assert signed(YEALINK) == [
        ("-", "account.1.display_name = Alice Chen"),
        ("+", "account.1.display_name = Alicia Chen"),
    ]
    assert signed(POLYCOM) == [
        ("-", '    attendant.resourceList.1.label="Alice Chen"'),
        ("+", '    attendant.resourceList.1.label="Alicia Chen"'),
    ]
    assert signed(GRANDSTREAM) == [("-", "P1473 = Alice Chen"), ("+", "P1473 = Alicia Chen")]


def test_a_model_the_pbx_does_not_support_is_an_input_error(workspace: Path) -> None:
    phones = workspace / "tenants" / "example" / "phones.yaml"
    text = phones.read_text()
    phones.write_text(text.replace("model: yealink-t54w", "model: yealink-t48u"))
    line = next(i for i, t in enumerate(phones.read_text().splitlines(), 1) if '"00:15:65:aa:bb:cc":' in t)
    result = run("plan", "tenants/example")
    assert result.exit_code == 1
    assert f"tenants/example/phones.yaml:{line}:" in result.output
    assert "this PBX does not support the model 'Yealink T48U'" in result.output
    assert "Traceback" not in result.output
    assert portal_edit("GET", f"/domains/{DOMAIN}/phones").json() == []


# --- skyconf render ----------------------------------------------------------------------------


def test_render_prints_one_phone_without_touching_the_pbx(workspace: Path) -> None:
    result = CliRunner().invoke(render, ["tenants/example", "--mac", "00-15-65-AA-BB-CC"])
    assert result.exit_code == 0, result.output
    assert result.stdout == config(example_state(), YEALINK)
    assert not Path(os.environ["SKYCONF_SANDBOX_DB"]).exists()


def test_render_writes_one_file_per_mac_named_by_template_extension(workspace: Path) -> None:
    result = CliRunner().invoke(render, ["tenants/", "-o", "out"])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (workspace / "out").iterdir())
    assert files == [f"{POLYCOM}.xml", f"{GRANDSTREAM}.cfg", f"{YEALINK}.cfg"]
    polycom_attributes((workspace / "out" / f"{POLYCOM}.xml").read_text())
    assert key_values((workspace / "out" / f"{GRANDSTREAM}.cfg").read_text())["P3"] == "Carol Diaz"


@pytest.mark.parametrize("mac", ["00:15:65:aa:bb:cd", "not-a-mac"])
def test_render_unknown_or_bad_mac_is_one_clear_error(workspace: Path, mac: str) -> None:
    result = CliRunner().invoke(render, ["tenants/example", "--mac", mac])
    assert result.exit_code == 1
    assert "error:" in result.output and "Traceback" not in result.output
