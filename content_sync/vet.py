"""Vetting a content database from a pack before it can become the installed content.

A valid signature says who made a pack, not that the maker was careful or that the key
never leaked. So the database must be exactly what a builder makes: the same schema
object for object, values of the declared types, ids free of markup characters, every
multilingual column a JSON object of strings, a search index that points only at real
rows, and all visitor-facing text sanitised to plain text once more.

Checks run as one scan per table in SQLite's C code; Python only touches the rare rows
that may need sanitising, so vetting stays cheap for large packs.
"""

from __future__ import annotations

import concurrent.futures
import json
import sqlite3
from pathlib import Path
from typing import Any

from . import schema
from .errors import PackError
from .packfile import Manifest, shown_text
from .sanitize import sanitize_text

# Characters that cannot appear in ids, kinds, colours or dates.
_UNSAFE_PLAIN_GLOB = "*[<>&\"'\\`]*"
# Text that may hold markup: tags, entities, or JSON escapes that could spell either.
# (instr() runs several times faster than a GLOB character class on long texts.)
_MARKUP_PROBES = ("<", ">", "&", "\\u")
_TYPEOF = {"INTEGER": "('integer', 'null')", "REAL": "('real', 'integer', 'null')", "TEXT": "('text', 'null')"}
_SEARCH_KINDS = {"venue": "venues", "route": "routes", "event": "events", "heritage": "heritage",
                 "transport": "transport", "page": "pages"}  # fmt: skip


def _columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return [(row[1], row[2].upper()) for row in conn.execute(f"PRAGMA table_info({table})")]


def _pk(conn: sqlite3.Connection, table: str) -> list[str]:
    info = conn.execute(f"PRAGMA table_info({table})").fetchall()
    return [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]] or ["rowid"]


def _sanitize_json(node: Any) -> Any:
    if isinstance(node, str):
        return sanitize_text(node)
    if isinstance(node, list):
        return [_sanitize_json(x) for x in node]
    if isinstance(node, dict):
        return {k: _sanitize_json(v) for k, v in node.items()}
    return node


def _check_table(conn: sqlite3.Connection, table: str) -> None:
    """One scan: types, markup in plain columns, JSON validity, multilingual shape."""
    i18n_cols = set(schema.I18N_COLUMNS.get(table, ()))
    json_cols = set(schema.JSON_COLUMNS.get(table, ()))
    checks: list[tuple[str, str, str]] = []  # (condition, column, what is wrong)
    for column, declared in _columns(conn, table):
        if declared in _TYPEOF:
            checks.append((f"typeof({column}) NOT IN {_TYPEOF[declared]}", column, f"is not of type {declared}"))
        if declared == "TEXT" and column not in i18n_cols | json_cols and table != "meta":
            checks.append((f"{column} GLOB :unsafe", column, "contains characters an id may not have"))
        if column in json_cols:
            checks.append((f"({column} IS NOT NULL AND NOT json_valid({column}))", column, "is not valid JSON"))
        if column in i18n_cols:
            # Non-text values inside the object are ignored by every reader (i18n.loads).
            checks.append((
                f"(CASE WHEN json_valid({column}) THEN json_type({column}) != 'object' ELSE 1 END)",
                column, "is not multilingual text (a JSON object of language: text)",
            ))  # fmt: skip
    if not checks:
        return
    pk = _pk(conn, table)
    flags = ", ".join(c for c, _, _ in checks)
    row = conn.execute(
        f"SELECT {pk[0]}, {flags} FROM {table} WHERE {' OR '.join(c for c, _, _ in checks)} LIMIT 1",
        {"unsafe": _UNSAFE_PLAIN_GLOB},
    ).fetchone()
    if row:
        for flag, (_, column, what) in zip(row[1:], checks, strict=True):
            if flag:
                raise PackError(f"refused: {table}.{column} of row {shown_text(row[0], 60)} {what}")


def _sanitize_table(conn: sqlite3.Connection, table: str) -> int:
    columns = [*schema.I18N_COLUMNS.get(table, ()), *schema.JSON_COLUMNS.get(table, ())]
    if not columns:
        return 0
    pk = _pk(conn, table)
    where = " OR ".join(f"instr({c}, '{probe}')" for c in columns for probe in _MARKUP_PROBES)
    rows = conn.execute(f"SELECT {', '.join(pk)}, {', '.join(columns)} FROM {table} WHERE {where}").fetchall()
    changed = 0
    for row in rows:
        keys, values = row[: len(pk)], row[len(pk) :]
        for column, value in zip(columns, values, strict=True):
            if value is None:
                continue
            data = json.loads(value)
            clean = _sanitize_json(data)
            if clean != data:
                conn.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {' AND '.join(f'{k} = ?' for k in pk)}",
                    (json.dumps(clean, ensure_ascii=False, sort_keys=True), *keys),
                )
                changed += 1
    return changed


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
    # A damaged full-text index cannot point outside search_docs (checked above); at worst
    # a search fails, which the store turns into "no results" and a log line.


def _quick_check(path: Path) -> bool:
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA cell_size_check = ON")
        return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def _check_rows(conn: sqlite3.Connection, manifest: Manifest) -> dict[str, str]:
    if conn.execute("PRAGMA user_version").fetchone()[0] != manifest.schema_version:
        raise PackError("refused: content.db's schema version does not match the manifest")
    if tuple(schema.schema_signature(conn)) != schema.expected_signature():
        raise PackError("refused: content.db has tables, triggers or views this kiosk does not expect")
    if conn.execute("PRAGMA foreign_key_check").fetchone():
        raise PackError("refused: content.db refers to venues, themes or media that it does not contain")
    for table in schema.CONTENT_TABLES:
        _check_table(conn, table)
    for sha, media_path in conn.execute("SELECT sha256, path FROM media"):
        entry = manifest.files.get(media_path)
        if entry is None or entry.sha256 != sha:
            raise PackError(
                f"refused: content.db refers to media {shown_text(media_path)} that the pack does not carry"
            )
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    if meta.get("content_version") != str(manifest.content_version) or meta.get("pack_id") != manifest.pack_id:
        raise PackError("refused: content.db belongs to a different pack than its manifest")
    _check_search_index(conn)
    return meta


def vet_content_db(path: Path, manifest: Manifest) -> int:
    """Refuse a database that is not exactly what a builder makes; re-sanitise its text.

    SQLite's own structural check runs on a second core while the rows are checked on
    this one. Returns how many cells had markup removed. Raises PackError with a plain reason.
    """
    damaged = PackError("refused: content.db is damaged (SQLite integrity check failed)")
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise PackError("refused: content.db is not a SQLite database")
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        structure_ok = pool.submit(_quick_check, path)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA trusted_schema = OFF")
            conn.execute("PRAGMA cell_size_check = ON")
            try:
                meta = _check_rows(conn, manifest)
            except (PackError, sqlite3.DatabaseError, ValueError, TypeError) as exc:
                if not structure_ok.result():
                    raise damaged from None
                if isinstance(exc, PackError):
                    raise
                if isinstance(exc, sqlite3.DatabaseError):
                    raise PackError(f"refused: content.db cannot be read ({shown_text(exc, 100)})") from None
                raise PackError("refused: content.db holds malformed values") from None
            if not structure_ok.result():
                raise damaged
            try:
                conn.execute("BEGIN")
                sanitised = sum(_sanitize_table(conn, table) for table in schema.CONTENT_TABLES)
                title = json.loads(meta.get("title") or "{}")
                if isinstance(title, dict) and (clean := _sanitize_json(title)) != title:
                    conn.execute(
                        "UPDATE meta SET value = ? WHERE key = 'title'", (json.dumps(clean, ensure_ascii=False),)
                    )
                    sanitised += 1
                conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                raise PackError(f"refused: content.db cannot be read ({shown_text(exc, 100)})") from None
            except (ValueError, TypeError):
                raise PackError("refused: content.db holds malformed values") from None
            return sanitised
        finally:
            conn.close()
