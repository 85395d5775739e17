"""skyconf: a hosted PBX's configuration kept in git (tenant YAML -> plan -> apply)."""

__version__ = "0.1.0"
