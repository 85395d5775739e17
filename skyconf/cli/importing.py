"""`skyconf import`: write a tenant folder from a live PBX domain."""

from __future__ import annotations

from pathlib import Path

import click

from skyconf import eventloop
from skyconf.cli.common import friendly_errors, out
from skyconf.errors import display_path
from skyconf.importer import ImportReport, import_tenant
from skyconf.pipeline import Session, repo_root


@click.command(name="import")
@click.option("--pbx", "pbx", help="Connection profile to read from (default: the folder's `pbx:`, else sandbox).")
@click.option("--domain", help="The PBX domain to import (default: the folder's `domain:` when it has one).")
@click.option(
    "-o",
    "--out",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The tenant folder to write, e.g. tenants/acme; an existing one is updated in place.",
)
@click.option("--country", help="Region for phone numbers and the tenant's `country:` (default: the folder's, or US).")
@click.option(
    "--unmanaged-pins", is_flag=True, help="Write voicemail PINs as `pin: unmanaged`: left to the PBX, never planned."
)
def import_(pbx: str | None, domain: str | None, folder: Path, country: str | None, unmanaged_pins: bool) -> None:
    """Write a tenant folder from what the PBX has, for every kind skyconf manages.

    The result reads like hand-written YAML: one file per section, shared answering rules pulled
    into profiles, secrets as ${env:...} references (their variables are listed; values are never
    written or printed). Re-importing into an existing folder updates its files in place, keeping
    comments and key order. Afterwards the folder is compared with the PBX as `plan` would, and
    anything that would still change is listed.
    """

    @friendly_errors
    def run() -> None:
        report = eventloop.run(_import(pbx, domain, folder, country, unmanaged_pins))
        for line in report_lines(report):
            out.print(line, markup=False, emoji=False)

    run()


async def _import(
    pbx: str | None, domain: str | None, folder: Path, country: str | None, unmanaged_pins: bool = False
) -> ImportReport:
    async with Session(repo_root([folder.parent])) as session:
        return await import_tenant(session, pbx, domain, folder, country, unmanaged_pins=unmanaged_pins)


def report_lines(report: ImportReport) -> list[str]:
    """What was written, what to set and supply, and what the YAML cannot say."""
    shown = display_path(report.folder)
    counts = ", ".join(f"{n} {_label(name, n)}" for name, n in report.counts.items()) or "nothing"
    lines = [f"imported into {shown}: {counts}"]
    lines += [f"  wrote {display_path(p)}" for p in report.written]
    if report.unchanged and not report.written:
        lines.append("  no file changed")
    if report.variables:
        lines.append("Set these environment variables before plan or apply (the secrets stay on the PBX):")
        lines += [f"  {name}" for name in report.variables]
    if report.audio:
        lines.append("Audio the API cannot download (music on hold, greetings, prompts); put these WAV files in place:")
        for a in report.audio:
            digest = f"sha256 {a.sha256[:12]}…" if a.sha256 else "uploaded in the portal: download it there"
            state = "differs from the PBX's" if a.state == "differs" else "missing"
            lines.append(f"  {shown}/{a.path} ({state}; {digest}; used by {', '.join(a.used_by)})")
    if report.notes:
        lines.append("Not imported as is:")
        lines += [f"  {note}" for note in report.notes]
    if report.remaining:
        lines.append("A plan of the folder would still change (see the notes above):")
        lines += [f"  {line}" for line in report.remaining]
    else:
        ready = [
            w
            for w, needed in (
                ("the audio files are in place", report.audio),
                ("the variables are set", report.variables),
            )
            if needed
        ]
        when = f" once {' and '.join(ready)}" if ready else ""
        lines.append(f"A plan of {shown} against the PBX shows no changes{when}.")
    return lines


def _label(section: str, count: int) -> str:
    words = section.replace("_", " ")
    return words if count != 1 else words.removesuffix("s")
