"""Import writes new files canonical directly: byte for byte what ruamel's dump, formatted by `skyconf fmt`,
gives for the same content, or (outside what it writes) nothing, so the caller takes ruamel's way."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml.comments import CommentedMap

from skyconf.fmt import dump_tidy, format_text
from skyconf.importer.emit import new_file_text
from skyconf.importer.files import build_node

HEADER = "# yaml-language-server: $schema=../../schemas/tenant.schema.json"
COMMENT = "Imported by `skyconf import` from PBX profile sandbox, domain acme.example.com, on 2026-12-01."


def through_ruamel(sections: dict[str, Any], comment: str) -> str:
    """What import wrote before: the new-content tree, dumped, then formatted (three round trips)."""
    root = CommentedMap()
    if comment:
        root.yaml_set_start_comment(comment)
    for key, value in sections.items():
        root[key] = build_node(value, (key,))
    return format_text(dump_tidy(root), HEADER)


# Strings of the kinds import writes, and the corners: commas, quotes, backslashes, YAML words,
# non-ASCII letters, controls, astral characters, spaces at the ends, long ones that ruamel wraps.
WORDS = st.sampled_from(
    [
        "Alice",
        "O'Brien",
        "Smith, Jr",
        "Sales & Support",
        "José Ünal",
        "Closed Hours",
        "101",
        "+14165550100",
        "voicemail:self",
        "09:00-17:00",
        "2026-12-24",
        "${env:ACME_101_VM_PIN}",
        "yes",
        "No",
        "null",
        "~",
        "a#b",
        "a: b",
        'say "hi"',
        "back\\slash",
        "tab\there",
        "line\nbreak",
        " padded ",
        "emoji \U0001f600",
        "x" * 60,
        "word " * 24,
        "",
        "-",
        "e1",
        "a,b",
        "[x]",
        "{y}",
    ]
)
TEXT = st.one_of(WORDS, st.text(max_size=12), st.text(alphabet="ab ,:#'\"-\\", max_size=10))
KEYS = st.one_of(WORDS.filter(bool), st.text(alphabet="abc 1-_", min_size=1, max_size=8))
SCALARS = st.one_of(TEXT, st.integers(-5, 10**6), st.booleans(), st.none())


def values(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return SCALARS
    inner = values(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4),
    )


SECTIONS = st.dictionaries(
    st.sampled_from(["users", "contacts", "time_frames", "phones", "domain"]),
    values(4),
    min_size=1,
    max_size=3,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SECTIONS, st.sampled_from(["", COMMENT]))
def test_written_directly_or_not_at_all(sections: dict[str, Any], comment: str) -> None:
    direct = new_file_text(sections, HEADER, comment)
    if direct is not None:
        assert direct == through_ruamel(sections, comment)


def test_what_import_writes_takes_the_direct_way() -> None:
    """The shapes of an imported tenant are all written directly (none pays for ruamel)."""
    users = {
        "101": {
            "first_name": "Alice",
            "last_name": "O'Brien",
            "email": "alice@acme.example.com",
            "ring_timeout": 25,
            "voicemail": {"enabled": True, "pin": "${env:ACME_101_VM_PIN}", "greetings": {}},
            "caller_id": {"name": "Sales & Support", "number": "+14165550100"},
            "contacts": [{"first_name": "Bob", "last_name": "Smith", "work": "+14165550111"}],
            "time_frames": {"Lunch": {"priority": 10, "weekly": {"mon-fri": ["12:00-13:00"]}}},
            "answering_rules": {
                "Lunch": {"forward_always": "voicemail:self"},
                "Holiday": None,
                "default": {"simultaneous_ring": {"ring": ["102", "+14165550100"], "include_extension": True}},
            },
        }
    }
    frames = {"Holiday": {"priority": 1, "dates": ["2026-12-25", {"from": "2026-12-31 12:00", "to": "2027-01-02"}]}}
    for sections in ({"users": users}, {"time_frames": frames}, {"domain": "acme.example.com", "pbx": "sandbox"}):
        direct = new_file_text(sections, HEADER, COMMENT)
        assert direct is not None
        assert direct == through_ruamel(sections, COMMENT)


def test_a_line_ruamel_would_wrap_is_left_to_it() -> None:
    long_name = "word " * 30
    assert new_file_text({"users": {"101": {"first_name": long_name.strip()}}}, HEADER) is None
    # A comma inside a flow mapping: ruamel quotes it its own way.
    assert new_file_text({"contacts": [{"first_name": "Smith, Jr"}]}, HEADER) is None
