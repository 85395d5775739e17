"""YAML -> model: a tenant folder's files merged into one document that remembers where every value
came from, `${env:NAME}` secrets filled in, then validated by the pydantic models.

Every problem of a stage is collected and reported together, each naming file, line, column and
field: first YAML syntax, then the schema, then (in resolve) the references between objects.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from skyconf.errors import ConfigError, Problem, display_path
from skyconf.model.tenant import Tenant

Path_ = tuple[str | int, ...]
_ENV = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
TENANT_SUFFIXES = (".yaml", ".yml")


@dataclass
class Document:
    """A tenant's merged YAML as plain data, with the source position of every key and item."""

    folder: Path
    data: dict[str, Any] = field(default_factory=dict)
    positions: dict[Path_, tuple[str, int, int]] = field(default_factory=dict)
    # Paths whose value came from ${env:...}: secrets that must never be printed.
    secret_paths: set[Path_] = field(default_factory=set)
    # The values substituted there, scrubbed from every problem message.
    secret_values: set[str] = field(default_factory=set)

    def where(self, path: Path_) -> tuple[str, int, int]:
        for end in range(len(path), -1, -1):
            pos = self.positions.get(tuple(path[:end]))
            if pos:
                return pos
        return (display_path(self.folder), 1, 1)

    def problem(self, path: Path_, message: str) -> Problem:
        file, line, column = self.where(path)
        for value in self.secret_values:
            message = message.replace(value, "(secret)")
        return Problem(file, line, column, ".".join(str(p) for p in path), message)


@dataclass
class LoadedTenant:
    name: str
    folder: Path
    tenant: Tenant
    doc: Document


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


def load_tenant(folder: Path, env: Mapping[str, str] | None = None) -> LoadedTenant:
    """Load and validate one tenant folder; raises ConfigError listing every problem."""
    env = os.environ if env is None else env
    doc, problems = read_document(folder)
    if problems:
        raise ConfigError(problems)
    problems = fill_secrets(doc, env)
    tenant: Tenant | None = None
    try:
        tenant = Tenant.model_validate(doc.data)
    except ValidationError as exc:
        # A missing secret is already reported; its empty stand-in failing validation is not news.
        missing = {(p.line, p.column) for p in problems}
        problems.extend(p for p in _validation_problems(doc, exc) if (p.line, p.column) not in missing)
    if problems or tenant is None:
        raise ConfigError(problems)
    return LoadedTenant(folder.name, folder, tenant, doc)


def read_document(folder: Path) -> tuple[Document, list[Problem]]:
    """Parse and merge the folder's YAML files; a top-level key may appear in one file only."""
    doc = Document(folder)
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    files = _yaml_files(folder)
    if not files:
        return doc, [Problem(display_path(folder), 1, 1, "", "no *.yaml files in this tenant folder")]
    for path in files:
        shown = display_path(path)
        yaml = YAML(typ="rt")
        yaml.allow_duplicate_keys = False
        try:
            root = yaml.load(path.read_text(encoding="utf-8"))
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            context = exc.context or ""
            if exc.context_mark and exc.context_mark.line + 1 != line:
                context += f" (started at line {exc.context_mark.line + 1})"
            text = " ".join(str(x) for x in (context, exc.problem) if x)
            if "duplicate key" in str(exc) or "found duplicate key" in text:
                first = f" (first at line {exc.context_mark.line + 1})" if exc.context_mark else ""
                text = "duplicate key " + _duplicate_name(str(exc)) + first
            problems.append(Problem(shown, line, col, "", f"YAML: {text}"))
            continue
        except UnicodeDecodeError:
            problems.append(Problem(shown, 1, 1, "", "not UTF-8 text"))
            continue
        if root is None:
            continue
        if not isinstance(root, CommentedMap):
            problems.append(Problem(shown, 1, 1, "", "a tenant file must be a mapping of keys"))
            continue
        for key in root:
            name = str(key)
            line, col = root.lc.key(key)
            if name in owner:
                problems.append(
                    Problem(
                        shown,
                        line + 1,
                        col + 1,
                        name,
                        f"already declared in {owner[name]}; a top-level key may appear in one file only",
                    )
                )
                continue
            owner[name] = shown
            doc.positions[(name,)] = (shown, line + 1, col + 1)
            doc.data[name] = _plain(root[key], (name,), shown, doc.positions)
    return doc, problems


def fill_secrets(doc: Document, env: Mapping[str, str]) -> list[Problem]:
    """Replace ${env:NAME} (or ${env:NAME:-fallback}) in every string; those paths are remembered as secret."""
    problems: list[Problem] = []

    def walk(value: Any, path: Path_) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "${env:" in value:
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
                return ""

            return _ENV.sub(sub, value)
        return value

    doc.data = walk(doc.data, ())
    return problems


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in TENANT_SUFFIXES and p.is_file())


def _duplicate_name(text: str) -> str:
    m = re.search(r'found duplicate key "([^"]*)"', text)
    return f"'{m.group(1)}'" if m else ""


def _plain(node: Any, path: Path_, file: str, positions: dict[Path_, tuple[str, int, int]]) -> Any:
    """ruamel's round-trip nodes -> plain Python, recording each key's and item's position."""
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key in node:
            name = key.isoformat() if isinstance(key, dt.date) else str(key)
            line, col = node.lc.key(key)
            positions[(*path, name)] = (file, line + 1, col + 1)
            out[name] = _plain(node[key], (*path, name), file, positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, item in enumerate(node):
            line, col = node.lc.item(i)
            positions[(*path, i)] = (file, line + 1, col + 1)
            items.append(_plain(item, (*path, i), file, positions))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return node.strftime("%Y-%m-%d %H:%M")
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    return str(node)


def _validation_problems(doc: Document, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    errors = exc.errors(include_input=False, include_url=False)
    for err in errors:
        if err["type"] == "none_required":
            continue  # the other member of an `X | None` union explains what is wrong
        loc = _data_path(doc.data, err["loc"])
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = _unknown_key_message(loc)
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


def _unknown_key_message(loc: Path_) -> str:
    key = str(loc[-1])
    model = _model_at(Tenant, loc[:-1])
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
