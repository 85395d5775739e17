"""Planted secrets never leave through any sink: PINs, the API key and `${env:...}` values in plain
fields (a department, a phone setting) appear 0 times in stdout, stderr (with -v logs), saved plans
and rendered phone configurations, even when the PBX echoes request bodies in its error messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from skyconf.sandbox.app import create_app
from skyconf.sandbox.process import free_port

API_KEY = "planted-api-key-5309"
PLANTED_ENV = {
    "EXAMPLE_101_VM_PIN": "918273",
    "EXAMPLE_102_VM_PIN": "564738",
    "EXAMPLE_CONF_PIN": "771166",
    "PLANTED_DEPT": "Dept-planted-7731",
    "PLANTED_NTP": "ntp-planted-9902.example.net",
}
PLANTED = [API_KEY, *PLANTED_ENV.values()]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class EchoErrors:
    """Wraps the sandbox: a write whose body carries a planted value is answered 500 the first time
    and 400 after that, each error's message quoting the whole request body (as careless servers do)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: set[tuple[str, str]] = set()
        self.echoed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "GET":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if any(p.encode() in body for p in PLANTED_ENV.values()):
            where = (scope["method"], scope["path"])
            status = 400 if where in self.seen else 500
            self.seen.add(where)
            self.echoed += 1
            payload = json.dumps({"code": status, "message": f"invalid request: {body.decode()}"}).encode()
            await send(
                {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": payload})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


@pytest.fixture
def echo_server(tmp_path: Path) -> Iterator[tuple[str, EchoErrors]]:
    app = EchoErrors(create_app(str(tmp_path / "echo.sqlite3"), tokens=[API_KEY]))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/ns-api/v2", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _plant(workspace: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    users = workspace / "tenants/example/users.yaml"
    users.write_text(users.read_text().replace("department: Front Desk", 'department: "${env:PLANTED_DEPT}"', 1))
    phones = workspace / "tenants/example/phones.yaml"
    phones.write_text(phones.read_text().replace("ntp_server: pool.ntp.org", 'ntp_server: "${env:PLANTED_NTP}"'))
    (workspace / "skyconf.yaml").write_text(
        f"profiles:\n  echo:\n    url: {url}\n    api_key_env: ECHO_KEY\n    concurrency: 4\n"
    )
    monkeypatch.setenv("ECHO_KEY", API_KEY)
    for name, value in PLANTED_ENV.items():
        monkeypatch.setenv(name, value)


def _skyconf(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skyconf", *args],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )


def test_planted_secrets_appear_nowhere(
    workspace: Path, echo_server: tuple[str, EchoErrors], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, server = echo_server
    _plant(workspace, url, monkeypatch)
    runs = [
        _skyconf(workspace, "-v", "validate", "tenants/"),
        _skyconf(workspace, "-v", "plan", "tenants/", "--pbx", "echo", "-o", "plan.json"),
        _skyconf(workspace, "-v", "plan", "tenants/", "--pbx", "echo", "--format", "json"),
        _skyconf(workspace, "-v", "plan", "tenants/", "--pbx", "echo", "--format", "markdown"),
        _skyconf(workspace, "-vv", "apply", "tenants/", "--pbx", "echo", "--auto-approve"),
        _skyconf(workspace, "-v", "render", "tenants/"),
        _skyconf(workspace, "-v", "render", "tenants/", "-o", "phones"),
    ]
    validate, _, as_json, _, applied, printed, _ = runs
    assert [r.returncode for r in runs] == [0, 0, 0, 0, 1, 0, 0], [r.stderr[-2000:] for r in runs]
    # The sinks were exercised: the server echoed bodies with the planted values into its errors, the
    # plan and the rendered configurations carry the redacted values, -vv logged the retries.
    assert server.echoed > 0
    assert "invalid request" in applied.stderr and "***" in applied.stderr
    assert "retrying" in applied.stderr
    assert "***" in printed.stdout
    assert "[secret hmac-sha256:" in Path(workspace / "plan.json").read_text()
    assert '"department": "***"' in as_json.stdout
    assert validate.returncode == 0

    texts = {f"{' '.join(r.args[3:])} {stream}": getattr(r, stream) for r in runs for stream in ("stdout", "stderr")}
    texts["plan.json"] = (workspace / "plan.json").read_text()
    for phone in sorted((workspace / "phones").iterdir()):
        texts[f"phones/{phone.name}"] = phone.read_text()
    assert len(texts) >= 17
    found = {(where, secret) for where, text in texts.items() for secret in PLANTED if secret in text}
    assert found == set()


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_embedded_sandbox_database_is_private(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "fresh" / "sandbox.sqlite3"
    monkeypatch.setenv("SKYCONF_SANDBOX_DB", str(db))
    from tests.conftest import run

    assert run("apply", "tenants/", "--auto-approve").exit_code == 0  # PINs are in it now
    assert _mode(db.parent) == 0o700
    assert _mode(db) == 0o600
    assert _mode(workspace / ".skyconf") == 0o700
    for part in db.parent.iterdir():
        assert _mode(part) == 0o600, part


def test_an_existing_world_readable_database_is_narrowed(workspace: Path, tmp_path: Path) -> None:
    from skyconf.sandbox.process import ServedSandbox

    db = tmp_path / "old.sqlite3"
    db.touch(mode=0o644)
    db.chmod(0o644)
    served = ServedSandbox.start(db, "served-token")
    served.stop()
    assert _mode(db) == 0o600
    fresh = tmp_path / "new-folder" / "served.sqlite3"
    served = ServedSandbox.start(fresh, "served-token")
    served.stop()
    assert (_mode(fresh.parent), _mode(fresh)) == (0o700, 0o600)
