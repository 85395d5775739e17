"""Every sandbox response in a tour of all endpoints fits the vendor OpenAPI spec.

Uses the shared spec checker (tests/conformance); only response-side problems are asserted here,
since request bodies are whatever this test sends (e.g. the spec types conference bodies as arrays).
"""

from __future__ import annotations

import base64
import importlib
from typing import Any

import httpx
import pytest

from skyconf.sandbox.log import RequestLog


def _checker_module() -> Any:
    """The shared checker; its import name depends on how pytest roots the tests package."""
    for name in ("tests.conformance.openapi_check", "conformance.openapi_check"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    pytest.skip("tests/conformance/openapi_check.py is not available")


D = "/domains/acme"
U = D + "/users/1000"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DOW = {
    "timeframe-weekly-monday-begin-time-1": "0900",
    "timeframe-weekly-monday-end-time-1": "1700",
    "timeframe-recurrence-type": "weekly",
    "timeframe-recurrence-end-option": "never",
}
DATES = {
    "timeframe-specific-dates-begin-date": "20291224",
    "timeframe-specific-dates-begin-time": "0000",
    "timeframe-specific-dates-end-date": "20291226",
    "timeframe-specific-dates-end-time": "2400",
    "timeframe-recurrence-type": "doesNotRecur",
}
HOLIDAY = {
    "timeframe-holiday-uuid": "u-1",
    "timeframe-holiday-name": "New Year",
    "timeframe-holiday-begin-date": "20300101",
    "country-abbreviation": "US",
    "timeframe-holiday-begin-time-1": "0000",
    "timeframe-holiday-end-time-1": "2400",
    **{f"timeframe-weekly-{d}-observance-option": "observe-on-holiday-only" for d in DAYS},
}
CONTACT = {"name-first-name": "J", "name-last-name": "D", "company": "X", "phonenumber-work": "8005551234"}


async def tour(c: httpx.AsyncClient) -> None:
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/version", {}),
        ("PUT", D, {"json": {"time-zone": "US/Eastern", "area-code": 212}}),
        ("GET", D, {}),
        ("GET", D + "/count", {}),
        ("GET", "/domains", {}),
        ("POST", D + "/users", {"json": {"user": "1000", "name-first-name": "A", "name-last-name": "B",
                                         "email": "a@example.com", "user-scope": "Basic User", "synchronous": "yes"}}),
        ("POST", D + "/users", {"json": {"user": "1000", "name-first-name": "A", "name-last-name": "B",
                                         "email": "a@example.com", "user-scope": "Basic User"}}),
        ("GET", D + "/users", {"params": {"limit": 10}}),
        ("GET", D + "/users/count", {}),
        ("GET", D + "/users/list", {}),
        ("GET", U, {}),
        ("PUT", U, {"json": {"name-first-name": "C", "name-last-name": "B", "email": "a@example.com",
                             "user-scope": "Basic User"}}),
        ("GET", D + "/users/404", {}),
        ("POST", D + "/timeframes", {"json": {"timeframe-name": "Always", "timeframe-type": "always",
                                              "synchronous": "yes"}}),
        ("POST", D + "/timeframes", {"json": {"timeframe-name": "Hours", "timeframe-type": "days-of-week",
                                              "synchronous": "yes", "timeframe-days-of-week-array": [DOW]}}),
        ("POST", D + "/timeframes", {"json": {"timeframe-name": "Xmas", "timeframe-type": "specific-dates",
                                              "synchronous": "yes", "timeframe-specific-dates-array": [DATES]}}),
        ("POST", D + "/timeframes", {"json": {"timeframe-name": "Hol", "timeframe-type": "holiday",
                                              "synchronous": "yes", "timeframe-holiday-array": [HOLIDAY]}}),
        ("POST", U + "/timeframes", {"json": {"timeframe-name": "Lunch", "timeframe-type": "custom",
                                              "synchronous": "no", "timeframe-days-of-week-array": [DOW]}}),
        ("GET", D + "/timeframes", {}),
        ("GET", U + "/timeframes", {}),
        ("POST", U + "/answerrules", {"json": {"time-frame": "Hours", "enabled": "yes", "synchronous": "yes",
                                               "forward-always": {"enabled": "yes", "parameters": ["user_1001"]}}}),
        ("POST", U + "/answerrules", {"json": {"time-frame": "*", "enabled": "yes", "synchronous": "no"}}),
        ("GET", U + "/answerrules", {}),
        ("GET", U + "/answerrules/count", {}),
        ("GET", U + "/answerrules/Hours", {}),
        ("PUT", U + "/answerrules/Hours", {"json": {"enabled": "no"}}),
        ("PUT", U + "/answerrules/reorder", {"json": [{"time-frame": "*"}, {"time-frame": "Hours"}]}),
        ("PUT", U + "/answerrules/reorder", {"json": [{"time-frame": "Hours"}]}),
        ("DELETE", U + "/answerrules/Hours", {}),
        ("POST", D + "/contacts", {"json": CONTACT}),
        ("GET", D + "/contacts", {}),
        ("POST", U + "/contacts", {"json": CONTACT}),
        ("GET", U + "/contacts", {}),
        ("GET", U + "/contacts/count", {}),
        ("POST", D + "/moh", {"json": {"synchronous": "yes", "script": "Thanks for holding"}}),
        ("POST", D + "/moh", {"json": {"synchronous": "yes", "index": 5, "script": "sha256:1",
                                       "base64_file": base64.b64encode(b"RIFF0000").decode()}}),
        ("POST", D + "/moh", {"files": {"File": ("a.wav", b"RIFF")}, "data": {"script": "s", "synchronous": "no"}}),
        ("GET", D + "/moh", {}),
        ("GET", D + "/moh/count", {}),
        ("PUT", D + "/moh/5", {"json": {"synchronous": "no", "script": "sha256:2"}}),
        ("DELETE", D + "/moh/5", {}),
        ("GET", U + "/moh/count", {}),
        ("POST", D + "/conferences", {"json": {"conference": "1234", "name": "Room", "max_participants": 10}}),
        ("GET", D + "/conferences", {}),
        ("GET", D + "/conferences/1234", {}),
        ("GET", D + "/conferences/count", {}),
        ("PUT", D + "/conferences/1234", {"json": {"name": "Room 2"}}),
        ("DELETE", D + "/conferences/1234", {}),
        ("POST", D + "/callqueues", {"json": {"synchronous": "yes", "callqueue": "2032", "domain": "acme",
                                              "callqueue-dispatch-type": "Ring All"}}),
        ("GET", D + "/callqueues", {}),
        ("GET", D + "/callqueues/list", {}),
        ("GET", D + "/callqueues/2032", {}),
        ("PUT", D + "/callqueues/2032", {"json": {"description": "Sales"}}),
        ("POST", D + "/callqueues/2032/agents", {"json": {"synchronous": "yes", "callqueue-agent-id": "1000@acme"}}),
        ("GET", D + "/callqueues/2032/agents", {}),
        ("GET", D + "/callqueues/2032/agents/count", {}),
        ("GET", D + "/callqueues/2032/agents/1000@acme", {}),
        ("GET", D + "/agents", {}),
        ("DELETE", D + "/callqueues/2032/agents/1000@acme", {}),
        ("DELETE", D + "/callqueues/2032", {}),
        ("POST", D + "/autoattendants", {"json": {"attendant-name": "Main", "user": "3000",
                                                  "auto-attendant": {"no-key-press": "repeat"}}}),
        ("GET", D + "/autoattendants", {}),
        ("GET", D + "/users/3000/autoattendants/Prompt_100", {}),
        ("POST", D + "/phones", {"json": {"device-provisioning-mac-address": "000011223344"}}),
        ("GET", D + "/phones", {}),
        ("GET", D + "/phones/000011223344", {}),
        ("GET", "/phones/models", {}),
        ("GET", "/phones/models", {"params": {"brand": "Yealink"}}),
        ("GET", "/phones/models", {"params": {"brand": "Yealink", "model": "T54W"}}),
        ("DELETE", U, {}),
    ]  # fmt: skip
    for method, path, kwargs in calls:
        await c.request(method, path, **kwargs)


async def test_every_response_fits_the_spec(client: httpx.AsyncClient, log: RequestLog) -> None:
    try:
        checker = _checker_module().SpecChecker.load()
    except OSError:
        pytest.skip("vendor OpenAPI spec not available")
    await tour(client)
    assert not [e for e in log.exchanges if e.status >= 500]
    problems = [p for p in checker.check_exchanges(log.exchanges) if " -> " in p.split(":", 1)[0]]
    assert problems == []
