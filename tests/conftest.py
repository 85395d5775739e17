"""Shared fixtures: a private copy of the example tenants, an isolated embedded sandbox, a served one."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import stamina
from click.testing import CliRunner, Result

from skyconf.cli import main
from skyconf.sandbox.process import ServedSandbox

pytest_plugins = ["tests.conformance.fixtures"]

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "tenants" / "example"
SECRETS = {"EXAMPLE_101_VM_PIN": "918273", "EXAMPLE_102_VM_PIN": "564738"}


@pytest.fixture(autouse=True)
def _fast_retries() -> Iterator[None]:
    """Retries still happen (and are counted), but without real waiting."""
    stamina.set_testing(True, attempts=6)
    yield
    stamina.set_testing(False)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository root with tenants/example, templates/, its own sandbox database and plan key."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root / "tenants" / "example")
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "skyconf.yaml").write_text("profiles: {}\n")
    monkeypatch.chdir(root)
    monkeypatch.setenv("SKYCONF_SANDBOX_DB", str(tmp_path / "sandbox.sqlite3"))
    monkeypatch.setenv("SKYCONF_PLAN_KEY", "test-plan-key")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return root


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def served_sandbox(tmp_path: Path) -> Iterator[ServedSandbox]:
    """`skyconf sandbox serve` in a subprocess on a free loopback port."""
    served = ServedSandbox.start(tmp_path / "served.sqlite3", "served-token")
    try:
        yield served
    finally:
        served.stop()


async def portal_request(method: str, path: str, body: object = None) -> httpx.Response:
    """The embedded sandbox's API, used directly as a person clicking in the portal would (async)."""
    import os

    from skyconf.config import SANDBOX_TOKEN
    from skyconf.sandbox.app import create_app

    app = create_app(os.environ["SKYCONF_SANDBOX_DB"], tokens=[SANDBOX_TOKEN])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://portal/ns-api/v2",
        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
    ) as client:
        return await client.request(method, path, json=body)


def portal_edit(method: str, path: str, body: object = None) -> httpx.Response:
    """portal_request, for tests that are not async."""
    import asyncio

    return asyncio.run(portal_request(method, path, body))
