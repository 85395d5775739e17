"""A NetSapiens-API-v2-compatible sandbox PBX for tests and demos (Starlette + SQLite).

Embed it with ``httpx.AsyncClient(transport=httpx.ASGITransport(app))`` or serve it with uvicorn
(``skyconf sandbox serve``). It speaks the vendor's paths under ``/ns-api/v2``, field names, value
formats and status codes, records every request, and can inject deterministic faults.
"""

from skyconf.sandbox.app import create_app
from skyconf.sandbox.faults import Faults
from skyconf.sandbox.log import Exchange, RequestLog

__all__ = ["Exchange", "Faults", "RequestLog", "create_app"]
