"""Secrets in an imported folder: each secret field becomes an `${env:...}` reference, named after
the tenant and the object (a re-imported folder keeps the names it has); the values go to the
caller, never into a file."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from skyconf.importer.files import Existing
from skyconf.model.conferences import CONFERENCE
from skyconf.model.kinds import KINDS, SECTIONS
from skyconf.model.users import UNMANAGED, USER
from skyconf.resources import Key, Resource

_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")

Place = tuple[Callable[[Key], tuple[str, ...]], Callable[[Key], str]]
# Secret fields that do not sit where `_place` puts them (directly under their object), or whose
# variables have names people already use: where each goes in the YAML and its variable's name
# (after the tenant prefix).
SECRETS: dict[tuple[str, str], Place] = {
    (USER.name, "voicemail_pin"): (lambda k: ("users", k[0], "voicemail", "pin"), lambda k: f"{k[0]}_VM_PIN"),
    (CONFERENCE.name, "leader_pin"): (
        lambda k: ("conferences", k[0], "leader_pin"),
        lambda k: f"CONF_{k[0]}_LEADER_PIN",
    ),
    (CONFERENCE.name, "participant_pin"): (
        lambda k: ("conferences", k[0], "participant_pin"),
        lambda k: f"CONF_{k[0]}_PIN",
    ),
}


def _place(kind_name: str, name: str) -> Place:
    """Where a secret field goes: the table above, else a field of its object in its section."""
    if (kind_name, name) in SECRETS:
        return SECRETS[(kind_name, name)]
    section = next(s.name for s in SECTIONS.values() if s.extension_kind and s.extension_kind.name == kind_name)
    return (lambda k: (section, *k, name), lambda k: f"{kind_name}_{'_'.join(k)}_{name}")


@dataclass
class Secrets:
    prefix: str
    existing: Existing
    # Write voicemail PINs the folder does not name yet as `pin: unmanaged` (left to the PBX).
    unmanaged_pins: bool = False
    values: dict[str, str] = field(default_factory=dict)

    def masked(self, resource: Resource) -> dict[str, Any]:
        """The resource's fields with each secret replaced by its `${env:...}` reference."""
        fields = dict(resource.fields)
        for name in KINDS[resource.kind].secret_fields:
            value = fields.get(name)
            fields[name] = self.ref(resource.kind, resource.key, name, str(value)) if value not in (None, "") else None
        return fields

    def ref(self, kind_name: str, key: Key, name: str, value: str) -> str:
        place, suffix = _place(kind_name, name)
        old = self.existing.get(*place(key))
        if old == UNMANAGED:  # the folder leaves this PIN to the PBX: keep saying so
            return UNMANAGED
        if self.unmanaged_pins and (kind_name, name) == ("user", "voicemail_pin") and not isinstance(old, str):
            return UNMANAGED
        if isinstance(old, str) and (m := _ENV_REF.search(old)):
            self.values[m.group(1)] = value
            return old
        var = re.sub(r"[^A-Z0-9]+", "_", f"{self.prefix}_{suffix(key)}".upper()).strip("_")
        var = var if not var[:1].isdigit() else f"T_{var}"
        base, n = var, 2
        while var in self.values:
            var, n = f"{base}_{n}", n + 1
        self.values[var] = value
        return f"${{env:{var}}}"

    def drop(self, ref: str) -> None:
        for name in _ENV_REF.findall(ref):
            self.values.pop(name, None)
