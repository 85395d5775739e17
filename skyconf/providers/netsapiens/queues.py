"""Call queues <-> /domains/{domain}/callqueues and their agents (…/callqueues/{queue}/agents).

The queue's settings are the spec's `Callqueue` fields; its agents are `user@domain` agent ids whose
`callqueue-agent-dispatch-order-ordinal` (1, 2, ...) follows the YAML's order. Agents are read only
for declared queues (one list per queue, fetched together).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from skyconf.model.queues import CALL_QUEUE
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import segment
from skyconf.providers.netsapiens.base import Context, Mapping
from skyconf.resources import Resource

DISPATCH = {
    "round_robin": "Round-robin",
    "tiered_round_robin": "Tiered Round-robin",
    "ring_all": "Ring All",
    "linear_cascade": "Linear Cascade",
    "linear_hunt": "Linear Hunt",
    "call_park": "Call Park",
}
# Read case-insensitively: live servers and the vendor's load generator also write `round-robin`.
DISPATCH_IN = {v.lower(): k for k, v in DISPATCH.items()}
COUNTS = {
    "agent_timeout": "callqueue-agent-dispatch-timeout-seconds",
    "max_wait_minutes": "callqueue-max-wait-timeout-minutes",
}
ORDINAL = "callqueue-agent-dispatch-order-ordinal"


class CallQueueMapping(Mapping):
    kind = CALL_QUEUE.name

    def _path(self, ctx: Context, ext: str) -> str:
        return f"{ctx.base}/callqueues/{segment(ext)}"

    async def read(self, ctx: Context) -> list[Resource]:
        queues = await ctx.api.get(f"{ctx.base}/callqueues") or []
        managed = [str(q["callqueue"]) for q in queues if ctx.reads(self.kind, (str(q["callqueue"]),))]
        agent_lists = await asyncio.gather(*(self._agents(ctx, ext) for ext in managed))
        agents = dict(zip(managed, agent_lists, strict=True))
        out: list[Resource] = []
        for q in queues:
            ext = str(q["callqueue"])
            fields = _fields(q)
            if ext in agents:
                fields["agents"] = agents[ext]
            out.append(Resource(self.kind, (ext,), fields))
        return out

    async def _agents(self, ctx: Context, ext: str, fresh: bool = False) -> list[str]:
        path = f"{self._path(ctx, ext)}/agents"
        items = (await ctx.api.request("GET", path) if fresh else await ctx.api.get(path)) or []
        ordered = sorted(items, key=lambda a: (_int(a.get(ORDINAL)), str(a["callqueue-agent-id"])))
        return [str(a["callqueue-agent-id"]).partition("@")[0] for a in ordered]

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext = change.key[0]
        body = {"synchronous": "yes", "callqueue": ext, "domain": ctx.domain, **_body(change.after)}
        # Its agents are added next: a 202 is waited out until the queue reads back.
        if await ctx.api.post_new(
            f"{ctx.base}/callqueues", body, listed=lambda q: str(q.get("callqueue")) == ext, settle=True
        ):
            await self._set_agents(ctx, ext, [], change.after.get("agents"))
        else:
            await self.update(ctx, change)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext = change.key[0]
        body = _body({k: v for k, v in change.after.items() if k in change.changed or not change.before})
        if body:
            await ctx.api.request("PUT", self._path(ctx, ext), json=body)
        if "agents" in change.after:
            have = change.before.get("agents") if change.before else None
            if have is None:
                have = await self._agents(ctx, ext, fresh=True)
            await self._set_agents(ctx, ext, have, change.after["agents"])

    async def _set_agents(self, ctx: Context, ext: str, have: list[str], want: list[str] | None) -> None:
        if want is None:
            return
        path = f"{self._path(ctx, ext)}/agents"
        for agent in have:
            if agent not in want:
                await ctx.api.request("DELETE", f"{path}/{segment(self._agent_id(ctx, agent))}", missing_ok=True)
        for position, agent in enumerate(want, start=1):
            agent_id = self._agent_id(ctx, agent)
            if agent not in have:
                body = {"synchronous": "yes", "callqueue-agent-id": agent_id, ORDINAL: position}
                if not await ctx.api.post_new(path, body, listed=_agent_listed(agent_id)):
                    await ctx.api.request("PUT", f"{path}/{segment(agent_id)}", json={ORDINAL: position})
            elif have.index(agent) + 1 != position:
                await ctx.api.request("PUT", f"{path}/{segment(agent_id)}", json={ORDINAL: position})

    def _agent_id(self, ctx: Context, ext: str) -> str:
        return f"{ext}@{ctx.domain}"

    async def delete(self, ctx: Context, change: Change) -> None:
        await ctx.api.request("DELETE", self._path(ctx, change.key[0]), missing_ok=True)


def _agent_listed(agent_id: str) -> Callable[[dict[str, Any]], bool]:
    """Recognises the agent in the queue's agent list (a retried create looks for it first)."""
    return lambda item: str(item.get("callqueue-agent-id")) == agent_id


def _int(value: Any) -> int:
    return int(value) if str(value).isdigit() else 0


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "description": str(item.get("description") or "") or None,
        "dispatch": DISPATCH_IN.get(str(item.get("callqueue-dispatch-type") or "").strip().lower()),
    }
    for name, api in COUNTS.items():
        value = item.get(api)
        fields[name] = int(str(value)) if str(value).isdigit() else None
    return fields


def _body(fields: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "description":
            body["description"] = value or ""
        elif name == "dispatch":
            body["callqueue-dispatch-type"] = DISPATCH[value]
        elif name in COUNTS and value is not None:
            body[COUNTS[name]] = value
    return body
