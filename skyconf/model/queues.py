"""Call queues (`call_queues:`), keyed by the queue's extension; agents are user extensions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from skyconf.model.base import Build, Export, Needs, Strict, YamlPath
from skyconf.model.kinds import Kind, Section, register, register_section
from skyconf.model.users import USER

Dispatch = Literal["round_robin", "tiered_round_robin", "ring_all", "linear_cascade", "linear_hunt", "call_park"]


class CallQueue(Strict):
    """Call queues, keyed by extension: how callers are handed to agents."""

    description: str | None = None
    """The queue's name, shown in the portal."""
    dispatch: Dispatch | None = None
    """How callers are handed to agents."""
    agent_timeout: int | None = Field(None, ge=1, le=3600)
    """Seconds an agent's phone rings before the next agent is tried."""
    max_wait_minutes: int | None = Field(None, ge=0, le=1440)
    """Minutes a caller may wait in the queue (0 = no limit)."""
    agents: list[str] | None = None
    """Agents, by user extension; the order is the dispatch order (linear hunt / cascade)."""

    @field_validator("agents", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value


CALL_QUEUE = register(
    Kind(
        "call_queue",
        "call queue",
        ("extension",),
        depends_on=(USER,),
        display_fields=("description",),
        prune_key="call_queues",
    )
)


def queue_resources(build: Build) -> None:
    for ext, queue in CALL_QUEUES.of(build.tenant).items():
        path: YamlPath = ("call_queues", ext)
        needs: Needs = set()
        fields: dict[str, Any] = {
            name: getattr(queue, name)
            for name in ("description", "dispatch", "agent_timeout", "max_wait_minutes")
            if getattr(queue, name) is not None
        }
        if queue.agents is not None:
            agents: list[str] = []
            for i, agent in enumerate(queue.agents):
                apath = (*path, "agents", i)
                if agent in agents:
                    build.fail(apath, f"agent {agent} is listed twice")
                elif build.user_extension(agent, apath, needs) is not None:
                    agents.append(agent)
            fields["agents"] = agents
        build.add(CALL_QUEUE, (ext,), fields, path, needs)


def queue_yaml(fields: dict[str, Any]) -> dict[str, Any]:
    """A live call queue as YAML, agents in dispatch order."""
    out: dict[str, Any] = {
        name: fields[name]
        for name in ("description", "dispatch", "agent_timeout", "max_wait_minutes")
        if fields.get(name) is not None
    }
    if fields.get("agents") is not None:
        out["agents"] = list(fields["agents"])
    return out


def queue_export(ex: Export) -> dict[str, Any]:
    """The live queues as YAML; agents that are not imported users are left out."""
    out: dict[str, Any] = {}
    for r in ex.live.of_kind(CALL_QUEUE.name):
        fields = dict(r.fields)
        if fields.get("agents") is not None:
            agents = list(dict.fromkeys(a for a in fields["agents"] if a in ex.users))
            if len(agents) != len(fields["agents"]):
                ex.note(f"call queue {r.key[0]}: agents that are not imported users were left out")
            fields["agents"] = agents
        data = ex.validated(CallQueue, queue_yaml(fields), f"call queue {r.key[0]}")
        if data is not None:
            out[r.key[0]] = data
    return out


CALL_QUEUES: Section[dict[str, CallQueue]] = register_section(
    Section(
        "call_queues",
        dict[str, CallQueue],
        dict,
        "call_queues.yaml",
        build=queue_resources,
        order=51,
        export=queue_export,
        extension_kind=CALL_QUEUE,
        extension_word="call queue",
        targets=("queue",),
    )
)
