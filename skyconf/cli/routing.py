"""`skyconf simulate` and `skyconf timeline`: who rings when, from the YAML or from the live PBX."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from skyconf import eventloop
from skyconf.cli.common import friendly_errors, load_tenants, out
from skyconf.entry import describe_entry, enter, number_key, users_behind
from skyconf.errors import SkyconfError, display_path
from skyconf.model.timeframes import TIME_FRAMES, parse_local
from skyconf.model.users import USER
from skyconf.pipeline import Session, plan_tenants, repo_root
from skyconf.render.timeline_html import render_timeline_html
from skyconf.render.timeline_text import render_timeline_text
from skyconf.resolve import Desired
from skyconf.resources import State
from skyconf.routing import Interval, describe, evaluate, intervals, local_instant, user_zone

F = TypeVar("F", bound=Callable[..., Any])
MAX_DAYS = 366

tenant_argument = click.argument("path", type=click.Path(path_type=Path))
live_option = click.option("--live", is_flag=True, help="Read the live PBX instead of the YAML.")
pbx_option = click.option("--pbx", "pbx", help="Connection profile for --live instead of the tenant's `pbx:`.")


@click.command()
@tenant_argument
@click.option("--ext", help="The extension called, e.g. 101.")
@click.option("--number", help='An outside number the tenant declares, e.g. "+1 416 555 0100".')
@click.option("--at", "at_text", required=True, help='When, in the tenant\'s time zone: "YYYY-MM-DD HH:MM".')
@live_option
@pbx_option
@friendly_errors
def simulate(path: Path, ext: str | None, number: str | None, at_text: str, live: bool, pbx: str | None) -> None:
    """Say what happens to a call to --ext (or to the outside number --number) at --at: which rule
    applies, who rings, then what; a number is followed through its auto attendant's menu."""
    desired = _one_tenant(path)
    zone = _tenant_zone(desired)
    at = _local(at_text, zone, "--at")
    state, source = _state(path, desired, live, pbx)
    if (ext is None) == (number is None):
        raise SkyconfError("name one of --ext or --number")
    if number is not None:
        key = number_key(state, number, desired.tenant.tenant.country)
        local = at.astimezone(zone)
        out.print(f"Call to {key} on {local:%a %Y-%m-%d %H:%M %Z} ({zone.key}), {source}:", style="bold", markup=False)
        priorities = {name: f.priority for name, f in TIME_FRAMES.of(desired.tenant.tenant).items()}
        out.print(describe_entry(enter(state, key, at, priorities)), markup=False)
        return
    assert ext is not None
    _check_users(state, [ext], source)
    local, own = at.astimezone(zone), user_zone(state, ext)
    header = f"Call to {ext} on {local:%a %Y-%m-%d %H:%M %Z} ({zone.key}), {source}"
    if own.key != zone.key:
        header += f"; {ext}'s time frames run on {own.key} time ({at.astimezone(own):%a %H:%M %Z})"
    out.print(header + ":", style="bold", markup=False)
    out.print(describe(evaluate(state, ext, at)), markup=False)


@click.command()
@tenant_argument
@click.option("--from", "from_text", required=True, help='Start, in the tenant\'s time zone: "YYYY-MM-DD [HH:MM]".')
@click.option("--to", "to_text", required=True, help="End: a date counts whole (inclusive), a date and time does not.")
@click.option("--ext", "exts", multiple=True, help="Only these extensions (repeatable); default: every user.")
@click.option("--number", help="Start at an outside number: the users its calls can reach (through its attendant).")
@click.option("--html", "html_file", type=click.Path(path_type=Path, dir_okay=False), help="Also write an HTML page.")
@live_option
@pbx_option
@friendly_errors
def timeline(
    path: Path,
    from_text: str,
    to_text: str,
    exts: tuple[str, ...],
    number: str | None,
    html_file: Path | None,
    live: bool,
    pbx: str | None,
) -> None:
    """List, per user, the stretches of time with the same call routing between --from and --to."""
    desired = _one_tenant(path)
    zone = _tenant_zone(desired)
    start, end = _local(from_text, zone, "--from"), _local(to_text, zone, "--to", end=True)
    if end <= start:
        raise SkyconfError(f"--to ({to_text}) must be after --from ({from_text})")
    if end - start > dt.timedelta(days=MAX_DAYS):
        raise SkyconfError(f"the window is longer than {MAX_DAYS} days; pick a shorter one")
    state, source = _state(path, desired, live, pbx)
    chosen = list(exts) or sorted((key[0] for key in state.keys(USER.name)), key=lambda e: (len(e), e))
    if number is not None:
        key = number_key(state, number, desired.tenant.tenant.country)
        chosen = users_behind(state, key)
        if not chosen:
            raise SkyconfError(f"calls to {key} reach no user {source} (is it one of the tenant's numbers?)")
        source = f"{source}, calls to {key} ({', '.join(chosen)})"
    _check_users(state, chosen, source)
    timelines = {ext: intervals(state, ext, start, end) for ext in chosen}
    out.print(f"Call routing {source}, times in {zone.key}:", style="bold", markup=False)
    zones = {ext: user_zone(state, ext) for ext in chosen}
    out.print(render_timeline_text(timelines, zone, zones), markup=False)
    if html_file:
        _write_html(html_file, timelines, zone, zones, start, end, desired, source)
        out.print(f"wrote {display_path(html_file)}", markup=False)


def _write_html(
    file: Path,
    timelines: dict[str, list[Interval]],
    zone: zoneinfo.ZoneInfo,
    zones: dict[str, zoneinfo.ZoneInfo],
    start: dt.datetime,
    end: dt.datetime,
    desired: Desired,
    source: str,
) -> None:
    page = render_timeline_html(
        timelines,
        zone,
        start,
        end,
        title=f"Who rings when · {desired.tenant.tenant.domain}",
        source=source,
        user_zones=zones,
        departments={r.key[0]: str(r.fields.get("department") or "") for r in desired.state.of_kind("user")},
    )
    try:
        file.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise SkyconfError(f"cannot write {display_path(file)}: {exc.strerror}") from None


def _one_tenant(path: Path) -> Desired:
    desired = load_tenants([path])
    if len(desired) != 1:
        raise SkyconfError(f"{display_path(path)} holds {len(desired)} tenants; name one tenant folder")
    return desired[0]


def _tenant_zone(desired: Desired) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(desired.tenant.tenant.time_zone)  # resolve already checked the name


def _local(text: str, zone: zoneinfo.ZoneInfo, option: str, *, end: bool = False) -> dt.datetime:
    """A wall-clock time in the tenant's zone as an instant (same DST choices as time frames)."""
    try:
        return local_instant(parse_local(text, end=end), zone)
    except ValueError as exc:
        raise SkyconfError(f"{option}: {exc}") from None


def _state(path: Path, desired: Desired, live: bool, pbx: str | None) -> tuple[State, str]:
    """The state to evaluate and words for where it came from."""
    if pbx and not live:
        raise SkyconfError("--pbx only applies with --live")
    if not live:
        return desired.state, f"from the YAML in {display_path(path)}"
    state = eventloop.run(_read_live(path, desired, pbx))
    return state, f"on the live PBX ({pbx or desired.tenant.tenant.pbx})"


async def _read_live(path: Path, desired: Desired, pbx: str | None) -> State:
    async with Session(repo_root([path]), pbx) as session:
        runs = await plan_tenants(session, [desired])
    return runs[0].live


def _check_users(state: State, exts: list[str], source: str) -> None:
    known = sorted((key[0] for key in state.keys(USER.name)), key=lambda e: (len(e), e))
    missing = [ext for ext in exts if ext not in known]
    if missing:
        raise SkyconfError(f"no user {', '.join(missing)} {source} (users: {', '.join(known) or 'none'})")
