"""Phone configuration templating: jinja2 templates under the repository's `templates/` -> text.

Templates run in jinja2's SandboxedEnvironment with StrictUndefined: a template cannot reach Python
internals (`''.__class__` is refused) and an unknown variable is an error, not an empty string.
Autoescaping is chosen per template: templates whose name ends in `.xml.j2` (or `.xml`) escape
every value for XML, so a display name like `R&D <Sales>` stays well-formed; the others (key=value
formats) are not escaped, but every string handed to a template is made one line first (a line
break in a name cannot start a second key), and `None` prints as an empty string.

The rendered text is then merged with the phone's `overrides` (each one replaces the same key or
attribute, or is added at the end) and normalized (no trailing spaces, one final newline), which is
exactly the text stored on the PBX and compared by plans. Every template problem is a ConfigError
naming the template's file and line.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from skyconf.errors import display_path

TEMPLATES_DIR = "templates"
OVERRIDES_ELEMENT = "overrides"
_KEY_LINE = re.compile(r"^(\s*)([^#;\s=][^=]*?)(\s*=)")


class TemplateProblem(Exception):
    """A template that does not render: its file, line and what is wrong."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = file
        self.line = line
        self.message = message


class _TemplateFail(Exception):
    """Raised by `fail("...")` inside a template."""


def is_xml_template(name: str) -> bool:
    return name.lower().removesuffix(".j2").endswith(".xml")


def output_suffix(name: str) -> str:
    """The rendered file's extension: `yealink.cfg.j2` -> `.cfg`, `polycom.xml.j2` -> `.xml`."""
    return Path(name.removesuffix(".j2")).suffix or ".cfg"


def _finalize(value: Any) -> Any:
    return "" if value is None else value


def one_line(value: Any) -> Any:
    """Every string in a context, recursively, with line breaks turned into spaces."""
    if isinstance(value, str):
        return " ".join(value.splitlines()) if ("\n" in value or "\r" in value) else value
    if isinstance(value, dict):
        return {k: one_line(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [one_line(v) for v in value]
    return value


def _fail(message: str) -> None:
    raise _TemplateFail(message)


class PhoneRenderer:
    """Templates of one repository's `templates/` folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(folder)),
            undefined=jinja2.StrictUndefined,
            autoescape=lambda name: bool(name) and is_xml_template(str(name)),
            finalize=_finalize,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            # A renderer lives for one run: no need to stat every template again for each phone.
            auto_reload=False,
        )
        self.env.globals["fail"] = _fail

    def exists(self, name: str) -> bool:
        try:
            self.env.get_template(name)
        except jinja2.TemplateNotFound:
            return False
        except jinja2.TemplateError:
            return True  # there, but broken: reported when rendered
        return True

    def names(self) -> list[str]:
        try:
            return sorted(self.env.list_templates(filter_func=lambda n: not n.startswith(".")))
        except OSError:
            return []

    def shown(self, name: str) -> str:
        return display_path(self.folder / name)

    def render(self, name: str, context: Mapping[str, Any], shared: Mapping[str, Any] | None = None) -> str:
        """The template rendered with `context` and `shared` (values common to many renders, already
        passed through one_line); TemplateProblem names the file and line at fault."""
        try:
            template = self.env.get_template(name)
            text = template.render({**(shared or {}), **one_line(dict(context))})
        except jinja2.TemplateSyntaxError as exc:
            file = display_path(Path(exc.filename)) if exc.filename else self.shown(name)
            raise TemplateProblem(file, exc.lineno or 1, f"template syntax: {exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            file, line = self._where(exc.__traceback__, name)
            raise TemplateProblem(file, line, f"template not found: {exc.name}") from None
        except SecurityError as exc:
            file, line = self._where(exc.__traceback__, name)
            raise TemplateProblem(file, line, f"template refused by the sandbox: {exc}") from None
        except jinja2.UndefinedError as exc:
            file, line = self._where(exc.__traceback__, name)
            raise TemplateProblem(file, line, f"template: {exc.message}") from None
        except _TemplateFail as exc:
            file, line = self._where(exc.__traceback__, name)
            raise TemplateProblem(file, line, str(exc)) from None
        except Exception as exc:  # a template error of any other kind (1/0, a bad filter argument)
            file, line = self._where(exc.__traceback__, name)
            raise TemplateProblem(file, line, f"template: {type(exc).__name__}: {exc}") from None
        if is_xml_template(name):
            _check_xml(text, lambda: self.shown(name))  # shown only for a problem: it resolves paths
        return text

    def _where(self, tb: TracebackType | None, name: str) -> tuple[str, int]:
        """The innermost template frame of a traceback (jinja2 rewrites frames to template lines)."""
        root = str(self.folder.resolve())
        found: tuple[str, int] | None = None
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.endswith(".j2") or str(Path(filename).resolve()).startswith(root + "/"):
                found = (display_path(Path(filename)), tb.tb_lineno)
            tb = tb.tb_next
        return found or (self.shown(name), 1)


def _check_xml(text: str, file: Callable[[], str]) -> None:
    try:
        ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        raise TemplateProblem(
            file(), 1, f"the rendered XML is not well-formed: {exc} (rendered output line {line}, column {column})"
        ) from None


def override_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def merge_overrides(text: str, overrides: Mapping[str, Any], *, xml: bool) -> str:
    """`overrides` applied to rendered text: each replaces its key (or XML attribute) or is appended."""
    if not overrides:
        return text
    return _merge_xml(text, overrides) if xml else _merge_key_values(text, overrides)


def _merge_key_values(text: str, overrides: Mapping[str, Any]) -> str:
    lines = text.splitlines()
    done: set[str] = set()
    out: list[str] = []
    for line in lines:
        m = _KEY_LINE.match(line)
        key = m.group(2).strip() if m else ""
        if m and key in overrides:
            if key in done:
                continue  # a later duplicate of an overridden key would win on the phone: drop it
            done.add(key)
            line = f"{m.group(1)}{key}{m.group(3)} {override_text(overrides[key])}"
        out.append(line)
    missing = [k for k in overrides if k not in done]
    if missing:
        out.extend(["", "# overrides from the tenant YAML"])
        out.extend(f"{k} = {override_text(overrides[k])}" for k in missing)
    return "\n".join(out) + "\n"


def _xml_attr(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _attribute(key: str, value: str) -> Callable[[re.Match[str]], str]:
    return lambda m: f'{m.group(1)}{key}{m.group(2)}"{value}"'


def _merge_xml(text: str, overrides: Mapping[str, Any]) -> str:
    missing: list[str] = []
    for key, raw in overrides.items():
        value = _xml_attr(override_text(raw))
        pattern = re.compile(r"(\s)" + re.escape(key) + r'(\s*=\s*)"[^"]*"')
        text, n = pattern.subn(_attribute(key, value), text, count=1)
        if not n:
            missing.append(f'{key}="{value}"')
    if missing:
        end = text.rfind("</")
        element = f"  <{OVERRIDES_ELEMENT} " + " ".join(missing) + "/>\n"
        text = text[:end] + element + text[end:] if end >= 0 else text + element
    return text


def normalize_config(text: str | None) -> str:
    """The form configs are compared in: LF line ends, no trailing spaces, no runs of blank lines, no
    blank lines at either end, one final newline."""
    lines: list[str] = []
    for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    body = "\n".join(lines).strip("\n")
    return body + "\n" if body else ""


# --- time zones ----------------------------------------------------------------------------------

_NAME = r"(?:[A-Za-z]{3,}|<[+\-0-9A-Za-z]+>)"
_OFFSET = r"[+-]?\d{1,2}(?::\d{2}){0,2}"
_RULE = r"M(\d{1,2})\.(\d)\.(\d)(?:/([+-]?\d{1,3}(?::\d{2}){0,2}))?"
_POSIX = re.compile(rf"^({_NAME})({_OFFSET})(?:({_NAME})({_OFFSET})?(?:,{_RULE},{_RULE})?)?$")


@dataclass(frozen=True)
class _Offset:
    seconds: int

    @classmethod
    def parse(cls, text: str) -> _Offset:
        sign = -1 if text.startswith("-") else 1
        parts = [int(p) for p in text.lstrip("+-").split(":")]
        parts += [0] * (3 - len(parts))
        return cls(sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]))


def posix_tz(name: str) -> str | None:
    """The POSIX TZ rule at the end of the zone's TZif file (e.g. `EST5EDT,M3.2.0,M11.1.0`)."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / name
        if path.is_file():
            data = path.read_bytes()
            break
    else:
        try:
            import importlib.resources

            package = "tzdata.zoneinfo." + ".".join(name.split("/")[:-1]) if "/" in name else "tzdata.zoneinfo"
            data = importlib.resources.files(package).joinpath(name.split("/")[-1]).read_bytes()
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            return None
    if not data.startswith(b"TZif") or data[4:5] in (b"\0", b""):
        return None
    footer = data.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    try:
        return footer.decode("ascii") or None
    except UnicodeDecodeError:
        return None


def _rule(month: str, week: str, day: str, time: str | None) -> dict[str, Any]:
    seconds = _Offset.parse(time).seconds if time else 7200
    weekday = int(day)  # 0 = Sunday
    return {
        "month": int(month),
        "week": int(week),  # 1-4, 5 = the last one of the month
        "weekday": weekday,
        "weekday_mon1": (weekday - 1) % 7 + 1,  # 1 = Monday .. 7 = Sunday (Yealink)
        "weekday_sun1": weekday + 1,  # 1 = Sunday .. 7 = Saturday (Polycom)
        "first_day": (int(week) - 1) * 7 + 1,  # earliest day of the month it can fall on
        "last": int(week) == 5,
        "hour": seconds // 3600,
        "minute": seconds % 3600 // 60,
    }


def _hours_text(seconds: int) -> str:
    if seconds == 0:
        return "0"
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


@functools.lru_cache(maxsize=64)
def zone_info(name: str) -> dict[str, Any]:
    """What phone templates need about a time zone: standard offset, POSIX rule, daylight-saving dates.
    Cached (every phone of a tenant asks for the same zone, and it reads the zone's file), so the
    answer is shared: read it, never change it (render contexts are copied by one_line)."""
    zone = zoneinfo.ZoneInfo(name)
    posix = posix_tz(name)
    m = _POSIX.match(posix) if posix else None
    dst: dict[str, Any] | None = None
    if m:
        std = -_Offset.parse(m.group(2)).seconds
        if m.group(3) and m.group(5):
            dst_offset = -_Offset.parse(m.group(4)).seconds if m.group(4) else std + 3600
            dst = {
                "save_minutes": (dst_offset - std) // 60,
                "start": _rule(m.group(5), m.group(6), m.group(7), m.group(8)),
                "end": _rule(m.group(9), m.group(10), m.group(11), m.group(12)),
            }
    else:
        import datetime as dt

        year = dt.date.today().year
        offsets = [zone.utcoffset(dt.datetime(year, month, 1)) or dt.timedelta(0) for month in (1, 7)]
        std = int(min(offsets).total_seconds())
    return {
        "name": name,
        "posix": posix or "",
        "utc_offset_seconds": std,
        "utc_offset_hours": _hours_text(std),
        "dst": dst,
    }
