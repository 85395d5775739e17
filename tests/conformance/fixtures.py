"""Fixtures for checking sandbox/client traffic against the vendor's OpenAPI spec."""

from __future__ import annotations

import pytest

from tests.conformance.openapi_check import SPEC_ENV, SpecChecker, default_spec_path


@pytest.fixture(scope="session")
def spec_checker() -> SpecChecker:
    """The spec, loaded once per session; skips when the file is not next to the checkout."""
    path = default_spec_path()
    if not path.is_file():
        pytest.skip(f"vendor OpenAPI spec not found at {path} (set ${SPEC_ENV} to point at openapi-v2.json)")
    return SpecChecker.load(path)
