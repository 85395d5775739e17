"""Auto attendants (`auto_attendants:`), keyed by the attendant's extension.

An attendant has one menu per domain time frame (`default` applies when no other does). A menu maps
keys "0"-"9" and "*" to forward targets (the answering-rule syntax: `user:`, `voicemail:`, `queue:`,
`conference:`, `auto_attendant:` or an external number). `no_key_press` and `unassigned_key` say what
happens when the caller presses nothing or a key without an option: `repeat`, `hangup`, or a target
one of the menu's options also uses (the PBX can only send them to an option). `prompt` is what the
menu says first: a WAV file in the tenant folder or text to speech (see skyconf.model.greetings);
the attendant's `prompts` field (time frame -> `{file, sha256}` or `{text, voice, language}`) is
what a caller hears, for `skyconf simulate`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from skyconf.model.base import Build, Export, Needs, Strict, YamlPath
from skyconf.model.greetings import Greeting, audio_fields, audio_yaml, greeting_import_path
from skyconf.model.kinds import Kind, Section, register, register_section
from skyconf.model.rules import DEFAULT_RULE
from skyconf.model.targets import RING_TARGETS, target_prefixes
from skyconf.model.timeframes import TIME_FRAME, TIME_FRAMES
from skyconf.model.users import USER

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*")
FALLBACKS = ("no_key_press", "unassigned_key")
FALLBACK_ACTIONS = ("repeat", "hangup")


def menu_targets() -> tuple[str, ...]:
    """What a menu option may name: every forward target but a simultaneous ring's handsets."""
    return tuple(p for p in target_prefixes() if p not in RING_TARGETS)


class Menu(Strict):
    """One menu: what each key does, and what happens when the caller presses nothing or a key without an option."""

    key_1: str | None = Field(None, alias="1")
    """What pressing 1 does: a forward target (`user:101`, `queue:400`, a number) or `repeat` / `hangup`."""
    key_2: str | None = Field(None, alias="2")
    """What pressing 2 does: a forward target (`user:101`, `queue:400`, a number) or `repeat` / `hangup`."""
    key_3: str | None = Field(None, alias="3")
    """What pressing 3 does: a forward target (`user:101`, `queue:400`, a number) or `repeat` / `hangup`."""
    key_4: str | None = Field(None, alias="4")
    """What pressing 4 does: a forward target (`user:101`, `queue:400`, a number) or `repeat` / `hangup`."""
    key_5: str | None = Field(None, alias="5")
    """What pressing 5 does: a forward target (`user:101`, `queue:400`, a number) or `repeat` / `hangup`."""
    key_6: str | None = Field(None, alias="6")
    """What pressing 6 does: a forward target (`user:101`, `queue:400`, a number) or `repeat` / `hangup`."""
    key_7: str | None = Field(None, alias="7")
    """What pressing 7 does: a forward target (`user:101`, `queue:400`, a number) or `repeat` / `hangup`."""
    key_8: str | None = Field(None, alias="8")
    """What pressing 8 does: a forward target (`user:101`, `queue:400`, a number) or `repeat` / `hangup`."""
    key_9: str | None = Field(None, alias="9")
    """What pressing 9 does: a forward target (`user:101`, `queue:400`, a number) or `repeat` / `hangup`."""
    key_0: str | None = Field(None, alias="0")
    """What pressing 0 does: a forward target (`user:101`, `queue:400`, a number) or `repeat` / `hangup`."""
    key_star: str | None = Field(None, alias="*")
    """What pressing * does: a forward target or `repeat` / `hangup`."""
    no_key_press: str | None = None
    """When the caller presses nothing: repeat, hangup, or a target one of the options uses."""
    unassigned_key: str | None = None
    """When the caller presses a key without an option: repeat, hangup, or an option's target."""
    prompt: Greeting | None = Field(None, examples=[{"tts": "Thank you for calling. Press 1 for sales."}])
    """What the menu says first: {file: path} (a WAV file in the tenant folder) or {tts: text}."""

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _something(self) -> Menu:
        if not self.options():
            raise ValueError('a menu needs at least one key option ("0"-"9" or "*")')
        return self

    def options(self) -> dict[str, str]:
        """Key -> target text, for the keys that have an option."""
        out: dict[str, str] = {}
        for key in KEYS:
            value = getattr(self, "key_star" if key == "*" else f"key_{key}")
            if value is not None:
                out[key] = value
        return out


class AutoAttendant(Strict):
    """Auto attendants (phone menus), keyed by extension; one menu per time frame, `default` for the rest."""

    name: str = Field(min_length=1)
    """The attendant's name, shown in the portal."""
    menus: dict[str, Menu] = Field(min_length=1)
    """Time frame name (or `default`) -> menu."""


AUTO_ATTENDANT = register(
    Kind(
        "auto_attendant",
        "auto attendant",
        ("extension",),
        depends_on=(USER, TIME_FRAME),
        display_fields=("name",),
        prune_key="auto_attendants",
        uses_targets=True,
    )
)


def attendant_resources(build: Build) -> None:
    frames = TIME_FRAMES.of(build.tenant)
    for ext, attendant in AUTO_ATTENDANTS.of(build.tenant).items():
        path: YamlPath = ("auto_attendants", ext)
        needs: Needs = set()
        menus: dict[str, dict[str, str]] = {}
        prompts: dict[str, dict[str, Any]] = {}
        for frame, menu in attendant.menus.items():
            mpath = (*path, "menus", frame)
            if frame != DEFAULT_RULE:
                if frame not in frames:
                    build.fail(mpath, _unknown_frame(frame, list(frames)))
                    continue
                needs.add(TIME_FRAME.ref(frame))
            menus[frame] = _menu(build, ext, menu, mpath, needs)
            if menu.prompt is not None:
                audio = audio_fields(build, menu.prompt, (*mpath, "prompt"))
                if audio is not None:
                    prompts[frame] = audio
        fields: dict[str, Any] = {"name": attendant.name, "menus": menus}
        if prompts:  # only prompts the YAML states are compared (others stay as the PBX has them)
            fields["prompts"] = prompts
        build.add(AUTO_ATTENDANT, (ext,), fields, path, needs)


def _menu(build: Build, ext: str, menu: Menu, path: YamlPath, needs: Needs) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, text in menu.options().items():
        kpath = (*path, key)
        if "self" in text.split(":", 1)[-1:]:
            build.fail(kpath, "'self' has no meaning in an auto attendant menu; name the extension")
            continue
        target = build.target(text, kpath, needs, kinds=menu_targets())
        if target == f"auto_attendant:{ext}":
            needs.discard(AUTO_ATTENDANT.ref(ext))
        if target is not None:
            out[key] = target
    for name in FALLBACKS:
        text = getattr(menu, name)
        if text is None:
            continue
        if text in FALLBACK_ACTIONS:
            out[name] = text
            continue
        target = build.target(text, (*path, name), set(needs), kinds=menu_targets())
        if target is None:
            continue
        if target not in out.values():
            build.fail(
                (*path, name),
                f"'{text}' is not the target of any option of this menu; the PBX can only repeat the menu, "
                "hang up, or send the caller where an option does",
            )
            continue
        out[name] = target
    return out


def _unknown_frame(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"no domain time frame named '{name}'{hint} (or 'default')"


def attendant_yaml(
    fields: dict[str, Any], frames: list[str], prompts: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A live attendant as YAML: menus in the order of `frames` (by priority), `default` last; each
    its `prompt` (from `prompts`, already YAML), keys in keypad order, then the fallbacks."""
    menus: dict[str, dict[str, str]] = fields.get("menus") or {}
    rank = {name: i for i, name in enumerate([*frames, DEFAULT_RULE])}
    out: dict[str, Any] = {}
    for frame in sorted(menus, key=lambda f: (rank.get(f, len(rank)), f)):
        menu = menus[frame]
        prompt = {"prompt": prompts[frame]} if prompts and frame in prompts else {}
        out[frame] = {**prompt, **{k: menu[k] for k in (*KEYS, *FALLBACKS) if k in menu}}
    return {"name": fields.get("name"), "menus": out}


def prompt_yaml(ex: Export, ext: str, frame: str, audio: dict[str, Any]) -> dict[str, Any]:
    """A live prompt as YAML; an upload's file is listed for the folder (the API gives no audio back)."""
    if audio.get("text") is not None:
        return audio_yaml(audio, "")
    slug = "-".join("".join(c if c.isalnum() else " " for c in frame).split()).lower()
    path = greeting_import_path(audio, ext, f"prompt-{slug}")
    ex.audio_file(path, audio.get("sha256"), f"auto attendant {ext}")
    return audio_yaml(audio, path)


def attendant_export(ex: Export) -> dict[str, Any]:
    """The live attendants as YAML: menus of frames that are not imported, and options naming what is
    not imported, are left out and noted."""
    out: dict[str, Any] = {}
    for r in ex.live.of_kind(AUTO_ATTENDANT.name):
        ext = r.key[0]
        menus: dict[str, dict[str, str]] = {}
        for frame, menu in (r.fields.get("menus") or {}).items():
            if frame != DEFAULT_RULE and frame not in ex.frames:
                ex.note(f"auto attendant {ext}: menu for time frame '{frame}', which is not imported; left out")
                continue
            kept: dict[str, str] = {}
            for key, target in menu.items():
                if key in FALLBACKS:
                    continue
                if ex.target_ok(target, ext, kinds=menu_targets()):
                    kept[key] = target
                else:
                    ex.note(f"auto attendant {ext}, menu {frame}, key {key}: {target!r} is not imported; left out")
            for name in FALLBACKS:
                value = menu.get(name)
                if value is not None and (value in FALLBACK_ACTIONS or value in kept.values()):
                    kept[name] = value
                elif value is not None:
                    ex.note(f"auto attendant {ext}, menu {frame}: {name} '{value}' is not expressible; left out")
            if any(k not in FALLBACKS for k in kept):
                menus[frame] = kept
            else:
                ex.note(f"auto attendant {ext}, menu {frame}: no key option left; not imported")
        if not menus:
            ex.note(f"auto attendant {ext}: no menu left; not imported")
            continue
        live_prompts: dict[str, dict[str, Any]] = r.fields.get("prompts") or {}
        prompts = {f: prompt_yaml(ex, ext, f, a) for f, a in live_prompts.items() if f in menus}
        data = ex.validated(
            AutoAttendant, attendant_yaml({**r.fields, "menus": menus}, ex.frames, prompts), f"auto attendant {ext}"
        )
        if data is not None:
            out[ext] = data
    return out


AUTO_ATTENDANTS: Section[dict[str, AutoAttendant]] = register_section(
    Section(
        "auto_attendants",
        dict[str, AutoAttendant],
        dict,
        "auto_attendants.yaml",
        build=attendant_resources,
        order=52,
        export=attendant_export,
        extension_kind=AUTO_ATTENDANT,
        extension_word="auto attendant",
        targets=("auto_attendant",),
    )
)
