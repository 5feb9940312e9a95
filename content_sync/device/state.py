"""Device state: what belongs to this kiosk and survives every content pack.

Settings, trusted signing keys, sync state, an outbox of usage events and feedback waiting
for upload, and a log of installs. Kept apart from the content database, which a pack
replaces wholesale, and migrated forward step by step (``PRAGMA user_version``).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import (
    DISK_FULL,
    DamagedStoreError,
    DiskFullError,
    KioskError,
    ReadOnlyStoreError,
    StoreError,
    is_disk_full,
)
from .damage import DEVICE_WHAT, Damage, inspect_file, move_aside, plain_sqlite_error, writable

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
    # 2: the outbox's events get a unique id the platform de-duplicates on (content_sync.device.outbox),
    # their size (for the storage budget), the visitor's contact apart from the event (erased with the
    # row once delivered), a refusal; old usage events fold into daily counts, themselves sent as events.
    """
    ALTER TABLE outbox ADD COLUMN event_id TEXT;
    UPDATE outbox SET event_id = lower(hex(randomblob(16))) WHERE event_id IS NULL;
    CREATE UNIQUE INDEX outbox_event_id ON outbox (event_id);
    ALTER TABLE outbox ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
    UPDATE outbox SET size = length(payload);
    ALTER TABLE outbox ADD COLUMN contact TEXT;
    ALTER TABLE outbox ADD COLUMN rejected TEXT;
    CREATE INDEX outbox_kind ON outbox (kind, id);
    CREATE TABLE daily_counts (
        event_id TEXT PRIMARY KEY,
        day TEXT NOT NULL,
        type TEXT NOT NULL,
        subject TEXT NOT NULL,
        count INTEGER NOT NULL,
        total REAL NOT NULL DEFAULT 0,
        visits INTEGER NOT NULL DEFAULT 0,
        sealed INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX daily_counts_open ON daily_counts (day, type, subject) WHERE sealed = 0
    """,
)
DEVICE_SCHEMA_VERSION = len(MIGRATIONS)
DEVICE_ADVICE = "'kiosk-pack install' of a good pack or 'kiosk-pack trust add' recreates it"
NO_KEYS_ADVICE = "no trusted key could be read back: run 'kiosk-pack trust add KEY.pub' before installing"
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
    """One kiosk's state database; open, use, close (or use as a context manager).

    A damaged file raises :class:`DamagedStoreError` in plain words (see
    :func:`open_device_state` to repair it), a full disk :class:`DiskFullError`, a read-only
    data folder :class:`ReadOnlyStoreError` unless opened with ``readonly=True``.
    """

    def __init__(
        self, path: Path, clock: Callable[[], str] = _now, *, readonly: bool = False, _whole: bool = True
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.readonly = readonly
        if _whole and not readonly and not os.path.lexists(self.path) and writable(self.path.parent):
            self._create_whole()
        damage = inspect_file(self.path, DEVICE_WHAT)
        if damage is not None:
            raise damage.error(DEVICE_ADVICE)
        if not readonly and not writable(self.path.parent):
            raise ReadOnlyStoreError(
                f"the data folder {self.path.parent} is read-only: the device database cannot be written"
            )
        try:
            if readonly:
                self.conn = _connect_readonly(self.path)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # Not bound to one thread: the kiosk's outbox is written by one worker and read by
                # another, always under its own lock (content_sync.device.outbox).
                self.conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = FULL")
                # A delivered visitor's contact is overwritten on disk, not only unlinked from the tree.
                self.conn.execute("PRAGMA secure_delete = ON")
            # Every page's structure, once per open: the file is small, and a page zeroed by a
            # power cut is found here rather than by the query that happens to touch it.
            checked = [row[0] for row in self.conn.execute("PRAGMA quick_check(3)")]
            if checked != ["ok"]:
                self.conn.close()
                reason = f"some of its pages are damaged ({'; '.join(map(str, checked))[:200]})"
                raise Damage(self.path, DEVICE_WHAT, reason).error(DEVICE_ADVICE)
            if not readonly:
                self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise self._plain(exc) from None

    def _create_whole(self) -> None:
        """Make a new device database beside its place, then link it in with its schema written.

        SQLite creates a file empty and writes its header later; a reader on another thread
        (the kiosk's sync agent beside its recorder) or a power cut in between would find a
        0-byte ``device.db``, which reads as damage. Linked in whole, it is either absent or
        complete; if another writer linked one in first, that one is kept.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fresh = self.path.with_name(f".{self.path.name}.new-{uuid.uuid4().hex}")
            try:
                DeviceState(fresh, self.clock, _whole=False).close()
                fd = os.open(fresh, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                try:
                    os.link(fresh, self.path)
                except FileExistsError:
                    pass  # another writer's complete database is in place: it is kept
                except OSError:  # a file system without hard links: a rename (it replaces nothing there)
                    if not os.path.lexists(self.path):
                        os.rename(fresh, self.path)
            finally:
                for leftover in (fresh, fresh.with_name(fresh.name + "-wal"), fresh.with_name(fresh.name + "-shm")):
                    with suppress(FileNotFoundError):
                        os.unlink(leftover)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise self._plain(exc) from None

    def _plain(self, exc: BaseException) -> KioskError:
        """A failure of this database as a typed error with a plain message."""
        if is_disk_full(exc):
            return DiskFullError(f"{DISK_FULL}: the device database {self.path} cannot be written")
        text = str(exc).lower()
        if (
            (isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM))
            or "readonly" in text
            or "read-only" in text
        ):
            return ReadOnlyStoreError(
                f"the data folder {self.path.parent} is read-only: the device database cannot be written"
            )
        if isinstance(exc, KioskError):
            return exc
        return Damage(self.path, DEVICE_WHAT, plain_sqlite_error(exc)).error(DEVICE_ADVICE)

    def __enter__(self) -> DeviceState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                with suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            with suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise self._plain(exc) from None

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
        """A raw row (tests, tools); the kiosk records through :class:`content_sync.device.outbox.Outbox`."""
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO outbox (kind, payload, created_at, event_id, size) VALUES (?, ?, ?, ?, ?)",
                (kind, text, self.clock(), uuid.uuid4().hex, len(text.encode())),
            )
            return int(cur.lastrowid or 0)

    def outbox(self, limit: int = 100) -> list[tuple[int, str, dict[str, Any]]]:
        rows = self.conn.execute("SELECT id, kind, payload FROM outbox ORDER BY id LIMIT ?", (limit,))
        return [(i, k, json.loads(p)) for i, k, p in rows]

    def outbox_count(self) -> int:
        """Events waiting for upload: outbox rows and daily counts (the operator's "N waiting")."""
        waiting = int(self.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        with suppress(sqlite3.OperationalError):  # a database of schema 1, read without migrating
            waiting += int(self.conn.execute("SELECT COUNT(*) FROM daily_counts").fetchone()[0])
        return waiting

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


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """Read a device database in a folder that cannot be written.

    ``mode=ro`` still needs the -shm file of a database in WAL mode; without one (a read-only
    folder after a clean shutdown) it is read as ``immutable``, which needs nothing written.
    """
    if not path.exists():
        raise StoreError(f"there is no device database at {path} and the data folder is read-only")
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    return sqlite3.connect(f"file:{path.as_posix()}?mode=ro&immutable=1", uri=True, isolation_level=None)


@dataclass(frozen=True)
class Salvage:
    """What could still be read from a damaged device database."""

    keys: list[str]  # public key lines
    labels: dict[str, tuple[str, str]]  # key line -> (label, added_at)
    settings: dict[str, str]  # raw JSON values


def salvage(path: Path) -> Salvage:
    """Read back trusted keys and settings, row by row, as far as the damage allows."""
    keys: list[str] = []
    labels: dict[str, tuple[str, str]] = {}
    settings: dict[str, str] = {}
    for mode in ("ro", "ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"file:{Path(path).as_posix()}?mode={mode}", uri=True)
        except sqlite3.Error:
            continue
        try:
            with suppress(sqlite3.Error):
                for line, label, added in conn.execute("SELECT public_key, label, added_at FROM trusted_keys"):
                    if isinstance(line, str) and line not in labels:
                        keys.append(line)
                        labels[line] = (str(label), str(added))
            with suppress(sqlite3.Error):
                for key, value in conn.execute("SELECT key, value FROM settings"):
                    if isinstance(key, str) and isinstance(value, str):
                        settings.setdefault(key, value)
        finally:
            conn.close()
        if keys:
            break
    return Salvage(keys, labels, settings)


def open_device_state(
    path: Path,
    clock: Callable[[], str] = _now,
    *,
    aside_clock: Callable[[], dt.datetime] | None = None,
) -> tuple[DeviceState, str | None]:
    """Open the device database, repairing a damaged one: (state, what was done or None).

    The damaged file is moved aside as ``device.db.damaged-STAMP`` (never deleted), a new one
    is made, and the trusted keys and settings that can still be read are carried over. When
    no key could be read, the note says to run ``kiosk-pack trust add``.
    """
    try:
        return DeviceState(path, clock), None
    except DamagedStoreError as exc:
        reason = exc.reason
    found = salvage(path)
    moved = move_aside(path, aside_clock or (lambda: dt.datetime.now(dt.UTC)))
    state = DeviceState(path, clock)
    try:
        from ..pack.signing import PublicKey  # cryptography is only needed to check packs

        kept = 0
        for line in found.keys:
            try:
                key = PublicKey.from_line(line)
            except Exception:  # a half-written row: skip it, the operator adds the key again
                continue
            label, added = found.labels[line]
            with state._tx() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO trusted_keys (key_id, public_key, label, added_at) VALUES (?, ?, ?, ?)",
                    (key.key_id, key.to_line().strip(), label, added),
                )
            kept += 1
        for key_name, value in found.settings.items():
            with suppress(ValueError):
                state.set(key_name, json.loads(value))
    except BaseException:
        state.close()
        raise
    note = f"the device database was damaged ({reason}); it was moved aside to {moved} and made anew"
    if kept:
        note += f", with {kept} trusted key(s) and {len(found.settings)} setting(s) read back"
    else:
        note += f"; {NO_KEYS_ADVICE}"
    with suppress(KioskError):
        state.log_install(str(moved), None, None, False, note)
    return state, note
