"""`skyconf selftest` against the served sandbox: every check holds on a PBX that matches the profile's
dialect, and on one that does not it names each failing check and the setting that fixes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServedSandbox, run

SCRATCH = "scratch.example.com"
LEGACY_SETTINGS = """    dialect:
      conference_body: array
      fields: {voicemail_announce_date: voicemail-playback-announce-date-time-received}
      targets: {auto_attendant: "aa_{name}"}
"""


@pytest.fixture(params=["standard", "legacy"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, ServedSandbox]]:
    sandbox = ServedSandbox.start(tmp_path / "served.sqlite3", "served-token", options=["--dialect", request.param])
    try:
        yield request.param, sandbox
    finally:
        sandbox.stop()


def profile(workspace: Path, sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch, extra: str = "") -> None:
    (workspace / "skyconf.yaml").write_text(
        f"profiles:\n  served:\n    url: {sandbox.url}/ns-api/v2\n    api_key_env: SERVED_KEY\n{extra}"
    )
    monkeypatch.setenv("SERVED_KEY", sandbox.token)


def users(sandbox: ServedSandbox) -> list[str]:
    r = httpx.get(
        f"{sandbox.url}/ns-api/v2/domains/{SCRATCH}/users", headers={"Authorization": f"Bearer {sandbox.token}"}
    )
    return [str(u["user"]) for u in r.json()]


def verdicts(output: str) -> dict[str, str]:
    """check name -> held / differed / refused, from the report's check lines."""
    out = {}
    for line in output.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("held", "differed", "refused"):
            out[rest.strip().split(":")[0]] = word
    return out


def test_every_check_holds_when_the_profile_names_the_servers_dialect(
    workspace: Path, served: tuple[str, ServedSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    dialect, sandbox = served
    profile(workspace, sandbox, monkeypatch, LEGACY_SETTINGS if dialect == "legacy" else "")
    result = run("selftest", "--pbx", "served", "--domain", SCRATCH)
    assert result.exit_code == 0, result.output
    checks = verdicts(result.output)
    assert len(checks) == 14 and set(checks.values()) == {"held"}, checks
    assert {"users", "conference", "forward to auto attendant", "simultaneous ring"} <= set(checks)
    assert users(sandbox) == []  # everything it made is gone


def test_legacy_server_with_the_default_profile_names_what_fixes_each_check(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = ServedSandbox.start(tmp_path / "legacy.sqlite3", "served-token", options=["--dialect", "legacy"])
    try:
        profile(workspace, sandbox, monkeypatch)
        result = run("selftest", "--pbx", "served", "--domain", SCRATCH)
        assert result.exit_code == 2, result.output
        checks = verdicts(result.output)
        failing = {name: v for name, v in checks.items() if v != "held"}
        assert failing == {"users": "differed", "conference": "refused", "forward to auto attendant": "refused"}
        out = result.output
        assert "user 7701: voicemail_announce_date: wrote true, read back false" in out
        user_write = "request:  POST /ns-api/v2/domains/scratch.example.com/users {"
        assert user_write in out and '"user": "7701"' in out
        assert "holds with dialect setting fields.voicemail_announce_date = " in out
        assert "holds with dialect setting conference_body = 'array'" in out
        assert "holds with dialect setting targets.auto_attendant = 'aa_{name}'" in out
        assert "request:  POST /ns-api/v2/domains/scratch.example.com/conferences" in out
        assert "response: 400" in out
        # The settings, as the profile would say them, are what the other test's legacy profile uses.
        assert 'conference_body: "array"' in out and 'auto_attendant: "aa_{name}"' in out
        assert users(sandbox) == []
    finally:
        sandbox.stop()


def test_a_domain_with_users_is_refused_unless_allowed(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile(workspace, served_sandbox, monkeypatch)
    body = {"synchronous": "yes", "user": "100", "name-first-name": "A", "name-last-name": "B", "email": ""}
    body["user-scope"] = "Basic User"
    headers = {"Authorization": f"Bearer {served_sandbox.token}"}
    made = httpx.post(f"{served_sandbox.url}/ns-api/v2/domains/{SCRATCH}/users", json=body, headers=headers)
    assert made.status_code == 200
    refused = run("selftest", "--pbx", "served", "--domain", SCRATCH)
    assert refused.exit_code == 1 and "has 1 user(s)" in refused.output
    allowed = run("selftest", "--pbx", "served", "--domain", SCRATCH, "--allow-existing")
    assert allowed.exit_code == 0, allowed.output
    assert users(served_sandbox) == ["100"]  # the existing user is left alone


def test_reported_bodies_mask_secrets() -> None:
    from skyconf.providers.netsapiens.selftest import _body

    body = b'{"voicemail-login-pin": "918273", "x": [{"client_secret": "s3"}], "name": "Ada", "leader_pin": ""}'
    assert _body(body) == {
        "voicemail-login-pin": "***",
        "x": [{"client_secret": "***"}],
        "name": "Ada",
        "leader_pin": "",
    }
