"""Vetting a content database from a pack before it can become the installed content.

A valid signature says who made a pack, not that the maker was careful or that the key
never leaked. So the database must be exactly what a builder makes: the same schema
object for object, every value of every row of its declared type (:mod:`.content_schema`,
the description the builder checks too), a search index that points only at real rows,
and every text value sanitised to plain text once more, without exception.

Each table is read once; SQLite's structural check and foreign-key check run on other
threads meanwhile. Text takes the sanitiser's fast path (one compiled regular expression)
unless it holds something the sanitiser would change, and each batch of rows is checked
column by column (:func:`.content_schema.check_batch`: a few C-level passes per column, the
per-row check only for rows a column test flags), so vetting stays cheap for large packs.

A version built on the kiosk from deltas is vetted the same way for what the deltas touched
(``touched``): the schema, meta and media list whole, and the touched rows, their foreign
keys both ways and their search index rows; its other rows are the installed version's.
"""

from __future__ import annotations

import concurrent.futures
import sqlite3
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from ..core.errors import PackError
from . import content_schema, schema
from .manifest import Manifest, shown_text

_SEARCH_KINDS = {"venue": "venues", "route": "routes", "event": "events", "heritage": "heritage",
                 "transport": "transport", "page": "pages"}  # fmt: skip
_MMAP_BYTES = 1 << 30  # read-only scans map the (private, staged) database
_BATCH = 2000


def _text(raw: bytes) -> str | bytes:
    """SQLite TEXT as str; bytes that are not UTF-8 stay bytes, which no declared type accepts."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _check_table(conn: sqlite3.Connection, table: content_schema.Table) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every row of ``table`` against its declared types; returns the cleaned cells by row key."""
    columns = list(table.columns)
    positions = [columns.index(k) for k in table.key]
    changes: dict[tuple[Any, ...], dict[str, Any]] = {}
    try:
        cursor = conn.execute(f"SELECT {', '.join(columns)} FROM {table.name}")
        while rows := cursor.fetchmany(_BATCH):
            for at, changed in content_schema.check_batch(table, rows):
                changes[tuple(rows[at][i] for i in positions)] = changed
    except sqlite3.OperationalError as exc:
        if "decode" not in str(exc) or conn.text_factory is _text:
            raise
        # Text that is not UTF-8: read the table again, keeping such values as bytes, so
        # the refusal names the row and field (decoding in Python only when it is needed).
        conn.text_factory = _text
        try:
            return _check_table(conn, table)
        finally:
            conn.text_factory = str
    return changes


def _open_ro(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.execute("PRAGMA cell_size_check = ON")
    # Pages come straight from the OS cache instead of one read() each: scans are cheaper.
    conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
    return conn


def _quick_check(path: Path) -> bool:
    conn = _open_ro(path)
    try:
        return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def _foreign_keys(path: Path) -> None:
    conn = _open_ro(path)
    try:
        if conn.execute("PRAGMA foreign_key_check").fetchone():
            raise PackError("refused: content.db refers to venues, themes or media that it does not contain")
    finally:
        conn.close()


def _check_search_index(conn: sqlite3.Connection) -> None:
    kinds = ", ".join(f"'{k}'" for k in _SEARCH_KINDS)
    if conn.execute(f"SELECT 1 FROM search_docs WHERE kind NOT IN ({kinds}) LIMIT 1").fetchone():
        raise PackError("refused: the search index refers to unknown kinds of content")
    for kind, table in _SEARCH_KINDS.items():
        dangling = conn.execute(
            f"SELECT ref_id FROM search_docs d WHERE kind = ? AND NOT EXISTS "
            f"(SELECT 1 FROM {table} t WHERE t.id = d.ref_id) LIMIT 1",
            (kind,),
        ).fetchone()
        if dangling:
            raise PackError(f"refused: the search index refers to a missing {kind} {shown_text(dangling[0], 60)}")
    # The full-text tables are joined to search_docs by rowid, so they cannot point
    # anywhere else; a damaged one makes a search fail, which the store reports as
    # "no results" and a log line.


def _check_header_rows(conn: sqlite3.Connection, manifest: Manifest) -> dict[str, Any]:
    """Schema, media list and meta rows against the manifest; returns meta values to rewrite."""
    if conn.execute("PRAGMA user_version").fetchone()[0] != manifest.schema_version:
        raise PackError("refused: content.db's schema version does not match the manifest")
    if tuple(schema.schema_signature(conn)) != schema.expected_signature():
        raise PackError("refused: content.db has tables, triggers or views this kiosk does not expect")
    for sha, media_path in conn.execute("SELECT sha256, path FROM media"):
        entry = manifest.files.get(media_path)
        if entry is None or entry.sha256 != sha:
            raise PackError(
                f"refused: content.db refers to media {shown_text(media_path)} that the pack does not carry"
            )
    rows = conn.execute("SELECT key, value FROM meta").fetchall()
    cleaned = content_schema.check_meta(rows)  # raises SchemaError naming the key
    meta = dict(rows)
    if meta.get("content_version") != str(manifest.content_version) or meta.get("pack_id") != manifest.pack_id:
        raise PackError("refused: content.db belongs to a different pack than its manifest")
    return cleaned


def _check_touched_table(
    conn: sqlite3.Connection, table: content_schema.Table, keys: Collection[tuple[Any, ...]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The rows of ``table`` with these keys (those that still exist) against their declared types."""
    columns = list(table.columns)
    positions = [columns.index(k) for k in table.key]
    where = " AND ".join(f"{k} = ?" for k in table.key)
    sql = f"SELECT {', '.join(columns)} FROM {table.name} WHERE {where}"
    rows = [row for key in keys for row in conn.execute(sql, tuple(key)).fetchall()]
    return {tuple(rows[at][i] for i in positions): changed for at, changed in content_schema.check_batch(table, rows)}


def _check_touched_keys(conn: sqlite3.Connection, touched: Mapping[str, Collection[tuple[Any, ...]]]) -> None:
    """Foreign keys of the touched rows, both ways: what they refer to exists, nothing refers to a row gone.

    Every key the schema refers to is a one-column primary key named in the reference, and a
    delta cannot change a key column, so a row gone is a deleted key no row of its table has.
    """
    broken = PackError("refused: content.db refers to venues, themes or media that it does not contain")
    references = {
        child: conn.execute(f"PRAGMA foreign_key_list({child})").fetchall()
        for child, table in content_schema.TABLES.items()
        if not table.derived
    }
    for name, keys in touched.items():
        table = content_schema.TABLES[name]
        where = " AND ".join(f"{k} = ?" for k in table.key)
        for _, _, parent, column, target, *_ in references[name]:
            if target is None:  # a reference to the parent's key by default: check the table whole
                if conn.execute(f"PRAGMA foreign_key_check({name})").fetchone():
                    raise broken
                continue
            sql = f"SELECT 1 FROM {name} c WHERE {where} AND c.{column} IS NOT NULL AND NOT EXISTS "
            sql += f"(SELECT 1 FROM {parent} p WHERE p.{target} = c.{column})"
            if any(conn.execute(sql, tuple(key)).fetchone() for key in keys):
                raise broken
        if len(table.key) != 1:
            continue
        gone = [key[0] for key in keys if not conn.execute(f"SELECT 1 FROM {name} WHERE {where}", key).fetchone()]
        for child, refs in references.items() if gone else ():
            for _, _, parent, column, target, *_ in refs:
                if parent == name and target in (None, table.key[0]):
                    sql = f"SELECT 1 FROM {child} WHERE {column} = ? LIMIT 1"
                    if any(conn.execute(sql, (value,)).fetchone() for value in gone):
                        raise broken


def _check_touched_documents(
    conn: sqlite3.Connection, touched: Mapping[str, Collection[tuple[Any, ...]]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The search index rows of the touched documents: of their declared types, and only for rows that exist."""
    kinds = ", ".join(f"'{k}'" for k in _SEARCH_KINDS)
    if conn.execute(f"SELECT 1 FROM search_docs WHERE kind NOT IN ({kinds}) LIMIT 1").fetchone():
        raise PackError("refused: the search index refers to unknown kinds of content")
    docs = content_schema.TABLES["search_docs"]
    sql = f"SELECT {', '.join(docs.columns)} FROM search_docs WHERE kind = ? AND ref_id = ?"
    rows = []
    for kind, name in _SEARCH_KINDS.items():
        for (ref_id,) in touched.get(name, ()):
            found = conn.execute(sql, (kind, ref_id)).fetchall()
            if found and not conn.execute(f"SELECT 1 FROM {name} WHERE id = ?", (ref_id,)).fetchone():
                raise PackError(f"refused: the search index refers to a missing {kind} {shown_text(ref_id, 60)}")
            rows += found
    return {(rows[at][0],): changed for at, changed in content_schema.check_batch(docs, rows)}


def vet_content_db(
    path: Path, manifest: Manifest, *, touched: Mapping[str, Collection[tuple[Any, ...]]] | None = None
) -> int:
    """Refuse a database that is not exactly what a builder makes; re-sanitise its text.

    Every row of every table is checked against the declared content schema
    (:mod:`.content_schema`) and every text value is sanitised again. Returns how many
    cells were changed by sanitising. Raises PackError with one plain line.

    ``touched`` (a version built from deltas: table -> keys of the rows deleted, updated
    or inserted): the schema, meta and media list are checked whole as for a pack, but only
    those rows, the foreign keys from and to them and their documents' search index rows;
    every other row is the installed version's, vetted when it was installed.
    """
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise PackError("refused: content.db is not a SQLite database")
    if touched is not None:
        return _vet_touched(path, manifest, touched)
    damaged = PackError("refused: content.db is damaged (SQLite integrity check failed)")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        structure_ok = pool.submit(_quick_check, path)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA trusted_schema = OFF")
            conn.execute("PRAGMA cell_size_check = ON")
            conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
            keys: concurrent.futures.Future[None] | None = None
            try:
                # The schema first: nothing else is read until it is exactly ours.
                meta = _check_header_rows(conn, manifest)
                keys = pool.submit(_foreign_keys, path)
                changes = {name: _check_table(conn, table) for name, table in content_schema.TABLES.items()}
                _check_search_index(conn)
                keys.result()
            except (PackError, content_schema.SchemaError, sqlite3.DatabaseError, ValueError, TypeError) as exc:
                if keys is not None:
                    keys.cancel()
                if not structure_ok.result():
                    raise damaged from None
                if isinstance(exc, PackError):
                    raise
                if isinstance(exc, content_schema.SchemaError):
                    raise PackError(f"refused: {exc}") from None
                if isinstance(exc, sqlite3.DatabaseError):
                    raise PackError(f"refused: content.db cannot be read ({shown_text(exc, 100)})") from None
                raise PackError("refused: content.db holds malformed values") from None
            if not structure_ok.result():
                raise damaged
            return _write_changes(conn, meta, changes)
        finally:
            conn.close()


def _vet_touched(path: Path, manifest: Manifest, touched: Mapping[str, Collection[tuple[Any, ...]]]) -> int:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA cell_size_check = ON")
        try:
            meta = _check_header_rows(conn, manifest)
            unknown = sorted(set(touched) - set(content_schema.TABLES) - {"meta"})
            if unknown:
                raise PackError(f"refused: content.db has a table this kiosk does not expect: {shown_text(unknown[0])}")
            changes = {
                name: _check_touched_table(conn, content_schema.TABLES[name], keys)
                for name, keys in touched.items()
                if name != "meta" and not content_schema.TABLES[name].derived  # meta: with the header rows
            }
            _check_touched_keys(conn, {n: k for n, k in touched.items() if n in changes})
            changes["search_docs"] = _check_touched_documents(conn, touched)
        except content_schema.SchemaError as exc:
            raise PackError(f"refused: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise PackError(f"refused: content.db cannot be read ({shown_text(exc, 100)})") from None
        except (ValueError, TypeError):
            raise PackError("refused: content.db holds malformed values") from None
        return _write_changes(conn, meta, changes)
    finally:
        conn.close()


def _write_changes(
    conn: sqlite3.Connection, meta: dict[str, Any], changes: dict[str, dict[tuple[Any, ...], dict[str, Any]]]
) -> int:
    """Write the sanitised values back in one transaction; returns how many cells changed."""
    count = 0
    try:
        conn.execute("BEGIN")
        for meta_key, value in meta.items():
            conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, meta_key))
            count += 1
        for name, rows in changes.items():
            table = content_schema.TABLES[name]
            where = " AND ".join(f"{k} = ?" for k in table.key)
            for key, cells in rows.items():
                for column, value in cells.items():
                    conn.execute(f"UPDATE {name} SET {column} = ? WHERE {where}", (value, *key))
                    count += 1
        conn.execute("COMMIT")
        return count
    except sqlite3.DatabaseError as exc:
        raise PackError(f"refused: content.db cannot be read ({shown_text(exc, 100)})") from None
