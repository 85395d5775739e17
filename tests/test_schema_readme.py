"""The README's key tables and the models say the same keys: each table names every field of its
model (descriptions live on the fields, where the schema and editors take them from)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from skyconf.model.queues import CallQueue
from skyconf.model.rules import AnsweringRule
from skyconf.model.timeframes import TimeFrame
from skyconf.model.users import User, Voicemail

README = Path(__file__).resolve().parent.parent / "README.md"


def table_keys(heading: str, nth: int = 0) -> set[str]:
    """The backticked keys in the first column of the nth key table under a `###` heading."""
    section = README.read_text().split(f"\n### {heading}\n", 1)[1].split("\n### ", 1)[0]
    tables = re.findall(r"^\| (?:key|option) \| meaning \|\n\|---\|---\|\n((?:\|.*\n)+)", section, re.M)
    keys: set[str] = set()
    for row in tables[nth].splitlines():
        first = row.split("|")[1]
        keys |= {k.split(":")[0].strip() for k in re.findall(r"`([^`]+)`", first)}
    return keys


def model_keys(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


@pytest.mark.parametrize(
    ("heading", "nth", "model"),
    [
        ("Users", 0, User),
        ("Users", 1, Voicemail),
        ("Answering rules", 0, AnsweringRule),
        ("Time frames", 0, TimeFrame),
        ("Call queues", 0, CallQueue),
    ],
)
def test_readme_tables_name_every_field(heading: str, nth: int, model: type[BaseModel]) -> None:
    documented = table_keys(heading, nth)
    missing = model_keys(model) - documented - {"priority"}
    assert not missing, f"README's {heading} table lacks {sorted(missing)}"


def test_every_field_has_a_description() -> None:
    for model in (User, Voicemail, AnsweringRule, TimeFrame, CallQueue):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"
