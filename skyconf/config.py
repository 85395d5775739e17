"""Connection profiles: `pbx: NAME` in a tenant names one. `sandbox` is built in (embedded, local
SQLite file); others live in `skyconf.yaml` at the repository root. API keys come only from the
environment variable a profile names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field, ValidationError

from skyconf import providers
from skyconf.errors import ConfigError, Problem, SkyconfError, display_path, listing
from skyconf.load import Document, read_yaml, validation_problems
from skyconf.model.base import Strict
from skyconf.providers import DEFAULT_PROVIDER
from skyconf.repo import CONFIG_FILE

if TYPE_CHECKING:
    from skyconf.load import LoadedTenant

SANDBOX = "sandbox"
SANDBOX_TOKEN = "sandbox-token"
SANDBOX_DB_ENV = "SKYCONF_SANDBOX_DB"
# Requests in flight at once against one PBX, unless its profile says otherwise.
DEFAULT_CONCURRENCY = 8


class ProfileConfig(Strict):
    # Keys this model does not name are the provider's own settings (it validates them itself).
    model_config = ConfigDict(extra="allow")

    # Which kind of PBX this is (see skyconf.providers).
    provider: str = DEFAULT_PROVIDER
    # Base URL of the PBX's API (its provider's docs say what it looks like).
    url: str = Field(pattern=r"^https?://")
    # Name of the environment variable holding the API key (the key itself never goes in a file).
    api_key_env: str | None = None
    # Requests in flight at once against this PBX.
    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=1, le=64)
    # Seconds before a request times out (then it is retried).
    timeout: float = Field(30.0, gt=0)
    # Verify the server's TLS certificate; turn off only for a lab PBX.
    verify_tls: bool = True


class ConfigFile(Strict):
    profiles: dict[str, ProfileConfig] = {}


@dataclass(frozen=True)
class Profile:
    name: str
    url: str | None  # None: the embedded sandbox
    api_key: str | None
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = 30.0
    verify_tls: bool = True
    sandbox_db: Path | None = None
    provider: str = DEFAULT_PROVIDER
    # The provider's own settings from the profile (see ProfileConfig).
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # Keep request and response bodies in the embedded sandbox's request log (conformance tests).
    record_bodies: bool = False


def sandbox_db(root: Path) -> Path:
    """Where the embedded sandbox keeps its state (shared by all tenants of the repository)."""
    override = os.environ.get(SANDBOX_DB_ENV)
    return Path(override) if override else root / ".skyconf" / "sandbox.sqlite3"


def load_profile(name: str, root: Path) -> Profile:
    configs = _read_config(root)
    if name in configs.profiles:
        cfg = configs.profiles[name]
        key = None
        if cfg.api_key_env:
            key = os.environ.get(cfg.api_key_env)
            if not key:
                raise SkyconfError(f"profile '{name}': environment variable {cfg.api_key_env} is not set")
        return Profile(
            name,
            cfg.url.rstrip("/"),
            key,
            cfg.concurrency,
            cfg.timeout,
            cfg.verify_tls,
            provider=cfg.provider,
            options=dict(cfg.model_extra or {}),
        )
    if name == SANDBOX:
        return Profile(SANDBOX, None, SANDBOX_TOKEN, sandbox_db=sandbox_db(root))
    raise SkyconfError(_unknown_profile(name, configs))


def profile_problems(tenants: list[LoadedTenant], root: Path) -> list[Problem]:
    """What `validate` reports about connection profiles: the problems of skyconf.yaml, else each
    tenant whose `pbx:` names a profile that is neither built in nor in skyconf.yaml (at its `pbx:`)."""
    try:
        configs = _read_config(root)
    except ConfigError as exc:
        return exc.problems
    problems: list[Problem] = []
    for loaded in tenants:
        name = loaded.tenant.pbx
        if name != SANDBOX and name not in configs.profiles:
            problems.append(loaded.doc.problem(("pbx",), _unknown_profile(name, configs)))
    return problems


def _unknown_profile(name: str, configs: ConfigFile) -> str:
    known = listing(sorted({SANDBOX, *configs.profiles}))
    return f"no connection profile '{name}' (known: {known}); define it in {CONFIG_FILE}"


def _read_config(root: Path) -> ConfigFile:
    """skyconf.yaml, read with the tenant files' limits; its problems carry their line and column."""

    path = root / CONFIG_FILE
    if not path.is_file():
        return ConfigFile()
    shown = display_path(path)
    data, positions, problems = read_yaml(path, shown)
    if problems:
        raise ConfigError(problems)
    doc = Document(path, data if data is not None else {}, positions)
    if not isinstance(doc.data, dict):
        raise ConfigError([Problem(shown, 1, 1, "", f"{CONFIG_FILE} must be a mapping of keys")])
    try:
        configs = ConfigFile.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(validation_problems(doc, exc, ConfigFile)) from None
    problems = [p for name, cfg in configs.profiles.items() for p in _option_problems(doc, name, cfg)]
    if problems:
        raise ConfigError(problems)
    return configs


def _option_problems(doc: Document, name: str, cfg: ProfileConfig) -> list[Problem]:
    """The keys a profile adds for its provider, checked with that provider's own model."""
    where: tuple[str, ...] = ("profiles", name)
    found = providers.entry(cfg.provider)
    if found is None:
        return [
            doc.problem((*where, "provider"), f"no provider '{cfg.provider}' (known: {listing(providers.names())})")
        ]
    try:
        found.options.model_validate(cfg.model_extra or {})
    except ValidationError as exc:
        out = []
        for e in exc.errors(include_input=False, include_url=False):
            loc = (*where, *e["loc"])
            message = str(e["msg"])
            if e["type"] == "extra_forbidden":
                message = f"unknown key '{loc[-1]}'" + _close(
                    str(loc[-1]), [*ProfileConfig.model_fields, *found.options.model_fields]
                )
            out.append(doc.problem(loc, message))
        return out
    return []


def _close(name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
