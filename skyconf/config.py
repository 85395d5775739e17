"""Connection profiles: `pbx: NAME` in a tenant names one. `sandbox` is built in (embedded, local
SQLite file); others live in `skyconf.yaml` at the repository root. API keys come only from the
environment variable a profile names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from skyconf.errors import ConfigError, Problem, SkyconfError, display_path
from skyconf.model.base import Strict
from skyconf.repo import CONFIG_FILE

# The provider a profile uses unless it names one (see skyconf.providers).
DEFAULT_PROVIDER = "netsapiens"
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
    # Base URL of the API, e.g. https://pbx.example.net/ns-api/v2
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
    known = ", ".join(sorted({SANDBOX, *configs.profiles}))
    raise SkyconfError(f"no connection profile '{name}' (known: {known}); define it in {CONFIG_FILE}")


def _read_config(root: Path) -> ConfigFile:
    path = root / CONFIG_FILE
    if not path.is_file():
        return ConfigFile()
    shown = display_path(path)
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    except YAMLError as exc:
        raise ConfigError([Problem(shown, 1, 1, "", f"YAML: {exc}")]) from None
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(shown, 1, 1, ".".join(str(p) for p in e["loc"]), str(e["msg"]))
            for e in exc.errors(include_input=False, include_url=False)
        ]
        raise ConfigError(problems) from None
