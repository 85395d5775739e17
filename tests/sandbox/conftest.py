"""Shared fixtures: an in-memory sandbox app driven through httpx.ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from skyconf.sandbox.app import create_app
from skyconf.sandbox.log import RequestLog

from .helpers import AUTH, BASE, TOKEN, UNSCOPED_TOKEN


@pytest.fixture
def log() -> RequestLog:
    return RequestLog(record_bodies=True)


@pytest.fixture
def app(log: RequestLog) -> Starlette:
    # The scoped token makes ~ mean domain "acme" and user "1000".
    return create_app(":memory:", {TOKEN: "1000@acme", UNSCOPED_TOKEN: ""}, log=log)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, headers=AUTH) as c:
        yield c
