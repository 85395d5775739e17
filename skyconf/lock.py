"""One apply per PBX domain at a time on this machine: an advisory file lock per domain under the
repository's `.skyconf/locks/`, held from the plan an apply is made from through its last write.

`fcntl.flock` rather than a lock package: the kernel releases the lock when its holder dies (a
killed apply never leaves a stale lock behind), and the project runs on POSIX systems only. Across
machines (CI runners and laptops sharing a PBX) this lock does not help: see the README's "Running
applies concurrently".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import re
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from skyconf.errors import SkyconfError

# Seconds a second apply of a domain waits for the first before refusing.
WAIT_ENV = "SKYCONF_LOCK_WAIT"
DEFAULT_WAIT_S = 300.0
POLL_S = 0.1


def lock_path(root: Path, domain: str) -> Path:
    return root / ".skyconf" / "locks" / (re.sub(r"[^A-Za-z0-9._-]", "_", domain) + ".lock")


def wait_seconds() -> float:
    text = os.environ.get(WAIT_ENV, "")
    try:
        return max(0.0, float(text)) if text else DEFAULT_WAIT_S
    except ValueError:
        raise SkyconfError(f"{WAIT_ENV} must be a number of seconds, got {text!r}") from None


@asynccontextmanager
async def domain_locks(
    root: Path, domains: list[str], on_wait: Callable[[str], None], wait_s: float | None = None
) -> AsyncIterator[None]:
    """Hold the lock of every domain (taken in sorted order, so two applies of overlapping tenant sets
    cannot each hold one the other waits for)."""
    wait_s = wait_seconds() if wait_s is None else wait_s
    held: list[int] = []
    try:
        for domain in sorted(set(domains)):
            held.append(await _acquire(lock_path(root, domain), domain, wait_s, on_wait))
        yield
    finally:
        for fd in held:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


async def _acquire(path: Path, domain: str, wait_s: float, on_wait: Callable[[str], None]) -> int:
    for folder in (path.parent.parent, path.parent):  # .skyconf/ and .skyconf/locks/, private
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if loop.time() >= deadline:
                os.close(fd)
                raise SkyconfError(
                    f"another apply of {domain} is running ({_holder(path)}); waited {wait_s:g} s "
                    f"(set {WAIT_ENV} to wait longer). Run apply again when it has finished"
                ) from None
            if not told:
                on_wait(f"waiting for another apply of {domain} to finish ({_holder(path)}), up to {wait_s:g} s")
                told = True
            await asyncio.sleep(POLL_S)
    os.ftruncate(fd, 0)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since {stamp}\n".encode(), 0)
    return fd


def _holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "holder unknown"
    except OSError:
        return "holder unknown"
