"""`skyconf render`: the phones' rendered configurations, offline (the PBX is never contacted)."""

from __future__ import annotations

from pathlib import Path

import click

from skyconf.cli.common import err, friendly_errors, out


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
        from skyconf.errors import SkyconfError
        from skyconf.model.phones import normalize_mac
        from skyconf.render.phone_config import output_suffix, rendered_phones

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
                (out_dir / name).write_text(f.config, encoding="utf-8")
                out.print(f"wrote {out_dir / name} ({f.tenant}, {f.template})", markup=False)
            else:
                if len(chosen) > 1:
                    err.print(f"==> {name} ({f.tenant}, {f.template}) <==", markup=False)
                click.echo(f.config, nl=False)
        if not chosen:
            err.print("no phones declared", markup=False)

    run()
