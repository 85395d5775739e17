"""Conferences <-> /domains/{domain}/conferences/{conference}.

Bodies follow the spec's request schema, which is its `Conference` type: a one-item array of an
object whose fields are all strings (`aor`, `name`, `owner`, `leader_pin`, `participants_pin`,
`max_participants`, `quorum`, `leader_required`, `annc_part`, `request_name`; yes/no for switches).
It has no `conference` key, so a create names the bridge by `aor` (`sip:<ext>@<domain>`); responses
name it the same way. The spec's examples show another form (an object with `conference`,
`conference_type`, `direct_dial` and integer counts) that the schema does not allow. A PUT sends
the changed fields only (the PBX merges).
"""

from __future__ import annotations

from typing import Any

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
    kind = "conference"

    async def read(self, ctx: Context) -> list[Resource]:
        items = await ctx.api.get(f"{ctx.base}/conferences") or []
        return [
            Resource(self.kind, (conference_extension(item),), _fields(item))
            for item in items
            if conference_extension(item)
        ]

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        body = [{"aor": f"sip:{change.key[0]}@{ctx.domain}", **_body(change.after)}]
        if not await ctx.api.post_new(f"{ctx.base}/conferences", body):
            await self.update(ctx, change)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        path = f"{ctx.base}/conferences/{segment(change.key[0])}"
        changed = {k: v for k, v in change.after.items() if k in change.changed or change.before is None}
        await ctx.api.request("PUT", path, json=[_body(changed)])

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
