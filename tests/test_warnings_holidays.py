"""Holidays: excluding a holiday excludes its observed day too; a name that is no holiday is an error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from skyconf.pipeline import load_all
from tests.conftest import run

FRAMES = Path("tenants/example/time_frames.yaml")
HOLIDAYS = 'holidays: {country: CA, subdivision: "ON", years: [2026, 2027]}'


def exclude(names: str) -> None:
    text = FRAMES.read_text()
    assert HOLIDAYS in text
    FRAMES.write_text(text.replace(HOLIDAYS, HOLIDAYS[:-1] + f", exclude: [{names}]}}"))


def holiday_days(workspace: Path) -> set[str]:
    (desired,) = load_all([workspace / "tenants" / "example"], dt.date(2026, 12, 1), secrets=False)
    frame = desired.state.get("time_frame", ("Holiday",))
    assert frame is not None
    days: set[str] = set()
    for start, end in frame.fields["dates"]:
        day, stop = dt.date.fromisoformat(start[:10]), dt.datetime.fromisoformat(end)
        while dt.datetime.combine(day, dt.time()) < stop:
            days.add(day.isoformat())
            day += dt.timedelta(days=1)
    return days


def test_excluding_a_holiday_excludes_its_observed_day(workspace: Path) -> None:
    # 2027-12-26 is a Sunday: Boxing Day is observed on Tuesday 2027-12-28 (outside the winter closure).
    assert {"2027-12-26", "2027-12-28", "2027-07-01"} <= holiday_days(workspace)
    exclude('"Boxing Day", canada day')
    days = holiday_days(workspace)
    assert not {"2027-12-26", "2027-12-28", "2027-07-01", "2026-07-01"} & days
    assert {"2027-12-25", "2027-12-27"} <= days, "Christmas and its observed day stay"


def test_an_unknown_holiday_is_a_positioned_error_with_a_suggestion(workspace: Path) -> None:
    exclude('"Boxing Day", "Boxng Day"')
    result = run("validate", "tenants/example", "--no-secrets")
    assert result.exit_code == 1
    (line,) = [x for x in result.output.splitlines() if "Boxng" in x]
    assert line.startswith(f"{FRAMES}:6:")
    assert "time_frames.Holiday.holidays.exclude.1" in line and "did you mean 'Boxing Day'?" in line
