"""The tenant: one PBX domain, declared by one folder of YAML files.

`TenantBase` holds what every tenant has (its domain, connection, country, time zone, prune and
safety settings); the sections (users, time frames, call queues, ...) are declared by their own
model modules, and `tenant_model()` puts them together into the model that load validates with.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import Field, create_model

from skyconf.model.base import Strict
from skyconf.model.kinds import SECTIONS, Kind, generation, prune_keys, register

DOMAIN = register(Kind("domain", "domain settings", ("domain",), singleton=True))


class Safety(Strict):
    """Plans that would change too much at once are refused unless `--force` is given."""

    max_delete_share: float = Field(0.25, ge=0, le=1)
    """Largest share of a kind's existing live objects one plan may delete (0.0-1.0)."""
    max_update_share: float = Field(0.5, ge=0, le=1)
    """Largest share of a kind's existing live objects one plan may update."""
    min_objects: int = Field(4, ge=0)
    """Kinds with fewer live objects than this are exempt (deleting 1 of 3 time frames is normal)."""


class TenantBase(Strict):
    domain: str = Field(pattern=r"^[A-Za-z0-9._-]+$", max_length=64)
    """The PBX domain this folder owns."""
    pbx: str = "sandbox"
    """Connection profile: "sandbox" (built in) or a name from skyconf.yaml."""
    country: str = Field("US", pattern=r"^[A-Z]{2}$")
    """Default region for phone numbers (ISO 3166 alpha-2)."""
    time_zone: str
    """IANA time zone the domain's time frames are evaluated in."""
    prune: dict[str, bool] = {}
    """Per section: delete live objects the YAML does not mention (true) or leave them alone (false)."""
    safety: Safety = Safety()
    """How much of a kind one plan may change before apply needs --force."""

    def section(self, name: str) -> Any:
        return getattr(self, name)


def tenant_model() -> type[TenantBase]:
    """The tenant model with every declared section (made again when a kind is declared)."""
    return _model(generation())


@functools.cache
def _model(_generation: int) -> type[TenantBase]:
    keys: Any = Literal.__getitem__(tuple(sorted(prune_keys())))
    fields: dict[str, Any] = {
        s.name: (
            s.annotation,
            Field(
                default_factory=s.default,
                description=s.description or None,
                examples=[s.example] if s.example is not None else None,
            ),
        )
        for s in sorted(SECTIONS.values(), key=lambda s: (s.order, s.name))
    }
    fields["prune"] = (dict[keys, bool], Field(default_factory=dict))
    model: type[TenantBase] = create_model("Tenant", __base__=TenantBase, **fields)
    return model
