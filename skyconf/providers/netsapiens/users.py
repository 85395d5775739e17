"""Users and domain settings <-> /domains/{domain} and /domains/{domain}/users."""

from __future__ import annotations

from typing import Any

from skyconf.errors import PbxError
from skyconf.model.tenant import DOMAIN
from skyconf.model.users import USER
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import ApiError
from skyconf.providers.netsapiens.base import Context, Mapping, is_yes, yes
from skyconf.providers.netsapiens.dialect import Dialect
from skyconf.providers.netsapiens.targets import decode_number
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
# skyconf field -> API yes/no field.
USER_SWITCHES = {
    "voicemail_announce_caller_id": "voicemail-playback-announce-caller-id",
    "voicemail_receive_broadcast": "voicemail-receive-broadcast-enabled",
    "directory_listed": "directory-name-visible-in-list-enabled",
    "moh_randomized": "music-on-hold-randomized-enabled",
}
# Switches spelled two ways (the spec's; a client written against live servers): read from either,
# written as the dialect's `fields` setting says.
SPELLINGS = {
    "voicemail_announce_date": (
        "voicemail-playback-announce-datetime-received",
        "voicemail-playback-announce-date-time-received",
    ),
    "directory_dial_by_name": (
        "directory-announce-in-dial-by-name-enabled",
        "directory-annouce-in-dial-by-name-enabled",
    ),
}
USER_COUNTS = {
    "voicemail_greeting": "voicemail-greeting-index",
    "moh_comfort_repeat": "music-on-hold-comfort-message-repeat-interval-seconds",
}
TRANSCRIPTION = {"none": "no", "deepgram": "Deepgram", "google": "Google", "mutare": "Mutare", "voicebase": "Voicebase"}
SORT_NEWEST = "voicemail-playback-sort-newest-to-oldest"
CC_LIST = "email-send-alert-new-voicemail-cc-list-csv"
DOMAIN_FIELDS = {"time_zone": "time-zone"}
DOMAIN_SWITCHES = {"moh_randomized": "music-on-hold-randomized-enabled"}


class DomainMapping(Mapping):
    kind = DOMAIN.name

    async def read(self, ctx: Context) -> list[Resource]:
        body = await ctx.api.get(ctx.base, missing_ok=True)
        if body is None:
            return []
        fields: dict[str, Any] = {name: body.get(api) for name, api in DOMAIN_FIELDS.items()}
        fields.update({name: is_yes(body.get(api, "no")) for name, api in DOMAIN_SWITCHES.items()})
        return [Resource("domain", (ctx.domain,), fields)]

    async def create(self, ctx: Context, change: Change) -> None:
        raise ApiError("GET", ctx.base, 404, "the domain does not exist on this PBX; create it there first")

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        body: dict[str, Any] = {}
        for name, value in change.after.items():
            if name in DOMAIN_FIELDS:
                body[DOMAIN_FIELDS[name]] = value
            elif name in DOMAIN_SWITCHES:
                body[DOMAIN_SWITCHES[name]] = yes(value)
        await ctx.api.request("PUT", ctx.base, json=body)


class UserMapping(Mapping):
    kind = USER.name

    async def read(self, ctx: Context) -> list[Resource]:
        def person(item: dict[str, Any]) -> Resource | None:
            # hidden system users (conference bridges, queues...) are not people
            if str(item.get("service-code", "")).startswith("system-"):
                return None
            return Resource("user", (str(item["user"]),), _user_fields(item, ctx.country, ctx.dialect))

        scoped = ctx.scoped_keys(self.kind)
        if scoped is not None:
            found = await ctx.each([ctx.user_path(key[0]) for key in scoped])
            users = [person(item) for item in found if item.get("user") is not None]
        else:
            expected = len(ctx.desired.keys("user")) // PAGE + 1
            users, complete = await ctx.pages(
                f"{ctx.base}/users", PAGE, expected, lambda item: str(item.get("user")), person
            )
            if not complete:
                raise PbxError(
                    f"the PBX ignores `start` on {ctx.base}/users: users beyond the first {PAGE} cannot be read"
                )
        return [user for user in users if user is not None]

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        body = {
            "synchronous": "yes",
            "user": change.key[0],
            "email": "",
            "user-scope": "Basic User",
            **_user_body(change.after, ctx.dialect),
        }
        if not await ctx.api.post_new(f"{ctx.base}/users", body):
            await self.update(ctx, change)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        merged = {**(change.before or {}), **change.after}
        body = {
            "name-first-name": merged.get("first_name", ""),
            "name-last-name": merged.get("last_name", ""),
            "email": merged.get("email") or "",
            "user-scope": merged.get("scope") or "Basic User",
            **_user_body(change.after, ctx.dialect),
        }
        await ctx.api.request("PUT", ctx.user_path(change.key[0]), json=body)

    async def delete(self, ctx: Context, change: Change) -> None:
        await ctx.api.request("DELETE", ctx.user_path(change.key[0]), missing_ok=True)


def _user_fields(item: dict[str, Any], country: str, dialect: Dialect) -> dict[str, Any]:
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
    for name, api_name in USER_SWITCHES.items():
        fields[name] = is_yes(item.get(api_name, "no"))
    for name, spellings in SPELLINGS.items():
        # The dialect's own spelling first; the other when only it is there.
        wanted = getattr(dialect.fields, name)
        present = [n for n in (wanted, *spellings) if n in item]
        fields[name] = is_yes(item[present[0]]) if present else False
    for name, api_name in USER_COUNTS.items():
        value = item.get(api_name)
        fields[name] = int(str(value)) if str(value).isdigit() else None
    transcription = str(item.get("voicemail-transcription-enabled") or "no")
    fields["voicemail_transcription"] = transcription.lower() if transcription != "no" else "none"
    fields["voicemail_sort"] = "newest_first" if is_yes(item.get(SORT_NEWEST, "yes")) else "oldest_first"
    cc = [e.strip() for e in str(item.get(CC_LIST) or "").split(",") if e.strip()]
    fields["voicemail_cc"] = sorted(cc, key=lambda e: (len(e), e))
    fields["caller_id_name"] = str(item.get("caller-id-name") or "") or None
    number = str(item.get("caller-id-number") or "")
    fields["caller_id_number"] = (decode_number(number, country) if number.isdigit() else number) or None
    return fields


def _user_body(fields: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for name, value in fields.items():
        if name in USER_FIELDS:
            body[USER_FIELDS[name]] = value
        elif name == "voicemail_enabled":
            body["voicemail-enabled"] = yes(value)
        elif name == "voicemail_email":
            body["email-send-alert-new-voicemail-enabled"] = yes(value != "none")
            body["email-send-alert-new-voicemail-behavior"] = VOICEMAIL_EMAIL[value]
        elif name in SPELLINGS:
            body[getattr(dialect.fields, name)] = yes(value)
        elif name in USER_SWITCHES:
            body[USER_SWITCHES[name]] = yes(value)
        elif name in USER_COUNTS:
            body[USER_COUNTS[name]] = value
        elif name == "voicemail_transcription":
            body["voicemail-transcription-enabled"] = TRANSCRIPTION[value]
        elif name == "voicemail_sort":
            body[SORT_NEWEST] = yes(value == "newest_first")
        elif name == "voicemail_cc":
            body[CC_LIST] = ",".join(value)
        elif name == "caller_id_name":
            body["caller-id-name"] = value
        elif name == "caller_id_number":
            body["caller-id-number"] = str(value).removeprefix("+")
    return body
