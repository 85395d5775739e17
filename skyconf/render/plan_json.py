"""Machine-readable plan. Secrets are masked for output, or replaced by a keyed hash in saved plans."""

from __future__ import annotations

from typing import Any

from skyconf.model.kinds import kind, mask
from skyconf.plan import Change, Plan, secret_digest

FORMAT_VERSION = 1


def plan_document(plan: Plan, secret_key: bytes | None = None) -> dict[str, Any]:
    """The plan as JSON data; with `secret_key` secrets become hashes (saved plans), else masks."""
    return {
        "format_version": FORMAT_VERSION,
        "has_changes": plan.has_changes,
        "tenants": [
            {
                "tenant": tp.tenant,
                "domain": tp.domain,
                "pbx": tp.pbx,
                "folder": tp.folder,
                "fingerprint": tp.fingerprint,
                "summary": tp.counts,
                "unmanaged": dict(sorted(tp.unmanaged.items())),
                "limits_exceeded": tp.violations,
                "changes": [_change(c, secret_key) for c in tp.changes],
            }
            for tp in plan.tenants
        ],
    }


def _change(change: Change, secret_key: bytes | None) -> dict[str, Any]:
    def hide(fields: dict[str, Any] | None) -> dict[str, Any] | None:
        if fields is None:
            return None
        if secret_key is None:
            return mask(change.kind, fields)
        secrets = kind(change.kind).secret_fields
        return {k: (secret_digest(secret_key, v) if k in secrets and v is not None else v) for k, v in fields.items()}

    return {
        "action": change.action,
        "kind": change.kind,
        "key": list(change.key),
        "changed": list(change.changed),
        "before": hide(change.before),
        "after": hide(change.after),
    }
