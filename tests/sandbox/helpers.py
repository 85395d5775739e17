"""Constants and small helpers shared by the sandbox tests."""

from __future__ import annotations

from typing import Any

import httpx

TOKEN = "nss_sandboxtest0001"
UNSCOPED_TOKEN = "nss_unscoped"
BASE = "http://sandbox.test/ns-api/v2"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def user_body(user: str = "1000", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user": user,
        "name-first-name": "Ada",
        "name-last-name": "Lovelace",
        "email": f"{user}@example.com",
        "user-scope": "Basic User",
        "synchronous": "yes",
    }
    body.update(fields)
    return body


async def make_user(client: httpx.AsyncClient, user: str = "1000", domain: str = "acme", **fields: Any) -> None:
    r = await client.post(f"/domains/{domain}/users", json=user_body(user, **fields))
    assert r.status_code == 200, r.text


async def make_frame(
    client: httpx.AsyncClient, name: str, *, user: str | None = None, domain: str = "acme"
) -> dict[str, Any]:
    prefix = f"/domains/{domain}" + (f"/users/{user}" if user else "")
    r = await client.post(
        f"{prefix}/timeframes",
        json={"timeframe-name": name, "timeframe-type": "always", "synchronous": "yes"},
    )
    assert r.status_code == 200, r.text
    frame: dict[str, Any] = r.json()
    return frame
