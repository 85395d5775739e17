"""Call history for people: one line (or row) per call, and a self-contained HTML report with charts.

Everything streams: rows are written as records arrive, and the report keeps only counters
(`Stats`), so a month of a large domain costs no more memory than a day.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from skyconf.calls.records import CallRecord
from skyconf.calls.verify import words
from skyconf.resources import State

COLUMNS = ("time", "caller", "caller_name", "dialled", "dialled_name", "outcome", "target", "what", "ring_s", "talk_s")
_NAME_FIELDS = ("work", "cell", "home", "fax", "other", "mobile")
# Outcomes the per-user and per-queue charts show, and their colours.
SHOWN = {"answered": "#2e7d32", "voicemail": "#f9a825", "missed": "#c62828", "other": "#78909c"}


def directory(state: State) -> dict[str, str]:
    """Names by extension (users) and by E.164 number (contacts, users' own contacts, caller ids)."""
    names: dict[str, str] = {}
    for r in state:
        f = r.fields
        person = " ".join(str(f[k]) for k in ("first_name", "last_name") if f.get(k)) or str(f.get("company") or "")
        if r.kind == "user":
            names[r.key[0]] = person
        elif r.kind in ("contact", "user_contact") and person:
            for name in _NAME_FIELDS:
                if isinstance(f.get(name), str) and f[name].startswith("+"):
                    names.setdefault(f[name], person)
        elif r.kind in ("call_queue", "auto_attendant", "conference"):
            names[r.key[0]] = str(f.get("description") or f.get("name") or "")
    return names


@dataclass(frozen=True)
class Row:
    record: CallRecord
    local: dt.datetime
    caller_name: str
    dialled_name: str

    @property
    def what(self) -> str:
        return words((self.record.outcome, self.record.target, False))

    def cells(self) -> tuple[str, ...]:
        r = self.record
        return (
            self.local.strftime("%Y-%m-%d %H:%M:%S"),
            r.caller,
            self.caller_name,
            r.dialled,
            self.dialled_name,
            r.outcome,
            r.target,
            self.what,
            str(r.ring_seconds),
            str(r.talk_seconds),
        )


def rows(records: Iterable[CallRecord], zone: zoneinfo.ZoneInfo, names: Mapping[str, str]) -> Iterator[Row]:
    for r in records:
        yield Row(r, r.start.astimezone(zone), names.get(r.caller) or r.caller_name, names.get(r.dialled, ""))


def text_line(row: Row) -> str:
    r = row.record
    caller = f"{r.caller} ({row.caller_name})" if row.caller_name else r.caller
    dialled = f"{r.dialled} ({row.dialled_name})" if row.dialled_name else r.dialled
    times = f"rang {r.ring_seconds} s, talked {r.talk_seconds} s"
    return f"{row.local:%Y-%m-%d %H:%M} {caller} -> {dialled}: {row.what}; {times}"


def markdown_line(row: Row) -> str:
    c = row.cells()
    caller = f"{c[1]} ({c[2]})" if c[2] else c[1]
    dialled = f"{c[3]} ({c[4]})" if c[4] else c[3]
    cells = (c[0], caller, dialled, c[7], c[8], c[9])
    return "| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |"


def csv_line(cells: tuple[str, ...]) -> str:
    """One CSV record (RFC 4180, quoted as needed, CRLF-terminated)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


@dataclass
class Listing:
    """The call list in one format, written as rows arrive: `head`, then `line` per row, then `tail`."""

    fmt: str
    count: int = 0

    def head(self) -> str:
        return {
            "markdown": "| time | caller | dialled | what happened | ring s | talk s |\n|---|---|---|---|---|---|\n",
            "csv": csv_line(COLUMNS),
            "json": "[\n",
        }.get(self.fmt, "")

    def line(self, row: Row) -> str:
        self.count += 1
        if self.fmt == "csv":
            return csv_line(row.cells())
        if self.fmt == "json":
            item = json.dumps(dict(zip(COLUMNS, row.cells(), strict=True)))
            return ("" if self.count == 1 else ",\n") + item
        return (markdown_line(row) if self.fmt == "markdown" else text_line(row)) + "\n"

    def tail(self) -> str:
        return "\n]\n" if self.fmt == "json" and self.count else ("]\n" if self.fmt == "json" else "")


# --- the HTML report ------------------------------------------------------------------------------


@dataclass
class Stats:
    """What the report shows, counted as the records go by."""

    queues: frozenset[str] = frozenset()
    per_day: Counter[str] = field(default_factory=Counter)
    per_hour: Counter[int] = field(default_factory=Counter)
    per_slot: Counter[str] = field(default_factory=Counter)
    per_user: dict[str, Counter[str]] = field(default_factory=dict)
    per_queue: dict[str, Counter[str]] = field(default_factory=dict)
    total: int = 0

    def add(self, row: Row) -> None:
        r = row.record
        self.total += 1
        self.per_day[f"{row.local:%Y-%m-%d}"] += 1
        self.per_hour[row.local.hour] += 1
        self.per_slot[f"{row.local:%a %Y-%m-%d %H}:00"] += 1
        shown = r.outcome if r.outcome in SHOWN else "other"
        if r.dialled in self.queues or r.target.startswith("queue:"):
            queue = r.dialled if r.dialled in self.queues else r.target.removeprefix("queue:")
            self.per_queue.setdefault(queue, Counter())[shown] += 1
        elif r.direction != "outbound":
            self.per_user.setdefault(r.dialled, Counter())[shown] += 1


def render_html(stats: Stats, *, title: str, subtitle: str, names: Mapping[str, str]) -> str:
    """A page with no outside resources: inline CSS and SVG, a table under each chart."""
    days = sorted(stats.per_day)
    hours = [f"{h:02d}" for h in range(24)]
    busiest = stats.per_slot.most_common(10)
    sections = [
        _section(
            "Calls per day",
            _bars(days, {"calls": [stats.per_day[d] for d in days]}),
            ("day", "calls"),
            [(d, str(stats.per_day[d])) for d in days],
        ),
        _section(
            "Calls per hour of the day",
            _bars(hours, {"calls": [stats.per_hour[h] for h in range(24)]}),
            ("hour", "calls"),
            [(f"{h}:00", str(stats.per_hour[int(h)])) for h in hours],
        ),
        _outcome_section("Per user", stats.per_user, names),
        _outcome_section("Per queue", stats.per_queue, names),
        _section(
            "Busiest hours",
            _bars([s for s, _ in busiest], {"calls": [n for _, n in busiest]}),
            ("hour", "calls"),
            [(s, str(n)) for s, n in busiest],
        ),
    ]
    return _PAGE.format(
        title=html.escape(title), subtitle=html.escape(subtitle), total=stats.total, body="\n".join(sections)
    )


def _outcome_section(heading: str, groups: Mapping[str, Counter[str]], names: Mapping[str, str]) -> str:
    keys = sorted(groups, key=lambda e: (len(e), e))
    labels = [f"{k} {names.get(k, '')}".strip() for k in keys]
    series = {o: [groups[k][o] for k in keys] for o in SHOWN}
    table = [(label, *(str(groups[k][o]) for o in SHOWN)) for k, label in zip(keys, labels, strict=True)]
    return _section(f"{heading}: answered, voicemail, missed", _bars(labels, series), ("", *SHOWN), table)


def _section(heading: str, chart: str, header: tuple[str, ...], body: list[tuple[str, ...]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    rows_ = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body)
    empty = "" if body else '<p class="empty">No calls.</p>'
    return (
        f"<section><h2>{html.escape(heading)}</h2>{chart}{empty}"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows_}</tbody></table></section>"
    )


def _bars(labels: list[str], series: Mapping[str, list[int]]) -> str:
    """A stacked bar chart as inline SVG: one bar per label, one colour per series."""
    width, height, left, bottom = 900, 240, 40, 70
    top = max((sum(v[i] for v in series.values()) for i in range(len(labels))), default=0) or 1
    step = (width - left) / max(len(labels), 1)
    bar = max(step * 0.7, 1)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height + bottom}" role="img">']
    parts.append(f'<line x1="{left}" y1="{height}" x2="{width}" y2="{height}" stroke="#555"/>')
    parts.append(f'<text x="{left - 6}" y="12" text-anchor="end" class="axis">{top}</text>')
    colours = list(SHOWN.values()) if len(series) > 1 else ["#1565c0"]
    for i, label in enumerate(labels):
        x, y = left + i * step + (step - bar) / 2, float(height)
        for (name, values), colour in zip(series.items(), colours, strict=False):
            h = values[i] / top * (height - 10)
            if values[i]:
                y -= h
                parts.append(
                    f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                    f"<title>{html.escape(label)}: {values[i]} {html.escape(name)}</title></rect>"
                )
        cx = x + bar / 2
        parts.append(
            f'<text class="label" x="{cx:.1f}" y="{height + 12}" transform="rotate(45 {cx:.1f} {height + 12})">'
            f"{html.escape(label)}</text>"
        )
    if len(series) > 1:
        for j, (name, colour) in enumerate(zip(series, colours, strict=False)):
            parts.append(
                f'<rect x="{left + j * 110}" y="{height + bottom - 12}" width="10" height="10" fill="{colour}"/>'
            )
            parts.append(f'<text x="{left + j * 110 + 14}" y="{height + bottom - 3}" class="axis">{name}</text>')
    parts.append("</svg>")
    return "".join(parts)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 24px; color: #222; }}
h1 {{ margin: 0 0 4px; }} .sub {{ color: #666; margin: 0 0 16px; }}
section {{ margin: 24px 0; }} .chart {{ width: 100%; max-width: 900px; display: block; }}
.axis, .label {{ font-size: 11px; fill: #444; }}
table {{ border-collapse: collapse; margin-top: 8px; }}
td, th {{ border: 1px solid #ccc; padding: 2px 8px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }} .empty {{ color: #888; }}
</style></head>
<body><h1>{title}</h1><p class="sub">{subtitle} · <span id="total">{total}</span> call(s)</p>
{body}
</body></html>
"""
