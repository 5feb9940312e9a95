"""Vetting a content database from a pack before it can become the installed content.

A valid signature says who made a pack, not that the maker was careful or that the key
never leaked. So the database must be exactly what a builder makes: the same schema
object for object, values of the declared types, ids free of markup characters, every
multilingual column a JSON object, a search index that points only at real rows, and all
visitor-facing text sanitised to plain text once more.

Each table is read once, in SQLite's C code, and the scans run on every core beside
SQLite's own structural check; Python only touches the rare rows that may need
sanitising, so vetting stays cheap for large packs.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from ..core.errors import PackError
from . import schema
from .manifest import Manifest, shown_text
from .sanitize import sanitize_text

# Characters that cannot appear in ids, kinds, colours or dates.
_UNSAFE_PLAIN = ("<", ">", "&", '"', "'", "\\", "`")
# Any markup needs "<" itself, an entity ("&...;") or a JSON escape ("\u003c") to spell it.
# GLOB '*<*' finds one character with the C library's strcspn (several times faster than
# instr() or a GLOB character class on long texts) but stops at a NUL byte, so a text that
# holds a NUL is suspect too (instr() sees past it) and goes to the sanitiser, whose JSON
# parser refuses it: nothing can hide behind a NUL.
_MARKUP_PROBES = ("<", "&", "\\u")
_TYPEOF = {"INTEGER": "('integer', 'null')", "REAL": "('real', 'integer', 'null')", "TEXT": "('text', 'null')"}
_SEARCH_KINDS = {"venue": "venues", "route": "routes", "event": "events", "heritage": "heritage",
                 "transport": "transport", "page": "pages"}  # fmt: skip
_MMAP_BYTES = 1 << 30  # read-only scans map the (private, staged) database
_SPLIT_ROWS = 20_000  # tables larger than this are scanned in two halves, one per core


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return [(row[1], row[2].upper()) for row in conn.execute(f"PRAGMA table_info({table})")]


def _has_rowid(conn: sqlite3.Connection, table: str) -> bool:
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
    return "WITHOUT ROWID" not in sql.upper()


def _sanitize_json(node: Any) -> Any:
    if isinstance(node, str):
        return sanitize_text(node)
    if isinstance(node, list):
        return [_sanitize_json(x) for x in node]
    if isinstance(node, dict):
        return {k: _sanitize_json(v) for k, v in node.items()}
    return node


def _table_scan(conn: sqlite3.Connection, table: str) -> tuple[str, list[tuple[str, str]]]:
    """The SQL of one scan that flags wrong rows and rows that may hold markup."""
    i18n_cols = set(schema.I18N_COLUMNS.get(table, ()))
    json_cols = set(schema.JSON_COLUMNS.get(table, ()))
    checks: list[tuple[str, str, str]] = []  # (condition, column, what is wrong)
    for column, declared in _columns(conn, table):
        if declared in _TYPEOF:
            checks.append((f"typeof({column}) NOT IN {_TYPEOF[declared]}", column, f"is not of type {declared}"))
        if declared == "TEXT" and column not in i18n_cols | json_cols and table != "meta":
            probe = " OR ".join(f"instr({column}, {_sql_text(ch)})" for ch in _UNSAFE_PLAIN)
            checks.append((f"({probe})", column, "contains characters an id may not have"))
        if column in json_cols:
            checks.append((
                f"({column} IS NOT NULL AND substr({column}, 1, 1) NOT IN ('{{', '['))", column, "is not valid JSON"
            ))  # fmt: skip
        if column in i18n_cols:
            # Readers decode these defensively (i18n.loads); an object is all they need.
            # GLOB (strcspn again) instead of substr(column, -1, 1), which counts every character.
            checks.append((
                f"NOT ({column} GLOB '{{*}}')", column, "is not multilingual text (a JSON object of language: text)",
            ))  # fmt: skip
    text_cols = [c for c in (*schema.I18N_COLUMNS.get(table, ()), *schema.JSON_COLUMNS.get(table, ()))]
    suspect = (
        " OR ".join(
            [f"{c} GLOB {_sql_text('*' + p + '*')}" for c in text_cols for p in _MARKUP_PROBES]
            + [f"instr({c}, char(0))" for c in text_cols]
        )
        or "0"
    )
    pk = schema.primary_key(conn, table)
    conditions = [c for c, _, _ in checks] or ["0"]
    sql = (
        f"SELECT {', '.join(pk)}, ({suspect}), {', '.join(conditions)} FROM {table} "
        f"WHERE {{part}} ({' OR '.join(conditions)} OR {suspect})"
    )
    return sql, [(column, what) for _, column, what in checks]


def _scan(path: Path, table: str, part: tuple[int, int] | None) -> list[tuple[Any, ...]]:
    """Run one table's scan on its own read-only connection; returns keys of suspect rows."""
    conn = _open_ro(path)
    try:
        sql, checks = _table_scan(conn, table)
        pk_len = len(schema.primary_key(conn, table))
        sql = sql.replace("{part}", f"rowid BETWEEN {int(part[0])} AND {int(part[1])} AND" if part else "")
        suspects = []
        for row in conn.execute(sql):
            flags = row[pk_len + 1 :]
            for flag, (column, what) in zip(flags, checks, strict=True):
                if flag:
                    raise PackError(f"refused: {table}.{column} of row {shown_text(row[0], 60)} {what}")
            if row[pk_len]:
                suspects.append(tuple(row[:pk_len]))
        return suspects
    finally:
        conn.close()


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


def _check_header_rows(conn: sqlite3.Connection, manifest: Manifest) -> dict[str, str]:
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
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    if meta.get("content_version") != str(manifest.content_version) or meta.get("pack_id") != manifest.pack_id:
        raise PackError("refused: content.db belongs to a different pack than its manifest")
    return meta


def _sanitize_rows(conn: sqlite3.Connection, table: str, keys: list[tuple[Any, ...]]) -> int:
    columns = [*schema.I18N_COLUMNS.get(table, ()), *schema.JSON_COLUMNS.get(table, ())]
    pk = schema.primary_key(conn, table)
    where_pk = " AND ".join(f"{k} = ?" for k in pk)
    changed = 0
    for key in keys:
        row = conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {where_pk}", key).fetchone()
        for column, value in zip(columns, row or (), strict=True):
            if value is None:
                continue
            data = json.loads(value)
            clean = _sanitize_json(data)
            if clean != data:
                conn.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {where_pk}",
                    (json.dumps(clean, ensure_ascii=False, sort_keys=True), *key),
                )
                changed += 1
    return changed


def vet_content_db(path: Path, manifest: Manifest) -> int:
    """Refuse a database that is not exactly what a builder makes; re-sanitise its text.

    Returns how many cells had markup removed. Raises PackError with a plain reason.
    """
    damaged = PackError("refused: content.db is damaged (SQLite integrity check failed)")
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise PackError("refused: content.db is not a SQLite database")
    workers = max(2, min(4, os.cpu_count() or 2))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        structure_ok = pool.submit(_quick_check, path)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA trusted_schema = OFF")
            conn.execute("PRAGMA cell_size_check = ON")
            scans: dict[str, list[concurrent.futures.Future[list[tuple[Any, ...]]]]] = {}
            try:
                # The schema first: nothing else is read until it is exactly ours.
                meta = _check_header_rows(conn, manifest)
                tasks: list[concurrent.futures.Future[Any]] = [pool.submit(_foreign_keys, path)]
                for table in schema.CONTENT_TABLES:
                    parts: list[tuple[int, int] | None] = [None]
                    if _has_rowid(conn, table):
                        lo, hi = conn.execute(f"SELECT MIN(rowid), MAX(rowid) FROM {table}").fetchone()
                        if lo is not None and hi - lo > _SPLIT_ROWS:
                            step = (hi - lo) // workers + 1
                            parts = [(lo + i * step, min(hi, lo + (i + 1) * step - 1)) for i in range(workers)]
                    scans[table] = [pool.submit(_scan, path, table, part) for part in parts]
                _check_search_index(conn)
                for future in [*tasks, *(f for fs in scans.values() for f in fs)]:
                    future.result()
            except (PackError, sqlite3.DatabaseError, ValueError, TypeError) as exc:
                for fs in scans.values():
                    for f in fs:
                        f.cancel()
                if not structure_ok.result():
                    raise damaged from None
                if isinstance(exc, PackError):
                    raise
                if isinstance(exc, sqlite3.DatabaseError):
                    raise PackError(f"refused: content.db cannot be read ({shown_text(exc, 100)})") from None
                raise PackError("refused: content.db holds malformed values") from None
            if not structure_ok.result():
                raise damaged
            return _sanitize(conn, meta, {t: [k for f in fs for k in f.result()] for t, fs in scans.items()})
        finally:
            conn.close()


def _sanitize(conn: sqlite3.Connection, meta: dict[str, str], suspects: dict[str, list[tuple[Any, ...]]]) -> int:
    try:
        conn.execute("BEGIN")
        changed = sum(_sanitize_rows(conn, table, keys) for table, keys in suspects.items() if keys)
        title = json.loads(meta.get("title") or "{}")
        if isinstance(title, dict) and (clean := _sanitize_json(title)) != title:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'title'", (json.dumps(clean, ensure_ascii=False),))
            changed += 1
        conn.execute("COMMIT")
        return changed
    except sqlite3.DatabaseError as exc:
        raise PackError(f"refused: content.db cannot be read ({shown_text(exc, 100)})") from None
    except (ValueError, TypeError):
        raise PackError("refused: content.db holds malformed values") from None
