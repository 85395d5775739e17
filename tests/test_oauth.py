"""OAuth for NetSapiens profiles against a scripted server: which grant goes where, when a token is
refreshed, what a 401 does, and that no credential reaches an error message."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from skyconf.errors import PbxError, SkyconfError
from skyconf.providers.netsapiens.api import Api, ApiError
from skyconf.providers.netsapiens.oauth import Credentials, OAuth, OAuthOptions

URL = "https://pbx.example.net/ns-api/v2"
CREDENTIALS = Credentials("cid", "csecret", "101@acme.example.com", "pass-word-1")


class Server:
    """Issues tokens `a1`, `a2`, ... living `ttl` s; the API answers 200 for a current token, else 401."""

    def __init__(self, ttl: int = 3600, json_tokens: bool = True, refuse_refresh: bool = False) -> None:
        self.ttl = ttl
        self.json_tokens = json_tokens
        self.refuse_refresh = refuse_refresh
        self.grants: list[tuple[str, str]] = []  # (path, grant_type)
        self.valid: set[str] = set()
        self.seen: list[str | None] = []
        self.answer: Callable[[dict[str, Any]], dict[str, Any]] = lambda body: body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in ("/ns-api/v2/tokens", "/ns-api/oauth2/token/"):
            if path.endswith("/tokens") and not self.json_tokens:
                return httpx.Response(200, text="<html>login</html>")
            form = request.headers["content-type"].startswith("application/x-www-form-urlencoded")
            fields = (
                {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
                if form
                else json.loads(request.content)
            )
            self.grants.append((path, fields["grant_type"]))
            if fields["grant_type"] == "refresh_token" and self.refuse_refresh:
                return httpx.Response(
                    401, json={"error": "invalid_grant", "error_description": "refresh token expired"}
                )
            if fields["grant_type"] == "password" and fields["password"] != CREDENTIALS.password:
                return httpx.Response(401, json={"error_description": "Invalid username or password"})
            token = f"a{len(self.grants)}"
            self.valid = {token}
            body = {"access_token": token, "refresh_token": f"r{len(self.grants)}", "expires_in": self.ttl}
            return httpx.Response(200, json=self.answer(body))
        header = request.headers.get("authorization", "")
        self.seen.append(header.removeprefix("Bearer ") or None)
        if header.removeprefix("Bearer ") in self.valid:
            return httpx.Response(200, json={"ok": True})
        return httpx.Response(401, json={"code": 401, "message": "Unauthorized"})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def api_for(server: Server, clock: Clock, credentials: Credentials = CREDENTIALS) -> tuple[Api, OAuth]:
    transport = httpx.MockTransport(server)
    auth = OAuth(URL, credentials, httpx.AsyncClient(transport=transport), clock)
    lane = httpx.AsyncClient(transport=transport, base_url=URL, auth=auth)
    return Api([lane], extra_clients=[auth.client]), auth


async def test_password_grant_as_json_then_the_token_is_reused() -> None:
    server, clock = Server(), Clock()
    api, _ = api_for(server, clock)
    assert await api.request("GET", "/domains/acme") == {"ok": True}
    assert await api.request("GET", "/domains/acme/users") == {"ok": True}
    await api.close()
    assert server.grants == [("/ns-api/v2/tokens", "password")]
    assert server.seen == ["a1", "a1"]


async def test_refreshed_before_expiry() -> None:
    server, clock = Server(ttl=100), Clock()
    api, auth = api_for(server, clock)
    await api.request("GET", "/domains/acme")
    clock.now = 89.0  # before expiry minus the margin (a tenth of 100 s)
    await api.request("GET", "/domains/acme")
    clock.now = 91.0
    await api.request("GET", "/domains/acme")
    await api.close()
    assert [g for _, g in server.grants] == ["password", "refresh_token"]
    assert server.seen == ["a1", "a1", "a2"] and auth.grants == {"password": 1, "refresh_token": 1}


async def test_a_401_refreshes_once_and_resends() -> None:
    server, clock = Server(), Clock()
    api, _ = api_for(server, clock)
    await api.request("GET", "/domains/acme")
    server.valid = set()  # the server forgot the token (expired early, revoked)
    assert await api.request("GET", "/domains/acme") == {"ok": True}
    assert [g for _, g in server.grants] == ["password", "refresh_token"]
    assert server.seen == ["a1", "a1", "a2"]
    # A request refused again with the fresh token is the request's error: no loop.
    server.answer = lambda body: {**body, "access_token": "never-valid"}
    server.valid = set()
    with pytest.raises(ApiError) as caught:
        await api.request("GET", "/domains/acme")
    assert caught.value.status == 401 and len(server.grants) == 3
    await api.close()


async def test_a_refused_refresh_logs_in_again() -> None:
    server, clock = Server(ttl=10, refuse_refresh=True), Clock()
    api, _ = api_for(server, clock)
    await api.request("GET", "/domains/acme")
    clock.now = 20.0
    await api.request("GET", "/domains/acme")
    await api.close()
    assert [g for _, g in server.grants] == ["password", "refresh_token", "password"]
    assert server.seen == ["a1", "a3"]


async def test_the_form_endpoint_when_tokens_answers_html() -> None:
    server, clock = Server(json_tokens=False), Clock()
    api, _ = api_for(server, clock)
    await api.request("GET", "/domains/acme")
    await api.close()
    assert server.grants == [("/ns-api/oauth2/token/", "password")]


async def test_errors_never_carry_credentials() -> None:
    server, clock = Server(), Clock()
    wrong = Credentials("cid", "csecret", "101@acme.example.com", "not-the-password")
    api, _ = api_for(server, clock, wrong)
    with pytest.raises(PbxError) as caught:
        await api.request("GET", "/domains/acme")
    message = str(caught.value)
    assert "Invalid username or password" in message and "password grant" in message
    assert not any(secret in message for secret in ("csecret", "not-the-password"))
    await api.close()
    server.answer = lambda body: {**body, "mfa_type": "totp"}
    api, _ = api_for(server, clock)
    with pytest.raises(PbxError, match="second factor"):
        await api.request("GET", "/domains/acme")
    await api.close()


def test_credentials_come_from_the_named_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    options = OAuthOptions(
        client_id_env="A_ID", client_secret_env="A_SECRET", username_env="A_USER", password_env="A_PW"
    )
    monkeypatch.setenv("A_ID", "cid")
    monkeypatch.setenv("A_SECRET", "s")
    with pytest.raises(SkyconfError, match="A_USER, A_PW") as caught:
        Credentials.from_env(options, "prod")
    assert "cid" not in str(caught.value)
    monkeypatch.setenv("A_USER", "u@d")
    monkeypatch.setenv("A_PW", "pw")
    assert Credentials.from_env(options, "prod") == Credentials("cid", "s", "u@d", "pw")


class Flaky(Server):
    """The token endpoint fails `failures` times (503, then a dropped connection, alternating) first."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.token_tries = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tokens"):
            self.token_tries += 1
            if self.token_tries <= self.failures:
                if self.token_tries % 2:
                    return httpx.Response(503, text="Service Unavailable")
                raise httpx.ConnectError("connection refused", request=request)
        return super().__call__(request)


async def test_a_token_request_that_meets_5xx_or_no_connection_is_tried_again() -> None:
    server, clock = Flaky(failures=2), Clock()
    api, _ = api_for(server, clock)
    assert await api.request("GET", "/domains/acme") == {"ok": True}
    await api.close()
    assert server.token_tries == 3
    assert server.grants == [("/ns-api/v2/tokens", "password")]  # one grant got through


async def test_a_token_endpoint_that_stays_down_is_one_clear_error() -> None:
    server, clock = Flaky(failures=100), Clock()
    api, _ = api_for(server, clock)
    with pytest.raises(PbxError, match=r"could not answer its password grant: .*gave up after retries") as caught:
        await api.request("GET", "/domains/acme")
    await api.close()
    assert 1 < server.token_tries < 100
    assert CREDENTIALS.password not in str(caught.value)
