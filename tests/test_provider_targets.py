"""Forward targets on the wire: what each dialect writes, and every form a reader meets."""

from __future__ import annotations

import pydantic
import pytest

from skyconf.providers.netsapiens.dialect import Dialect
from skyconf.providers.netsapiens.targets import Targets, decode_target, encode_target

KINDS = {"300": "conference", "400": "queue", "500": "auto_attendant"}
NAMES = {"500": "Main Menu"}
STANDARD = Targets(Dialect(), "CA", KINDS, NAMES)


@pytest.mark.parametrize(
    ("target", "wire"),
    [
        ("user:101", "user_101"),
        ("voicemail:101", "vmail_101"),
        ("queue:400", "queue_400"),
        ("auto_attendant:500", "attendant_500"),
        ("conference:300", "300"),
        ("handset:101", "phone_101"),
        ("+14165550101", "14165550101"),
    ],
)
def test_standard_writes_and_reads_back(target: str, wire: str) -> None:
    assert STANDARD.encode(target) == wire
    assert STANDARD.decode(wire) == target


@pytest.mark.parametrize(
    ("wire", "target"),
    [
        ("aa_Main Menu", "auto_attendant:500"),  # the spec's example: the AA's name
        ("aa_500", "auto_attendant:500"),
        ("attendant_500", "auto_attendant:500"),
        ("conf_300", "conference:300"),  # what older skyconf wrote
        ("park_701", "queue:701"),
        ("16135550000_attendant_500", "auto_attendant:500"),
        ("16135550000_callqueue_400", "queue:400"),
        ("16135550000_voicemail_101", "voicemail:101"),
        ("16135550000_pstn_14165550101", "+14165550101"),
        ("300", "conference:300"),
        ("400", "queue:400"),
        ("500", "auto_attendant:500"),
        ("101", "user:101"),
        ("4165550101", "+14165550101"),  # national digits, in the tenant's country
        (14165550101, "+14165550101"),  # numbers arrive as JSON numbers too
        ("Prompt_12", "Prompt_12"),
        ("<OwnDevices>", "<OwnDevices>"),
        ("aa_Unknown Menu", "aa_Unknown Menu"),
    ],
)
def test_every_known_read_form(wire: object, target: str) -> None:
    assert STANDARD.decode(wire) == target


def test_bare_digits_without_an_owner_are_a_user() -> None:
    assert Targets(country="US").decode("300") == "user:300"


def test_a_dialect_writes_its_own_forms_and_reads_them() -> None:
    legacy = Dialect.model_validate(
        {"targets": {"auto_attendant": "aa_{name}", "conference": "conf_{ext}", "handset": "{ext}wp"}}
    )
    targets = Targets(legacy, "US", KINDS, NAMES)
    assert targets.encode("auto_attendant:500") == "aa_Main Menu"
    assert targets.encode("conference:300") == "conf_300"
    assert targets.encode("handset:101") == "101wp"
    for target in ("auto_attendant:500", "conference:300", "handset:101", "user:101"):
        assert targets.decode(targets.encode(target)) == target
    # A reader of another dialect still understands the standard forms.
    assert targets.decode("attendant_500") == "auto_attendant:500"


def test_the_module_functions_keep_their_call_shape() -> None:
    assert encode_target("auto_attendant:500") == "attendant_500"
    assert decode_target("user_101", "US") == "user:101"
    assert encode_target("conference:300", STANDARD) == "300"


def test_sim_ring_round_trip() -> None:
    sim = {
        "ring": ["handset:102", "+14165550101"],
        "include_extension": True,
        "all_user_phones": True,
        "answer_confirmation": True,
        "delay": 15,
    }
    params = STANDARD.encode_sim_ring("101", sim)
    assert params == ["101", "<OwnDevices>", "102;delay=15", "confirm_14165550101;delay=15"]
    assert STANDARD.decode_sim_ring("101", params) == sim
    # A prefixed user entry rings that user's handset.
    assert STANDARD.decode_sim_ring("101", ["user_103"])["ring"] == ["handset:103"]


def test_dialect_is_strict_and_frozen() -> None:
    with pytest.raises(pydantic.ValidationError):
        Dialect.model_validate({"conference_body": "list"})
    with pytest.raises(pydantic.ValidationError):
        Dialect.model_validate({"targets": {"user": "user_"}})  # no {ext}
    with pytest.raises(pydantic.ValidationError):
        Dialect.model_validate({"spelling": "x"})
    with pytest.raises(pydantic.ValidationError):
        Dialect().conference_body = "array"  # type: ignore[misc]
    defaults = Dialect()
    assert (defaults.conference_body, defaults.update_only_key) == ("object", "both")
    assert defaults.fields.directory_dial_by_name == "directory-annouce-in-dial-by-name-enabled"
