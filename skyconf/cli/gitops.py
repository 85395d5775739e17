"""`skyconf changed` and `skyconf fmt`: the commands GitOps pipelines and pre-commit hooks call."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from skyconf.changed import changed_tenants
from skyconf.cli.common import EXIT_ERROR, err, friendly_errors, out
from skyconf.fmt import format_paths


@click.command()
@click.option(
    "--base",
    required=True,
    metavar="REF",
    help="Git revision to compare with (its merge base with HEAD): origin/main on a PR, the pushed-over commit on "
    "main. 40 zeros (GitHub's `before` on a new branch) selects every tenant.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["lines", "json"]),
    default="lines",
    show_default=True,
    help="One folder per line, or a JSON array (for a GitHub Actions matrix).",
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def changed(base: str, output: str, paths: tuple[Path, ...]) -> None:
    """List the tenant folders changed since REF (committed, staged, unstaged or untracked).

    Every tenant is listed when a shared input changed (templates/, skyconf.yaml, schemas/). A
    deleted tenant folder is not listed: it no longer exists, and skyconf never wipes a domain
    because its folder went away; it is named on stderr instead. PATH defaults to tenants.
    """

    @friendly_errors
    def run() -> None:
        result = changed_tenants(base, list(paths) or [Path("tenants")])
        if result.everything_because:
            err.print(f"every tenant: {result.everything_because} changed", markup=False, emoji=False)
        for folder in result.removed:
            err.print(
                f"{folder}: folder deleted; skyconf no longer manages that domain (nothing is removed from the PBX)",
                markup=False,
                emoji=False,
            )
        if output == "json":
            click.echo(json.dumps(result.tenants))
        else:
            for folder in result.tenants:
                click.echo(folder)

    run()


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; list the files that would change and exit 1 if any.")
def fmt(paths: tuple[Path, ...], check: bool) -> None:
    """Format tenant YAML canonically, keeping comments, key order and quotes.

    PATH is a tenant YAML file, a tenant folder, or a folder of tenants such as tenants/. A file
    fmt cannot format without losing a comment or changing its data is reported and left alone.
    """

    @friendly_errors
    def run() -> None:
        files = format_paths(list(paths), check=check)
        if check:
            for path in files:
                click.echo(str(path))
            if files:
                err.print(
                    f"{len(files)} file(s) would be reformatted; run `skyconf fmt` on them.", markup=False, emoji=False
                )
                sys.exit(EXIT_ERROR)
            return
        for path in files:
            out.print(f"formatted {path}", markup=False, emoji=False)

    run()
