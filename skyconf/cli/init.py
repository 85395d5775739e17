"""`skyconf init DIR`: start a tenants repository (profile, starter tenant, hooks, workflows, README)."""

from __future__ import annotations

from pathlib import Path

import click

from skyconf.cli.common import friendly_errors, out
from skyconf.scaffold import installed_version, scaffold


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--version", "version", default=None, help="skyconf version to pin (default: the installed one).")
@friendly_errors
def init(directory: Path, version: str | None) -> None:
    """Write a new tenants repository into DIRECTORY (new or empty).

    It runs on the built-in sandbox as is: `skyconf validate DIRECTORY/tenants`, then `skyconf plan`.
    The workflows and the pre-commit hooks are pinned to this skyconf's version.
    """
    version = version or installed_version()
    for path in scaffold(directory, version):
        out.print(f"wrote {path}", markup=False)
    out.print(
        f"A tenants repository pinned to skyconf {version}. Next: cd {directory} && git init && pre-commit install; "
        "its README says how to set up the GitHub environments.",
        markup=False,
    )
