"""`validate --no-secrets`: what pre-commit runs on a laptop that has none of the tenants' secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, run

CASE = REPO / "tests" / "broken" / "missing-env-secret"


def test_unset_secrets_fail_validate_but_not_offline_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OFFICE_101_VM_PIN", raising=False)
    monkeypatch.delenv("OFFICE_102_VM_PIN", raising=False)
    strict = run("validate", str(CASE))
    assert strict.exit_code == 1 and "OFFICE_101_VM_PIN is not set" in strict.output
    offline = run("validate", "--no-secrets", str(CASE))
    assert offline.exit_code == 0, offline.output


def test_offline_validate_still_reports_other_mistakes(tmp_path: Path) -> None:
    case = tmp_path / "t"
    case.mkdir()
    for f in CASE.iterdir():
        (case / f.name).write_text(f.read_text())
    users = case / "users.yaml"
    users.write_text(users.read_text().replace("first_name:", "frist_name:", 1))
    result = run("validate", "--no-secrets", str(case))
    assert result.exit_code == 1 and "unknown key 'frist_name'" in result.output
    assert "OFFICE_101_VM_PIN" not in result.output


def test_plan_and_apply_keep_only_each_tenants_header_once_resolved(workspace: Path) -> None:
    # The section models are the largest part of a loaded tenant and nothing reads them after resolve
    # in a plan or an apply; a section read later must fail loudly, never look empty.
    from skyconf.cli.common import load_tenants

    kept = load_tenants([workspace / "tenants" / "example"])[0]
    dropped = load_tenants([workspace / "tenants" / "example"], keep_models=False)[0]
    assert kept.tenant.tenant.users  # the default keeps them (validate, routing and phones read them)
    assert (dropped.tenant.tenant.domain, dropped.tenant.tenant.time_zone, dropped.tenant.tenant.prune) == (
        kept.tenant.tenant.domain,
        kept.tenant.tenant.time_zone,
        kept.tenant.tenant.prune,
    )
    assert dropped.state.resources == kept.state.resources
    with pytest.raises(AttributeError):
        dropped.tenant.tenant.users  # noqa: B018
