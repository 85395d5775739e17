"""Writable-field catalogs and value coercion, so each resource stores exactly the spec's fields.

Unknown request fields are ignored (as live servers do); known ones are checked against the spec's
type: yes/no strings, enums, integers (numeric strings accepted) and strings (numbers accepted and
turned into strings). A bad value is a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from skyconf.sandbox.wire import ApiError

Kind = Literal["str", "int", "yesno", "enum", "any"]


@dataclass(frozen=True)
class Field:
    kind: Kind
    default: Any = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    any_case: bool = False  # enum compared case-insensitively, stored as sent


def S(default: Any = "", *, nullable: bool = False) -> Field:
    return Field("str", default, nullable=nullable)


def N(default: Any = None) -> Field:
    return Field("int", default)


def YN(default: str | None = "no") -> Field:
    return Field("yesno", default)


def E(choices: tuple[str, ...], default: str | None = None, *, any_case: bool = False) -> Field:
    return Field("enum", default, choices, any_case=any_case)


def A(default: Any = None) -> Field:
    return Field("any", default)


def coerce(name: str, spec: Field, value: Any) -> Any:
    """Check one value against its field spec and return the stored form."""
    if value is None and (spec.nullable or spec.kind == "any"):
        return None
    if spec.kind == "any":
        if isinstance(value, dict | list):
            raise ApiError(400, f"Invalid value for {name}")
        return value
    if spec.kind == "yesno":
        if value not in ("yes", "no"):
            raise ApiError(400, f'Invalid value for {name}: expected "yes" or "no"')
        return value
    if spec.kind == "enum":
        if spec.any_case and isinstance(value, str) and value.lower() in {c.lower() for c in spec.choices}:
            return value
        if value not in spec.choices:
            raise ApiError(400, f"Invalid value for {name}: expected one of {', '.join(spec.choices)}")
        return value
    if spec.kind == "int":
        if isinstance(value, bool):
            raise ApiError(400, f"Invalid value for {name}: expected an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip())
        raise ApiError(400, f"Invalid value for {name}: expected an integer")
    # str
    if isinstance(value, bool | dict | list) or value is None:
        raise ApiError(400, f"Invalid value for {name}: expected a string")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def apply(catalog: Mapping[str, Field], body: Mapping[str, Any], target: dict[str, Any]) -> None:
    """Copy the catalog's fields present in ``body`` into ``target`` (partial merge)."""
    for name, value in body.items():
        spec = catalog.get(name)
        if spec is not None:
            target[name] = coerce(name, spec, value)


def defaults(catalog: Mapping[str, Field]) -> dict[str, Any]:
    """Initial values; fields without a default (and not nullable) stay absent rather than null."""
    return {name: spec.default for name, spec in catalog.items() if spec.default is not None or spec.nullable}


def require(body: Mapping[str, Any], *names: str) -> None:
    """400 when a required field is absent (empty strings count as present, as on the vendor API)."""
    missing = [n for n in names if body.get(n) is None]
    if missing:
        raise ApiError(400, f"Missing required field(s): {', '.join(missing)}")
