"""User-caused errors: each one names a file, a line and a field, and is printed as one line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
        field, message = _one_line(self.field), _one_line(self.message)
        return f"{where}: {field}: {message}" if field.strip() else f"{where}: {message}"


def _one_line(text: str) -> str:
    """Control characters (a key named "\r" in a hostile file) shown escaped, so a problem stays one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


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
