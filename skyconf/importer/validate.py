"""Imported data checked against the models: the first problem, and taking out the value it names."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError


def first_problem(model: type[BaseModel], data: Any) -> tuple[tuple[Any, ...], str] | None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        return loc, str(error["msg"]).removeprefix("Value error, ")
    return None


MISSING = object()


def remove_at(data: Any, loc: tuple[Any, ...], exact: bool = False) -> Any:
    """Remove the value at `loc` (else, unless `exact`, the nearest existing parent's entry: a model's
    error location may go deeper than the data); returns what was removed."""
    for end in range(len(loc), 0 if not exact else len(loc) - 1, -1):
        parent: Any = data
        try:
            for part in loc[: end - 1]:
                parent = parent[part]
            if isinstance(parent, dict) and loc[end - 1] in parent:
                return parent.pop(loc[end - 1])
            if isinstance(parent, list) and isinstance(loc[end - 1], int) and loc[end - 1] < len(parent):
                return parent.pop(loc[end - 1])
        except (KeyError, IndexError, TypeError):
            continue
    return MISSING
