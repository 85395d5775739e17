"""What every command shares: consoles, exit codes, turning errors into one-line messages, common
options (-v/-q on every command), lazily imported subcommands, logging, and how the process's garbage
collector is tuned."""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from skyconf import redact
from skyconf.errors import ConfigError, SkyconfError
from skyconf.pipeline import load_all
from skyconf.resolve import Desired

# Usage errors exit 64 (EX_USAGE of sysexits.h), not click's 2: 2 means "changes present" for
# `plan --detailed-exitcode`, and CI must not read a mistyped option as a pending change.
EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_USAGE = 0, 1, 2, 64
F = TypeVar("F", bound=Callable[..., Any])


class RedactingConsole(Console):
    """A console whose text passes through the redaction layer (see skyconf.redact)."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(redact.redact(o) if isinstance(o, str) else o for o in objects), **kwargs)

    def lines(self, lines: Iterable[str], style: str) -> None:
        """Plain lines (no markup), redacted: styled on a terminal; off one, written in one go, since
        rich's per-line work is most of the cost of a few thousand warnings in a CI log."""
        if self.is_terminal:
            for line in lines:
                self.print(line, style=style, markup=False)
            return
        text = "".join(redact.redact(line) + "\n" for line in lines)
        if text:
            self.file.write(text)
            self.file.flush()


def echo(text: str, nl: bool = True) -> None:
    """click.echo to stdout, redacted (JSON and markdown plans, rendered phone configurations)."""
    click.echo(redact.redact(text), nl=nl)


out = RedactingConsole(highlight=False, soft_wrap=True)
err = RedactingConsole(stderr=True, highlight=False, soft_wrap=True)


def is_live(console: Console) -> bool:
    """Whether progress may redraw in place on `console`: a terminal as rich detects it (FORCE_COLOR
    counts, TTY_COMPATIBLE=0 does not), and not a dumb one. Otherwise output is plain lines (CI logs)."""
    return console.is_terminal and not console.is_dumb_terminal


class ConsoleLogHandler(logging.Handler):
    """Log records printed through `err`: redacted, and above a progress display instead of through it.
    skyconf's own loggers pass at the level -v/-vv chose; other libraries' only from warnings up."""

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name == "skyconf" or record.name.startswith("skyconf.")
        return (ours or record.levelno >= logging.WARNING) and super().filter(record)

    def emit(self, record: logging.LogRecord) -> None:
        err.print(self.format(record), markup=False, style="dim" if record.levelno < logging.WARNING else None)


_log_handler = ConsoleLogHandler()
_log_handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
_LEVELS = {0: logging.WARNING, 1: logging.INFO}


def configure_logging(verbose: int) -> None:
    """0: warnings; 1 (-v): skyconf's summaries (requests per tenant); 2 (-vv): every request and retry."""
    root = logging.getLogger()
    if _log_handler not in root.handlers:
        root.addHandler(_log_handler)
    logging.getLogger("skyconf").setLevel(_LEVELS.get(verbose, logging.DEBUG))
    # Retries are logged by skyconf itself; the retry library's own warnings only repeat them.
    logging.getLogger("stamina").setLevel(logging.ERROR)
    redact.install_log_filter()


def verbosity() -> int:
    """-1 with -q, else how many -v were given (before and after the command's name together)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return 0
    return -1 if ctx.meta.get("skyconf.quiet") else int(ctx.meta.get("skyconf.verbose", 0))


def _count_output_option(ctx: click.Context, param: click.Parameter, value: int | bool) -> None:
    """-v and -q may come before the command's name, after it, or both: they add up in ctx.meta,
    which every context of one command line shares."""
    key = f"skyconf.{param.name}"
    ctx.meta[key] = int(ctx.meta.get(key, 0)) + int(value)
    if ctx.meta.get("skyconf.quiet") and ctx.meta.get("skyconf.verbose"):
        raise click.UsageError("-q/--quiet and -v/--verbose contradict each other", ctx)
    configure_logging(max(verbosity(), 0))


def output_options(command: F) -> F:
    """-v/--verbose (count) and -q/--quiet, for a command or group (LazyGroup adds them to every
    subcommand it hands out, so they are accepted after the subcommand's name as well)."""
    command = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_count_output_option,
        help="Print only errors and the final result line (plan, apply, validate).",
    )(command)
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        callback=_count_output_option,
        help="-v: requests, retries and time per tenant; -vv: every request and retry.",
    )(command)


def friendly_errors(func: F) -> F:
    """User-caused errors end as their one-line messages and exit 1, never as a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            for problem in exc.problems:
                err.print(str(problem), markup=False)
            err.print(f"{len(exc.problems)} problem(s); nothing was written to the PBX.", style="red", markup=False)
            sys.exit(EXIT_ERROR)
        except SkyconfError as exc:
            err.print(f"error: {exc}", style="red", markup=False)
            sys.exit(EXIT_ERROR)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except KeyboardInterrupt:
            err.print("interrupted; a re-run continues from the PBX's current state.", markup=False)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("SKYCONF_DEBUG"):
                raise
            err.print(
                f"internal error: {type(exc).__name__}: {exc} (set SKYCONF_DEBUG=1 for a traceback)",
                style="red",
                markup=False,
            )
            sys.exit(EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


paths_argument = click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
pbx_option = click.option("--pbx", "pbx", help="Connection profile to use instead of each tenant's `pbx:`.")


def _usage_exit(exc: click.UsageError) -> None:
    """Make a usage error exit EXIT_USAGE (click's exit code is a class attribute, hence vars())."""
    vars(exc)["exit_code"] = EXIT_USAGE


class LazyGroup(click.Group):
    """A group whose listed commands are imported only when run (or listed by --help), so a plan does
    not pay for importing the importer, the timeline renderer or the sandbox server."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}  # command name -> "module:attribute"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            _usage_exit(exc)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        """Usage errors of subcommands (a bad option, a missing argument) exit EXIT_USAGE."""
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            _usage_exit(exc)
            raise

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            found = getattr(importlib.import_module(module), attribute)
            assert isinstance(found, click.Command)
            command: click.Command | None = found
        else:
            command = super().get_command(ctx, cmd_name)
        if command is not None and not any(p.name == "verbose" for p in command.params):
            output_options(command)
        return command


def load_tenants(
    paths: list[Path], today: dt.date | None = None, *, secrets: bool = True, keep_models: bool = True
) -> list[Desired]:
    """`pipeline.load_all` with the collector paused: loading builds hundreds of thousands of objects
    that live until the command ends, and no garbage cycles, so the cyclic collector's passes over
    them only cost time (they doubled the CPU time of loading). What was built is then frozen, so
    later passes skip it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return load_all(paths, today, secrets=secrets, keep_models=keep_models)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@contextmanager
def young_collections_only() -> Iterator[None]:
    """While live state is read, the collector still clears each request's short-lived cycles but
    makes no full passes: those walk the growing live state and stall every request in flight.
    Pausing it altogether instead lets the requests' cycles pile up (see docs/benchmarks.md)."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, 2**31 - 1)
    try:
        yield
    finally:
        gc.set_threshold(young, middle, old)
        gc.freeze()
