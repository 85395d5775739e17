"""Phones (NDP, by MAC) <-> /domains/{domain}/phones, checked against /phones/models.

What the PBX stores for a `phone` resource:
- `model` -> `device-models-brand-and-model` (the PBX's own "brand model" spelling, from
  `GET /phones/models`);
- `user` -> line 1: `device-provisioning-sip-uri-1` = `sip:<ext>@<domain>` (the user's device named
  after the extension) with `device-provisioning-line-1-enabled` = `yes`;
- `lines` -> lines 2..8 the same way (`-sip-uri-N`, `-line-N-enabled`; unused ones cleared);
- `config` -> `device-models-overrides-blob`: the rendered configuration text, which NDP merges
  over the configuration it generates for the phone (registration credentials stay NDP's).

POST, PUT and DELETE carry the MAC in the body. The spec marks nearly every NdpPhone field required,
so writes send a full record: a create fills the fields skyconf does not manage with neutral values
and the model's capabilities; an update or delete sends back the live record as read, with the
managed fields replaced. The list is read in pages of 1,000 with `start` and `limit`: the spec declares
only `limit` on it, but the vendor's guide ("Pagination and API data", docs.ns-api.com) says every
list GET takes both. A server that ignores `start` answers every page with the first: then the
declared phones beyond the first 1,000 are read one by one.

A line's URI `sip:<ext>@<domain>` names a SIP device of user <ext> (API-NOTES 2.9; the vendor's own
load generator creates the device before the phone that names it). So before a phone is created, or
an update names a new line, each line's device is made sure of: the user's device list is read (once
per run; a 404 reads as none), and a missing device `<ext>` is created with `{"device": "<ext>",
"synchronous": "yes"}` (409: it exists). When a phone is deleted or drops a line, the device named
exactly `<ext>` is deleted, but only when no phone of the domain still names it: no declared phone,
and no live phone that stays (one the tenant does not declare while it does not prune phones). That is
the one name skyconf creates; devices with other names (`101a`, a web phone's `101wp`) are never
touched. A PBX answering 404 to the device create (no device endpoint) gets a warning, not a failure:
the phone write then shows whether that PBX needs the device.

At plan time the desired models are also checked against the PBX's supported models
(`GET /phones/models`); a model the PBX does not list is an input error naming the phone's line.
When the PBX does not let the key read that list (403/404), the check is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from skyconf.errors import ConfigError, Problem
from skyconf.model.phone_catalog import MAX_LINES, compact, find_model
from skyconf.model.phone_templates import normalize_config
from skyconf.model.phones import PHONE
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import ApiError, segment
from skyconf.providers.netsapiens.base import Context, Mapping, is_yes
from skyconf.resources import Resource

log = logging.getLogger("skyconf.netsapiens")

MAC = "device-provisioning-mac-address"
MODEL = "device-models-brand-and-model"
BLOB = "device-models-overrides-blob"
LIST_LIMIT = 1000
MODELS_PATH = "/phones/models"


def uri_field(n: int) -> str:
    return f"device-provisioning-sip-uri-{n}"


def enabled_field(n: int) -> str:
    return f"device-provisioning-line-{n}-enabled"


# NdpPhone's required request fields (readOnly ones excluded) with the values a new phone gets.
CREATE_DEFAULTS: dict[str, Any] = {
    "reseller": "",
    MODEL: "",
    "device-provisioning-registration-core-server": "",
    "notes": "managed by skyconf",
    uri_field(1): "",
    enabled_field(1): "no",
    "device-provisioning-sip-uri-1-shared-line-enabled": "no",
    uri_field(2): "",
    enabled_field(2): "no",
    "device-provisioning-sip-uri-2-shared-line-enabled": "no",
    "device-provisioning-sip-transport-protocol": "udp",
    "device-provisioning-username": "",
    "device-provisioning-password": "",
    "device-models-count-buttons": 0,
    "device-models-fxs-support-enabled": 0,
    BLOB: "",
    "device-models-resync-support-enabled": "yes",
    "device-models-shared-line-support-enabled": "yes",
    "device-models-sidecar-support-enabled": "no",
    "device-provisioning-last-retrieved-datetime": "",
    "device-provisioning-directory": "",
    "device-provisioning-directory-support": "yes",
    "device-provisioning-ndp-hostname": "",
    "device-provisioning-presence": "yes",
    "created-datetime": "",
    "global-one-time-pass": "",
    "redundency": "no",
}
# NdpModel capability -> NdpPhone field, copied on create.
MODEL_CAPABILITIES = {
    "resync": "device-models-resync-support-enabled",
    "sla": "device-models-shared-line-support-enabled",
    "sidecar": "device-models-sidecar-support-enabled",
    "directory": "device-provisioning-directory-support",
    "presense": "device-provisioning-presence",
}
# Fields a full record may carry back on update/delete (the spec's request properties).
RECORD_FIELDS = frozenset(
    [
        MAC,
        "domain",
        *CREATE_DEFAULTS,
        *(f for n in range(3, MAX_LINES + 1) for f in (uri_field(n), enabled_field(n))),
        *(f"device-provisioning-sip-uri-{n}-shared-line-enabled" for n in range(3, MAX_LINES + 1)),
    ]
)


def _mac(item: dict[str, Any]) -> str:
    return str(item.get(MAC) or "").replace(":", "").replace("-", "").lower()


def extension_of(uri: Any) -> str | None:
    """`sip:101@acme.example` -> `101`."""
    text = str(uri or "").strip()
    for prefix in ("sips:", "sip:"):
        text = text.removeprefix(prefix)
    user = text.partition("@")[0].strip()
    return user or None


def canonical_model(text: Any) -> str | None:
    if text in (None, ""):
        return None
    known = find_model(str(text))
    return known.brand_model if known else str(text)


def model_label(model: dict[str, Any]) -> str:
    return str(model.get("brand_model") or f"{model.get('brand', '')} {model.get('model', '')}".strip())


class PhoneMapping(Mapping):
    kind = PHONE.name

    async def read(self, ctx: Context) -> list[Resource]:
        await self._check_models(ctx)
        return [phone for _, phone in await self._listed(ctx) if phone is not None]

    def _phone(self, item: dict[str, Any]) -> tuple[str, Resource | None]:
        """A listed phone's MAC as listed, and its resource (None: no MAC of 12 digits)."""
        mac = _mac(item)
        if len(mac) != 12:
            return mac, None
        # Writes send back only the record's RECORD_FIELDS: the rest (its config text) is not kept.
        record = {k: v for k, v in item.items() if k in RECORD_FIELDS}
        return mac, Resource(self.kind, (mac,), phone_fields(item), meta={"record": record})

    async def _listed(self, ctx: Context) -> list[tuple[str, Resource | None]]:
        scoped = ctx.scoped_keys(self.kind)
        if scoped is not None:  # a scoped read: each phone by itself
            return await self._by_mac(ctx, [key[0] for key in scoped])
        expected = len(ctx.desired.keys(self.kind)) // LIST_LIMIT + 1
        phones, complete = await ctx.pages(f"{ctx.base}/phones", LIST_LIMIT, expected, _mac, self._phone)
        return phones if complete else phones + await self._beyond_the_list(ctx, phones)

    async def _beyond_the_list(
        self, ctx: Context, listed: list[tuple[str, Resource | None]]
    ) -> list[tuple[str, Resource | None]]:
        """For a server that does not page the phone list: the declared phones the first page left out
        are read one by one (undeclared phones beyond it stay unseen, so they cannot be pruned)."""
        seen = {mac for mac, _ in listed}
        missing = [key[0] for key in ctx.desired.keys(self.kind) if key[0] not in seen]
        if ctx.prune.get(self.kind, False):
            log.warning("domain %s has over %d phones; phones beyond the list cannot be pruned", ctx.domain, LIST_LIMIT)
        return await self._by_mac(ctx, missing)

    async def _by_mac(self, ctx: Context, macs: list[str]) -> list[tuple[str, Resource | None]]:
        return [self._phone(item) for item in await ctx.each([f"{ctx.base}/phones/{segment(mac)}" for mac in macs])]

    async def _models(self, ctx: Context) -> list[dict[str, Any]] | None:
        try:
            models = await ctx.api.get(MODELS_PATH)
        except ApiError as exc:
            if exc.status in (401, 403, 404):
                log.info("cannot read %s (HTTP %s): phone models not checked against the PBX", MODELS_PATH, exc.status)
                return None
            raise
        return [m for m in models or [] if isinstance(m, dict)]

    async def _check_models(self, ctx: Context) -> None:
        wanted = ctx.desired.of_kind(self.kind)
        if not wanted:
            return
        models = await self._models(ctx)
        if models is None:
            return
        known = {compact(model_label(m)) for m in models}
        problems: list[Problem] = []
        for phone in wanted:
            model = str(phone.fields.get("model"))
            if compact(model) in known or phone.source is None:
                continue
            listed = ", ".join(sorted(model_label(m) for m in models)) or "none"
            problems.append(
                Problem(
                    phone.source.file,
                    phone.source.line,
                    phone.source.column,
                    f"phones.{phone.key[0]}.model",
                    f"this PBX does not support the model '{model}' (GET {MODELS_PATH} lists: {listed})",
                )
            )
        if problems:
            raise ConfigError(problems)

    async def _pbx_model(self, ctx: Context, model: str) -> dict[str, Any] | None:
        for m in await self._models(ctx) or []:
            if compact(model_label(m)) == compact(model):
                return m
        return None

    async def _body(self, ctx: Context, change: Change, record: dict[str, Any]) -> dict[str, Any]:
        assert change.after is not None
        body = dict(record)
        fields = change.after
        if "model" in fields:
            pbx_model = await self._pbx_model(ctx, fields["model"])
            body[MODEL] = model_label(pbx_model) if pbx_model else fields["model"]
        if "user" in fields:
            body[uri_field(1)] = f"sip:{fields['user']}@{ctx.domain}"
            body[enabled_field(1)] = "yes"
        if "lines" in fields:
            extra = list(fields["lines"])
            for n in range(2, MAX_LINES + 1):
                ext = extra[n - 2] if n - 2 < len(extra) else None
                if ext is None and uri_field(n) not in body and n > 2:
                    continue  # never set and not wanted: leave the field out
                body[uri_field(n)] = f"sip:{ext}@{ctx.domain}" if ext else ""
                body[enabled_field(n)] = "yes" if ext else "no"
        if "config" in fields:
            body[BLOB] = fields["config"]
        return body

    async def create(self, ctx: Context, change: Change) -> None:
        mac = change.key[0]
        await _ensure_devices(ctx, line_extensions(change.after or {}))
        record: dict[str, Any] = {MAC: mac, "domain": ctx.domain, **CREATE_DEFAULTS}
        domain = await ctx.api.get(ctx.base, missing_ok=True)
        if isinstance(domain, dict) and domain.get("reseller"):
            record["reseller"] = str(domain["reseller"])
        pbx_model = await self._pbx_model(ctx, str((change.after or {}).get("model", "")))
        if pbx_model:
            for capability, name in MODEL_CAPABILITIES.items():
                if pbx_model.get(capability) in ("yes", "no"):
                    record[name] = pbx_model[capability]
            if str(pbx_model.get("fxs", "")).isdigit():
                record["device-models-fxs-support-enabled"] = int(pbx_model["fxs"])
        if not await ctx.api.post_new(f"{ctx.base}/phones", await self._body(ctx, change, record)):
            # Made by an earlier attempt whose answer was lost, or owned by another domain.
            live = await ctx.api.request("GET", f"{ctx.base}/phones/{segment(mac)}", missing_ok=True)
            if not isinstance(live, dict):
                raise ApiError("POST", f"{ctx.base}/phones", 409, f"MAC {mac} is registered to another domain")
            await self._put(ctx, change, live)

    async def update(self, ctx: Context, change: Change) -> None:
        before = line_extensions(change.before or {})
        after = line_extensions({**(change.before or {}), **(change.after or {})})
        await _ensure_devices(ctx, [ext for ext in after if ext not in before])
        await self._put(ctx, change, dict(change.meta.get("record") or {}))
        await _drop_devices(ctx, change.key[0], [ext for ext in before if ext not in after])

    async def _put(self, ctx: Context, change: Change, live: dict[str, Any]) -> None:
        record = {k: v for k, v in live.items() if k in RECORD_FIELDS}
        record.update({MAC: change.key[0], "domain": ctx.domain})
        await ctx.api.request("PUT", f"{ctx.base}/phones", json=await self._body(ctx, change, record))

    async def delete(self, ctx: Context, change: Change) -> None:
        live = dict(change.meta.get("record") or {})
        # The DELETE body schema declares neither `domain` nor `notes` (the path names the domain).
        record = {k: v for k, v in live.items() if k in RECORD_FIELDS and k not in ("domain", "notes")}
        record[MAC] = change.key[0]
        await ctx.api.request("DELETE", f"{ctx.base}/phones", json=record, missing_ok=True)
        await _drop_devices(ctx, change.key[0], line_extensions(change.before or phone_fields(live)))


def line_extensions(fields: dict[str, Any]) -> list[str]:
    """The extensions a phone's lines name (line 1 first), each once."""
    exts = [fields.get("user"), *(fields.get("lines") or [])]
    return list(dict.fromkeys(str(ext) for ext in exts if ext))


def device_name(item: dict[str, Any]) -> str:
    """A listed device's name: `device`, else the user part of its registration URI."""
    return str(item.get("device") or extension_of(item.get("device-sip-registration-uri")) or "")


def _devices_path(ctx: Context, ext: str) -> str:
    return f"{ctx.user_path(ext)}/devices"


async def _ensure_devices(ctx: Context, exts: list[str]) -> None:
    """Each line's SIP device exists before a phone names it (once per extension per run)."""
    for ext in exts:
        key = ("device", ext)
        if key not in ctx.memo:
            ctx.memo[key] = asyncio.ensure_future(_ensure_device(ctx, ext))
        await ctx.memo[key]


async def _ensure_device(ctx: Context, ext: str) -> None:
    path = _devices_path(ctx, ext)
    if any(device_name(item) == ext for item in await ctx.api.get(path) or [] if isinstance(item, dict)):
        return
    body = {"device": ext, "synchronous": "yes"}
    try:
        await ctx.api.post_new(path, body, listed=lambda item: device_name(item) == ext, settle=True)
    except ApiError as exc:
        if exc.status != 404:
            raise
        log.warning("cannot create SIP device %s for the phone lines naming it: %s", ext, exc)


def _names_in_use(ctx: Context, leaving: str) -> set[str]:
    """Extensions some phone of the domain names after this apply (the phone `leaving` excluded)."""
    used = {ext for r in ctx.desired.of_kind("phone") if r.key[0] != leaving for ext in line_extensions(r.fields)}
    if not ctx.prune.get("phone", False):
        for r in ctx.live.of_kind("phone"):
            if r.key[0] != leaving and ctx.desired.get("phone", r.key) is None:
                used.update(line_extensions(r.fields))
    return used


async def _drop_devices(ctx: Context, mac: str, exts: list[str]) -> None:
    """Delete device `<ext>` of lines a phone no longer has, when no other phone names it."""
    used = _names_in_use(ctx, mac)
    for ext in exts:
        if ext not in used:
            await ctx.api.request("DELETE", f"{_devices_path(ctx, ext)}/{segment(ext)}", missing_ok=True)


def phone_fields(item: dict[str, Any]) -> dict[str, Any]:
    """A live NDP phone as the resource fields plans compare."""
    user = extension_of(item.get(uri_field(1))) if is_yes(item.get(enabled_field(1), "no")) else None
    lines = [
        ext
        for n in range(2, MAX_LINES + 1)
        if is_yes(item.get(enabled_field(n), "no")) and (ext := extension_of(item.get(uri_field(n))))
    ]
    return {
        "model": canonical_model(item.get(MODEL)),
        "user": user,
        "lines": lines,
        "config": normalize_config(item.get(BLOB)),
    }
