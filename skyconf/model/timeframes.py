"""Time frames: when something applies. Shared by the domain (`time_frames:`) and by each user.

A time frame in YAML is a mix of `always`, `weekly` ranges, specific `dates` and `holidays`. The
resolved form is what the diff compares and what routing evaluates: `always`, a sorted list of
weekly [day, start, end] ranges, and a sorted list of [start, end) local date-time ranges in which
holidays are already expanded.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, Field, field_validator, model_validator

from skyconf.model.base import Build, Strict, YamlPath, unknown
from skyconf.model.kinds import Kind, Section, register, register_section
from skyconf.model.rules import DEFAULT_RULE
from skyconf.model.tenant import DOMAIN

T = TypeVar("T", int, dt.datetime)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?$")


def parse_minutes(text: str, *, allow_24: bool = True) -> int:
    """'09:30' -> 570; '24:00' only as an end."""
    m = _TIME.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not a time of day (HH:MM)")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ValueError(f"'{text}' is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def format_minutes(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_days(spec: str) -> list[str]:
    """'mon-fri' -> [mon..fri]; 'sat,sun'; 'daily' / 'weekdays' / 'weekends' as shorthands."""
    spec = spec.strip().lower()
    shorthand = {"daily": "mon-sun", "weekdays": "mon-fri", "weekends": "sat-sun"}
    spec = shorthand.get(spec, spec)
    days: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in DAYS or last not in DAYS:
                raise ValueError(f"'{part}' is not a day range (like mon-fri)")
            i, j = DAYS.index(first), DAYS.index(last)
            if j < i:
                raise ValueError(f"day range '{part}' runs backwards")
            days.extend(DAYS[i : j + 1])
        elif part in DAYS:
            days.append(part)
        else:
            raise ValueError(f"'{part}' is not a day (one of {', '.join(DAYS)}, or a range like mon-fri)")
    return days


def parse_local(text: str, *, end: bool = False) -> dt.datetime:
    """'2026-12-31 12:00' or '2026-12-31' (start of that day, or for an end, the start of the next)."""
    m = _DATE_TIME.match(text.strip())
    if not m:
        raise ValueError(f"'{text}' is not a date (YYYY-MM-DD) or date and time (YYYY-MM-DD HH:MM)")
    try:
        day = dt.date.fromisoformat(m.group(1))
    except ValueError:
        raise ValueError(f"'{text}' is not a valid date") from None
    if m.group(2) is None:
        start = dt.datetime.combine(day, dt.time())
        return start + dt.timedelta(days=1) if end else start
    minutes = parse_minutes(m.group(2))
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)


def _check_days(text: str) -> str:
    parse_days(text)
    return text


def _check_range(text: str) -> str:
    _parse_range(text)
    return text


# A weekly key ("mon-fri") and one of its ranges ("09:00-17:00"), each checked where it is written.
DaySpec = Annotated[str, AfterValidator(_check_days)]
TimeRange = Annotated[str, AfterValidator(_check_range)]


def _dates_schema(schema: dict[str, Any]) -> None:
    """In the JSON Schema, a `dates` item may also be a plain date, as the model accepts."""
    schema["items"] = {"anyOf": [{"type": "string", "format": "date"}, schema["items"]]}


class DateRange(Strict):
    """A range of dates or date-times."""

    from_: str = Field(alias="from")
    """First day or moment, "YYYY-MM-DD" or "YYYY-MM-DD HH:MM"."""
    to: str
    """Last moment (a date alone includes that whole day), "YYYY-MM-DD" or "YYYY-MM-DD HH:MM"."""

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        start, stop = parse_local(self.from_), parse_local(self.to, end=True)
        if stop <= start:
            raise ValueError(f"range ends ({self.to}) before it starts ({self.from_})")
        return self

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return parse_local(self.from_), parse_local(self.to, end=True)


class Holidays(Strict):
    """Public holidays from the `holidays` package, with the observed days it reports."""

    country: str
    """ISO country code, e.g. CA."""
    subdivision: str | None = None
    """Province or state code, e.g. "ON"."""
    years: list[int] | None = None
    """Years to expand; by default the current and the next year (a yearly drift check picks up new years)."""
    exclude: list[str] = []
    """Holiday names to leave out, e.g. ["Civic Holiday"]."""

    @model_validator(mode="after")
    def _known(self) -> Holidays:
        import holidays as holidays_lib  # a tenth of a second to import; only tenants with holidays pay it

        try:
            holidays_lib.country_holidays(self.country, subdiv=self.subdivision, years=2026)
        except NotImplementedError:
            raise ValueError(f"the holidays package knows no country '{self.country}'") from None
        except Exception as exc:
            raise ValueError(str(exc)) from None
        return self

    def days(self, default_years: list[int]) -> list[tuple[dt.date, str]]:
        import holidays as holidays_lib

        table = holidays_lib.country_holidays(
            self.country, subdiv=self.subdivision, years=self.years or default_years, observed=True
        )
        excluded = {name.lower() for name in self.exclude}
        out = []
        for day, names in sorted(table.items()):
            kept = [n for n in names.split("; ") if holiday_base(n).lower() not in excluded]
            if kept:
                out.append((day, "; ".join(kept)))
        return out

    def names(self, default_years: list[int]) -> set[str]:
        """The holidays' own names (without an observed-day suffix) in the years expanded."""
        import holidays as holidays_lib

        table = holidays_lib.country_holidays(
            self.country, subdiv=self.subdivision, years=self.years or default_years, observed=True
        )
        return {holiday_base(n) for names in table.values() for n in names.split("; ")}


_OBSERVED = re.compile(r"\s*\([^()]*observed[^()]*\)\s*$", re.IGNORECASE)


def holiday_base(name: str) -> str:
    """'Boxing Day (observed)' -> 'Boxing Day': excluding a holiday excludes its observed day too."""
    return _OBSERVED.sub("", name)


def check_holidays(build: Build, frame: TimeFrame, path: YamlPath) -> None:
    """Every excluded name is a holiday of that country: a typo would silently keep the day closed."""
    if frame.holidays is None or not frame.holidays.exclude:
        return
    known = frame.holidays.names(build.years)
    lowered = {n.lower() for n in known}
    for index, name in enumerate(frame.holidays.exclude):
        if holiday_base(name).lower() not in lowered:
            build.fail((*path, "holidays", "exclude", index), unknown("holiday", name, known))


class TimeFrame(Strict):
    """When a rule applies. Lower `priority` wins when several frames are active at once."""

    priority: int = Field(ge=0, le=98)
    """Unique, 0-98: lower wins when several frames are active."""
    always: bool = False
    """Always active (cannot be combined with the others)."""
    weekly: dict[DaySpec, list[TimeRange]] = {}
    """Day or day range -> HH:MM-HH:MM ranges, e.g. mon-fri: [09:00-17:00]; 24:00 ends the day."""
    dates: list[DateRange] = Field([], json_schema_extra=_dates_schema)
    """Whole days ("2026-12-24") or {from, to} ranges of dates or date-times."""
    holidays: Holidays | None = None
    """Public holidays of a country (and subdivision), observed days included."""

    @field_validator("weekly", mode="before")
    @classmethod
    def _weekly_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): ([v] if isinstance(v, str) else v) for k, v in value.items()}
        return value

    @field_validator("dates", mode="before")
    @classmethod
    def _date_strings(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out: list[Any] = []
        for item in value:
            if isinstance(item, (str, dt.date)):
                item = {"from": item, "to": item}
            out.append(item)
        return out

    @model_validator(mode="after")
    def _something(self) -> TimeFrame:
        if self.always and (self.weekly or self.dates or self.holidays):
            raise ValueError("'always' cannot be combined with weekly, dates or holidays")
        if not (self.always or self.weekly or self.dates or self.holidays):
            raise ValueError("a time frame needs one of: always, weekly, dates, holidays")
        return self

    def resolved(self, default_years: list[int]) -> dict[str, Any]:
        """The provider-neutral fields of this frame (see module docstring)."""
        weekly: dict[int, list[tuple[int, int]]] = {}
        for days, ranges in self.weekly.items():
            for day in parse_days(days):
                for text in ranges:
                    weekly.setdefault(DAYS.index(day), []).append(_parse_range(text))
        weekly_rows = [
            [DAYS[day], format_minutes(a), format_minutes(b)] for day in sorted(weekly) for a, b in _merge(weekly[day])
        ]
        spans = [item.bounds() for item in self.dates]
        if self.holidays:
            for holiday, _name in self.holidays.days(default_years):
                start = dt.datetime.combine(holiday, dt.time())
                spans.append((start, start + dt.timedelta(days=1)))
        date_rows = [[_fmt(a), _fmt(b)] for a, b in _merge(spans)]
        return {"always": self.always, "weekly": weekly_rows, "dates": date_rows}


def _fmt(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def _parse_range(text: str) -> tuple[int, int]:
    start_text, sep, end_text = str(text).partition("-")
    if not sep:
        raise ValueError(f"'{text}' is not a time range (HH:MM-HH:MM)")
    start, end = parse_minutes(start_text, allow_24=False), parse_minutes(end_text)
    if end <= start:
        raise ValueError(f"range '{text}' ends before it starts; split a range across midnight into two days")
    return start, end


def _merge(spans: list[tuple[T, T]]) -> list[tuple[T, T]]:
    merged: list[tuple[T, T]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


# --- import: resolved fields back into YAML -------------------------------------------------------


def frame_yaml(fields: dict[str, Any], priority: int) -> dict[str, Any]:
    """A resolved frame as a person writes it: days with the same hours grouped (`mon-fri`), whole days
    as dates, other spans as {from, to}. Holidays come back as dates: the PBX keeps only the days."""
    out: dict[str, Any] = {"priority": priority}
    if fields.get("always"):
        out["always"] = True
        return out
    weekly = weekly_yaml(fields.get("weekly") or [])
    if weekly:
        out["weekly"] = weekly
    dates = [date_yaml(start, end) for start, end in fields.get("dates") or []]
    if dates:
        out["dates"] = dates
    return out


def weekly_yaml(rows: list[list[str]]) -> dict[str, list[str]]:
    """[[day, start, end], ...] -> {"mon-fri": ["09:00-17:00"], "sat": [...]}, in week order."""
    per_day: dict[str, list[str]] = {}
    for day, start, end in rows:
        per_day.setdefault(day, []).append(f"{start}-{end}")
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, day in enumerate(DAYS):
        if day in per_day:
            groups.setdefault(tuple(per_day[day]), []).append(index)
    ordered = sorted(groups.items(), key=lambda group: group[1][0])
    return {_day_spec(days): list(ranges) for ranges, days in ordered}


def _day_spec(days: list[int]) -> str:
    """[0, 1, 2, 4] -> 'mon-wed,fri'."""
    runs: list[tuple[int, int]] = []
    for day in days:
        if runs and day == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return ",".join(DAYS[a] if a == b else f"{DAYS[a]}-{DAYS[b]}" for a, b in runs)


def date_yaml(start: str, end: str) -> str | dict[str, str]:
    """A [start, end) span of local date-times: one whole day as a bare date, several as {from, to}
    dates (both included), anything else as {from, to} date-times."""
    first, stop = parse_local(start), parse_local(end)
    if first.time() == stop.time() == dt.time() and stop > first:
        last = (stop - dt.timedelta(days=1)).date()
        if last == first.date():
            return last.isoformat()
        return {"from": first.date().isoformat(), "to": last.isoformat()}
    return {"from": _fmt(first), "to": _fmt(stop)}


# --- the `time_frames:` section ---------------------------------------------------------------------

TIME_FRAME = register(Kind("time_frame", "time frame", ("name",), depends_on=(DOMAIN,), prune_key="time_frames"))


def check_frame_name(build: Build, name: str, path: YamlPath) -> None:
    if name == DEFAULT_RULE or not any(c.isalnum() for c in name):
        build.fail(path, f"'{name}' cannot name a time frame: 'default' is the default answering rule's key")


def check_priority(build: Build, priorities: dict[int, str], name: str, frame: TimeFrame, path: YamlPath) -> None:
    """Record a frame's priority; a priority two frames share is a problem (which rule wins would be a guess)."""
    if frame.priority in priorities:
        build.fail(
            (*path, "priority"),
            f"priority {frame.priority} is already used by time frame '{priorities[frame.priority]}'",
        )
    priorities[frame.priority] = name


def domain_priorities(tenant: Any) -> dict[int, str]:
    """Priority -> name of the domain's time frames (the first one where two share one)."""
    out: dict[int, str] = {}
    for name, frame in TIME_FRAMES.of(tenant).items():
        out.setdefault(frame.priority, name)
    return out


def _build(build: Build) -> None:
    priorities: dict[int, str] = {}
    for name, frame in TIME_FRAMES.of(build.tenant).items():
        path: YamlPath = ("time_frames", name)
        check_frame_name(build, name, path)
        check_priority(build, priorities, name, frame, path)
        check_holidays(build, frame, path)
        build.add(TIME_FRAME, (name,), frame.resolved(build.years), path)


TIME_FRAMES: Section[dict[str, TimeFrame]] = register_section(
    Section("time_frames", dict[str, TimeFrame], dict, "time_frames.yaml", build=_build, order=10)
)
