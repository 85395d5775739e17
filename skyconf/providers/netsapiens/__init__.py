"""The NetSapiens API v2 provider: the only code that knows the vendor's paths and field names.

`connect(profile)` opens a PBX: a remote one over HTTPS, or the embedded sandbox (the same API served
in-process from a local SQLite file) when the profile has no URL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import pkgutil
import urllib.request
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from pydantic import Field

from skyconf.errors import SkyconfError
from skyconf.model.base import Strict
from skyconf.model.kinds import KINDS
from skyconf.plan import Change
from skyconf.providers import RequestStats, Scope
from skyconf.providers.netsapiens.api import Api, for_domain
from skyconf.providers.netsapiens.base import MAPPINGS, Context
from skyconf.providers.netsapiens.cdrs import read_calls
from skyconf.providers.netsapiens.dialect import Dialect
from skyconf.providers.netsapiens.oauth import Credentials, OAuth, OAuthOptions
from skyconf.providers.netsapiens.transport import Lane, LaneTransport
from skyconf.resources import Resource, State, share_strings

if TYPE_CHECKING:
    from skyconf.calls.records import CallRecord
    from skyconf.config import Profile


class Options(Strict):
    """What a NetSapiens profile in skyconf.yaml may add to the common keys."""

    # Wire spellings where PBXs differ (see docs/api-evidence.md and dialect.py).
    dialect: Dialect = Field(default_factory=Dialect)
    # OAuth password grant instead of an API key: names of the environment variables with the credentials.
    oauth: OAuthOptions | None = None


class NetSapiensTenant:
    """One tenant's view of the PBX: read its live state, write its changes."""

    def __init__(self, api: Api, scope: Scope, dialect: Dialect | None = None) -> None:
        self.ctx = Context(
            api,
            scope.domain,
            scope.country,
            scope.desired,
            State(),
            dict(scope.prune),
            scope.folder,
            dialect=dialect or Dialect(),
            only=scope.only,
        )

    async def read(self) -> State:
        """Live state, every kind concurrently. What a read needs of other kinds is which of their
        owners exist live (a user's rules are read for the users present), so a kind with an owner
        waits for its owner kind's read and nothing else; the rest start at once."""
        counted = for_domain.set(self.ctx.domain)
        try:
            return await self._read()
        finally:
            for_domain.reset(counted)

    async def _read(self) -> State:
        self.ctx.live = State()
        reads: dict[str, asyncio.Future[None]] = {}

        async def read_kind(name: str) -> None:
            owner = KINDS[name].owner_kind
            if owner is not None and owner in reads:
                await reads[owner]
            if self._in_scope(name):
                for resource in await MAPPINGS[name].read(self.ctx):
                    share_strings(resource.fields)
                    share_strings(resource.meta)
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
        """Read a kind only when the tenant declares some of it or prunes it: nothing else can change.
        A scoped read reads only the kinds of the objects it lists."""
        ctx = self.ctx
        if ctx.only is not None:
            wanted = any(k == kind_name for k, _ in ctx.only)
        else:
            wanted = bool(ctx.desired.keys(kind_name)) or ctx.prune.get(kind_name, KINDS[kind_name].prune_default)
        if wanted and kind_name not in MAPPINGS:
            raise SkyconfError(f"the NetSapiens provider cannot manage {KINDS[kind_name].title}s")
        return wanted

    async def write(self, change: Change) -> None:
        mapping = MAPPINGS[change.kind]
        counted = for_domain.set(self.ctx.domain)
        try:
            if change.action == "create":
                await mapping.create(self.ctx, change)
            elif change.action == "update":
                await mapping.update(self.ctx, change)
            else:
                await mapping.delete(self.ctx, change)
        finally:
            for_domain.reset(counted)


class NetSapiensProvider:
    """One PBX: its API (lanes of HTTP connections) and, for the embedded sandbox, its request log."""

    def __init__(self, api: Api, options: Options | None = None, sandbox_log: Any = None) -> None:
        self.api = api
        self.options = options or Options()
        # The embedded sandbox's RequestLog (tests count requests with it), else None.
        self.sandbox_log = sandbox_log

    @property
    def request_stats(self) -> dict[str, RequestStats]:
        """Requests sent so far in this command, by domain (see skyconf.providers)."""
        return self.api.by_domain

    def tenant(self, scope: Scope) -> NetSapiensTenant:
        return NetSapiensTenant(self.api, scope, self.options.dialect)

    async def read_domain(self, domain: str, country: str, folder: Path) -> State:
        """Everything the domain has. A first read lists the objects that own others (users, and
        whatever else has no owner); declaring all of them and pruning every kind then reads the rest."""
        every = dict.fromkeys(KINDS, True)
        first = self.tenant(Scope(domain, country, folder, State.of([Resource("domain", (domain,), {})]), every))
        top = await first.read()
        if top.get("domain", (domain,)) is None:
            raise SkyconfError(f"the PBX has no domain '{domain}'")
        declared: list[Resource] = []
        for name, kind in KINDS.items():
            if kind.owner_kind is None and not kind.singleton:
                declared += [Resource(name, r.key, {}) for r in top.of_kind(name)]
            elif kind.singleton and kind.owner_kind is None:
                declared.append(Resource(name, (domain,), {}))
        owners = {(r.kind, r.key) for r in declared}
        for name, kind in KINDS.items():
            if kind.singleton and kind.owner_kind is not None:
                declared += [Resource(name, key, {}) for (k, key) in sorted(owners) if k == kind.owner_kind]
        return await self.tenant(Scope(domain, country, folder, State.of(declared), every)).read()

    async def selftest(
        self, domain: str, allow_existing: bool, resolve_yaml: Callable[[str], State]
    ) -> tuple[list[str], bool, list[str]]:
        """Write every kind and target form into a scratch domain, read back, compare, clean up (see
        selftest.py): (report lines, whether some check failed, objects left behind)."""
        from skyconf.providers.netsapiens import selftest

        return await selftest.run(self, domain, allow_existing, resolve_yaml)

    def calls(
        self, domain: str, start: dt.datetime, end: dt.datetime, users: Sequence[str] = (), country: str = "US"
    ) -> AsyncIterator[CallRecord]:
        """The domain's (or the users') calls that started in [start, end), streamed page by page."""
        return read_calls(self.api, domain, start, end, users, country)

    async def close(self) -> None:
        await self.api.close()


def connect(profile: Profile) -> NetSapiensProvider:
    """Open the PBX a profile names: `profile.concurrency` HTTP clients of one connection each (see Api).
    With `oauth:` in the profile the lanes share one OAuth session instead of an API key."""
    provider_options = Options.model_validate(profile.options)
    options: dict[str, Any] = {
        "headers": {"Authorization": f"Bearer {profile.api_key}"} if profile.api_key else {},
        "timeout": httpx.Timeout(profile.timeout),
        "limits": httpx.Limits(max_connections=1, max_keepalive_connections=1),
    }
    log = None
    if profile.url is None:
        from skyconf.sandbox.app import create_app
        from skyconf.sandbox.log import RequestLog

        assert profile.sandbox_db is not None
        log = RequestLog(record_bodies=profile.record_bodies)
        app = create_app(profile.sandbox_db, tokens=[profile.api_key or ""], log=log)
        options |= {"transport": httpx.ASGITransport(app=app), "base_url": "http://sandbox/ns-api/v2"}
    else:
        # One TLS context for all lanes: building one takes ~16 ms (it loads the CA bundle).
        options |= {"base_url": profile.url, "verify": httpx.create_ssl_context(verify=profile.verify_tls)}
        if provider_options.oauth is not None:
            credentials = Credentials.from_env(provider_options.oauth, profile.name)
            token_client = httpx.AsyncClient(timeout=options["timeout"], verify=options["verify"])
            options |= {"headers": {}, "auth": OAuth(profile.url, credentials, token_client)}
    lanes: list[httpx.AsyncClient]
    if profile.url is not None and not proxied(profile.url):
        # Each lane on a lean connection of its own (see transport.py). Not when a proxy from the
        # environment applies to the PBX: httpx's default transport honours it, so it stays then.
        lanes = [Lane(**options, transport=LaneTransport(options["verify"])) for _ in range(profile.concurrency)]
    else:
        lanes = [Lane(**options) for _ in range(profile.concurrency)]
    api = Api(lanes)
    if "auth" in options:
        api.extra_clients.append(options["auth"].client)
    return NetSapiensProvider(api, provider_options, log)


def proxied(url: str) -> bool:
    """A proxy from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, less NO_PROXY) applies to `url`."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parts.netloc)


# The mappings of the kinds live in this package's modules (see base.Mapping): import them all. Last,
# so that modules which use this one (selftest) find it complete.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
