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
from dataclasses import dataclass, field
from typing import Any

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
