"""The sandbox served over real HTTP in a child process (`skyconf sandbox serve`), for tests and the
benchmark: started on a free loopback port, ready when /version answers, stopped on request."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from skyconf.sandbox.vendor import PREFIX


def private_db(path: Path) -> None:
    """Create the sandbox's SQLite file readable by its owner only (0600, its folder 0700): it holds
    voicemail and conference PINs. An existing file is narrowed to 0600; SQLite gives its -wal and
    -shm files the database file's mode."""
    text = os.fspath(path)
    if text == ":memory:" or text.startswith("file:"):
        return
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is narrowed by the umask only, never widened
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists():
            part.chmod(0o600)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServedSandbox:
    url: str
    token: str
    proc: subprocess.Popen[bytes]

    @property
    def api_url(self) -> str:
        """The base URL a connection profile names for this PBX."""
        return f"{self.url}{PREFIX}"

    @classmethod
    def start(cls, db: Path, token: str, faults: str = "", options: Sequence[str] = ()) -> ServedSandbox:
        """``options``: more ``serve`` options, e.g. ``["--dialect", "legacy"]``."""
        port = free_port()
        command = [sys.executable, "-m", "skyconf", "sandbox", "serve", "--port", str(port), "--db", str(db)]
        command += ["--token", token, *(["--faults", faults] if faults else []), *options]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        served = cls(f"http://127.0.0.1:{port}", token, proc)
        for _ in range(200):
            try:
                if httpx.get(f"{served.api_url}/version").status_code == 200:
                    return served
            except httpx.TransportError:
                time.sleep(0.05)
        served.stop()
        raise RuntimeError("the sandbox server did not start")

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The server's request log from index `since`."""
        r = httpx.get(
            f"{self.url}/_sandbox/requests",
            params={"since": since},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )
        r.raise_for_status()
        return list(r.json())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
