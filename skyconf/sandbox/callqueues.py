"""Call queues (``/domains/{d}/callqueues``) and their agents (``.../callqueues/{q}/agents``).

Queues store the spec's writable ``Callqueue`` fields; agents the writable ``CallqueueAgent``
fields, keyed by ``callqueue-agent-id`` (``user@domain``; a bare extension gets ``@domain`` added).
Agent read-only fields (names, login, entry type) are filled from the matching user when one exists.
Creates accept ``synchronous`` (200 + object); other writes answer 202. Deleting a queue removes its
agents. ``callqueue-dispatch-type`` is compared case-insensitively (the vendor's load generator sends
``round-robin``) and stored as sent. An agent must be a user or SIP device of its domain, or an off-net
number (8-15 digits); else 404.
"""

from __future__ import annotations

from skyconf.sandbox import domains
from skyconf.sandbox.fields import YN, E, Field, N, S, apply, defaults
from skyconf.sandbox.store import Doc
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, as_key, now, ok, written

COLLECTION = "callqueue"
AGENTS = "agent"
DISPATCH_TYPES = ("Round-robin", "Tiered Round-robin", "Ring All", "Linear Cascade", "Linear Hunt", "Call Park")

FIELDS: dict[str, Field] = {
    "description": S(),
    "callqueue-dispatch-type": E(DISPATCH_TYPES, "Round-robin", any_case=True),
    "callqueue-calculate-statistics": YN("yes"),
    "callqueue-agent-dispatch-timeout-seconds": N(30),
    "callqueue-debug": YN("no"),
    "callqueue-force-full-intro-playback": YN("no"),
    "callqueue-max-callback-queueing-hours": N(0),
    "callqueue-max-current-callers-to-accept-new-callers": N(0),
    "callqueue-max-current-wait-to-accept-new-callers-seconds": N(0),
    "callqueue-max-wait-timeout-minutes": N(0),
    "callqueue-require-available-agents-to-accept-new-callers": YN("no"),
    "callqueue-source-match": S(None, nullable=True),
    "callqueue-sms-enable": YN("no"),
    "callqueue-sms-phrase-initiate-chat": S(None, nullable=True),
    "callqueue-sms-phrase-initiate-success": S(None, nullable=True),
    "callqueue-sms-phrase-initiation-fail ": S(None, nullable=True),  # sic: the spec's key ends in a space
    "callqueue-sms-phrase-no-agents-available": S(None, nullable=True),
    "callqueue-sms-phrase-terminate-chat": S(None, nullable=True),
    "callqueue-sms-phrase-terminate-success": S(None, nullable=True),
    "callqueue-agent-auto-logout-after-missed": YN("no"),
    "callqueue-sim-ring-1st-round": N(0),
    "callqueue-sim-ring-increment": N(1),
    "recording-configuration": E(domains.RECORDING, "no"),
}
AGENT_FIELDS: dict[str, Field] = {
    "callqueue-agent-availability-type": E(("automatic", "manual", "disabled", "offnet-automatic"), "automatic"),
    "callqueue-agent-wrap-up-allowance-seconds": N(0),
    "auto-answer-enabled": YN("no"),
    "callqueue-agent-dispatch-order-ordinal": N(1),
    "callqueue-agent-dispatch-queue-priority-ordinal": N(1),
    "limits-max-active-calls-total": N(1),
    "callqueue-agent-answer-confirmation-enabled": YN("no"),
    "callqueue-agent-availability-for-dispatch": S("available"),
    "callqueue-agent-max-concurrent-sms-conversations": N(0),
}


# ---------------------------------------------------------------- queues


def _load(req: Req) -> Doc:
    doc = req.store.get(req.domain, COLLECTION, "", req.params["callqueue"])
    if doc is None:
        raise ApiError(404, f"Callqueue {req.params['callqueue']} not found")
    return doc


def _view(req: Req, doc: Doc) -> Doc:
    return {
        **doc,
        "active-queued-calls-total-current": 0,
        "callqueue-count-agents-available": 0,
        "callqueue-count-agents-total": req.store.count(req.domain, AGENTS, doc["callqueue"]),
    }


def list_queues(req: Req) -> Reply:
    return ok([_view(req, d) for d in req.store.docs(req.domain, COLLECTION)])


def count_queues(req: Req) -> Reply:
    return ok({"total": req.store.count(req.domain, COLLECTION)})


def create_queue(req: Req) -> Reply:
    body = req.obj()
    if body.get("callqueue") is None:
        raise ApiError(400, "Missing required field callqueue")
    key = as_key(body["callqueue"], "callqueue")
    if req.store.get(req.domain, COLLECTION, "", key) is not None:
        raise ApiError(409, f"Callqueue {key} already exists")
    stamp = now()
    doc: Doc = {"callqueue": key, "domain": req.domain, **defaults(FIELDS)}
    apply(FIELDS, body, doc)
    doc.update({"created-datetime": stamp, "last-modified-datetime": stamp})
    req.store.put(req.domain, COLLECTION, "", key, doc)
    return written(req, _view(req, doc))


def get_queue(req: Req) -> Reply:
    return ok(_view(req, _load(req)))


def update_queue(req: Req) -> Reply:
    doc = _load(req)
    apply(FIELDS, req.obj(), doc)
    doc["last-modified-datetime"] = now()
    req.store.put(req.domain, COLLECTION, "", doc["callqueue"], doc)
    return accepted()


def delete_queue(req: Req) -> Reply:
    doc = _load(req)
    req.store.delete(req.domain, COLLECTION, "", doc["callqueue"])
    req.store.delete_children(req.domain, (AGENTS,), doc["callqueue"])
    return accepted()


# ---------------------------------------------------------------- agents


def _agent_id(req: Req, value: object) -> str:
    agent = as_key(value, "callqueue-agent-id")
    return agent if "@" in agent else f"{agent}@{req.domain}"


def _check_agent(req: Req, agent: str) -> None:
    """404 unless the agent is a user or device of its domain, or an off-net number."""
    local, _, host = agent.partition("@")
    if local.isdigit() and 8 <= len(local) <= 15:
        return
    if req.store.get(host, "user", "", local) is None and req.store.lookup(host, "device", local) is None:
        raise ApiError(404, f"User {local} does not exist in domain {host}")


def _agent_view(req: Req, doc: Doc) -> Doc:
    local, _, host = doc["callqueue-agent-id"].partition("@")
    user = req.store.get(req.domain, "user", "", local) if host == req.domain else None
    first = user.get("name-first-name", "") if user else ""
    last = user.get("name-last-name", "") if user else ""
    return {
        **doc,
        "callqueue-agent-has-registered-devices": "no",
        "active-calls-total-current": 0,
        "last-callqueue-dispatch-datetime": None,
        "callqueue-agent-entry-type": "user" if user else ("device" if host == req.domain else "offnet"),
        "login-username": user.get("login-username", "") if user else "",
        "name-full-name": f"{first} {last}".strip(),
        "agent-name-first-name": first,
        "agent-name-last-name": last,
        "agent-department": user.get("department", "") if user else "",
        "agent-site": user.get("site", "") if user else "",
        "agent-user-scope": user.get("user-scope", "") if user else "",
        "agent-status-message": user.get("status-message") if user else None,
    }


def _load_agent(req: Req) -> Doc:
    queue = _load(req)
    agent = _agent_id(req, req.params["agent"])
    doc = req.store.get(req.domain, AGENTS, queue["callqueue"], agent)
    if doc is None:
        raise ApiError(404, f"Agent {agent} not found in callqueue {queue['callqueue']}")
    return doc


def list_agents(req: Req) -> Reply:
    queue = _load(req)
    return ok([_agent_view(req, d) for d in req.store.docs(req.domain, AGENTS, queue["callqueue"])])


def list_domain_agents(req: Req) -> Reply:
    return ok([_agent_view(req, r.doc) for r in req.store.rows(AGENTS, req.domain)])


def count_agents(req: Req) -> Reply:
    queue = _load(req)
    return ok({"total": req.store.count(req.domain, AGENTS, queue["callqueue"])})


def create_agent(req: Req) -> Reply:
    queue = _load(req)
    body = req.obj()
    if body.get("callqueue-agent-id") is None:
        raise ApiError(400, "Missing required field callqueue-agent-id")
    agent = _agent_id(req, body["callqueue-agent-id"])
    if req.store.get(req.domain, AGENTS, queue["callqueue"], agent) is not None:
        raise ApiError(409, f"Agent {agent} already exists in callqueue {queue['callqueue']}")
    _check_agent(req, agent)
    doc: Doc = {
        "callqueue-agent-id": agent,
        "callqueue": queue["callqueue"],
        "domain": req.domain,
        **defaults(AGENT_FIELDS),
    }
    apply(AGENT_FIELDS, body, doc)
    doc["last-modified-datetime"] = now()
    req.store.put(req.domain, AGENTS, queue["callqueue"], agent, doc)
    return written(req, _agent_view(req, doc))


def get_agent(req: Req) -> Reply:
    return ok(_agent_view(req, _load_agent(req)))


def update_agent(req: Req) -> Reply:
    doc = _load_agent(req)
    apply(AGENT_FIELDS, req.obj(), doc)
    doc["last-modified-datetime"] = now()
    req.store.put(req.domain, AGENTS, doc["callqueue"], doc["callqueue-agent-id"], doc)
    return accepted()


def delete_agent(req: Req) -> Reply:
    doc = _load_agent(req)
    req.store.delete(req.domain, AGENTS, doc["callqueue"], doc["callqueue-agent-id"])
    return accepted()


_BASE = "domains/{domain}/callqueues"
_AGENTS = _BASE + "/{callqueue}/agents"
ROUTES = [
    Route("GET", _BASE, list_queues),
    Route("POST", _BASE, create_queue),
    Route("GET", _BASE + "/list", list_queues),
    Route("GET", _BASE + "/count", count_queues),
    Route("GET", _BASE + "/{callqueue}", get_queue),
    Route("PUT", _BASE + "/{callqueue}", update_queue),
    Route("DELETE", _BASE + "/{callqueue}", delete_queue),
    Route("GET", _AGENTS, list_agents),
    Route("POST", _AGENTS, create_agent),
    Route("GET", _AGENTS + "/count", count_agents),
    Route("GET", _AGENTS + "/{agent}", get_agent),
    Route("PUT", _AGENTS + "/{agent}", update_agent),
    Route("DELETE", _AGENTS + "/{agent}", delete_agent),
    Route("GET", "domains/{domain}/agents", list_domain_agents),
]
