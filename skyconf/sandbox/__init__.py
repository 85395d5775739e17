"""A NetSapiens-API-v2-compatible sandbox PBX for tests and demos (Starlette + SQLite).

Embed it with ``httpx.AsyncClient(transport=httpx.ASGITransport(app))`` or serve it with uvicorn
(``skyconf sandbox serve``). It speaks the vendor's paths under ``/ns-api/v2``, field names, value
formats and status codes, records every request, and can inject deterministic faults. It refuses what a
real PBX refuses (unknown forward targets, references to what does not exist, incomplete phones),
issues OAuth tokens besides static API keys (auth.py), and can play a PBX variant (dialects.py).

The package itself imports nothing, so code that needs only the request log (every plan does)
does not load Starlette: `create_app` is in `skyconf.sandbox.app`.
"""
