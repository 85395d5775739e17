"""Phones from the PBX back into YAML: what the rendered configuration lets import recover.

The PBX keeps a phone's model, its lines and the text skyconf rendered for it; the template and the
YAML that produced the text are not kept. So import searches: it renders candidate YAML with the
repository's templates and keeps whatever brings the text closer to the live one, in this order:
- the template: the model family's, unless another one in templates/ reproduces the text better;
- the tenant's `phone_settings`: each value is found by rendering a marker in its place and reading
  what stands there in any phone's live text;
- BLF keys and speed dials, one key at a time (candidates: users whose extension appears in the text,
  shared contacts whose number appears, other numbers that appear), then the speed dials' labels
  (found with a marker, like settings);
- last, `overrides` for keys (or XML attributes) whose value still differs or that the template does
  not write.
What cannot come back: lines the live text lacks but the template writes (an override replaces or
adds a key, it cannot remove one), and values a template transforms beyond recognition. A phone
whose text is not reproduced exactly is reported with the number of lines that differ.

Why this module is long: recovering YAML from rendered text is one search (render candidates,
compare, keep what matches), and its steps only make sense together.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import nodes
from pydantic import ValidationError

from skyconf.errors import Problem
from skyconf.forkmap import split_map
from skyconf.model.base import Needs, YamlPath
from skyconf.model.contacts import CONTACTS, NUMBER_FIELDS, Contact, identity
from skyconf.model.kinds import Kind
from skyconf.model.phone_catalog import FAMILY_TEMPLATES, find_model
from skyconf.model.phone_templates import PhoneRenderer, is_xml_template, normalize_config
from skyconf.model.phones import OVERRIDE_KEY, Phone, Scalar, phone_config, shared_context, templates_folder
from skyconf.model.targets import TargetError, parse_number
from skyconf.model.tenant import TenantBase
from skyconf.model.users import USERS

# Stands in for an unknown value while rendering; letters only, so no escaping or filter changes it.
MARKER = "Zqxv" + "MARKER" + "vxqZ"
_TOKEN = re.compile(r"(?<![\w.+])\+?\d+(?![\w.])")
_KEY_VALUE = re.compile(r"^\s*([^#;\s=][^=]*?)\s*=\s*(.*?)\s*$")
_XML_ATTRIBUTE = re.compile(r"\s([A-Za-z0-9_.\-\[\]]+)\s*=\s*\"([^\"]*)\"")
_ROUNDS = 3
# Texts kept per phone: the search comes back to a phone's current YAML after trying the others'
# candidates (a setting is tried on every phone), and to the better of its last two options.
_KEPT_TEXTS = 2


@dataclass
class RecoveredPhone:
    mac: str
    data: dict[str, Any]  # the phone's YAML
    differing: int  # live lines the recovered YAML does not reproduce (0: exact)


@dataclass
class _Live:
    mac: str
    data: dict[str, Any]
    lines: list[str]
    xml: bool = False
    score: int = 0


class _Probe:
    """A Build that only renders: the imported tenant, references checked against its users."""

    def __init__(self, tenant: TenantBase, folder: Path) -> None:
        self._tenant = tenant
        self._folder = folder
        self.problems: list[str] = []

    @property
    def tenant(self) -> TenantBase:
        return self._tenant

    @property
    def years(self) -> list[int]:
        return []

    @property
    def folder(self) -> Path:
        return self._folder

    def fail(self, path: YamlPath, message: str) -> None:
        self.problems.append(message)

    def where(self, path: YamlPath) -> str:
        return ".".join(str(p) for p in path)

    def report(self, problem: Problem) -> None:
        self.problems.append(problem.message)

    def add(self, kind: Kind, key: Any, fields: dict[str, Any], path: YamlPath, needs: Needs | None = None) -> None:
        return None

    def merge(self, kind: Kind, key: Any, fields: dict[str, Any]) -> None:
        return None

    def target(
        self,
        text: str,
        path: YamlPath,
        needs: Needs,
        *,
        own_extension: str | None = None,
        kinds: tuple[str, ...] | None = None,
        ring_list: bool = False,
    ) -> str | None:
        return None

    def user_extension(self, ext: str, path: YamlPath, needs: Needs) -> str | None:
        if ext in USERS.of(self._tenant):
            return ext
        self.fail(path, f"no user {ext}")
        return None


# A render's key, with its score, the settings it read and its text, as one search holds them.
_Known = tuple[tuple[str, str, tuple[tuple[str, Scalar], ...]], int | None, frozenset[str] | None, str | None]


@dataclass
class _Search:
    tenant: TenantBase
    folder: Path
    settings: dict[str, Scalar] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.probe = _Probe(self.tenant, self.folder)
        self.renderer = PhoneRenderer(templates_folder(self.folder))
        self._shared: dict[tuple[tuple[str, Scalar], ...], dict[str, Any]] = {}
        # The search asks for the same candidate again from step to step (the current YAML's score
        # first of all): scores are kept, texts only for each phone's last few candidates (they are
        # large), and not those rendered with the marker (each is read once).
        self._scores: dict[tuple[str, str, tuple[tuple[str, Scalar], ...]], int] = {}
        self._texts: dict[str, OrderedDict[tuple[str, str, tuple[tuple[str, Scalar], ...]], str | None]] = {}
        # The settings each render read (None: the template may read them in ways not noted), kept
        # with its score: a setting a phone's text never read cannot show there (see asks).
        self._asked: dict[tuple[str, str, tuple[tuple[str, Scalar], ...]], frozenset[str] | None] = {}
        self._name_sets: dict[frozenset[str], frozenset[str]] = {}  # one of each (most are alike)
        self._plain: dict[tuple[str, str], bool] = {}
        self._marked: dict[tuple[str, str, tuple[tuple[str, Scalar], ...]], list[str]] = {}
        self.templates = self.renderer.names()
        # The shared contacts with the number a speed dial to each dials (parsed once, not per phone).
        self.dial_numbers = [(c, _dial_number(c, self.tenant.country)) for c in CONTACTS.of(self.tenant)]

    def render(self, mac: str, data: dict[str, Any], settings: dict[str, Scalar] | None = None) -> str | None:
        return self._render(self._key(mac, data, settings), data)

    def _render(self, key: tuple[str, str, tuple[tuple[str, Scalar], ...]], data: dict[str, Any]) -> str | None:
        mac = key[0]
        kept = self._texts.setdefault(mac, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
        if key[2] not in self._shared:
            self._shared[key[2]] = shared_context(self.probe, dict(key[2]))
        shared = self._shared[key[2]]
        read = _Read(shared["settings"]) if self._reads_plainly(data) else None
        if read is not None:
            shared = {**shared, "settings": read}
        try:
            text = phone_config(self.probe, self.renderer, shared, mac, Phone.model_validate(data))
        except ValidationError:
            text = None
        if MARKER not in key[1] and all(value != MARKER for _, value in key[2]):
            asked = frozenset(read.asked) if read is not None else None
            self._asked[key] = self._name_sets.setdefault(asked, asked) if asked is not None else None
            kept[key] = text
            if len(kept) > _KEPT_TEXTS:
                kept.popitem(last=False)
        return text

    def known(self, live: _Live) -> _Known:
        """What the search knows of the phone's current YAML (rendered with the current settings)."""
        key = self._key(live.mac, live.data, None)
        texts = self._texts.get(live.mac)
        return key, self._scores.get(key), self._asked.get(key), texts.get(key) if texts else None

    def learn(self, known: _Known) -> None:
        """Take what another process's search knew (see skyconf.forkmap): its renders are not repeated."""
        key, score, asked, text = known
        if score is None or key in self._scores:
            return
        self._scores[key], self._asked[key] = score, asked
        self._texts.setdefault(key[0], OrderedDict())[key] = text

    def score(self, live: _Live, data: dict[str, Any], settings: dict[str, Scalar] | None = None) -> int:
        key = self._key(live.mac, data, settings)
        if key not in self._scores:
            self._scores[key] = _score(self._render(key, data), live.lines)
        return self._scores[key]

    def marked(self, live: _Live, name: str) -> list[str]:
        """The values the live text holds where the phone's current YAML, rendered with the marker for
        setting `name`, shows it (kept: a later round asks again, and the render is the same when the
        settings found since are not the ones it read)."""
        key = self._key(live.mac, live.data, {**self.settings, name: MARKER})
        if key not in self._marked:
            self._marked[key] = _extract(self._render(key, live.data), live.lines, live.xml)
        return self._marked[key]

    def asks(self, live: _Live, name: str) -> bool:
        """Whether the phone's current YAML, rendered with the current settings, reads `settings.NAME`
        (else a value in its place would change nothing: the render runs the same way)."""
        key = self._key(live.mac, live.data, None)
        if key not in self._asked:
            self.render(live.mac, live.data)
        asked = self._asked[key]
        return asked is None or name in asked

    def _reads_plainly(self, data: dict[str, Any]) -> bool:
        which = (str(data.get("model")), str(data.get("template") or ""))
        if which not in self._plain:
            model = find_model(which[0])
            template = which[1] or (FAMILY_TEMPLATES[model.family] if model else "")
            self._plain[which] = bool(template) and _reads_settings_plainly(self.renderer, template)
        return self._plain[which]

    def _key(
        self, mac: str, data: dict[str, Any], settings: dict[str, Scalar] | None
    ) -> tuple[str, str, tuple[tuple[str, Scalar], ...]]:
        settings = self.settings if settings is None else settings
        return mac, json.dumps(data), tuple(sorted(settings.items()))


def recover_phones(
    tenant: TenantBase, folder: Path, live: list[tuple[str, dict[str, Any]]], notes: list[str]
) -> tuple[list[RecoveredPhone], dict[str, Scalar]]:
    """The phones' YAML and the tenant's phone_settings, recovered from live (mac, fields) pairs as far as
    the templates allow; phones that cannot be declared (an unknown model, no user) are noted and left out."""
    search = _Search(tenant, folder)
    phones: list[_Live] = []
    for mac, fields in live:
        model = find_model(str(fields.get("model") or ""))
        user = fields.get("user")
        if model is None:
            notes.append(
                f"phone {_colons(mac)}: model '{fields.get('model')}' has no template in skyconf; not imported"
            )
            continue
        if user not in USERS.of(tenant):
            notes.append(f"phone {_colons(mac)}: line 1 is not one of the imported users; not imported")
            continue
        lines = [ext for ext in fields.get("lines") or [] if ext in USERS.of(tenant) and ext != user]
        if len(lines) != len(fields.get("lines") or []):
            notes.append(f"phone {_colons(mac)}: lines that are not imported users were left out")
        data: dict[str, Any] = {"model": model.id, "user": user}
        if lines:
            data["lines"] = lines
        phones.append(_Live(mac, data, normalize_config(fields.get("config")).splitlines()))

    # Each phone's template, then its keys, labels and overrides, are its own: on both cores (see
    # skyconf.forkmap). The settings are the tenant's, found over all phones at once.
    for phone, (template, xml, known) in zip(phones, split_map(lambda p: _chosen(search, p), phones), strict=True):
        if template is not None:
            phone.data["template"] = template
        phone.xml = xml
        search.learn(known)
    _find_settings(search, phones)
    out: list[RecoveredPhone] = []
    for phone, (data, differing) in zip(phones, split_map(lambda p: _finished(search, p), phones), strict=True):
        phone.data = data
        if differing:
            notes.append(
                f"phone {_colons(phone.mac)}: its configuration is not fully recovered ({differing} line(s) differ); "
                "the plan shows the difference"
            )
        out.append(RecoveredPhone(_colons(phone.mac), phone.data, differing))
    return out, dict(sorted(search.settings.items()))


def _chosen(search: _Search, phone: _Live) -> tuple[str | None, bool, _Known]:
    """The template `_choose_template` gives the phone (None: its model's), whether it is XML, and
    what the search knows of the phone with it (the settings search starts from there)."""
    _choose_template(search, phone)
    return phone.data.get("template"), phone.xml, search.known(phone)


def _finished(search: _Search, phone: _Live) -> tuple[dict[str, Any], int]:
    """The phone's YAML with its keys, labels and overrides, and the live lines it does not reproduce."""
    _add_keys(search, phone)
    _find_labels(search, phone)
    _add_overrides(search, phone)
    return phone.data, _differing(search.render(phone.mac, phone.data), phone.lines)


def _choose_template(search: _Search, phone: _Live) -> None:
    model = find_model(phone.data["model"])
    assert model is not None
    default = FAMILY_TEMPLATES[model.family]
    options = [default, *(n for n in search.templates if n.endswith(".j2") and n != default)]
    best, best_score = default, search.score(phone, phone.data)
    for name in options[1:]:
        score = search.score(phone, {**phone.data, "template": name})
        if score > best_score:
            best, best_score = name, score
    if best != default:
        phone.data["template"] = best
    phone.xml = is_xml_template(best)


def _find_settings(search: _Search, phones: list[_Live]) -> None:
    """Each `settings.NAME` the templates read: the value (seen in some live text) that reproduces most."""
    names: set[str] = set()
    for template in {_template(p) for p in phones}:
        names |= _setting_names(search.renderer, template)
    for _ in range(_ROUNDS):
        changed = False
        for name in sorted(names - set(search.settings)):
            seen: Counter[str] = Counter()
            for phone in phones:
                if not search.asks(phone, name):
                    continue  # the marker would not show: the text would be the current one
                seen.update(search.marked(phone, name))
            if not seen:
                continue
            best_total = sum(search.score(p, p.data) for p in phones)
            best: str | None = None
            for value, _count in seen.most_common():
                total = sum(search.score(p, p.data, {**search.settings, name: value}) for p in phones)
                if total > best_total:
                    best, best_total = value, total
            if best is not None:
                search.settings[name] = best
                changed = True
        if not changed:
            return


def _add_keys(search: _Search, phone: _Live) -> None:
    """BLF keys and speed dials, one at a time, while a key brings the text closer to the live one.

    Candidates come from the live lines the current YAML does not reproduce yet, so each step tries
    only what could still be missing (a phone's own line or an already matched key is not retried).
    """
    tenant = search.tenant
    declared = USERS.of(tenant)  # looked up by token: a phone's text names few of a large tenant's users
    contacts = search.dial_numbers
    blf: list[str] = []
    speed: list[dict[str, Any]] = []
    data = phone.data
    best = search.score(phone, data)
    while best < _exact(phone):  # once the text is reproduced nothing is missing
        tokens = set(_TOKEN.findall("\n".join(_unmatched(search.render(phone.mac, data), phone.lines))))
        users = sorted((t for t in tokens if t in declared), key=lambda e: (len(e), e))
        used = {d["target"] for d in speed}
        dials: list[str] = list(users)  # a speed dial may call a user a BLF key also watches
        covered: set[str] = set()
        for contact, number in contacts:
            if number and (number in tokens or number.lstrip("+") in tokens):
                dials.append(_contact_target(contact, CONTACTS.of(tenant)))
                covered.add(number)
        for token in sorted(tokens):
            number = _number(token, tenant.country) if len(token.lstrip("+")) >= 8 else None
            if number and number not in covered and number not in dials:
                dials.append(number)
        options = [([*blf, ext], speed) for ext in users if ext not in blf]
        options += [(blf, [*speed, {"target": t}]) for t in dials if t not in used]
        scored: list[tuple[int, list[str], list[dict[str, Any]]]] = []
        for b, sd in options:
            scored.append((search.score(phone, _with_keys(phone.data, b, sd)), b, sd))
            if scored[-1][0] == _exact(phone):
                break  # no later option can do better, and the first of the best is taken
        if not scored:
            break
        score, new_blf, new_speed = max(scored, key=lambda item: item[0])
        if score <= best:
            break
        best, blf, speed = score, new_blf, new_speed
        data = _with_keys(phone.data, blf, speed)
    phone.data = data
    phone.score = best


def _exact(phone: _Live) -> int:
    """The score of a text that reproduces the live one, the highest there is (see _score)."""
    return len(phone.lines)


def _unmatched(text: str | None, live: list[str]) -> list[str]:
    """The live lines `text` does not reproduce (all of them when it does not render)."""
    if text is None:
        return live
    matcher = difflib.SequenceMatcher(None, text.splitlines(), live, autojunk=False)
    out: list[str] = []
    for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            out.extend(live[j1:j2])
    return out


def _find_labels(search: _Search, phone: _Live) -> None:
    """A speed dial's label where the live text shows another than the default (the name or number)."""
    dials: list[dict[str, Any]] = list(phone.data.get("speed_dial") or [])
    for i, dial in enumerate(dials):
        probe = [*dials[:i], {**dial, "label": MARKER}, *dials[i + 1 :]]
        text = search.render(phone.mac, {**phone.data, "speed_dial": probe})
        for value in _extract(text, phone.lines, phone.xml):
            if not 1 <= len(value) <= 40:
                continue
            trial = [*dials[:i], {"label": value, **dial}, *dials[i + 1 :]]
            score = search.score(phone, {**phone.data, "speed_dial": trial})
            if score > phone.score:
                dials, phone.score = trial, score
                phone.data = {**phone.data, "speed_dial": dials}
                break


def _add_overrides(search: _Search, phone: _Live) -> None:
    """Keys (attributes) whose live value the template does not produce, as overrides, when that helps."""
    text = search.render(phone.mac, phone.data)
    if text is None or text.splitlines() == phone.lines:
        return
    live, rendered = _pairs("\n".join(phone.lines), phone.xml), _pairs(text, phone.xml)
    overrides = {
        key: _override_value(value)
        for key, value in live.items()
        if rendered.get(key) != value and re.match(OVERRIDE_KEY, key) and "\n" not in value
    }
    if not overrides:
        return
    trial = {**phone.data, "overrides": overrides}
    score = search.score(phone, trial)
    if score > phone.score:
        phone.data, phone.score = trial, score


def _with_keys(data: dict[str, Any], blf: list[str], speed: list[dict[str, Any]]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k not in ("blf", "speed_dial", "overrides")}
    if blf:
        out["blf"] = list(blf)
    if speed:
        out["speed_dial"] = list(speed)
    return out


def _score(text: str | None, live: list[str]) -> int:
    """Lines that match the live text (in order), less the rendered lines that do not: at most the
    number of live lines, reached only by a text that reproduces them all."""
    if text is None:
        return -(10**9)
    lines = text.splitlines()
    matcher = difflib.SequenceMatcher(None, lines, live, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return 2 * matched - len(lines)


def _differing(text: str | None, live: list[str]) -> int:
    if text is None:
        return len(live)
    diff = difflib.ndiff(text.splitlines(), live)
    return sum(1 for line in diff if line.startswith(("- ", "+ ")))


def _extract(text: str | None, live: list[str], xml: bool) -> list[str]:
    """The values the live lines hold where `text` (rendered with the marker) shows the marker."""
    found: list[str] = []
    for line in (text or "").splitlines():
        parts = line.split(MARKER)
        if len(parts) < 2 or len("".join(parts).strip()) < 3:
            continue
        pattern = re.escape(parts[0]) + "(?P<v>.+?)" + re.escape(parts[1])
        pattern += "".join("(?P=v)" + re.escape(p) for p in parts[2:])
        for other in live:
            m = re.fullmatch(pattern, other)
            if m:
                value = html.unescape(m.group("v")) if xml else m.group("v")
                if value not in found:
                    found.append(value)
    return found


def _pairs(text: str, xml: bool) -> dict[str, str]:
    """Key -> value of a key=value text (first occurrence), or attribute -> value of an XML text."""
    out: dict[str, str] = {}
    if xml:
        for m in _XML_ATTRIBUTE.finditer(text):
            out.setdefault(m.group(1), html.unescape(m.group(2)))
        return out
    for line in text.splitlines():
        pair = _KEY_VALUE.match(line)
        if pair:
            out.setdefault(pair.group(1), pair.group(2))
    return out


def _override_value(text: str) -> Scalar:
    return int(text) if re.fullmatch(r"-?(0|[1-9]\d{0,17})", text) else text


def _setting_names(renderer: PhoneRenderer, template: str) -> set[str]:
    """The `settings.NAME` (and `settings["NAME"]`) a template reads."""
    try:
        loader = renderer.env.loader
        assert loader is not None
        source = loader.get_source(renderer.env, template)[0]
        tree = renderer.env.parse(source)
    except Exception:
        return set()
    names: set[str] = set()
    for attr in tree.find_all(nodes.Getattr):
        if isinstance(attr.node, nodes.Name) and attr.node.name == "settings":
            names.add(attr.attr)
    for item in tree.find_all(nodes.Getitem):
        settings = isinstance(item.node, nodes.Name) and item.node.name == "settings"
        if settings and isinstance(item.arg, nodes.Const) and isinstance(item.arg.value, str):
            names.add(item.arg.value)
    return names


class _Read(dict[str, Scalar]):
    """A phone's settings that note the names a template reads (by `settings.NAME` or `settings["NAME"]`)."""

    def __init__(self, settings: dict[str, Scalar]) -> None:
        super().__init__(settings)
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> Scalar:
        self.asked.add(name)
        return super().__getitem__(name)


def _reads_settings_plainly(renderer: PhoneRenderer, template: str) -> bool:
    """Whether the template reads settings only by constant names (`settings.NAME`, `settings["NAME"]`)
    that are no attribute of a dict, and includes no other template: then what _Read notes is every
    setting the render depended on."""
    try:
        loader = renderer.env.loader
        assert loader is not None
        tree = renderer.env.parse(loader.get_source(renderer.env, template)[0])
    except Exception:
        return False
    if any(True for _ in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends))):
        return False
    uses = [n for n in tree.find_all(nodes.Name) if n.name == "settings"]
    plain = 0
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, nodes.Getattr | nodes.Getitem)
        if not (isinstance(node.node, nodes.Name) and node.node.name == "settings"):
            continue
        if isinstance(node, nodes.Getattr):
            name: Any = node.attr
        else:
            name = node.arg.value if isinstance(node.arg, nodes.Const) else None
        if not isinstance(name, str) or hasattr(_Read({}), name):
            return False
        plain += 1
    return plain == len(uses) and all(n.ctx == "load" for n in uses)


def _template(phone: _Live) -> str:
    if "template" in phone.data:
        return str(phone.data["template"])
    model = find_model(phone.data["model"])
    assert model is not None
    return FAMILY_TEMPLATES[model.family]


def _dial_number(contact: Contact, country: str) -> str | None:
    """The number a speed dial to this contact dials (work, cell or home; see phones.py)."""
    for name in NUMBER_FIELDS:
        value = getattr(contact, name)
        if name != "fax" and value:
            return _number(value, country)
    return None


def _contact_target(contact: Contact, contacts: list[Contact]) -> str:
    """`contact:KEY`, else `contact:First Last` when that names one contact, else its full identity."""
    if contact.key:
        return f"contact:{contact.key}"
    name = _contact_name(contact)
    if name and sum(1 for c in contacts if _contact_name(c).casefold() == name.casefold()) == 1:
        return f"contact:{name}"
    return f"contact:{identity(contact.first_name, contact.last_name, contact.company)}"


def _contact_name(contact: Contact) -> str:
    return " ".join(p for p in (contact.first_name, contact.last_name) if p) or contact.company or ""


def _number(text: str, country: str) -> str | None:
    for candidate in (text, "+" + text.lstrip("+")):
        try:
            return parse_number(candidate, country)
        except TargetError:
            continue
    return None


def _colons(mac: str) -> str:
    return ":".join(mac[i : i + 2] for i in range(0, 12, 2))
