"""Contacts: the shared directory (`contacts:`) and each user's own (`users.<ext>.contacts`).

A contact on the PBX has no natural key (its id is made by the server), so skyconf gives each one an
identity: the explicit `key:` when there is one, else first name + last name + company, compared
without regard to case or repeated spaces. Changing a phone number keeps the identity (an update);
two contacts of one directory with the same identity are an error. An explicit key is kept on the
PBX at the end of the middle name as `#key` (the API has no other free field; `tags` is read-only),
so it survives a re-read. A live contact without that mark whose names match a keyed contact of the
YAML (or the reverse) is taken to be that contact: adding or removing a key is an update, never a
second contact.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import EmailStr, Field, field_validator, model_validator

from skyconf.model.base import Build, Needs, Strict, YamlPath
from skyconf.model.kinds import Kind, Section, register, register_section
from skyconf.model.targets import TargetError, parse_number
from skyconf.model.tenant import DOMAIN

if TYPE_CHECKING:
    from skyconf.resources import Key

NUMBER_FIELDS = ("work", "cell", "home", "fax")
TEXT_FIELDS = ("first_name", "middle_name", "last_name", "company", "email")
KEY_PATTERN = r"^[A-Za-z0-9._-]{1,40}$"
# An explicit key as stored at the end of the PBX's middle-name field.
_STORED_KEY = re.compile(r"(?:^|\s)#([A-Za-z0-9._-]{1,40})$")


class Contact(Strict):
    """Contacts of the shared company directory; a contact is named by `key`, else by its names and company."""

    key: str | None = Field(None, pattern=KEY_PATTERN)
    """Optional explicit identity (letters, digits, . _ -); use it when names repeat or will change."""
    first_name: str | None = None
    """Given name."""
    middle_name: str | None = None
    """Middle name."""
    last_name: str | None = None
    """Family name."""
    company: str | None = None
    """Company the contact works for."""
    email: EmailStr | None = None
    """Email address."""
    work: str | None = None
    """Phone numbers in any common spelling; stored in E.164."""
    cell: str | None = None
    """Mobile number, in any common spelling (stored in E.164)."""
    home: str | None = None
    """Home number, in any common spelling (stored in E.164)."""
    fax: str | None = None
    """Fax number, in any common spelling (stored in E.164)."""

    @field_validator(*NUMBER_FIELDS, mode="before")
    @classmethod
    def _number_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("middle_name")
    @classmethod
    def _no_key_marker(cls, value: str | None) -> str | None:
        if value and _STORED_KEY.search(value):
            raise ValueError("a middle name may not end in '#word' (skyconf keeps explicit keys there)")
        return value

    @model_validator(mode="after")
    def _named(self) -> Contact:
        if not (self.key or self.first_name or self.last_name or self.company):
            raise ValueError("a contact needs a first_name, last_name or company (or an explicit key)")
        return self


def identity(first: str | None, last: str | None, company: str | None, key: str | None = None) -> str:
    """The identity a contact is keyed by, from YAML or from live fields alike."""
    if key:
        return f"#{key}"
    name = " ".join(" ".join(part.split()) for part in (first or "", last or "") if part.strip())
    company_text = " ".join((company or "").split())
    text = f"{name} @ {company_text}".strip() if company_text else name
    return text.casefold()


def split_stored_key(middle: str) -> tuple[str, str | None]:
    """A live middle name -> (the middle name itself, the explicit key stored after it, if any)."""
    m = _STORED_KEY.search(middle)
    if not m:
        return middle, None
    return middle[: m.start()].strip(), m.group(1)


def contact_resources(
    build: Build, contacts: list[Contact], kind: Kind, owner: Key, path: YamlPath, needs: Needs | None = None
) -> None:
    """One resource per contact, of `kind` (the shared directory's, or a user's: then `owner` is the
    user's key and `needs` names the user)."""
    seen: dict[str, int] = {}
    for i, contact in enumerate(contacts):
        cpath = (*path, i)
        ident = identity(contact.first_name, contact.last_name, contact.company, contact.key)
        if ident in seen:
            how = f"key '{contact.key}'" if contact.key else "first name, last name and company"
            build.fail(
                cpath,
                f"same {how} as contact {seen[ident] + 1} ({build.where((*path, seen[ident]))}); "
                "give one of them an explicit key",
            )
            continue
        seen[ident] = i
        fields: dict[str, Any] = {"key": contact.key}
        for name in contact.model_fields_set - {"key"}:
            value = getattr(contact, name)
            if name in NUMBER_FIELDS and value:
                try:
                    value = parse_number(value, build.tenant.country)
                except TargetError as exc:
                    build.fail((*cpath, name), str(exc))
                    continue
            fields[name] = value or None
        build.add(kind, (*owner, ident), dict(sorted(fields.items())), cpath, set(needs or ()))


CONTACT = register(
    Kind(
        "contact",
        "contact",
        ("identity",),
        depends_on=(DOMAIN,),
        display_fields=("first_name", "last_name", "company"),
        prune_key="contacts",
    )
)


def _build(build: Build) -> None:
    contact_resources(build, CONTACTS.of(build.tenant), CONTACT, (), ("contacts",))


# The shared directory (on every phone).
CONTACTS: Section[list[Contact]] = register_section(
    Section("contacts", list[Contact], list, "contacts.yaml", build=_build, order=30)
)


# --- import: a live contact back into YAML --------------------------------------------------------


def contact_yaml(fields: dict[str, Any]) -> dict[str, Any]:
    """A live contact as YAML: its explicit key (if any), names, email, then numbers (E.164)."""
    out: dict[str, Any] = {"key": fields["key"]} if fields.get("key") else {}
    for name in (*TEXT_FIELDS, *NUMBER_FIELDS):
        if fields.get(name):
            out[name] = fields[name]
    return out


def contact_identity(data: dict[str, Any]) -> str:
    """The identity of a YAML contact (a plain mapping), as `identity` makes it."""
    return identity(data.get("first_name"), data.get("last_name"), data.get("company"), data.get("key"))
