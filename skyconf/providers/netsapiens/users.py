"""Users and domain settings <-> /domains/{domain} and /domains/{domain}/users."""

from __future__ import annotations

from typing import Any

from skyconf.plan import Change
from skyconf.providers.netsapiens.api import ApiError
from skyconf.providers.netsapiens.base import Context, Mapping, is_yes, yes
from skyconf.resources import Resource

PAGE = 1000
# skyconf field -> API field, for the plain string/int fields.
USER_FIELDS = {
    "first_name": "name-first-name",
    "last_name": "name-last-name",
    "email": "email",
    "department": "department",
    "site": "site",
    "time_zone": "time-zone",
    "scope": "user-scope",
    "ring_timeout": "ring-no-answer-timeout-seconds",
    "voicemail_pin": "voicemail-login-pin",
}
VOICEMAIL_EMAIL = {"none": "no", "link": "yes", "attach": "attnew"}


class DomainMapping(Mapping):
    kind = "domain"

    async def read(self, ctx: Context) -> list[Resource]:
        body = await ctx.api.get(ctx.base, missing_ok=True)
        if body is None:
            return []
        return [Resource("domain", (ctx.domain,), {"time_zone": body.get("time-zone")})]

    async def create(self, ctx: Context, change: Change) -> None:
        raise ApiError("GET", ctx.base, 404, "the domain does not exist on this PBX; create it there first")

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        await ctx.api.request("PUT", ctx.base, json={"time-zone": change.after["time_zone"]})


class UserMapping(Mapping):
    kind = "user"

    async def read(self, ctx: Context) -> list[Resource]:
        out: list[Resource] = []
        start = 0
        while True:
            page = await ctx.api.get(f"{ctx.base}/users", {"start": start, "limit": PAGE}) or []
            for item in page:
                if str(item.get("service-code", "")).startswith("system-"):
                    continue  # hidden system users (conference bridges, queues...) are not people
                out.append(Resource("user", (str(item["user"]),), _user_fields(item)))
            if len(page) < PAGE:
                return out
            start += PAGE

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        body = {
            "synchronous": "yes",
            "user": change.key[0],
            "email": "",
            "user-scope": "Basic User",
            **_user_body(change.after),
        }
        try:
            await ctx.api.request("POST", f"{ctx.base}/users", json=body)
        except ApiError as exc:
            if exc.status != 409:
                raise
            # Already there (an earlier attempt went through before the connection failed): update it.
            await self.update(ctx, change)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        merged = {**(change.before or {}), **change.after}
        body = {
            "name-first-name": merged.get("first_name", ""),
            "name-last-name": merged.get("last_name", ""),
            "email": merged.get("email") or "",
            "user-scope": merged.get("scope") or "Basic User",
            **_user_body(change.after),
        }
        await ctx.api.request("PUT", ctx.user_path(change.key[0]), json=body)

    async def delete(self, ctx: Context, change: Change) -> None:
        await ctx.api.request("DELETE", ctx.user_path(change.key[0]), missing_ok=True)


def _user_fields(item: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, api_name in USER_FIELDS.items():
        value = item.get(api_name)
        if name == "ring_timeout":
            fields[name] = int(str(value)) if str(value).isdigit() else None
        else:
            fields[name] = str(value) if value not in (None, "") else None
    fields["voicemail_enabled"] = is_yes(item.get("voicemail-enabled", "yes"))
    if not is_yes(item.get("email-send-alert-new-voicemail-enabled", "no")):
        fields["voicemail_email"] = "none"
    else:
        behavior = str(item.get("email-send-alert-new-voicemail-behavior", "yes"))
        fields["voicemail_email"] = "attach" if "att" in behavior else "link"
    return fields


def _user_body(fields: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, value in fields.items():
        if name in USER_FIELDS:
            body[USER_FIELDS[name]] = value
        elif name == "voicemail_enabled":
            body["voicemail-enabled"] = yes(value)
        elif name == "voicemail_email":
            body["email-send-alert-new-voicemail-enabled"] = yes(value != "none")
            body["email-send-alert-new-voicemail-behavior"] = VOICEMAIL_EMAIL[value]
    return body
