"""Saved plans: `plan -o plan.json` now, `apply plan.json` later, and only if nothing moved since.

A saved plan records, per tenant, the fingerprint of the live state it was computed against and
its changes with secrets as keyed hashes. Applying it re-reads the PBX and re-plans from the YAML;
it refuses when the live fingerprint differs or the recomputed changes are not the saved ones, so
nothing is applied that the reviewer did not see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyconf.errors import SkyconfError
from skyconf.plan import Plan, TenantPlan
from skyconf.render.plan_json import FORMAT_VERSION, plan_document


@dataclass
class SavedPlan:
    path: Path
    tenants: list[dict[str, Any]]

    @property
    def folders(self) -> list[str]:
        return [t["folder"] for t in self.tenants]

    @property
    def pbx(self) -> str | None:
        """The connection the plan was made with, when all its tenants share one."""
        names = {t["pbx"] for t in self.tenants}
        return names.pop() if len(names) == 1 else None


def read_saved(path: Path) -> SavedPlan:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SkyconfError(f"{path}: not a saved plan ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format_version") != FORMAT_VERSION or "tenants" not in doc:
        raise SkyconfError(f"{path}: not a saved plan of this skyconf version (format {FORMAT_VERSION})")
    if not all(t.get("folder") for t in doc["tenants"]):
        raise SkyconfError(f"{path}: the plan does not record its tenant folders")
    return SavedPlan(path, list(doc["tenants"]))


def check_saved(saved: SavedPlan, plans: list[TenantPlan], secret_key: bytes) -> None:
    """Raise unless every tenant's live state and changes are still exactly what was saved."""
    now = {t["tenant"]: t for t in plan_document(Plan(plans), secret_key)["tenants"]}
    problems: list[str] = []
    for then in saved.tenants:
        current = now.get(then["tenant"])
        if current is None:
            problems.append(f"tenant {then['tenant']}: not found any more")
        elif current["fingerprint"] != then["fingerprint"]:
            problems.append(f"tenant {then['tenant']}: the live PBX changed since the plan was made; run plan again")
        elif current["changes"] != then["changes"]:
            problems.append(
                f"tenant {then['tenant']}: the YAML or its secrets changed since the plan was made; run plan again"
            )
    if problems:
        raise SkyconfError(f"refusing to apply {saved.path}: " + "; ".join(problems))
