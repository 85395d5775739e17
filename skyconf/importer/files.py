"""The tenant folder's files for `skyconf import`: read what is there, update it in place.

Files are updated through ruamel's round trip, so a re-import keeps comments, key order and quoting:
values that did not change keep their node; new keys go at the end of their mapping; keys of objects
that are gone are removed; list items are matched by identity (contacts by name or key, playlist
entries by file or text). An object whose YAML differs from what import would write but means the
same (a time frame written with `holidays:`, a rule spelled another way, a number with spaces) stays
as written; so do values a file states that import would leave out as defaults. New content is
written as skyconf.importer.emit says (the example tenant's way); every file is written in `skyconf
fmt`'s layout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import ScalarString

from skyconf.errors import ConfigError, SkyconfError, display_path
from skyconf.fmt import WIDTH, dump_tidy, format_text, schema_header
from skyconf.importer.emit import flow_style, new_file_text, quoted
from skyconf.load import TENANT_SUFFIXES, read_document
from skyconf.model.contacts import contact_identity
from skyconf.model.kinds import SECTIONS
from skyconf.model.phone_catalog import find_model
from skyconf.model.rules import AnsweringRule, rule_fields
from skyconf.model.targets import TargetError, parse_number
from skyconf.model.timeframes import TimeFrame

TENANT_FILE = "tenant.yaml"


def section_files() -> dict[str, str]:
    """Top-level key -> the file it goes to in a new folder (the layout of tenants/example)."""
    out = dict.fromkeys(("domain", "pbx", "country", "time_zone"), TENANT_FILE)
    for section in sorted(SECTIONS.values(), key=lambda s: (s.order, s.name)):
        out[section.name] = section.file
    return out


@dataclass
class Existing:
    """A folder's current files (round-trip trees) and their merged plain data (for reuse)."""

    roots: dict[Path, CommentedMap | None] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> Existing:
        out = cls()
        if not folder.is_dir():
            return out
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in TENANT_SUFFIXES)
        files = [p for p in files if p.name != "skyconf.yaml"]
        if not files:
            return out
        doc, problems = read_document(folder)
        if problems:
            raise ConfigError(problems)
        out.data = doc.data
        for path in files:
            try:
                root = _yaml().load(path.read_text(encoding="utf-8"))
            except YAMLError as exc:
                raise SkyconfError(f"{display_path(path)}: cannot be read: {exc}") from None
            out.roots[path] = root if isinstance(root, CommentedMap) else None
        return out

    def get(self, *path: str) -> Any:
        value: Any = self.data
        for part in path:
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value


def _yaml() -> YAML:
    """The round-trip YAML that reads a folder's files for update in place (fmt's settings)."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    return yaml


class _Merge:
    """Updates round-trip trees in place to new values (see the module docstring for what stays)."""

    def __init__(self, country: str, today: dt.date) -> None:
        self.country = country
        self.years = [today.year, today.year + 1]

    def value(self, node: Any, new: Any, full: Any, path: tuple[Any, ...]) -> Any:
        if isinstance(node, CommentedMap) and isinstance(new, dict):
            if self._same_object(path, _plain(node), new):
                return node
            self._map(node, new, full if isinstance(full, dict) else new, path)
            return node
        if isinstance(node, CommentedSeq) and isinstance(new, list):
            return self._seq(node, new, path)
        if isinstance(node, CommentedMap | CommentedSeq) or isinstance(new, dict | list):
            return build_node(new, path)
        if self._same_scalar(node, new, path):
            return node
        if isinstance(node, ScalarString) and isinstance(new, str):
            return type(node)(new)
        return build_node(new, path)

    def _map(self, node: CommentedMap, new: dict[str, Any], full: dict[str, Any], path: tuple[Any, ...]) -> None:
        norm = _key_normalizer(path, self.country)
        new_keys = {norm(k): k for k in new}
        full_keys = {norm(k): k for k in full}
        present: set[str] = set()
        for key in list(node):
            n = norm(str(key))
            present.add(n)
            if n in new_keys:
                k = new_keys[n]
                node[key] = self.value(node[key], new[k], full.get(k, new[k]), (*path, k))
            elif n in full_keys:  # stated in the file though import would leave it out: kept, updated
                k = full_keys[n]
                stated = {} if isinstance(full[k], dict) else full[k]
                node[key] = self.value(node[key], stated, full[k], (*path, k))
            else:
                del node[key]
        for n, k in new_keys.items():
            if n not in present:
                node[quoted(k)] = build_node(new[k], (*path, k))

    def _seq(self, node: CommentedSeq, new: list[Any], path: tuple[Any, ...]) -> CommentedSeq:
        ident = _list_identity(path)
        old = [_plain(item) for item in node]
        if ident is not None and all(isinstance(i, dict) for i in [*old, *new]):
            old_ids = [ident(i) for i in old]
            new_by_id = {ident(i): i for i in new}
            ordered = path[-1] == "files"  # a playlist's order is its play order
            items: list[Any] = []
            if ordered:
                for item in new:
                    i = old_ids.index(ident(item)) if ident(item) in old_ids else -1
                    items.append(
                        self.value(node[i], item, item, (*path, len(items))) if i >= 0 else build_node(item, path, True)
                    )
            else:
                for i, oid in enumerate(old_ids):
                    if oid in new_by_id:
                        items.append(self.value(node[i], new_by_id[oid], new_by_id[oid], (*path, len(items))))
                items += [build_node(item, path, True) for item in new if ident(item) not in old_ids]
            if items != list(node):
                node.clear()
                node.extend(items)
            return node
        if len(old) == len(new):
            for i, item in enumerate(new):
                node[i] = self.value(node[i], item, item, (*path, i))
            return node
        node.clear()
        node.extend(build_node(item, (*path, i), True) for i, item in enumerate(new))
        return node

    def _same_scalar(self, old: Any, new: Any, path: tuple[Any, ...]) -> bool:
        """Equal, or another spelling of the same phone number or phone model."""
        if isinstance(old, str) and isinstance(new, str):
            if old == new:
                return True
            if len(path) == 3 and path[0] == "phones" and path[2] == "model":
                return find_model(old) is not None and find_model(old) == find_model(new)
            if new.startswith("+"):
                try:
                    return parse_number(old, self.country) == new
                except TargetError:
                    return False
            return False
        return type(old) is type(new) and bool(old == new)

    def _same_object(self, path: tuple[Any, ...], old: Any, new: Any) -> bool:
        """A frame or rule whose YAML differs but means what the PBX has stays as written."""
        frame = (len(path) == 2 and path[0] == "time_frames") or (
            len(path) == 4 and path[0] == "users" and path[2] == "time_frames"
        )
        if frame:
            try:
                a, b = TimeFrame.model_validate(old), TimeFrame.model_validate(new)
            except ValidationError:
                return False
            return a.priority == b.priority and a.resolved(self.years) == b.resolved(self.years)
        if len(path) == 4 and path[0] == "users" and path[2] == "answering_rules":
            try:
                a_rule, b_rule = AnsweringRule.model_validate(old), AnsweringRule.model_validate(new)
            except ValidationError:
                return False
            a_fields = rule_fields(a_rule, str(path[1]), self.country)
            return a_fields is not None and a_fields == rule_fields(b_rule, str(path[1]), self.country)
        return False


def _key_normalizer(path: tuple[Any, ...], country: str) -> Callable[[str], str]:
    """The one spelling of a key, for sections whose keys have several (see Section.canonical_key)."""
    section = SECTIONS.get(str(path[0])) if len(path) == 1 else None
    canonical = section.canonical_key if section else None
    if canonical is None:
        return str

    def norm(key: str) -> str:
        try:
            return canonical(key, country)
        except ValueError:
            return key

    return norm


def _list_identity(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], str] | None:
    if path[-1:] == ("contacts",):
        return contact_identity
    if path[-1:] == ("files",):
        return lambda e: f"file:{e['file']}" if e.get("file") else f"tts:{e.get('tts')}"
    return None


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, ScalarString):
        return str(node)
    return node


def build_node(value: Any, path: tuple[Any, ...], in_list: bool = False) -> Any:
    """A new YAML node: short leaf mappings and lists in flow style (`{forward_always: ...}`, `["101"]`)."""
    if isinstance(value, dict):
        node = CommentedMap()
        for k, v in value.items():
            node[quoted(k)] = build_node(v, (*path, k))
        if flow_style(value, path, in_list):
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq(build_node(v, (*path, i), True) for i, v in enumerate(value))
        if flow_style(value, path, in_list):
            seq.fa.set_flow_style()
        return seq
    return quoted(value)


def write_folder(
    folder: Path,
    existing: Existing,
    data: dict[str, Any],
    full_users: dict[str, Any],
    country: str,
    today: dt.date,
    header: str = "",
) -> tuple[list[Path], list[Path]]:
    """Write the sections into the folder's files, updated in place where they exist; `full_users` are the
    users with every value (see the module docstring). A new file starts with the `header` comment
    (where it came from); an existing file keeps its own. Returns (written, unchanged) files.

    Each file's text is made, written and let go before the next: a new file's is written canonical
    directly (see emit), an existing file's tree is dumped once and formatted only when it changed."""
    roots = {path: root for path, root in existing.roots.items() if root is not None}
    owner: dict[str, Path] = {}
    for path, root in roots.items():
        for key in root:
            owner.setdefault(str(key), path)
    merge = _Merge(country, today)
    keep = {"pbx", "country"}  # the folder's connection and region stay as chosen
    new_files: dict[Path, dict[str, Any]] = {}
    for key, file_name in section_files().items():
        new = data.get(key)
        if key in owner:
            root = roots[owner[key]]
            if new is None:
                if key not in keep:
                    del root[key]
            elif key not in keep or (key == "country" and country != existing.get("country")):
                full = full_users if key == "users" else new
                root[key] = merge.value(root[key], new, full, (key,))
        elif new is not None:
            path = folder / file_name
            if path in roots:
                roots[path][key] = build_node(new, (key,))
            else:
                new_files.setdefault(path, {})[key] = new
    written: list[Path] = []
    unchanged: list[Path] = []
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted({*roots, *new_files}):
        text = _existing_text(path, roots[path]) if path in roots else _new_text(path, new_files[path], header)
        if text is None or (path.exists() and path.read_text(encoding="utf-8") == text):
            unchanged.append(path)
            continue
        with path.open("w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        written.append(path)
    return written, unchanged


def _new_text(path: Path, sections: dict[str, Any], header: str) -> str:
    """A new file's canonical text: written directly, else (a value outside what emit writes) dumped
    and formatted by fmt."""
    schema = schema_header(path)
    text = new_file_text(sections, schema, header)
    if text is not None:
        return text
    root = CommentedMap()
    if header:
        root.yaml_set_start_comment(header)
    for key, value in sections.items():
        root[key] = build_node(value, (key,))
    return format_text(dump_tidy(root), schema, display_path(path))


def _existing_text(path: Path, root: CommentedMap) -> str | None:
    """An existing file's canonical text after the update, or None when it is still what the file holds.

    The tree dumps to the file's own text when the update changed nothing in it (the file was
    canonical): then fmt's checks and re-parses are skipped."""
    dumped = dump_tidy(root) + "\n"
    if path.read_text(encoding="utf-8") == dumped and dumped.startswith(schema_header(path) + "\n"):
        return None
    return format_text(dumped, schema_header(path), display_path(path))
