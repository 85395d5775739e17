"""`skyconf selftest`: the first command to run against a new PBX (see skyconf/selftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from skyconf import eventloop
from skyconf.cli.common import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, friendly_errors, out
from skyconf.errors import SkyconfError
from skyconf.pipeline import Session, repo_root
from skyconf.selftest import run_selftest


@click.command(name="selftest")
@click.option("--pbx", "pbx", required=True, help="Connection profile of the PBX to test.")
@click.option("--domain", required=True, help="A scratch domain: selftest writes objects there and deletes them.")
@click.option("--allow-existing", is_flag=True, help="Run even though the domain has users (never touches theirs).")
def selftest(pbx: str, domain: str, allow_existing: bool) -> None:
    """Write one object of every kind and every forward-target form into a scratch domain, read each
    back, compare, and delete them. Prints per check `held`, `differed` or `refused`, and the dialect
    settings that make a failing check hold. Exit 0 when all hold, 2 when some do not, 1 on error."""

    @friendly_errors
    def run() -> int:
        lines, failed, leftovers = eventloop.run(_selftest(pbx, domain, allow_existing))
        for line in lines:
            out.print(line, markup=False, emoji=False)
        if leftovers:
            raise SkyconfError("cleanup left objects behind: " + "; ".join(leftovers))
        return EXIT_CHANGES if failed else EXIT_OK

    code = run()
    sys.exit(code if code is not None else EXIT_ERROR)


async def _selftest(pbx: str, domain: str, allow_existing: bool) -> tuple[list[str], bool, list[str]]:
    async with Session(repo_root([Path.cwd()])) as session:
        return await run_selftest(session, pbx, domain, allow_existing)
