"""Kinds and sections: the one declaration of each thing a tenant manages.

A `Kind` is what the diff sees: objects with a key and plain comparable fields. Its declaration says
which of its fields are secrets (compared but never printed), which kinds must exist before it,
whether live objects the YAML does not mention are pruned by default and under which `prune:` key
a tenant can say otherwise, which object a reader groups it under (a user's rules belong to the
user), and whether it is created and deleted only with its owner.

A `Section` is a top-level key of the tenant YAML: its pydantic type, the file `skyconf import`
writes it to, how it becomes resources (`build`) and how live resources become YAML again
(`export`); when its keys are extensions, the word for them and the target prefix that forwards to
them (`queue:400`).

Each model module declares its kinds and sections next to its models; `skyconf.model` imports every
module of the package, so importing anything from it registers them all. Nothing else lists kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

if TYPE_CHECKING:
    from skyconf.model.base import Build, Export
    from skyconf.resources import Key

T = TypeVar("T")


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    key_names: tuple[str, ...]
    depends_on: tuple[Kind, ...] = ()
    secret_fields: frozenset[str] = frozenset()
    prune_default: bool = False
    # The `prune:` key that overrides prune_default (None: the tenant cannot change it).
    prune_key: str | None = None
    # Kinds whose objects are parts of another's (a user's rules); plans list them under it.
    owner: Kind | None = None
    # Objects that are never deleted on their own, only created with their owner and updated.
    singleton: bool = False
    # Fields that name the object for a reader (shown next to its key in plans).
    display_fields: tuple[str, ...] = ()
    # Its fields name forward targets, so it comes after every kind a target can name.
    uses_targets: bool = False

    def ref(self, *key: str) -> tuple[str, Key]:
        """How a resource of this kind is named in `needs` and lookups."""
        return (self.name, key)

    @property
    def owner_kind(self) -> str | None:
        return self.owner.name if self.owner else None

    def label(self, key: Key) -> str:
        return " / ".join(key)

    def describe(self, key: Key, fields: Mapping[str, Any] | None) -> str:
        names = [str(fields[f]) for f in self.display_fields if fields and fields.get(f)]
        return f"{self.title} {self.label(key)}" + (f" ({' '.join(names)})" if names else "")


@dataclass(frozen=True)
class Section(Generic[T]):
    """A top-level key of the tenant YAML (see the module docstring)."""

    name: str
    annotation: Any
    default: Callable[[], T]
    # The file `skyconf import` writes this section to in a new folder.
    file: str
    # Adds the section's resources; sections are built in `order`.
    build: Callable[[Build], None] | None = None
    order: int = 50
    # Turns the live state back into this section's YAML (None: leave the section out).
    export: Callable[[Export], Any] | None = None
    # When the section's keys are extensions: the kind each one is, the word for it in messages,
    # and the target prefixes that forward to it (`queue:400`; none: not a forward target).
    extension_kind: Kind | None = None
    extension_word: str = ""
    targets: tuple[str, ...] = ()
    # When the section's keys have several spellings (MACs, phone numbers): key, country -> the one
    # spelling, so import matches a file's keys with the PBX's.
    canonical_key: Callable[[str, str], str] | None = None
    # A one-line description for the schema and editors, and an example value of the section.
    description: str = ""
    example: Any = None

    def of(self, tenant: Any) -> T:
        """This section's value in a loaded tenant."""
        return cast(T, getattr(tenant, self.name))


KINDS: dict[str, Kind] = {}
SECTIONS: dict[str, Section[Any]] = {}
# Bumped by every registration, so what is derived from the registries is derived again.
_generation = [0]


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    _generation[0] += 1
    return kind


def register_section(section: Section[T]) -> Section[T]:
    SECTIONS[section.name] = section
    _generation[0] += 1
    return section


def unregister(*names: str) -> None:
    """Forget kinds and sections by name (tests that declare a kind of their own)."""
    for name in names:
        KINDS.pop(name, None)
        SECTIONS.pop(name, None)
    _generation[0] += 1


def generation() -> int:
    return _generation[0]


def kind(name: str) -> Kind:
    return KINDS[name]


def target_kinds() -> dict[str, Kind]:
    """Target prefix -> the kind of extension it forwards to, for sections that are forward targets."""
    return {t: s.extension_kind for s in extension_sections() for t in s.targets if s.extension_kind}


def target_sections() -> dict[str, Section[Any]]:
    """Target prefix -> the section declaring the extensions it names."""
    return {t: s for s in extension_sections() for t in s.targets}


def extension_sections() -> list[Section[Any]]:
    """Sections whose keys are extensions (one extension belongs to one of them)."""
    return sorted((s for s in SECTIONS.values() if s.extension_kind), key=lambda s: (s.order, s.name))


def prune_keys() -> dict[str, Kind]:
    """`prune:` key -> the kind it prunes."""
    return {k.prune_key: k for k in KINDS.values() if k.prune_key}


def dependencies(k: Kind) -> set[str]:
    names = {d.name for d in k.depends_on}
    if k.uses_targets:
        names |= {t.name for t in target_kinds().values() if t.name != k.name}
    return names


def dependency_levels() -> dict[str, int]:
    """Level of each kind: 0 for kinds with no dependencies, else one more than its deepest dependency."""
    if _levels_at[0] != generation():
        _LEVELS.clear()
        _LEVELS.update(_levels())
        _levels_at[0] = generation()
    return _LEVELS


_LEVELS: dict[str, int] = {}
_levels_at = [-1]


def _levels() -> dict[str, int]:
    levels: dict[str, int] = {}

    def level(name: str, seen: tuple[str, ...] = ()) -> int:
        if name in seen:
            raise ValueError(f"dependency cycle among kinds: {' -> '.join((*seen, name))}")
        if name not in levels:
            deps = [d for d in dependencies(KINDS[name]) if d in KINDS]
            levels[name] = 1 + max((level(d, (*seen, name)) for d in deps), default=-1)
        return levels[name]

    for name in KINDS:
        level(name)
    return levels


def depends_on(k: Kind, other: str) -> bool:
    return other in dependencies(k)


def mask(kind_name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields with secret values replaced by a fixed mask (for any output meant for people or files)."""
    secrets = KINDS[kind_name].secret_fields
    return {k: ("(secret)" if k in secrets and v not in (None, "") else v) for k, v in fields.items()}
