"""Domains with more phones than one page of the phone list: paged with `start`, or, from a server
that ignores `start`, the declared phones beyond the first page read one by one."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path

import httpx
import pytest

from skyconf.config import SANDBOX_TOKEN
from skyconf.load import load_tenant
from skyconf.plan import diff
from skyconf.providers.netsapiens import NetSapiensTenant, phones
from skyconf.providers.netsapiens.api import Api
from skyconf.resolve import resolve
from skyconf.resources import State
from skyconf.sandbox.app import create_app
from skyconf.sandbox.log import RequestLog
from skyconf.sandbox.process import ServedSandbox
from tests.conftest import run
from tests.test_faults import use_served


def phone_reads(log: list[dict[str, object]]) -> Counter[str]:
    """GETs of the phone list (by `start`) and of single phones ("one")."""
    out: Counter[str] = Counter()
    for r in log:
        path = str(r["path"])
        if r["method"] == "GET" and "/phones" in path and "/phones/models" not in path:
            query = r["query"] if isinstance(r["query"], dict) else {}
            out["one" if not path.endswith("/phones") else f"start={query.get('start', 0)}"] += 1
    return out


def test_the_phone_list_is_read_page_by_page(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_served(workspace, served_sandbox, monkeypatch)
    assert run("apply", "tenants/", "--pbx", "served", "--auto-approve").exit_code == 0
    monkeypatch.setattr(phones, "LIST_LIMIT", 2)  # the example has 3 phones: two pages

    before = len(served_sandbox.requests())
    result = run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert phone_reads(served_sandbox.requests(before)) == {"start=0": 1, "start=2": 1}


class IgnoresStart(httpx.AsyncBaseTransport):
    """A PBX that pages nothing: `start` is dropped from every request before the sandbox sees it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        params = [(k, v) for k, v in request.url.params.multi_items() if k != "start"]
        request.url = request.url.copy_with(params=params)
        return await self.inner.handle_async_request(request)


def read_without_paging(workspace: Path, log: RequestLog | None = None) -> State:
    """The example tenant's live state, read from the embedded sandbox through IgnoresStart."""
    desired = resolve(load_tenant(workspace / "tenants" / "example"))
    app = create_app(os.environ["SKYCONF_SANDBOX_DB"], tokens=[SANDBOX_TOKEN], log=log)

    async def read() -> State:
        async with httpx.AsyncClient(
            transport=IgnoresStart(httpx.ASGITransport(app=app)),
            base_url="http://sandbox/ns-api/v2",
            headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
        ) as client:
            return await NetSapiensTenant(Api([client]), desired.scope).read()

    return asyncio.run(read())


def test_without_paging_the_phones_beyond_the_first_page_are_read_one_by_one(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    monkeypatch.setattr(phones, "LIST_LIMIT", 2)
    log = RequestLog()
    live = read_without_paging(workspace, log)
    desired = resolve(load_tenant(workspace / "tenants" / "example"))
    assert diff(desired.state, live, desired.prune)[0] == []  # all three phones were found
    exchanges = [{"method": e.method, "path": e.path, "query": e.query} for e in log.exchanges]
    # Both list pages came back the same (the first); the third phone was then read on its own.
    assert phone_reads(exchanges) == {"start=0": 2, "one": 1}
