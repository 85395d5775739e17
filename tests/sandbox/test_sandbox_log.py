"""The request log: what each Exchange records, body recording on/off, and the /_sandbox endpoints."""

from __future__ import annotations

import httpx

from skyconf.sandbox.app import create_app
from skyconf.sandbox.log import Exchange, RequestLog

from .helpers import BASE, make_user, user_body

ADMIN = "http://sandbox.test/_sandbox/requests"


async def test_exchanges_record_relative_path_query_bodies_and_status(
    client: httpx.AsyncClient, log: RequestLog
) -> None:
    await client.post("/domains/acme/users", json=user_body("1000"))
    await client.get("/domains/acme/users", params={"start": "0", "limit": "10"})
    await client.get("/domains/acme/users/1000/answerrules/After%20Hours")
    first, second, third = log.exchanges
    assert first == Exchange(
        method="POST",
        path="/domains/acme/users",
        query={},
        request_body=user_body("1000"),
        request_content_type="application/json",
        status=200,
        response_body=first.response_body,
    )
    assert first.response_body["user"] == "1000"
    assert first.is_write and not second.is_write
    assert (second.path, second.query, second.status) == ("/domains/acme/users", {"start": "0", "limit": "10"}, 200)
    assert second.request_body is None
    assert [u["user"] for u in second.response_body] == ["1000"]
    assert (third.path, third.status) == ("/domains/acme/users/1000/answerrules/After%20Hours", 404)
    assert third.response_body["code"] == 404
    assert log.writes() == [first]


async def test_multipart_files_are_logged_as_name_and_size(client: httpx.AsyncClient, log: RequestLog) -> None:
    await client.post("/domains/acme/moh", files={"File": ("a.wav", b"x" * 300)}, data={"script": "s", "index": "2"})
    (exchange,) = log.exchanges
    assert exchange.request_body == {"File": {"filename": "a.wav", "size": 300}, "script": "s", "index": "2"}
    assert exchange.request_content_type is not None
    assert exchange.request_content_type.startswith("multipart/form-data")
    assert exchange.status == 202


async def test_bodies_are_not_kept_unless_asked() -> None:
    log = RequestLog()
    app = create_app(":memory:", ["t"], log=log)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE, headers={"Authorization": "Bearer t"}
    ) as c:
        await make_user(c, "1000")
        await c.get("/domains/acme/users", headers={"Authorization": "Bearer wrong"})
    assert app.state.log is log
    assert [(e.method, e.status, e.request_body, e.response_body) for e in log.exchanges] == [
        ("POST", 200, None, None),
        ("GET", 401, None, None),
    ]


async def test_admin_requests_endpoint(client: httpx.AsyncClient) -> None:
    await make_user(client, "1000")
    await client.get("/domains/acme/users/1000")
    await client.get("/version")
    entries = (await client.get(ADMIN)).json()
    assert [(e["index"], e["method"], e["path"], e["status"]) for e in entries] == [
        (0, "POST", "/domains/acme/users", 200),
        (1, "GET", "/domains/acme/users/1000", 200),
        (2, "GET", "/version", 200),
    ]
    assert entries[0]["is_write"] is True and entries[0]["request_body"]["user"] == "1000"
    assert [e["index"] for e in (await client.get(ADMIN, params={"since": 2})).json()] == [2]
    assert (await client.get(ADMIN, params={"since": "x"})).status_code == 400
    assert (await client.get(ADMIN, headers={"Authorization": ""})).status_code == 401
    assert (await client.delete(ADMIN)).status_code == 200
    assert (await client.get(ADMIN)).json() == []  # admin calls are not logged themselves
