"""Issue 5, who rings when: answering-rule semantics, DST, routing diffs and the two CLI commands."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner

from skyconf.cli.routing import simulate, timeline
from skyconf.load import load_tenant
from skyconf.render.timeline_text import render_routing_diff_markdown, render_routing_diff_text
from skyconf.resolve import resolve
from skyconf.resources import Resource, State
from skyconf.routing import (
    DiffInterval,
    DoNotDisturb,
    End,
    Goto,
    Interval,
    Ring,
    behaviour,
    describe,
    evaluate,
    intervals,
    routing_diff,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "tenants" / "example"
TORONTO = ZoneInfo("America/Toronto")
UTC = dt.UTC
TODAY = dt.date(2026, 12, 1)
USERS = ("101", "102", "103", "104")
OPEN_101 = (
    "rings 101 (Alice Chen), all phones of 101, +14165550101 (after 5 s, with answer confirmation) and "
    "handset 102 (Bob Martin, after 5 s) for 25 s; busy -> voicemail 101; no answer -> voicemail 101; "
    "offline -> +14165550101"
)


@pytest.fixture(scope="module")
def example() -> State:
    return resolve(load_tenant(EXAMPLE), TODAY).state


def local(text: str, zone: ZoneInfo = TORONTO) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def said(state: State, when: str) -> dict[str, str]:
    return {ext: describe(evaluate(state, ext, local(when))) for ext in USERS}


# --- the example tenant's scenario ----------------------------------------------------------


def test_wednesday_morning_is_open_hours(example: State) -> None:
    words = said(example, "2026-12-23 10:00")
    assert words["101"] == f"Open Hours: {OPEN_101}"
    open_103 = (
        "rings 103 (Carol Diaz) for 25 s; busy -> voicemail 103; no answer -> voicemail 103; offline -> voicemail 103"
    )
    assert words["102"] == (
        "Open Hours: rings 102 (Bob Martin) for 20 s; busy -> voicemail 102; no answer -> voicemail 102; "
        f"offline -> voicemail 102; on a call -> 103 (Carol Diaz) [Open Hours: {open_103}]"
    )
    # 103 takes the office profile's Open Hours rule: its own extension rings.
    assert words["103"] == f"Open Hours: {open_103}"
    # 104 lives in Vancouver, where it is 07:00: before Open Hours; Closed Hours is disabled.
    assert words["104"] == "default: forwards to +16045550144"


def test_wednesday_evening_is_closed_hours(example: State) -> None:
    assert said(example, "2026-12-23 20:00") == {
        "101": "Closed Hours: do not disturb -> voicemail 101",
        "102": "Closed Hours: do not disturb -> voicemail 102",
        "103": "Closed Hours: forwards to 101 (Alice Chen) [Closed Hours: do not disturb -> voicemail 101]",
        "104": "default: forwards to +16045550144",
    }
    routing = evaluate(example, "103", local("2026-12-23 20:00"))
    assert routing.rule == "Closed Hours"
    assert routing.steps == (Goto("101", "Closed Hours"), DoNotDisturb("101"), End("voicemail", "101"))


def test_christmas_is_holiday(example: State) -> None:
    assert said(example, "2026-12-25 10:00") == {
        "101": "Holiday: forwards to voicemail 101",
        "102": "Holiday: forwards to voicemail 102",
        "103": "Holiday: forwards to voicemail 103",
        "104": "default: forwards to +16045550144",  # 104 has no Holiday rule
    }


def test_saturday_is_closed_hours(example: State) -> None:
    for when in ("2026-12-19 10:00", "2026-12-19 14:00"):
        routings = {ext: evaluate(example, ext, local(when)) for ext in USERS}
        assert {ext: r.rule for ext, r in routings.items()} == {
            "101": "Closed Hours",
            "102": "Closed Hours",
            "103": "Closed Hours",
            "104": "default",
        }
        assert routings["103"].steps[0] == Goto("101", "Closed Hours")


def test_lunch_and_the_users_own_time_zone(example: State) -> None:
    assert describe(evaluate(example, "101", local("2026-12-23 12:30"))) == "Lunch: forwards to voicemail 101"
    # 13:00 in Toronto is 10:00 in Vancouver: 104's Open Hours. 104 has no voicemail in the YAML.
    routing = evaluate(example, "104", local("2026-12-23 13:00"))
    assert describe(routing) == (
        "Open Hours: rings 104 (Dev Patel) for 30 s; busy -> handset 101 (Alice Chen); "
        "no answer -> voicemail 104; offline -> voicemail 104"
    )
    assert evaluate(example, "104", local("2026-12-23 20:00", ZoneInfo("America/Vancouver"))).rule == "default"


def test_instants_need_a_time_zone(example: State) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        evaluate(example, "101", dt.datetime(2026, 12, 23, 10))


# --- semantics on small states ----------------------------------------------------------------


def rule(ext: str, frame: str, **fields: object) -> Resource:
    return Resource("answer_rule", (ext, frame), {"enabled": True, **fields})


def small(*resources: Resource, order: dict[str, list[str]] | None = None) -> State:
    base = [
        Resource("domain", ("d.example",), {"time_zone": "America/Toronto"}),
        Resource("time_frame", ("Always",), {"always": True, "weekly": [], "dates": []}),
    ]
    orders = [Resource("answer_rule_order", (ext,), {"order": names}) for ext, names in (order or {}).items()]
    return State.of([*base, *resources, *orders])


def weekly(*rows: list[str]) -> dict[str, object]:
    return {"always": False, "weekly": list(rows), "dates": []}


def user(ext: str, **fields: object) -> Resource:
    return Resource("user", (ext,), {"first_name": "U", "last_name": ext, **fields})


def test_forwarding_loops_are_detected() -> None:
    state = small(
        user("201"),
        user("202"),
        rule("201", "default", forward_always="user:202"),
        rule("202", "default", forward_busy="user:201"),
        order={"201": ["default"], "202": ["default"]},
    )
    routing = evaluate(state, "201", utc("2026-06-01 12:00"))
    goto, ring = routing.steps
    assert goto == Goto("202", "default") and isinstance(ring, Ring)
    assert ring.then[0].steps == (End("loop", "201"),)
    assert "busy -> forwarding loop back to 201 (call fails)" in describe(routing)


def test_dnd_without_voicemail_rejects_and_disabled_or_broken_rules_are_skipped() -> None:
    state = small(
        user("201", voicemail_enabled=False),
        rule("201", "Gone", forward_always="+14165550101"),  # its frame does not exist
        rule("201", "Always", enabled=False, forward_always="queue:400"),
        rule("201", "default", do_not_disturb=True),
        order={"201": ["Gone", "Always", "default"]},
    )
    assert describe(evaluate(state, "201", utc("2026-06-01 12:00"))) == "default: do not disturb -> rejected (busy)"


def test_without_rules_the_extension_rings_for_the_default_timeout() -> None:
    state = small(user("201", voicemail_enabled=False), user("202", ring_timeout=15))
    assert describe(evaluate(state, "201", utc("2026-06-01 12:00"))) == (
        "no rule: rings 201 (U 201) for 25 s; busy -> rejected (busy); no answer -> call ends unanswered; "
        "offline -> call ends unanswered"
    )
    assert describe(evaluate(state, "202", utc("2026-06-01 12:00")), with_frame=False) == (
        "rings 202 (U 202) for 15 s; busy -> voicemail 202; no answer -> voicemail 202; offline -> voicemail 202"
    )
    assert evaluate(state, "299", utc("2026-06-01 12:00")).steps == (End("no_user", "299"),)


def test_user_frames_shadow_domain_frames_and_follow_the_users_zone() -> None:
    state = small(
        user("201", time_zone="Europe/London"),
        Resource("time_frame", ("Day",), weekly(["mon", "00:00", "24:00"])),
        Resource("user_time_frame", ("201", "Day"), weekly(["tue", "09:00", "10:00"])),
        rule("201", "Day", forward_always="voicemail:201"),
        rule("201", "default"),
        order={"201": ["Day", "default"]},
    )
    assert evaluate(state, "201", utc("2026-06-01 12:00")).rule == "default"  # a Monday: the domain's frame is shadowed
    assert evaluate(state, "201", utc("2026-06-02 08:30")).rule == "Day"  # 09:30 in London (BST)
    assert evaluate(state, "201", utc("2026-06-02 09:00")).rule == "default"


# --- DST: local ranges map to the right instants ----------------------------------------------


def weekly_state(*rows: list[str]) -> State:
    return small(
        user("201"),
        Resource("time_frame", ("F",), weekly(*rows)),
        rule("201", "F", do_not_disturb=True),
        rule("201", "default"),
        order={"201": ["F", "default"]},
    )


def frame_spans(state: State, start: str, end: str) -> list[tuple[str, str]]:
    return [
        (f"{i.start:%m-%d %H:%M}", f"{i.end:%m-%d %H:%M}")
        for i in intervals(state, "201", utc(start), utc(end))
        if i.frame == "F"
    ]


def test_office_hours_across_the_spring_and_fall_changes() -> None:
    state = weekly_state(["mon", "09:00", "17:00"], ["fri", "09:00", "17:00"])
    # EST is UTC-5, EDT is UTC-4: the same wall-clock hours are an hour earlier in UTC after the spring change.
    assert frame_spans(state, "2026-03-06 00:00", "2026-03-10 00:00") == [
        ("03-06 14:00", "03-06 22:00"),
        ("03-09 13:00", "03-09 21:00"),
    ]
    assert frame_spans(state, "2026-10-30 00:00", "2026-11-03 00:00") == [
        ("10-30 13:00", "10-30 21:00"),
        ("11-02 14:00", "11-02 22:00"),
    ]


@pytest.mark.parametrize(
    ("row", "spring", "fall"),
    [
        # Spans the change: 2 real hours in spring, 4 in the fall.
        (["sun", "01:00", "04:00"], [("03-08 06:00", "03-08 08:00")], [("11-01 05:00", "11-01 09:00")]),
        # Starts at a wall time spring skips: begins when the clock jumps (07:00Z).
        (["sun", "02:30", "05:00"], [("03-08 07:00", "03-08 09:00")], [("11-01 07:30", "11-01 10:00")]),
        # Starts at a wall time the fall repeats: its first occurrence (01:30 EDT).
        (["sun", "01:30", "03:00"], [("03-08 06:30", "03-08 07:00")], [("11-01 05:30", "11-01 08:00")]),
        # Lies wholly in the skipped hour: never happens in spring.
        (["sun", "02:00", "02:30"], [], [("11-01 07:00", "11-01 07:30")]),
        # Runs past midnight from Saturday.
        (["sat", "22:00", "03:00"], [("03-08 03:00", "03-08 07:00")], [("11-01 02:00", "11-01 08:00")]),
    ],
)
def test_weekly_rows_on_the_change_days(
    row: list[str], spring: list[tuple[str, str]], fall: list[tuple[str, str]]
) -> None:
    state = weekly_state(row)
    assert frame_spans(state, "2026-03-07 12:00", "2026-03-09 00:00") == spring
    assert frame_spans(state, "2026-10-31 12:00", "2026-11-02 00:00") == fall


def test_the_repeated_hour_counts_once_for_a_range_inside_it() -> None:
    state = weekly_state(["sun", "01:00", "01:30"])
    assert evaluate(state, "201", utc("2026-11-01 05:15")).rule == "F"  # 01:15 EDT
    assert evaluate(state, "201", utc("2026-11-01 06:15")).rule == "default"  # 01:15 EST, the second time


# --- intervals --------------------------------------------------------------------------------


def test_intervals_tile_the_window_and_change_at_every_boundary(example: State) -> None:
    start, end = local("2026-12-21 00:00"), local("2026-12-28 00:00")
    for ext in USERS:
        timeline = intervals(example, ext, start, end)
        assert timeline[0].start == start and timeline[-1].end == end
        for a, b in itertools.pairwise(timeline):
            assert a.end == b.start and a.routing != b.routing
    frames = [(f"{i.start.astimezone(TORONTO):%d %H:%M}", i.frame) for i in intervals(example, "101", start, end)]
    assert frames[:6] == [
        ("21 00:00", "Closed Hours"),
        ("21 09:00", "Open Hours"),
        ("21 12:00", "Lunch"),
        ("21 13:00", "Open Hours"),
        ("21 17:00", "Closed Hours"),
        ("22 09:00", "Open Hours"),
    ]
    assert ("24 13:00", "Holiday") in frames  # the winter closure starts at noon, after Lunch


def test_intervals_of_a_forwarding_user_follow_the_target_users_frames(example: State) -> None:
    # Without its Open Hours rule, 103 forwards to 101 around the clock (Closed Hours is always on).
    example = State.of(r for r in example if r.ref != ("answer_rule", ("103", "Open Hours")))
    timeline = intervals(example, "103", local("2026-12-23 00:00"), local("2026-12-24 00:00"))
    assert [i.frame for i in timeline] == ["Closed Hours"] * 5  # 103's own rule never changes...
    assert [i.routing.steps[0] for i in timeline] == [  # ...but 101's, which it follows, does
        Goto("101", "Closed Hours"),
        Goto("101", "Open Hours"),
        Goto("101", "Lunch"),
        Goto("101", "Open Hours"),
        Goto("101", "Closed Hours"),
    ]


# --- routing diff -----------------------------------------------------------------------------


def with_closure(tmp_path: Path, day: str) -> State:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    frames = folder / "time_frames.yaml"
    text = frames.read_text()
    assert "    dates:\n" in text
    frames.write_text(text.replace("    dates:\n", f'    dates:\n      - "{day}"   # office closed\n'))
    return resolve(load_tenant(folder), TODAY).state


def spans(diffs: list[DiffInterval]) -> list[tuple[str, str]]:
    """The changed stretches, adjacent ones joined, as local times."""
    joined: list[list[dt.datetime]] = []
    for d in diffs:
        if joined and joined[-1][1] == d.start:
            joined[-1][1] = d.end
        else:
            joined.append([d.start, d.end])
    return [(f"{a.astimezone(TORONTO):%m-%d %H:%M}", f"{b.astimezone(TORONTO):%m-%d %H:%M}") for a, b in joined]


def test_a_closure_day_changes_exactly_that_day_for_the_users_it_affects(example: State, tmp_path: Path) -> None:
    closed = with_closure(tmp_path, "2026-12-22")
    changes = routing_diff(example, closed, local("2026-12-19 00:00"), local("2027-01-04 00:00"))
    assert {ext: spans(diffs) for ext, diffs in changes.items()} == {
        # 101: Lunch outranks Holiday and already sends calls to voicemail; nights were voicemail too.
        "101": [("12-22 09:00", "12-22 12:00"), ("12-22 13:00", "12-22 17:00")],
        "102": [("12-22 09:00", "12-22 17:00")],
        # 103 went to 101 all day; now to its own voicemail.
        "103": [("12-22 00:00", "12-23 00:00")],
        "104": [],  # no Holiday rule
    }
    first = changes["101"][0]
    assert first.before_frames == ("Open Hours",) and first.after_frames == ("Holiday",)
    assert behaviour(first.before) == OPEN_101
    assert behaviour(first.after) == "forwards to voicemail 101"


def test_diff_renderers(example: State, tmp_path: Path) -> None:
    closed = with_closure(tmp_path, "2026-12-22")
    changes = routing_diff(example, closed, local("2026-12-21 00:00"), local("2026-12-23 00:00"))
    text = render_routing_diff_text(changes, TORONTO)
    assert "102 (Bob Martin)\n  Tue Dec 22 09:00–17:00\n    before: rings 102 (Bob Martin) for 20 s;" in text
    assert "voicemail 103] (Open Hours)\n    after:  forwards to voicemail 102 (Holiday)\n" in text
    assert "104" not in text
    md = render_routing_diff_markdown(changes, TORONTO)
    assert "| Tue Dec 22 09:00–12:00 | rings 101 (Alice Chen)," in md
    assert "(Open Hours) | forwards to voicemail 101 (Holiday) |" in md
    unchanged = routing_diff(example, example, local("2026-12-21 00:00"), local("2026-12-23 00:00"))
    assert render_routing_diff_text(unchanged, TORONTO) == "No change in call routing.\n"


def test_fields_the_yaml_leaves_out_keep_their_live_values(example: State) -> None:
    """104 declares no voicemail: apply leaves the PBX's (on), so the diff shows no change."""
    live = State.of(
        Resource(r.kind, r.key, {**r.fields, "voicemail_enabled": True} if r.ref == ("user", ("104",)) else r.fields)
        for r in example
    )
    window = (local("2026-12-21 00:00"), local("2026-12-28 00:00"))
    assert all(not diffs for diffs in routing_diff(live, example, *window).values())
    assert "offline -> voicemail 104" in describe(evaluate(live, "104", local("2026-12-23 13:00")))


def test_a_user_only_on_one_side_shows_up(example: State) -> None:
    desired = State.of(r for r in example if r.key[:1] != ("104",))
    window = (local("2026-12-21 00:00"), local("2026-12-22 00:00"))
    assert routing_diff(example, desired, *window)["104"] == []  # not pruned: 104 stays as it is
    changes = routing_diff(example, desired, *window, {"user": True})
    assert spans(changes["104"]) == [("12-21 00:00", "12-22 00:00")]
    assert {behaviour(d.after) for d in changes["104"]} == {"no user 104 (call fails)"}


# --- CLI ---------------------------------------------------------------------------------------


def invoke(command: click.Command, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(command, list(args))
    return result.exit_code, result.output


def test_simulate_prints_the_rule_and_steps() -> None:
    code, output = invoke(simulate, str(EXAMPLE), "--ext", "103", "--at", "2026-12-23 20:00")
    assert code == 0, output
    assert "Call to 103 on Wed 2026-12-23 20:00 EST (America/Toronto)" in output
    assert "Closed Hours: forwards to 101 (Alice Chen) [Closed Hours: do not disturb -> voicemail 101]" in output
    code, output = invoke(simulate, str(EXAMPLE), "--ext", "104", "--at", "2026-12-23 13:00")
    assert "104's time frames run on America/Vancouver time (Wed 10:00 PST)" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ext", "105", "--at", "2026-12-23 10:00"], "error: no user 105 from the YAML"),
        (["--ext", "101", "--at", "2026-12-32 10:00"], "error: --at: '2026-12-32 10:00' is not a valid date"),
        (["--ext", "101", "--at", "noon"], "error: --at: 'noon' is not a date"),
        (["--ext", "101", "--at", "2026-12-23 10:00", "--pbx", "sandbox"], "error: --pbx only applies with --live"),
    ],
)
def test_simulate_errors_are_one_line(args: list[str], message: str) -> None:
    code, output = invoke(simulate, str(EXAMPLE), *args)
    assert code == 1 and message in output and "Traceback" not in output


def test_timeline_text_and_html(tmp_path: Path) -> None:
    page = tmp_path / "timeline.html"
    code, output = invoke(
        timeline, str(EXAMPLE), "--from", "2026-12-24", "--to", "2026-12-24", "--ext", "102", "--html", str(page)
    )
    assert code == 0, output
    assert "102 (Bob Martin)\n  Thu Dec 24 00:00–09:00  Closed Hours  do not disturb -> voicemail 102\n" in output
    assert "  Thu Dec 24 12:00–24:00  Holiday       forwards to voicemail 102\n" in output
    assert "\n101 (Alice Chen)\n" not in output
    html = page.read_text()
    assert "<script" in html and "http://" not in html and "https://" not in html
    code, output = invoke(timeline, str(EXAMPLE), "--from", "2026-12-23", "--to", "2026-12-23", "--ext", "104")
    assert "104 (Dev Patel) (time frames in America/Vancouver)\n  Wed Dec 23 00:00–12:00  default" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-12-24", "--to", "2026-12-23 10:00"], "error: --to (2026-12-23 10:00) must be after --from"),
        (["--from", "2026-01-01", "--to", "2027-06-01"], "error: the window is longer than 366 days"),
        (["--from", "2026-12-24", "--to", "2026-12-25", "--ext", "109"], "error: no user 109"),
    ],
)
def test_timeline_errors_are_one_line(args: list[str], message: str) -> None:
    code, output = invoke(timeline, str(EXAMPLE), *args)
    assert code == 1 and message in output


def test_simulate_and_timeline_read_the_live_pbx(workspace: Path) -> None:
    from tests.conftest import run

    assert run("apply", "tenants", "--auto-approve").exit_code == 0
    for at in ("2026-12-23 10:00", "2026-12-23 12:30", "2026-12-25 10:00"):
        for ext in USERS:
            _, yaml_out = invoke(simulate, "tenants/example", "--ext", ext, "--at", at)
            code, live_out = invoke(simulate, "tenants/example", "--ext", ext, "--at", at, "--live")
            assert code == 0, live_out
            assert "on the live PBX (sandbox)" in live_out.splitlines()[0]
            # The YAML leaves 104's voicemail unset; both sides assume the PBX's default (on).
            assert live_out.splitlines()[1:] == yaml_out.splitlines()[1:]
    code, output = invoke(timeline, "tenants/example", "--from", "2026-12-23", "--to", "2026-12-24", "--live")
    assert code == 0 and "Call routing on the live PBX (sandbox)" in output


def test_intervals_are_plain_data(example: State) -> None:
    (first, *_) = intervals(example, "101", local("2026-12-23 00:00"), local("2026-12-23 01:00"))
    assert first == Interval(first.start, first.end, "Closed Hours", evaluate(example, "101", first.start))
