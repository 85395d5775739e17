"""Shared pieces of the tenant models: strict base class and small value types."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Every tenant model rejects unknown keys (the loader turns that into a "did you mean" hint)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Extension = str
