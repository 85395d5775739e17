"""The lanes' lean HTTP/1.1 transport: against a raw asyncio server that answers from a script and
counts the connections it accepts; end to end against the served sandbox; and httpx's own
transport kept when a proxy from the environment applies to the PBX."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from skyconf.config import Profile
from skyconf.providers import netsapiens
from skyconf.providers.netsapiens.transport import Lane, LaneTransport
from skyconf.sandbox.process import ServedSandbox, free_port
from tests.conftest import run
from tests.test_faults import use_served

OK_BODY = b'{"ok":true}'
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n" + OK_BODY
# Script steps besides raw answers: close the connection without answering; never answer.
CLOSE = b"<close>"
HANG = b"<hang>"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class RawServer:
    """HTTP/1.1 on a loopback port: each request read is answered with the next step of `script`
    (raw bytes), and the connection closed after it when the step is in `close_after`."""

    def __init__(self, script: list[bytes], close_after: tuple[int, ...] = ()) -> None:
        self.script = list(script)
        self.close_after = close_after
        self.accepts = 0
        self.requests: list[bytes] = []
        self.closed = asyncio.Event()  # set when the server closed a connection
        self.server: asyncio.Server | None = None
        self.url = ""
        self.connections: list[asyncio.Task[Any]] = []

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await asyncio.gather(*self.connections)  # each ends when its client has closed

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepts += 1
        task = asyncio.current_task()
        assert task is not None
        self.connections.append(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                self.requests.append(head + await reader.readexactly(length))
                step = len(self.requests) - 1
                answer = self.script[step]
                if answer == HANG:
                    # Until the client gives up and closes (bounded, should it never).
                    await asyncio.wait_for(reader.read(), 30)
                    return
                if answer != CLOSE:
                    writer.write(answer)
                    await writer.drain()
                if answer == CLOSE or step in self.close_after:
                    return
        except asyncio.IncompleteReadError:
            return  # the client closed the connection
        finally:
            writer.close()
            await writer.wait_closed()
            self.closed.set()


def client(server: RawServer, **timeouts: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, transport=LaneTransport(), timeout=httpx.Timeout(10.0, **timeouts))


async def test_a_content_length_body_then_a_chunked_one_on_one_connection() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    async with RawServer([OK, chunked, OK]) as server, client(server) as http:
        first = await http.get("/a")
        second = await http.get("/b")
        third = await http.get("/c")
    assert (first.status_code, first.content, first.headers["content-type"]) == (200, OK_BODY, "application/json")
    assert second.content == b"hello world"
    assert third.content == OK_BODY
    assert server.accepts == 1


async def test_the_request_goes_out_as_httpx_built_it() -> None:
    async with RawServer([OK]) as server, client(server) as http:
        await http.post("/users?x=1", json={"user": "101"}, headers={"Authorization": "Bearer k"})
    head, body = server.requests[0].split(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /users?x=1 HTTP/1.1"
    assert f"Host: {server.url.removeprefix('http://')}".encode() in lines
    assert b"Authorization: Bearer k" in lines
    assert json.loads(body) == {"user": "101"}


async def test_answers_without_a_body_leave_the_connection_usable() -> None:
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    not_modified = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 20\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"
    async with RawServer([no_content, not_modified, head, OK]) as server, client(server) as http:
        answers = [await http.delete("/a"), await http.get("/b"), await http.head("/c"), await http.get("/d")]
    assert [(a.status_code, a.content) for a in answers] == [(204, b""), (304, b""), (200, b""), (200, OK_BODY)]
    assert server.accepts == 1


@pytest.mark.parametrize(
    ("method", "answer"),
    [("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), ("GET", OK + OK), ("GET", OK + b"junk")],
    ids=["a body to HEAD", "an unasked answer", "junk"],
)
async def test_more_than_the_answer_arrived_so_the_next_request_gets_a_new_connection(
    method: str, answer: bytes
) -> None:
    async with RawServer([answer, OK]) as server, client(server) as http:
        first = await http.request(method, "/a")
        assert (await http.get("/b")).content == OK_BODY
    assert first.status_code == 200
    assert server.accepts == 2


async def test_a_malformed_answer_is_a_protocol_error() -> None:
    async with RawServer([b"HTTP/1.1 2x0 OK\r\n\r\n", OK]) as server, client(server) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/a")
        assert (await http.get("/b")).content == OK_BODY


async def test_an_idle_connection_the_server_closed_is_replaced_before_sending() -> None:
    async with RawServer([OK, OK], close_after=(0,)) as server, client(server) as http:
        await http.get("/a")
        await server.closed.wait()
        again = await http.get("/b")
    assert again.content == OK_BODY
    assert server.accepts == 2


async def test_connection_close_from_the_server_is_honoured() -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"
    # The server would answer a second request on the same connection: the client must not send one.
    async with RawServer([closing, OK]) as server, client(server) as http:
        assert (await http.get("/a")).content == b"hi"
        assert (await http.get("/b")).content == OK_BODY
    assert server.accepts == 2


async def test_a_body_that_ends_when_the_server_closes() -> None:
    async with RawServer([b"HTTP/1.1 200 OK\r\n\r\nuntil close"], close_after=(0,)) as server, client(server) as http:
        answer = await http.get("/a")
    assert answer.content == b"until close"


@pytest.mark.parametrize(
    "step",
    [CLOSE, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", b"HTTP/1.1 200 OK\r\nContent-Le"],
    ids=["before answering", "in the body", "in the headers"],
)
async def test_a_connection_that_dies_after_the_request_was_sent_is_a_transport_error(step: bytes) -> None:
    async with RawServer([step, OK], close_after=(0,)) as server, client(server) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/a")
        assert (await http.get("/b")).content == OK_BODY  # and the next request gets a new connection
    assert server.accepts == 2


async def test_a_silent_server_is_a_read_timeout() -> None:
    async with RawServer([HANG, OK]) as server, client(server, read=0.2) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/a")
        assert (await http.get("/b")).content == OK_BODY
    assert server.accepts == 2


async def test_a_lane_sends_its_paths_under_the_base_url_and_keeps_no_cookies() -> None:
    cookie = b"HTTP/1.1 200 OK\r\nSet-Cookie: session=abc; Path=/\r\nContent-Length: 0\r\n\r\n"
    async with (
        RawServer([cookie, OK]) as server,
        Lane(base_url=f"{server.url}/ns-api/v2", transport=LaneTransport()) as lane,
    ):
        await lane.get("/domains/a%20b/users")
        await lane.request("GET", "/domains/d", params={"limit": 5})
    first, second = (request.split(b"\r\n") for request in server.requests)
    assert first[0] == b"GET /ns-api/v2/domains/a%20b/users HTTP/1.1"
    assert second[0] == b"GET /ns-api/v2/domains/d?limit=5 HTTP/1.1"
    assert not [line for line in second if line.lower().startswith(b"cookie:")]


async def test_a_server_that_does_not_read_is_a_write_timeout() -> None:
    """The server never accepts: the kernel completes the connection and buffers a little of the
    request, then the client's writes stall."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/upload"
    try:
        async with httpx.AsyncClient(transport=LaneTransport(), timeout=httpx.Timeout(10.0, write=0.2)) as http:
            with pytest.raises(httpx.WriteTimeout):
                await http.post(url, content=b"x" * 8_000_000)
    finally:
        listener.close()


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with httpx.AsyncClient(transport=LaneTransport()) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{free_port()}/a")


class Counted(LaneTransport):
    """A LaneTransport that records how many were made and the requests they sent."""

    made: list[Counted] = []
    sent: list[str] = []

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(ssl_context)
        self.made.append(self)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.method)
        return await super().handle_async_request(request)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> type[Counted]:
    """`connect` gives its lanes Counted transports; no proxy is in the environment."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setattr(Counted, "made", [])
    monkeypatch.setattr(Counted, "sent", [])
    monkeypatch.setattr(netsapiens, "LaneTransport", Counted)
    return Counted


def test_plan_and_apply_against_a_served_pbx_go_through_the_lean_transport(
    workspace: Path, served_sandbox: ServedSandbox, monkeypatch: pytest.MonkeyPatch, counted: type[Counted]
) -> None:
    use_served(workspace, served_sandbox, monkeypatch)
    before = len(served_sandbox.requests())
    assert run("apply", "tenants/", "--pbx", "served", "--auto-approve").exit_code == 0
    assert run("plan", "tenants/", "--pbx", "served", "--detailed-exitcode").exit_code == 0
    served = Counter(str(r["method"]) for r in served_sandbox.requests(before))
    assert served["POST"] > 0
    assert Counter(counted.sent) == served


async def test_a_proxy_from_the_environment_keeps_httpx_transport(
    monkeypatch: pytest.MonkeyPatch, counted: type[Counted]
) -> None:
    made = counted.made
    profile = Profile("remote", "https://pbx.example.com/ns-api/v2", "key", concurrency=3)

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    await netsapiens.connect(profile).close()
    assert made == []

    monkeypatch.setenv("NO_PROXY", "pbx.example.com")
    await netsapiens.connect(profile).close()
    assert len(made) == 3

    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.setenv("ALL_PROXY", "http://proxy.example.com:3128")
    await netsapiens.connect(profile).close()
    assert len(made) == 3
