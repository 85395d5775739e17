"""Auto attendants <-> /domains/{domain}/autoattendants and …/users/{ext}/autoattendants/{prompt}.

The PBX keeps one attendant object per (extension, time frame), each with its own starting prompt;
skyconf's auto attendant is all of them for one extension (`menus` keyed by time frame, `default`
being the PBX's `*`). A menu is the `auto-attendant` tree's options `option-0` … `option-9`,
`option-*`, each a `destination-application` and a `destination-user`:

  user:101 -> to-user 101            voicemail:101 -> to-voicemail 101
  queue:400 -> to-callqueue 400      conference:300, auto_attendant:500 -> to-user 300 / 500
  +14165550101 -> to-connection 14165550101 (E.164 without the +)

`to-user` to a conference bridge or an attendant is read back by looking the extension up among
the declared and live conferences, queues and attendants. `no-key-press` and `unassigned-key-press`
are `repeat`, `hangup` or `option-N` (the first option with the wanted target). An option the YAML
drops is sent as `{"remove": "yes"}`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from skyconf.model.attendants import AUTO_ATTENDANT, FALLBACK_ACTIONS, KEYS
from skyconf.model.rules import DEFAULT_RULE
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import ApiError, segment
from skyconf.providers.netsapiens.base import Context, Mapping
from skyconf.providers.netsapiens.conferences import conference_extension
from skyconf.providers.netsapiens.targets import decode_number
from skyconf.resources import Resource

WIRE_DEFAULT = "*"
FALLBACKS = {"no_key_press": "no-key-press", "unassigned_key": "unassigned-key-press"}
APPLICATIONS = {
    "user": "to-user",
    "voicemail": "to-voicemail",
    "queue": "to-callqueue",
    "conference": "to-user",
    "auto_attendant": "to-user",
}
QUEUE_APPLICATIONS = (
    "to-callqueue",
    "to-callqueue-announce-count-callers-ahead",
    "to-callqueue-announce-expected-wait-time",
)
EXTERNAL = "to-connection"


def _frame_in(wire: str) -> str:
    return DEFAULT_RULE if wire == WIRE_DEFAULT else wire


def _frame_out(name: str) -> str:
    return WIRE_DEFAULT if name == DEFAULT_RULE else name


class AutoAttendantMapping(Mapping):
    kind = AUTO_ATTENDANT.name

    async def read(self, ctx: Context) -> list[Resource]:
        listed = await ctx.api.get(f"{ctx.base}/autoattendants") or []
        by_ext: dict[str, list[dict[str, Any]]] = {}
        for item in listed:
            by_ext.setdefault(str(item["user"]), []).append(item)
        kinds = await _extension_kinds(ctx, by_ext)
        out: list[Resource] = []
        for ext, items in sorted(by_ext.items()):
            # Each menu's prompt, as listed: what an update or a delete (a prune) addresses.
            prompts = {_frame_in(str(i.get("time-frame") or WIRE_DEFAULT)): str(i["starting-prompt"]) for i in items}
            if ctx.desired.get(self.kind, (ext,)) is None:  # not declared: counted, not read in depth
                name = str(items[0].get("attendant-name") or "")
                out.append(Resource(self.kind, (ext,), {"name": name}, meta={"prompts": prompts}))
                continue
            trees = await asyncio.gather(*(self._tree(ctx, item) for item in items))
            menus = {
                _frame_in(str(item.get("time-frame") or WIRE_DEFAULT)): decode_menu(tree, kinds, ctx.country)
                for item, tree in zip(items, trees, strict=True)
            }
            main = next((i for i in items if str(i.get("time-frame") or WIRE_DEFAULT) == WIRE_DEFAULT), items[0])
            fields = {"name": str(main.get("attendant-name") or ""), "menus": dict(sorted(menus.items()))}
            out.append(Resource(self.kind, (ext,), fields, meta={"prompts": prompts}))
        return out

    async def _tree(self, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
        if isinstance(item.get("auto-attendant"), dict):
            return dict(item["auto-attendant"])
        body = await ctx.api.get(self._one(ctx, str(item["user"]), str(item["starting-prompt"])))
        tree = body.get("auto-attendant") if isinstance(body, dict) else None
        return tree if isinstance(tree, dict) else {}

    def _one(self, ctx: Context, ext: str, prompt: str) -> str:
        return f"{ctx.user_path(ext)}/autoattendants/{segment(prompt)}"

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext, name = change.key[0], change.after["name"]
        for frame, menu in change.after["menus"].items():
            await self._create_menu(ctx, ext, name, frame, menu)

    async def _create_menu(self, ctx: Context, ext: str, name: str, frame: str, menu: dict[str, str]) -> None:
        body = {
            "attendant-name": name,
            "user": ext,
            "time-frame": _frame_out(frame),
            "auto-attendant": encode_menu(menu),
        }
        path = f"{ctx.base}/autoattendants"
        made = ctx.api.finds(
            path, lambda i: str(i.get("user")) == ext and str(i.get("time-frame") or WIRE_DEFAULT) == _frame_out(frame)
        )
        try:
            await ctx.api.request("POST", path, json=body, done_already=made)
        except ApiError as exc:
            if exc.status != 409:
                raise
            # Made by an earlier attempt whose answer was lost: find its prompt and write the menu there.
            listed = await ctx.api.request("GET", f"{ctx.base}/autoattendants") or []
            prompt = next(
                (
                    str(i["starting-prompt"])
                    for i in listed
                    if str(i["user"]) == ext and str(i.get("time-frame") or WIRE_DEFAULT) == _frame_out(frame)
                ),
                None,
            )
            if prompt is None:
                raise
            body = {"attendant-name": name, "auto-attendant": encode_menu(menu)}
            await ctx.api.request("PUT", self._one(ctx, ext, prompt), json=body)

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext = change.key[0]
        before = change.before or {}
        name = str(change.after.get("name", before.get("name", "")))
        have: dict[str, dict[str, str]] = before.get("menus") or {}
        want: dict[str, dict[str, str]] = change.after.get("menus", have)
        prompts: dict[str, str] = change.meta.get("prompts", {})
        for frame, menu in want.items():
            if frame not in prompts:
                await self._create_menu(ctx, ext, name, frame, menu)
            elif menu != have.get(frame) or name != before.get("name"):
                body = {"attendant-name": name, "auto-attendant": encode_menu(menu, have.get(frame, {}))}
                await ctx.api.request("PUT", self._one(ctx, ext, prompts[frame]), json=body)
        for frame, prompt in prompts.items():
            if frame not in want:
                await ctx.api.request("DELETE", self._one(ctx, ext, prompt), missing_ok=True)

    async def delete(self, ctx: Context, change: Change) -> None:
        for prompt in change.meta.get("prompts", {}).values():
            await ctx.api.request("DELETE", self._one(ctx, change.key[0], prompt), missing_ok=True)


async def _extension_kinds(ctx: Context, attendants: dict[str, Any]) -> dict[str, str]:
    """Extension -> target kind for extensions reached with `to-user` that are not users."""
    kinds: dict[str, str] = {ext: "auto_attendant" for ext in attendants}
    conferences = await ctx.api.get(f"{ctx.base}/conferences") or []
    kinds.update({conference_extension(c): "conference" for c in conferences})
    for kind_name in ("conference", "auto_attendant"):
        kinds.update({r.key[0]: kind_name for r in ctx.desired.of_kind(kind_name)})
    return kinds


def encode_menu(menu: dict[str, str], before: dict[str, str] | None = None) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    first_key: dict[str, str] = {}
    for key in KEYS:
        target = menu.get(key)
        if target is None:
            if before and key in before:
                tree[f"option-{key}"] = {"remove": "yes"}
            continue
        first_key.setdefault(target, key)
        tree[f"option-{key}"] = encode_option(target)
    for name, api in FALLBACKS.items():
        value = menu.get(name)
        if value in FALLBACK_ACTIONS:
            tree[api] = value
        elif value is not None:
            tree[api] = f"option-{first_key[value]}"
    return tree


def encode_option(target: str) -> dict[str, str]:
    if target.startswith("+"):
        return {"destination-application": EXTERNAL, "destination-user": target[1:]}
    kind, _, ext = target.partition(":")
    return {"destination-application": APPLICATIONS[kind], "destination-user": ext}


def decode_menu(tree: dict[str, Any], kinds: dict[str, str], country: str) -> dict[str, str]:
    menu: dict[str, str] = {}
    for key in KEYS:
        option = tree.get(f"option-{key}")
        if isinstance(option, dict) and str(option.get("remove", "no")) != "yes":
            menu[key] = decode_option(option, kinds, country)
    for name, api in FALLBACKS.items():
        value = str(tree.get(api) or "")
        if value in FALLBACK_ACTIONS:
            menu[name] = value
        elif value.startswith("option-") and value.removeprefix("option-") in menu:
            menu[name] = menu[value.removeprefix("option-")]
        elif value:
            menu[name] = value
    return menu


def decode_option(option: dict[str, Any], kinds: dict[str, str], country: str) -> str:
    app = str(option.get("destination-application") or "")
    dest = str(option.get("destination-user") or "")
    if app == "to-user":
        return f"{kinds.get(dest, 'user')}:{dest}"
    if app == "to-voicemail":
        return f"voicemail:{dest}"
    if app in QUEUE_APPLICATIONS:
        return f"queue:{dest}"
    if app == EXTERNAL and dest.isdigit():
        return decode_number(dest, country)
    return f"{app}:{dest}"
