"""Contacts <-> /domains/{domain}/contacts (shared) and /domains/{domain}/users/{user}/contacts.

A live contact's identity is computed from its fields exactly as the YAML's (skyconf.model.contacts):
the `#key` at the end of its middle name, else first + last name + company. Live contacts with the
same identity (duplicates made in the portal) get the server id appended to all but the first, so
they show up as extra contacts (left alone, or deleted with `prune`).

Phone numbers are written as E.164 digits without the `+` (the convention of the answer-rule
targets) and read back into E.164. Bodies carry all nine data fields, as the spec requires ("" for
none). POST answers no id, so a create whose answer was lost is not simply sent again: the list is
read first and the contact counts as made when one with its identity is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skyconf.model.contacts import CONTACT, identity, split_stored_key
from skyconf.model.targets import TargetError, parse_number
from skyconf.model.users import USER_CONTACT
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import segment
from skyconf.providers.netsapiens.base import Context, Mapping
from skyconf.providers.netsapiens.targets import decode_number
from skyconf.resources import Key, Resource

WIRE = {
    "first_name": "name-first-name",
    "middle_name": "name-middle-name",
    "last_name": "name-last-name",
    "company": "company",
    "email": "email",
    "work": "phonenumber-work",
    "cell": "phonenumber-cell",
    "home": "phonenumber-home",
    "fax": "phonenumber-fax",
}
NUMBERS = ("work", "cell", "home", "fax")


@dataclass
class _Live:
    ident: str
    natural: str
    fields: dict[str, Any]
    unique_id: str


class _ContactMapping(Mapping):
    user_scoped: bool

    def _list_path(self, ctx: Context, key: Key) -> str:
        return f"{ctx.user_path(key[0])}/contacts" if self.user_scoped else f"{ctx.base}/contacts"

    async def read(self, ctx: Context) -> list[Resource]:
        if not self.user_scoped:
            items = await ctx.api.get(f"{ctx.base}/contacts") or []
            return _resources(ctx, self.kind, (), items)
        # Only users that declare contacts (or whose extra contacts are pruned) need their list read.
        wanted = {r.key[0] for r in ctx.desired.of_kind(self.kind)}
        users = [ext for ext in ctx.managed_users(self.kind) if ext in wanted or ctx.prune.get(self.kind)]
        return await ctx.per_user(
            "contacts", lambda ext, items: _resources(ctx, self.kind, (ext,), items), users, keep=False
        )

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        path = self._list_path(ctx, change.key)

        async def made() -> bool:
            fresh = await ctx.api.request("GET", path) or []
            return any(_live(item, ctx.country).ident == change.key[-1] for item in fresh)

        await ctx.api.request("POST", path, json=_body(change.key[-1], {}, change.after), done_already=made)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        path = f"{self._list_path(ctx, change.key)}/{segment(change.meta['id'])}"
        await ctx.api.request("PUT", path, json=_body(change.key[-1], change.before or {}, change.after))

    async def delete(self, ctx: Context, change: Change) -> None:
        path = f"{self._list_path(ctx, change.key)}/{segment(change.meta['id'])}"
        await ctx.api.request("DELETE", path, missing_ok=True)


class ContactMapping(_ContactMapping):
    kind = CONTACT.name
    user_scoped = False


class UserContactMapping(_ContactMapping):
    kind = USER_CONTACT.name
    user_scoped = True


def _live(item: dict[str, Any], country: str) -> _Live:
    fields: dict[str, Any] = {}
    for name, api_name in WIRE.items():
        value = str(item.get(api_name) or "").strip()
        fields[name] = value or None
    middle, key = split_stored_key(fields["middle_name"] or "")
    fields["middle_name"] = middle or None
    fields["key"] = key
    for name in NUMBERS:
        if fields[name]:
            fields[name] = _read_number(fields[name], country)
    natural = identity(fields["first_name"], fields["last_name"], fields["company"])
    ident = identity(fields["first_name"], fields["last_name"], fields["company"], key)
    return _Live(ident, natural, fields, str(item.get("unique-id") or ""))


def _resources(ctx: Context, kind: str, owner: Key, items: list[dict[str, Any]]) -> list[Resource]:
    found = [_live(item, ctx.country) for item in items]
    _adopt(ctx, kind, owner, found)
    out: list[Resource] = []
    seen: set[str] = set()
    for c in found:
        ident = c.ident if c.ident not in seen else f"{c.ident} [{c.unique_id}]"
        seen.add(ident)
        out.append(Resource(kind, (*owner, ident), c.fields, meta={"id": c.unique_id}))
    return out


def _adopt(ctx: Context, kind: str, owner: Key, found: list[_Live]) -> None:
    """A desired contact missing under its identity takes over a live one with its names whose own
    identity the YAML does not use (a key was added or removed): an update instead of a duplicate."""
    candidates = ctx.desired.under(kind, owner[0]) if owner else ctx.desired.of_kind(kind)
    desired = {r.key[-1]: r.fields for r in candidates if r.key[:-1] == owner}
    present = {c.ident for c in found}
    for ident, fields in desired.items():
        if ident in present:
            continue
        natural = identity(fields.get("first_name"), fields.get("last_name"), fields.get("company"))
        if not natural:
            continue
        for c in found:
            if c.ident not in desired and c.natural == natural:
                c.ident = ident
                present.add(ident)
                break


def _body(ident: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, str]:
    merged = {**before, **after}
    body: dict[str, str] = {}
    for name, api_name in WIRE.items():
        value = merged.get(name)
        if name in NUMBERS and value:
            value = str(value).removeprefix("+")
        body[api_name] = str(value or "")
    if ident.startswith("#"):
        body["name-middle-name"] = f"{body['name-middle-name']} {ident}".strip()
    return body


def _read_number(text: str, country: str) -> str:
    digits = text.replace(" ", "").replace("-", "")
    if digits.isdigit():
        return decode_number(digits, country)
    try:
        return parse_number(text, country)
    except TargetError:
        return text
