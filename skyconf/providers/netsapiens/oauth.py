"""OAuth password grant with refresh, as an alternative to an API key (docs/api-evidence.md section 1).

The profile names environment variables (`oauth: {client_id_env, client_secret_env, username_env,
password_env}`); their values are read once, when the PBX is opened, and never printed or logged.
Tokens come from `POST {base}/tokens` (JSON, what the spec and three live clients use); a server that
answers that with something other than JSON is asked at the older form endpoint
`/ns-api/oauth2/token/`. The access token is refreshed with the refresh grant shortly before it
expires, and once on a 401 (then the request is sent again); a refused refresh logs in again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import stamina

from skyconf.errors import PbxError, SkyconfError
from skyconf.model.base import Strict

log = logging.getLogger("skyconf.netsapiens")

FORM_TOKEN_PATH = "/ns-api/oauth2/token/"
# Refresh this long before `expires_in` runs out (the operator's MCP server uses 60 s), but never
# more than a tenth of the token's life, so a short-lived token is not refreshed on every request.
REFRESH_MARGIN_S = 60.0
# A token request that meets 5xx, 429 or no connection is tried again, like any other request.
GRANT_ATTEMPTS = 5
GRANT_TIMEOUT_S = 60.0


class OAuthOptions(Strict):
    """Names of the environment variables that hold the OAuth credentials (never the values)."""

    client_id_env: str
    client_secret_env: str
    username_env: str
    password_env: str


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    username: str
    password: str

    @classmethod
    def from_env(cls, options: OAuthOptions, profile: str) -> Credentials:
        names = (options.client_id_env, options.client_secret_env, options.username_env, options.password_env)
        missing = [n for n in names if not os.environ.get(n)]
        if missing:
            raise SkyconfError(f"profile '{profile}': environment variable(s) {', '.join(missing)} not set (oauth)")
        return cls(*(os.environ[n] for n in names))


@dataclass
class _Token:
    access: str
    refresh: str | None
    refresh_at: float


class OAuth(httpx.Auth):
    """Bearer tokens for every lane of one PBX, shared: one login, one refresh at a time."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        client: httpx.AsyncClient,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.client = client
        self.clock = clock
        self._token: _Token | None = None
        self._lock = asyncio.Lock()
        # Grants sent, by grant type (tests and progress; never the values).
        self.grants: dict[str, int] = {}

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._current()
        request.headers["Authorization"] = f"Bearer {token.access}"
        response = yield request
        if response.status_code == 401:
            log.info("access token refused (HTTP 401): refreshing it once")
            token = await self._renew(stale=token)
            request.headers["Authorization"] = f"Bearer {token.access}"
            yield request

    def sync_auth_flow(self, request: httpx.Request) -> Any:
        raise RuntimeError("OAuth is only used by the async client")

    async def _current(self) -> _Token:
        async with self._lock:
            if self._token is None:
                self._token = await self._grant(self._password_fields())
            elif self.clock() >= self._token.refresh_at:
                self._token = await self._refreshed(self._token)
            return self._token

    async def _renew(self, stale: _Token) -> _Token:
        async with self._lock:
            if self._token is stale or self._token is None:  # another request may have renewed it already
                self._token = await self._refreshed(stale)
            return self._token

    async def _refreshed(self, old: _Token) -> _Token:
        if old.refresh:
            try:
                new = await self._grant(self._refresh_fields(old.refresh))
            except PbxError:
                log.info("refresh grant refused: logging in again")
            else:
                return new if new.refresh else _Token(new.access, old.refresh, new.refresh_at)
        return await self._grant(self._password_fields())

    def _password_fields(self) -> dict[str, str]:
        c = self.credentials
        return {
            "grant_type": "password",
            "client_id": c.client_id,
            "client_secret": c.client_secret,
            "username": c.username,
            "password": c.password,
        }

    def _refresh_fields(self, refresh: str) -> dict[str, str]:
        c = self.credentials
        return {
            "grant_type": "refresh_token",
            "client_id": c.client_id,
            "client_secret": c.client_secret,
            "refresh_token": refresh,
        }

    async def _grant(self, fields: dict[str, str]) -> _Token:
        grant = fields["grant_type"]
        self.grants[grant] = self.grants.get(grant, 0) + 1
        try:
            async for attempt in stamina.retry_context(
                on=_Unavailable, attempts=GRANT_ATTEMPTS, timeout=GRANT_TIMEOUT_S, wait_max=5.0
            ):
                with attempt:
                    url, response, body = await self._post_grant(fields)
        except _Unavailable as exc:
            raise PbxError(
                f"PBX at {self.base_url} could not answer its {grant} grant: {exc} (gave up after retries)"
            ) from None
        if response.status_code >= 400 or not isinstance(body, dict) or not body.get("access_token"):
            raise PbxError(f"PBX refused the OAuth {grant} grant at {url}: HTTP {response.status_code} {_reason(body)}")
        if body.get("mfa_type") or body.get("mfa_vendor") or body.get("scope") == "mfa_required":
            raise PbxError("the OAuth login needs a second factor, which skyconf cannot answer: use an API key")
        expires = float(body.get("expires_in") or 3600)
        margin = min(REFRESH_MARGIN_S, expires / 10)
        refresh = str(body["refresh_token"]) if body.get("refresh_token") else None
        return _Token(str(body["access_token"]), refresh, self.clock() + expires - margin)

    async def _post_grant(self, fields: dict[str, str]) -> tuple[str, httpx.Response, Any]:
        """One try: the JSON endpoint, else the form one (servers that answer `/tokens` with HTML)."""
        url = f"{self.base_url}/tokens"
        try:
            response = await self.client.post(url, json=fields)
            body = _json(response)
            if body is None and response.status_code < 500:
                parts = urlsplit(self.base_url)
                url = f"{parts.scheme}://{parts.netloc}{FORM_TOKEN_PATH}"
                response = await self.client.post(url, data=fields)
                body = _json(response)
        except httpx.TransportError as exc:
            raise _Unavailable(f"unreachable ({type(exc).__name__})") from None
        if response.status_code >= 500 or response.status_code == 429:
            log.info("token request answered HTTP %s: trying again", response.status_code)
            raise _Unavailable(f"HTTP {response.status_code}")
        return url, response, body


class _Unavailable(Exception):
    """A token request that a later attempt may get through: 5xx, 429, or no connection."""


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _reason(body: Any) -> str:
    """The server's words (OAuth-style `error_description` first); never the request's fields."""
    if not isinstance(body, dict):
        return "(answer is not JSON)"
    return str(body.get("error_description") or body.get("error") or body.get("message") or "").strip()
