"""Who rings when: the PBX's answering-rule semantics, evaluated on a State (desired or live).

Pure, no I/O. `evaluate` says what happens to a call to an extension at one instant; `intervals`
splits a window into the stretches where that stays the same, computed from the time frames'
boundaries (never by stepping through time); `routing_diff` compares two states over a window.

Choices the vendor leaves open, made once here:
- A user's rules are tried in `answer_rule_order`; the first enabled rule whose time frame is active
  applies, `default` last. A frame name is looked up among the user's own frames, then the domain's. A rule
  whose frame does not exist never applies (the PBX treats such rules as broken). When no rule
  applies, the extension rings as with an empty `default` rule.
- Time zone: the user's `time_zone`, else the domain's, else UTC (an unknown zone name falls back
  the same way).
- Local ranges (weekly rows, date ranges) are mapped to instants, then compared with the instant of
  the call. A local time that happens twice (DST fall-back) means its first occurrence; one that never
  happens (spring-forward gap) means the moment the clock skips past it, so a range lying wholly in the
  gap never happens. A weekly row whose end is not after its start runs past midnight; "24:00" ends the day.
- Ring timeout: the user's `ring_timeout`, else DEFAULT_RING_TIMEOUT (25 s, the portal's default).
- Within a rule, do not disturb wins over forward always, which wins over ringing; call screening
  applies only when the user's phones ring.
- Voicemail: a user has voicemail unless their `voicemail_enabled` field is false (the PBX's default
  is on, so a YAML user without a `voicemail:` block has voicemail, as on the PBX). Do not disturb
  then sends calls to voicemail, else rejects them (busy). Unset busy / no answer / offline forwards
  go to the user's voicemail, else the call is rejected (busy) or ends unanswered; with no
  `forward_active`, a call during another call rings as usual (call waiting).
- Simultaneous ring: the delay applies to the ring list, not to the user's own extension or phones
  (that is how the provider writes it); answer confirmation applies to external numbers.
- Forwards: `user:` follows that user's own rules at the same instant (a user met twice on one path is
  a loop and the call fails); `handset:` rings that user's phones without their rules and ends there.

Why this module is long: the semantics above are one model of a call (frames, rules, forwards and
their fallbacks) that evaluate, intervals and routing_diff all walk; split, each part would need the
others' internals.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

from skyconf.model.rules import DEFAULT_RULE
from skyconf.model.timeframes import DAYS, parse_minutes
from skyconf.plan import diff
from skyconf.resources import Fields, Resource, State

DEFAULT_RING_TIMEOUT = 25
UTC_ZONE = zoneinfo.ZoneInfo("UTC")
_DAY = dt.timedelta(days=1)
_TICK = dt.timedelta(microseconds=1)
Span: TypeAlias = tuple[dt.datetime, dt.datetime]

Condition = Literal["busy", "no_answer", "offline", "active"]
# Each ring outcome and the rule option that handles it, in the order they are described.
CONDITIONS: tuple[tuple[Condition, str], ...] = (
    ("busy", "forward_busy"),
    ("no_answer", "forward_no_answer"),
    ("offline", "forward_offline"),
    ("active", "forward_active"),
)
LegKind = Literal["extension", "phones", "handset", "number"]
EndKind = Literal[
    "voicemail",
    "queue",
    "auto_attendant",
    "conference",
    "handset",
    "number",
    "rejected",
    "unanswered",
    "loop",
    "no_user",
    "other",
]
_TARGET_ENDS: dict[str, EndKind] = {
    "voicemail": "voicemail",
    "queue": "queue",
    "auto_attendant": "auto_attendant",
    "conference": "conference",
    "handset": "handset",
}
# Ends that are a failure, not a place the call is forwarded to.
_FAILURES = frozenset({"rejected", "unanswered", "loop", "no_user"})


# --- the result: plain data -------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """One phone or number a Ring step rings: the user's extension, all their phones, a handset, a number."""

    kind: LegKind
    target: str
    delay: int = 0
    confirm: bool = False


@dataclass(frozen=True)
class Branch:
    """What happens when ringing ends in `when` (busy, no answer, offline, or the user is on a call)."""

    when: Condition
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Ring:
    """Ring `legs` together for `timeout` seconds; `then` says what each failure leads to."""

    ext: str
    legs: tuple[Leg, ...]
    timeout: int
    then: tuple[Branch, ...]


@dataclass(frozen=True)
class Goto:
    """The call moved to user `ext`; their rule for frame `rule` applies (the steps that follow)."""

    ext: str
    rule: str | None


@dataclass(frozen=True)
class DoNotDisturb:
    ext: str


@dataclass(frozen=True)
class Screen:
    """Call screening: the caller says their name before anything rings."""

    ext: str


@dataclass(frozen=True)
class End:
    """Where the call ends up (voicemail, queue, number...) or why it fails (rejected, loop...)."""

    kind: EndKind
    target: str


Step: TypeAlias = Goto | DoNotDisturb | Screen | Ring | End


@dataclass(frozen=True)
class Routing:
    """What the PBX does with a call to `ext`: the frame whose rule applies and the steps, in order."""

    ext: str
    rule: str | None  # a time frame name, "default" for the default rule, None when no rule applies
    steps: tuple[Step, ...]
    # Display names of the users the steps mention; for describing only, never compared.
    names: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Interval:
    """A stretch [start, end) of time (UTC) in which the same rule applies, with the same result."""

    start: dt.datetime
    end: dt.datetime
    frame: str | None
    routing: Routing


@dataclass(frozen=True)
class DiffInterval:
    """A stretch of time in which callers would get `after` instead of `before`."""

    start: dt.datetime
    end: dt.datetime
    before: Routing
    after: Routing
    # The frames whose rules applied on each side within the stretch, in order of appearance.
    before_frames: tuple[str | None, ...]
    after_frames: tuple[str | None, ...]


# --- public API ---------------------------------------------------------------------------------


def evaluate(state: State, ext: str, at: dt.datetime) -> Routing:
    """What happens to a call to `ext` at the instant `at` (an aware datetime)."""
    return _Pbx(state).routing(ext, _utc(at))


def intervals(state: State, ext: str, start: dt.datetime, end: dt.datetime) -> list[Interval]:
    """The maximal stretches of [start, end) within which the applying rule and the result stay the same."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    pbx = _Pbx(state)
    cuts = sorted({start, end, *pbx.boundaries(ext, start, end)})
    out: list[Interval] = []
    for a, b in itertools.pairwise(cuts):
        routing = pbx.routing(ext, a)
        if out and out[-1].routing == routing:
            out[-1] = replace(out[-1], end=b)
        else:
            out.append(Interval(a, b, routing.rule, routing))
    return out


def routing_diff(
    live: State,
    desired: State,
    start: dt.datetime,
    end: dt.datetime,
    prune: Mapping[str, bool] | None = None,
) -> dict[str, list[DiffInterval]]:
    """Per user of either state, where in [start, end) callers would get something else after apply.

    `desired` is taken the way apply uses it: its fields over the live ones, unmentioned live objects
    kept unless pruned (`prune` as in plan.diff). Behaviour is compared as the caller hears it
    (`behaviour(..., names=False)`), so a renamed frame or user is no change.
    """
    after = applied(live, desired, prune)
    users = {key[0] for key in live.keys("user") | desired.keys("user")}
    return {
        ext: _user_diff(intervals(live, ext, start, end), intervals(after, ext, start, end))
        for ext in sorted(users, key=lambda e: (len(e), e))
    }


def applied(live: State, desired: State, prune: Mapping[str, bool] | None = None) -> State:
    """The state the PBX would be in after applying `desired` to `live` (plan.diff's changes, replayed)."""
    changes, _ = diff(desired, live, prune)
    resources = dict(live.resources)
    for c in changes:
        if c.action == "delete":
            resources.pop(c.ref, None)
        else:
            resources[c.ref] = Resource(c.kind, c.key, {**(c.before or {}), **(c.after or {})})
    return State(resources)


def describe(routing: Routing, *, with_frame: bool = True) -> str:
    """The routing in plain words, frames of followed users included, e.g. "Holiday: forwards to voicemail 101"."""
    text = _Words(routing.names).rule(routing.steps)
    return f"{frame_label(routing.rule)}: {text}" if with_frame else text


def call_path(routing: Routing) -> str:
    """The one description of a call's path that simulate, timelines and routing windows all print:
    every hop named (`busy -> 202 (Sam Sales) [default: ...]`), do not disturb said as such."""
    return describe(routing, with_frame=False)


def behaviour(routing: Routing, *, names: bool = True) -> str:
    """What the caller hears, without frame names or hops (do not disturb -> voicemail = forward to voicemail).

    Only for deciding whether a window changed anything; people are shown `call_path`.
    """
    return _Words(routing.names if names else {}).rule(_heard(routing.steps))


def frame_active(state: State, name: str, at: dt.datetime) -> bool:
    """Whether the domain time frame `name` is active at `at` (in the domain's zone)."""
    pbx = _Pbx(state)
    frame = pbx.frame("", name)
    return frame is not None and frame.active(pbx.domain_zone, at)


def frame_label(rule: str | None) -> str:
    return "default" if rule == DEFAULT_RULE else (rule or "no rule")


def user_zone(state: State, ext: str) -> zoneinfo.ZoneInfo:
    """The zone a user's time frames are evaluated in: the user's, else the domain's, else UTC."""
    return _Pbx(state).zone(ext)


def domain_zone(state: State) -> zoneinfo.ZoneInfo:
    return _Pbx(state).domain_zone


def local_instant(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A wall-clock time in `zone` as a UTC instant (first occurrence if repeated; clock skip if skipped)."""
    return _instant(local.replace(tzinfo=None), zone)


# --- evaluation ----------------------------------------------------------------------------------


class _Pbx:
    """One State seen the way the PBX sees it; lookups that evaluation repeats are made once."""

    def __init__(self, state: State) -> None:
        self.state = state
        domain = next((r for r in state if r.kind == "domain"), None)
        self.domain_zone = _zone(domain.fields.get("time_zone") if domain else None, UTC_ZONE)
        self._zones: dict[str, zoneinfo.ZoneInfo] = {}
        self._frames: dict[tuple[str, str], _Frame | None] = {}
        self._orders: dict[str, list[str]] = {}

    def user(self, ext: str) -> Fields | None:
        user = self.state.get("user", (ext,))
        return user.fields if user else None

    def zone(self, ext: str) -> zoneinfo.ZoneInfo:
        if ext not in self._zones:
            user = self.user(ext) or {}
            self._zones[ext] = _zone(user.get("time_zone"), self.domain_zone)
        return self._zones[ext]

    def order(self, ext: str) -> list[str]:
        """The user's rule names in priority order, `*` last."""
        if ext not in self._orders:
            resource = self.state.get("answer_rule_order", (ext,))
            if resource is not None:
                names = list(resource.fields.get("order") or [])
            else:  # no order read back: the rules as they come
                names = [r.key[1] for r in self.state.under("answer_rule", ext)]
            tail = [DEFAULT_RULE] if DEFAULT_RULE in names else []
            self._orders[ext] = [n for n in names if n != DEFAULT_RULE] + tail
        return self._orders[ext]

    def frame(self, ext: str, name: str) -> _Frame | None:
        if (ext, name) not in self._frames:
            resource = self.state.get("user_time_frame", (ext, name)) or self.state.get("time_frame", (name,))
            self._frames[(ext, name)] = _parse_frame(resource.fields) if resource else None
        return self._frames[(ext, name)]

    def rule_at(self, ext: str, at: dt.datetime) -> str | None:
        """The frame name of the first enabled rule whose frame is active at `at`."""
        for name in self.order(ext):
            rule = self.state.get("answer_rule", (ext, name))
            if rule is None or rule.fields.get("enabled") is False:
                continue
            if name == DEFAULT_RULE:
                return name
            frame = self.frame(ext, name)
            if frame is not None and frame.active(self.zone(ext), at):
                return name
        return None

    def routing(self, ext: str, at: dt.datetime) -> Routing:
        if self.user(ext) is None:
            return Routing(ext, None, (End("no_user", ext),))
        rule, steps = self.call(ext, at, (ext,))
        return Routing(ext, rule, steps, self.names(steps, ext))

    def call(self, ext: str, at: dt.datetime, seen: tuple[str, ...]) -> tuple[str | None, tuple[Step, ...]]:
        """A call reaching user `ext` (who exists): the rule that applies and what it does."""
        name = self.rule_at(ext, at)
        rule = self.state.get("answer_rule", (ext, name)) if name else None
        return name, self.steps(ext, rule.fields if rule else {}, at, seen)

    def steps(self, ext: str, rule: Fields, at: dt.datetime, seen: tuple[str, ...]) -> tuple[Step, ...]:
        if rule.get("do_not_disturb"):
            return (DoNotDisturb(ext), self.fallback(ext, "busy"))
        if rule.get("forward_always"):
            return self.follow(rule["forward_always"], at, seen)
        user = self.user(ext) or {}
        timeout = user.get("ring_timeout")
        ring = Ring(
            ext,
            _legs(ext, rule.get("simultaneous_ring")),
            timeout if isinstance(timeout, int) else DEFAULT_RING_TIMEOUT,
            self.branches(ext, rule, at, seen),
        )
        return (Screen(ext), ring) if rule.get("call_screening") else (ring,)

    def branches(self, ext: str, rule: Fields, at: dt.datetime, seen: tuple[str, ...]) -> tuple[Branch, ...]:
        out: list[Branch] = []
        for when, option in CONDITIONS:
            target = rule.get(option)
            if target:
                out.append(Branch(when, self.follow(target, at, seen)))
            elif when != "active":
                out.append(Branch(when, (self.fallback(ext, when),)))
        return tuple(out)

    def fallback(self, ext: str, when: Condition) -> End:
        """Where a call goes when nothing is set: the user's voicemail if they have one."""
        if (self.user(ext) or {}).get("voicemail_enabled", True) is not False:
            return End("voicemail", ext)
        return End("rejected" if when == "busy" else "unanswered", ext)

    def follow(self, target: str, at: dt.datetime, seen: tuple[str, ...]) -> tuple[Step, ...]:
        """The steps of a forward to `target` (a canonical target string)."""
        kind, _, value = target.partition(":")
        if target.startswith("+"):
            return (End("number", target),)
        if kind in _TARGET_ENDS:
            return (End(_TARGET_ENDS[kind], value),)
        if kind != "user":
            return (End("other", target),)
        if value in seen:
            return (End("loop", value),)
        if self.user(value) is None:
            return (End("no_user", value),)
        rule, steps = self.call(value, at, (*seen, value))
        return (Goto(value, rule), *steps)

    def names(self, steps: Iterable[Step], ext: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in {ext, *_mentioned(steps)}:
            user = self.user(e)
            if user:
                out[e] = " ".join(str(user[k]) for k in ("first_name", "last_name") if user.get(k))
        return out

    def reachable(self, ext: str) -> list[str]:
        """`ext` and every user its rules can forward to (`user:` targets), transitively."""
        found = [ext]
        for current in found:  # grows while iterating: a breadth-first walk
            for name in self.order(current):
                rule = self.state.get("answer_rule", (current, name))
                for option in ("forward_always", *(o for _, o in CONDITIONS)):
                    target = str((rule.fields.get(option) if rule else None) or "")
                    if target.startswith("user:") and target[5:] not in found:
                        found.append(target[5:])
        return found

    def boundaries(self, ext: str, start: dt.datetime, end: dt.datetime) -> set[dt.datetime]:
        """Every instant in [start, end] where a frame that can matter to a call to `ext` starts or ends."""
        points: set[dt.datetime] = set()
        for user in self.reachable(ext):
            for name in self.order(user):
                frame = self.frame(user, name) if name != DEFAULT_RULE else None
                if frame is not None:
                    for span in frame.spans(self.zone(user), start, end):
                        points.update(span)
        return points


def _legs(ext: str, sim: Fields | None) -> tuple[Leg, ...]:
    if not sim:
        return (Leg("extension", ext),)
    legs = [Leg("extension", ext)] if sim.get("include_extension") else []
    if sim.get("all_user_phones"):
        legs.append(Leg("phones", ext))
    delay = int(sim.get("delay") or 0)
    for target in sim.get("ring") or []:
        if str(target).startswith("+"):
            legs.append(Leg("number", target, delay, bool(sim.get("answer_confirmation"))))
        else:
            legs.append(Leg("handset", str(target).partition(":")[2] or str(target), delay))
    return tuple(legs)


def _mentioned(steps: Iterable[Step]) -> Iterator[str]:
    """Extensions of the users the steps name."""
    for step in steps:
        if isinstance(step, Ring):
            yield step.ext
            yield from (leg.target for leg in step.legs if leg.kind != "number")
            for branch in step.then:
                yield from _mentioned(branch.steps)
        elif isinstance(step, End):
            if step.kind in ("voicemail", "handset", "loop"):
                yield step.target
        else:
            yield step.ext


def _heard(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The steps without the ones a caller cannot hear (do-not-disturb and forwarding hops)."""
    out: list[Step] = []
    for step in steps:
        if isinstance(step, Ring):
            out.append(replace(step, then=tuple(replace(b, steps=_heard(b.steps)) for b in step.then)))
        elif not isinstance(step, (Goto, DoNotDisturb)):
            out.append(step)
    return tuple(out)


# --- time frames -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """A time frame's fields parsed once: weekly (start, end) minutes per weekday, naive local date ranges."""

    always: bool
    weekly: tuple[tuple[tuple[int, int], ...], ...]  # index 0 = Monday
    dates: tuple[Span, ...]

    def local_ranges(self, first: dt.date, last: dt.date) -> Iterator[Span]:
        """The frame's [start, end) wall-clock ranges that begin on the days first..last (dates: overlap them)."""
        day = first
        while day <= last:
            midnight = dt.datetime.combine(day, dt.time())
            for a, b in self.weekly[day.weekday()]:
                end = b if b > a else b + 24 * 60
                yield midnight + dt.timedelta(minutes=a), midnight + dt.timedelta(minutes=end)
            day += _DAY
        low, high = dt.datetime.combine(first, dt.time()), dt.datetime.combine(last + _DAY, dt.time())
        yield from ((a, b) for a, b in self.dates if a < high and b > low)

    def spans(self, zone: zoneinfo.ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[Span]:
        """The instants in [start, end) at which the frame is active, as sorted disjoint spans."""
        if self.always:
            return [(start, end)]
        # One day of margin each side covers rows that run past midnight and DST shifts.
        first, last = _wall(start, zone).date() - _DAY, _wall(end, zone).date() + _DAY
        out: list[Span] = []
        for a, b in self.local_ranges(first, last):
            s, e = max(_instant(a, zone), start), min(_instant(b, zone), end)
            if s < e:
                out.append((s, e))
        return _merge(out)

    def active(self, zone: zoneinfo.ZoneInfo, at: dt.datetime) -> bool:
        return bool(self.spans(zone, at, at + _TICK))


def _parse_frame(fields: Fields) -> _Frame:
    weekly: tuple[tuple[str, ...], ...] = tuple(map(tuple, fields.get("weekly") or ()))
    dates: tuple[tuple[str, ...], ...] = tuple(map(tuple, fields.get("dates") or ()))
    return _parsed_frame(bool(fields.get("always")), weekly, dates)


@functools.lru_cache(maxsize=1024)
def _parsed_frame(always: bool, weekly: tuple[tuple[str, ...], ...], dates: tuple[tuple[str, ...], ...]) -> _Frame:
    """Cached: evaluating many instants of the same state parses the same frames again and again."""
    days: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for day, start, end in weekly:
        days[DAYS.index(day)].append((parse_minutes(start), parse_minutes(end)))
    spans = tuple((dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in dates)
    return _Frame(always, tuple(tuple(d) for d in days), spans)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


@functools.lru_cache(maxsize=16384)
def _instant(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """See local_instant; cached because weekly boundaries repeat across evaluations."""
    first = local.replace(tzinfo=zone).astimezone(dt.UTC)  # fold=0: the first of a repeated time
    if _wall(first, zone) == local:
        return first
    return _clock_skip(local, zone)


def _clock_skip(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant the clock jumps over `local`, a wall time the zone skips (to the second)."""
    before, after = sorted(local.replace(tzinfo=zone, fold=f).astimezone(dt.UTC) for f in (0, 1))
    low, high = 0, int((after - before).total_seconds())
    while low < high:  # the first second whose wall time is past `local`
        mid = (low + high) // 2
        if _wall(before + dt.timedelta(seconds=mid), zone) >= local:
            high = mid
        else:
            low = mid + 1
    return before + dt.timedelta(seconds=low)


def _wall(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _zone(name: object, fallback: zoneinfo.ZoneInfo) -> zoneinfo.ZoneInfo:
    if not isinstance(name, str) or not name:
        return fallback
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return fallback


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} has no time zone; routing needs an instant")
    return value.astimezone(dt.UTC)


# --- routing diff --------------------------------------------------------------------------------


def _user_diff(before: list[Interval], after: list[Interval]) -> list[DiffInterval]:
    """The stretches where the two timelines sound different to a caller, adjacent equal ones merged."""
    cuts = sorted({i.start for i in before + after} | {i.end for i in before + after})
    out: list[DiffInterval] = []
    for a, b in itertools.pairwise(cuts):
        was, now = _at(before, a), _at(after, a)
        if was is None or now is None or behaviour(was.routing, names=False) == behaviour(now.routing, names=False):
            continue
        last = out[-1] if out else None
        if last and last.end == a and _same_change(last, was.routing, now.routing):
            out[-1] = replace(
                last,
                end=b,
                before_frames=_add(last.before_frames, was.frame),
                after_frames=_add(last.after_frames, now.frame),
            )
        else:
            out.append(DiffInterval(a, b, was.routing, now.routing, (was.frame,), (now.frame,)))
    return out


def _at(timeline: list[Interval], instant: dt.datetime) -> Interval | None:
    i = bisect.bisect_right([x.start for x in timeline], instant) - 1
    return timeline[i] if i >= 0 and instant < timeline[i].end else None


def _same_change(last: DiffInterval, before: Routing, after: Routing) -> bool:
    """Stretches join only when both sides read the same, so one description holds for the whole stretch."""
    return call_path(last.before) == call_path(before) and call_path(last.after) == call_path(after)


def _add(frames: tuple[str | None, ...], frame: str | None) -> tuple[str | None, ...]:
    return frames if frame in frames else (*frames, frame)


# --- words ---------------------------------------------------------------------------------------

_WHEN = {"busy": "busy", "no_answer": "no answer", "offline": "offline", "active": "on a call"}


@dataclass(frozen=True)
class _Words:
    """Steps in plain words; `names` adds "(Alice Chen)" after the users it knows."""

    names: Mapping[str, str]

    def who(self, ext: str) -> str:
        name = self.names.get(ext)
        return f"{ext} ({name})" if name else ext

    def rule(self, steps: tuple[Step, ...]) -> str:
        """The steps of one user's rule, from the moment it applies."""
        first, rest = steps[0], steps[1:]
        if isinstance(first, DoNotDisturb):
            return "do not disturb -> " + self.target(rest)
        if isinstance(first, Screen):
            return "screens the call (asks the caller's name), then " + self.rule(rest)
        if isinstance(first, Ring):
            return self.ring(first)
        if isinstance(first, End) and first.kind in _FAILURES:
            return self.end(first)
        return "forwards to " + self.target(steps)

    def target(self, steps: tuple[Step, ...]) -> str:
        """Where a forward lands."""
        first = steps[0]
        if isinstance(first, Goto):
            return f"{self.who(first.ext)} [{frame_label(first.rule)}: {self.rule(steps[1:])}]"
        if isinstance(first, End):
            return self.end(first)
        return f"[{self.rule(steps)}]"  # a hop folded away by _heard: keep nested rings apart

    def ring(self, ring: Ring) -> str:
        text = f"rings {_join([self.leg(leg) for leg in ring.legs])} for {ring.timeout} s"
        return text + "".join(f"; {_WHEN[b.when]} -> {self.target(b.steps)}" for b in ring.then)

    def leg(self, leg: Leg) -> str:
        notes = [self.names[leg.target]] if leg.kind in ("extension", "handset") and leg.target in self.names else []
        if leg.delay:
            notes.append(f"after {leg.delay} s")
        if leg.confirm:
            notes.append("with answer confirmation")
        base = {"phones": f"all phones of {leg.target}", "handset": f"handset {leg.target}"}.get(leg.kind, leg.target)
        return f"{base} ({', '.join(notes)})" if notes else base

    def end(self, end: End) -> str:
        t = end.target
        words = {
            "voicemail": f"voicemail {t}",
            "queue": f"queue {t}",
            "auto_attendant": f"auto attendant {t}",
            "conference": f"conference {t}",
            "handset": f"handset {self.who(t)}",
            "rejected": "rejected (busy)",
            "unanswered": "call ends unanswered",
            "loop": f"forwarding loop back to {t} (call fails)",
            "no_user": f"no user {t} (call fails)",
        }
        return words.get(end.kind, t)


def _join(parts: list[str]) -> str:
    if len(parts) < 2:
        return parts[0] if parts else "nothing"
    return ", ".join(parts[:-1]) + " and " + parts[-1]


# --- warnings: rules and frames that do not mean what they seem to ------------------------------


@dataclass(frozen=True)
class PlanWarning:
    """Something legal that probably is not what the author meant; printed, never blocking."""

    source: str  # `file:line:col: path`, or the object's name when it has no position
    message: str

    def __str__(self) -> str:
        return f"{self.source}: warning: {self.message}"


def tenant_warnings(state: State) -> list[PlanWarning]:
    """Rules that can never apply, users missing a rule most users have, frames no rule uses."""
    out: list[PlanWarning] = []
    seen: set[str] = set()

    def warn(resource: Resource | None, fallback: str, message: str) -> None:
        where = str(resource.source) if resource is not None and resource.source else fallback
        if where not in seen:  # a profile's rule is reported once, not once per user
            seen.add(where)
            out.append(PlanWarning(where, message))

    pbx = _Pbx(state)
    users = sorted((r.key[0] for r in state.of_kind("user")), key=lambda e: (len(e), e))
    for ext in users:
        blocker: str | None = None
        for name in pbx.order(ext):
            rule = state.get("answer_rule", (ext, name))
            if rule is None or rule.fields.get("enabled") is False:
                continue
            if blocker is not None and _written(rule):
                path = rule.source.path if rule.source else ""
                whose = f"profile {path.split('.')[1]}'s" if path.startswith("profiles.") else f"user {ext}'s"
                warn(
                    rule,
                    f"user {ext}: rule {name}",
                    f"{whose} rule '{frame_label(name)}' can never apply (for user {ext}): time frame "
                    f"'{blocker}' is always active and comes first",
                )
            frame = pbx.frame(ext, name) if name != DEFAULT_RULE else None
            if blocker is None and frame is not None and frame.always:
                blocker = name
    domain_frames = state.of_kind("time_frame")
    used = {r.key[1] for r in state.of_kind("answer_rule")}
    for attendant in state.of_kind("auto_attendant"):
        used |= set(attendant.fields.get("menus") or {})
    for frame_resource in domain_frames:
        name = frame_resource.key[0]
        having = [ext for ext in users if state.get("answer_rule", (ext, name)) is not None]
        if name not in used:
            warn(frame_resource, f"time frame {name}", f"time frame '{name}' has no rule: no user or menu uses it")
        elif len(having) * 2 > len(users):
            for ext in users:
                if ext not in having:
                    warn(
                        state.get("user", (ext,)),
                        f"user {ext}",
                        f"user {ext} has no rule for time frame '{name}', which {len(having)} of "
                        f"{len(users)} users have",
                    )
    for frame_resource in state.of_kind("user_time_frame"):
        ext, name = frame_resource.key
        if state.get("answer_rule", (ext, name)) is None:
            warn(frame_resource, f"user {ext}: time frame {name}", f"user {ext}'s time frame '{name}' has no rule")
    return out


def _written(rule: Resource) -> bool:
    """A rule the YAML states (not the ring-the-extension default skyconf adds for a user without one)."""
    return rule.source is None or ".answering_rules." in f"{rule.source.path}."
