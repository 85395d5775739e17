"""The NetSapiens API v2 provider: the only code that knows the vendor's paths and field names."""

from __future__ import annotations

import asyncio

from skyconf.plan import Change
from skyconf.providers.netsapiens.answerrules import AnswerRuleMapping, AnswerRuleOrderMapping
from skyconf.providers.netsapiens.api import Api
from skyconf.providers.netsapiens.attendants import AutoAttendantMapping
from skyconf.providers.netsapiens.base import Context, Mapping
from skyconf.providers.netsapiens.conferences import ConferenceMapping
from skyconf.providers.netsapiens.contacts import ContactMapping, UserContactMapping
from skyconf.providers.netsapiens.moh import (
    MohFileMapping,
    MohPlaylistMapping,
    UserMohFileMapping,
    UserMohPlaylistMapping,
)
from skyconf.providers.netsapiens.phones import PhoneMapping
from skyconf.providers.netsapiens.queues import CallQueueMapping
from skyconf.providers.netsapiens.timeframes import TimeFrameMapping, UserTimeFrameMapping
from skyconf.providers.netsapiens.users import DomainMapping, UserMapping
from skyconf.resolve import Desired
from skyconf.resources import KINDS, State

MAPPINGS: dict[str, Mapping] = {
    m.kind: m
    for m in (
        DomainMapping(),
        UserMapping(),
        TimeFrameMapping(),
        UserTimeFrameMapping(),
        AnswerRuleMapping(),
        AnswerRuleOrderMapping(),
        ContactMapping(),
        UserContactMapping(),
        MohFileMapping(),
        MohPlaylistMapping(),
        UserMohFileMapping(),
        UserMohPlaylistMapping(),
        ConferenceMapping(),
        CallQueueMapping(),
        AutoAttendantMapping(),
        PhoneMapping(),
    )
}
missing = set(KINDS) - set(MAPPINGS)
assert not missing, f"kinds without a NetSapiens mapping: {missing}"


class NetSapiensTenant:
    """One tenant's view of the PBX: read its live state, write its changes."""

    def __init__(self, api: Api, desired: Desired) -> None:
        tenant = desired.tenant.tenant
        self.ctx = Context(
            api, tenant.domain, tenant.country, desired.state, State(), desired.prune, desired.tenant.folder
        )

    async def read(self) -> State:
        """Live state, every kind concurrently. What a read needs of other kinds is which of their
        owners exist live (a user's rules are read for the users present), so a kind with an owner
        waits for its owner kind's read and nothing else; the rest start at once."""
        self.ctx.live = State()
        reads: dict[str, asyncio.Future[None]] = {}

        async def read_kind(name: str) -> None:
            owner = KINDS[name].owner_kind
            if owner is not None:
                await reads[owner]
            if self._in_scope(name):
                for resource in await MAPPINGS[name].read(self.ctx):
                    self.ctx.live.add(resource)

        # Owners first, so their few requests are not queued behind a thousand per-user ones.
        for name in sorted(KINDS, key=lambda n: KINDS[n].owner_kind is not None):
            reads[name] = asyncio.ensure_future(read_kind(name))
        try:
            await asyncio.gather(*reads.values())
        except BaseException:
            for task in reads.values():
                task.cancel()
            raise
        return self.ctx.live

    def _in_scope(self, kind_name: str) -> bool:
        """Read a kind only when the tenant declares some of it or prunes it: nothing else can change."""
        ctx = self.ctx
        return bool(ctx.desired.keys(kind_name)) or ctx.prune.get(kind_name, KINDS[kind_name].prune_default)

    async def write(self, change: Change) -> None:
        mapping = MAPPINGS[change.kind]
        if change.action == "create":
            await mapping.create(self.ctx, change)
        elif change.action == "update":
            await mapping.update(self.ctx, change)
        else:
            await mapping.delete(self.ctx, change)
