"""Voicemail greetings by name and auto-attendant prompts: where they land, and what a change costs."""

from __future__ import annotations

import itertools
from pathlib import Path

from skyconf.model.greetings import greeting_index
from skyconf.pipeline import Session, apply_runs, load_all, plan_tenants
from skyconf.resources import State
from skyconf.sandbox.log import Exchange
from tests.audio import tone
from tests.conformance.openapi_check import SpecChecker
from tests.conftest import portal_edit, portal_request, run

DOMAIN = "acme.example.com"
ALICE = f"/domains/{DOMAIN}/users/101"
VACATION = "Hi, this is Alice. I am away this week; Bob Martin at extension 102 can help you."
CLOSED = "Acme is closed. Press 1 to leave a message, or 2 for more options."


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / "tenants" / "example" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


async def apply(root: Path) -> tuple[list[Exchange], list[Exchange]]:
    """Plan and apply the workspace's tenant: (the writes, every exchange)."""
    async with Session(root, record_bodies=True) as session:
        runs = await plan_tenants(session, load_all([root / "tenants"]))
        outcomes = await apply_runs(runs)
        assert {o.status for o in outcomes["example"]} <= {"done"}, [o.error for o in outcomes["example"]]
        log = session.sandbox_logs["sandbox"]
        return log.writes(), list(log.exchanges)


async def live(root: Path) -> State:
    """The live state after a plan that must find nothing to change."""
    async with Session(root) as session:
        (run_,) = await plan_tenants(session, load_all([root / "tenants"]))
        assert run_.plan.changes == [], [(c.action, c.kind, c.key) for c in run_.plan.changes]
        return run_.live


async def prompt_number(frame: str) -> int:
    listed = (await portal_request("GET", f"/domains/{DOMAIN}/autoattendants")).json()
    (item,) = [i for i in listed if i["user"] == "500" and i["time-frame"] == frame]
    return int(item["starting-prompt"].removeprefix("Prompt_"))


async def test_greetings_land_at_the_numbers_their_names_give(workspace: Path, spec_checker: SpecChecker) -> None:
    writes, _ = await apply(workspace)
    greetings = (await portal_request("GET", f"{ALICE}/greetings")).json()
    by_number = {g["ordinal-order"]: g for g in greetings}
    assert sorted(by_number) == sorted([greeting_index("standard"), greeting_index("vacation")])
    standard = by_number[greeting_index("standard")]["file-script-text"]
    assert standard.startswith("standard: greetings/alice.wav sha256:")
    assert by_number[greeting_index("vacation")]["file-script-text"] == VACATION
    # `greeting: standard` is the number of that greeting.
    user = (await portal_request("GET", ALICE)).json()
    assert user["voicemail-greeting-index"] == greeting_index("standard")
    assert spec_checker.check_exchanges([w for w in writes if "/greetings" in w.path]) == []


async def test_prompts_are_greetings_of_the_attendant_and_fields_of_it(workspace: Path) -> None:
    await apply(workspace)
    number = await prompt_number("Open Hours")
    audio = (await portal_request("GET", f"/domains/{DOMAIN}/users/500/greetings/{number}")).json()
    assert audio["file-script-text"].startswith("greetings/main-menu.wav sha256:")
    # What `simulate` reads: the attendant's `prompts`, time frame -> the audio it plays.
    state = await live(workspace)
    attendant = state.get("auto_attendant", ("500",))
    assert attendant is not None
    prompts = attendant.fields["prompts"]
    assert prompts["Open Hours"]["file"] == "greetings/main-menu.wav"
    assert prompts["default"] == {"text": CLOSED, "voice": "en-US-Wavenet-C", "language": "en-US"}
    assert prompts["Holiday"]["text"].startswith("Happy holidays from Acme.")
    after_hours = state.get("auto_attendant", ("501",))
    assert after_hours is not None and after_hours.fields.get("prompts") == {}


async def test_only_declared_users_greetings_are_read(workspace: Path) -> None:
    await apply(workspace)
    _, exchanges = await apply(workspace)
    read = sorted({e.path for e in exchanges if e.method == "GET" and e.path.endswith("/greetings")})
    assert read == [f"{ALICE}/greetings"]


async def test_changing_a_greetings_text_is_one_update(workspace: Path, spec_checker: SpecChecker) -> None:
    await apply(workspace)
    edit(workspace, "users.yaml", "I am away this week", "I am away until Monday")
    writes, _ = await apply(workspace)
    assert [(w.method, w.path) for w in writes] == [("PUT", f"{ALICE}/greetings/{greeting_index('vacation')}")]
    assert writes[0].request_body["script"] == VACATION.replace("this week", "until Monday")
    assert spec_checker.check_exchanges(writes) == []
    await live(workspace)


async def test_a_wav_is_uploaded_only_when_its_bytes_change(workspace: Path, spec_checker: SpecChecker) -> None:
    await apply(workspace)
    wav = workspace / "tenants" / "example" / "greetings" / "alice.wav"
    wav.write_bytes(wav.read_bytes())  # touched, same bytes
    writes, _ = await apply(workspace)
    assert writes == []
    wav.write_bytes(tone(600))
    writes, _ = await apply(workspace)
    assert [(w.method, w.path) for w in writes] == [("PUT", f"{ALICE}/greetings/{greeting_index('standard')}")]
    assert "base64_file" in writes[0].request_body
    assert spec_checker.check_exchanges(writes) == []


async def test_changing_a_prompt_writes_its_greeting_only(workspace: Path, spec_checker: SpecChecker) -> None:
    await apply(workspace)
    edit(workspace, "auto_attendants.yaml", "Acme is closed.", "Acme is closed today.")
    writes, _ = await apply(workspace)
    number = await prompt_number("*")
    assert [(w.method, w.path) for w in writes] == [("PUT", f"/domains/{DOMAIN}/users/500/greetings/{number}")]
    assert writes[0].request_body["script"] == CLOSED.replace("closed.", "closed today.")
    (workspace / "tenants" / "example" / "greetings" / "main-menu.wav").write_bytes(tone(700))
    writes, _ = await apply(workspace)
    number = await prompt_number("Open Hours")
    assert [(w.method, w.path) for w in writes] == [("PUT", f"/domains/{DOMAIN}/users/500/greetings/{number}")]
    assert spec_checker.check_exchanges(writes) == []
    await live(workspace)


async def test_a_greeting_left_out_is_deleted_and_a_number_still_works(workspace: Path) -> None:
    await apply(workspace)
    vacation = f"""        vacation:
          tts: "{VACATION}"
          voice: en-US-Wavenet-C
          language: en-US
"""
    edit(workspace, "users.yaml", vacation, "")
    edit(workspace, "users.yaml", "greeting: standard ", "greeting: 0        ")
    writes, _ = await apply(workspace)
    assert sorted((w.method, w.path) for w in writes) == [
        ("DELETE", f"{ALICE}/greetings/{greeting_index('vacation')}"),
        ("PUT", ALICE),
    ]
    user = (await portal_request("GET", ALICE)).json()
    assert user["voicemail-greeting-index"] == 0
    await live(workspace)


async def test_a_name_of_digits_is_that_number_and_unnamed_ones_go(workspace: Path) -> None:
    await apply(workspace)
    # Recorded by phone: greeting 2 of Alice, and one of Bob (who declares no greetings).
    recorded = {"synchronous": "yes", "index": 2, "script": "recorded"}
    for user in ("101", "102"):
        assert (await portal_request("POST", f"/domains/{DOMAIN}/users/{user}/greetings", recorded)).status_code == 200
    edit(workspace, "users.yaml", "greeting: standard ", "greeting: 3        ")
    edit(
        workspace, "users.yaml", "        standard: {file:", '        "3": {tts: Back soon.}\n        standard: {file:'
    )
    writes, _ = await apply(workspace)
    assert sorted((w.method, w.path) for w in writes) == [
        ("DELETE", f"{ALICE}/greetings/2"),  # not in Alice's list
        ("POST", f"{ALICE}/greetings"),
        ("PUT", ALICE),
    ]
    numbers = [g["ordinal-order"] for g in (await portal_request("GET", f"{ALICE}/greetings")).json()]
    assert numbers == sorted([3, greeting_index("standard"), greeting_index("vacation")])
    assert (await portal_request("GET", ALICE)).json()["voicemail-greeting-index"] == 3
    bob = (await portal_request("GET", f"/domains/{DOMAIN}/users/102/greetings")).json()
    assert [g["ordinal-order"] for g in bob] == [2]  # Bob's are not skyconf's to manage
    await live(workspace)


def test_wrong_greeting_references_and_names_are_errors(workspace: Path) -> None:
    edit(workspace, "users.yaml", "greeting: standard", "greeting: standrd")
    result = run("plan", "tenants/example")
    assert result.exit_code == 1
    assert "no greeting named 'standrd' in voicemail.greetings (standard, vacation)" in result.output
    edit(workspace, "users.yaml", "greeting: standrd", "greeting: 7")
    assert "greeting 7 is not one of voicemail.greetings" in run("plan", "tenants/example").output
    # Two names that the PBX would number alike.
    first, second = _colliding_names()
    edit(workspace, "users.yaml", "greeting: 7", "greeting: 0")
    edit(workspace, "users.yaml", "standard: {file:", f"{first}: {{tts: one}}\n        {second}: {{file:")
    output = run("plan", "tenants/example").output
    assert f"'{second}' and '{first}' would be the same greeting number {greeting_index(first)}" in output
    edit(workspace, "users.yaml", f"{second}: {{file:", "bad name: {file:")
    assert "a greeting's name is letters, digits" in run("plan", "tenants/example").output


def _colliding_names() -> tuple[str, str]:
    seen: dict[int, str] = {}
    for n in itertools.count():
        name = f"g{n}"
        slot = greeting_index(name)
        if slot in seen:
            return seen[slot], name
        seen[slot] = name
    raise AssertionError("unreachable")


def test_names_map_to_numbers() -> None:
    assert greeting_index("2") == 2 and greeting_index("17") == 17
    assert all(1000 <= greeting_index(n) < 10000 for n in ("standard", "vacation", "a", "Z.9_x-y"))
    assert greeting_index("standard") != greeting_index("vacation")


def test_import_names_greetings_and_prompts_and_lists_their_files(workspace: Path) -> None:
    import base64

    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    # Recorded in the portal for a user whose YAML declares no greetings: it comes back as its number.
    body = {"synchronous": "yes", "index": 1, "script": "", "base64_file": base64.b64encode(tone(300)).decode()}
    assert portal_edit("POST", f"/domains/{DOMAIN}/users/102/greetings", body).status_code == 200
    result = run("import", "--domain", DOMAIN, "-o", "tenants/imported")
    assert result.exit_code == 0, result.output
    folder = workspace / "tenants" / "imported"
    users = (folder / "users.yaml").read_text()
    alice = users.split('"101":', 1)[1].split('"102":', 1)[0]
    bob = users.split('"102":', 1)[1].split('"103":', 1)[0]
    assert "greeting: standard" in alice and "standard: {file: greetings/alice.wav}" in alice
    # Spoken, and in no folder yet that names it: it comes back as the number its name gave.
    assert f'"{greeting_index("vacation")}":' in alice and VACATION in alice
    assert '"1": {file: greetings/102-1.wav}' in bob
    attendants = (folder / "auto_attendants.yaml").read_text()
    assert "prompt: {file: greetings/main-menu.wav}" in attendants and CLOSED in attendants
    assert "tenants/imported/greetings/alice.wav (missing; sha256" in result.output
    assert "tenants/imported/greetings/main-menu.wav (missing; sha256" in result.output
    assert "tenants/imported/greetings/102-1.wav (missing" in result.output
