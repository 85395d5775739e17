"""Every property of the schema has a description (the model field's own docstring) and an example
that the schema itself accepts, so editors explain and complete every key."""

from __future__ import annotations

from typing import Any

import jsonschema

from skyconf.model.users import User
from skyconf.schema import tenant_schema


def properties(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    holders = [("tenant", schema), *schema["$defs"].items()]
    return [(owner, name, prop) for owner, holder in holders for name, prop in holder.get("properties", {}).items()]


def test_every_property_is_described_with_an_example_the_schema_accepts() -> None:
    schema = tenant_schema()
    found = properties(schema)
    assert len(found) > 130
    for owner, name, prop in found:
        assert prop.get("description"), f"{owner}.{name} has no description"
        (example,) = prop["examples"]
        jsonschema.validate(example, {"$defs": schema["$defs"], **prop})


def test_descriptions_come_from_the_models() -> None:
    schema = tenant_schema()
    ring_timeout = schema["$defs"]["User"]["properties"]["ring_timeout"]
    assert ring_timeout["description"] == User.model_fields["ring_timeout"].description
    assert schema["properties"]["users"]["description"] == User.__doc__


def test_patterns_reject_what_the_models_reject() -> None:
    schema = tenant_schema()
    weekly = schema["$defs"]["TimeFrame"]["properties"]["weekly"]
    good = {"mon-fri": ["09:00-12:00", "13:00-24:00"], "sat,sun": ["10:00-14:00"], "weekends": ["9:00-10:00"]}
    jsonschema.validate(good, {"$defs": schema["$defs"], **weekly})
    for bad in ({"monday": ["09:00-12:00"]}, {"mon": ["9-5"]}, {"mon": ["09:00-25:00"]}):
        try:
            jsonschema.validate(bad, {"$defs": schema["$defs"], **weekly})
        except jsonschema.ValidationError:
            continue
        raise AssertionError(f"{bad} passed the schema")
