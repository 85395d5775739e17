"""`skyconf import`: a live PBX domain -> a tenant folder; the reverse of load -> resolve.

- Read: the provider's `read_domain` (every kind, for every user).
- Build (`build`): sections that export themselves (queues, attendants, conferences, ...) do so from
  their model modules; the builder does what spans kinds: users and their rules, time-frame
  priorities (`priorities`: the PBX keeps only each user's rule order), profiles (`profiles`:
  answering rules several users share), `${env:...}` references for every secret field (`secrets`),
  music-on-hold paths, reference checks (a forward to a deleted queue is left out and noted), and
  phones (`phones`: recovered from their rendered configuration).
- Write (`files`): one file per section with the schema header, in `skyconf fmt`'s layout; over an
  existing folder each file is updated in place, keeping comments and key order. The folder's own
  profiles and `${env:...}` names are reused.
- Check (`check`): the written folder is resolved and compared with the live state it came from, as
  `plan` would; whatever would still change is reported.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
from dataclasses import dataclass
from pathlib import Path

from skyconf.config import SANDBOX
from skyconf.errors import SkyconfError, display_path
from skyconf.importer.build import Audio, Builder
from skyconf.importer.check import remaining_changes
from skyconf.importer.files import Existing, write_folder
from skyconf.pipeline import Session

__all__ = ["Audio", "ImportReport", "import_tenant"]


@dataclass
class ImportReport:
    folder: Path
    written: list[Path]
    unchanged: list[Path]
    variables: list[str]
    audio: list[Audio]
    notes: list[str]
    remaining: list[str]
    counts: dict[str, int]


async def import_tenant(
    session: Session,
    pbx: str | None,
    domain: str | None,
    folder: Path,
    country: str | None,
    today: dt.date | None = None,
    unmanaged_pins: bool = False,
) -> ImportReport:
    """Read the domain from the PBX and write (or update) the tenant folder; see the module docstring.

    `pbx`, `domain` and `country` default to what an existing folder says (else sandbox, -, US);
    `unmanaged_pins` writes voicemail PINs the folder does not name yet as `pin: unmanaged`.
    """
    today = today or dt.date.today()
    existing = Existing.read(folder)
    if not existing.roots and folder.is_dir() and any(c.is_dir() and any(c.glob("*.yaml")) for c in folder.iterdir()):
        raise SkyconfError(f"{display_path(folder)} holds tenant folders; name one tenant's folder, like tenants/acme")
    held = existing.get("domain")
    if domain is None:
        if not isinstance(held, str):
            raise SkyconfError(f"{display_path(folder)} declares no domain yet: name it with --domain")
        domain = held
    elif held is not None and held != domain:
        raise SkyconfError(f"{display_path(folder)} holds domain '{held}', not '{domain}'; import into another folder")
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", domain):
        raise SkyconfError(f"'{domain}' is not a domain name")
    country = (country or existing.get("country") or "US").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise SkyconfError(f"'{country}' is not a country code (ISO 3166 alpha-2, like CA)")
    folder_pbx = existing.get("pbx") if isinstance(existing.get("pbx"), str) else None
    profile = pbx or folder_pbx or SANDBOX
    # What is alive lives to the end (what the command loaded, then what it read): frozen, the
    # collector's full passes do not walk it again and again (they took a tenth of the build, and
    # paused every request in flight during the read). Garbage made meanwhile is collected as usual.
    gc.freeze()
    try:
        live = await session.provider(profile).read_domain(domain, country, folder)
        gc.freeze()
        built = Builder(live, domain, folder_pbx or profile, country, folder, existing, unmanaged_pins).build()
        header = f"Imported by `skyconf import` from PBX profile {profile}, domain {domain}, on {today.isoformat()}."
        new_folder = not existing.roots  # then every file is written from built.data alone
        written, unchanged = write_folder(folder, existing, built.data, built.full_users, country, today, header)
        data, built.data, built.full_users = (built.data if new_folder else None), {}, {}  # written: let go
        remaining = remaining_changes(folder, live, built.secrets, built.audio, today, data)
    finally:
        gc.unfreeze()
    return ImportReport(
        folder,
        written,
        unchanged,
        sorted(built.secrets),
        [a for a in built.audio if a.state != "present"],
        built.notes,
        remaining,
        built.counts,
    )
