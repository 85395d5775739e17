"""Answering rules and their order <-> /domains/{domain}/users/{user}/answerrules.

Both kinds come from the same list read (one GET per user per run). The order is written with
`reorder`, which must name every rule the user has at that moment: rules this apply will delete
later are kept at the end, just before the default rule.
"""

from __future__ import annotations

from typing import Any

from skyconf.model.rules import DEFAULT_RULE
from skyconf.model.users import ANSWER_RULE, ANSWER_RULE_ORDER
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import segment
from skyconf.providers.netsapiens.base import Context, Mapping, is_yes, yes
from skyconf.providers.netsapiens.targets import Targets, targets_for
from skyconf.resources import Resource

FORWARDS = {
    "forward_always": "forward-always",
    "forward_active": "forward-on-active",
    "forward_busy": "forward-on-busy",
    "forward_no_answer": "forward-no-answer",
    "forward_offline": "forward-when-unregistered",
}
SWITCHES = {"do_not_disturb": "do-not-disturb", "call_screening": "call-screening"}
# The PBX names the default rule's time frame `*`; skyconf's State calls it `default`.
WIRE_DEFAULT = "*"


def frame_name(wire: Any) -> str:
    return DEFAULT_RULE if str(wire) == WIRE_DEFAULT else str(wire)


def wire_frame(name: str) -> str:
    return WIRE_DEFAULT if name == DEFAULT_RULE else name


def _in_order(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A user's rules in priority order (both kinds convert the same list, read once per run)."""
    return sorted(rules, key=_priority)


def _priority(rule: dict[str, Any]) -> tuple[int, str]:
    order = rule.get("order", rule.get("ordinal-priority", 99))
    return (int(order) if str(order).isdigit() else 99, str(rule["time-frame"]))


class AnswerRuleMapping(Mapping):
    kind = ANSWER_RULE.name

    async def read(self, ctx: Context) -> list[Resource]:
        targets = await targets_for(ctx)
        return await ctx.per_user(
            "answerrules",
            lambda ext, rules: [
                Resource(self.kind, (ext, frame_name(rule["time-frame"])), rule_fields(ext, rule, targets))
                for rule in _in_order(rules)
            ],
            kind=self.kind,
        )

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext, frame = change.key
        wire = wire_frame(frame)
        body = {"synchronous": "yes", "time-frame": wire, **rule_body(ext, change.after, await targets_for(ctx))}
        if not await ctx.api.post_new(
            f"{ctx.user_path(ext)}/answerrules",
            body,
            listed=lambda rule: str(rule.get("time-frame")) == wire,
            settle=True,
        ):
            await self.update(ctx, change)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext, frame = change.key
        await ctx.api.request(
            "PUT",
            f"{ctx.user_path(ext)}/answerrules/{segment(wire_frame(frame))}",
            json=rule_body(ext, change.after, await targets_for(ctx)),
        )

    async def delete(self, ctx: Context, change: Change) -> None:
        ext, frame = change.key
        path = f"{ctx.user_path(ext)}/answerrules/{segment(wire_frame(frame))}"
        await ctx.api.request("DELETE", path, missing_ok=True)


class AnswerRuleOrderMapping(Mapping):
    kind = ANSWER_RULE_ORDER.name

    async def read(self, ctx: Context) -> list[Resource]:
        return await ctx.per_user(
            "answerrules",
            lambda ext, rules: (
                [Resource(self.kind, (ext,), {"order": [frame_name(r["time-frame"]) for r in _in_order(rules)]})]
                if rules
                else []
            ),
            kind=self.kind,
        )

    async def create(self, ctx: Context, change: Change) -> None:
        await self.update(ctx, change)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        wanted = [n for n in change.after["order"] if n != DEFAULT_RULE]
        leaving = [n for n in (change.before or {}).get("order", []) if n not in wanted and n != DEFAULT_RULE]
        names = [*wanted, *leaving, DEFAULT_RULE]
        body = [{"time-frame": wire_frame(n)} for n in names]
        path = f"{ctx.user_path(change.key[0])}/answerrules"
        status, _ = await ctx.api.send("PUT", f"{path}/reorder", json=body)
        if status == 202:  # accepted, maybe not applied yet: read the order back until it shows

            async def applied() -> bool:
                rules = await ctx.api.request("GET", path) or []
                return [frame_name(r.get("time-frame")) for r in _in_order(rules)][: len(wanted)] == wanted

            await ctx.api.wait_until(path, applied, f"PUT {path}/reorder")


def rule_fields(ext: str, rule: dict[str, Any], targets: Targets) -> dict[str, Any]:
    def feature(name: str) -> dict[str, Any]:
        value = rule.get(name)
        return value if isinstance(value, dict) else {}

    fields: dict[str, Any] = {"enabled": is_yes(rule.get("enabled", "yes"))}
    for name, api_name in SWITCHES.items():
        fields[name] = is_yes(feature(api_name).get("enabled", "no"))
    for name, api_name in FORWARDS.items():
        f = feature(api_name)
        params = f.get("parameters") or []
        fields[name] = targets.decode(params[0]) if is_yes(f.get("enabled", "no")) and params else None
    sim = feature("simultaneous-ring")
    fields["simultaneous_ring"] = (
        targets.decode_sim_ring(ext, list(sim.get("parameters") or [])) if is_yes(sim.get("enabled", "no")) else None
    )
    return fields


def rule_body(ext: str, fields: dict[str, Any], targets: Targets) -> dict[str, Any]:
    body: dict[str, Any] = {"enabled": yes(fields["enabled"])}
    for name, api_name in SWITCHES.items():
        body[api_name] = {"enabled": yes(fields[name])}
    for name, api_name in FORWARDS.items():
        target = fields[name]
        body[api_name] = (
            {"enabled": "yes", "parameters": [targets.encode(target)]}
            if target
            else {"enabled": "no", "parameters": []}
        )
    sim = fields["simultaneous_ring"]
    body["simultaneous-ring"] = (
        {"enabled": "yes", "parameters": targets.encode_sim_ring(ext, sim)}
        if sim
        else {"enabled": "no", "parameters": []}
    )
    return body
