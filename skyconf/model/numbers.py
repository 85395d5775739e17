"""Inbound phone numbers (`phone_numbers:`): where calls to each of the tenant's numbers go.

Keyed by the number in any common spelling (`"+1 416 555 0100"`, `"(416) 555-0100"` in the tenant's
country); it is stored in E.164, and two spellings of one number are an error. `to` is a forward
target in the answering-rule syntax (`user:101`, `auto_attendant:500`, `queue:400`, `voicemail:101`,
`conference:300`, `handset:101`, or an external number). Numbers cost money, so pruning them is off
unless `prune: {phone_numbers: true}`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from skyconf.model.base import Build, Export, Needs, Strict, YamlPath
from skyconf.model.kinds import Kind, Section, register, register_section
from skyconf.model.targets import TargetError, parse_number
from skyconf.model.tenant import DOMAIN


class PhoneNumber(Strict):
    to: str = Field(
        description="Where calls to this number go: a forward target such as auto_attendant:500.",
        examples=["auto_attendant:500"],
    )
    enabled: bool = Field(True, description="false keeps the number but stops routing calls to it.")
    description: str | None = Field(
        None, description="A note shown in the portal's number list.", examples=["Main line"]
    )
    caller_name_prefix: str | None = Field(
        None,
        max_length=20,
        description="Put before the caller's name on the phones that ring (e.g. 'Sales-'; end spaces are trimmed).",
        examples=["Sales-"],
    )

    @field_validator("to", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


PHONE_NUMBER = register(
    Kind(
        "phone_number",
        "phone number",
        ("number",),
        depends_on=(DOMAIN,),
        display_fields=("to",),
        prune_key="phone_numbers",
        uses_targets=True,
    )
)


def _build(build: Build) -> None:
    seen: dict[str, str] = {}
    for spelled, number in PHONE_NUMBERS.of(build.tenant).items():
        path: YamlPath = ("phone_numbers", spelled)
        try:
            e164 = parse_number(spelled, build.tenant.country)
        except TargetError as exc:
            build.fail(path, str(exc))
            continue
        if e164 in seen:
            build.fail(
                path, f"{e164} is already declared as '{seen[e164]}' ({build.where(('phone_numbers', seen[e164]))})"
            )
            continue
        seen[e164] = spelled
        if "self" in number.to.split(":", 1)[-1:]:
            build.fail((*path, "to"), "'self' has no meaning for a phone number; name the extension")
            continue
        needs: Needs = set()
        target = build.target(number.to, (*path, "to"), needs)
        if target is None:
            continue
        fields: dict[str, Any] = {"to": target, "enabled": number.enabled}
        if number.description is not None:
            fields["description"] = number.description
        if number.caller_name_prefix is not None:
            fields["caller_name_prefix"] = number.caller_name_prefix
        build.add(PHONE_NUMBER, (e164,), fields, path, needs)


def _export(ex: Export) -> dict[str, Any]:
    """The live numbers as YAML; a number routed to something that is not imported is left out."""
    out: dict[str, Any] = {}
    for r in ex.live.of_kind(PHONE_NUMBER.name):
        number = r.key[0]
        target = str(r.fields.get("to") or "")
        if not target or not ex.target_ok(target, ""):
            ex.note(f"phone number {number}: routed to {target or 'nothing skyconf can express'}; not imported")
            continue
        data: dict[str, Any] = {"to": target}
        if r.fields.get("enabled") is False:
            data["enabled"] = False
        for name in ("description", "caller_name_prefix"):
            if r.fields.get(name):
                data[name] = r.fields[name]
        checked = ex.validated(PhoneNumber, data, f"phone number {number}")
        if checked is not None:
            out[number] = checked
    return out


PHONE_NUMBERS: Section[dict[str, PhoneNumber]] = register_section(
    Section(
        "phone_numbers",
        dict[str, PhoneNumber],
        dict,
        "phone_numbers.yaml",
        build=_build,
        order=70,
        export=_export,
        canonical_key=parse_number,
        description="Inbound numbers (DIDs) and where each one sends its calls.",
        example={"+1 416 555 0100": {"to": "auto_attendant:500", "description": "Main line"}},
    )
)
