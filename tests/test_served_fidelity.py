"""The example tenant against the served sandbox (a real HTTP server) in its strict, live-like modes:
OAuth with a token that expires mid-run, 404 for empty lists, writes that show up late; and what
the strict server refuses after an apply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import stamina

from tests.conftest import ServedSandbox, run

DOMAIN = "acme.example.com"
API = f"/ns-api/v2/domains/{DOMAIN}"
LOGIN = f"101@{DOMAIN}"
OAUTH_ENV = {"SC_ID": "skyconf-ci", "SC_SECRET": "client-secret-1", "SC_USER": LOGIN, "SC_PASS": "pass-word-1"}


def write_profile(workspace: Path, sandbox: ServedSandbox, auth: str) -> None:
    (workspace / "skyconf.yaml").write_text(
        f"profiles:\n  served:\n    url: {sandbox.url}/ns-api/v2\n    concurrency: 4\n{auth}"
    )


def oauth_keys(client_id: str, client_secret: str, username: str, password: str) -> str:
    """A profile's `oauth:` mapping, naming the environment variables that hold the credentials."""
    names = f"client_id_env: {client_id}, client_secret_env: {client_secret}"
    return f"    oauth: {{{names}, username_env: {username}, password_env: {password}}}\n"


def use_key(workspace: Path, sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    write_profile(workspace, sandbox, "    api_key_env: SERVED_KEY\n")
    monkeypatch.setenv("SERVED_KEY", sandbox.token)


def apply_and_replan() -> None:
    first = run("apply", "tenants/example", "--pbx", "served", "--auto-approve")
    assert first.exit_code == 0, first.output
    again = run("plan", "tenants/example", "--pbx", "served", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def api(sandbox: ServedSandbox, method: str, path: str, body: object = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    return httpx.request(method, f"{sandbox.url}{API}{path}", json=body, headers=headers, timeout=30)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[ServedSandbox]]:
    """Served sandboxes a test starts (stopped afterwards)."""
    servers: list[ServedSandbox] = []
    yield servers
    for server in servers:
        server.stop()


def start(
    started: list[ServedSandbox], tmp_path: Path, faults: str = "", options: tuple[str, ...] = ()
) -> ServedSandbox:
    server = ServedSandbox.start(tmp_path / f"served{len(started)}.sqlite3", "served-token", faults, options)
    started.append(server)
    return server


def test_oauth_with_a_token_that_expires_mid_run(
    workspace: Path, tmp_path: Path, started: list[ServedSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = OAUTH_ENV["SC_SECRET"]
    options = ("--oauth-user", f"{LOGIN}:{OAUTH_ENV['SC_PASS']}", "--oauth-client", f"{OAUTH_ENV['SC_ID']}:{secret}")
    # Tokens live 0.5 s and every answer takes 50 ms: the apply's chain of dependent requests (reads,
    # then writes phase by phase) takes longer than that, whatever the machine's speed.
    sandbox = start(started, tmp_path, "latency_ms=50", (*options, "--token-ttl", "0.5", "--record-bodies"))
    write_profile(
        workspace,
        sandbox,
        oauth_keys("SC_ID", "SC_SECRET", "SC_USER", "SC_PASS"),
    )
    for name, value in OAUTH_ENV.items():
        monkeypatch.setenv(name, value)
    result = run("apply", "tenants/example", "--pbx", "served", "--auto-approve")
    assert result.exit_code == 0, result.output
    log = sandbox.requests()
    grants = [r for r in log if r["path"] == "/tokens"]
    kinds = [(r["request_body"]["grant_type"], r["status"]) for r in grants]
    assert ("password", 200) in kinds and ("refresh_token", 200) in kinds, kinds
    assert all(status == 200 for _, status in kinds)
    tokens = {str(r["response_body"][k]) for r in grants for k in ("access_token", "refresh_token")}
    # A request whose token expired on the way (401) was sent again, with a fresh token, and went through.
    requests = [r for r in log if r["path"] != "/tokens"]
    refused = [r for r in requests if r["status"] == 401]
    assert all(r["status"] in (200, 202, 401, 404) for r in requests), {r["status"] for r in requests}
    for r in refused:
        assert any(o["index"] > r["index"] and (o["method"], o["path"]) == (r["method"], r["path"]) for o in requests)
    # Nothing secret is shown: neither the tokens nor the credentials.
    assert not any(t in result.output for t in [*tokens, secret, OAUTH_ENV["SC_PASS"]])
    again = run("plan", "tenants/example", "--pbx", "served", "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_oauth_profile_names_a_missing_variable(workspace: Path, tmp_path: Path, started: list[ServedSandbox]) -> None:
    sandbox = start(started, tmp_path)
    write_profile(
        workspace,
        sandbox,
        oauth_keys("NO_ID", "NO_SECRET", "NO_USER", "NO_PASS"),
    )
    result = run("plan", "tenants/example", "--pbx", "served")
    assert result.exit_code == 1
    assert "NO_ID" in result.output and "NO_PASS" in result.output


def test_empty_lists_answered_404(
    workspace: Path, tmp_path: Path, started: list[ServedSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = start(started, tmp_path, "empty_list_404=1")
    use_key(workspace, sandbox, monkeypatch)
    apply_and_replan()
    assert any(r["status"] == 404 and r["method"] == "GET" for r in sandbox.requests()), "the fault was met"


def test_writes_that_show_up_late(
    workspace: Path, tmp_path: Path, started: list[ServedSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = start(started, tmp_path, "async_writes=0.3")
    use_key(workspace, sandbox, monkeypatch)
    stamina.set_testing(False)  # reading back a 202'd create waits for real (the fixture restores testing)
    apply_and_replan()
    assert any(r["status"] == 202 and r["is_write"] for r in sandbox.requests())


def test_strict_server_after_an_apply(
    workspace: Path, tmp_path: Path, started: list[ServedSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = start(started, tmp_path)
    use_key(workspace, sandbox, monkeypatch)
    apply_and_replan()
    # Each phone line's SIP device exists (users 101, 102 with line 104, 103).
    for user in ("101", "102", "103", "104"):
        devices = api(sandbox, "GET", f"/users/{user}/devices").json()
        assert [str(d["device"]) for d in devices] == [user], user
    bogus = {"forward-always": {"enabled": "yes", "parameters": ["bogus_target_999"]}}
    refused = api(sandbox, "PUT", "/users/101/answerrules/%2A", bogus)
    assert refused.status_code == 400 and "bogus_target_999" in refused.json()["message"]
    bare = api(sandbox, "POST", "/phones", {"device-provisioning-mac-address": "001565aabbdd"})
    assert bare.status_code == 400 and "Missing required field" in bare.json()["message"]


def test_auto_attendant_prune_deletes_for_real(
    workspace: Path, tmp_path: Path, started: list[ServedSandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = start(started, tmp_path)
    use_key(workspace, sandbox, monkeypatch)
    apply_and_replan()
    made = api(sandbox, "POST", "/autoattendants", {"attendant-name": "Portal Menu", "user": "502"})
    assert made.status_code == 200
    tenant = workspace / "tenants" / "example" / "tenant.yaml"
    tenant.write_text(tenant.read_text() + "prune: {auto_attendants: true}\n")
    plan = run("plan", "tenants/example", "--pbx", "served", "--detailed-exitcode")
    assert plan.exit_code == 2 and "502" in plan.output
    apply_and_replan()
    left = sorted({str(a["user"]) for a in api(sandbox, "GET", "/autoattendants").json()})
    assert left == ["500", "501"]
