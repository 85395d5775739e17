"""Issue 7: random and mutated tenant documents either validate and plan, or fail with clean
`FILE:LINE:COL: field: message` lines. Anything else (a traceback, an internal error) is a bug."""

from __future__ import annotations

import asyncio
import copy
import io
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from skyconf.errors import ConfigError
from skyconf.load import read_document
from skyconf.pipeline import Session, load_all, plan_tenants
from skyconf.render.markdown import render_markdown
from skyconf.render.plan_json import plan_document
from skyconf.render.text import render_text
from tests.conftest import EXAMPLE

PROBLEM = re.compile(r"^[^\n:]+:\d+:\d+: \S.*$")
NASTY: list[Any] = [
    None,
    True,
    0,
    -1,
    10**12,
    3.5,
    "",
    " ",
    "25:00",
    "09:00-08:00",
    "mon-fri",
    "${env:SKYCONF_FUZZ_UNSET}",
    "user:999",
    "handset:self",
    "voicemail:",
    "+1 416 555",
    "∞",
    "a" * 300,
    [],
    {},
    [None],
    {"x": 1},
    "2026-02-30",
    {"from": "2027-01-01", "to": "2026-01-01"},
]


def example_document() -> dict[str, Any]:
    doc, problems = read_document(EXAMPLE)
    assert not problems
    return doc.data


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(paths(v, (*prefix, i)))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(example_document())
    for _ in range(draw(st.integers(1, 4))):
        targets = paths(doc)
        if not targets:
            break
        path = draw(st.sampled_from(targets))
        parent: Any = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = draw(st.sampled_from(["replace", "delete", "rename", "duplicate"]))
        if action == "replace":
            parent[last] = draw(st.sampled_from(NASTY) | st.text(max_size=12) | st.integers())
        elif action == "delete":
            del parent[last]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = parent.pop(last)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return doc


def dump(doc: Any) -> str:
    buffer = io.StringIO()
    yaml = YAML()
    yaml.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    yaml.dump(doc, buffer)
    return buffer.getvalue()


def check(text: str, tmp: Path) -> None:
    folder = tmp / "tenant"
    folder.mkdir(exist_ok=True)
    (folder / "tenant.yaml").write_text(text)
    try:
        desired = load_all([folder])
    except ConfigError as exc:
        assert exc.problems
        for line in str(exc).splitlines():
            assert PROBLEM.match(line), line
        return

    async def plan() -> None:
        async with Session(tmp) as session:
            result = await plan_tenants(session, desired)
            from skyconf.plan import Plan

            whole = Plan([r.plan for r in result])
            render_text(whole)
            render_markdown(whole)
            plan_document(whole, b"k")

    asyncio.run(plan())


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_tenants_validate_or_fail_cleanly(doc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        import os

        os.environ["SKYCONF_SANDBOX_DB"] = str(Path(tmp) / "sandbox.sqlite3")
        os.environ.setdefault("SKYCONF_PLAN_KEY", "fuzz")
        check(dump(doc), Path(tmp))


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc:-[]{}\"' \n\t#&*!|>%@`,?0123456789")), max_size=80))
def test_random_text_fails_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        check(text, Path(tmp))
