"""Contacts, domain-shared (``/domains/{d}/contacts``) and per user (``.../users/{u}/contacts``).

The server generates a 32-hex ``unique-id``. Missing data fields are stored as "" (the spec marks
all nine required; clients send "" for empties). Statuses follow the spec: POST 200 (the sandbox
returns the created contact, id included), domain PUT 200 + contact, user PUT 202, DELETE 202.
A single read of a domain contact is a one-element array (the spec types it so); the user one is
an object.
"""

from __future__ import annotations

import uuid

from skyconf.sandbox.fields import Field, S, apply, defaults
from skyconf.sandbox.store import Doc
from skyconf.sandbox.users import require_user
from skyconf.sandbox.wire import ApiError, Reply, Req, Route, accepted, now, ok

COLLECTION = "contact"
FIELDS: dict[str, Field] = {
    name: S()
    for name in (
        "name-first-name",
        "name-middle-name",
        "name-last-name",
        "email",
        "company",
        "phonenumber-work",
        "phonenumber-cell",
        "phonenumber-fax",
        "phonenumber-home",
    )
}


def _parent(req: Req) -> str:
    if "user" in req.params:
        require_user(req)
        return req.user
    return ""


def _load(req: Req, parent: str) -> Doc:
    doc = req.store.get(req.domain, COLLECTION, parent, req.params["contact_id"])
    if doc is None:
        raise ApiError(404, f"Contact {req.params['contact_id']} not found")
    return doc


def list_contacts(req: Req) -> Reply:
    return ok(req.store.docs(req.domain, COLLECTION, _parent(req)))


def count_contacts(req: Req) -> Reply:
    return ok({"total": req.store.count(req.domain, COLLECTION, _parent(req))})


def create_contact(req: Req) -> Reply:
    parent = _parent(req)
    doc: Doc = {"unique-id": uuid.uuid4().hex, **defaults(FIELDS), "tags": "", "created-datetime": now()}
    apply(FIELDS, req.obj(), doc)
    req.store.put(req.domain, COLLECTION, parent, doc["unique-id"], doc)
    return ok(doc)


def get_contact(req: Req) -> Reply:
    parent = _parent(req)
    doc = _load(req, parent)
    return ok(doc if parent else [doc])


def update_contact(req: Req) -> Reply:
    parent = _parent(req)
    doc = _load(req, parent)
    apply(FIELDS, req.obj(), doc)
    req.store.put(req.domain, COLLECTION, parent, doc["unique-id"], doc)
    return accepted() if parent else ok(doc)


def delete_contact(req: Req) -> Reply:
    parent = _parent(req)
    doc = _load(req, parent)
    req.store.delete(req.domain, COLLECTION, parent, doc["unique-id"])
    return accepted()


def _routes(prefix: str) -> list[Route]:
    return [
        Route("GET", prefix, list_contacts),
        Route("POST", prefix, create_contact),
        Route("GET", prefix + "/count", count_contacts),
        Route("GET", prefix + "/{contact_id}", get_contact),
        Route("PUT", prefix + "/{contact_id}", update_contact),
        Route("DELETE", prefix + "/{contact_id}", delete_contact),
    ]


ROUTES = _routes("domains/{domain}/contacts") + _routes("domains/{domain}/users/{user}/contacts")
