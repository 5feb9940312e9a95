"""A content digest of a content database: what a release states and a kiosk checks.

A pack's ``content.db`` hash proves a file, not its content: the same rows written in
another order, or after a VACUUM, or by applying a delta to an older database, make a
different file. A kiosk that builds the new version from the old one plus row changes
must prove it holds exactly the published rows before it switches to them, so a release
states this digest (inside its signed metadata) and the kiosk recomputes it.

The encoding is defined here so that any client can compute it (``docs/deltas.md``):

* each row is a JSON array of its column values in declared column order: ``null``,
  integers as decimal digits, reals as the shortest text that reads back as the same
  double and always with a ``.`` or an exponent (so ``1`` and ``1.0`` differ), text as a
  JSON string (``"1"``, ``""``) escaping only ``"``, ``\\`` and control characters
  (lower-case ``\\u00xx``), blobs as ``{"blob":"<hex>"}``; its **row hash** is the
  SHA-256 of that text (UTF-8);
* the table's digest is SHA-256 over ``["<table>",[<column names>]]`` + ``\\n`` + the
  table's row hashes (32 bytes each) sorted bytewise: a sorted hash list, so it does not
  depend on the order rows are read in, and a kiosk that keeps the row hashes of its
  installed version (:class:`RowHashes`, saved beside ``content.db``) gets the digest of
  the next version from the hashes of the rows a delta changed alone;
* the content digest is SHA-256 over the compact JSON object
  ``{"schema":"<sha256 of the schema objects>","tables":{"<table>":"<digest>",...}}``
  with keys sorted.

Derived tables (the search index) are excluded: a kiosk rebuilds them, and their
row ids need not match the publisher's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import operator
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .schema import CONTENT_TABLES, schema_signature

DIGEST_ALG = "sha256-rows-v2"
_BATCH = 2000
ROW_HASHES_FILE = "content.rowhashes"  # beside content.db in a version folder
_ROW_HASHES_MAGIC = b"kiosk-rowhashes 2\n"


def _default(value: object) -> Any:
    if isinstance(value, bytes):
        return {"blob": value.hex()}
    raise TypeError(f"cannot encode {type(value).__name__}")


ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default, allow_nan=True)
_encode = ENCODER.encode
_utf8 = operator.methodcaller("encode")
_digest = operator.methodcaller("digest")


def encode_rows(rows: list[tuple[Any, ...]]) -> str:
    """The canonical text of ``rows`` joined by commas (no outer brackets)."""
    return ENCODER.encode(rows)[1:-1]


def row_hashes_of(rows: Iterable[Sequence[Any]]) -> list[bytes]:
    """The row hash (SHA-256 of the canonical JSON array) of each row, in C-level passes."""
    return list(map(_digest, map(hashlib.sha256, map(_utf8, map(_encode, rows)))))


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def digest_of_hashes(table: str, columns: Sequence[str], hashes: Iterable[bytes]) -> str:
    """A table's digest from its columns and its rows' hashes (in any order)."""
    h = hashlib.sha256(ENCODER.encode([table, list(columns)]).encode() + b"\n")
    h.update(b"".join(sorted(hashes)))
    return h.hexdigest()


def table_row_hashes(conn: sqlite3.Connection, table: str) -> Counter[bytes]:
    """The hashes of every row of ``table``, as a multiset (two equal rows count twice)."""
    columns = table_columns(conn, table)
    out: Counter[bytes] = Counter()
    cur = conn.execute(f"SELECT {', '.join(columns)} FROM {table}")
    while batch := cur.fetchmany(_BATCH):
        out.update(row_hashes_of(batch))
    return out


def table_digest(conn: sqlite3.Connection, table: str) -> str:
    """SHA-256 over ``table``'s columns and its rows' sorted hashes."""
    return digest_of_hashes(table, table_columns(conn, table), table_row_hashes(conn, table).elements())


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


@dataclass
class RowHashes:
    """The row hashes of every content table of one database: its digest, updatable row by row.

    A kiosk saves them beside an installed ``content.db`` (:meth:`save`); a delta then
    removes the hashes of the rows it deletes or overwrites and adds those of the rows it
    writes, and the new version's digest follows without reading its other rows.
    """

    schema: str
    columns: dict[str, list[str]]
    tables: dict[str, Counter[bytes]]

    @classmethod
    def of(cls, conn: sqlite3.Connection) -> RowHashes:
        """Every row of every content table of ``conn`` hashed (the full cost, once)."""
        columns = {t: table_columns(conn, t) for t in CONTENT_TABLES}
        return cls(schema_digest(conn), columns, {t: table_row_hashes(conn, t) for t in CONTENT_TABLES})

    def digest(self, only: Iterable[str] | None = None, reuse: ContentDigest | None = None) -> ContentDigest:
        """The content digest; with ``only`` and ``reuse``, only those tables' digests are worked out again."""
        again = set(CONTENT_TABLES if only is None or reuse is None else only)
        tables = {
            t: reuse.tables[t] if reuse is not None and t not in again else self.table_digest(t) for t in CONTENT_TABLES
        }
        return ContentDigest(self.schema, tables)

    def table_digest(self, table: str) -> str:
        return digest_of_hashes(table, self.columns[table], self.tables[table].elements())

    def copy(self) -> RowHashes:
        return RowHashes(self.schema, dict(self.columns), {t: Counter(h) for t, h in self.tables.items()})

    def save(self, path: Path, digest: ContentDigest) -> None:
        """Write the hashes to ``path`` atomically (a temporary file renamed over it)."""
        head = {"digest": digest.value, "schema": self.schema, "columns": self.columns,
                "rows": {t: self.tables[t].total() for t in CONTENT_TABLES}}  # fmt: skip
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        with open(tmp, "wb") as fh:
            fh.write(_ROW_HASHES_MAGIC + json.dumps(head, sort_keys=True).encode() + b"\n")
            for t in CONTENT_TABLES:
                fh.write(b"".join(sorted(self.tables[t].elements())))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> tuple[RowHashes, ContentDigest] | None:
        """Hashes saved by :meth:`save` and the digest they give; None if missing or not self-consistent.

        The digest is worked out from the hashes themselves, never taken from the file: the
        caller compares it with the digest a signed release states before relying on it.
        """
        try:
            raw = path.read_bytes()
            if not raw.startswith(_ROW_HASHES_MAGIC):
                return None
            head_end = raw.index(b"\n", len(_ROW_HASHES_MAGIC))
            head = json.loads(raw[len(_ROW_HASHES_MAGIC) : head_end])
            at = head_end + 1
            tables: dict[str, Counter[bytes]] = {}
            for t in CONTENT_TABLES:
                n = int(head["rows"][t])
                block = raw[at : at + 32 * n]
                if n < 0 or len(block) != 32 * n:
                    return None
                tables[t] = Counter(block[i : i + 32] for i in range(0, len(block), 32))
                at += 32 * n
            hashes = cls(str(head["schema"]), {t: list(head["columns"][t]) for t in CONTENT_TABLES}, tables)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if at != len(raw):
            return None
        digest = hashes.digest()
        return (hashes, digest) if digest.value == head.get("digest") else None


def installed_row_hashes(db: Path, *, save: bool = True, recompute: bool = False) -> tuple[RowHashes, ContentDigest]:
    """The row hashes of an installed (never written) ``content.db``: saved ones, else computed and saved.

    Saved hashes are those of the rows this kiosk proved or vetted when it installed the
    version; a read-only folder just goes without saving. ``recompute`` ignores saved ones.
    """
    side = Path(db).with_name(ROW_HASHES_FILE)
    found = None if recompute else RowHashes.load(side)
    if found is not None:
        return found
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        hashes = RowHashes.of(conn)
    finally:
        conn.close()
    digest = hashes.digest()
    if save:
        with contextlib.suppress(OSError):
            hashes.save(side, digest)
    return hashes, digest


def installed_digest(db: Path) -> ContentDigest:
    """The content digest of an installed ``content.db``, from its saved row hashes where it has them."""
    return installed_row_hashes(db)[1]


def file_digest(path: str | Any) -> ContentDigest:
    """The digest of the content database at ``path``, opened read-only."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return content_digest(conn)
    finally:
        conn.close()
