"""`skyconf render`: the phones' rendered configurations, offline (the PBX is never contacted)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from skyconf import redact
from skyconf.cli.common import echo, err, friendly_errors, load_tenants, out
from skyconf.errors import ConfigError, Problem, SkyconfError
from skyconf.model.phone_catalog import find_model
from skyconf.model.phone_templates import output_suffix
from skyconf.model.phones import PHONE, declared_phones, normalize_mac, template_name


@click.command("render")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--mac", "macs", multiple=True, help="Only this phone (any MAC spelling); repeatable.")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write one file per phone here (<mac> + the template's extension) instead of printing.",
)
def render(paths: tuple[Path, ...], macs: tuple[str, ...], out_dir: Path | None) -> None:
    """Render phone configurations from the tenant YAML and templates/, without touching the PBX.

    PATH is a tenant folder or a folder of tenants. Without -o the configurations go to stdout (a
    `==> file <==` header per phone on stderr when there are several).
    """

    @friendly_errors
    def run() -> None:

        wanted: set[str] = set()
        for text in macs:
            try:
                wanted.add(normalize_mac(text))
            except ValueError as exc:
                raise SkyconfError(f"--mac: {exc}") from None
        files = rendered_phones(list(paths))
        missing = sorted(wanted - {f.mac for f in files})
        if missing:
            raise SkyconfError(f"no phone with MAC {', '.join(missing)} in {', '.join(str(p) for p in paths)}")
        chosen = [f for f in files if not wanted or f.mac in wanted]
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
        for f in chosen:
            name = f.mac + output_suffix(f.template)
            if out_dir is not None:
                (out_dir / name).write_text(redact.redact(f.config), encoding="utf-8")
                out.print(f"wrote {out_dir / name} ({f.tenant}, {f.template})", markup=False)
            else:
                if len(chosen) > 1:
                    err.print(f"==> {name} ({f.tenant}, {f.template}) <==", markup=False)
                echo(f.config, nl=False)
        if not chosen:
            err.print("no phones declared", markup=False)

    run()


# --- rendered files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedPhone:
    tenant: str
    mac: str
    template: str
    config: str


def rendered_phones(paths: list[Path]) -> list[RenderedPhone]:
    """Every declared phone's configuration, as plan/apply would store it (tenants fully checked)."""
    out: list[RenderedPhone] = []
    owners: dict[str, str] = {}
    problems: list[Problem] = []
    for desired in load_tenants(paths):
        loaded = desired.tenant
        for mac, (key, phone) in declared_phones(loaded.tenant).items():
            resource = desired.state.get(*PHONE.ref(mac))
            model = find_model(phone.model)
            if resource is None or model is None:
                continue
            if mac in owners:
                problems.append(
                    loaded.doc.problem(("phones", key), f"MAC {mac} is also declared by tenant '{owners[mac]}'")
                )
                continue
            owners[mac] = loaded.name
            out.append(RenderedPhone(loaded.name, mac, template_name(phone, model), resource.fields["config"]))
    if problems:
        raise ConfigError(problems)
    return out
