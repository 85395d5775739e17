"""`skyconf selftest`: a provider checks itself against a real PBX in a scratch domain.

What to write and compare is the provider's business (it knows which wire spellings can differ);
this module only gives it a way to turn tenant YAML into a desired State with skyconf's own load and
resolve, so the scratch objects are built exactly as a tenant's would be.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from skyconf.errors import SkyconfError
from skyconf.load import load_tenant
from skyconf.pipeline import Session
from skyconf.resolve import resolve
from skyconf.resources import State


def resolve_yaml(text: str) -> State:
    """One tenant file's desired State (no secrets: the scratch tenant has none)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "selftest"
        folder.mkdir()
        (folder / "tenant.yaml").write_text(text)
        return resolve(load_tenant(folder, env={})).state


async def run_selftest(
    session: Session, pbx: str, domain: str, allow_existing: bool
) -> tuple[list[str], bool, list[str]]:
    """(report lines, whether some check failed, objects left behind) of the profile's provider."""
    provider = session.provider(pbx)
    selftest = getattr(provider, "selftest", None)
    if selftest is None:
        raise SkyconfError(f"profile '{pbx}': its provider has no selftest")
    lines, failed, leftovers = await selftest(domain, allow_existing, resolve_yaml)
    return list(lines), bool(failed), list(leftovers)
