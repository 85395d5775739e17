"""``skyconf sandbox serve``: run the sandbox PBX over real HTTP with uvicorn (for demos)."""

from __future__ import annotations

import gc
from pathlib import Path

import click
import uvicorn

from skyconf.sandbox.app import create_app
from skyconf.sandbox.auth import DEFAULT_TOKEN_TTL
from skyconf.sandbox.dialects import DIALECTS
from skyconf.sandbox.faults import Faults
from skyconf.sandbox.log import RequestLog
from skyconf.sandbox.process import private_db
from skyconf.sandbox.vendor import PREFIX


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8089, show_default=True, type=int, help="TCP port.")
@click.option(
    "--db",
    "db",
    default=":memory:",
    show_default=True,
    metavar="FILE",
    help="SQLite file (created if missing); ':memory:' keeps nothing after exit.",
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    envvar="SKYCONF_SANDBOX_TOKEN",
    help="Accepted bearer token (repeatable). Default: $SKYCONF_SANDBOX_TOKEN (space-separated).",
)
@click.option(
    "--faults", "faults_text", default="", metavar="K=V,...", help="Fault injection, e.g. 'seed=1,error_rate=0.1'."
)
@click.option("--record-bodies", is_flag=True, help="Keep request and response bodies in the request log.")
@click.option(
    "--dialect",
    default="standard",
    show_default=True,
    type=click.Choice(sorted(DIALECTS)),
    help="Which PBX variant to be where real servers differ (see skyconf/sandbox/dialects.py).",
)
@click.option(
    "--oauth-user",
    "oauth_users",
    multiple=True,
    metavar="USER@DOMAIN:PASSWORD",
    help="A login the OAuth token endpoints accept (repeatable).",
)
@click.option(
    "--oauth-client",
    "oauth_clients",
    multiple=True,
    metavar="ID:SECRET",
    help="An OAuth client (repeatable); without one, any client_id is accepted.",
)
@click.option(
    "--token-ttl",
    default=DEFAULT_TOKEN_TTL,
    show_default=True,
    type=float,
    help="Seconds an issued OAuth access token stays valid.",
)
def serve(
    host: str,
    port: int,
    db: str,
    tokens: tuple[str, ...],
    faults_text: str,
    record_bodies: bool,
    dialect: str,
    oauth_users: tuple[str, ...],
    oauth_clients: tuple[str, ...],
    token_ttl: float,
) -> None:
    """Serve a NetSapiens-v2-compatible sandbox PBX."""
    if not tokens and not oauth_users:
        raise click.UsageError("give at least one --token (or set SKYCONF_SANDBOX_TOKEN) or --oauth-user")
    try:
        faults = Faults.parse(faults_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from exc
    private_db(Path(db))
    app = create_app(
        db,
        tokens,
        faults=faults,
        log=RequestLog(record_bodies=record_bodies),
        dialect=dialect,
        users=_pairs(oauth_users, "--oauth-user"),
        clients=_pairs(oauth_clients, "--oauth-client"),
        token_ttl=token_ttl,
    )
    click.echo(f"skyconf sandbox listening on http://{host}:{port}{PREFIX} (db: {db})")
    # The request log grows with every request and none of it is garbage; once it held a few thousand
    # entries, the cyclic collector's full passes over it held every answer back by tens of ms (a
    # benchmark plan after a cold apply: 9.8 s, 9.3 s without them). Young objects are still collected.
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 2**31 - 1)
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="off")


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """``NAME:SECRET`` values (the secret may itself hold ``:``) as a mapping."""
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, secret = value.partition(":")
        if not sep or not name or not secret:
            raise click.BadParameter(f"{value!r} is not NAME:SECRET", param_hint=option)
        pairs[name] = secret
    return pairs
