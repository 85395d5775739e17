"""`plan --routing-window FROM..TO`: what callers will experience differently once the plan is applied."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Any

from skyconf.errors import SkyconfError
from skyconf.model.timeframes import parse_local
from skyconf.pipeline import TenantRun
from skyconf.render.timeline_text import render_routing_diff_markdown, render_routing_diff_text
from skyconf.routing import DiffInterval, call_path, local_instant, routing_diff


@dataclass
class RoutingChanges:
    zone: zoneinfo.ZoneInfo
    by_user: dict[str, list[DiffInterval]]

    def text(self) -> str:
        return render_routing_diff_text(self.by_user, self.zone)

    def markdown(self) -> str:
        return render_routing_diff_markdown(self.by_user, self.zone)

    def as_json(self) -> list[dict[str, Any]]:
        return [
            {
                "user": ext,
                "start": d.start.isoformat(),
                "end": d.end.isoformat(),
                "before": call_path(d.before),
                "after": call_path(d.after),
            }
            for ext, diffs in self.by_user.items()
            for d in diffs
        ]


def routing_changes(run: TenantRun, window: str) -> RoutingChanges:
    """Routing differences between the live state and the plan's result, in the tenant's time zone."""
    zone = zoneinfo.ZoneInfo(run.desired.tenant.tenant.time_zone)
    first, sep, last = window.partition("..")
    if not sep:
        raise SkyconfError(f"--routing-window: '{window}' is not FROM..TO (e.g. 2026-12-20..2027-01-03)")
    try:
        start = local_instant(parse_local(first), zone)
        end = local_instant(parse_local(last, end=True), zone)
    except ValueError as exc:
        raise SkyconfError(f"--routing-window: {exc}") from None
    if end <= start:
        raise SkyconfError("--routing-window: the window ends before it starts")
    return RoutingChanges(zone, routing_diff(run.live_view, run.desired.state, start, end, run.desired.prune))
