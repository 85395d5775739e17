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

A menu's prompt is a greeting of the attendant's extension whose number is the starting prompt's
(`Prompt_100` plays greeting 100: the spec's attendant read shows `audio.ordinal-order: 100` beside
`starting-prompt: Prompt_100`). It is read from the attendant's `audio` and written through
`/users/{ext}/greetings` (skyconf.providers.netsapiens.greetings), only when its content changed;
prompts the YAML does not state are read (for import) but not compared.
"""

from __future__ import annotations

import asyncio
from typing import Any

from skyconf.errors import SkyconfError
from skyconf.model.attendants import AUTO_ATTENDANT, FALLBACK_ACTIONS, KEYS
from skyconf.model.rules import DEFAULT_RULE
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import ApiError, segment
from skyconf.providers.netsapiens.base import Context, Mapping
from skyconf.providers.netsapiens.conferences import conference_extension
from skyconf.providers.netsapiens.greetings import decode_audio, write_greeting
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
            if not ctx.reads(self.kind, (ext,)):  # not declared (or not in scope): counted, not read in depth
                name = str(items[0].get("attendant-name") or "")
                out.append(Resource(self.kind, (ext,), {"name": name}, meta={"prompts": prompts}))
                continue
            details = await asyncio.gather(*(self._detail(ctx, item) for item in items))
            menus: dict[str, dict[str, str]] = {}
            audio_of: dict[str, dict[str, Any]] = {}
            for item, detail in zip(items, details, strict=True):
                frame = _frame_in(str(item.get("time-frame") or WIRE_DEFAULT))
                tree = detail.get("auto-attendant")
                menus[frame] = decode_menu(tree if isinstance(tree, dict) else {}, kinds, ctx.country)
                audio = detail.get("audio")
                if isinstance(audio, dict) and audio:
                    audio_of[frame] = decode_audio(audio)[1]
            main = next((i for i in items if str(i.get("time-frame") or WIRE_DEFAULT) == WIRE_DEFAULT), items[0])
            fields = {
                "name": str(main.get("attendant-name") or ""),
                "menus": dict(sorted(menus.items())),
                "prompts": _comparable(audio_of, ctx.desired.get(self.kind, (ext,))),
            }
            out.append(Resource(self.kind, (ext,), fields, meta={"prompts": prompts}))
        return out

    async def _detail(self, ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
        """One attendant object with its menu tree and prompt audio (the list's, when it has both)."""
        if isinstance(item.get("auto-attendant"), dict) and "audio" in item:
            return item
        body = await ctx.api.get(self._one(ctx, str(item["user"]), str(item["starting-prompt"])))
        return body if isinstance(body, dict) else {}

    def _one(self, ctx: Context, ext: str, prompt: str) -> str:
        return f"{ctx.user_path(ext)}/autoattendants/{segment(prompt)}"

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext, name = change.key[0], change.after["name"]
        prompts: dict[str, dict[str, Any]] = change.after.get("prompts") or {}
        for frame, menu in change.after["menus"].items():
            prompt = await self._create_menu(ctx, ext, name, frame, menu)
            if frame in prompts:
                await write_greeting(ctx, ext, prompt_number(prompt), prompts[frame], None, exists=False)

    async def _create_menu(self, ctx: Context, ext: str, name: str, frame: str, menu: dict[str, str]) -> str:
        """Create one menu; returns its starting prompt."""
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
            made_now = await ctx.api.request("POST", path, json=body, done_already=made)
        except ApiError as exc:
            if exc.status != 409:
                raise
            # Made by an earlier attempt whose answer was lost: find its prompt and write the menu there.
            prompt = await self._prompt_of(ctx, ext, frame)
            if prompt is None:
                raise
            body = {"attendant-name": name, "auto-attendant": encode_menu(menu)}
            await ctx.api.request("PUT", self._one(ctx, ext, prompt), json=body)
            return prompt
        if isinstance(made_now, dict) and made_now.get("starting-prompt"):
            return str(made_now["starting-prompt"])
        prompt = await self._prompt_of(ctx, ext, frame)
        if prompt is None:
            raise SkyconfError(f"auto attendant {ext}: the PBX does not list the menu for '{frame}' just created")
        return prompt

    async def _prompt_of(self, ctx: Context, ext: str, frame: str) -> str | None:
        """The starting prompt of the attendant's menu for `frame`, from a fresh list."""
        listed = await ctx.api.request("GET", f"{ctx.base}/autoattendants") or []
        return next(
            (
                str(i["starting-prompt"])
                for i in listed
                if str(i["user"]) == ext and str(i.get("time-frame") or WIRE_DEFAULT) == _frame_out(frame)
            ),
            None,
        )

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        ext = change.key[0]
        before = change.before or {}
        name = str(change.after.get("name", before.get("name", "")))
        have: dict[str, dict[str, str]] = before.get("menus") or {}
        want: dict[str, dict[str, str]] = change.after.get("menus", have)
        prompts: dict[str, str] = dict(change.meta.get("prompts", {}))
        for frame, menu in want.items():
            if frame not in prompts:
                prompts[frame] = await self._create_menu(ctx, ext, name, frame, menu)
            elif menu != have.get(frame) or name != before.get("name"):
                body = {"attendant-name": name, "auto-attendant": encode_menu(menu, have.get(frame, {}))}
                await ctx.api.request("PUT", self._one(ctx, ext, prompts[frame]), json=body)
        had: dict[str, dict[str, Any]] = before.get("prompts") or {}
        for frame, audio in (change.after.get("prompts") or {}).items():
            if frame in want and had.get(frame) != audio:
                await write_greeting(ctx, ext, prompt_number(prompts[frame]), audio, None, exists=frame in had)
        for frame, prompt in prompts.items():
            if frame not in want:
                await ctx.api.request("DELETE", self._one(ctx, ext, prompt), missing_ok=True)

    async def delete(self, ctx: Context, change: Change) -> None:
        for prompt in change.meta.get("prompts", {}).values():
            await ctx.api.request("DELETE", self._one(ctx, change.key[0], prompt), missing_ok=True)


def prompt_number(prompt: str) -> int:
    """The greeting number of a starting prompt (`Prompt_100` -> 100)."""
    digits = prompt.rpartition("_")[2]
    if not digits.isdigit():
        raise SkyconfError(f"auto attendant prompt '{prompt}' has no greeting number; its audio cannot be written")
    return int(digits)


def _comparable(prompts: dict[str, dict[str, Any]], desired: Resource | None) -> dict[str, dict[str, Any]]:
    """Live prompts as the YAML's are compared: only the menus whose prompt it states, and a spoken
    prompt's voice and language only where it states them. Everything when it states none (import)."""
    wanted = desired.fields.get("prompts") if desired is not None else None
    if not isinstance(wanted, dict):
        return prompts
    out: dict[str, dict[str, Any]] = {}
    for frame, audio in prompts.items():
        if frame in wanted:
            out[frame] = {k: v for k, v in audio.items() if k in wanted[frame] or k in ("file", "sha256", "text")}
    return out


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
