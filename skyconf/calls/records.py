"""A call as skyconf speaks of it, whatever PBX recorded it (providers translate their records to this).

Outcomes: `answered` (by `target`, an extension or an E.164 number), `voicemail` (box `target`),
`forwarded` (left for `target`: `queue:400`, `auto_attendant:500`, `conference:300` or a number),
`missed` (rang `target` and nobody answered), `rejected` (busy), `failed` (no route).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Direction = Literal["inbound", "outbound", "internal"]
Outcome = Literal["answered", "voicemail", "forwarded", "missed", "rejected", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("answered", "voicemail", "forwarded", "missed", "rejected", "failed")


@dataclass(frozen=True)
class CallRecord:
    """One call: who called whom, when, and where it ended."""

    id: str
    start: dt.datetime  # aware, UTC
    direction: Direction
    caller: str  # an extension, or an E.164 number
    caller_name: str
    dialled: str  # the extension or number dialled
    outcome: Outcome
    target: str
    ring_seconds: int
    talk_seconds: int

    @property
    def total_seconds(self) -> int:
        return self.ring_seconds + self.talk_seconds
