"""The check after an import: what `plan` on the written folder would still change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from skyconf.errors import ConfigError
from skyconf.load import Document, LoadedTenant, fill_secrets, read_document
from skyconf.model.greetings import greeting_index
from skyconf.model.kinds import KINDS
from skyconf.model.moh import MOH_FILE, MOH_PLAYLIST
from skyconf.model.tenant import tenant_model
from skyconf.model.users import USER_GREETING, USER_MOH_FILE, USER_MOH_PLAYLIST
from skyconf.plan import diff
from skyconf.resolve import resolve
from skyconf.resources import Resource, State

if TYPE_CHECKING:
    from skyconf.importer.build import Audio

_MOH_KINDS = {k.name for k in (MOH_FILE, MOH_PLAYLIST, USER_MOH_FILE, USER_MOH_PLAYLIST)}


def remaining_changes(
    folder: Path,
    live: State,
    secrets: dict[str, str],
    audio: list[Audio],
    today: dt.date,
    written: dict[str, Any] | None = None,
) -> list[str]:
    """What `plan` on the written folder would still change (music on hold, greetings and prompts whose
    audio is not in the folder yet are left out of the check: they are listed separately).

    `written`: the folder's data when import wrote every file of it from that data (a new folder), so
    reading the files back is skipped; fmt's tests and the folder's own check hold the text to it. It is
    used up: the check fills in its secrets and takes out what it leaves unchecked."""
    if written is not None:
        doc = Document(folder, data=written)  # no positions: every resource is said to be declared at the folder
    else:
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
        voicemail = user.get("voicemail") if isinstance(user, dict) else None
        if isinstance(voicemail, dict):
            skipped |= {("greeting", f"{ext}/{name}") for name in _drop_greetings(voicemail, missing)}
    for attendant in (doc.data.get("auto_attendants") or {}).values():
        menus = attendant.get("menus") if isinstance(attendant, dict) else None
        for menu in (menus or {}).values():
            prompt = menu.get("prompt") if isinstance(menu, dict) else None
            if isinstance(prompt, dict) and prompt.get("file") in missing:
                del menu["prompt"]  # a prompt not stated is not compared
    try:
        tenant = tenant_model().model_validate(doc.data)
        desired = resolve(LoadedTenant(folder.name, folder, tenant, doc), today)
    except ValidationError as exc:
        return [f"the written folder does not validate: {exc.errors()[0]['msg']}"]
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    changes, _ = diff(desired.state, _named_greetings(desired.state, live), desired.prune)
    out: list[str] = []
    for c in changes:
        if c.kind in _MOH_KINDS and ("moh", c.key[0]) in skipped:
            continue
        if c.kind == USER_GREETING.name and ("greeting", "/".join(c.key)) in skipped:
            continue
        what = f" ({', '.join(c.changed)})" if c.action == "update" else ""
        out.append(f"{c.action} {KINDS[c.kind].title} {' / '.join(c.key)}{what}")
    return out


def _drop_greetings(voicemail: dict[str, Any], missing: set[str]) -> list[str]:
    """Take out the greetings whose file is missing (and `greeting` when it names one); their names."""
    greetings = voicemail.get("greetings")
    if not isinstance(greetings, dict):
        return []
    dropped = [n for n, g in greetings.items() if isinstance(g, dict) and g.get("file") in missing]
    for name in dropped:
        del greetings[name]
    if voicemail.get("greeting") in dropped:
        del voicemail["greeting"]
    return dropped


def _named_greetings(desired: State, live: State) -> State:
    """`live` with greetings read by number (a spoken one carries no name) keyed by the name the folder
    gives that number, as a read scoped by the folder keys them."""
    names = {(r.key[0], greeting_index(r.key[1])): r.key[1] for r in desired.of_kind(USER_GREETING.name)}

    def named(r: Resource) -> Resource:
        if r.kind != USER_GREETING.name or not r.key[1].isdigit():
            return r
        name = names.get((r.key[0], int(r.key[1])), r.key[1])
        return Resource(r.kind, (r.key[0], name), r.fields, meta=r.meta)

    return State.of(named(r) for r in live)
