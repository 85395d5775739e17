"""The phones list stops at 1,000 and has no paging: declared phones beyond it are still read."""

from __future__ import annotations

from pathlib import Path

import pytest

from skyconf.providers.netsapiens import phones
from tests.conftest import run


def test_declared_phones_beyond_the_list_limit_are_read_one_by_one(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("apply", "tenants/", "--auto-approve").exit_code == 0
    monkeypatch.setattr(phones, "LIST_LIMIT", 2)  # the example has 3 phones: one is beyond the list
    result = run("-v", "plan", "tenants/", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "no changes" in result.output
