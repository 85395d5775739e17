"""A sandbox database filled directly, for the benchmark's `--calls` run (see skyconf.bench)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skyconf.sandbox.calls import CDR, Call, Ending, cdr_doc
from skyconf.sandbox.store import Store


def fill_calls(db: Path, domain: str, calls: int, users: int) -> None:
    """`calls` records spread evenly over November 2026, to and from `users` users, written straight
    into the sandbox's database (placing them one by one would time the router, not the reading)."""
    store = Store(db)
    month = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    step = dt.timedelta(days=30) / calls
    outcomes = (("answered", "{ext}"), ("voicemail", "vmail_{ext}"), ("missed", "{ext}"), ("forwarded", "queue_400"))

    def records() -> Iterator[tuple[str, dict[str, Any]]]:
        for i in range(calls):
            ext = str(1000 + i % users)
            outcome, term = outcomes[i % len(outcomes)]
            call = Call(domain, ext, f"+1212555{i % 10000:04d}", month + step * i, None)
            doc = cdr_doc(call, Ending(outcome, term.format(ext=ext), ext, 12), f"bench{i:08d}")
            yield f"{doc['call-start-datetime']}|{doc['id']}", doc

    with store.transaction():
        store.put(domain, "domain", "", domain, {"domain": domain, "time-zone": "America/New_York"})
        store.insert_many(domain, CDR, "", records())
    store.close()
