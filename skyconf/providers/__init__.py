"""Live PBX access behind one small interface, chosen by a connection profile's `provider:`.

A provider connects from a profile (`connect`), and then:
- `tenant(scope)` gives a connection for one tenant: `read()` its live state (only the kinds and
  owners in scope) and `write(change)` one change at a time;
- `read_domain(...)` reads everything a domain has, for `skyconf import`;
- `close()` ends the connection.

Optional: `request_stats`, a dict of domain -> `RequestStats`, what this command has sent so far for
each domain (progress lines and `-v` read it; a provider without it shows no counts).

Optional capability (see `CallHistory`): `calls(domain, start, end, users)` streams the call records
of a domain (or of some users) as `skyconf.calls.records.CallRecord`s; `skyconf calls` and
`skyconf verify` need it and say so when a provider lacks it.

Nothing outside a provider's own package knows its paths, field names or authentication. The
State it returns speaks skyconf's words (see `skyconf.resources`).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from skyconf.errors import SkyconfError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from skyconf.calls.records import CallRecord
    from skyconf.config import Profile
    from skyconf.plan import Change
    from skyconf.resources import Key, State


@dataclass
class Scope:
    """What a provider may know of one tenant: its domain, the country its numbers are read in, its
    folder (for files it uploads), the desired state (which objects and owners to read) and which
    kinds it prunes (those are read in full). With `only` (a scoped plan) the provider reads those
    objects and no others: the kinds they are of, and owned kinds only under the owners listed;
    the desired state still describes the whole tenant, for writes that must know it."""

    domain: str
    country: str
    folder: Path
    desired: State
    prune: Mapping[str, bool] = field(default_factory=dict)
    only: frozenset[tuple[str, Key]] | None = None


@dataclass
class RequestStats:
    """What one command sent to a PBX for one domain. `total` is kept beside `methods` because a
    progress display reads it from another thread, and reading one int is safe where iterating a
    dict that grows is not."""

    methods: dict[str, int] = field(default_factory=dict)
    total: int = 0
    retries: int = 0

    def count(self, method: str) -> None:
        self.methods[method] = self.methods.get(method, 0) + 1
        self.total += 1


class Connection(Protocol):
    """One tenant's view of a PBX."""

    async def read(self) -> State: ...

    async def write(self, change: Change) -> None: ...


class Provider(Protocol):
    """One open PBX."""

    def tenant(self, scope: Scope) -> Connection: ...

    async def read_domain(self, domain: str, country: str, folder: Path) -> State:
        """Everything the domain has, in every kind (raises SkyconfError when the domain is missing)."""
        ...

    async def close(self) -> None: ...


class CallHistory(Protocol):
    """A provider that can read call records (optional: check with `supports_calls`)."""

    def calls(
        self, domain: str, start: dt.datetime, end: dt.datetime, users: Sequence[str] = (), country: str = "US"
    ) -> AsyncIterator[CallRecord]:
        """The calls that started in [start, end), in start order, page by page (memory stays flat)."""
        ...


def supports_calls(provider: object) -> bool:
    return callable(getattr(provider, "calls", None))


# The provider a profile uses unless it names one.
DEFAULT_PROVIDER = "netsapiens"


@dataclass(frozen=True)
class Entry:
    """A provider: how to open a PBX from a profile, and the model of the profile keys it adds
    (say, a dialect), which skyconf.yaml is validated with."""

    connect: Callable[[Profile], Provider]
    options: type[BaseModel]


# provider name -> its Entry, or the module that defines `connect` and `Options` (imported on first use).
_REGISTRY: dict[str, str | Entry] = {DEFAULT_PROVIDER: "skyconf.providers.netsapiens"}


def register(name: str, entry: str | Entry) -> None:
    """Make `provider: NAME` in a profile open PBXs with `entry`."""
    _REGISTRY[name] = entry


def names() -> list[str]:
    return sorted(_REGISTRY)


def entry(name: str) -> Entry | None:
    found = _REGISTRY.get(name)
    if isinstance(found, str):
        module = importlib.import_module(found)
        found = _REGISTRY[name] = Entry(module.connect, module.Options)
    return found


def connect(profile: Profile) -> Provider:
    found = entry(profile.provider)
    if found is None:
        known = ", ".join(names())
        raise SkyconfError(f"profile '{profile.name}': unknown provider '{profile.provider}' (known: {known})")
    return found.connect(profile)
