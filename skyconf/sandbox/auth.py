"""Who may call the sandbox: static API keys, and OAuth access tokens it issues itself.

- Static keys (``create_app(tokens=...)``, ``serve --token``): never expire. A Mapping of key ->
  ``"user@domain"`` (or ``"domain"``) gives ``~`` in paths a meaning for that key.
- OAuth password grant, as live servers take it: JSON at ``POST /ns-api/v2/tokens`` and form-encoded (or
  JSON) at the legacy ``POST /ns-api/oauth2/token/``. Fields ``grant_type`` (``password`` with
  ``client_id``, ``client_secret``, ``username``, ``password``; or ``refresh_token`` with ``refresh_token``).
  Credentials come from ``create_app(users={"101@acme": "secret"})`` (``serve --oauth-user
  101@acme:secret``); clients from ``create_app(clients={"id": "secret"})`` (``serve --oauth-client
  id:secret``). Without any configured client, any non-empty ``client_id`` is accepted.
- Access tokens live ``token_ttl`` seconds (``serve --token-ttl``), measured on the app's clock (tests pass
  their own); an expired one is a 401. A refresh gives a new access and refresh token and retires the old
  refresh token. ``~`` means the token's domain and user, so ``GET /domains/~/users/~`` is the token's user.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from skyconf.sandbox.store import Store
from skyconf.sandbox.wire import ApiError, Reply, ok

API_VERSION = "Version: 44.1.2"
DEFAULT_TOKEN_TTL = 3600.0

TokenScope = tuple[str | None, str | None]  # (user, domain)


@dataclass(frozen=True)
class Issued:
    user: str
    domain: str
    client_id: str
    expires_at: float | None  # None: a refresh token (they do not expire in the sandbox)


def _split_login(login: str) -> TokenScope:
    user, _, domain = login.rpartition("@")
    return (user or None, domain or None)


class Auth:
    def __init__(
        self,
        tokens: Collection[str],
        *,
        users: Mapping[str, str] | None = None,
        clients: Mapping[str, str] | None = None,
        token_ttl: float = DEFAULT_TOKEN_TTL,
        clock: Callable[[], float],
    ) -> None:
        self.static: dict[str, TokenScope] = {}
        for token in [tokens] if isinstance(tokens, str) else tokens:
            scope = tokens[token] if isinstance(tokens, Mapping) else None
            self.static[token] = _split_login(scope) if scope else (None, None)
        self.users = dict(users or {})
        self.clients = dict(clients or {})
        self.token_ttl = token_ttl
        self.clock = clock
        self.access: dict[str, Issued] = {}
        self.refresh: dict[str, Issued] = {}

    def check(self, header: str | None) -> TokenScope:
        """The (user, domain) of a valid ``Authorization: Bearer <token>``; else a 401."""
        kind, _, value = (header or "").partition(" ")
        value = value.strip()
        if kind.lower() != "bearer" or not value:
            raise ApiError(401, "Unauthorized: a valid 'Authorization: Bearer <token>' header is required")
        if value in self.static:
            return self.static[value]
        issued = self.access.get(value)
        if issued is None:
            raise ApiError(401, "Unauthorized: unknown token")
        if issued.expires_at is not None and self.clock() >= issued.expires_at:
            del self.access[value]
            raise ApiError(401, "Unauthorized: the access token has expired")
        return (issued.user, issued.domain)

    def token(self, header: str | None) -> str | None:
        """The valid token in the header, else None (for the admin endpoints)."""
        try:
            self.check(header)
        except ApiError:
            return None
        return (header or "").partition(" ")[2].strip()

    def grant(self, store: Store, fields: Mapping[str, Any]) -> Reply:
        """Answer a token request (either endpoint) with the vendor's AccessToken."""
        grant_type = fields.get("grant_type")
        if grant_type == "password":
            issued = self._password(fields)
        elif grant_type == "refresh_token":
            issued = self._refreshed(fields)
        else:
            raise ApiError(400, f"Unsupported grant_type {grant_type!r}: expected password or refresh_token")
        return ok(self._issue(store, issued))

    def _client(self, fields: Mapping[str, Any]) -> str:
        client_id = str(fields.get("client_id") or "")
        if not client_id:
            raise ApiError(400, "Missing required field client_id")
        if self.clients and self.clients.get(client_id) != str(fields.get("client_secret") or ""):
            raise ApiError(401, "Invalid client_id or client_secret")
        return client_id

    def _password(self, fields: Mapping[str, Any]) -> Issued:
        missing = [n for n in ("client_id", "client_secret", "username", "password") if not fields.get(n)]
        if missing:
            raise ApiError(400, f"Missing required field(s): {', '.join(missing)}")
        client_id = self._client(fields)
        login = str(fields["username"])
        if login not in self.users or self.users[login] != str(fields["password"]):
            raise ApiError(401, "Invalid username or password")
        user, domain = _split_login(login)
        if user is None or domain is None:
            raise ApiError(401, "Invalid username or password")
        return Issued(user, domain, client_id, None)

    def _refreshed(self, fields: Mapping[str, Any]) -> Issued:
        token = str(fields.get("refresh_token") or "")
        if not token:
            raise ApiError(400, "Missing required field refresh_token")
        issued = self.refresh.pop(token, None)
        if issued is None:
            raise ApiError(401, "Invalid refresh_token")
        return issued

    def _issue(self, store: Store, who: Issued) -> dict[str, Any]:
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self.access[access] = Issued(who.user, who.domain, who.client_id, self.clock() + self.token_ttl)
        self.refresh[refresh] = Issued(who.user, who.domain, who.client_id, None)
        doc = store.get(who.domain, "user", "", who.user) or {}
        login = f"{who.user}@{who.domain}"
        ttl = int(self.token_ttl) if float(self.token_ttl).is_integer() else self.token_ttl
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ttl,
            "refresh_token": refresh,
            "scope": doc.get("user-scope", "Basic User"),
            "username": login,
            "user": who.user,
            "domain": who.domain,
            "territory": "sandbox",
            "uid": login,
            "login": doc.get("login-username", login),
            "department": doc.get("department", ""),
            "site": doc.get("site", ""),
            "user_email": doc.get("email", ""),
            "displayName": f"{doc.get('name-first-name', '')} {doc.get('name-last-name', '')}".strip(),
            "client_id": who.client_id,
            "apiversion": API_VERSION,
        }
