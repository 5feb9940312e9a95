"""Device state: what belongs to this kiosk and survives every content pack.

Settings, trusted signing keys, sync state, an outbox of usage events and feedback waiting
for upload, and a log of installs. Kept apart from the content database, which a pack
replaces wholesale, and migrated forward step by step (``PRAGMA user_version``).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import StoreError

if TYPE_CHECKING:
    from ..pack.signing import PublicKey

# Each entry moves the schema from version i to i + 1. Never edit a released step: append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE trusted_keys (
        key_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        label TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE TABLE install_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        source TEXT NOT NULL,
        pack_id TEXT,
        content_version INTEGER,
        ok INTEGER NOT NULL,
        message TEXT NOT NULL
    );
    """,
)
DEVICE_SCHEMA_VERSION = len(MIGRATIONS)
MAX_LOG_ROWS = 1000


@dataclass(frozen=True)
class InstallRecord:
    at: str
    source: str
    pack_id: str | None
    content_version: int | None
    ok: bool
    message: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class DeviceState:
    """One kiosk's state database; open, use, close (or use as a context manager)."""

    def __init__(self, path: Path, clock: Callable[[], str] = _now) -> None:
        self.path = Path(path)
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the device state database {self.path} cannot be opened: {exc}") from None

    def __enter__(self) -> DeviceState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > DEVICE_SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by newer kiosk software (schema {version}, this one knows "
                f"{DEVICE_SCHEMA_VERSION}); update the software instead of deleting the file"
            )
        for step in range(version, DEVICE_SCHEMA_VERSION):
            with self._tx() as conn:
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step + 1}")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # settings -----------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set(self, key: str, value: Any) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value, ensure_ascii=False)),
            )

    # trusted keys ---------------------------------------------------------------------
    def trust(self, key: PublicKey) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO trusted_keys (key_id, public_key, label, added_at) VALUES (?, ?, ?, ?)",
                (key.key_id, key.to_line().strip(), key.label, self.clock()),
            )

    def distrust(self, key_id: str) -> bool:
        with self._tx() as conn:
            return conn.execute("DELETE FROM trusted_keys WHERE key_id = ?", (key_id,)).rowcount > 0

    def trusted_keys(self) -> list[PublicKey]:
        from ..pack.signing import PublicKey  # cryptography is only needed to check packs

        return [PublicKey.from_line(line) for (line,) in self.conn.execute("SELECT public_key FROM trusted_keys")]

    # sync state and outbox -------------------------------------------------------------
    def set_sync(self, key: str, value: Any) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO sync_state (key, value, updated_at) VALUES (?, ?, ?)",
                (key, json.dumps(value, ensure_ascii=False), self.clock()),
            )

    def enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?)",
                (kind, json.dumps(payload, ensure_ascii=False, sort_keys=True), self.clock()),
            )
            return int(cur.lastrowid or 0)

    def outbox(self, limit: int = 100) -> list[tuple[int, str, dict[str, Any]]]:
        rows = self.conn.execute("SELECT id, kind, payload FROM outbox ORDER BY id LIMIT ?", (limit,))
        return [(i, k, json.loads(p)) for i, k, p in rows]

    def outbox_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def acknowledge(self, ids: list[int]) -> None:
        with self._tx() as conn:
            conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    # install log ----------------------------------------------------------------------
    def log_install(self, source: str, pack_id: str | None, version: int | None, ok: bool, message: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO install_log (at, source, pack_id, content_version, ok, message) VALUES (?, ?, ?, ?, ?, ?)",
                (self.clock(), source, pack_id, version, int(ok), message),
            )
            conn.execute("DELETE FROM install_log WHERE id <= (SELECT MAX(id) FROM install_log) - ?", (MAX_LOG_ROWS,))

    def install_log(self, limit: int = 20) -> list[InstallRecord]:
        rows = self.conn.execute(
            "SELECT at, source, pack_id, content_version, ok, message FROM install_log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [InstallRecord(a, s, p, v, bool(ok), m) for a, s, p, v, ok, m in rows]
