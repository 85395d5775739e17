"""The check after an import: what `plan` on the written folder would still change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from skyconf.errors import ConfigError
from skyconf.load import LoadedTenant, fill_secrets, read_document
from skyconf.model.kinds import KINDS
from skyconf.model.moh import MOH_FILE, MOH_PLAYLIST
from skyconf.model.tenant import tenant_model
from skyconf.model.users import USER_MOH_FILE, USER_MOH_PLAYLIST
from skyconf.plan import diff
from skyconf.resolve import resolve
from skyconf.resources import State

if TYPE_CHECKING:
    from skyconf.importer.build import Audio

_MOH_KINDS = {k.name for k in (MOH_FILE, MOH_PLAYLIST, USER_MOH_FILE, USER_MOH_PLAYLIST)}


def remaining_changes(
    folder: Path, live: State, secrets: dict[str, str], audio: list[Audio], today: dt.date
) -> list[str]:
    """What `plan` on the written folder would still change (music on hold whose audio is not in the
    folder yet is left out of the check: it is listed separately)."""
    doc, problems = read_document(folder)
    if problems:
        return [str(p) for p in problems]
    fill_secrets(doc, secrets)
    missing = {a.path for a in audio if a.state == "missing"}
    skipped: set[tuple[str, str]] = set()

    def needs_audio(moh: Any) -> bool:
        return isinstance(moh, dict) and any(
            isinstance(e, dict) and e.get("file") in missing for e in moh.get("files") or []
        )

    if needs_audio(doc.data.get("music_on_hold")):
        del doc.data["music_on_hold"]
        skipped.add(("moh", doc.data.get("domain", "")))
    for ext, user in (doc.data.get("users") or {}).items():
        if isinstance(user, dict) and needs_audio(user.get("music_on_hold")):
            del user["music_on_hold"]
            skipped.add(("moh", str(ext)))
    try:
        tenant = tenant_model().model_validate(doc.data)
        desired = resolve(LoadedTenant(folder.name, folder, tenant, doc), today)
    except ValidationError as exc:
        return [f"the written folder does not validate: {exc.errors()[0]['msg']}"]
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    changes, _ = diff(desired.state, live, desired.prune)
    out: list[str] = []
    for c in changes:
        if c.kind in _MOH_KINDS and ("moh", c.key[0]) in skipped:
            continue
        what = f" ({', '.join(c.changed)})" if c.action == "update" else ""
        out.append(f"{c.action} {KINDS[c.kind].title} {' / '.join(c.key)}{what}")
    return out
