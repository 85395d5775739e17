"""`skyconf selftest`: write one object of every kind and every forward-target form into a scratch
domain, read each back, compare, delete what was made, and say which dialect setting fixes a check
that does not hold. In the spirit of Terraform providers' acceptance tests: the real mapping code
(`tenant(scope).write(change)` / `read()`) against the real PBX.

The scratch objects are a small tenant (YAML below) loaded and resolved like any other, so the checks
exercise exactly what `apply` sends. A check that differs or is refused is tried again with each other
value of the dialect settings that govern it; the first that makes it hold is reported.

Why this module is long: the checks, the recorder of what was sent, the retry with other dialect
values and the report are one procedure; apart, each would pass the others' state around.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from skyconf.errors import PbxError, SkyconfError
from skyconf.plan import Change, diff
from skyconf.providers import Scope
from skyconf.providers.netsapiens import NetSapiensTenant
from skyconf.providers.netsapiens.dialect import Dialect
from skyconf.resources import Resource, State

if TYPE_CHECKING:
    from skyconf.providers.netsapiens import NetSapiensProvider

# Extensions the scratch tenant uses; the run refuses a domain that has any of them already.
USER, OTHER, BRIDGE, QUEUE, MENU = "7701", "7702", "7730", "7740", "7750"
FORWARDS = {  # check name -> (the user whose default rule forwards, the rule)
    "forward to user": ("7711", '{forward_always: "user:7702"}'),
    "forward to handset": ("7712", '{forward_always: "handset:7702"}'),
    "forward to voicemail": ("7713", '{forward_always: "voicemail:7702"}'),
    "forward to queue": ("7714", '{forward_always: "queue:7740"}'),
    "forward to auto attendant": ("7715", '{forward_always: "auto_attendant:7750"}'),
    "forward to conference": ("7716", '{forward_always: "conference:7730"}'),
    "forward to external number": ("7717", '{forward_always: "+1 212 555 0100"}'),
    "simultaneous ring": (
        "7718",
        "{simultaneous_ring: {ring: ['handset:7702', '+1 212 555 0101'], include_extension: true, "
        "all_user_phones: true, answer_confirmation: true, delay: 5}}",
    ),
}
EXTENSIONS = (USER, OTHER, BRIDGE, QUEUE, MENU, *(ext for ext, _ in FORWARDS.values()))

# Dialect setting -> the values a retry tries (every value the setting takes, or the forms readers know).
ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "conference_body": ("object", "array"),
    "fields.voicemail_announce_date": (
        "voicemail-playback-announce-datetime-received",
        "voicemail-playback-announce-date-time-received",
    ),
    "fields.directory_dial_by_name": (
        "directory-announce-in-dial-by-name-enabled",
        "directory-annouce-in-dial-by-name-enabled",
    ),
    "targets.user": ("user_{ext}",),
    "targets.handset": ("phone_{ext}",),
    "targets.voicemail": ("vmail_{ext}",),
    "targets.queue": ("queue_{ext}",),
    "targets.auto_attendant": ("attendant_{ext}", "aa_{name}"),
    "targets.conference": ("{ext}", "conf_{ext}"),
}
FORWARD_SETTINGS = {
    "forward to user": ("targets.user",),
    "forward to handset": ("targets.handset",),
    "forward to voicemail": ("targets.voicemail",),
    "forward to queue": ("targets.queue",),
    "forward to auto attendant": ("targets.auto_attendant",),
    "forward to conference": ("targets.conference",),
}
SECRET_WORDS = ("pin", "password", "secret", "token")


def scratch_yaml(domain: str) -> str:
    """The scratch tenant: a user with every switch the dialect spells, a contact, a domain and a user
    time frame with their rules, a conference, a queue, an auto attendant, and one user per forward-target form."""
    forwards = "".join(
        f'  "{ext}": {{first_name: Selftest, last_name: "{name.title()}", answering_rules: {{default: {rule}}}}}\n'
        for name, (ext, rule) in FORWARDS.items()
    )
    return f"""domain: {domain}
country: US
time_zone: America/New_York
time_frames:
  Selftest Closed: {{priority: 20, dates: ["2030-12-25", {{from: "2030-12-31 12:00", to: "2031-01-01"}}]}}
users:
  "{USER}":
    first_name: Selftest
    last_name: Everything
    email: selftest@example.com
    department: Selftest
    voicemail: {{enabled: true, email: link, announce_date: true, announce_caller_id: true, sort: oldest_first}}
    directory: {{listed: true, dial_by_name: false}}
    time_frames:
      Selftest Hours: {{priority: 10, weekly: {{mon-fri: ["09:00-17:00"]}}}}
    answering_rules:
      Selftest Hours: {{do_not_disturb: true}}
      Selftest Closed: {{forward_always: "voicemail:self"}}
  "{OTHER}": {{first_name: Selftest, last_name: Other}}
{forwards}contacts:
  - {{first_name: Selftest, last_name: Contact, company: Selftest Inc, work: "+1 212 555 0102"}}
conferences:
  "{BRIDGE}": {{name: Selftest Bridge, max_participants: 5, quorum: 2, leader_required: false}}
call_queues:
  "{QUEUE}": {{description: Selftest Queue, dispatch: ring_all, agent_timeout: 20, agents: ["{OTHER}"]}}
auto_attendants:
  "{MENU}":
    name: Selftest Menu
    menus:
      default: {{"1": "user:{OTHER}", "2": "voicemail:{OTHER}", no_key_press: "user:{OTHER}", unassigned_key: repeat}}
"""


@dataclass(frozen=True)
class Check:
    name: str
    select: Callable[[Resource], bool]
    settings: tuple[str, ...] = ()


def _owned_by(ext: str) -> Callable[[Resource], bool]:
    return lambda r: r.kind in ("answer_rule", "answer_rule_order", "user_time_frame") and r.key[0] == ext


CHECKS: list[Check] = [
    Check("users", lambda r: r.kind == "user", ("fields.voicemail_announce_date", "fields.directory_dial_by_name")),
    Check("contact", lambda r: r.kind == "contact"),
    Check("time frames and their rules", lambda r: r.kind == "time_frame" or _owned_by(USER)(r)),
    Check("conference", lambda r: r.kind == "conference", ("conference_body",)),
    Check("call queue with agent", lambda r: r.kind == "call_queue"),
    Check("auto attendant", lambda r: r.kind == "auto_attendant"),
    *(Check(name, _owned_by(ext), FORWARD_SETTINGS.get(name, ())) for name, (ext, _) in FORWARDS.items()),
]


@dataclass
class Exchange:
    method: str
    path: str
    request: Any
    status: int
    response: Any

    def lines(self) -> list[str]:
        return [
            f"request:  {self.method} {self.path} {_shown(self.request)}".rstrip(),
            f"response: {self.status} {_shown(self.response)}".rstrip(),
        ]


@dataclass
class Outcome:
    """One attempt at a check: `refused` (an error message), else the fields that read back differently."""

    refused: str | None = None
    differences: list[str] = field(default_factory=list)
    writes: list[Exchange] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return self.refused is None and not self.differences

    @property
    def verdict(self) -> str:
        return "held" if self.held else ("refused" if self.refused else "differed")


@dataclass
class Result:
    check: str
    outcome: Outcome
    fixes: dict[str, str] = field(default_factory=dict)


class Recorder:
    """The writes the provider sends (an httpx response hook on every lane), bodies kept for reports."""

    def __init__(self) -> None:
        self.writes: list[Exchange] = []

    async def __call__(self, response: httpx.Response) -> None:
        request = response.request
        if request.method == "GET":
            return
        await response.aread()
        self.writes.append(
            Exchange(
                request.method, request.url.path, _body(request.content), response.status_code, _body(response.content)
            )
        )


class Selftest:
    def __init__(self, provider: NetSapiensProvider, domain: str, resolve_yaml: Callable[[str], State]) -> None:
        """`resolve_yaml` turns tenant YAML into its desired State (the caller's load and resolve)."""
        self.provider = provider
        self.domain = domain
        self.recorder = Recorder()
        for lane in provider.api.lanes:
            hooks = lane.event_hooks
            lane.event_hooks = {**hooks, "response": [*hooks.get("response", []), self.recorder]}
        desired = resolve_yaml(scratch_yaml(domain))
        self.desired = State.of(r for r in desired if r.kind != "domain")
        self.scope = Scope(domain, "US", Path(), self.desired, {})

    def tenant(self, dialect: Dialect) -> NetSapiensTenant:
        return NetSapiensTenant(self.provider.api, self.scope, dialect)

    async def preflight(self, allow_existing: bool) -> None:
        """Refuse a domain that has users (unless allowed) or any of the scratch extensions."""
        live = await self._read(self.provider.options.dialect, State(), {"user": True})
        users = sorted(r.key[0] for r in live.of_kind("user"))
        taken = sorted(set(users) & set(EXTENSIONS))
        if taken:
            raise SkyconfError(f"domain {self.domain} already has extension(s) {', '.join(taken)}, which selftest uses")
        if users and not allow_existing:
            raise SkyconfError(
                f"domain {self.domain} has {len(users)} user(s): selftest writes and deletes objects, so give it a "
                "scratch domain (or --allow-existing to run beside them)"
            )

    async def run(self) -> list[Result]:
        results = []
        base = self.provider.options.dialect
        for check in CHECKS:
            wanted = State.of(r for r in self.desired if check.select(r))
            outcome = await self.attempt(wanted, base)
            result = Result(check.name, outcome)
            if not outcome.held:
                result.fixes = await self.find_fix(wanted, base, check.settings, outcome)
            results.append(result)
        return results

    async def attempt(self, wanted: State, dialect: Dialect) -> Outcome:
        """Write what `wanted` needs against the live state, then read it back and compare."""
        outcome = Outcome()
        start = len(self.recorder.writes)
        tenant = self.tenant(dialect)
        self.provider.api.forget()
        changes, _ = diff(wanted, await tenant.read())
        try:
            for change in changes:
                await tenant.write(change)
        except PbxError as exc:
            outcome.refused = str(exc)
        outcome.writes = self.recorder.writes[start:]
        if outcome.refused is None:
            self.provider.api.forget()
            after, _ = diff(wanted, await tenant.read())
            outcome.differences = [_difference(c) for c in after]
            # The writes that concern the differing objects (their owner's extension in path or body).
            owners = {c.key[0] for c in after}
            concerned = [w for w in outcome.writes if any(_mentions(w, o) for o in owners)]
            outcome.writes = concerned or outcome.writes
        return outcome

    async def find_fix(self, wanted: State, base: Dialect, settings: tuple[str, ...], first: Outcome) -> dict[str, str]:
        """Each governing setting's other values in turn; a value that makes the check hold, or fewer
        fields differ, is kept for the next setting. Returns the settings that made it hold."""
        dialect, best, fixes = base, first, {}
        for setting in settings:
            for value in ALTERNATIVES[setting]:
                if value == _get(dialect, setting):
                    continue
                trial = _with(dialect, setting, value)
                outcome = await self.attempt(wanted, trial)
                if (
                    outcome.held
                    or (best.refused is not None and outcome.refused is None)
                    or (outcome.refused is None and len(outcome.differences) < len(best.differences))
                ):
                    dialect, best, fixes[setting] = trial, outcome, value
                    if outcome.held:
                        return fixes
                    break
        return {}

    async def cleanup(self) -> list[str]:
        """Delete everything selftest made (children first); what is still there afterwards."""
        dialect = self.provider.options.dialect
        live = await self._read(dialect, self.desired, {})
        made = [r for r in live if self.desired.get(r.kind, r.key) is not None]
        deletes = [
            Change("delete", r.kind, r.key, dict(r.fields), None, tuple(r.fields), meta=dict(r.meta))
            for r in made
            # A user's default rule and rule order go with the user.
            if r.kind != "answer_rule_order" and not (r.kind == "answer_rule" and r.key[1] == "default")
        ]
        deletes.sort(key=lambda c: (c.phase, c.kind, c.key))
        tenant = self.tenant(dialect)
        failed = []
        for change in deletes:
            try:
                await tenant.write(change)
            except PbxError as exc:
                failed.append(f"{change.kind} {'/'.join(change.key)}: {exc}")
        left = await self._read(dialect, self.desired, {})
        return failed + [f"{r.kind} {'/'.join(r.key)} is still there" for r in left if self.desired.get(r.kind, r.key)]

    async def _read(self, dialect: Dialect, desired: State, prune: dict[str, bool]) -> State:
        self.provider.api.forget()
        scope = Scope(self.domain, "US", Path(), desired, prune)
        return await NetSapiensTenant(self.provider.api, scope, dialect).read()


def report(results: list[Result]) -> list[str]:
    """Per check its verdict and, for one that does not hold, the writes and what fixes it."""
    lines = []
    for result in results:
        o = result.outcome
        lines.append(f"{o.verdict:<9} {result.check}" + (f": {o.refused}" if o.refused else ""))
        if o.held:
            continue
        lines += [f"            {d}" for d in o.differences]
        lines += [f"            {line}" for ex in o.writes[-3:] for line in ex.lines()]
        if result.fixes:
            lines += [f"            holds with dialect setting {k} = {v!r}" for k, v in result.fixes.items()]
        else:
            lines.append("            no dialect setting makes it hold")
    fixes = {k: v for r in results for k, v in r.fixes.items()}
    if fixes:
        lines += ["", "Dialect settings that make the differing or refused checks hold (profile `dialect:`):"]
        lines += _yaml_lines(fixes)
    return lines


def _yaml_lines(fixes: dict[str, str]) -> list[str]:
    nested: dict[str, Any] = {}
    for dotted, value in sorted(fixes.items()):
        *parents, leaf = dotted.split(".")
        node = nested
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    out = ["dialect:"]

    def walk(node: dict[str, Any], depth: int) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                out.append("  " * depth + f"{key}:")
                walk(value, depth + 1)
            else:
                out.append("  " * depth + f"{key}: {json.dumps(value)}")

    walk(nested, 1)
    return out


def _difference(change: Change) -> str:
    where = f"{change.kind} {'/'.join(change.key)}"
    if change.action == "create":
        return f"{where}: not found when read back"
    assert change.before is not None and change.after is not None
    parts = [
        f"{n}: wrote {_shown(change.after.get(n))}, read back {_shown(change.before.get(n))}" for n in change.changed
    ]
    return f"{where}: " + "; ".join(parts)


def _mentions(write: Exchange, owner: str) -> bool:
    return f"/{owner}" in write.path or f'"{owner}"' in json.dumps(write.request)


def _get(dialect: Dialect, setting: str) -> Any:
    node: Any = dialect
    for part in setting.split("."):
        node = getattr(node, part)
    return node


def _with(dialect: Dialect, setting: str, value: str) -> Dialect:
    """A copy of `dialect` with one (dotted) setting changed, validated like a profile's."""
    data = dialect.model_dump()
    *parents, leaf = setting.split(".")
    node = data
    for p in parents:
        node = node[p]
    node[leaf] = value
    return Dialect.model_validate(data)


def _body(content: bytes) -> Any:
    if not content:
        return None
    try:
        return _masked(json.loads(content))
    except ValueError:
        return "(not JSON)"


def _masked(value: Any) -> Any:
    """Secrets (PINs, passwords, tokens) replaced by `***`, at any depth."""
    if isinstance(value, dict):
        return {
            k: ("***" if any(w in str(k).lower() for w in SECRET_WORDS) and v not in ("", None) else _masked(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if value is not None else ""
    return text if len(text) <= 400 else text[:399] + "…"


async def run(
    provider: NetSapiensProvider, domain: str, allow_existing: bool, resolve_yaml: Callable[[str], State]
) -> tuple[list[str], bool, list[str]]:
    """The whole selftest: (report lines, whether some check failed, objects it could not delete)."""
    test = Selftest(provider, domain, resolve_yaml)
    await test.preflight(allow_existing)
    try:
        results = await test.run()
    finally:
        leftovers = await test.cleanup()
    lines = report(results)
    held = sum(1 for r in results if r.outcome.held)
    lines.append(f"{held} of {len(results)} checks held; the objects made in {domain} were deleted.")
    return lines, held < len(results), leftovers
