"""What plan and apply say while they work, on stderr.

On a terminal: a spinner per tenant while its live state is read (with its count of requests so far)
and one progress bar while changes are applied. Elsewhere (CI logs): no redrawing, only a line per
tenant when its apply finishes and a line per change that failed or was skipped. With -v, a summary
of the requests per tenant (by method, retries, time) is logged when reading and applying end.
Counts come from the provider (`Session.request_stats`); a provider that keeps none shows no counts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.spinner import Spinner
from rich.text import Text

from skyconf.apply import Outcome
from skyconf.cli.common import is_live
from skyconf.providers import RequestStats

log = logging.getLogger("skyconf.cli")
# Tenants shown being read at once; a fleet shows the first ones and how many more.
SHOWN_TENANTS = 8
Counts = Callable[[str], RequestStats | None]


def requests_text(methods: dict[str, int], retries: int) -> str:
    """`1,234 requests (GET 1,200, PUT 34), 2 retries`."""
    total = sum(methods.values())
    by_method = ", ".join(f"{m} {n:,}" for m, n in sorted(methods.items()) if n)
    text = f"{total:,} request{'s' if total != 1 else ''}" + (f" ({by_method})" if by_method else "")
    return text + f", {retries:,} retr{'ies' if retries != 1 else 'y'}"


class _Reading:
    """The live display while tenants are read: one spinner line per tenant still being read."""

    def __init__(self, domains: dict[str, str], counts: Counts) -> None:
        self.domains = domains
        self.counts = counts
        self.done: set[str] = set()
        self.spinners = {tenant: Spinner("dots") for tenant in domains}

    def __rich__(self) -> RenderableType:
        # Rendered by rich's refresh thread: it only reads ints and tests set membership.
        pending = [t for t in self.domains if t not in self.done]
        lines: list[RenderableType] = []
        if len(self.domains) > 1:
            lines.append(Text(f"read {len(self.domains) - len(pending)}/{len(self.domains)} tenants"))
        for tenant in pending[:SHOWN_TENANTS]:
            stats = self.counts(self.domains[tenant])
            spinner = self.spinners[tenant]
            spinner.update(text=Text(f"reading {tenant}: {stats.total if stats else 0:,} requests"))
            lines.append(spinner)
        if len(pending) > SHOWN_TENANTS:
            lines.append(Text(f"  and {len(pending) - SHOWN_TENANTS} more"))
        return Group(*lines)


@contextmanager
def reading(domains: dict[str, str], counts: Counts, console: Console, verbose: int) -> Iterator[Callable[[str], None]]:
    """Around reading the tenants (`domains`: tenant name -> domain); yields the `on_read` callback.
    With -q (verbose < 0) or off a terminal, nothing is shown while reading."""
    started = time.monotonic()
    took: dict[str, float] = {}
    display = _Reading(domains, counts)

    def on_read(tenant: str) -> None:
        took[tenant] = time.monotonic() - started
        display.done.add(tenant)

    live = None
    if is_live(console) and verbose >= 0:
        live = Live(display, console=console, transient=True, refresh_per_second=8)
        live.start(refresh=True)
    try:
        yield on_read
    finally:
        if live is not None:
            live.stop()
    for tenant, domain in domains.items():
        stats = counts(domain)
        sent = requests_text(stats.methods, stats.retries) if stats else "requests not counted"
        log.info("%s: read with %s, in %.1f s", tenant, sent, took.get(tenant, time.monotonic() - started))


class Applying:
    """Reports each finished change (`report`, apply_runs' `on_outcome`): a bar on a terminal, a line
    per tenant as it finishes, and a line per change that failed or was skipped, always."""

    def __init__(self, totals: dict[str, int], domains: dict[str, str], counts: Counts, console: Console) -> None:
        self.totals = totals  # tenant -> its number of changes
        self.domains = domains
        self.counts = counts
        self.console = console
        self.quiet = False
        self.outcomes: dict[str, dict[str, int]] = {t: {"done": 0, "failed": 0, "skipped": 0} for t in totals}
        self.started = time.monotonic()
        self.took: dict[str, float] = {}
        self.before: dict[str, tuple[dict[str, int], int]] = {}
        self.progress: Progress | None = None
        self.task = TaskID(0)

    def start(self, verbose: int) -> None:
        self.quiet = verbose < 0
        self.started = time.monotonic()
        for domain in self.domains.values():
            stats = self.counts(domain)
            self.before[domain] = (dict(stats.methods), stats.retries) if stats else ({}, 0)
        if is_live(self.console) and not self.quiet:
            self.progress = Progress(
                TextColumn("applying"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[problems]}", style="red", markup=False),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.progress.start()
            self.task = self.progress.add_task("apply", total=sum(self.totals.values()), problems="")

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
        for tenant, domain in self.domains.items():
            if tenant not in self.took:
                continue
            stats = self.counts(domain)
            if stats is None:
                log.info("%s: applied in %.1f s", tenant, self.took[tenant])
                continue
            methods, retries = self.before.get(domain, ({}, 0))
            sent = requests_text({m: n - methods.get(m, 0) for m, n in stats.methods.items()}, stats.retries - retries)
            log.info("%s: applied with %s, in %.1f s", tenant, sent, self.took[tenant])

    def report(self, tenant: str, outcome: Outcome) -> None:
        counted = self.outcomes[tenant]
        counted[outcome.status] += 1
        if outcome.status != "done":
            c = outcome.change
            line = f"{tenant}: {c.action} {c.kind} {'/'.join(c.key)}: {outcome.status} ({outcome.error})"
            self.console.print(line, style="red" if outcome.status == "failed" else "yellow", markup=False)
        if self.progress is not None:
            self.progress.update(self.task, advance=1, problems=self._problems())
        if sum(counted.values()) == self.totals[tenant]:
            self.took[tenant] = time.monotonic() - self.started
            if not self.quiet:
                self.console.print(self.summary(tenant), markup=False)

    def summary(self, tenant: str) -> str:
        """`big.example: 13,004 applied, 0 failed, 2 skipped`."""
        c = self.outcomes[tenant]
        return f"{tenant}: {c['done']:,} applied, {c['failed']:,} failed, {c['skipped']:,} skipped"

    def _problems(self) -> str:
        failed = sum(c["failed"] for c in self.outcomes.values())
        skipped = sum(c["skipped"] for c in self.outcomes.values())
        return f"{failed:,} failed, {skipped:,} skipped" if failed or skipped else ""


@contextmanager
def applying(
    totals: dict[str, int], domains: dict[str, str], counts: Counts, console: Console, verbose: int
) -> Iterator[Callable[[str, Outcome], None]]:
    """Around apply_runs; yields its `on_outcome` callback (see Applying)."""
    reporter = Applying(totals, domains, counts, console)
    reporter.start(verbose)
    try:
        yield reporter.report
    finally:
        reporter.stop()
