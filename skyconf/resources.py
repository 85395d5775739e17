"""Resources and State: what a desired or live PBX object looks like to the diff.

A Resource is a kind's name, a key and a dict of plain JSON-comparable fields (str, int, bool, None,
lists, dicts). The diff compares only the fields the desired resource carries, so a field the YAML
leaves out is left alone on the PBX. The kinds themselves are declared in `skyconf.model.kinds`.
"""

from __future__ import annotations

import sys
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, ...]
Fields = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a desired resource was declared, so errors the PBX raises can point back at the YAML."""

    file: str
    line: int
    column: int = 1
    # The dotted YAML path of the declaration (`users.101.answering_rules.Holiday`).
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}" if self.path else where


class _NoMeta(dict[str, Any]):
    """The meta of every resource that has none (all desired ones): one shared empty dict that
    refuses changes. Each had its own: 65,000 empty dicts in a 5,000-user plan."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("this resource has no meta of its own; give it a dict")

    __setitem__ = __delitem__ = setdefault = update = pop = popitem = clear = __ior__ = _refuse


NO_META: dict[str, Any] = _NoMeta()


@dataclass(slots=True)
class Resource:
    kind: str
    key: Key
    fields: Fields
    # Desired resources this one needs (e.g. a rule needs its user and time frame), for skipping
    # dependants when a write fails.
    needs: frozenset[tuple[str, Key]] = frozenset()
    source: Source | None = None
    # The provider's own data about a live object (its id, its wire type); never compared or shown.
    meta: dict[str, Any] = field(default_factory=lambda: NO_META)

    @property
    def ref(self) -> tuple[str, Key]:
        return (self.kind, self.key)


@dataclass
class State:
    """All resources of one tenant, desired or live, by (kind, key); indexed by kind for fast lookups."""

    resources: dict[tuple[str, Key], Resource] = field(default_factory=dict)
    _by_kind: dict[str, dict[Key, Resource]] | None = field(default=None, repr=False, compare=False)
    # Per kind asked for: first key part -> its resources, in key order (see under).
    _by_owner: dict[str, dict[str, list[Resource]]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, resources: Iterable[Resource]) -> State:
        state = cls()
        for r in resources:
            state.add(r)
        return state

    def add(self, resource: Resource) -> None:
        if resource.ref in self.resources:
            raise ValueError(f"duplicate {resource.kind} {resource.key}")
        self.resources[resource.ref] = resource
        self._by_kind = self._by_owner = None

    def get(self, kind_name: str, key: Key) -> Resource | None:
        return self.resources.get((kind_name, key))

    def of_kind(self, kind_name: str) -> list[Resource]:
        """The resources of one kind, sorted by key."""
        return [r for _, r in sorted(self._kinds().get(kind_name, {}).items())]

    def keys(self, kind_name: str) -> set[Key]:
        return set(self._kinds().get(kind_name, {}))

    def under(self, kind_name: str, first: str) -> list[Resource]:
        """The resources of a kind whose key starts with `first` (say, one user's contacts)."""
        if self._by_owner is None:
            self._by_owner = {}
        owners = self._by_owner.get(kind_name)
        if owners is None:  # indexed when first asked for: most kinds never are
            owners = self._by_owner[kind_name] = {}
            for key, r in sorted(self._kinds().get(kind_name, {}).items()):
                owners.setdefault(key[0], []).append(r)
        return owners.get(first, [])

    def _kinds(self) -> dict[str, dict[Key, Resource]]:
        if self._by_kind is None:
            self._by_kind = {}
            for (k, key), r in self.resources.items():
                self._by_kind.setdefault(k, {})[key] = r
        return self._by_kind

    def restricted(self, refs: Container[tuple[str, Key]]) -> State:
        """The resources whose (kind, key) is in `refs` (a scoped plan's objects)."""
        return State({ref: r for ref, r in self.resources.items() if ref in refs})

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources.values())

    def __len__(self) -> int:
        return len(self.resources)


def share_strings(container: dict[Any, Any] | list[Any]) -> None:
    """Equal strings of resources' fields become one object (in place, recursively). The desired
    and the live state of a tenant hold the same names, numbers, targets and phone configs, and the
    JSON parser makes a new string for every value of 65,000 live objects."""
    items = container.items() if isinstance(container, dict) else enumerate(container)
    for key, value in items:
        if value.__class__ is str:
            container[key] = sys.intern(value)
        elif isinstance(value, (dict, list)):
            share_strings(value)
