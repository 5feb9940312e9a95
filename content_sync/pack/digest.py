"""A content digest of a content database: what a release states and a kiosk checks.

A pack's ``content.db`` hash proves a file, not its content: the same rows written in
another order, or after a VACUUM, or by applying a delta to an older database, make a
different file. A kiosk that builds the new version from the old one plus row changes
must prove it holds exactly the published rows before it switches to them, so a release
states this digest (inside its signed metadata) and the kiosk recomputes it.

The encoding is defined here so that any client can compute it (``docs/deltas.md``):

* a table's rows are read in primary-key order (SQLite's ``BINARY`` order: UTF-8 bytes
  for text keys, numbers for integer keys);
* each row is a JSON array of its column values in declared column order: ``null``,
  integers as decimal digits, reals as the shortest text that reads back as the same
  double and always with a ``.`` or an exponent (so ``1`` and ``1.0`` differ), text as a
  JSON string (``"1"``, ``""``) escaping only ``"``, ``\\`` and control characters
  (lower-case ``\\u00xx``), blobs as ``{"blob":"<hex>"}``;
* the table's digest is SHA-256 over ``["<table>",[<column names>]]`` + ``\\n`` + the
  rows joined by ``,`` inside one ``[...]``;
* the content digest is SHA-256 over the compact JSON object
  ``{"schema":"<sha256 of the schema objects>","tables":{"<table>":"<digest>",...}}``
  with keys sorted.

Derived tables (the search index) are excluded: a kiosk rebuilds them, and their
row ids need not match the publisher's.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .schema import CONTENT_TABLES, primary_key, schema_signature

DIGEST_ALG = "sha256-rows-v1"
_BATCH = 2000


def _default(value: object) -> Any:
    if isinstance(value, bytes):
        return {"blob": value.hex()}
    raise TypeError(f"cannot encode {type(value).__name__}")


ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default, allow_nan=True)


def encode_rows(rows: list[tuple[Any, ...]]) -> str:
    """The canonical text of ``rows`` joined by commas (no outer brackets)."""
    return ENCODER.encode(rows)[1:-1]


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def table_digest(conn: sqlite3.Connection, table: str) -> str:
    """SHA-256 over ``table``'s rows in primary-key order, canonically encoded."""
    columns = table_columns(conn, table)
    key = primary_key(conn, table)
    h = hashlib.sha256()
    h.update(ENCODER.encode([table, columns]).encode() + b"\n[")
    cur = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(key)}")
    first = True
    while batch := cur.fetchmany(_BATCH):
        if not first:
            h.update(b",")
        h.update(encode_rows(batch).encode())
        first = False
    h.update(b"]")
    return h.hexdigest()


def schema_digest(conn: sqlite3.Connection) -> str:
    """SHA-256 of the schema objects and ``user_version``: a changed schema is a changed content."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    return hashlib.sha256(ENCODER.encode([version, schema_signature(conn)]).encode()).hexdigest()


@dataclass(frozen=True)
class ContentDigest:
    """The digest of a content database: one over everything, and one per table (to say which differs)."""

    schema: str
    tables: dict[str, str]

    @property
    def value(self) -> str:
        doc = json.dumps({"schema": self.schema, "tables": self.tables}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(doc.encode()).hexdigest()

    def differing(self, other: ContentDigest) -> list[str]:
        """Tables (and ``schema``) whose digests differ from ``other``'s."""
        out = ["schema"] if self.schema != other.schema else []
        names = sorted(set(self.tables) | set(other.tables))
        return out + [t for t in names if self.tables.get(t) != other.tables.get(t)]


def content_digest(
    conn: sqlite3.Connection, reuse: ContentDigest | None = None, changed: Iterable[str] | None = None
) -> ContentDigest:
    """The digest of the open database ``conn``.

    With ``reuse`` and ``changed``, only the tables in ``changed`` are hashed again and the
    others are taken from ``reuse`` (the caller knows nothing else was written).
    """
    recompute = set(CONTENT_TABLES if changed is None or reuse is None else changed)
    tables = {t: table_digest(conn, t) if t in recompute or reuse is None else reuse.tables[t] for t in CONTENT_TABLES}
    return ContentDigest(schema_digest(conn), tables)


def file_digest(path: str | Any) -> ContentDigest:
    """The digest of the content database at ``path``, opened read-only."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return content_digest(conn)
    finally:
        conn.close()
