"""Row-level differences between two content databases, and applying them on a kiosk.

Packs are designed so that updates can travel as changed rows plus the media a kiosk does
not have yet: every content table has a stable primary key, media are named by hash,
and the search index is derived (rebuilt on the kiosk for the changed documents). A 1%
edit of a large database is a fraction of a percent of its bytes as rows, where a
block diff of a rebuilt SQLite file is most of the file.

:func:`diff` streams both databases in key order (memory stays flat on a 100,000-venue
city) and compares values with their types (``1``, ``1.0`` and ``'1'`` differ, as they do
in the content digest). :func:`make_delta` adds both versions' content digests and the
new media; :func:`apply_delta` writes a NEW database from a base and a delta and proves
it equal to the published version before anything may switch to it. The wire form is in
:mod:`.delta_format`; ``docs/deltas.md`` explains the choice with numbers.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import search_index
from .delta_format import Delta, DeltaError, Row, TableDelta, table_lines
from .digest import ContentDigest, RowHashes, content_digest, row_hashes_of, schema_digest
from .manifest import CONTENT_DB
from .reader import PackReader
from .schema import CONTENT_SCHEMA_VERSION, CONTENT_TABLES, primary_key

__all__ = ["Delta", "DeltaError", "TableDelta", "apply_delta", "diff", "diff_packs", "make_delta"]

# --- computing a delta ------------------------------------------------------------------------


def _rank(value: Any) -> tuple[int, Any]:
    """SQLite's order of values (NULL, numbers, text, blobs) as a Python sort key."""
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)  # code point order == UTF-8 byte order == BINARY collation
    return (3, value)


def _same(a: Row, b: Row) -> bool:
    return a == b and all(type(x) is type(y) for x, y in zip(a, b, strict=True))


def _keyed(conn: sqlite3.Connection, table: str, columns: list[str], key: list[str]) -> Iterator[tuple[Any, Row]]:
    idx = [columns.index(k) for k in key]
    cur = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(key)}")
    while batch := cur.fetchmany(2000):
        for row in batch:
            yield tuple(_rank(row[i]) for i in idx), row


def diff_table(old: sqlite3.Connection, new: sqlite3.Connection, table: str) -> TableDelta:
    """A merge join of both tables in key order: no table is held in memory."""
    columns = [row[1] for row in new.execute(f"PRAGMA table_info({table})")]
    old_columns = [row[1] for row in old.execute(f"PRAGMA table_info({table})")]
    if columns != old_columns:
        raise DeltaError(f"table {table} has different columns in the two databases")
    key = primary_key(new, table)
    key_idx = [columns.index(k) for k in key]
    delta = TableDelta(columns, key)
    a, b = _keyed(old, table, columns, key), _keyed(new, table, columns, key)
    end: tuple[Any, Any] = (None, None)
    ka: Any
    kb: Any
    ka, ra = next(a, end)
    kb, rb = next(b, end)
    while ra is not None or rb is not None:
        if rb is None or (ra is not None and ka < kb):
            delta.deletes.append(tuple(ra[i] for i in key_idx))
            ka, ra = next(a, end)
        elif ra is None or kb < ka:
            delta.inserts.append(rb)
            kb, rb = next(b, end)
        else:
            if not _same(ra, rb):
                changed = {c: y for c, x, y in zip(columns, ra, rb, strict=True) if not (x == y and type(x) is type(y))}
                delta.updates.append((tuple(rb[i] for i in key_idx), changed))
            ka, ra = next(a, end)
            kb, rb = next(b, end)
    return delta


def diff(old: sqlite3.Connection, new: sqlite3.Connection) -> dict[str, TableDelta]:
    """Rows to insert, update and delete, per table, to turn ``old`` into ``new``."""
    out: dict[str, TableDelta] = {}
    for table in CONTENT_TABLES:
        delta = diff_table(old, new, table)
        if delta:
            out[table] = delta
    return out


def _content_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'content_version'").fetchone()
    try:
        return int(row[0])
    except (TypeError, ValueError):
        return 0


def _inserted_media(delta_tables: Delta | dict[str, TableDelta]) -> list[dict[str, Any]]:
    """``sha256``, ``path`` and ``size`` of the ``media`` rows a delta inserts: the blobs the kiosk may lack."""
    tables = delta_tables.tables if isinstance(delta_tables, Delta) else delta_tables
    media = tables.get("media")
    if media is None:
        return []
    rows = [dict(zip(media.columns, row, strict=True)) for row in media.inserts]
    return [{k: m.get(k) for k in ("sha256", "path", "size")} for m in rows]


def _key_media(media: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((repr(m.get("sha256")), repr(m.get("path")), repr(m.get("size"))) for m in media)


def make_delta(old: sqlite3.Connection, new: sqlite3.Connection) -> Delta:
    """The delta from ``old`` to ``new`` with both content digests (the publisher's side)."""
    tables = diff(old, new)
    media = _inserted_media(tables)
    return Delta(
        from_version=_content_version(old),
        to_version=_content_version(new),
        from_digest=content_digest(old).value,
        to_digest=content_digest(new).value,
        tables=tables,
        media=media,
    )


def summary(delta: dict[str, TableDelta]) -> dict[str, dict[str, int]]:
    return {t: {"upserts": d.upserts, "deletes": len(d.deletes)} for t, d in sorted(delta.items())}


def encode(delta: dict[str, TableDelta]) -> bytes:
    """The raw row changes (uncompressed table lines of the wire form): the size figure operators see."""
    return b"".join(table_lines(delta))


# --- applying a delta -------------------------------------------------------------------------


Keys = dict[str, set[tuple[Any, ...]]]


@dataclass
class ApplyResult:
    """What :func:`apply_delta` did: rows written, documents re-indexed, media the new version needs.

    ``hashes``: the new version's row hashes when the base's were given (save them for the
    next delta); ``touched``: the keys of every row deleted, updated or inserted, per table
    (what an incremental vetting must look at).
    """

    rows: int
    documents: int
    media: list[dict[str, Any]]
    digest: ContentDigest
    hashes: RowHashes | None = None
    touched: Keys | None = None


def _copy_file(src: Path, dst: Path) -> None:
    """A byte copy of ``src`` into the new file ``dst`` (in-kernel where the OS allows it)."""
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        size = os.fstat(fin.fileno()).st_size
        done = 0
        try:
            while done < size:
                n = os.copy_file_range(fin.fileno(), fout.fileno(), size - done)
                if n == 0:
                    break
                done += n
        except OSError:
            fin.seek(done)
            fout.seek(done)
            while chunk := fin.read(1 << 20):
                fout.write(chunk)
            done = size
        if done != size:
            raise DeltaError(f"could not copy {src.name}: {done} of {size} bytes")


def _check(cur: sqlite3.Cursor, what: str) -> None:
    if cur.rowcount != 1:
        raise DeltaError(f"the delta does not fit this base: {what}")


def _write_rows(conn: sqlite3.Connection, delta: Delta) -> tuple[int, set[tuple[str, str]]]:
    """Deletes, then updates, then inserts (so no transient key or UNIQUE clash); returns rows and docs."""
    docs: set[tuple[str, str]] = set()
    rows = 0
    for table, td in delta.tables.items():
        if table not in CONTENT_TABLES:
            raise DeltaError(f"the delta names a table that is not content: {table[:40]!r}")
        actual = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        if td.columns != actual or td.key != primary_key(conn, table):
            raise DeltaError(f"the delta's columns for {table} are not this schema's")
    where = {t: " AND ".join(f"{k} = ?" for k in td.key) for t, td in delta.tables.items()}
    kinds = search_index.DOC_TABLES
    for table, td in delta.tables.items():
        for key in td.deletes:
            _check(conn.execute(f"DELETE FROM {table} WHERE {where[table]}", key), f"no {table} row {key!r} to delete")
            if table in kinds:
                docs.add((kinds[table], key[0]))
        rows += len(td.deletes)
    for table, td in delta.tables.items():
        for key, changed in td.updates:
            if not changed or any(c not in td.columns or c in td.key for c in changed):
                raise DeltaError(f"the delta has an empty, unknown or key column update in {table}")
            sets = ", ".join(f"{c} = ?" for c in changed)
            cur = conn.execute(f"UPDATE {table} SET {sets} WHERE {where[table]}", (*changed.values(), *key))
            _check(cur, f"no {table} row {key!r} to update")
            if table in kinds:
                docs.add((kinds[table], key[0]))
        rows += len(td.updates)
    for table, td in delta.tables.items():
        if not td.inserts:
            continue
        marks = ",".join("?" * len(td.columns))
        sql = f"INSERT INTO {table} ({', '.join(td.columns)}) VALUES ({marks})"
        try:
            conn.executemany(sql, td.inserts)
        except sqlite3.IntegrityError as exc:
            raise DeltaError(f"the delta does not fit this base: inserting into {table}: {exc}") from None
        if table in kinds:
            id_idx = td.columns.index("id")
            docs.update((kinds[table], row[id_idx]) for row in td.inserts)
        rows += len(td.inserts)
    return rows, docs


def _touched(delta: Delta) -> Keys:
    """The keys of the rows a delta deletes, updates or inserts, per table."""
    out: Keys = {}
    for table, td in delta.tables.items():
        key_idx = [td.columns.index(k) for k in td.key]
        keys = {tuple(k) for k in td.deletes} | {tuple(k) for k, _ in td.updates}
        keys |= {tuple(row[i] for i in key_idx) for row in td.inserts}
        out[table] = keys
    return out


def rows_by_key(conn: sqlite3.Connection, table: str, columns: list[str], key: list[str], keys: Any) -> list[Row]:
    """The rows of ``table`` with the given key values (those that exist), whole, in declared column order."""
    where = " AND ".join(f"{k} = ?" for k in key)
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {where}"
    return [row for k in keys for row in conn.execute(sql, tuple(k)).fetchall()]


def _rehash(conn: sqlite3.Connection, delta: Delta, hashes: RowHashes, sign: int) -> None:
    """Take out (``sign`` -1, before writing) or put in (+1, after) the hashes of the rows a delta touches.

    A row taken out must be one of the base's: otherwise the saved hashes are not this base's.
    """
    for table, keys in _touched(delta).items():
        td = delta.tables[table]
        counts = hashes.tables[table]
        for h in row_hashes_of(rows_by_key(conn, table, td.columns, td.key, keys)):
            if sign < 0:
                if counts[h] <= 0:
                    raise DeltaError("the base does not hold the rows this delta changes; refused")
                counts[h] -= 1
                if not counts[h]:
                    del counts[h]
            else:
                counts[h] += 1


def apply_delta(
    base_db: Path,
    delta: Delta,
    out_db: Path,
    *,
    base_digest: ContentDigest | None = None,
    expected_digest: str | None = None,
    base_hashes: RowHashes | None = None,
) -> ApplyResult:
    """Write ``out_db`` (a new file) = ``base_db`` + ``delta``, proven to have ``delta.to_digest``.

    The base is only read. The result is built in a sibling ``.partial-*`` file in one
    transaction, its search index is updated for the changed documents only, and its
    content digest must equal the delta's (and ``expected_digest``, the one a signed
    release states, when given) before the file is flushed and renamed to ``out_db``.
    ``base_digest`` is the base's digest when the caller already knows it (a kiosk keeps
    its installed version's); otherwise it is computed. With ``base_hashes`` (the base's
    row hashes, whose digest ``base_digest`` is when both are given) the new digest is
    worked out from the hashes of the touched rows alone, and returned with the new
    version's hashes; without, the touched tables are hashed again whole. Any failure raises
    :class:`DeltaError` with one plain line and leaves no ``out_db``; a process killed
    mid-way leaves at most the ``.partial-*`` file, which the caller's clean-up removes.
    """
    base_db, out_db = Path(base_db), Path(out_db)
    if expected_digest is not None and delta.to_digest != expected_digest:
        raise DeltaError("the delta leads to other content than the release states; refused")
    if delta.schema_version != CONTENT_SCHEMA_VERSION:
        raise DeltaError(
            f"the delta is for content schema {delta.schema_version}, this kiosk reads {CONTENT_SCHEMA_VERSION}"
        )
    if out_db.exists():
        raise DeltaError(f"{out_db.name} already exists; a delta writes a new database")
    if _key_media(delta.media) != _key_media(_inserted_media(delta)):
        # the rows are proven by the digest; the list must be what they say, or a blob could go missing
        raise DeltaError("the delta's media list does not match its media rows; refused")
    tmp = out_db.with_name(f"{out_db.name}.partial-{secrets.token_hex(4)}")
    ok = False
    try:
        _copy_file(base_db, tmp)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = MEMORY")  # a killed apply leaves a partial file, never a base
            conn.execute("PRAGMA synchronous = OFF")  # flushed once, below, before the rename
            hashes = base_hashes.copy() if base_hashes is not None else None
            if hashes is not None:
                before = base_digest if base_digest is not None else hashes.digest()
            else:
                before = base_digest if base_digest is not None else content_digest(conn)
            if before.value != delta.from_digest:
                raise DeltaError(
                    f"the base content (version {_content_version(conn)}) is not the version this delta starts "
                    f"from ({delta.from_version}); refused"
                )
            conn.execute("BEGIN IMMEDIATE")
            try:
                if hashes is not None:
                    _rehash(conn, delta, hashes, -1)
                rows, docs = _write_rows(conn, delta)
                documents = search_index.update_documents(conn, docs)
                if hashes is not None:
                    _rehash(conn, delta, hashes, +1)
                    hashes.schema = schema_digest(conn)
                    after = hashes.digest(only=delta.tables, reuse=before)
                else:
                    after = content_digest(conn, reuse=before, changed=delta.tables)
            except (sqlite3.Error, OverflowError, TypeError, ValueError) as exc:
                conn.execute("ROLLBACK")
                raise DeltaError(f"the delta could not be applied: {str(exc)[:200]}") from None
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if after.value != delta.to_digest:
                conn.execute("ROLLBACK")
                raise DeltaError("the result does not match the published version's content digest; refused")
            conn.execute("COMMIT")
        finally:
            conn.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.rename(tmp, out_db)
        with contextlib.suppress(OSError):
            dir_fd = os.open(out_db.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        ok = True
        return ApplyResult(rows, documents, list(delta.media), after, hashes, _touched(delta))
    except OSError as exc:
        raise DeltaError(f"could not write {out_db.name}: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:
        raise DeltaError(f"the base is not a content database this kiosk reads: {str(exc)[:200]}") from None
    finally:
        if not ok:
            tmp.unlink(missing_ok=True)


# --- the operator's view of two packs ---------------------------------------------------------


def diff_packs(old: Path, new: Path) -> dict[str, Any]:
    """What changes from pack ``old`` to pack ``new``: rows per table, new media, update size as rows.

    Both packs' structure and content database hashes are checked (not their signatures:
    this is an operator's question about two files they hold).
    """
    with tempfile.TemporaryDirectory(prefix="kiosk-diff-") as tmp:
        dbs = []
        new_media: set[str] = set()
        media_sizes: dict[str, int] = {}
        db_size = 0
        try:
            for n, pack in enumerate((old, new)):
                with PackReader(pack) as reader:
                    manifest = reader.manifest()
                    reader.check_structure(manifest)
                    dest = Path(tmp) / f"{n}.db"
                    with open(dest, "wb") as fh:
                        reader.copy_verified(manifest.files[CONTENT_DB], fh)
                    dbs.append(sqlite3.connect(dest))
                    media = {name for name in manifest.files if name != CONTENT_DB}
                    new_media = media - new_media if n else media
                    db_size = manifest.files[CONTENT_DB].size
                    media_sizes = {name: e.size for name, e in manifest.files.items()}
            changes = diff(dbs[0], dbs[1])
        finally:
            for conn in dbs:
                conn.close()
    rows_bytes = len(encode(changes))
    return {
        "tables": summary(changes),
        "new_media": len(new_media),
        "new_media_bytes": sum(media_sizes[m] for m in new_media),
        "row_delta_bytes": rows_bytes,
        "new_content_db_bytes": db_size,
        "row_delta_ratio": round(rows_bytes / max(db_size, 1), 5),
    }
