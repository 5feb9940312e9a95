"""Row-level differences between two content databases.

Packs are designed so that updates can travel as changed rows plus the media a kiosk does
not have yet: every content table has a stable primary key, media are named by hash,
and the search index is derived (rebuilt on the kiosk for the changed documents). A 1%
edit of a large database is a fraction of a percent of its bytes as rows, where a
block diff of a rebuilt SQLite file is most of the file. This module computes such a
delta; the sync protocol ships and applies it.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .manifest import CONTENT_DB
from .reader import PackReader
from .schema import CONTENT_TABLES, primary_key


@dataclass
class TableDelta:
    columns: list[str]
    key: list[str]
    upserts: list[tuple[Any, ...]] = field(default_factory=list)
    deletes: list[tuple[Any, ...]] = field(default_factory=list)


def _rows(conn: sqlite3.Connection, table: str, cols: str, key_idx: list[int]) -> dict[tuple, tuple]:
    return {tuple(r[i] for i in key_idx): tuple(r) for r in conn.execute(f"SELECT {cols} FROM {table}")}


def diff(old: sqlite3.Connection, new: sqlite3.Connection) -> dict[str, TableDelta]:
    """Rows to upsert and keys to delete, per table, to turn ``old`` into ``new``."""
    out: dict[str, TableDelta] = {}
    for table in CONTENT_TABLES:
        columns = [row[1] for row in new.execute(f"PRAGMA table_info({table})")]
        key = primary_key(new, table)
        cols = ", ".join(columns)
        key_idx = [columns.index(k) for k in key]

        before, after = _rows(old, table, cols, key_idx), _rows(new, table, cols, key_idx)
        delta = TableDelta(columns, key)
        delta.upserts = [row for k, row in after.items() if before.get(k) != row]
        delta.deletes = [k for k in before if k not in after]
        if delta.upserts or delta.deletes:
            out[table] = delta
    return out


def encode(delta: dict[str, TableDelta]) -> bytes:
    """A compact, line-oriented wire form (one JSON document per table)."""
    lines = [
        json.dumps(
            {"table": t, "columns": d.columns, "key": d.key, "upserts": d.upserts, "deletes": d.deletes},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for t, d in sorted(delta.items())
    ]
    return ("\n".join(lines) + "\n").encode() if lines else b""


def summary(delta: dict[str, TableDelta]) -> dict[str, dict[str, int]]:
    return {t: {"upserts": len(d.upserts), "deletes": len(d.deletes)} for t, d in sorted(delta.items())}


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
