"""How import writes new content, and the text of a new tenant file, canonical in the first place.

New content is written the way the example tenant is: extensions, numbers, targets and times in
double quotes, short leaf mappings and lists in flow style (`quoted`, `flow_style`).

`skyconf fmt`'s layout (skyconf.fmt) is what ruamel dumps, tidied. Import's new content uses a small
part of YAML: block mappings and lists, flow mappings and lists of scalars, plain or double-quoted
strings, integers, booleans, null, and one start comment. For that part the dump is simple enough to
write directly (`new_file_text`), at a fraction of the cost of one ruamel dump and none of fmt's
re-parses. Anything outside it (a character that needs an escape, a line ruamel would wrap, a list
directly in a list) gives None, and the caller dumps and formats that file through ruamel instead;
tests compare the two on generated data.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from skyconf.fmt import WIDTH

_PLAIN = re.compile(r"[^\W\d_][\w .,&'()/@-]*")
_YAML_WORDS = {"yes", "no", "y", "n", "true", "false", "on", "off", "null", "~"}
_FLOW_WIDTH = 88
# What ruamel does not write as itself (with allow_unicode): controls, line and page separators, BOM, astral.
_UNPRINTABLE = re.compile(r"[^ -~\xa0-\ud7ff\ue000-\ufffd]|[\u2028\u2029\ufeff]")


def plain(value: str) -> bool:
    """Whether a string is written without quotes: words a reader cannot misread as something else."""
    return bool(_PLAIN.fullmatch(value)) and value == value.strip() and value.lower() not in _YAML_WORDS


def quoted(value: Any) -> Any:
    """Strings a reader might misread (extensions, numbers, targets, times, secrets) in double quotes."""
    if not isinstance(value, str) or plain(value):
        return value
    return DoubleQuotedScalarString(value)


def flow_style(value: dict[str, Any] | list[Any], path: tuple[Any, ...], in_list: bool) -> bool:
    """Short leaf mappings and lists in flow style (`{forward_always: ...}`, `["101"]`); top-level
    sections and their objects in block style."""
    if not value:
        return True
    items = list(value.values()) if isinstance(value, dict) else value
    if any(isinstance(v, dict | list) for v in items):
        return False
    if not (len(path) >= 3 or in_list or isinstance(value, list)):
        return False
    width = sum(
        len(str(k)) + len(str(v)) + 6 for k, v in (value.items() if isinstance(value, dict) else enumerate(value))
    )
    return width <= _FLOW_WIDTH


class _Outside(Exception):
    """The value is outside what this writer spells exactly as ruamel would."""


def new_file_text(sections: dict[str, Any], header: str, comment: str = "") -> str | None:
    """The canonical text of a new file holding these top-level sections (in this order), starting with
    the schema `header` line and the `comment`; None when ruamel has to write it (see the module docstring)."""
    if "\n" in comment or not sections:
        return None
    lines = [header]
    if comment:
        lines.append(f"# {comment}".rstrip())
    try:
        for key, value in sections.items():
            _entry(lines, 0, key, value, (key,))
    except _Outside:
        return None
    if any(len(line) > WIDTH for line in lines):
        return None
    lines.append("")
    return "\n".join(lines)


def _entry(lines: list[str], indent: int, key: Any, value: Any, path: tuple[Any, ...]) -> None:
    """`key: value` at `indent`, a block value's content below it."""
    head = " " * indent + _scalar(key, flow=False) + ":"
    if isinstance(value, dict | list) and not flow_style(value, path, False):
        lines.append(head)
        _block(lines, indent + 2, value, path)
    else:
        lines.append(f"{head} {_inline(value)}")


def _block(lines: list[str], indent: int, value: dict[str, Any] | list[Any], path: tuple[Any, ...]) -> None:
    """A block mapping's entries at `indent`, or a block list's items with their dash at `indent`."""
    if isinstance(value, dict):
        for k, v in value.items():
            _entry(lines, indent, k, v, (*path, k))
        return
    for i, item in enumerate(value):
        item_path = (*path, i)
        if isinstance(item, dict) and not flow_style(item, item_path, True):
            start = len(lines)
            _block(lines, indent + 2, item, item_path)
            lines[start] = " " * indent + "- " + lines[start][indent + 2 :]
        elif isinstance(item, list) and not flow_style(item, item_path, True):
            raise _Outside  # `- - x`: import writes no list directly in a list
        else:
            lines.append(" " * indent + "- " + _inline(item))


def _inline(value: Any) -> str:
    """A scalar, or a flow collection of scalars."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k, True)}: {_scalar(v, True)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v, True) for v in value) + "]"
    return _scalar(value, flow=False)


def _scalar(value: Any, flow: bool) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if not isinstance(value, str):
        raise _Outside
    if not plain(value):
        return _double_quoted(value)
    if (flow and "," in value) or _UNPRINTABLE.search(value):
        raise _Outside  # ruamel quotes a comma inside a flow collection, and characters it cannot print
    return value


def _double_quoted(text: str) -> str:
    if _UNPRINTABLE.search(text):
        raise _Outside  # an escape sequence: ruamel's choice of spelling is its own
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
