"""HTTP access to a NetSapiens API v2 server: bounded concurrency, retries, one read per path per run.

Retries (429 with Retry-After, 5xx, timeouts, dropped connections) use `stamina`: exponential
backoff with jitter and a bound on attempts and total time. A 429 is the server asking for patience,
not failing: it has its own, larger bound on attempts, so a burst of them does not use up the retries
meant for errors. A TLS certificate failure is never retried. Every error message names the request
but never carries the credentials.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import stamina

from skyconf.errors import PbxError
from skyconf.providers import RequestStats

log = logging.getLogger("skyconf.netsapiens")
# The domain whose work a request is for, set by the tenant connection around its reads and writes:
# requests are counted per domain (Api.by_domain). Tasks a read starts inherit it.
for_domain: ContextVar[str] = ContextVar("for_domain", default="")

RETRY_STATUS = {429, 500, 502, 503, 504}
# Child collections whose GET may answer 404 when empty (live servers do; clients tolerate it): read
# as []. The domain itself (read first, on its own), a user, or any single object keep their 404.
CHILD_LISTS = frozenset(
    {
        "users",
        "phones",
        "answerrules",
        "timeframes",
        "contacts",
        "moh",
        "devices",
        "conferences",
        "callqueues",
        "autoattendants",
        "agents",
    }
)
# Reading back an object a write was answered 202 for (accepted, not yet readable): tries and waits.
SETTLE_ATTEMPTS = 6
SETTLE_TIMEOUT_S = 5.0


def is_child_list(path: str) -> bool:
    """`/domains/d/users/101/answerrules` yes; `/domains/d`, `/domains/d/users/101` no."""
    parts = path.rstrip("/").split("/")
    # `/domains/moh` is a domain and `/users/contacts` a user, whatever their names.
    return len(parts) >= 4 and parts[-1] in CHILD_LISTS and parts[-2] not in ("domains", "users")


@dataclass
class RetryPolicy:
    # Attempts of a request that meets errors (5xx, timeouts, dropped connections). With 6, a PBX
    # failing a quarter of its answers (the README's fault spec) made one apply in about 25 give up.
    attempts: int = 8
    # Further attempts a request may spend waiting out 429 answers (within timeout_s).
    throttled_attempts: int = 20
    timeout_s: float = 120.0
    wait_initial_s: float = 0.2
    wait_max_s: float = 5.0


class ApiError(PbxError):
    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"PBX refused {method} {path}: HTTP {status} {message}".rstrip())


class _NotYet(Exception):
    """An object a 202 accepted is not readable yet."""


class _Retryable(Exception):
    def __init__(self, status: int, retry_after: float | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def segment(value: str) -> str:
    """A path segment, URL-encoded (time frame names have spaces; the default rule is `*`)."""
    return quote(value, safe="")


@dataclass
class Api:
    """One PBX. Each of `lanes` is a client with a single keep-alive connection; a request borrows an
    idle lane, so at most len(lanes) requests are in flight (the profile's `concurrency`).

    Lanes rather than one client with a pool of connections: httpcore's pool can hand two waiting
    requests the same idle connection, and the loser is queued again (1,761 times in the 3,006
    requests of a 1,000-user plan), with the pool re-examining every connection each time. With
    lanes the client spends about a tenth less CPU per request (measured with 8 in flight).
    """

    lanes: list[httpx.AsyncClient]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Requests sent per domain (see for_domain), by method and with retries: progress and `-v`.
    by_domain: dict[str, RequestStats] = field(default_factory=dict)
    _idle: asyncio.Queue[httpx.AsyncClient] | None = None
    # GETs of this run: in flight (a future), then answered (status, body as `_kept` keeps it).
    _reads: dict[str, asyncio.Future[tuple[int, Any]] | tuple[int, Any]] = field(default_factory=dict)
    # Other clients closed with the lanes (the OAuth token client).
    extra_clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return str(self.lanes[0].base_url)

    async def get(
        self, path: str, params: dict[str, Any] | None = None, *, missing_ok: bool = False, keep: bool = True
    ) -> Any:
        """GET once per run: a second read of the same path gets the first answer. `keep=False` is
        for a list one reader alone reads (a user's contacts): readers while it is in flight share
        it, and once answered it is not kept.

        The answer is kept as the JSON text the server sent, compressed, and parsed for each reader,
        which converts its own copy and drops it: kept parsed, the answers of a 1,000-user plan took
        34 MB, the largest part of its memory, for as long as the run lasted (as text, 12 MB)."""
        cache_key = path + "?" + "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
        kept = self._reads.get(cache_key)
        if kept is None:
            kept = self._reads[cache_key] = asyncio.ensure_future(self._kept(path, params, missing_ok))
        if isinstance(kept, asyncio.Future):
            future = kept
            kept = await future
            if self._reads.get(cache_key) is future:
                if keep:
                    self._reads[cache_key] = kept  # answered: keep the answer, not its task
                else:
                    del self._reads[cache_key]
        status, body = kept
        if not isinstance(body, bytes):
            return body
        try:
            return jsonlib.loads(zlib.decompress(body))
        except ValueError:
            raise ApiError("GET", path, status, "answer is not JSON") from None

    async def _kept(self, path: str, params: dict[str, Any] | None, missing_ok: bool) -> tuple[int, Any]:
        """A GET's status and body as `get` keeps it: a JSON body compressed (fast, about a tenth)."""
        status, body = await self.send("GET", path, params=params, missing_ok=missing_ok, raw=True)
        return status, zlib.compress(body, 1) if isinstance(body, bytes) else body

    async def close(self) -> None:
        await asyncio.gather(*(client.aclose() for client in [*self.lanes, *self.extra_clients]))

    def _stats(self) -> RequestStats:
        domain = for_domain.get()
        if domain not in self.by_domain:
            self.by_domain[domain] = RequestStats()
        return self.by_domain[domain]

    def forget(self) -> None:
        """Drop cached reads (after writes, before a re-read)."""
        self._reads.clear()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        missing_ok: bool = False,
        done_already: Callable[[], Awaitable[bool]] | None = None,
    ) -> Any:
        """Send one request with retries; returns the parsed JSON body (None when empty).

        `done_already` is for creates the server cannot recognise as repeats (no key chosen by the
        client, so no 409): before each retry it looks for what an attempt whose answer was lost may
        have made, and when it finds it the request counts as done (None is returned).
        """
        return (
            await self.send(method, path, json=json, params=params, missing_ok=missing_ok, done_already=done_already)
        )[1]

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        missing_ok: bool = False,
        done_already: Callable[[], Awaitable[bool]] | None = None,
        raw: bool = False,
    ) -> tuple[int, Any]:
        """`request`, answering (HTTP status, parsed body); a request found done already is (200, None).
        With `raw`, a body is the bytes the server sent (parsed by the caller)."""

        errors = throttled = 0

        def backoff(exc: Exception) -> bool | float:
            nonlocal errors, throttled
            if isinstance(exc, _Retryable) and exc.status == 429:
                throttled += 1
                if throttled > self.retry.throttled_attempts:
                    return False
            elif isinstance(exc, (_Retryable, httpx.TransportError)) and not certificate_problem(exc):
                errors += 1
                if errors >= self.retry.attempts:
                    return False
            else:
                return False
            self._stats().retries += 1
            if isinstance(exc, _Retryable):
                log.debug("retrying %s %s after HTTP %s", method, path, exc.status)
                return exc.retry_after if exc.retry_after is not None else True
            log.debug("retrying %s %s after %s", method, path, type(exc).__name__)
            return True

        # The first attempt runs outside the retry machinery: nearly every request needs only that one,
        # and setting stamina up per request cost a 1,000-user plan about 0.4 s of its 10 s. A failure
        # is replayed as stamina's first attempt, so waits, Retry-After and the attempt bound hold.
        failed: Exception | None = None
        try:
            return await self._once(method, path, json, params, missing_ok, raw)
        except (_Retryable, httpx.TransportError) as exc:
            if certificate_problem(exc):
                raise self._certificate_error() from None
            failed = exc
        try:
            async for attempt in stamina.retry_context(
                on=backoff,
                attempts=self.retry.attempts + self.retry.throttled_attempts,
                timeout=self.retry.timeout_s,
                wait_initial=self.retry.wait_initial_s,
                wait_max=self.retry.wait_max_s,
            ):
                with attempt:
                    if failed is not None:
                        replay, failed = failed, None
                        raise replay
                    if done_already is not None and attempt.num > 1 and await done_already():
                        return 200, None
                    return await self._once(method, path, json, params, missing_ok, raw)
        except _Retryable as exc:
            raise ApiError(method, path, exc.status, f"{exc} (gave up after retries)") from None
        except httpx.TransportError as exc:
            if certificate_problem(exc):
                raise self._certificate_error() from None
            raise PbxError(
                f"PBX at {self.base_url} unreachable for {method} {path}: {type(exc).__name__} (gave up after retries)"
            ) from None
        raise AssertionError("unreachable")

    def _certificate_error(self) -> PbxError:
        return PbxError(
            f"PBX at {self.base_url}: its TLS certificate could not be verified (a certificate problem, not a "
            "network one: expired, self-signed, or for another host name). Fix the certificate; for a lab PBX "
            "only, set `verify_tls: false` in its profile in skyconf.yaml"
        )

    async def post_new(
        self,
        path: str,
        body: Any,
        *,
        listed: Callable[[dict[str, Any]], bool] | None = None,
        settle: bool = False,
    ) -> bool:
        """POST a new object; False when the PBX answers 409 because it exists already (made by an
        earlier attempt whose answer was lost, usually), for the caller to update it instead.

        `listed` recognises the new object in the list at `path`. The spec documents no 409 for most
        creates, so before a retry (never before the first attempt) the list is read and a match means
        an earlier attempt made it. With `settle`, a 202 answer (accepted, not yet readable) is followed
        by reading the list until the object shows (`wait_listed`), for a next step that needs it."""
        check = self.finds(path, listed) if listed is not None else None
        try:
            status, _ = await self.send("POST", path, json=body, done_already=check)
        except ApiError as exc:
            if exc.status != 409:
                raise
            return False
        if settle and status == 202 and listed is not None:
            await self.wait_listed(path, listed, f"POST {path}")
        return True

    def finds(self, path: str, match: Callable[[dict[str, Any]], bool]) -> Callable[[], Awaitable[bool]]:
        """A `done_already` check: a fresh read of the list at `path` has an item `match` accepts."""

        async def check() -> bool:
            items = await self.request("GET", path)
            return any(match(item) for item in items or [] if isinstance(item, dict))

        return check

    async def wait_listed(self, path: str, match: Callable[[dict[str, Any]], bool], what: str) -> None:
        """Read the list at `path` until an item `match` accepts shows: a few tries with short backoff
        (up to SETTLE_TIMEOUT_S), then a PbxError. The run's cached read of `path` is dropped."""
        await self.wait_until(path, self.finds(path, match), what)

    async def wait_until(self, path: str, check: Callable[[], Awaitable[bool]], what: str) -> None:
        """`wait_listed` with any check of what `path` reads now."""
        self._reads = {k: v for k, v in self._reads.items() if not k.startswith(path + "?")}
        try:
            async for attempt in stamina.retry_context(
                on=_NotYet, attempts=SETTLE_ATTEMPTS, timeout=SETTLE_TIMEOUT_S, wait_initial=0.1, wait_max=1.0
            ):
                with attempt:
                    if not await check():
                        raise _NotYet()
        except _NotYet:
            raise PbxError(
                f"{what} was accepted (HTTP 202) but the object is still not readable at GET {path} after "
                f"{SETTLE_ATTEMPTS} tries; the PBX is slow to apply writes: run apply again"
            ) from None

    async def _once(
        self,
        method: str,
        path: str,
        json: Any,
        params: dict[str, Any] | None,
        missing_ok: bool,
        raw: bool = False,
    ) -> tuple[int, Any]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for lane in self.lanes:
                self._idle.put_nowait(lane)
        lane = await self._idle.get()
        try:
            self._stats().count(method)
            started = time.monotonic()
            response = await lane.request(method, path, json=json, params=params)
            await response.aread()
        finally:
            self._idle.put_nowait(lane)
        if log.isEnabledFor(logging.DEBUG):
            query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
            ms = (time.monotonic() - started) * 1000
            log.debug("%s %s%s: HTTP %s in %.0f ms", method, path, query, response.status_code, ms)
        if response.status_code in RETRY_STATUS:
            raise _Retryable(response.status_code, _retry_after(response), _message(response))
        if response.status_code == 404 and method == "GET" and is_child_list(path):
            return 404, []
        if response.status_code == 404 and missing_ok:
            return 404, None
        if response.status_code >= 400:
            raise ApiError(method, path, response.status_code, _message(response))
        if not response.content:
            return response.status_code, None
        if raw:
            return response.status_code, response.content
        try:
            return response.status_code, response.json()
        except ValueError:
            raise ApiError(method, path, response.status_code, "answer is not JSON") from None


def certificate_problem(exc: BaseException) -> bool:
    """The server's TLS certificate failed verification (anywhere in the exception's chain)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, min(float(value), 60.0))
    except ValueError:
        return None


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or "")
    return ""
