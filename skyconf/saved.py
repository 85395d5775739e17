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

from skyconf import redact
from skyconf.errors import SkyconfError
from skyconf.plan import Plan, Scoped, TenantPlan, secret_digest
from skyconf.render.plan_json import FORMAT_VERSION, plan_document, scope_from_document

# What the saved plan's key check is a keyed hash of: it tells "made with another SKYCONF_PLAN_KEY"
# apart from "the live PBX changed" (both change every secret's hash and the fingerprint).
_KEY_CHECK = "skyconf saved plan key check"


@dataclass
class SavedPlan:
    path: Path
    tenants: list[dict[str, Any]]
    # A keyed hash of a fixed text, with the key the plan was made with ("" in older plans).
    key_check: str = ""

    @property
    def folders(self) -> list[str]:
        return [t["folder"] for t in self.tenants]

    @property
    def scopes(self) -> dict[str, Scoped]:
        """The scoped tenants' scopes: applying the plan reads and plans those objects again, no others."""
        out: dict[str, Scoped] = {}
        for t in self.tenants:
            scope = scope_from_document(t.get("scope"))
            if scope is not None:
                out[t["tenant"]] = scope
        return out

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
    return SavedPlan(path, list(doc["tenants"]), str(doc.get("key_check") or ""))


def saved_document(plan: Plan, secret_key: bytes) -> dict[str, Any]:
    """The saved form of a plan: secrets as keyed hashes, and every other value that came from the
    environment (`${env:...}` in a plain field) replaced by its keyed hash too (see skyconf.redact)."""
    doc = plan_document(plan, secret_key)
    doc = redact.redact_data(doc, lambda value: "[secret " + secret_digest(secret_key, value) + "]")
    assert isinstance(doc, dict)
    doc["key_check"] = secret_digest(secret_key, _KEY_CHECK)
    return doc


def saved_text(plan: Plan, secret_key: bytes) -> str:
    return json.dumps(saved_document(plan, secret_key), indent=2) + "\n"


def check_saved(saved: SavedPlan, plans: list[TenantPlan], secret_key: bytes) -> None:
    """Raise unless every tenant's live state and changes are still exactly what was saved."""
    if saved.key_check and saved.key_check != secret_digest(secret_key, _KEY_CHECK):
        raise SkyconfError(
            f"refusing to apply {saved.path}: it was made with another plan key (SKYCONF_PLAN_KEY or "
            ".skyconf/plan.key differs from the one used by `plan -o`); apply it with the same key, or run plan again"
        )
    now = {t["tenant"]: t for t in saved_document(Plan(plans), secret_key)["tenants"]}
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
