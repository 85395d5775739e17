"""Canonical formatting of tenant YAML, so reviews show meaning, not whitespace.

ruamel's round trip keeps comments, key order, quotes and flow/block style; the layout is fixed:
2-space mappings, sequences indented as `  - item`, lines up to 120 columns, no trailing spaces,
one final newline, and the editor's schema header as the first line with the right relative path.

Formatting must never change what a file means nor drop a comment. Both are checked on every file
(the data loads equal before and after; every comment is still there; a second pass changes
nothing), and a file where one would fail is reported as a problem and left alone. ruamel drops
comments in a few places: inside a flow collection (`[a, # note` ...), next to empty list items,
before a `{...}` list item that has its own end-of-line comment; such a comment has to move first.

`null` is written as `null`, never as an empty value: in a tenant it means "remove this rule".
"""

from __future__ import annotations

import io
import math
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.representer import RoundTripRepresenter

from skyconf.errors import ConfigError, Problem, display_path
from skyconf.load import TENANT_SUFFIXES, tenant_folders
from skyconf.repo import find_root
from skyconf.schema import SCHEMA_PATH

WIDTH = 120
HEADER_PREFIX = "# yaml-language-server: $schema="
_HEADER = re.compile(r"^#\s*yaml-language-server:\s*\$schema=")
_BLOCK_INDICATOR = re.compile(r"(?:^|\s)[|>][1-9+-]{0,2}$")
_DOCUMENT_MARKER = re.compile(r"^(---|\.\.\.)\s*(#.*)?$")
_ROUNDS = 3  # a first pass may need one more to settle (ruamel re-wraps what it wrapped)
_UNSAFE = (
    "fmt cannot format this file safely (the YAML library's layout of it would not read back the same); "
    "please report it"
)


@dataclass
class Scan:
    """What a light YAML scanner sees: comments (line number, text) and block-scalar content lines."""

    comments: list[tuple[int, str]] = field(default_factory=list)
    block_lines: set[int] = field(default_factory=set)


def schema_header(file: Path) -> str:
    """`# yaml-language-server: $schema=../../schemas/tenant.schema.json`, relative to the file's folder."""
    folder = file.resolve().parent
    target = find_root(folder) / SCHEMA_PATH
    return HEADER_PREFIX + Path(os.path.relpath(target, folder)).as_posix()


def format_text(text: str, header: str, file: str = "<text>") -> str:
    """The canonical form of one tenant file; raises ConfigError when it cannot be formatted safely."""
    body = _without_header(text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    out = _settled(_once(body, header, file), header, file)
    if out is None:
        raise ConfigError([Problem(file, 1, 1, "", _UNSAFE)])
    _check_same(body, out, file)
    return out


def _settled(out: str, header: str, file: str) -> str | None:
    """Format the output again until it stops changing (fmt twice = fmt once), or None.

    ruamel has corners (a comment right before a list of empty {} items) where its own output does not
    read back, or keeps changing: such a file is refused rather than written.
    """
    for _ in range(_ROUNDS):
        try:
            again = _once(_without_header(out.split("\n", 1)[1]), header, file)
        except ConfigError:
            return None
        if again == out:
            return out
        out = again
    return None


def yaml_files(paths: Sequence[Path]) -> list[Path]:
    """Files given as such, and the *.yaml files of tenant folders (a folder of tenants, like tenants/)."""
    files: list[Path] = []
    folders: list[Path] = []
    for path in paths:
        (files if path.is_file() else folders).append(path)
    for folder in tenant_folders(folders) if folders else []:
        files.extend(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in TENANT_SUFFIXES))
    return list(dict.fromkeys(files))


def format_paths(paths: Sequence[Path], check: bool = False) -> list[Path]:
    """Files whose text is not canonical; rewritten unless `check`. Nothing is written if any file has a problem."""
    problems: list[Problem] = []
    pending: list[tuple[Path, str]] = []
    for path in yaml_files(paths):
        shown = display_path(path)
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(shown, 1, 1, "", "not UTF-8 text"))
            continue
        try:
            formatted = format_text(text, schema_header(path), shown)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if formatted != text:
            pending.append((path, formatted))
    if problems:
        raise ConfigError(problems)
    if not check:
        for path, formatted in pending:
            with path.open("w", encoding="utf-8", newline="\n") as f:
                f.write(formatted)
    return [path for path, _ in pending]


def scan(text: str) -> Scan:
    """Find comments the way YAML does: a `#` after whitespace, outside quotes and block scalars."""
    result = Scan()
    quote: str | None = None  # a quoted scalar may continue on the next line
    depth = 0  # inside [...] or {...}, which may span lines too
    block_indent: int | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                result.block_lines.add(number)
                continue
            block_indent = None
        code_end = len(line)
        i = 0
        while i < len(line):
            ch = line[i]
            if quote == '"':
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    quote = None
            elif quote == "'":
                if ch == "'" and line[i + 1 : i + 2] == "'":
                    i += 1
                elif ch == "'":
                    quote = None
            elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
                result.comments.append((number, line[i + 1 :].strip()))
                code_end = i
                break
            elif ch in "\"'" and _node_starts(line, i, depth):
                quote = ch
            elif ch in "[{" and _node_starts(line, i, depth):
                depth += 1
            elif ch in "]}" and depth:
                depth -= 1
            i += 1
        if quote is None and not depth and _BLOCK_INDICATOR.search(line[:code_end].rstrip()):
            block_indent = indent
    return result


def _node_starts(line: str, i: int, depth: int) -> bool:
    """Whether a quote or bracket at `i` starts a node, rather than sitting inside a plain scalar (`don't`)."""
    before = line[:i].rstrip()
    if not before:
        return True
    flow = "[{," if depth else ""
    if line[i - 1] not in " \t" + flow:
        return False
    last = before[-1]
    if last in "-?":  # indicators only when they stand alone: `- 'x'`, not `foo- 'x'`
        return len(before) == 1 or before[-2] in " \t" + flow
    return last == ":" or last in flow


def _without_header(text: str) -> str:
    """The text minus any schema header in its leading comment block (it is re-added, with the right path).

    Document markers go too: the dumper writes none, and drops the comments written next to them.
    """
    lines = text.split("\n")
    out: list[str] = []
    leading = True
    for number, line in enumerate(lines):
        stripped = line.strip()
        if leading and _HEADER.match(stripped):
            continue
        marker = _DOCUMENT_MARKER.match(line)
        if marker and (leading or (marker.group(1) == "..." and _only_comments(lines[number + 1 :]))):
            leading = False
            if marker.group(2):
                out.append(marker.group(2))
            continue
        if stripped and not stripped.startswith("#"):
            leading = False
        out.append(line)
    while out and not out[0].strip():
        out.pop(0)
    return "\n".join(out)


def _only_comments(lines: list[str]) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in lines)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    yaml.Representer = _Representer
    return yaml


class _Representer(RoundTripRepresenter):
    """`Holiday: null` says "no rule here" (it removes a profile's rule): keep the word, never a blank.

    A subclass, because `add_representer` on ruamel's own class would change every YAML dump in the process.
    """

    def represent_none(self, data: None) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:null", "null")


_Representer.add_representer(type(None), _Representer.represent_none)


def _load(text: str, file: str) -> Any:
    try:
        return _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(x) for x in (exc.context, exc.problem) if x) or str(exc).splitlines()[0]
        raise ConfigError([Problem(file, line, col, "", f"YAML: {message}")]) from None
    except YAMLError as exc:
        raise ConfigError([Problem(file, 1, 1, "", f"YAML: {str(exc).splitlines()[0]}")]) from None


def _once(body: str, header: str, file: str) -> str:
    """One formatting pass: dump the round-trip tree, then tidy what the dumper leaves."""
    root = _load(body, file)
    if root is None:  # empty, or comments only: nothing for the dumper to carry them on
        kept = [line.rstrip() for line in body.split("\n") if line.strip() not in ("---", "...")]
        text = "\n".join(kept).strip("\n")
    elif not isinstance(root, CommentedMap):
        raise ConfigError([Problem(file, 1, 1, "", "a tenant file must be a mapping of keys")])
    else:
        text = dump_tidy(root)
    return f"{header}\n{text}\n" if text else f"{header}\n"


def dump_tidy(root: CommentedMap) -> str:
    """A round-trip tree in fmt's layout: the dumper's text without trailing spaces (outside block
    scalars) and blank first or last lines. Not yet checked nor settled: see format_text."""
    buffer = io.StringIO()
    _yaml().dump(root, buffer)
    text = buffer.getvalue()
    blocks = scan(text).block_lines
    lines = text.split("\n")
    text = "\n".join(line if n in blocks else line.rstrip() for n, line in enumerate(lines, start=1))
    return text.strip("\n")


def _check_same(body: str, out: str, file: str) -> None:
    """The formatted text means the same and keeps every comment, or it is refused."""
    try:
        same = _same(_plain(_yaml_safe(body)), _plain(_yaml_safe(out)))
    except YAMLError:  # tags the round trip keeps but plain YAML cannot build: not a tenant file's content
        same = False
    if not same:
        raise ConfigError([Problem(file, 1, 1, "", _UNSAFE)])
    kept = Counter(text for _, text in scan(out.split("\n", 1)[1]).comments)
    problems: list[Problem] = []
    for line, text in scan(body).comments:
        if kept[text] > 0:
            kept[text] -= 1
            continue
        problems.append(
            Problem(
                file,
                line,
                1,
                "",
                "fmt cannot keep this comment where it is (the YAML library drops comments in a few places, "
                "such as inside [...] or {...}); move it, then run fmt again",
            )
        )
    if problems:
        raise ConfigError(problems)


def _yaml_safe(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def _plain(value: Any) -> Any:
    """Mappings as ordered item lists, so key order counts in the comparison."""
    if isinstance(value, dict):
        return [(_plain(k), _plain(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)
