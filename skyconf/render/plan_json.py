"""Machine-readable plan. Secrets are masked for output, or replaced by a keyed hash in saved plans."""

from __future__ import annotations

from typing import Any

from skyconf.model.kinds import kind, mask
from skyconf.plan import Change, Plan, Scoped, secret_digest

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
                "scope": scope_document(tp.scope),
                "changes": [_change(c, secret_key) for c in tp.changes],
            }
            for tp in plan.tenants
        ],
    }


def scope_document(scope: Scoped | None) -> dict[str, Any] | None:
    """A scoped plan's scope: its note, and the objects it read (a saved plan is applied to those)."""
    if scope is None:
        return None
    objects = None if scope.objects is None else [[k, list(key)] for k, key in sorted(scope.objects)]
    return {"since": scope.since, "changed": scope.changed, "objects": objects, "note": scope.note}


def scope_from_document(doc: dict[str, Any] | None) -> Scoped | None:
    if not doc:
        return None
    objects = doc.get("objects")
    refs = None if objects is None else frozenset((str(k), tuple(str(p) for p in key)) for k, key in objects)
    reason = str(doc.get("note", "")).removeprefix("full plan: ") if refs is None else ""
    return Scoped(str(doc.get("since", "")), int(doc.get("changed", 0)), refs, reason)


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
