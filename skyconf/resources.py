"""The provider-neutral resource kinds: what a desired or live PBX object looks like to the diff.

A Resource is a kind, a key and a dict of plain JSON-comparable fields (str, int, bool, None, lists,
dicts). The diff compares only the fields the desired resource carries, so a field the YAML leaves
out is left alone on the PBX. Every kind is declared once, here: its key, which of its fields are
secrets (compared but never printed), which kinds must exist before it, and whether live objects
the YAML does not mention are pruned by default.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, ...]
Fields = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    key_names: tuple[str, ...]
    depends_on: tuple[str, ...] = ()
    secret_fields: frozenset[str] = frozenset()
    prune_default: bool = False
    # Kinds whose objects are parts of a user; plans list them under that user.
    owner_kind: str | None = None
    # Objects that are never deleted on their own, only created with their owner and updated.
    singleton: bool = False
    # Fields that name the object for a reader (shown next to its key in plans).
    display_fields: tuple[str, ...] = ()

    def label(self, key: Key) -> str:
        return " / ".join(key)

    def describe(self, key: Key, fields: Mapping[str, Any] | None) -> str:
        names = [str(fields[f]) for f in self.display_fields if fields and fields.get(f)]
        return f"{self.title} {self.label(key)}" + (f" ({' '.join(names)})" if names else "")


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


DOMAIN = register(Kind("domain", "domain settings", ("domain",), singleton=True))
USER = register(
    Kind(
        "user",
        "user",
        ("user",),
        depends_on=("domain",),
        secret_fields=frozenset({"voicemail_pin"}),
        display_fields=("first_name", "last_name"),
    )
)
TIME_FRAME = register(Kind("time_frame", "time frame", ("name",), depends_on=("domain",)))
USER_TIME_FRAME = register(
    Kind(
        "user_time_frame",
        "user time frame",
        ("user", "name"),
        depends_on=("user",),
        prune_default=True,
        owner_kind="user",
    )
)
CONTACT = register(
    Kind(
        "contact",
        "contact",
        ("identity",),
        depends_on=("domain",),
        display_fields=("first_name", "last_name", "company"),
    )
)
USER_CONTACT = register(
    Kind(
        "user_contact",
        "contact",
        ("user", "identity"),
        depends_on=("user",),
        owner_kind="user",
        display_fields=("first_name", "last_name", "company"),
    )
)
# Music on hold: a playlist per scope (the domain, or a user) owns its entries. The playlist exists
# in the desired state only where the YAML declares music on hold, so an undeclared scope's files are
# out of reach; a declared one's list is complete (entries it does not name are deleted).
MOH_PLAYLIST = register(Kind("moh_playlist", "music on hold", ("domain",), depends_on=("moh_file",), singleton=True))
MOH_FILE = register(
    Kind(
        "moh_file",
        "music-on-hold entry",
        ("domain", "entry"),
        depends_on=("domain",),
        prune_default=True,
        owner_kind="moh_playlist",
    )
)
USER_MOH_PLAYLIST = register(
    Kind(
        "user_moh_playlist",
        "music on hold",
        ("user",),
        depends_on=("user_moh_file",),
        owner_kind="user",
        singleton=True,
    )
)
USER_MOH_FILE = register(
    Kind(
        "user_moh_file",
        "music-on-hold entry",
        ("user", "entry"),
        depends_on=("user",),
        prune_default=True,
        owner_kind="user_moh_playlist",
    )
)
CONFERENCE = register(
    Kind(
        "conference",
        "conference",
        ("extension",),
        depends_on=("user",),
        secret_fields=frozenset({"leader_pin", "participant_pin"}),
        display_fields=("name",),
    )
)
CALL_QUEUE = register(
    Kind("call_queue", "call queue", ("extension",), depends_on=("user",), display_fields=("description",))
)
AUTO_ATTENDANT = register(
    Kind(
        "auto_attendant",
        "auto attendant",
        ("extension",),
        depends_on=("user", "time_frame", "call_queue", "conference"),
        display_fields=("name",),
    )
)
ANSWER_RULE = register(
    Kind(
        "answer_rule",
        "answering rule",
        ("user", "time_frame"),
        depends_on=("user", "time_frame", "user_time_frame", "call_queue", "auto_attendant", "conference"),
        prune_default=True,
        owner_kind="user",
    )
)
ANSWER_RULE_ORDER = register(
    Kind(
        "answer_rule_order",
        "answering rule order",
        ("user",),
        depends_on=("answer_rule",),
        owner_kind="user",
        singleton=True,
    )
)


# Desk phones by MAC; `config` is the rendered configuration text (diffed line by line in plans).
PHONE = register(Kind("phone", "phone", ("mac",), depends_on=("user", "contact"), display_fields=("model", "user")))


def kind(name: str) -> Kind:
    return KINDS[name]


def dependency_levels() -> dict[str, int]:
    """Level of each kind: 0 for kinds with no dependencies, else one more than its deepest dependency."""
    if len(_LEVELS) != len(KINDS):
        _LEVELS.clear()
        _LEVELS.update(_levels())
    return _LEVELS


_LEVELS: dict[str, int] = {}


def _levels() -> dict[str, int]:
    levels: dict[str, int] = {}

    def level(name: str, seen: tuple[str, ...] = ()) -> int:
        if name in seen:
            raise ValueError(f"dependency cycle among kinds: {' -> '.join((*seen, name))}")
        if name not in levels:
            deps = [d for d in KINDS[name].depends_on if d in KINDS]
            levels[name] = 1 + max((level(d, (*seen, name)) for d in deps), default=-1)
        return levels[name]

    for name in KINDS:
        level(name)
    return levels


@dataclass(frozen=True)
class Source:
    """Where a desired resource was declared, so errors the PBX raises can point back at the YAML."""

    file: str
    line: int
    column: int = 1


@dataclass
class Resource:
    kind: str
    key: Key
    fields: Fields
    # Desired resources this one needs (e.g. a rule needs its user and time frame), for skipping
    # dependants when a write fails.
    needs: frozenset[tuple[str, Key]] = frozenset()
    source: Source | None = None
    # The provider's own data about a live object (its id, its wire type); never compared or shown.
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> tuple[str, Key]:
        return (self.kind, self.key)


@dataclass
class State:
    """All resources of one tenant, desired or live, by (kind, key); indexed by kind for fast lookups."""

    resources: dict[tuple[str, Key], Resource] = field(default_factory=dict)
    _by_kind: dict[str, dict[Key, Resource]] | None = field(default=None, repr=False, compare=False)
    _by_owner: dict[tuple[str, str], list[Resource]] | None = field(default=None, repr=False, compare=False)

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
            for (k, key), r in sorted(self.resources.items()):
                self._by_owner.setdefault((k, key[0]), []).append(r)
        return self._by_owner.get((kind_name, first), [])

    def _kinds(self) -> dict[str, dict[Key, Resource]]:
        if self._by_kind is None:
            self._by_kind = {}
            for (k, key), r in self.resources.items():
                self._by_kind.setdefault(k, {})[key] = r
        return self._by_kind

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources.values())

    def __len__(self) -> int:
        return len(self.resources)


def mask(kind_name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields with secret values replaced by a fixed mask (for any output meant for people or files)."""
    secrets = KINDS[kind_name].secret_fields
    return {k: ("(secret)" if k in secrets and v not in (None, "") else v) for k, v in fields.items()}
