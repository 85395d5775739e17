"""Golden plans: the text and markdown plan of a create, an update and a delete of every kind.

Each golden file was read by a person for the plan's promises: every managed field shown on create
and delete (unset ones marked as the default), lists and reorders as before -> after, schedules as
the YAML writes them, the profile named when it changes a user, secrets masked. Regenerate after a
deliberate change with `SKYCONF_UPDATE_GOLDEN=1 pytest tests/test_plan_golden.py` and read the diff.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skyconf.model.kinds import KINDS
from skyconf.pipeline import load_all
from skyconf.plan import Change, Plan, TenantPlan
from skyconf.render.markdown import render_markdown
from skyconf.render.text import render_text
from skyconf.resources import Resource, Source, State

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "plan"
TODAY = dt.date(2026, 12, 1)

Fields = dict[str, Any]


def _frame(f: Fields) -> Fields:
    weekly = [["mon", "09:00", "12:00"], ["sat", "10:00", "14:00"]]
    return {**f, "weekly": weekly, "dates": [["2026-12-24 00:00", "2026-12-27 00:00"]]}


def _rule(f: Fields) -> Fields:
    return {**f, "do_not_disturb": True, "forward_busy": "user:102", "enabled": False}


# How the live object of each kind differs from the YAML in the update golden (the "before").
LIVE_EDIT: dict[str, Callable[[Fields], Fields]] = {
    "domain": lambda f: {**f, "time_zone": "America/Vancouver", "moh_randomized": True},
    "time_frame": _frame,
    "user_time_frame": _frame,
    "contact": lambda f: {**f, "work": "+19055550100", "email": None},
    "user_contact": lambda f: {**f, "cell": None, "email": "mei@old.example"},
    "moh_playlist": lambda f: {**f, "order": list(reversed(f["order"]))},
    "user_moh_playlist": lambda f: {**f, "order": list(reversed(f["order"]))},
    "moh_file": lambda f: {**f, "sha256": "0" * 64},
    "user_moh_file": lambda f: {**f, "voice": "en-US-Wavenet-A"},
    "user": lambda f: {**f, "department": "Sales", "voicemail_pin": "0000", "voicemail_cc": [], "ring_timeout": 30},
    "answer_rule": _rule,
    "answer_rule_order": lambda f: {**f, "order": ["Holiday", "Lunch", *f["order"][2:]]},
    "auto_attendant": lambda f: {**f, "name": "Old Menu", "menus": {**f["menus"], "Holiday": {"1": "user:101"}}},
    "conference": lambda f: {**f, "leader_pin": "1111", "max_participants": 20, "request_name": False},
    "phone": lambda f: {**f, "lines": ["103"], "config": f["config"].replace("Alice Chen", "Alicia Chen")},
    "call_queue": lambda f: {**f, "agents": ["101", "104", "103"], "dispatch": "round_robin"},
    "phone_number": lambda f: {**f, "to": "user:102", "description": "Old main line"},
    "user_greeting": lambda f: {**f, "sha256": "0" * 64},
    "user_greetings": lambda f: {**f},
}
# Which of a kind's objects each golden shows (the most telling one), by key; else the first.
PICK: dict[str, tuple[str, ...]] = {
    "time_frame": ("Holiday",),
    "answer_rule": ("101", "Closed Hours"),
    "moh_file": ("acme.example.com", "file:moh/welcome.wav"),
    "user_moh_file": ("102", "tts:Thanks for holding for Acme sales. Bob w…5f54e63d"),
}
# Other kinds changed in the same update, so their changes show side by side (a WAV file replaced
# while its playlist is reordered).
WITH: dict[str, str] = {"moh_playlist": "moh_file", "user_moh_playlist": "user_moh_file"}


@pytest.fixture(scope="module")
def state() -> State:
    (desired,) = load_all([ROOT / "tenants" / "example"], TODAY, secrets=False)
    return desired.state


def pick(state: State, kind_name: str) -> Resource:
    wanted = PICK.get(kind_name)
    found = state.get(kind_name, wanted) if wanted else None
    return found or sorted(state.of_kind(kind_name), key=lambda r: r.key)[0]


def portable(source: Source | None) -> Source | None:
    """Sources name files relative to the repository, so goldens do not depend on where it lives."""
    if source is None:
        return None
    return Source(Path(source.file).name, source.line, source.column, source.path)


def update(state: State, kind_name: str) -> Change:
    want = pick(state, kind_name)
    before = LIVE_EDIT[kind_name](dict(want.fields))
    changed = tuple(name for name, value in want.fields.items() if before.get(name) != value)
    return Change("update", kind_name, want.key, before, dict(want.fields), changed, source=portable(want.source))


def plans(state: State, kind_name: str) -> Plan:
    r = pick(state, kind_name)
    owners = {}
    owner = KINDS[kind_name].owner_kind
    if owner:
        holder = state.get(owner, r.key[:1])
        owners = {(owner, r.key[:1]): holder.fields} if holder else {}
    create = Change("create", kind_name, r.key, None, dict(r.fields), tuple(r.fields), source=portable(r.source))
    delete = Change("delete", kind_name, r.key, dict(r.fields), None, tuple(r.fields))
    updates = [update(state, kind_name)] + ([update(state, WITH[kind_name])] if kind_name in WITH else [])
    return Plan(
        [
            TenantPlan("create", "acme.example.com", "sandbox", [create], owners=owners),
            TenantPlan("update", "acme.example.com", "sandbox", updates, owners=owners),
            TenantPlan("delete", "acme.example.com", "sandbox", [delete], owners=owners),
        ]
    )


def check(path: Path, text: str) -> None:
    if os.environ.get("SKYCONF_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"{path.name} is missing (set SKYCONF_UPDATE_GOLDEN=1 to write it)"
    assert text == path.read_text()


def test_every_kind_has_a_golden_edit() -> None:
    assert set(LIVE_EDIT) == set(KINDS)


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_text_plan_matches_golden(state: State, kind_name: str) -> None:
    text = "\n".join(line for _, line in render_text(plans(state, kind_name))).rstrip() + "\n"
    check(GOLDEN / f"{kind_name}.txt", text)


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_markdown_plan_matches_golden(state: State, kind_name: str) -> None:
    check(GOLDEN / f"{kind_name}.md", render_markdown(plans(state, kind_name)))
