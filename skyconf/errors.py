"""User-caused errors: each one names a file, a line and a field, and is printed as one line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Longest message (and field path) a problem prints: a message naming every contact of a 475,000-entry
# list, or quoting a 1,000,000-character value, must still be one readable line.
MESSAGE_LIMIT = 500
FIELD_LIMIT = 200
# Names one message lists before "and N more".
LISTED = 10


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: `FILE:LINE:COL: path.to.field: message`."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        field, message = _cut(_one_line(self.field), FIELD_LIMIT), _cut(_one_line(self.message), MESSAGE_LIMIT)
        if field != field.strip():  # a key with spaces at its ends: quoted, so the reader sees them
            field = repr(field)
        return f"{where}: {field}: {message}" if field.strip() else f"{where}: {message}"


def _one_line(text: str) -> str:
    """Control characters (a key named "\r" in a hostile file) shown escaped, so a problem stays one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def listing(names: Iterable[str], limit: int = LISTED) -> str:
    """`a, b, c` or `a, b, c and 4,321 more`: names for a message, never all of a huge list."""
    items = list(names)
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit:,} more" if len(items) > limit else shown


class SkyconfError(Exception):
    """An error the user can fix; the CLI prints it without a traceback and exits 1."""


class ConfigError(SkyconfError):
    """All problems found in the input, reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.column, p.field, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class PbxError(SkyconfError):
    """The PBX refused or failed a request (message never contains credentials)."""


def display_path(path: Path) -> str:
    """A path as the user typed it relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
