"""Property: `intervals` (built from frame boundaries) agrees with evaluating every minute, on random setups.

Windows sit on DST changes of several zones (including Lord Howe's half-hour one), weekly rows may run
past midnight, date ranges cross midnight, rules are reordered, disabled and forward to each other.
Away from DST changes, the applying rule is also checked against an independent wall-clock oracle.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from skyconf.model.timeframes import DAYS
from skyconf.resources import Resource, State
from skyconf.routing import evaluate, intervals

UTC = dt.UTC
ZONES = ("America/Toronto", "Europe/London", "Australia/Lord_Howe", "America/St_Johns", "UTC")
# Near the 2026 DST changes of those zones, and one ordinary week.
ANCHORS = tuple(
    dt.datetime(2026, month, day, hour, tzinfo=UTC)
    for month, day, hour in [(3, 7, 18), (10, 31, 18), (3, 28, 12), (10, 24, 12), (4, 4, 2), (10, 3, 2), (6, 10, 0)]
)
WINDOW = dt.timedelta(hours=26)
MINUTE = dt.timedelta(minutes=1)
EXTS = ("201", "202", "203")
TARGETS = ("user:201", "user:202", "user:203", "voicemail:202", "handset:201", "queue:400", "+14165550101")

five_minutes = st.integers(0, 287).map(lambda i: i * 5)
maybe_target = st.one_of(st.none(), st.sampled_from(TARGETS))


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def weekly_row(draw: st.DrawFn, near: dt.datetime) -> list[str]:
    # Mostly the days around the window, so rows matter; an end at or before the start runs past midnight.
    days = st.sampled_from([DAYS[(near.weekday() + k) % 7] for k in (-1, 0, 1, 2)]) | st.sampled_from(DAYS)
    return [draw(days), hhmm(draw(five_minutes)), hhmm(draw(five_minutes | st.just(1440)))]


@st.composite
def date_range(draw: st.DrawFn, near: dt.datetime) -> list[str]:
    start = near.replace(tzinfo=None) + 5 * MINUTE * draw(st.integers(-288, 288))
    end = start + 5 * MINUTE * draw(st.integers(1, 288))
    return [f"{start:%Y-%m-%d %H:%M}", f"{end:%Y-%m-%d %H:%M}"]


@st.composite
def frame(draw: st.DrawFn, near: dt.datetime) -> dict[str, Any]:
    if draw(st.integers(0, 6)) == 0:
        return {"always": True, "weekly": [], "dates": []}
    weekly = draw(st.lists(weekly_row(near), max_size=3))
    dates = draw(st.lists(date_range(near), min_size=0 if weekly else 1, max_size=2))
    return {"always": False, "weekly": weekly, "dates": dates}


@st.composite
def rule(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "enabled": draw(st.sampled_from([True, True, True, False])),
        "do_not_disturb": draw(st.sampled_from([False, False, False, True])),
        "call_screening": draw(st.booleans()),
        "forward_always": draw(maybe_target),
        "forward_active": draw(maybe_target),
        "forward_busy": draw(maybe_target),
        "forward_no_answer": draw(maybe_target),
        "forward_offline": None,
        "simultaneous_ring": None,
    }


@st.composite
def setups(draw: st.DrawFn) -> tuple[State, dt.datetime, dt.datetime]:
    start = draw(st.sampled_from(ANCHORS)) + dt.timedelta(hours=draw(st.integers(0, 12)))
    resources = [Resource("domain", ("d.example",), {"time_zone": draw(st.sampled_from(ZONES))})]
    domain_frames = [f"D{i}" for i in range(draw(st.integers(0, 3)))]
    resources += [Resource("time_frame", (name,), draw(frame(start))) for name in domain_frames]
    for ext in EXTS:
        fields = {"first_name": "U", "last_name": ext, "voicemail_enabled": draw(st.booleans())}
        zone = draw(st.one_of(st.none(), st.sampled_from(ZONES)))
        resources.append(Resource("user", (ext,), {**fields, "time_zone": zone}))
        own = [f"U{ext}{i}" for i in range(draw(st.integers(0, 2)))]
        resources += [Resource("user_time_frame", (ext, name), draw(frame(start))) for name in own]
        chosen = draw(st.lists(st.sampled_from(domain_frames + own), unique=True)) if domain_frames + own else []
        names = [*draw(st.permutations(chosen)), *(["default"] if draw(st.booleans()) else [])]
        resources += [Resource("answer_rule", (ext, name), draw(rule())) for name in names]
        resources.append(Resource("answer_rule_order", (ext,), {"order": names}))
    return State.of(resources), start, start + WINDOW


@settings(max_examples=60, deadline=None)
@given(setups(), st.sampled_from(EXTS))
def test_intervals_agree_with_minute_by_minute_evaluation(
    setup: tuple[State, dt.datetime, dt.datetime], ext: str
) -> None:
    state, start, end = setup
    timeline = intervals(state, ext, start, end)
    assert timeline[0].start == start and timeline[-1].end == end
    for a, b in pairwise(timeline):
        assert a.end == b.start and a.routing != b.routing  # tiles the window; maximal
    i, t = 0, start
    while t < end:
        while timeline[i].end <= t:
            i += 1
        routing = evaluate(state, ext, t)
        assert routing == timeline[i].routing, t
        if t.minute % 15 == 0 and not _near_dst_change(state, ext, t):
            assert routing.rule == _oracle_rule(state, ext, t), t
        t += MINUTE
    for interval in timeline:  # boundaries are exact, not just right to the minute
        assert evaluate(state, ext, interval.end - dt.timedelta(microseconds=1)) == interval.routing


def _zone(state: State, ext: str) -> ZoneInfo:
    user = state.get("user", (ext,))
    domain = state.get("domain", ("d.example",))
    assert user is not None and domain is not None
    return ZoneInfo(user.fields["time_zone"] or domain.fields["time_zone"])


def _near_dst_change(state: State, ext: str, t: dt.datetime) -> bool:
    zone = _zone(state, ext)
    return len({(t + k * dt.timedelta(hours=14)).astimezone(zone).utcoffset() for k in (-2, -1, 0, 1, 2)}) > 1


def _oracle_rule(state: State, ext: str, t: dt.datetime) -> str | None:
    """The rule by reading the wall clock, as a person would (valid away from DST changes)."""
    wall = t.astimezone(_zone(state, ext)).replace(tzinfo=None)
    order = state.get("answer_rule_order", (ext,))
    assert order is not None
    names: list[str] = order.fields["order"]
    for name in names:
        answer_rule = state.get("answer_rule", (ext, name))
        if answer_rule is None or not answer_rule.fields["enabled"]:
            continue
        if name == "default":
            return name
        frame = state.get("user_time_frame", (ext, name)) or state.get("time_frame", (name,))
        if frame is not None and _wall_active(frame.fields, wall):
            return name
    return None


def _wall_active(fields: dict[str, Any], wall: dt.datetime) -> bool:
    if fields["always"]:
        return True
    for start, end in fields["dates"]:
        if dt.datetime.fromisoformat(start) <= wall < dt.datetime.fromisoformat(end):
            return True
    for day, start, end in fields["weekly"]:
        a, b = _minutes(start), _minutes(end)
        b = b if b > a else b + 24 * 60
        for back in (0, 1):  # a row that started today or ran past midnight from yesterday
            if DAYS[(wall.weekday() - back) % 7] == day and a <= wall.hour * 60 + wall.minute + back * 24 * 60 < b:
                return True
    return False


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)
