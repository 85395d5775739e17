"""Desk phones (`phones:`), keyed by MAC address, and the configuration rendered for each.

A phone names its model, its owning user (line 1), optional extra lines, BLF keys watching other
users, speed dials, a template under the repository's `templates/` and free `overrides`. Resolve
checks every reference, renders the template and puts one `phone` resource in the desired state:
`model`, `user`, `lines` and `config` (the rendered text, stored on the PBX as the NDP phone's
overrides blob). A template change, a renamed user or a new BLF key therefore shows up in plans as
a diff of the rendered text.

Why this module is long: a phone's model, its builder and the context its template sees are
one unit (the builder checks what the template will read); templating itself is phone_templates.
"""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from skyconf.errors import Problem
from skyconf.model.base import Build, Needs, Strict, YamlPath
from skyconf.model.contacts import CONTACT, CONTACTS, NUMBER_FIELDS, Contact, identity
from skyconf.model.kinds import Kind, Section, register, register_section
from skyconf.model.phone_catalog import FAMILY_TEMPLATES, MAX_LINES, PhoneModel, find_model, model_ids
from skyconf.model.phone_templates import (
    TEMPLATES_DIR,
    PhoneRenderer,
    TemplateProblem,
    is_xml_template,
    merge_overrides,
    normalize_config,
    one_line,
    zone_info,
)
from skyconf.model.targets import TargetError, parse_number
from skyconf.model.users import USER, USERS
from skyconf.repo import find_root

if TYPE_CHECKING:
    from skyconf.model.tenant import TenantBase

_SEPARATED = re.compile(r"^[0-9A-Fa-f]{2}([:\-.]?)(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$")
_DOTTED = re.compile(r"^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$")
OVERRIDE_KEY = r"^[A-Za-z0-9_][A-Za-z0-9_.\-\[\]]*$"
Scalar = str | int | float | bool


class SpeedDial(Strict):
    """A speed-dial key."""

    label: str | None = Field(None, min_length=1, max_length=40)
    """Text on the key; defaults to the user's or contact's name, or the number."""
    target: str
    """A user's extension ("102" or "user:102"), a contact of the shared directory ("contact:KEY" or
    "contact:First Last") or an external number."""

    @field_validator("target", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Phone(Strict):
    """Desk phones, keyed by MAC address; their configuration is rendered from a template."""

    model: str
    """Brand and model, e.g. yealink-t54w, polycom-vvx450, grandstream-grp2614 (any spelling)."""
    user: str
    """The owning user's extension: line 1 registers as this user."""
    lines: list[str] = []
    """Further users' extensions, one line (SIP account) each after line 1."""
    template: str | None = None
    """A file under the repository's templates/ folder; defaults to the model family's template."""
    blf: list[str] = []
    """Busy-lamp keys, each watching a user (by extension); labelled with that user's name."""
    speed_dial: list[SpeedDial] = []
    """Speed-dial keys, after the BLF keys."""
    overrides: dict[str, Scalar] = {}
    """Free key/value pairs merged into the rendered configuration (replacing the same key)."""

    @field_validator("user", mode="before")
    @classmethod
    def _ext(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("lines", "blf", mode="before")
    @classmethod
    def _exts(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @field_validator("overrides")
    @classmethod
    def _overrides(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        for key, item in value.items():
            if not re.match(OVERRIDE_KEY, key):
                raise ValueError(f"'{key}' is not a configuration key (letters, digits, . _ - [ ])")
            if isinstance(item, str) and ("\n" in item or "\r" in item):
                raise ValueError(f"the value of '{key}' must be one line")
        return value


def normalize_mac(text: str) -> str:
    """`00:15:65:AA:BB:CC`, `00-15-65-aa-bb-cc`, `0015.65aa.bbcc` or `001565aabbcc` -> `001565aabbcc`."""
    value = text.strip()
    if _SEPARATED.match(value) or _DOTTED.match(value):
        return re.sub(r"[:\-.]", "", value).lower()
    digits = re.sub(r"[:\-.]", "", value)
    if re.fullmatch(r"[0-9A-Fa-f]+", digits) and len(digits) != 12:
        raise ValueError(f"'{text}' is not a MAC address: {len(digits)} hex digits where a MAC has 12")
    raise ValueError(
        f"'{text}' is not a MAC address: expected 12 hex digits like 00:15:65:aa:bb:cc, 00-15-65-AA-BB-CC "
        "or 001565aabbcc"
    )


def template_name(phone: Phone, model: PhoneModel) -> str:
    return phone.template or FAMILY_TEMPLATES[model.family]


def templates_folder(tenant_folder: Path) -> Path:
    """The repository's own templates/ folder when it has one (the repository root holds skyconf.yaml
    or .git), else the templates shipped inside skyconf, so a new tenants repository works as is."""
    own = find_root(tenant_folder) / TEMPLATES_DIR
    return own if own.is_dir() else Path(__file__).resolve().parent.parent / TEMPLATES_DIR


def declared_phones(tenant: TenantBase) -> dict[str, tuple[str, Phone]]:
    """MAC (normalized) -> (YAML key, phone), for phones whose MAC is valid; first spelling wins."""
    out: dict[str, tuple[str, Phone]] = {}
    for key, phone in PHONES.of(tenant).items():
        try:
            mac = normalize_mac(key)
        except ValueError:
            continue
        out.setdefault(mac, (key, phone))
    return out


def phone_resources(build: Build) -> list[Problem]:
    """One `phone` resource per valid phone; returns the template problems (file:line of the template),
    after reporting YAML problems through `build.fail`."""
    tenant = build.tenant
    if not PHONES.of(tenant):
        return []
    renderer = PhoneRenderer(templates_folder(build.folder))
    shared = one_line(_shared_context(build))  # cleaned once: the directory is the same for every phone
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for key, phone in PHONES.of(tenant).items():
        path: YamlPath = ("phones", key)
        try:
            mac = normalize_mac(key)
        except ValueError as exc:
            build.fail(path, str(exc))
            continue
        if mac in seen:
            first = seen[mac]
            build.fail(
                path,
                f"MAC {mac} is already declared as '{first}' ({build.where(('phones', first))}); "
                "a phone is declared once",
            )
            continue
        seen[mac] = key
        built = _phone(build, renderer, shared, mac, phone, path)
        if isinstance(built, TemplateProblem):
            where = build.where(path)
            problems.append(Problem(built.file, built.line, 1, f"phones.{key}", f"{built.message} (phone at {where})"))
        elif built is not None:
            fields, needs = built
            build.add(PHONE, (mac,), fields, path, needs)
    return problems


def _phone(
    build: Build, renderer: PhoneRenderer, shared: dict[str, Any], mac: str, phone: Phone, path: YamlPath
) -> tuple[dict[str, Any], Needs] | TemplateProblem | None:
    """Checks, then the rendered configuration; None when a problem was reported."""
    tenant = build.tenant
    ok = True
    needs: Needs = set()
    model = find_model(phone.model)
    if model is None:
        build.fail((*path, "model"), _unknown_model(phone.model))
        ok = False
    if build.user_extension(phone.user, (*path, "user"), needs) is None:
        ok = False

    lines: list[str] = []
    for i, ext in enumerate(phone.lines):
        lpath = (*path, "lines", i)
        if ext == phone.user:
            build.fail(lpath, f"{ext} is the phone's own user (line 1); list only further users' lines")
            ok = False
        elif ext in lines:
            build.fail(lpath, f"{ext} is listed twice")
            ok = False
        elif build.user_extension(ext, lpath, needs) is None:
            ok = False
        else:
            lines.append(ext)
    if model is not None and 1 + len(phone.lines) > min(model.accounts, MAX_LINES):
        limit = min(model.accounts, MAX_LINES)
        build.fail((*path, "lines"), f"a {model.brand_model} takes at most {limit} lines here (1 + {limit - 1} more)")
        ok = False

    blf: list[dict[str, Any]] = []
    for i, ext in enumerate(phone.blf):
        bpath = (*path, "blf", i)
        if any(b["extension"] == ext for b in blf):
            build.fail(bpath, f"{ext} is listed twice")
            ok = False
        elif build.user_extension(ext, bpath, set()) is None:  # watching needs no order: no dependency
            ok = False
        else:
            blf.append({"index": len(blf) + 1, "extension": ext, "label": _name(USERS.of(tenant)[ext])})

    dials: list[dict[str, Any]] = []
    for i, dial in enumerate(phone.speed_dial):
        entry = _speed_dial(build, dial, (*path, "speed_dial", i))
        if entry is None:
            ok = False
        else:
            dials.append({"index": len(dials) + 1, **entry})

    template = template_name(phone, model) if model else (phone.template or "")
    if model is not None and not renderer.exists(template):
        where = (*path, "template") if phone.template else (*path, "model")
        known = renderer.names()
        hint = f"; templates there: {', '.join(known)}" if known else ""
        build.fail(where, f"no template '{template}' in {renderer.shown('')}{hint}")
        ok = False

    owner = USERS.of(tenant).get(phone.user)
    zone_name = (owner.time_zone if owner and owner.time_zone else None) or tenant.time_zone
    try:
        zone = zone_info(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None  # the time zone itself is reported where it is declared
    if not ok or model is None or owner is None:
        return None

    context = {
        "phone": {
            "mac": mac,
            "mac_colons": ":".join(mac[i : i + 2] for i in range(0, 12, 2)),
            "brand": model.brand,
            "model": model.model,
            "brand_model": model.brand_model,
            "family": model.family,
            "accounts": model.accounts,
            "fixed_keys": model.fixed_keys,
            "template": template,
            "overrides": dict(phone.overrides),
        },
        "user": _user_context(phone.user, owner, tenant.time_zone),
        "lines": [
            {
                "index": n,
                "extension": ext,
                "name": _name(USERS.of(tenant)[ext]),
                "sip_uri": f"sip:{ext}@{tenant.domain}",
            }
            for n, ext in enumerate([phone.user, *lines], start=1)
        ],
        "blf": blf,
        "speed_dial": dials,
        "time_zone": zone,
    }
    try:
        text = renderer.render(template, context, shared)
    except TemplateProblem as problem:
        return problem
    config = normalize_config(merge_overrides(text, phone.overrides, xml=is_xml_template(template)))
    fields = {"model": model.brand_model, "user": phone.user, "lines": lines, "config": config}
    return fields, needs


def _speed_dial(build: Build, dial: SpeedDial, path: YamlPath) -> dict[str, Any] | None:
    tenant = build.tenant
    text = dial.target.strip()
    prefix, sep, rest = text.partition(":")
    if sep and prefix == "contact":
        contact = _find_contact(CONTACTS.of(tenant), rest.strip())
        if contact is None:
            names = [_contact_name(c) for c in CONTACTS.of(tenant)]
            shown = ", ".join(n for n in names if n) or "none declared"
            build.fail((*path, "target"), f"no contact '{rest.strip()}' in the shared contacts ({shown})")
            return None
        number = next((getattr(contact, f) for f in NUMBER_FIELDS if f != "fax" and getattr(contact, f)), None)
        if number is None:
            build.fail((*path, "target"), f"contact '{rest.strip()}' has no work, cell or home number to dial")
            return None
        try:
            number = parse_number(number, tenant.country)
        except TargetError:
            return None  # reported at the contact itself
        return {"kind": "contact", "label": dial.label or _contact_name(contact), "number": number}
    if sep and prefix == "user":
        text = rest.strip()
    elif sep:
        build.fail((*path, "target"), f"'{dial.target}': use an extension, user:EXT, contact:NAME or a phone number")
        return None
    if text.isdigit() and len(text) <= 7:
        if build.user_extension(text, (*path, "target"), set()) is None:
            return None
        return {"kind": "user", "label": dial.label or _name(USERS.of(tenant)[text]), "number": text}
    try:
        number = parse_number(text, tenant.country)
    except TargetError as exc:
        build.fail((*path, "target"), str(exc))
        return None
    return {"kind": "number", "label": dial.label or number, "number": number}


def _find_contact(contacts: list[Contact], text: str) -> Contact | None:
    wanted = " ".join(text.split()).casefold()
    for contact in contacts:
        if contact.key and contact.key.casefold() == wanted:
            return contact
    for contact in contacts:
        ident = identity(contact.first_name, contact.last_name, contact.company)
        if wanted in (ident, _contact_name(contact).casefold()):
            return contact
    return None


def _contact_name(contact: Contact) -> str:
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    return name or contact.company or contact.key or ""


def _name(user: Any) -> str:
    return f"{user.first_name} {user.last_name}".strip()


def _user_context(ext: str, user: Any, tenant_zone: str) -> dict[str, Any]:
    """The user's plain fields (never the voicemail block, which holds the PIN) plus name and extension."""
    fields = {
        k: v for k, v in user.model_dump(mode="json").items() if v is None or isinstance(v, str | int | float | bool)
    }
    caller_id = getattr(user, "caller_id", None)
    fields.update(
        {
            "extension": ext,
            "name": _name(user),
            "time_zone": user.time_zone or tenant_zone,
            "caller_id_name": getattr(caller_id, "name", None) if caller_id else None,
        }
    )
    return fields


def _shared_context(build: Build) -> dict[str, Any]:
    t = build.tenant
    users = [
        {
            "extension": ext,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "name": _name(u),
            "department": u.department,
            "email": u.email,
        }
        for ext, u in sorted(USERS.of(t).items(), key=lambda item: (len(item[0]), item[0]))
    ]
    contacts = [
        {
            "key": c.key,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "company": c.company,
            "name": _contact_name(c),
            **{f: getattr(c, f) for f in NUMBER_FIELDS},
        }
        for c in CONTACTS.of(t)
    ]
    return {
        "tenant": {"domain": t.domain, "time_zone": t.time_zone, "country": t.country},
        "settings": dict(PHONE_SETTINGS.of(t)),
        "directory": {"users": users, "contacts": contacts},
    }


def _unknown_model(text: str) -> str:
    import difflib

    ids = model_ids()
    close = difflib.get_close_matches(text.lower().replace(" ", "-"), ids, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(ids)}"
    families = "Yealink T4x/T5x, Poly VVX/Edge and Grandstream GRP"
    return f"unknown phone model '{text}' (skyconf ships templates for {families}){hint}"


PHONE = register(
    Kind(
        "phone",
        "phone",
        ("mac",),
        depends_on=(USER, CONTACT),
        display_fields=("model", "user"),
        prune_key="phones",
    )
)


def _build(build: Build) -> None:
    for problem in phone_resources(build):
        build.report(problem)


# Desk phones by MAC address (see templates/ for their configuration).
PHONES: Section[dict[str, Phone]] = register_section(
    Section(
        "phones",
        dict[str, Phone],
        dict,
        "phones.yaml",
        build=_build,
        order=60,
        canonical_key=lambda key, _country: normalize_mac(key),
    )
)
# Values every phone template can read as settings.NAME (phonebook_url, ntp_server, ldap_url...).
PHONE_SETTINGS: Section[dict[str, Scalar]] = register_section(
    Section("phone_settings", dict[str, Scalar], dict, "phones.yaml", order=61)
)


# --- import: rendering candidate phones -----------------------------------------------------------


def shared_context(build: Build, settings: dict[str, Scalar]) -> dict[str, Any]:
    """What every phone's template gets (tenant, directory) with these `phone_settings`."""
    return {**_shared_context(build), "settings": dict(settings)}


def phone_config(build: Build, renderer: PhoneRenderer, shared: dict[str, Any], mac: str, phone: Phone) -> str | None:
    """The configuration text `phone` renders to, or None when it has a problem (import tries candidates)."""
    built = _phone(build, renderer, shared, mac, phone, ("phones", mac))
    return built[0]["config"] if isinstance(built, tuple) else None
