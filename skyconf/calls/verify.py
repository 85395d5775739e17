"""Did routing do what the plan said? Each recorded call against what `routing.evaluate` predicts.

A call to a user is predicted at its start instant from a State (the YAML's or the live one). The
record says where the call ended and, when it was answered, by whom; the prediction walks the rule's
steps with that knowledge (a ring the record shows answered by one of its legs is answered there, any
other ring goes the no-answer way) and ends in the same words as a record: answered by, voicemail,
forwarded to, missed, rejected, failed.

Ringing counts: a record that reached voicemail (or left for a forward) more than RANG_S seconds
after the call started rang first, one that got there at once did not, and the prediction says which
(a rule's forward always or do not disturb against a ring that was not answered).

A call is "not checkable" when the records cannot tell: it ended unanswered at a device (busy,
offline and no answer look the same), or it was predicted to. Calls that are not to a user (outbound,
to a queue or an attendant) are "skipped".
"""

from __future__ import annotations

import json
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from skyconf.calls.records import CallRecord
from skyconf.model.users import USER
from skyconf.resources import State
from skyconf.routing import DoNotDisturb, End, Goto, Ring, Routing, Screen, Step, describe, evaluate, frame_label

Status = Literal["match", "mismatch", "not_checkable", "skipped"]
STATUSES: tuple[Status, ...] = ("match", "mismatch", "not_checkable", "skipped")
Result = tuple[str, str, bool]  # (outcome, target) as in CallRecord, and whether it rang first
# A call that reached voicemail or a forward later than this rang first (a PBX takes a moment even
# for an immediate forward).
RANG_S = 3
_AFTER_RING = ("voicemail", "forwarded")

_FORWARD_ENDS = {"queue": "queue", "auto_attendant": "auto_attendant", "conference": "conference"}


@dataclass(frozen=True)
class Check:
    """One call: what the record shows against what the rules predict."""

    record: CallRecord
    status: Status
    rule: str = ""  # the frame whose rule applied, in the prediction
    rule_words: str = ""  # that rule in plain words
    predicted: str = ""
    happened: str = ""

    def line(self, zone_name: str = "UTC") -> str:
        r = self.record
        when = r.start.astimezone(zoneinfo.ZoneInfo(zone_name)).strftime("%Y-%m-%d %H:%M")
        return (
            f"{when} {r.caller} -> {r.dialled} (call {r.id}): rule {self.rule} ({self.rule_words}); "
            f"predicted {self.predicted}, happened {self.happened}"
        )

    def as_json(self) -> dict[str, object]:
        r = self.record
        return {
            "call": r.id,
            "start": r.start.isoformat(),
            "caller": r.caller,
            "dialled": r.dialled,
            "status": self.status,
            "rule": self.rule,
            "rule_words": self.rule_words,
            "predicted": self.predicted,
            "happened": self.happened,
        }


class Verifier:
    """Checks records against one State (the users are looked up once, not per call)."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.users = {key[0] for key in state.keys(USER.name)}

    def check(self, record: CallRecord) -> Check:
        if record.direction == "outbound" or record.dialled not in self.users:
            return Check(record, "skipped", happened=words(recorded(record)))
        routing = evaluate(self.state, record.dialled, record.start)
        answerer = record.target if record.outcome == "answered" else None
        expected = predicted(routing, answerer)
        actual = recorded(record)
        if "missed" in (expected[0], actual[0]):
            status: Status = "not_checkable"
        else:
            status = "match" if expected == actual else "mismatch"
        return Check(
            record,
            status,
            frame_label(routing.rule),
            describe(routing, with_frame=False),
            words(expected),
            words(actual),
        )


def verify(records: Iterable[CallRecord], state: State) -> Iterator[Check]:
    """A Check per record, in the records' order."""
    return map(Verifier(state).check, records)


def recorded(record: CallRecord) -> Result:
    rang = record.outcome in _AFTER_RING and record.ring_seconds > RANG_S
    return record.outcome, record.target, rang


def predicted(routing: Routing, answerer: str | None) -> Result:
    """Where the rules send the call, given who (if anyone) the record says answered."""
    return _walk(routing.steps, answerer, rang=False)


def _walk(steps: tuple[Step, ...], answerer: str | None, *, rang: bool) -> Result:
    for step in steps:
        if isinstance(step, Goto | DoNotDisturb | Screen):
            continue
        if isinstance(step, Ring):
            if answerer is not None and answerer in {leg.target for leg in step.legs}:
                return "answered", answerer, False
            branch = next((b for b in step.then if b.when == "no_answer"), None)
            return _walk(branch.steps, answerer, rang=True) if branch else ("missed", step.ext, False)
        if isinstance(step, End):
            outcome, target = _end(step, answerer)
            return outcome, target, rang and outcome in _AFTER_RING
    return "missed", "", False


def _end(end: End, answerer: str | None) -> tuple[str, str]:
    if end.kind == "voicemail":
        return "voicemail", end.target
    if end.kind in _FORWARD_ENDS:
        return "forwarded", f"{_FORWARD_ENDS[end.kind]}:{end.target}"
    if end.kind in ("number", "handset"):
        if answerer == end.target:
            return "answered", end.target
        return ("forwarded" if end.kind == "number" else "missed"), end.target
    if end.kind == "rejected":
        return "rejected", end.target
    if end.kind == "unanswered":
        return "missed", end.target
    if end.kind in ("loop", "no_user"):
        return "failed", end.target
    return "forwarded", end.target


def words(result: Result) -> str:
    outcome, target, rang = result
    kind, _, value = target.partition(":")
    place = f"{kind.replace('_', ' ')} {value}" if value else target
    after = " after ringing" if rang else ""
    return {
        "answered": f"answered by {target}",
        "voicemail": f"voicemail {target}{after}",
        "forwarded": f"forwarded to {place}{after}",
        "missed": f"missed at {target}" if target else "missed",
        "rejected": "rejected (busy)",
        "failed": f"failed ({target})",
    }[outcome]


@dataclass
class Summary:
    """What a check run reports: the counts and the mismatches (matches are only counted)."""

    counts: Counter[str] = field(default_factory=Counter)
    mismatches: list[Check] = field(default_factory=list)

    def add(self, check: Check) -> None:
        self.counts[check.status] += 1
        if check.status == "mismatch":
            self.mismatches.append(check)

    def text(self, zone_name: str) -> str:
        lines = [f"MISMATCH {c.line(zone_name)}" for c in self.mismatches]
        lines.append(self.totals())
        return "\n".join(lines)

    def totals(self) -> str:
        n = self.counts
        return (
            f"{n.total()} call(s): {n['match']} match, {n['mismatch']} mismatch, "
            f"{n['not_checkable']} not checkable, {n['skipped']} skipped (not to a user)"
        )

    def markdown(self, zone_name: str) -> str:
        out = [f"**Routing check:** {self.totals()}", ""]
        if self.mismatches:
            out += ["| time | caller | dialled | rule | predicted | happened | call |", "|---|---|---|---|---|---|---|"]
            for c in self.mismatches:
                r = c.record
                when = r.start.astimezone(zoneinfo.ZoneInfo(zone_name)).strftime("%Y-%m-%d %H:%M")
                cells = (when, r.caller, r.dialled, f"{c.rule}: {c.rule_words}", c.predicted, c.happened, r.id)
                out.append("| " + " | ".join(_cell(x) for x in cells) + " |")
        return "\n".join(out) + "\n"

    def json(self) -> str:
        doc = {"counts": {s: self.counts[s] for s in STATUSES}, "mismatches": [c.as_json() for c in self.mismatches]}
        return json.dumps(doc, indent=2)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
