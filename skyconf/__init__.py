"""skyconf: a hosted PBX's configuration kept in git (plan and apply over NetSapiens API v2)."""

__version__ = "0.1.0"
