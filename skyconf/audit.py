"""The audit trail of applies: one JSON line per apply (`skyconf apply --audit-log FILE`).

CI keeps the file as an artifact, so "who changed what on the PBX, when, from which commit and
which reviewed plan" has an answer that does not depend on the PBX's own logs. Appending (never
rewriting) keeps earlier records intact when the file is carried from run to run.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from skyconf.apply import Outcome


def record_apply(log: Path, outcomes: dict[str, list[Outcome]], saved: Path | None = None) -> dict[str, Any]:
    """Append one record of this apply to `log` and return it."""
    record = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _commit(log),
        "plan_digest": plan_digest(outcomes, saved),
        "saved_plan": saved.name if saved else None,
        "approved_by": _approver(),
        "changes": [
            {
                "tenant": tenant,
                "action": o.change.action,
                "kind": o.change.kind,
                "key": "/".join(o.change.key),
                "outcome": o.status,
                **({"error": o.error} if o.error else {}),
            }
            for tenant, results in outcomes.items()
            for o in results
        ],
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")
    return record


def plan_digest(outcomes: dict[str, list[Outcome]], saved: Path | None) -> str:
    """sha256 of the saved plan file applied (the bytes the approver saw), else of the change list."""
    if saved is not None:
        data = saved.read_bytes()
    else:
        changes = [[t, o.change.action, o.change.kind, list(o.change.key)] for t, os_ in outcomes.items() for o in os_]
        data = json.dumps(changes, sort_keys=True).encode()
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _approver() -> str:
    """Who approved: the CI's approver (SKYCONF_APPROVED_BY, set by the workflow), else who ran it."""
    for name in ("SKYCONF_APPROVED_BY", "GITHUB_ACTOR"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _commit(near: Path) -> str | None:
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    folder = near.resolve().parent
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder if folder.is_dir() else None, capture_output=True, text=True
        )
    except OSError:
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None
