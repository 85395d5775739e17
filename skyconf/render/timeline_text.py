"""Call-routing timelines and routing diffs as plain text and markdown, with times in one zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence

from skyconf.routing import DiffInterval, Interval, Routing, call_path, describe, frame_label


def span_label(start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """'Tue Dec 22 09:00–12:00', 'Tue Dec 22 00:00–24:00' or 'Thu Dec 24 12:00–Sat Dec 26 00:00'."""
    a, b = start.astimezone(zone), end.astimezone(zone)
    if b.date() == a.date():
        right = f"{b:%H:%M}"
    elif b.date() == a.date() + dt.timedelta(days=1) and b.time() == dt.time():
        right = "24:00"
    else:
        right = moment_label(b, zone)
    return f"{moment_label(a, zone)}–{right}"


def moment_label(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{local:%a %b} {local.day} {local:%H:%M}"


def user_title(routing: Routing) -> str:
    name = routing.names.get(routing.ext)
    return f"{routing.ext} ({name})" if name else routing.ext


def render_timeline_text(
    timelines: Mapping[str, Sequence[Interval]],
    zone: zoneinfo.ZoneInfo,
    user_zones: Mapping[str, zoneinfo.ZoneInfo] | None = None,
) -> str:
    """One block per user: a row per interval with its time span, frame and what a call does.

    `user_zones` notes users whose time frames run on another zone than the one times are shown in.
    """
    blocks: list[str] = []
    for ext, timeline in timelines.items():
        if not timeline:
            blocks.append(f"{ext}\n  (empty window)")
            continue
        whens = [span_label(i.start, i.end, zone) for i in timeline]
        frames = [frame_label(i.frame) for i in timeline]
        w1, w2 = max(map(len, whens)), max(map(len, frames))
        rows = [
            f"  {when:<{w1}}  {frame:<{w2}}  {describe(i.routing, with_frame=False)}"
            for when, frame, i in zip(whens, frames, timeline, strict=True)
        ]
        own = (user_zones or {}).get(ext)
        note = f" (time frames in {own.key})" if own and own.key != zone.key else ""
        blocks.append("\n".join([user_title(timeline[0].routing) + note, *rows]))
    return "\n\n".join(blocks) + "\n"


def render_routing_diff_text(changes: Mapping[str, Sequence[DiffInterval]], zone: zoneinfo.ZoneInfo) -> str:
    """Per changed user, each stretch of time with what callers got before and what they get after."""
    users = [(ext, diffs) for ext, diffs in changes.items() if diffs]
    if not users:
        return "No change in call routing.\n"
    lines = [f"Call routing changes (times in {zone.key}):"]
    for _ext, diffs in users:
        lines += ["", _diff_title(diffs[0])]
        for d in diffs:
            lines.append(f"  {span_label(d.start, d.end, zone)}")
            lines.append(f"    before: {_side(d.before, d.before_frames)}")
            lines.append(f"    after:  {_side(d.after, d.after_frames)}")
    return "\n".join(lines) + "\n"


def render_routing_diff_markdown(changes: Mapping[str, Sequence[DiffInterval]], zone: zoneinfo.ZoneInfo) -> str:
    """The same as render_routing_diff_text, as a markdown section for pull-request comments."""
    users = [(ext, diffs) for ext, diffs in changes.items() if diffs]
    if not users:
        return "#### Call routing\n\nNo change in call routing.\n"
    lines = ["#### Call routing changes", "", f"Times in {zone.key}."]
    for _ext, diffs in users:
        lines += ["", f"**{_cell(_diff_title(diffs[0]))}**", "", "| When | Before | After |", "| --- | --- | --- |"]
        for d in diffs:
            when = span_label(d.start, d.end, zone)
            before, after = _side(d.before, d.before_frames), _side(d.after, d.after_frames)
            lines.append(f"| {_cell(when)} | {_cell(before)} | {_cell(after)} |")
    return "\n".join(lines) + "\n"


def _diff_title(d: DiffInterval) -> str:
    """The user's title from whichever side knows their name (a user may exist on one side only)."""
    return user_title(d.after if d.after.ext in d.after.names else d.before)


def _side(routing: Routing, frames: Sequence[str | None]) -> str:
    return f"{call_path(routing)} ({', '.join(frame_label(f) for f in frames)})"


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell (no column breaks, no emphasis, no HTML: names are untrusted)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char in "\\|*_`":
        text = text.replace(char, "\\" + char)
    return text
