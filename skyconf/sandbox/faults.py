"""Deterministic fault injection, so client retry and idempotency logic can be tested repeatably.

A `Faults` value is plain configuration; a `FaultInjector` turns it into one `FaultDecision` per vendor
request. The injector draws a fixed number of random numbers per request from `random.Random(seed)`,
so the same seed and the same request sequence always give the same faults.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Faults:
    """Fault configuration. All zero (the default) means a well-behaved server.

    - ``latency_ms``: time to answer each vendor request, counted from its arrival (the sandbox's own
      work included, like a PBX with a fixed response time).
    - ``error_rate``: share of vendor requests answered 500 or 503 (half each, by the seeded draw).
    - ``error_after_write_share``: for writes, the share of those errors raised *after* the write was
      applied (a naive retry of a create then duplicates it or hits a 409).
    - ``burst_429_every`` / ``burst_429_length``: every N-th request starts K consecutive 429 answers
      carrying ``Retry-After: retry_after_s``.
    - ``drop_rate``: share of otherwise successful responses whose connection is dropped mid-body.
    - ``slow_body_ms``: pause before each body chunk (bodies go out in up to 4 chunks).
    - ``async_writes``: seconds before a write answered 202 becomes visible (the vendor's 202 only means
      accepted); reads before then do not show it. Writes answering 200 (``synchronous: "yes"``) apply
      at once. Measured on the app's clock.
    - ``empty_list_404``: 1 makes list GETs under a domain that would answer ``[]`` answer 404
      ``{"code": 404, "message": ...}`` instead, as some live servers do.
    """

    seed: int = 0
    latency_ms: float = 0
    error_rate: float = 0.0
    error_after_write_share: float = 0.5
    burst_429_every: int = 0
    burst_429_length: int = 0
    retry_after_s: float = 1.0
    drop_rate: float = 0.0
    slow_body_ms: float = 0.0
    async_writes: float = 0.0
    empty_list_404: int = 0

    def __post_init__(self) -> None:
        for name in ("error_rate", "error_after_write_share", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        for name in (
            "latency_ms",
            "burst_429_every",
            "burst_429_length",
            "retry_after_s",
            "slow_body_ms",
            "async_writes",
            "empty_list_404",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    @classmethod
    def parse(cls, text: str) -> Faults:
        """Build from a compact ``key=value,key=value`` string (the CLI's ``--faults``)."""
        values: dict[str, Any] = {}
        for item in text.split(","):
            item = item.strip()
            if not item:
                continue
            key, sep, raw = item.partition("=")
            if not sep:
                raise ValueError(f"fault setting {item!r} is not key=value")
            values[key.strip().replace("-", "_")] = raw.strip()
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Faults:
        """Build from a mapping (JSON or parsed text); values are converted to the field types."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, raw in values.items():
            if key not in known:
                raise ValueError(f"unknown fault setting {key!r}; known: {', '.join(known)}")
            if isinstance(raw, bool):
                raise ValueError(f"fault setting {key!r} must be a number")
            try:
                kwargs[key] = int(raw) if known[key].type in ("int", int) else float(raw)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"fault setting {key!r} must be a number, got {raw!r}") from exc
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def active(self) -> bool:
        """True when any per-request fault is configured (used to skip work on the happy path);
        ``async_writes`` and ``empty_list_404`` are state, not per-request draws."""
        return bool(
            self.latency_ms
            or self.error_rate
            or (self.burst_429_every and self.burst_429_length)
            or self.drop_rate
            or self.slow_body_ms
        )


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request. ``status`` is 429, 500 or 503, or None for a normal answer."""

    index: int
    latency_s: float = 0.0
    status: int | None = None
    after_write: bool = False
    retry_after: str | None = None
    drop: bool = False
    slow_body_s: float = 0.0


class FaultInjector:
    """Stateful, seeded source of `FaultDecision`s; replacing the config restarts the sequence."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.replace(faults or Faults())

    @property
    def faults(self) -> Faults:
        return self._faults

    def replace(self, faults: Faults) -> None:
        """Install a new config and reset the random sequence, request counter and any 429 burst."""
        self._faults = faults
        self._rng = random.Random(faults.seed)
        self._count = 0
        self._burst_left = 0

    def decide(self, is_write: bool) -> FaultDecision:
        """Decide the fault for the next vendor request (always consumes four random draws)."""
        f = self._faults
        self._count += 1
        r_error, r_kind, r_after, r_drop = (self._rng.random() for _ in range(4))
        if f.burst_429_every > 0 and f.burst_429_length > 0 and self._count % f.burst_429_every == 0:
            self._burst_left = f.burst_429_length
        status: int | None = None
        after_write = False
        retry_after: str | None = None
        if self._burst_left > 0:
            self._burst_left -= 1
            status = 429
            retry_after = _format_seconds(f.retry_after_s)
        elif r_error < f.error_rate:
            status = 500 if r_kind < 0.5 else 503
            after_write = is_write and r_after < f.error_after_write_share
        return FaultDecision(
            index=self._count,
            latency_s=f.latency_ms / 1000.0,
            status=status,
            after_write=after_write,
            retry_after=retry_after,
            drop=status is None and r_drop < f.drop_rate,
            slow_body_s=f.slow_body_ms / 1000.0,
        )


def _format_seconds(seconds: float) -> str:
    """Retry-After value: whole seconds as an integer (RFC 9110), fractions kept for fast tests."""
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:g}"
