"""SQLite storage: one table of JSON documents, keyed by (domain, collection, parent, key).

Every resource is a JSON document; `parent` is "" for domain-level objects and the user (or queue)
for children, and `ordinal` keeps insertion order. Simple on purpose: the sandbox values being
obviously right over being fast. All domains (tenants) share one database.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Doc = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    domain     TEXT    NOT NULL,
    collection TEXT    NOT NULL,
    parent     TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    ordinal    INTEGER NOT NULL,
    doc        TEXT    NOT NULL,
    PRIMARY KEY (domain, collection, parent, key)
);
CREATE INDEX IF NOT EXISTS docs_by_collection ON docs (collection);
CREATE INDEX IF NOT EXISTS docs_by_key ON docs (collection, key);
CREATE INDEX IF NOT EXISTS docs_by_login ON docs (collection, json_extract(doc, '$."login-username"'));
"""


@dataclass(frozen=True)
class Row:
    """A stored document with its address (for queries that span domains or parents)."""

    domain: str
    collection: str
    parent: str
    key: str
    doc: Doc


class Store:
    """Thread-safe access to the document table; writes happen inside `transaction()`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        target = os.fspath(path)
        in_memory = target == ":memory:" or target.startswith("file::memory:")
        if not in_memory and not target.startswith("file:"):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, uri=True)
        self._lock = threading.RLock()
        self._depth = 0
        if not in_memory:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing unit of work; nests (only the outermost level commits or rolls back)."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    def get(self, domain: str, collection: str, parent: str, key: str) -> Doc | None:
        with self._lock:
            row = self._db.execute(
                "SELECT doc FROM docs WHERE domain=? AND collection=? AND parent=? AND key=?",
                (domain, collection, parent, key),
            ).fetchone()
        return None if row is None else _load(row[0])

    def put(self, domain: str, collection: str, parent: str, key: str, doc: Doc) -> None:
        """Insert or replace; a replaced document keeps its ordinal (position in lists)."""
        text = json.dumps(doc, separators=(",", ":"))
        with self._lock:
            updated = self._db.execute(
                "UPDATE docs SET doc=? WHERE domain=? AND collection=? AND parent=? AND key=?",
                (text, domain, collection, parent, key),
            ).rowcount
            if not updated:
                (ordinal,) = self._db.execute(
                    "SELECT COALESCE(MAX(ordinal), 0) + 1 FROM docs WHERE domain=? AND collection=? AND parent=?",
                    (domain, collection, parent),
                ).fetchone()
                self._db.execute(
                    "INSERT INTO docs (domain, collection, parent, key, ordinal, doc) VALUES (?,?,?,?,?,?)",
                    (domain, collection, parent, key, ordinal, text),
                )

    def insert_many(self, domain: str, collection: str, parent: str, items: Iterable[tuple[str, Doc]]) -> None:
        """Add many new documents at once (keys not yet stored), e.g. a benchmark's call records."""
        with self._lock:
            (base,) = self._db.execute(
                "SELECT COALESCE(MAX(ordinal), 0) FROM docs WHERE domain=? AND collection=? AND parent=?",
                (domain, collection, parent),
            ).fetchone()
            self._db.executemany(
                "INSERT INTO docs (domain, collection, parent, key, ordinal, doc) VALUES (?,?,?,?,?,?)",
                (
                    (domain, collection, parent, key, base + i, json.dumps(doc, separators=(",", ":")))
                    for i, (key, doc) in enumerate(items, start=1)
                ),
            )

    def delete(self, domain: str, collection: str, parent: str, key: str) -> bool:
        with self._lock:
            return (
                self._db.execute(
                    "DELETE FROM docs WHERE domain=? AND collection=? AND parent=? AND key=?",
                    (domain, collection, parent, key),
                ).rowcount
                > 0
            )

    def docs(self, domain: str, collection: str, parent: str = "") -> list[Doc]:
        """Documents of one collection under one parent, in insertion order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT doc FROM docs WHERE domain=? AND collection=? AND parent=? ORDER BY ordinal, key",
                (domain, collection, parent),
            ).fetchall()
        return [_load(r[0]) for r in rows]

    def count(self, domain: str, collection: str, parent: str = "") -> int:
        with self._lock:
            (n,) = self._db.execute(
                "SELECT COUNT(*) FROM docs WHERE domain=? AND collection=? AND parent=?",
                (domain, collection, parent),
            ).fetchone()
        return int(n)

    def rows(self, collection: str, domain: str | None = None) -> list[Row]:
        """Every document of a collection, across parents (and across domains when domain is None)."""
        sql = "SELECT domain, collection, parent, key, doc FROM docs WHERE collection=?"
        args: tuple[str, ...] = (collection,)
        if domain is not None:
            sql += " AND domain=?"
            args += (domain,)
        with self._lock:
            found = self._db.execute(sql + " ORDER BY domain, parent, ordinal, key", args).fetchall()
        return [Row(d, c, p, k, _load(doc)) for d, c, p, k, doc in found]

    def lookup(self, domain: str, collection: str, key: str) -> Row | None:
        """The document of a collection with this key under any parent of one domain (device names
        are unique per domain whichever user owns them)."""
        with self._lock:
            found = self._db.execute(
                "SELECT domain, collection, parent, key, doc FROM docs WHERE domain=? AND collection=? AND key=? "
                "ORDER BY parent LIMIT 1",
                (domain, collection, key),
            ).fetchone()
        if found is None:
            return None
        d, c, p, k, doc = found
        return Row(d, c, p, k, _load(doc))

    def key_range(
        self,
        domain: str,
        collection: str,
        low: str,
        high: str,
        start: int,
        limit: int,
        match: dict[str, str] | None = None,
    ) -> list[Doc]:
        """Domain-level documents whose key is in [low, high), in key order, from `start`, at most `limit`;
        with `match`, only those where one of the named top-level fields equals its value (a page of a
        large collection without loading the rest of it)."""
        where, args = _range_where(domain, collection, low, high, match)
        with self._lock:
            found = self._db.execute(
                f"SELECT doc FROM docs WHERE {where} ORDER BY key LIMIT ? OFFSET ?", (*args, limit, start)
            ).fetchall()
        return [_load(r[0]) for r in found]

    def count_range(
        self, domain: str, collection: str, low: str, high: str, match: dict[str, str] | None = None
    ) -> int:
        where, args = _range_where(domain, collection, low, high, match)
        with self._lock:
            (n,) = self._db.execute(f"SELECT COUNT(*) FROM docs WHERE {where}", args).fetchone()
        return int(n)

    def key_exists(self, collection: str, key: str) -> bool:
        """Whether any domain has a document of the collection with this key (MACs are system-wide)."""
        with self._lock:
            found = self._db.execute("SELECT 1 FROM docs WHERE collection=? AND key=? LIMIT 1", (collection, key))
            return found.fetchone() is not None

    def find(self, collection: str, field: str, value: str) -> list[Row]:
        """Documents of a collection, in any domain, whose top-level `field` equals `value`."""
        if not re.fullmatch(r"[a-z0-9-]+", field):
            raise ValueError(f"not a field name: {field!r}")
        # The path is written out (not a parameter) so SQLite can use an expression index on it.
        sql = (
            "SELECT domain, collection, parent, key, doc FROM docs "
            f"WHERE collection=? AND json_extract(doc, '$.\"{field}\"')=?"
        )
        with self._lock:
            found = self._db.execute(sql, (collection, value)).fetchall()
        return [Row(d, c, p, k, _load(doc)) for d, c, p, k, doc in found]

    def delete_children(self, domain: str, collections: Iterable[str], parent: str) -> int:
        """Remove every document of the given collections under one parent (cascading deletes)."""
        removed = 0
        with self._lock:
            for collection in collections:
                removed += self._db.execute(
                    "DELETE FROM docs WHERE domain=? AND collection=? AND parent=?",
                    (domain, collection, parent),
                ).rowcount
        return removed

    def delete_domain(self, domain: str) -> int:
        with self._lock:
            return self._db.execute("DELETE FROM docs WHERE domain=?", (domain,)).rowcount


def _load(text: str) -> Doc:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise TypeError("stored document is not an object")
    return value


def _range_where(
    domain: str, collection: str, low: str, high: str, match: dict[str, str] | None
) -> tuple[str, tuple[object, ...]]:
    where = "domain=? AND collection=? AND parent='' AND key>=? AND key<?"
    args: tuple[object, ...] = (domain, collection, low, high)
    if match:
        if not all(re.fullmatch(r"[a-z0-9-]+", name) for name in match):
            raise ValueError(f"not field names: {list(match)!r}")
        where += " AND (" + " OR ".join(f"json_extract(doc, '$.\"{name}\"')=?" for name in match) + ")"
        args += tuple(match.values())
    return where, args
