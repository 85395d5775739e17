"""Calls that start at an outside number: through the number's auto attendant, its menu for the
instant and its prompt, to the rule of the user an option names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from skyconf.cli.routing import simulate, timeline
from skyconf.entry import enter, users_behind
from skyconf.pipeline import load_all

EXAMPLE = Path(__file__).resolve().parents[1] / "tenants" / "example"
MAIN = "+14165550100"
TORONTO = ZoneInfo("America/Toronto")


def invoke(command: object, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(command, list(args))  # type: ignore[arg-type]
    return result.exit_code, result.output


def test_a_holiday_call_to_the_main_number_reaches_the_holiday_menu_and_a_users_holiday_rule() -> None:
    code, output = invoke(simulate, str(EXAMPLE), "--number", "+1 (416) 555-0100", "--at", "2026-12-25 10:00")
    assert code == 0, output
    assert f"Call to {MAIN} on Fri 2026-12-25 10:00 EST (America/Toronto)" in output
    assert f"{MAIN} -> auto_attendant:500\nauto attendant 500 (Main Menu) plays its Holiday menu\n" in output
    assert '  prompt: "Happy holidays from Acme.' in output
    assert "  key 0 -> user:102: forwards to voicemail 102\n" in output
    assert "  key 2 -> +14165550199\n" in output


def test_on_a_working_day_the_open_hours_menu_plays_its_recording() -> None:
    code, output = invoke(simulate, str(EXAMPLE), "--number", MAIN, "--at", "2026-12-22 10:00")
    assert code == 0, output
    assert "plays its Open Hours menu\n  prompt: the recording greetings/main-menu.wav\n" in output
    assert "  key 2 -> user:102: rings 102 (Bob Martin) for 20 s" in output
    assert "  no key pressed -> user:101: rings 101 (Alice Chen)" in output


def test_a_direct_line_reaches_its_user_and_an_unknown_number_is_said_so() -> None:
    code, output = invoke(simulate, str(EXAMPLE), "--number", "416 555 0101", "--at", "2026-12-22 23:00")
    assert code == 0 and "+14165550101 -> user:101\nClosed Hours: do not disturb -> voicemail 101" in output, output
    code, output = invoke(simulate, str(EXAMPLE), "--number", "416 555 0199", "--at", "2026-12-22 23:00")
    assert code == 0 and "+14165550199 is not one of the tenant's numbers" in output, output
    code, output = invoke(simulate, str(EXAMPLE), "--number", MAIN, "--ext", "101", "--at", "2026-12-22 23:00")
    assert code == 1 and "name one of --ext or --number" in output


def test_menus_follow_the_frames_priorities_not_their_order_in_the_yaml() -> None:
    (desired,) = load_all([EXAMPLE], secrets=False)
    christmas = dt.datetime(2026, 12, 25, 10, tzinfo=TORONTO)
    assert enter(desired.state, MAIN, christmas, {"Holiday": 1, "Open Hours": 2}).menu.frame == "Holiday"  # type: ignore[union-attr]
    # Without priorities the two active frames are tried as they come: Open Hours is written first.
    assert enter(desired.state, MAIN, christmas).menu.frame == "Open Hours"  # type: ignore[union-attr]
    assert users_behind(desired.state, MAIN) == ["102", "101"]


def test_the_timeline_can_start_at_a_number(tmp_path: Path) -> None:
    page = tmp_path / "number.html"
    code, output = invoke(
        timeline, str(EXAMPLE), "--from", "2026-12-24", "--to", "2026-12-25", "--number", MAIN, "--html", str(page)
    )
    assert code == 0, output
    assert f"calls to {MAIN} (102, 101)" in output
    heads = [line for line in output.splitlines() if line and not line.startswith((" ", "Call routing", "wrote"))]
    assert heads == ["102 (Bob Martin)", "101 (Alice Chen)"]  # the users its calls reach, not 103 or 104
    html = page.read_text()
    assert MAIN in html and "Bob Martin" in html and "Dev " not in html
