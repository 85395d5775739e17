"""The repository a tenant folder lives in: where skyconf.yaml, templates/ and .skyconf/ are found."""

from __future__ import annotations

from pathlib import Path

CONFIG_FILE = "skyconf.yaml"


def find_root(start: Path) -> Path:
    """The repository root: the nearest folder above `start` holding skyconf.yaml or .git, else cwd."""
    for folder in [start.resolve(), *start.resolve().parents]:
        if (folder / CONFIG_FILE).is_file() or (folder / ".git").exists():
            return folder
    return Path.cwd()
