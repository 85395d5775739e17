"""The conformance checker itself: it must accept what the spec allows and reject what it does not.

Bodies are hand-written from the vendor spec (schema names, not the v1 names of its examples).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skyconf.sandbox.log import Exchange

from .openapi_check import PATH_KEY_TYPOS, RELAXATIONS, SPEC_ENV, SpecChecker, default_spec_path

JSON = "application/json"
D = "/domains/acme.example"


def joined(problems: list[str]) -> str:
    return "\n".join(problems)


def user_create() -> dict[str, Any]:
    return {
        "synchronous": "yes",
        "user": "101",
        "name-first-name": "Ada",
        "name-last-name": "Lovelace",
        "email": "ada@acme.example",
        "user-scope": "Basic User",
        "time-zone": "US/Pacific",
        "ring-no-answer-timeout-seconds": 25,
    }


def user_read() -> dict[str, Any]:
    return {
        "domain": "acme.example",
        "user": "101",
        "name-first-name": "Ada",
        "name-last-name": "Lovelace",
        "email": "ada@acme.example",
        "user-scope": "Basic User",
        "account-status": "new",
    }


def dow_entry(**overrides: Any) -> dict[str, Any]:
    """Mon-Fri 09:00-17:00; the recurrence fields are required, `""` where they do not apply."""
    entry: dict[str, Any] = {
        f"timeframe-weekly-{day}-{edge}-time-1": hhmm
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        for edge, hhmm in (("begin", "0900"), ("end", "1700"))
    }
    entry |= {
        "timeframe-recurrence-type": "weekly",
        "timeframe-recurrence-begin-date": "",
        "timeframe-recurrence-custom-interval": "",
        "timeframe-recurrence-custom-interval-count": "",
        "timeframe-recurrence-custom-interval-option": "",
        "timeframe-recurrence-end-option": "never",
        "timeframe-recurrence-end-date": "",
    }
    return entry | overrides


def dow_create(**entry_overrides: Any) -> dict[str, Any]:
    return {
        "synchronous": "yes",
        "timeframe-name": "Business hours",
        "timeframe-type": "days-of-week",
        "timeframe-days-of-week-array": [dow_entry(**entry_overrides)],
    }


def answerrule_create() -> dict[str, Any]:
    return {
        "synchronous": "yes",
        "time-frame": "Business hours",
        "enabled": "yes",
        "do-not-disturb": {"enabled": "no"},
        "simultaneous-ring": {"enabled": "yes", "parameters": ["101", "1234wp", "18005551234"]},
        "forward-no-answer": {"enabled": "yes", "parameters": ["vmail_101"]},
        "forward-on-busy": {"enabled": "yes", "parameters": ["vmail_101"]},
    }


def answerrule_read(time_frame: str = "*") -> dict[str, Any]:
    return {
        "domain": "acme.example",
        "user": "101",
        "time-frame": time_frame,
        "enabled": "yes",
        "is-active": True,
        "order": 99,
        "forward-no-answer": {"enabled": "yes", "parameters": ["vmail_101"]},
    }


# -- matching ------------------------------------------------------------------------------------------


def test_literal_segment_beats_parameter(spec_checker: SpecChecker) -> None:
    assert [op.operation_id for op in spec_checker.match("GET", f"{D}/users/count")] == ["CountUsers"]
    assert [op.operation_id for op in spec_checker.match("GET", f"{D}/users/list")] == ["ListUsers"]
    assert [op.operation_id for op in spec_checker.match("GET", f"{D}/users/101")] == ["GetUser"]
    # The count's response shape is Count, not User: a User body is wrong there.
    assert spec_checker.check_response("GET", f"{D}/users/count", 200, {"total": 3}) == []
    assert "total" in joined(spec_checker.check_response("GET", f"{D}/users/count", 200, user_read()))


def test_variants_of_one_path_are_all_returned(spec_checker: SpecChecker) -> None:
    keys = {op.key for op in spec_checker.match("post", f"{D}/timeframes")}
    assert keys == {f"/domains/{{domain}}/timeframes{n}" for n in ("", "#1", "#2", "#3", "#4")}
    assert {op.key for op in spec_checker.match("GET", f"{D}/users")} == {
        "/domains/{domain}/users",
        "/domains/{domain}/users#1",
    }


def test_server_prefix_and_tilde_aliases(spec_checker: SpecChecker) -> None:
    assert spec_checker.match("GET", f"/ns-api/v2{D}/users/count")[0].operation_id == "CountUsers"
    # `~` has its own literal GET template, but POST falls back to the parameter template.
    assert spec_checker.match("GET", "/domains/~/users/~/answerrules")[0].key == "/domains/~/users/~/answerrules"
    post = spec_checker.match("POST", "/domains/~/users/~/answerrules")
    assert [op.key for op in post] == ["/domains/{domain}/users/{user}/answerrules"]


def test_undocumented_path_and_method(spec_checker: SpecChecker) -> None:
    assert spec_checker.match("GET", f"{D}/users/101/voicemailboxes-that-do-not-exist") == []
    problems = spec_checker.check_request("GET", f"{D}/no-such-thing", {}, None, None)
    assert problems == [f"no such operation in the spec: GET {D}/no-such-thing"]
    problems = spec_checker.check_response("PATCH", f"{D}/users/101", 200, {})
    assert len(problems) == 1
    assert "no such operation in the spec" in problems[0]
    assert "DELETE, GET, PUT" in problems[0]


# -- users ---------------------------------------------------------------------------------------------


def test_user_create_valid(spec_checker: SpecChecker) -> None:
    assert spec_checker.check_request("POST", f"{D}/users", {}, user_create(), JSON) == []
    assert spec_checker.check_request("POST", f"{D}/users", {}, user_create(), "application/json; charset=utf-8") == []
    assert spec_checker.check_response("POST", f"{D}/users", 200, user_read()) == []
    accepted = {"code": 202, "message": "Accepted"}
    assert spec_checker.check_response("POST", f"{D}/users", 202, accepted) == []


def test_user_create_missing_email_fails(spec_checker: SpecChecker) -> None:
    body = user_create()
    del body["email"]
    problems = spec_checker.check_request("POST", f"{D}/users", {}, body, JSON)
    assert problems == ["body: 'email' is a required property"]


def test_user_request_with_read_only_field_is_fine(spec_checker: SpecChecker) -> None:
    body = user_create() | {"account-status": "new", "created-datetime": "2024-01-01T00:00:00Z"}
    assert spec_checker.check_request("POST", f"{D}/users", {}, body, JSON) == []


def test_user_read_only_fields_are_still_typed(spec_checker: SpecChecker) -> None:
    body = user_create() | {"account-status": "sleeping"}
    assert "account-status" in joined(spec_checker.check_request("POST", f"{D}/users", {}, body, JSON))


def test_user_scope_enum_is_enforced(spec_checker: SpecChecker) -> None:
    body = user_create() | {"user-scope": "Administrator"}
    problems = spec_checker.check_request("POST", f"{D}/users", {}, body, JSON)
    assert len(problems) == 1
    assert problems[0].startswith("body.user-scope: 'Administrator' is not one of")


def test_user_v1_field_names_are_rejected(spec_checker: SpecChecker) -> None:
    body = user_create() | {"first_name": "Ada"}
    problems = spec_checker.check_request("POST", f"{D}/users", {}, body, JSON)
    assert problems == ["body: property 'first_name' is not in the spec"]


def test_user_update_takes_no_synchronous(spec_checker: SpecChecker) -> None:
    body = {k: v for k, v in user_create().items() if k not in ("user", "synchronous")}
    assert spec_checker.check_request("PUT", f"{D}/users/101", {}, body, JSON) == []
    problems = spec_checker.check_request("PUT", f"{D}/users/101", {}, body | {"synchronous": "yes"}, JSON)
    assert problems == ["body: property 'synchronous' is not in the spec"]


def test_user_response_missing_required_fails(spec_checker: SpecChecker) -> None:
    body = user_read()
    del body["domain"]
    assert spec_checker.check_response("GET", f"{D}/users/101", 200, body) == [
        "response body: 'domain' is a required property"
    ]


def test_user_list_query_parameters(spec_checker: SpecChecker) -> None:
    ok = spec_checker.check_request
    assert ok("GET", f"{D}/users", {"start": "100", "limit": "100"}, None, None) == []
    assert ok("GET", f"{D}/users", {"site": "HQ"}, None, None) == []  # the SearchUsers variant
    assert "less than the minimum of 1" in joined(ok("GET", f"{D}/users", {"limit": "0"}, None, None))
    assert "is not of type 'number'" in joined(ok("GET", f"{D}/users", {"start": "first"}, None, None))
    assert "unknown query parameter 'page'" in joined(ok("GET", f"{D}/users", {"page": "2"}, None, None))


def test_path_parameters_are_validated(spec_checker: SpecChecker) -> None:
    problems = spec_checker.check_request("GET", f"{D}/users/12345678901234567", {}, None, None)
    assert problems == ["path parameter 'user'='12345678901234567': '12345678901234567' is too long"]


def test_bodies_where_none_belong_and_wrong_content_types(spec_checker: SpecChecker) -> None:
    assert spec_checker.check_request("GET", f"{D}/users/101", {}, [], JSON) == [
        "request body sent, but the operation takes none"
    ]
    problems = spec_checker.check_request("POST", f"{D}/users", {}, user_create(), "text/plain")
    assert problems == ["Content-Type text/plain not accepted (spec: application/json)"]
    assert spec_checker.check_request("POST", f"{D}/users", {}, user_create(), None) == [
        "request body without a Content-Type"
    ]


# -- answer rules --------------------------------------------------------------------------------------


def test_answerrule_create_valid(spec_checker: SpecChecker) -> None:
    # The spec marks readOnly `is-active` as required on this request: readOnly wins, so it may be left out.
    path = f"{D}/users/101/answerrules"
    assert spec_checker.check_request("POST", path, {}, answerrule_create(), JSON) == []
    assert spec_checker.check_response("POST", path, 202, {"code": 202, "message": "Accepted"}) == []


def test_answerrule_create_invalid(spec_checker: SpecChecker) -> None:
    path = f"{D}/users/101/answerrules"
    body = answerrule_create()
    del body["time-frame"]
    body["forward-always"] = {"parameters": ["user_102"]}
    body["do-not-disturb"] = {"enabled": "no", "parameters": []}
    assert sorted(spec_checker.check_request("POST", path, {}, body, JSON)) == [
        "body.do-not-disturb: property 'parameters' is not in the spec",
        "body.forward-always: 'enabled' is a required property",
        "body: 'time-frame' is a required property",
    ]


def test_answerrule_update_cannot_change_its_time_frame(spec_checker: SpecChecker) -> None:
    path = f"{D}/users/101/answerrules/Business%20hours"
    body = {"enabled": "no", "forward-always": {"enabled": "yes", "parameters": ["queue_200"]}}
    assert spec_checker.check_request("PUT", path, {}, body, JSON) == []
    problems = spec_checker.check_request("PUT", path, {}, body | {"time-frame": "Lunch"}, JSON)
    assert problems == ["body: property 'time-frame' is not in the spec"]


def test_answerrule_reorder_array_body(spec_checker: SpecChecker) -> None:
    path = f"{D}/users/101/answerrules/reorder"
    assert [op.summary for op in spec_checker.match("PUT", path)] == ["Reorder Answerrules for my User"]
    body = [{"time-frame": "Holidays"}, {"time-frame": "Business hours"}, {"time-frame": "*"}]
    assert spec_checker.check_request("PUT", path, {}, body, JSON) == []
    bare = spec_checker.check_request("PUT", path, {}, ["Holidays", "*"], JSON)
    assert bare == ["body[0]: 'Holidays' is not of type 'object'", "body[1]: '*' is not of type 'object'"]
    assert spec_checker.check_request("PUT", path, {}, {"time-frame": "*"}, JSON) == [
        "body: {'time-frame': '*'} is not of type 'array'"
    ]


@pytest.mark.parametrize("star", ["%2A", "*", "%2a"])
def test_answerrule_default_rule_path(spec_checker: SpecChecker, star: str) -> None:
    path = f"{D}/users/101/answerrules/{star}"
    [op] = spec_checker.match("GET", path)
    assert op.key == "/domains/{domain}/users/{user}/answerrules/{timeframe}"
    assert op.path_params(path) == {"domain": "acme.example", "user": "101", "timeframe": "*"}
    assert spec_checker.check_response("GET", path, 200, answerrule_read("*")) == []
    body = answerrule_read("*")
    del body["is-active"]  # readOnly: required in responses
    assert spec_checker.check_response("GET", path, 200, body) == ["response body: 'is-active' is a required property"]


def test_answerrule_list_response(spec_checker: SpecChecker) -> None:
    path = f"{D}/users/101/answerrules"
    rules = [answerrule_read("Business hours"), answerrule_read("*")]
    assert spec_checker.check_response("GET", path, 200, rules) == []
    rules[1]["is-active"] = "yes"  # a real boolean, not a yes/no string
    assert spec_checker.check_response("GET", path, 200, rules) == [
        "response body[1].is-active: 'yes' is not of type 'boolean'"
    ]


# -- time frames ---------------------------------------------------------------------------------------


def test_timeframe_days_of_week_create_valid(spec_checker: SpecChecker) -> None:
    assert spec_checker.check_request("POST", f"{D}/timeframes", {}, dow_create(), JSON) == []
    assert spec_checker.check_request("POST", f"{D}/users/101/timeframes", {}, dow_create(), JSON) == []
    created = {"timeframe-id": "tf-1", "domain": "acme.example", "user": ""} | dow_create()
    del created["synchronous"]
    assert spec_checker.check_response("POST", f"{D}/timeframes", 200, created) == []


def test_timeframe_integer_for_string_fails(spec_checker: SpecChecker) -> None:
    body = dow_create(**{"timeframe-weekly-monday-begin-time-1": 900})
    problems = spec_checker.check_request("POST", f"{D}/timeframes", {}, body, JSON)
    where = "body.timeframe-days-of-week-array[0].timeframe-weekly-monday-begin-time-1"
    # Only the days-of-week and custom variants declare the array: both report the same problem.
    variants = ["#2 (Create Days of Week Timeframe)", "#4 (Create Custom Timeframe)"]
    assert problems == [
        f"[POST /domains/{{domain}}/timeframes{v}] {where}: 900 is not of type 'string'" for v in variants
    ]


def test_timeframe_dow_entry_needs_its_recurrence_fields(spec_checker: SpecChecker) -> None:
    body = dow_create()
    del body["timeframe-days-of-week-array"][0]["timeframe-recurrence-end-option"]
    problems = spec_checker.check_request("POST", f"{D}/timeframes", {}, body, JSON)
    assert problems and all("'timeframe-recurrence-end-option' is a required property" in p for p in problems)


def test_timeframe_convert_key_differs_between_domain_and_user(spec_checker: SpecChecker) -> None:
    tf = "/timeframes/tf-1"
    assert spec_checker.check_request("PUT", f"{D}{tf}", {}, {"type": "custom"}, JSON) == []
    assert spec_checker.check_request("PUT", f"{D}/users/101{tf}", {}, {"timeframe-type": "custom"}, JSON) == []
    assert spec_checker.check_request("PUT", f"{D}{tf}", {}, {"timeframe-type": "custom"}, JSON) != []


def test_timeframe_delete_with_and_without_child_id(spec_checker: SpecChecker) -> None:
    path = f"{D}/timeframes/tf-1"
    assert spec_checker.check_request("DELETE", path, {}, None, None) == []
    assert spec_checker.check_request("DELETE", path, {}, {"child_id": "tf-1-entry-2"}, JSON) == []
    assert spec_checker.check_request("DELETE", path, {}, {"child": "tf-1-entry-2"}, JSON) != []


# -- errors and statuses -------------------------------------------------------------------------------


def test_documented_404_error_body(spec_checker: SpecChecker) -> None:
    path = f"{D}/users/count"
    error = {"code": 404, "message": "Domain acme.example does not exist"}
    assert spec_checker.check_response("GET", path, 404, error) == []
    assert spec_checker.check_response("GET", path, 404, {"error": "not found"}) == [
        "response body: 'code' is a required property",
        "response body: 'message' is a required property",
    ]
    assert spec_checker.check_response("GET", path, 404, None) == [
        "response body is empty, the spec documents a JSON body"
    ]


def test_undocumented_statuses(spec_checker: SpecChecker) -> None:
    error = {"code": 500, "message": "boom"}
    assert spec_checker.check_response("GET", f"{D}/users/count", 500, error) == [
        "status 500 not documented (spec: 200, 400, 401, 403, 404)"
    ]
    assert spec_checker.check_response("DELETE", f"{D}/users/101", 200, {}) == ["status 200 not documented (spec: 202)"]


# -- multipart -----------------------------------------------------------------------------------------


def test_multipart_field_names(spec_checker: SpecChecker) -> None:
    path = f"{D}/moh"
    ctype = "multipart/form-data; boundary=xyz"
    parts = {
        "File": b"RIFF....",
        "script": "sha256:abc",
        "index": "2",
        "convert": "yes",
        "synchronous": "yes",
    }
    assert spec_checker.check_request("POST", path, {}, parts, ctype) == []
    assert spec_checker.check_request("POST", path, {}, list(parts.items()), ctype) == []
    lower = {"file": b"RIFF....", "synchronous": "yes"}
    problems = spec_checker.check_request("POST", path, {}, lower, ctype)
    assert any("multipart field 'file' is not in the spec" in p for p in problems)
    problems = spec_checker.check_request("POST", path, {}, {"File": b"RIFF"}, ctype)
    assert any("missing required multipart field 'synchronous'" in p for p in problems)


# -- greetings (a user's, and an auto attendant's prompts) ----------------------------------------------


def test_greeting_bodies(spec_checker: SpecChecker) -> None:
    path = f"{D}/users/500/greetings"
    tts = {"synchronous": "yes", "script": "Press 1 for sales.", "index": 100, "voice_id": "en-US-Wavenet-C"}
    assert spec_checker.check_request("POST", path, {}, tts, JSON) == []
    upload = {
        "synchronous": "yes",
        "index": 1234,
        "script": "standard: greetings/alice.wav sha256:00",
        "convert": "yes",
        "encoding": "audio/wav",
        "base64_file": "UklGRg==",
    }
    assert spec_checker.check_request("POST", path, {}, upload, JSON) == []
    assert spec_checker.check_request("PUT", f"{path}/1234", {}, {"synchronous": "yes", "script": "Hi"}, JSON) == []
    problems = joined(spec_checker.check_request("POST", path, {}, {"synchronous": "yes", "index": 1}, JSON))
    assert "(CreateGreetingTTS)] body: 'script' is a required property" in problems
    problems = joined(spec_checker.check_request("POST", path, {}, {**tts, "index": "first"}, JSON))
    assert "body.index: 'first' is not of type 'integer'" in problems
    listed = [{"filename": "greeting-1.wav", "ordinal-order": "one"}]
    assert "ordinal-order: 'one' is not of type 'integer'" in joined(
        spec_checker.check_response("GET", path, 200, listed)
    )


# -- relaxations: each one tolerates exactly its case, and is reported once switched off ---------------


def test_relaxations_are_all_described() -> None:
    assert RELAXATIONS and all(len(why) > 20 for why in RELAXATIONS.values())
    assert PATH_KEY_TYPOS


def test_unknown_relaxation_is_an_error(spec_checker: SpecChecker) -> None:
    with pytest.raises(ValueError, match="unknown relaxations"):
        spec_checker.without("everything")


def test_relaxation_synchronous_status(spec_checker: SpecChecker) -> None:
    accepted = {"code": 202, "message": "Accepted"}
    assert spec_checker.check_response("POST", f"{D}/timeframes", 202, accepted) == []
    assert spec_checker.check_response("POST", f"{D}/timeframes", 202, {"ok": True}) != []
    assert spec_checker.check_response("POST", f"{D}/users/101/answerrules", 200, answerrule_read()) == []
    strict = spec_checker.without("synchronous-status")
    assert strict.check_response("POST", f"{D}/timeframes", 202, accepted)[0].endswith(
        "status 202 not documented (spec: 200)"
    )
    # GET takes no `synchronous`: no tolerance there either way.
    assert spec_checker.check_response("GET", f"{D}/users/101", 202, accepted) != []


def test_relaxation_undocumented_error_status(spec_checker: SpecChecker) -> None:
    error = {"code": 404, "message": "User 999 not found"}
    assert spec_checker.check_response("GET", f"{D}/users/999", 404, error) == []
    problems = spec_checker.check_response("GET", f"{D}/users/999", 404, {"detail": "nope"})
    assert problems[0] == "status 404 not documented (spec: 200)"
    assert "'code' is a required property" in joined(problems)
    strict = spec_checker.without("undocumented-error-status")
    assert strict.check_response("GET", f"{D}/users/999", 404, error) == ["status 404 not documented (spec: 200)"]


def test_relaxation_boolean_query_yes_no(spec_checker: SpecChecker) -> None:
    path = f"{D}/users/101/contacts"
    assert spec_checker.check_request("GET", path, {"includeDomain": "yes"}, None, None) == []
    assert spec_checker.check_request("GET", path, {"includeDomain": "true"}, None, None) == []
    assert spec_checker.check_request("GET", path, {"includeDomain": "maybe"}, None, None) != []
    strict = spec_checker.without("boolean-query-yes-no")
    assert strict.check_request("GET", path, {"includeDomain": "yes"}, None, None) == [
        "query parameter 'includeDomain'='yes': 'yes' is not of type 'boolean'"
    ]


def test_relaxation_update_only_spelling(spec_checker: SpecChecker) -> None:
    path = f"{D}/timeframes/tf-1"
    entry = dow_entry(**{"timeframe-id": "tf-1-entry-1"})
    body = {"update-only": "yes", "update_only": "yes", "timeframe-days-of-week-array": [entry]}
    assert spec_checker.check_request("PUT", path, {}, body, JSON) == []
    strict = spec_checker.without("update-only-spelling")
    assert "property 'update_only' is not in the spec" in joined(strict.check_request("PUT", path, {}, body, JSON))


def test_relaxation_request_example_shape(spec_checker: SpecChecker) -> None:
    path = f"{D}/conferences"
    body = {"conference": "300", "name": "Bridge", "conference_type": "dedicated", "max_participants": 10}
    assert spec_checker.check_request("POST", path, {}, body, JSON) == []
    assert spec_checker.check_request("POST", path, {}, {**body, "bridge": "x"}, JSON) != []
    assert spec_checker.check_request("POST", path, {}, {**body, "quorum": ["2"]}, JSON) != []
    strict = spec_checker.without("request-example-shape")
    assert "is not of type 'array'" in joined(strict.check_request("POST", path, {}, body, JSON))


def test_relaxation_path_key_typos(spec_checker: SpecChecker) -> None:
    path = f"{D}/users/101/moh/2"
    body = {"synchronous": "yes", "script": "hold music", "encoding": "audio/wav", "base64_file": "UklGRg=="}
    assert spec_checker.check_request("PUT", path, {}, body, JSON) == []
    blocked = f"{D}/users/101/number-filters"
    assert [op.key for op in spec_checker.match("GET", blocked)] == ["/domains/{domain}/users/{user}number-filters"]
    strict = spec_checker.without("path-key-typos")
    assert "property 'base64_file' is not in the spec" in joined(strict.check_request("PUT", path, {}, body, JSON))
    assert strict.match("GET", blocked) == []


# -- whole sessions --------------------------------------------------------------------------------------


def exchange(method: str, path: str, status: int, response: Any, body: Any = None, **kw: Any) -> Exchange:
    return Exchange(
        method=method,
        path=path,
        query=kw.get("query", {}),
        request_body=body,
        request_content_type=JSON if body is not None else None,
        status=status,
        response_body=response,
    )


def test_check_exchanges_prefixes_problems(spec_checker: SpecChecker) -> None:
    accepted = {"code": 202, "message": "Accepted"}
    good = [
        exchange("POST", f"{D}/users", 200, user_read(), user_create()),
        exchange("GET", f"{D}/users", 200, [user_read()], query={"limit": "100"}),
        exchange("POST", f"{D}/timeframes", 200, {"timeframe-id": "tf-1"} | dow_create(), dow_create()),
        exchange("POST", f"{D}/users/101/answerrules", 202, accepted, answerrule_create()),
        exchange("PUT", f"{D}/users/101/answerrules/reorder", 202, accepted, [{"time-frame": "*"}]),
        exchange("GET", f"{D}/users/101/answerrules/%2A", 200, answerrule_read()),
    ]
    assert spec_checker.check_exchanges(good) == []
    bad_user = user_create() | {"user-scope": "Boss"}
    bad = [
        exchange("POST", f"{D}/users", 200, user_read(), bad_user),
        exchange("GET", f"{D}/users/count", 200, {"count": 1}),
        exchange("GET", f"{D}/gadgets", 200, []),
    ]
    problems = spec_checker.check_exchanges([*good, *bad])
    assert len(problems) == 3
    assert problems[0].startswith(f"POST {D}/users: body.user-scope: 'Boss' is not one of")
    assert problems[1] == f"GET {D}/users/count -> 200: response body: 'total' is a required property"
    assert problems[2] == f"GET {D}/gadgets: no such operation in the spec: GET {D}/gadgets"


def test_response_is_judged_by_the_variant_the_request_fits(spec_checker: SpecChecker) -> None:
    # Domain MOH create: the TTS variant documents 200 and 202, the base64 variant only 202.
    strict = spec_checker.without("synchronous-status")
    tts = {"synchronous": "yes", "script": "Thanks for holding"}
    b64 = {"synchronous": "yes", "script": "hold music", "encoding": "audio/wav", "base64_file": "UklGRg=="}
    audio = {"filename": "moh-2.wav", "ordinal-order": 2, "file-script-text": "Thanks for holding"}
    assert strict.check_exchanges([exchange("POST", f"{D}/moh", 200, audio, tts)]) == []
    problems = strict.check_exchanges([exchange("POST", f"{D}/moh", 200, audio, b64)])
    assert problems == [f"POST {D}/moh -> 200: status 200 not documented (spec: 202)"]


# -- readOnly/writeOnly through nesting, on a tiny hand-made spec (no vendor file needed) ----------------

TINY_SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "tiny", "version": "1"},
    "components": {
        "schemas": {
            "Entry": {
                "type": "object",
                "properties": {
                    "id": {"type": "string", "readOnly": True},
                    "secret": {"$ref": "#/components/schemas/Secret"},
                    "name": {"type": "string"},
                },
                "required": ["id", "secret", "name"],
            },
            "Secret": {"type": "string", "writeOnly": True},
            "Stamped": {
                "type": "object",
                "properties": {"created": {"type": "string", "readOnly": True}},
                "required": ["created"],
            },
        }
    },
    "paths": {
        "/things": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
                                    "meta": {
                                        "allOf": [
                                            {"$ref": "#/components/schemas/Stamped"},
                                            {
                                                "properties": {"note": {"type": "string"}},
                                                "required": ["note", "created"],
                                            },
                                        ]
                                    },
                                    "choice": {"anyOf": [{"$ref": "#/components/schemas/Entry"}, {"type": "null"}]},
                                },
                                "required": ["entries"],
                            }
                        }
                    }
                },
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Entry"}}}}
                },
            }
        }
    },
}


@pytest.fixture(scope="module")
def tiny() -> SpecChecker:
    return SpecChecker(json.dumps(TINY_SPEC))


def test_read_only_dropped_from_required_through_nesting(tiny: SpecChecker) -> None:
    body = {"entries": [{"name": "a", "secret": "s"}], "meta": {"note": "n"}, "choice": {"name": "b", "secret": "s"}}
    assert tiny.check_request("POST", "/things", {}, body, JSON) == []
    problems = tiny.check_request("POST", "/things", {}, {"entries": [{"name": "a"}], "meta": {}}, JSON)
    assert problems == [
        "body.entries[0]: 'secret' is a required property",  # writeOnly: still required in requests
        "body.meta: 'note' is a required property",
    ]
    bad = {"entries": [{"name": "a", "secret": "s", "nick": "x"}], "meta": {"note": "n", "colour": "red"}}
    assert tiny.check_request("POST", "/things", {}, bad, JSON) == [
        "body.entries[0]: property 'nick' is not in the spec",
        "body.meta: property 'colour' is not in the spec",
    ]


def test_write_only_dropped_from_required_in_responses(tiny: SpecChecker) -> None:
    assert tiny.check_response("POST", "/things", 200, {"id": "1", "name": "a"}) == []
    assert tiny.check_response("POST", "/things", 200, {"name": "a"}) == [
        "response body: 'id' is a required property"  # readOnly: still required in responses
    ]


def test_default_spec_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPEC_ENV, raising=False)
    assert default_spec_path().parts[-3:] == ("shared", "netsapiens", "openapi-v2.json")
    assert default_spec_path().parent.parent.parent == Path(__file__).resolve().parents[3]
    monkeypatch.setenv(SPEC_ENV, "elsewhere/spec.json")
    assert default_spec_path() == Path("elsewhere/spec.json")
