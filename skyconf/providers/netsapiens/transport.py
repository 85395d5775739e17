"""One lane's HTTP: a lean `httpx` transport for its one connection, and a client that skips work.

Plans and applies are bound by how fast the client turns one answer into the next request, and
httpx's default transport (httpcore over anyio, h11 for parsing) spends much of the client's CPU per
request. A lane carries one request at a time over one keep-alive connection (see `Api`), so it
needs no pool: this transport is an asyncio protocol on that one connection, with `httptools` (the
parser uvicorn uses) reading the answers. It sends the request as httpx built it and returns the
whole answer at once (the API answers JSON, never streams). Errors are httpx's, so `Api`'s retry
policy treats them as before.

`Lane` is the httpx client above it, which also skips two costly steps this API has no use for:
reading every answer's cookies (it authenticates with a bearer token), and merging each relative
path into the base URL (which parses URLs twice).
"""

from __future__ import annotations

import asyncio
import select
import ssl
from typing import Any, cast

import httptools
import httpx

# Statuses whose answers never have a body, whatever their headers say (RFC 9110).
NO_BODY_STATUS = frozenset({204, 304})


class _Connection(asyncio.Protocol):
    """The protocol of one connection: parses answers, one at a time, into `answer`."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.answer: asyncio.Future[None] | None = None
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.keep_alive = True
        self.received = False
        self.until_close = False  # a body without length ends when the server closes
        self.last_read = 0.0
        self.read_timer: asyncio.TimerHandle | None = None
        self.writable: asyncio.Future[None] | None = None
        self.head = False
        self.parser: httptools.HttpResponseParser | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        if self.answer is None or self.answer.done() or self.parser is None:
            self.close()  # nothing was asked: the connection is not in a state to reuse
            return
        self.received = True
        self.last_read = asyncio.get_running_loop().time()
        try:
            self.parser.feed_data(data)
        except Exception as exc:  # httptools.HttpParserError; a protocol's callback must not raise
            self.fail(httpx.RemoteProtocolError(f"malformed HTTP answer: {exc}"))

    def eof_received(self) -> bool | None:
        self.lost(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost(exc)

    def pause_writing(self) -> None:
        self.writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)
        self.writable = None

    # httptools callbacks

    def on_message_begin(self) -> None:
        if self.parser is None:
            self.keep_alive = False  # more than the answer arrived: do not trust the connection

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.parser is not None:
            self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()
        if self.head or self.status in NO_BODY_STATUS:
            self.on_message_complete()  # the parser would wait for the body Content-Length announces
            return
        names = {name.lower() for name, _ in self.headers}
        self.until_close = b"content-length" not in names and b"transfer-encoding" not in names

    def on_body(self, body: bytes) -> None:
        if self.parser is None:
            self.keep_alive = False  # a body after an answer that has none (HEAD, 204, 304)
        else:
            self.body.append(body)

    def on_message_complete(self) -> None:
        self.parser = None
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(None)

    # the lane's side

    def start(self, head: bool) -> asyncio.Future[None]:
        """Get ready for the answer to a request about to be sent."""
        self.answer = asyncio.get_running_loop().create_future()
        self.status, self.headers, self.body = 0, [], []
        self.received = self.until_close = False
        self.head = head
        self.parser = httptools.HttpResponseParser(self)
        return self.answer

    def lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.resume_writing()
        if self.answer is None or self.answer.done():
            return
        if self.until_close and self.status:
            self.on_message_complete()
        elif exc is not None:
            self.fail(httpx.ReadError(f"connection lost: {exc}"))
        elif self.received:
            self.fail(httpx.RemoteProtocolError("the server closed the connection in the middle of its answer"))
        else:
            self.fail(httpx.RemoteProtocolError("the server closed the connection without answering"))

    def watch_reads(self, timeout: float) -> None:
        """The read timeout: fail the answer once nothing has arrived for `timeout` seconds."""
        loop = asyncio.get_running_loop()
        idle = loop.time() - self.last_read
        if idle >= timeout:
            self.fail(httpx.ReadTimeout("timed out waiting for the server's answer"))
        else:
            self.read_timer = loop.call_later(timeout - idle, self.watch_reads, timeout)

    def fail(self, exc: Exception) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(exc)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def reusable(self) -> bool:
        """Open, and nothing has arrived since the last answer (a closed socket reads as readable:
        the server dropped the idle connection, and the loop may not have seen it yet)."""
        if self.closed or self.transport is None or self.transport.is_closing():
            return False
        sock = self.transport.get_extra_info("socket")
        return sock is None or not readable(sock.fileno())


def readable(fd: int) -> bool:
    """Whether reading the socket would not block (data, or the end of the connection)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])


class LaneTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over one keep-alive connection to one server, opened on first use and again
    whenever the server closed it. One request at a time."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.connection: _Connection | None = None
        # Connections opened so far (tests count them).
        self.connects = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        connection = self.connection
        if connection is None or not connection.reusable():
            if connection is not None:
                connection.close()
            connection = self.connection = await self._connect(request.url, timeouts.get("connect"))
        try:
            return await self._exchange(connection, request, timeouts)
        except BaseException:
            connection.close()
            raise

    async def _exchange(
        self, connection: _Connection, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        assert connection.transport is not None
        if connection.answer is not None and not connection.answer.done():
            raise RuntimeError("a lane carries one request at a time")
        answer = connection.start(request.method == "HEAD")
        lines = [b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), request.url.raw_path)]
        lines += [b"%s: %s\r\n" % (name, value) for name, value in request.headers.raw]
        lines += [b"\r\n", await request.aread()]
        connection.transport.write(b"".join(lines))
        if connection.writable is not None:  # the request did not fit in the socket's buffer
            try:
                async with asyncio.timeout(timeouts.get("write")):
                    await connection.writable
            except TimeoutError:
                raise httpx.WriteTimeout("timed out sending the request") from None
        read_timeout = timeouts.get("read")
        if read_timeout is not None:
            connection.last_read = asyncio.get_running_loop().time()
            connection.watch_reads(read_timeout)
        try:
            await answer
        finally:
            if connection.read_timer is not None:
                connection.read_timer.cancel()
        closing = not connection.keep_alive or request.headers.get("connection", "").lower() == "close"
        if closing:
            connection.close()
        return httpx.Response(
            connection.status,
            headers=connection.headers,
            stream=httpx.ByteStream(b"".join(connection.body)),
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def _connect(self, url: httpx.URL, timeout: float | None) -> _Connection:
        loop = asyncio.get_running_loop()
        port = url.port or (443 if url.scheme == "https" else 80)
        tls: dict[str, Any] = {}
        if url.scheme == "https":
            tls = {"ssl": self.ssl_context or ssl.create_default_context(), "server_hostname": url.host}
        connection = _Connection()
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(lambda: connection, url.host, port, **tls)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {url.host}:{port} timed out") from None
        except OSError as exc:  # refused, unreachable, name unknown, TLS failures (ssl.SSLError)
            raise httpx.ConnectError(f"cannot connect to {url.host}:{port}: {exc}") from exc
        self.connects += 1
        return connection

    async def aclose(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class _NoCookies(httpx.Cookies):
    """Cookies that stay empty: httpx would hand every answer to urllib's cookie jar."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class Lane(httpx.AsyncClient):
    """One lane's client (see Api): an httpx client that keeps no cookies and makes a path
    absolute itself (with one URL parse)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._no_cookies = _NoCookies()
        self.prefix = str(self.base_url)  # with the trailing slash httpx gives it

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        if cookies:
            raise ValueError("a lane keeps no cookies")

    async def request(self, method: str, url: httpx.URL | str, **options: Any) -> httpx.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = httpx.URL(self.prefix + url[1:])
        return await super().request(method, url, **options)
