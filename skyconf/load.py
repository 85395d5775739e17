"""YAML -> model: a tenant folder's files merged into one document that remembers where every value
came from, `${env:NAME}` secrets filled in, then validated by the pydantic models.

Every problem of a stage is collected and reported together, each naming file, line, column and
field: first YAML syntax, then the schema, then (in resolve) the references between objects. While
a file has a YAML error, the other files still get their schema checked (a key the broken file held
is not reported missing); references wait until every file reads.

Tenant files come from many hands, so reading one is bounded, each limit ending in one positioned
problem instead of a hang, a crash or a huge message:
- a file is at most MAX_FILE_BYTES, and holds no control character (C0 but tab and line breaks, DEL,
  C1: a NUL, an ESC sequence) anywhere, comments included;
- aliases are allowed (`*name` repeats what `&name` marked), but the nodes reached through aliases
  are counted while the file becomes data, and more than MAX_ALIAS_NODES in one file is refused: a
  ten-line "billion laughs" alias bomb composes cheaply (aliases share nodes) and is stopped here,
  before it expands. An alias to a collection that contains it is refused too;
- mappings and lists nest at most MAX_DEPTH deep and hold at most MAX_ITEMS entries each;
- tags are refused (`!custom`, `!!python/...`, `!!int`): tenant files are plain YAML 1.2 data.
Texts are bounded by the models (see `skyconf.model.base.text_problem`).

Why this module is long: reading YAML with positions, bounding what a file may cost, merging a
folder's files and filling secrets are one pass over the same node tree; split, each part would
re-walk it or pass the tree's internals around.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import gc
import os
import re
import types
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import BaseResolver

from skyconf.errors import ConfigError, Problem, display_path
from skyconf.model.base import NAME_LIMIT, text_problem
from skyconf.model.tenant import TenantBase, tenant_model

try:  # the C parser ruamel.yaml's own fast loader uses (ruamel.yaml.clib)
    from _ruamel_yaml import CParser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - without it every file takes the full reader
    CParser = None

Path_ = tuple[str | int, ...]
_ENV = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
TENANT_SUFFIXES = (".yaml", ".yml")
# What an unset secret reads as when secrets are not required (digits, so a PIN check passes).
SECRET_STAND_IN = "0000"
MAX_FILE_BYTES = 5_000_000
MAX_ALIAS_NODES = 10_000
MAX_DEPTH = 64
MAX_ITEMS = 20_000
# Steps of a field path a refusal shows (a path 64 levels deep is not read by anyone).
SHOWN_STEPS = 6
_RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
Position = tuple[str, int, int]
# Steps of the paths whose positions a loaded tenant keeps: those of the objects resolve makes
# (`users.101.contacts.0`) but not of their fields (`...contacts.0.work`), which were four in five of
# all positions and are only asked for in messages about one field (then every position is read again).
POSITION_DEPTH = 4
# A key's or item's line and column packed in one int (see _pack): 470,000 of them in a 5,000-user
# tenant, where a (file, line, column) tuple each cost 100 MB.
Packed = int
_COLUMN_BITS = 24


def _pack(line: int, column: int) -> Packed:
    return (line << _COLUMN_BITS) | column


def _unpack(packed: Packed) -> tuple[int, int]:
    return packed >> _COLUMN_BITS, packed & ((1 << _COLUMN_BITS) - 1)


@dataclass
class Document:
    """A tenant's merged YAML as plain data, with the source position of every key and item."""

    folder: Path
    # Emptied once load_tenant has validated it (the models hold the same values).
    data: dict[str, Any] = field(default_factory=dict)
    # Line and column of every key and item (packed); the file is the one of its top-level key.
    positions: dict[Path_, Packed] = field(default_factory=dict)
    # The file each top-level key was read from (else the document's own path: one file).
    files: dict[str | int, str] = field(default_factory=dict)
    # Paths whose value came from ${env:...}: secrets that must never be printed.
    secret_paths: set[Path_] = field(default_factory=set)
    # The values substituted there, scrubbed from every problem message.
    secret_values: set[str] = field(default_factory=set)
    # `positions` holds the paths of at most this many steps (None: all of them); a longer path
    # has every position read again from the files first (see load_tenant and release).
    depth: int | None = None

    def release(self) -> None:
        """Drop the positions of a tenant that is resolved: every resource carries its own source
        by then, and they are asked for again only for a rare late message (a domain two tenants
        declare)."""
        self.positions, self.files, self.depth = {}, {}, 0

    @functools.cached_property
    def shown(self) -> str:
        """The folder as messages show it: worked out once (data without positions, like what import
        checks, is said to be declared at the folder, 13,000 times for a large tenant)."""
        return display_path(self.folder)

    def where(self, path: Path_) -> tuple[str, int, int]:
        if self.depth is not None and len(path) > self.depth:
            again = read_document(self.folder)[0]
            self.positions, self.files, self.depth = again.positions, again.files, None
        for end in range(len(path), 0, -1):
            pos = self.positions.get(tuple(path[:end]))
            if pos is not None:
                file = self.files.get(path[0]) or self.shown
                return (file, *_unpack(pos))
        return (self.shown, 1, 1)

    def problem(self, path: Path_, message: str) -> Problem:
        file, line, column = self.where(path)
        for value in self.secret_values:
            message = message.replace(value, "(secret)")
        return Problem(file, line, column, ".".join(str(p) for p in path), message)


@dataclass
class LoadedTenant:
    name: str
    folder: Path
    tenant: TenantBase
    doc: Document

    def drop_sections(self) -> None:
        """Keep only what every tenant has (domain, connection, country, time zone, prune, safety):
        once resolved, a plan or an apply reads the desired state and nothing else of the models,
        which at 5,000 users hold about 45 MB until the command ends. A section read afterwards is
        an AttributeError, not an empty section."""
        header = {name: getattr(self.tenant, name) for name in TenantBase.model_fields}
        self.tenant = TenantBase.model_construct(**header)


def tenant_folders(paths: list[Path]) -> list[Path]:
    """Each PATH is a tenant folder, or a folder of tenant folders (like `tenants/`)."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise ConfigError([Problem(str(path), 1, 1, "", "no such tenant folder")])
        if _yaml_files(path):
            out.append(path)
            continue
        children = sorted(p for p in path.iterdir() if p.is_dir() and _yaml_files(p))
        if not children:
            raise ConfigError([Problem(str(path), 1, 1, "", "no tenant YAML files here or in its subfolders")])
        out.extend(children)
    return out


def load_tenant(folder: Path, env: Mapping[str, str] | None = None, *, secrets: bool = True) -> LoadedTenant:
    """Load and validate one tenant folder; raises ConfigError listing every problem.

    With `secrets=False` (offline checks, pre-commit) unset variables are not an error: their
    values get a stand-in, and what only the real value could tell is not checked.
    """
    with collector_paused():
        return _load_tenant(folder, os.environ if env is None else env, secrets)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a tenant is read, validated and resolved.

    What is built then (hundreds of thousands of nodes, dicts and models) lives on and makes no
    garbage cycles, yet each of the collector's full passes walks all of it: the passes grew with
    the tenant, so loading was superlinear (5,000 users cost 5.8x 1,000) and half its time was
    spent in them. Reference counting still frees everything that dies meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_tenant(folder: Path, env: Mapping[str, str], secrets: bool) -> LoadedTenant:
    doc, problems = read_document(folder, POSITION_DEPTH)
    partial = bool(problems)  # some file did not read: check the others' schema, nothing more
    secret_problems = fill_secrets(doc, env)
    unchecked = {(p.line, p.column) for p in secret_problems}
    if secrets:
        problems.extend(secret_problems)
    tenant: TenantBase | None = None
    try:
        tenant = tenant_model().model_validate(doc.data)
    except ValidationError as exc:
        # A missing secret is already reported (or unchecked); its stand-in failing validation is not news.
        found = validation_problems(doc, exc, tenant_model(), partial=partial)
        problems.extend(p for p in found if (p.line, p.column) not in unchecked)
        if not problems:
            problems.append(Problem(display_path(folder), 1, 1, "", "cannot be checked without its secrets"))
    if problems or tenant is None:
        raise ConfigError(problems)
    doc.data = {}  # the models hold it now; the positions stay, for messages
    return LoadedTenant(folder.name, folder, tenant, doc)


def read_document(folder: Path, depth: int | None = None) -> tuple[Document, list[Problem]]:
    """Parse and merge the folder's YAML files; a top-level key may appear in one file only. With
    `depth`, common files keep the positions of paths of up to that many steps (see Document.depth).

    Files are composed into nodes by libyaml (through ruamel.yaml's C parser) and turned into plain
    data here, which keeps every key's position at a fraction of the round-trip loader's cost.
    """
    doc = Document(folder, depth=depth)
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    files = _yaml_files(folder)
    if not files:
        return doc, [Problem(display_path(folder), 1, 1, "", "no *.yaml files in this tenant folder")]
    for path in files:
        shown = display_path(path)
        data, positions, file_problems = read_yaml(path, shown, depth)
        problems.extend(file_problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(Problem(shown, 1, 1, "", "a tenant file must be a mapping of keys"))
            continue
        taken: set[str] = set()
        for name, value in data.items():
            line, col = _unpack(positions[(name,)])
            if name in owner:
                problems.append(
                    Problem(
                        shown,
                        line,
                        col,
                        name,
                        f"already declared in {owner[name]}; a top-level key may appear in one file only",
                    )
                )
                continue
            owner[name] = shown
            taken.add(name)
            doc.data[name] = value
            doc.files[name] = shown
        doc.positions.update((p, pos) for p, pos in positions.items() if p[0] in taken)
    return doc, problems


def read_yaml(path: Path, shown: str, depth: int | None = None) -> tuple[Any, dict[Path_, Packed], list[Problem]]:
    """One YAML file as plain data (None: empty or unreadable), the position of every key and item,
    and its problems. A file over a limit (see the module docstring) gives no data, only its problem."""
    positions: dict[Path_, Packed] = {}
    problems: list[Problem] = []
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return (
                None,
                positions,
                [Problem(shown, 1, 1, "", f"file is larger than {MAX_FILE_BYTES:,} bytes ({size:,})")],
            )
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, positions, [Problem(shown, line, col, "", f"not UTF-8 text (byte 0x{raw[exc.start]:02X})")]
    except OSError as exc:
        return None, positions, [Problem(shown, 1, 1, "", f"cannot be read: {exc.strerror}")]
    bad = _RAW_CONTROL.search(text)
    if bad:
        line, col = _line_col(text, bad.start())
        return (
            None,
            positions,
            [Problem(shown, line, col, "", f"control character U+{ord(bad.group()):04X} in the file")],
        )
    try:
        return _read_plain(text, positions, depth), positions, problems
    except _NotPlain:
        positions.clear()  # the full reader below says what is unusual about the file
    try:
        root = _compose(text)
    except MarkedYAMLError as exc:
        return None, positions, [_syntax_problem(shown, exc)]
    except YAMLError as exc:  # the reader's own checks, positioned by character offset
        line, col = _line_col(text, int(getattr(exc, "position", 0) or 0))
        return None, positions, [Problem(shown, line, col, "", f"YAML: {str(exc).splitlines()[0]}")]
    if root is None:
        return None, positions, problems
    builder = _Builder(shown, positions, problems)
    try:
        data = builder.value(root, ())
    except _Refused as refused:
        return None, {}, [refused.problem]
    return data, positions, problems


class _NotPlain(Exception):
    """A file `_read_plain` leaves to the full reader."""


def _read_plain(text: str, positions: dict[Path_, Packed], depth: int | None = None) -> Any:
    """The common file, read straight from the parser's events: one document of mappings, lists and
    untagged values, no anchors or aliases, within the limits, and nothing to report. Anything else
    raises _NotPlain, and the file is read again by composing its node tree (`_Builder`), which
    knows every rule and message. Without the node tree (a node, its tag and two marks per value)
    reading takes about half the time and memory.

    Equal texts become one string: keys (`first_name` of 5,000 users) and values (`voicemail:self`)
    repeat, and the parser makes a new string for each."""
    if CParser is None:
        raise _NotPlain
    parser = CParser(text)
    get = parser.get_event
    strings: dict[str, str] = {}
    shared = strings.setdefault
    good_keys: set[str] = set()

    def node(event: Any, path: Path_) -> Any:
        kind = event.__class__
        if event.anchor is not None or event.tag is not None:
            raise _NotPlain
        if kind is ScalarEvent:
            value = event.value
            return _scalar(shared(value, value), event.style, _SCALAR_TAG)
        if len(path) >= MAX_DEPTH:
            raise _NotPlain
        placed = depth is None or len(path) < depth  # whether its keys' and items' positions are kept
        if kind is MappingStartEvent:
            out: dict[str, Any] = {}
            while (key := get()).__class__ is not MappingEndEvent:
                if key.__class__ is not ScalarEvent or key.anchor is not None or key.tag is not None:
                    raise _NotPlain
                name = shared(key.value, key.value)
                if name not in good_keys:  # keys repeat (first_name of every user): checked once
                    if text_problem(name, limit=NAME_LIMIT):
                        raise _NotPlain
                    good_keys.add(name)
                if name in out or len(out) >= MAX_ITEMS:
                    raise _NotPlain
                child = (*path, name)
                if placed:
                    mark = key.start_mark
                    positions[child] = _pack(mark.line + 1, mark.column + 1)
                out[name] = node(get(), child)
            return out
        if kind is SequenceStartEvent:
            items: list[Any] = []
            while (item := get()).__class__ is not SequenceEndEvent:
                if len(items) >= MAX_ITEMS:
                    raise _NotPlain
                child = (*path, len(items))
                if placed:
                    mark = item.start_mark
                    positions[child] = _pack(mark.line + 1, mark.column + 1)
                items.append(node(item, child))
            return items
        raise _NotPlain  # an alias

    try:
        get()  # the stream's start
        event = get()
        if event.__class__ is StreamEndEvent:
            return None
        data = node(get(), ())
        get()  # the document's end
        if get().__class__ is not StreamEndEvent:
            raise _NotPlain  # a second document
        return data
    except YAMLError:
        raise _NotPlain from None
    finally:
        parser.dispose()


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _syntax_problem(shown: str, exc: MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    context = exc.context or ""
    if exc.context_mark and exc.context_mark.line + 1 != line:
        context += f" (started at line {exc.context_mark.line + 1})"
    text = " ".join(str(x) for x in (context, exc.problem) if x)
    return Problem(shown, line, col, "", f"YAML: {text}")


# YAML 1.2 core schema, applied to plain (unquoted) scalars here rather than by ruamel's resolver,
# which costs more than the C parser itself. Timestamps: a date, or a date and time with seconds.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^(?:[-+]?[0-9_]+|0o[0-7_]+|0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|[ \t]+)\d{1,2}:\d{2}:\d{2}(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d{1,2}(?::?\d{2})?))?$"
)


class _TextResolver(BaseResolver):
    """Tags every scalar as text; _scalar decides what a plain scalar means."""

    def __init__(self, version: Any = None, loader: Any = None, loadumper: Any = None) -> None:
        super().__init__(loadumper=loadumper)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            return self.DEFAULT_SCALAR_TAG
        return self.DEFAULT_SEQUENCE_TAG if kind is SequenceNode else self.DEFAULT_MAPPING_TAG


def _compose(text: str) -> Node | None:
    yaml = YAML(typ="safe", pure=False)
    yaml.Resolver = _TextResolver
    return yaml.compose(text)  # type: ignore[no-any-return]


class _Refused(Exception):
    """A file over one of the reading limits: its one problem, and nothing of it is used."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem


_SCALAR_TAG = str(BaseResolver.DEFAULT_SCALAR_TAG)
# Tags a node may carry: the resolver's defaults, or the non-specific "!" (a quoted scalar: text).
_PLAIN_TAGS = frozenset(
    {_SCALAR_TAG, str(BaseResolver.DEFAULT_SEQUENCE_TAG), str(BaseResolver.DEFAULT_MAPPING_TAG), "!"}
)


@dataclass
class _Builder:
    """YAML nodes -> plain Python (YAML 1.2 scalars), recording positions and duplicate keys, within
    the limits of the module docstring."""

    file: str
    positions: dict[Path_, Packed]
    problems: list[Problem]
    built: set[int] = field(default_factory=set)  # collection nodes built once: another visit is an alias
    open: set[int] = field(default_factory=set)  # collection nodes being built (an alias here is a cycle)
    in_alias: int = 0
    alias_path: Path_ = ()
    alias_nodes: int = 0

    def refuse(self, node: Node, path: Path_, message: str) -> _Refused:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if path and path in self.positions:
            line, col = _unpack(self.positions[path])
        shown = ".".join(str(p) for p in path[:SHOWN_STEPS]) + (".(...)" if len(path) > SHOWN_STEPS else "")
        return _Refused(Problem(self.file, line, col, shown, message))

    def value(self, node: Node, path: Path_) -> Any:
        tag = node.tag
        if tag not in _PLAIN_TAGS:
            raise self.refuse(node, path, f"YAML: tag '{tag}' is not supported (tenant files are plain data)")
        if self.in_alias:
            self.alias_nodes += 1
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise self.refuse(
                    node, self.alias_path, f"YAML: aliases expand to more than {MAX_ALIAS_NODES:,} values"
                )
        if isinstance(node, ScalarNode):
            return _scalar(str(node.value), node.style, tag)
        if len(path) >= MAX_DEPTH:
            raise self.refuse(node, path, f"YAML: nested more than {MAX_DEPTH} levels deep")
        if len(node.value) > MAX_ITEMS:
            raise self.refuse(node, path, f"more than {MAX_ITEMS:,} entries ({len(node.value):,})")
        if id(node) in self.open:
            raise self.refuse(node, path, "YAML: an alias refers to a collection that contains it")
        alias = id(node) in self.built
        if alias and not self.in_alias:
            self.alias_path = path  # the outermost alias being expanded: where a refusal points
        self.in_alias += alias
        self.open.add(id(node))
        try:
            return self.collection(node, path)
        finally:
            self.open.discard(id(node))
            self.built.add(id(node))
            self.in_alias -= alias

    def item(self, node: Node, path: Path_) -> Any:
        """`value`, with a plain value outside aliases (most of a file) taken without its checks."""
        if node.__class__ is ScalarNode and not self.in_alias:
            tag = node.tag
            if tag == _SCALAR_TAG:
                return _scalar(str(node.value), node.style, tag)
        return self.value(node, path)

    def collection(self, node: Node, path: Path_) -> Any:
        file, positions = self.file, self.positions
        if isinstance(node, MappingNode):
            out: dict[str, Any] = {}
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                name = self.key(key_node, path)
                if name is None:
                    continue
                mark = key_node.start_mark
                line = mark.line + 1
                if name in first_line:
                    field_path = ".".join(str(p) for p in (*path, name))
                    self.problems.append(
                        Problem(
                            file,
                            line,
                            mark.column + 1,
                            field_path,
                            f"duplicate key '{name}' (first at line {first_line[name]})",
                        )
                    )
                    continue
                first_line[name] = line
                child = (*path, name)
                positions[child] = _pack(line, mark.column + 1)
                out[name] = self.item(value_node, child)
            return out
        if isinstance(node, SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                child = (*path, i)
                mark = item.start_mark
                positions[child] = _pack(mark.line + 1, mark.column + 1)
                items.append(self.item(item, child))
            return items
        raise self.refuse(node, path, "YAML: not a mapping, list or value")

    def key(self, node: Node, path: Path_) -> str | None:
        if not isinstance(node, ScalarNode):
            where = ".".join(str(p) for p in path)
            self.problems.append(
                Problem(self.file, node.start_mark.line + 1, node.start_mark.column + 1, where, "a key must be text")
            )
            return None
        # Keys are names (extensions, MACs, time frames): taken as written, so `0101:` stays "0101".
        name = str(node.value)
        problem = text_problem(name, limit=NAME_LIMIT)
        if problem:
            where = ".".join(str(p) for p in path)
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
            self.problems.append(Problem(self.file, line, col, where, f"key: {problem}"))
            return None
        return name


# First characters of a plain scalar that may be a number, a date or a time; anything else is text
# unless it is one of these words.
_NUMERIC_START = frozenset("0123456789+-._")
_WORDS = frozenset({"", "~", "null", "Null", "NULL", *_BOOL})


def _scalar(text: str, style: Any, tag: str) -> Any:
    if style or tag != _SCALAR_TAG:
        return text  # quoted or a block scalar, or an explicit tag we keep as text
    if text[:1] not in _NUMERIC_START and text not in _WORDS:
        return text  # most values: names, emails, targets
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text) and any(ch.isdigit() for ch in text):
        digits = text.replace("_", "")
        try:
            return int(digits, 0)
        except ValueError:
            return int(digits, 10)
    if _FLOAT.match(text) and text not in (".", "-.", "+."):
        lowered = text.lower().replace("_", "")
        if lowered.lstrip("+-") in (".inf", ".nan"):
            return float(lowered.replace(".", ""))
        return float(lowered)
    try:
        if _DATE.match(text):
            return dt.date.fromisoformat(text)
        if _DATE_TIME.match(text):
            return dt.datetime.fromisoformat(text.replace("t", "T")).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return text
    return text


def fill_secrets(doc: Document, env: Mapping[str, str]) -> list[Problem]:
    """Replace ${env:NAME} (or ${env:NAME:-fallback}) in every string; those paths are remembered as secret."""
    problems: list[Problem] = []

    def fill(text: str, path: Path_) -> str:
        doc.secret_paths.add(path)

        def sub(m: re.Match[str]) -> str:
            name, fallback = m.group(1), m.group(2)
            value = env.get(name, "")
            if value:
                if len(value) >= 3:
                    doc.secret_values.add(value)
                return value
            if fallback is not None:  # as in the shell's ${NAME:-fallback}: unset or empty
                return fallback
            state = "is empty" if name in env else "is not set"
            problems.append(doc.problem(path, f"environment variable {name} {state}"))
            return SECRET_STAND_IN

        return _ENV.sub(sub, text)

    def walk(container: dict[Any, Any] | list[Any], path: Path_) -> None:
        # In place: a copy of the whole document would only be garbage a moment later.
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in items:
            if isinstance(value, (dict, list)):
                walk(value, (*path, key))
            elif isinstance(value, str) and "${env:" in value:
                container[key] = fill(value, (*path, key))

    if isinstance(doc.data, (dict, list)):
        walk(doc.data, ())
    elif isinstance(doc.data, str) and "${env:" in doc.data:
        doc.data = fill(doc.data, ())
    return problems


def _yaml_files(folder: Path) -> list[Path]:
    # skyconf.yaml (connection profiles) sits at the repository root and is never part of a tenant.
    return sorted(
        p for p in folder.iterdir() if p.suffix in TENANT_SUFFIXES and p.is_file() and p.name != "skyconf.yaml"
    )


def validation_problems(
    doc: Document, exc: ValidationError, model: type[BaseModel], *, partial: bool = False
) -> list[Problem]:
    """Pydantic's errors as positioned problems. `partial`: some files of the document did not read,
    so a missing top-level key (or a check of the whole document) may only be missing with them."""
    problems: list[Problem] = []
    errors = exc.errors(include_input=False, include_url=False)
    for err in errors:
        if err["type"] == "none_required":
            continue  # the other member of an `X | None` union explains what is wrong
        loc = _data_path(doc.data, err["loc"])
        if partial and (len(loc) == 0 or (len(loc) == 1 and err["type"] == "missing")):
            continue
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = _unknown_key_message(model, loc)
        elif err["type"] == "missing":
            message = "required field is missing"
        problems.append(doc.problem(loc, message))
    return problems


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path_:
    """Pydantic's error location minus its internal steps (union member names, validator names)."""
    out: list[str | int] = []
    cur: Any = data
    for step in loc:
        if isinstance(cur, dict) and str(step) in cur:
            out.append(str(step))
            cur = cur[str(step)]
        elif isinstance(cur, list) and isinstance(step, int) and 0 <= step < len(cur):
            out.append(step)
            cur = cur[step]
        elif isinstance(cur, dict) and isinstance(step, str) and not _internal_step(step):
            out.append(step)  # a missing field: keep its name for the message
            cur = None
    return tuple(out)


def _internal_step(step: str) -> bool:
    return "[" in step or step[:1].isupper() or step in {"date", "str", "int", "list", "dict"}


def _unknown_key_message(root: type[BaseModel], loc: Path_) -> str:
    key = str(loc[-1])
    model = _model_at(root, loc[:-1])
    if model is None:
        return f"unknown key '{key}'"
    names = [f.alias or n for n, f in model.model_fields.items()]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; expected one of: {', '.join(sorted(names))}"
    return f"unknown key '{key}'{hint}"


def _model_at(model: type[BaseModel], path: Path_) -> type[BaseModel] | None:
    """The model class that validates the mapping at `path` (for naming the keys it accepts)."""
    annotation: Any = model
    for step in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = {f.alias or n: f for n, f in annotation.model_fields.items()}
            if str(step) not in fields:
                return None
            annotation = fields[str(step)].annotation
            continue
        args = typing.get_args(annotation)
        if not args:
            return None
        annotation = args[-1]
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation
