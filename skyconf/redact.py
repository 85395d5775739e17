"""One redaction layer for every output sink: consoles, saved plans, written files, logs and error
messages. Values that came from the environment (`${env:...}`) and credentials (API keys, OAuth
secrets) are registered once, when they are read; every sink passes its text through `redact`, so a
secret the PBX echoes back in an error message is replaced too.

Values shorter than MIN_LENGTH are not registered: replacing every "1" would make output unreadable,
and such short values are filled in only where the loader already masks them (PIN fields).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

MASK = "***"
MIN_LENGTH = 3

_lock = threading.Lock()
_secrets: set[str] = set()


def register(values: Iterable[str | None]) -> None:
    """Remember secrets to replace in every later output of this process."""
    with _lock:
        for value in values:
            if value and len(value) >= MIN_LENGTH:
                _secrets.add(value)


def registered() -> frozenset[str]:
    with _lock:
        return frozenset(_secrets)


def forget() -> None:
    """Drop every registered secret (tests that run several commands in one process)."""
    with _lock:
        _secrets.clear()


def redact(text: str, replace: Callable[[str], str] | None = None) -> str:
    """`text` with every registered secret replaced (longest first, so no part of one survives)."""
    secrets = registered()
    if not secrets or not text:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, replace(secret) if replace else MASK)
    return text


def redact_data(value: Any, replace: Callable[[str], str] | None = None) -> Any:
    """`redact` applied to every string (keys too) of JSON-like data."""
    if isinstance(value, str):
        return redact(value, replace)
    if isinstance(value, dict):
        return {redact_data(k, replace): redact_data(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_data(v, replace) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each log record's final message, so neither the format nor its arguments leak."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_filter() -> None:
    """Every handler of the root logger redacts (call after logging is configured)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
