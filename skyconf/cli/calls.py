"""`skyconf calls`, `skyconf verify` and `skyconf sandbox call`: call history, and routing proven by it."""

from __future__ import annotations

import datetime as dt
import sys
import zoneinfo
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import click

from skyconf import eventloop
from skyconf.calls.records import CallRecord
from skyconf.calls.report import Listing, Stats, directory, render_html, rows
from skyconf.calls.verify import Summary, Verifier
from skyconf.cli.common import EXIT_CHANGES, EXIT_OK, friendly_errors, out
from skyconf.cli.routing import _local, _one_tenant, _state, _tenant_zone, live_option, pbx_option, tenant_argument
from skyconf.config import load_profile
from skyconf.errors import SkyconfError, display_path
from skyconf.model.queues import CALL_QUEUE
from skyconf.pipeline import Session, repo_root
from skyconf.providers import CallHistory, supports_calls
from skyconf.resolve import Desired

MAX_DAYS = 93
from_option = click.option(
    "--from", "from_text", required=True, help='Start, in the tenant\'s zone: "YYYY-MM-DD [HH:MM]".'
)
to_option = click.option("--to", "to_text", required=True, help="End: a date counts whole (inclusive).")
FORMATS = ("text", "markdown", "json", "csv")


@click.command()
@tenant_argument
@from_option
@to_option
@click.option("--ext", "exts", multiple=True, help="Only the calls of these users (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--html", "html_file", type=click.Path(path_type=Path, dir_okay=False), help="Also write a report page.")
@pbx_option
@friendly_errors
def calls(
    path: Path, from_text: str, to_text: str, exts: tuple[str, ...], fmt: str, html_file: Path | None, pbx: str | None
) -> None:
    """The call history read from the PBX: one line per call, times in the tenant's zone."""
    desired = _one_tenant(path)
    zone = _tenant_zone(desired)
    start, end = _window(from_text, to_text, zone)
    names = directory(desired.state)
    stats = Stats(queues=frozenset(k[0] for k in desired.state.keys(CALL_QUEUE.name)))
    listing = Listing(fmt)

    async def run() -> None:
        sys.stdout.write(listing.head())
        async for record in _records(path, desired, start, end, list(exts), pbx):
            for row in rows([record], zone, names):
                stats.add(row)
                sys.stdout.write(listing.line(row))
        sys.stdout.write(listing.tail())

    eventloop.run(run())
    sys.stdout.flush()
    if fmt == "text":
        out.print(f"{stats.total} call(s), times in {zone.key}", markup=False)
    if html_file:
        title = f"Calls · {desired.tenant.tenant.domain}"
        subtitle = f"{start.astimezone(zone):%Y-%m-%d %H:%M} to {end.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"
        _write(html_file, render_html(stats, title=title, subtitle=subtitle, names=names))
        click.echo(f"wrote {display_path(html_file)}", err=True)


@click.command()
@tenant_argument
@from_option
@to_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@live_option
@pbx_option
@friendly_errors
def verify(path: Path, from_text: str, to_text: str, fmt: str, live: bool, pbx: str | None) -> None:
    """Check each call to a user in the window against what `simulate` predicts for its start.

    Exit 0 when every checkable call went as predicted, 2 when some did not, 1 on error.
    """
    desired = _one_tenant(path)
    zone = _tenant_zone(desired)
    start, end = _window(from_text, to_text, zone)
    state, _source = _state(path, desired, live, pbx if live else None)

    summary, verifier = Summary(), Verifier(state)

    async def check_all() -> None:
        async for record in _records(path, desired, start, end, [], pbx):
            summary.add(verifier.check(record))

    eventloop.run(check_all())
    if fmt == "json":
        click.echo(summary.json())
    elif fmt == "markdown":
        click.echo(summary.markdown(zone.key), nl=False)
    else:
        click.echo(summary.text(zone.key))
    sys.exit(EXIT_CHANGES if summary.mismatches else EXIT_OK)


@click.command("call")
@click.option("--pbx", "pbx", default="sandbox", show_default=True, help="Connection profile of a sandbox PBX.")
@click.option("--domain", required=True, help="The domain called into.")
@click.option("--to", "to", required=True, help="The extension (or number) dialled.")
@click.option("--at", "at_text", required=True, help='When, in the domain\'s time zone: "YYYY-MM-DD HH:MM".')
@click.option("--from", "caller", default="+14165550000", show_default=True, help="The caller's number.")
@click.option("--answer", default="none", show_default=True, help="Who picks up (an extension or number), or none.")
@friendly_errors
def sandbox_call(pbx: str, domain: str, to: str, at_text: str, caller: str, answer: str) -> None:
    """Place a simulated call on a sandbox PBX; it routes the call and records it as the PBX would."""
    from skyconf.sandbox.calls import CallError, post_calls
    from skyconf.sandbox.calls import summary as call_summary

    profile = load_profile(pbx, repo_root([Path.cwd()]))
    try:
        at = dt.datetime.strptime(at_text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise SkyconfError(f'--at: expected "YYYY-MM-DD HH:MM", got {at_text!r}') from None
    body = {"domain": domain, "to": to, "from": caller, "at": at.isoformat(), "answer": answer}
    db = str(profile.sandbox_db) if profile.sandbox_db else None
    try:
        (doc,) = post_calls(profile.url, profile.api_key or "", db, [body])
    except CallError as exc:
        raise SkyconfError(str(exc)) from None
    out.print(call_summary(doc), markup=False)


def _window(from_text: str, to_text: str, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start, end = _local(from_text, zone, "--from"), _local(to_text, zone, "--to", end=True)
    if end <= start:
        raise SkyconfError(f"--to ({to_text}) must be after --from ({from_text})")
    if end - start > dt.timedelta(days=MAX_DAYS):
        raise SkyconfError(f"the window is longer than {MAX_DAYS} days; pick a shorter one")
    return start, end


async def _records(
    path: Path, desired: Desired, start: dt.datetime, end: dt.datetime, users: list[str], pbx: str | None
) -> AsyncIterator[CallRecord]:
    tenant = desired.tenant.tenant
    async with Session(repo_root([path]), pbx) as session:
        provider = session.provider(tenant.pbx)
        if not supports_calls(provider):
            raise SkyconfError(f"the provider of profile '{pbx or tenant.pbx}' cannot read call records")
        history = cast(CallHistory, provider)
        async for record in history.calls(tenant.domain, start, end, users, tenant.country):
            yield record


def _write(file: Path, text: str) -> None:
    try:
        file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SkyconfError(f"cannot write {display_path(file)}: {exc.strerror}") from None
