"""What a plan reads: every page of the users list once, however the pages are fetched."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
import pytest

from skyconf.errors import PbxError
from skyconf.providers.netsapiens import users
from skyconf.sandbox.process import ServedSandbox
from tests.conftest import run
from tests.test_faults import use_served
from tests.test_phones_many import read_without_paging


def test_users_list_pages_are_each_read_once_beyond_the_declared_users(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_served(workspace, served_sandbox, monkeypatch)
    assert run("apply", "tenants/", "--pbx", "served", "--auto-approve").exit_code == 0
    # A fifth user, made in the portal: the live list is longer than the 4 declared users predict.
    made = httpx.post(
        f"{served_sandbox.url}/ns-api/v2/domains/acme.example.com/users",
        json={
            "user": "199",
            "name-first-name": "Portal",
            "name-last-name": "Made",
            "email": "",
            "user-scope": "Basic User",
        },
        headers={"Authorization": f"Bearer {served_sandbox.token}"},
    )
    assert made.status_code in (200, 201, 202), made.text
    monkeypatch.setattr(users, "PAGE", 1)  # 5 pages asked for at once, then one more while full

    before = len(served_sandbox.requests())
    result = run("plan", "tenants/", "--pbx", "served", "--format", "json")
    assert result.exit_code == 0, result.output
    pages = Counter(
        int(str(r["query"]["start"]))  # type: ignore[index]
        for r in served_sandbox.requests(before)
        if r["method"] == "GET" and str(r["path"]).endswith("/users")
    )
    assert pages == {start: 1 for start in range(6)}  # 0-4 together, 5 after page 4 came back full
    (tenant,) = json.loads(result.output)["tenants"]
    assert tenant["changes"] == []  # every declared user was found, on whichever page
    assert tenant["unmanaged"] == {"user": 1}  # and the undeclared one was seen too


def test_a_pbx_that_ignores_start_on_the_users_list_is_one_clear_error(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page would be the first one again: reading on would never end, and stopping after the
    first page would plan to create users who exist."""
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    monkeypatch.setattr(users, "PAGE", 2)  # 4 users: the first page is full
    with pytest.raises(PbxError, match=r"ignores `start` on /domains/acme.example.com/users"):
        read_without_paging(workspace)
