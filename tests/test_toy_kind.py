"""A kind is one declaration: a toy kind declared here, and nowhere else, goes through load, resolve,
diff, render, apply and import on a toy provider that keeps the PBX in memory.

The declaration is what a real kind's model module holds (see docs/architecture.md); the provider is
the smallest one the interface allows. Nothing in skyconf names the toy kind, its section, its
target prefix or the provider.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from skyconf import providers
from skyconf.config import Profile
from skyconf.importer import import_tenant
from skyconf.model.base import Build, Export, Strict, YamlPath
from skyconf.model.kinds import Kind, Section, register, register_section, unregister
from skyconf.model.tenant import DOMAIN
from skyconf.model.users import ANSWER_RULE
from skyconf.pipeline import Session, apply_runs, load_all, plan_tenants, whole_plan
from skyconf.plan import Change
from skyconf.providers import Scope
from skyconf.render.text import render_text
from skyconf.resources import Resource, State

# --- the toy kind: a paging zone, reachable as a forward target `paging:EXT` ----------------------


class PagingZone(Strict):
    name: str
    volume: int = Field(5, ge=1, le=10)


PAGING_ZONE = Kind(
    "paging_zone",
    "paging zone",
    ("extension",),
    depends_on=(DOMAIN,),
    display_fields=("name",),
    prune_key="paging_zones",
)


def _build(build: Build) -> None:
    for ext, zone in PAGING_ZONES.of(build.tenant).items():
        path: YamlPath = ("paging_zones", ext)
        build.add(PAGING_ZONE, (ext,), {"name": zone.name, "volume": zone.volume}, path)


def _export(ex: Export) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for r in ex.live.of_kind(PAGING_ZONE.name):
        data = ex.validated(PagingZone, {"name": r.fields["name"], "volume": r.fields["volume"]}, r.key[0])
        if data is not None:
            out[r.key[0]] = data
    return out


PAGING_ZONES: Section[dict[str, PagingZone]] = Section(
    "paging_zones",
    dict[str, PagingZone],
    dict,
    "paging_zones.yaml",
    build=_build,
    order=55,
    export=_export,
    extension_kind=PAGING_ZONE,
    extension_word="paging zone",
    targets=("paging",),
)


# --- the toy provider: a PBX in memory --------------------------------------------------------------


class MemoryOptions(BaseModel):
    pass


@dataclasses.dataclass
class MemoryPbx:
    """Every domain's objects, and what was written (for request counts)."""

    objects: dict[tuple[str, str, tuple[str, ...]], Resource] = dataclasses.field(default_factory=dict)
    writes: list[tuple[str, str, tuple[str, ...]]] = dataclasses.field(default_factory=list)


PBX = MemoryPbx()


class MemoryConnection:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def read(self) -> State:
        return State.of(
            Resource(kind, key, dict(r.fields))
            for (domain, kind, key), r in sorted(PBX.objects.items())
            if domain == self.scope.domain
        )

    async def write(self, change: Change) -> None:
        ref = (self.scope.domain, change.kind, change.key)
        PBX.writes.append(ref)
        if change.action == "delete":
            del PBX.objects[ref]
        else:
            assert change.after is not None
            before = PBX.objects.get(ref)
            PBX.objects[ref] = Resource(change.kind, change.key, {**(before.fields if before else {}), **change.after})


class MemoryProvider:
    def tenant(self, scope: Scope) -> MemoryConnection:
        return MemoryConnection(scope)

    async def read_domain(self, domain: str, country: str, folder: Path) -> State:
        return await MemoryConnection(Scope(domain, country, folder, State())).read()

    async def close(self) -> None:
        return None


def connect(profile: Profile) -> MemoryProvider:
    return MemoryProvider()


@pytest.fixture
def toy() -> Iterator[None]:
    register(PAGING_ZONE)
    register_section(PAGING_ZONES)
    providers.register("memory", providers.Entry(connect, MemoryOptions))
    PBX.objects.clear()
    PBX.writes.clear()
    try:
        yield
    finally:
        unregister(PAGING_ZONE.name, PAGING_ZONES.name)


def write_tenant(root: Path) -> Path:
    (root / "skyconf.yaml").write_text("profiles:\n  mem:\n    provider: memory\n    url: https://pbx.invalid\n")
    folder = root / "tenants" / "toy"
    folder.mkdir(parents=True)
    (folder / "tenant.yaml").write_text("domain: toy.example\npbx: mem\ntime_zone: America/Toronto\n")
    (folder / "users.yaml").write_text(
        'users:\n  "101":\n    first_name: Ada\n    last_name: Lovelace\n'
        '    answering_rules:\n      default: {forward_no_answer: "paging:700"}\n'
    )
    (folder / "paging_zones.yaml").write_text('paging_zones:\n  "700": {name: Warehouse, volume: 7}\n')
    return folder


def test_a_toy_kind_goes_through_load_plan_render_apply_and_import(toy: None, tmp_path: Path) -> None:
    folder = write_tenant(tmp_path)

    # load + resolve: the section is part of the tenant model, its target prefix is a forward target
    (desired,) = load_all([folder])
    assert desired.state.get(*PAGING_ZONE.ref("700")).fields == {"name": "Warehouse", "volume": 7}  # type: ignore[union-attr]
    rule = desired.state.get(*ANSWER_RULE.ref("101", "default"))
    assert rule is not None and rule.fields["forward_no_answer"] == "paging:700"
    assert PAGING_ZONE.ref("700") in rule.needs

    async def plan_and_apply() -> tuple[str, int]:
        async with Session(tmp_path) as session:
            runs = await plan_tenants(session, [desired])
            text = "\n".join(line for _, line in render_text(whole_plan(runs)))
            outcomes = await apply_runs(runs)
            assert {o.status for o in outcomes["toy"]} == {"done"}
            return text, len(runs[0].plan.changes)

    text, count = asyncio.run(plan_and_apply())
    assert "paging zone 700 (Warehouse)" in text
    assert ("toy.example", PAGING_ZONE.name, ("700",)) in PBX.objects
    # the zone was written before the rule that forwards to it
    order = [kind for _, kind, _ in PBX.writes]
    assert order.index(PAGING_ZONE.name) < order.index(ANSWER_RULE.name)
    assert count == len(PBX.writes)

    async def replan() -> int:
        async with Session(tmp_path) as session:
            return len((await plan_tenants(session, [desired]))[0].plan.changes)

    assert asyncio.run(replan()) == 0

    # import: the section is written to its own file, and the folder plans clean against the PBX
    imported = tmp_path / "tenants" / "again"

    async def do_import() -> Any:
        async with Session(tmp_path) as session:
            return await import_tenant(session, "mem", "toy.example", imported, "US")

    report = asyncio.run(do_import())
    assert (imported / "paging_zones.yaml").is_file()
    assert "Warehouse" in (imported / "paging_zones.yaml").read_text()
    assert report.remaining == []
    (again,) = load_all([imported])
    assert again.state.get(*PAGING_ZONE.ref("700")).fields == {"name": "Warehouse", "volume": 7}  # type: ignore[union-attr]
    assert again.state.get(*ANSWER_RULE.ref("101", "default")).fields["forward_no_answer"] == "paging:700"  # type: ignore[union-attr]


def test_without_the_declaration_the_section_is_an_unknown_key(tmp_path: Path) -> None:
    from skyconf.errors import ConfigError

    folder = write_tenant(tmp_path)
    with pytest.raises(ConfigError) as exc:
        load_all([folder])
    assert any("paging_zones" in str(p) and "unknown key" in str(p) for p in exc.value.problems)
