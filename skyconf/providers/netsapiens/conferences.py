"""Conferences <-> /domains/{domain}/conferences/{conference}.

Two request shapes exist, chosen by the dialect's `conference_body`:
- `object` (default): the spec's examples, the only request shape the vendor shows: one JSON object
  with `conference` (the bridge extension), `name`, `conference_type: "dedicated"`, `owner`, the pins,
  yes/no switches and integer counts (`max_participants`, `quorum`). An update sends the changed keys.
- `array`: the spec's `Conference` schema (the response type, reused for requests): a one-item array
  of an all-string object naming the bridge by `aor` (`sip:<ext>@<domain>`).
Responses name the bridge by `aor` (or `conference`). A PUT sends the changed fields only (the PBX merges).
"""

from __future__ import annotations

from typing import Any

from skyconf.model.conferences import CONFERENCE
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import segment
from skyconf.providers.netsapiens.base import Context, Mapping, is_yes, yes
from skyconf.resources import Resource

TEXT = {"name": "name", "owner": "owner", "leader_pin": "leader_pin", "participant_pin": "participants_pin"}
COUNTS = {"max_participants": "max_participants", "quorum": "quorum"}
SWITCHES = {"leader_required": "leader_required", "announce_participants": "annc_part", "request_name": "request_name"}


def conference_extension(item: dict[str, Any]) -> str:
    aor = str(item.get("aor") or item.get("conference") or "")
    return aor.removeprefix("sip:").partition("@")[0]


class ConferenceMapping(Mapping):
    kind = CONFERENCE.name

    async def read(self, ctx: Context) -> list[Resource]:
        items = await ctx.api.get(f"{ctx.base}/conferences") or []
        return [
            Resource(self.kind, (conference_extension(item),), _fields(item))
            for item in items
            if conference_extension(item)
        ]

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext = change.key[0]
        body: Any
        if ctx.dialect.conference_body == "object":
            body = {"conference": ext, "conference_type": "dedicated", **_object_body(change.after)}
        else:
            body = [{"aor": f"sip:{ext}@{ctx.domain}", **_body(change.after)}]
        if not await ctx.api.post_new(
            f"{ctx.base}/conferences", body, listed=lambda item: conference_extension(item) == ext, settle=True
        ):
            await self.update(ctx, change)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        path = f"{ctx.base}/conferences/{segment(change.key[0])}"
        changed = {k: v for k, v in change.after.items() if k in change.changed or change.before is None}
        body = _object_body(changed) if ctx.dialect.conference_body == "object" else [_body(changed)]
        await ctx.api.request("PUT", path, json=body)

    async def delete(self, ctx: Context, change: Change) -> None:
        await ctx.api.request("DELETE", f"{ctx.base}/conferences/{segment(change.key[0])}", missing_ok=True)


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        name: (str(item[api]) if item.get(api) not in (None, "") else None) for name, api in TEXT.items()
    }
    for name, api in COUNTS.items():
        value = str(item.get(api, "")).strip()
        fields[name] = int(value) if value.isdigit() else None
    for name, api in SWITCHES.items():
        fields[name] = is_yes(item.get(api, "no"))
    return fields


def _body(fields: dict[str, Any]) -> dict[str, str]:
    body: dict[str, str] = {}
    for name, value in fields.items():
        if name in TEXT:
            body[TEXT[name]] = str(value or "")
        elif name in COUNTS:
            body[COUNTS[name]] = str(value) if value is not None else ""
        elif name in SWITCHES:
            body[SWITCHES[name]] = yes(value)
    return body


def _object_body(fields: dict[str, Any]) -> dict[str, Any]:
    """The spec example's shape: the same keys, counts as integers (an empty string clears one)."""
    body: dict[str, Any] = dict(_body(fields))
    for name, api in COUNTS.items():
        if fields.get(name) is not None:
            body[api] = int(fields[name])
    return body
