"""Inbound phone numbers <-> /domains/{domain}/phonenumbers[/{phonenumber}].

A number is written as its E.164 digits without `+` (the spec's description: "formatted in E.164 with
country code and number ... similar to 18005551234"). Its destination is a dial rule: an application
(`dial-rule-application`, an enum of the spec) with a destination user and host:
- `user:EXT`, `auto_attendant:EXT`, `conference:EXT` -> `to-user` EXT (attendants and bridges are
  reached through their extension, as the portal guides describe them);
- `queue:EXT` -> `to-callqueue` EXT; `voicemail:EXT` -> `to-voicemail` EXT;
- `handset:EXT` -> `to-single-device` EXT (rings the user's device, bypassing their rules);
- an external number -> `to-connection` with its digits.
`enabled` is yes/no, the description `dial-rule-description`, the caller-name prefix goes before the
`[*]` (the caller's own name) of `dial-rule-translation-source-name`, as the spec's `sales_[*]` example
shows. Reading accepts every application above (and their `-residential` / `-add-header` variants);
a number whose application skyconf cannot express reads with `to` = None, so a declared number is
rewritten and an undeclared one is left alone. The list reads a 404 as empty, as for child lists.
"""

from __future__ import annotations

from typing import Any

from skyconf.model.numbers import PHONE_NUMBER
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import segment
from skyconf.providers.netsapiens.base import Context, Mapping, is_yes, yes
from skyconf.providers.netsapiens.targets import decode_number, targets_for
from skyconf.resources import Resource

APPLICATION = "dial-rule-application"
DESTINATION = "dial-rule-translation-destination-user"
HOST = "dial-rule-translation-destination-host"
SOURCE_NAME = "dial-rule-translation-source-name"
DESCRIPTION = "dial-rule-description"
CALLER = "[*]"
# skyconf target prefix -> application written.
WRITE = {
    "user": "to-user",
    "auto_attendant": "to-user",
    "conference": "to-user",
    "queue": "to-callqueue",
    "voicemail": "to-voicemail",
    "handset": "to-single-device",
}


class PhoneNumberMapping(Mapping):
    kind = PHONE_NUMBER.name

    def _path(self, ctx: Context) -> str:
        return f"{ctx.base}/phonenumbers"

    async def read(self, ctx: Context) -> list[Resource]:
        items = await ctx.api.get(self._path(ctx), missing_ok=True) or []
        owners = (await targets_for(ctx)).kinds
        out: list[Resource] = []
        for item in items:
            digits = str(item.get("phonenumber") or "").removeprefix("+")
            if digits:
                number = decode_number(digits, ctx.country)
                out.append(Resource(self.kind, (number,), _fields(item, owners, ctx.country)))
        return out

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        body = {"phonenumber": change.key[0].removeprefix("+"), **_body(ctx, change.after)}
        if not await ctx.api.post_new(
            self._path(ctx), body, listed=lambda item: str(item.get("phonenumber")) == body["phonenumber"]
        ):
            await self.update(ctx, change)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        digits = change.key[0].removeprefix("+")
        await ctx.api.request("PUT", f"{self._path(ctx)}/{segment(digits)}", json=_body(ctx, change.after))

    async def delete(self, ctx: Context, change: Change) -> None:
        digits = change.key[0].removeprefix("+")
        await ctx.api.request("DELETE", f"{self._path(ctx)}/{segment(digits)}", missing_ok=True)


def _body(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    target = str(fields["to"])
    if target.startswith("+"):
        application, destination, host = "to-connection", target[1:], CALLER
    else:
        prefix, _, ext = target.partition(":")
        application, destination, host = WRITE[prefix], ext, ctx.domain
    prefix_text = fields.get("caller_name_prefix") or ""
    return {
        "enabled": yes(fields.get("enabled", True)),
        APPLICATION: application,
        DESTINATION: destination,
        HOST: host,
        SOURCE_NAME: f"{prefix_text}{CALLER}",
        DESCRIPTION: fields.get("description") or "",
    }


def _fields(item: dict[str, Any], owners: Any, country: str) -> dict[str, Any]:
    application = str(item.get(APPLICATION) or "")
    destination = str(item.get(DESTINATION) or "")
    to: str | None = None
    if application.startswith("to-connection") and destination.isdigit() and len(destination) > 7:
        to = decode_number(destination, country)
    elif application.startswith("to-user") and destination:
        to = f"{owners.get(destination, 'user')}:{destination}"
    elif application.startswith("to-callqueue") and destination:
        to = f"queue:{destination}"
    elif application.startswith("to-voicemail") and destination:
        to = f"voicemail:{destination}"
    elif application.startswith("to-single-device") and destination:
        to = f"handset:{destination}"
    source = str(item.get(SOURCE_NAME) or CALLER)
    fields: dict[str, Any] = {"to": to, "enabled": is_yes(item.get("enabled", "yes"))}
    fields["description"] = str(item.get(DESCRIPTION) or "") or None
    prefix = source.removesuffix(CALLER) if source.endswith(CALLER) else source
    fields["caller_name_prefix"] = prefix or None
    return fields
