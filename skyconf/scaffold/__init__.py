"""`skyconf init DIR`: a new tenants repository, from files shipped inside the package.

The workflows, Dependabot's config and the lock file are this repository's own (package data links
to them), so a tenants repository runs exactly what skyconf's CI checks. The phone templates and the
schema ship in the package too: a new repository needs no templates/ folder of its own.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterable
from pathlib import Path

from skyconf.errors import SkyconfError, display_path
from skyconf.model.phone_templates import TEMPLATES_DIR
from skyconf.model.phones import declared_phones, templates_folder
from skyconf.resolve import Desired

FILES = Path(__file__).resolve().parent / "files"
SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "tenant.schema.json"
STARTER = "tenants/starter"
# target path in the new repository -> file under FILES
LAYOUT: dict[str, str] = {
    "README.md": "README.md",
    "skyconf.yaml": "skyconf.yaml",
    ".gitignore": "gitignore",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    "requirements-lock.txt": "requirements-lock.txt",
    ".github/dependabot.yml": "dependabot.yml",
    ".github/workflows/plan.yml": "workflows/plan.yml",
    ".github/workflows/apply.yml": "workflows/apply.yml",
    ".github/workflows/drift.yml": "workflows/drift.yml",
    f"{STARTER}/tenant.yaml": "tenant/tenant.yaml",
    f"{STARTER}/users.yaml": "tenant/users.yaml",
    f"{STARTER}/phones.yaml": "tenant/phones.yaml",
}
_PIN = re.compile(r'SKYCONF_PACKAGE: "skyconf==[^"]*"')


def installed_version() -> str:
    return importlib.metadata.version("skyconf")


def scaffold(target: Path, version: str | None = None) -> list[Path]:
    """Write a tenants repository into `target` (new or empty); the files written, in order."""
    version = version or installed_version()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SkyconfError(f"{target}: not an empty folder; skyconf init writes a new repository")
    written: list[Path] = []
    for name, source in [*LAYOUT.items(), ("schemas/tenant.schema.json", "")]:
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (FILES / source if source else SCHEMA).read_text(encoding="utf-8")
        path.write_text(pin(text, version), encoding="utf-8")
        written.append(path)
    return written


def pin(text: str, version: str) -> str:
    """The file with this skyconf version filled in: `{version}` and the workflows' SKYCONF_PACKAGE."""
    return _PIN.sub(f'SKYCONF_PACKAGE: "skyconf=={version}"', text.replace("{version}", version))


def template_sources(desired: Iterable[Desired]) -> list[str]:
    """One line per phone templates folder the tenants with phones use: the repository's own or skyconf's."""
    folders: dict[Path, list[str]] = {}
    for d in desired:
        if declared_phones(d.tenant.tenant):
            folders.setdefault(templates_folder(d.tenant.folder), []).append(d.tenant.name)
    packaged = Path(__file__).resolve().parent.parent / TEMPLATES_DIR
    shown = {folder: "shipped with skyconf" if folder == packaged else display_path(folder) for folder in folders}
    return [f"phone templates: {shown[folder]} ({', '.join(names)})" for folder, names in folders.items()]
