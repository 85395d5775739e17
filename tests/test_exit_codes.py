"""Exit codes a CI script can rely on: 0 success, 1 error or a declined apply, 2 changes present
(`plan --detailed-exitcode`), 64 a usage error; and distinct messages for a saved plan made with
another key and for a TLS certificate the client cannot verify."""

from __future__ import annotations

import os
import pty
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from skyconf.sandbox.process import ServedSandbox
from tests.conftest import run


def test_plan_exit_codes_for_changes_and_none(workspace: Path) -> None:
    assert run("plan", "tenants/", "--detailed-exitcode").exit_code == 2
    assert run("plan", "tenants/").exit_code == 0
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    assert run("plan", "tenants/", "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ("plan",),  # no PATH
        ("plan", "tenants/", "--no-such-option"),
        ("plan", "tenants/", "--format", "yaml"),
        ("no-such-command",),
        ("--no-such-option",),
        ("sandbox", "serve", "--port", "eighty"),
    ],
)
def test_usage_errors_exit_64_not_2(workspace: Path, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 64, result.output
    assert "Usage:" in result.output or "Error" in result.output


def test_an_error_exits_1(workspace: Path) -> None:
    result = run("plan", "no-such-folder")
    assert result.exit_code == 1 and "no such tenant folder" in result.output


def _apply_at_a_terminal(workspace: Path, answer: bytes) -> tuple[int, str]:
    """`skyconf apply` with a terminal as its standard input, answering the prompt."""
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "skyconf", "apply", "tenants/"],
            cwd=workspace,
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
        )
        os.write(primary, answer)
        output, _ = proc.communicate(timeout=120)
    finally:
        os.close(primary)
        os.close(secondary)
    return proc.returncode, output.decode()


def test_declining_the_apply_prompt_exits_1_and_writes_nothing(workspace: Path) -> None:
    code, output = _apply_at_a_terminal(workspace, b"n\n")
    assert code == 1, output
    assert "Nothing applied." in output
    assert run("plan", "tenants/", "--detailed-exitcode").exit_code == 2


def test_accepting_the_apply_prompt_exits_0(workspace: Path) -> None:
    code, output = _apply_at_a_terminal(workspace, b"y\n")
    assert code == 0, output
    assert run("plan", "tenants/", "--detailed-exitcode").exit_code == 0


def test_saved_plan_made_with_another_key_says_so(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("plan", "tenants/", "-o", "plan.json").exit_code == 0
    monkeypatch.setenv("SKYCONF_PLAN_KEY", "another-key")
    result = run("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 1
    assert "another plan key" in result.output
    assert "live PBX changed" not in result.output
    monkeypatch.setenv("SKYCONF_PLAN_KEY", "test-plan-key")
    assert run("apply", "plan.json", "--auto-approve").exit_code == 0


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[tuple[int, list[int]]]:
    """A TLS server on loopback with a self-signed certificate; yields its port and a list that
    counts the connections it accepted."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run(
        [*request, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_tls_certificate_failure_is_not_retried_and_says_so(
    workspace: Path, self_signed_server: tuple[int, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, accepted = self_signed_server
    (workspace / "skyconf.yaml").write_text(
        f"profiles:\n  lab:\n    url: https://127.0.0.1:{port}/ns-api/v2\n"
        "    api_key_env: LAB_KEY\n    concurrency: 1\n"
    )
    monkeypatch.setenv("LAB_KEY", "lab-key")
    result = run("plan", "tenants/", "--pbx", "lab")
    assert result.exit_code == 1
    assert "certificate" in result.output and "verify_tls: false" in result.output
    assert "unreachable" not in result.output
    # One connection per request that was under way when the first failed: no retry (6 attempts each).
    assert 1 <= len(accepted) < 6


def test_429_bursts_of_the_readme_fault_spec_do_not_exhaust_retries(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's fault specification (with a Retry-After of 0.25 s instead of 1 s, so the test
    waits less: what ran out was attempts, not time), several seeds, a subprocess so retries are real.
    With the retries of before (429s sharing the 6 attempts of errors), seed 6 gave up here, and
    seed 5 with the 1 s Retry-After."""
    for seed in (5, 6, 7):
        served = ServedSandbox.start(
            tmp_path / f"served-{seed}.sqlite3",
            "served-token",
            faults=f"seed={seed},latency_ms=20,error_rate=0.2,burst_429_every=25,burst_429_length=3,"
            "drop_rate=0.05,retry_after_s=0.25",
        )
        try:
            (workspace / "skyconf.yaml").write_text(
                f"profiles:\n  served:\n    url: {served.url}/ns-api/v2\n    api_key_env: SERVED_KEY\n"
            )
            monkeypatch.setenv("SERVED_KEY", served.token)
            applied = subprocess.run(
                [sys.executable, "-m", "skyconf", "apply", "tenants/", "--pbx", "served", "--auto-approve"],
                cwd=workspace,
                capture_output=True,
                text=True,
                timeout=300,
                env=dict(os.environ),
            )
            failed = [line for line in applied.stderr.splitlines() if ": failed" in line]
            # No change may fail on 429s: throttling is waited out within its own, larger budget.
            assert not any("HTTP 429" in line for line in failed), "\n".join(failed)
            if applied.returncode:
                # Some runs (about one in four here) still lose a change to repeated 500s from one list
                # read; what the README promises then is that a re-run finishes the job.
                again = subprocess.run(applied.args, cwd=workspace, capture_output=True, text=True, timeout=300)
                assert again.returncode == 0, again.stderr[-3000:]
            throttled = [r for r in served.requests() if int(str(r["status"])) == 429]
            assert throttled, "the 429 bursts were injected"
        finally:
            served.stop()
