"""Reading one value of the device's sync state cheaply, for screens that ask often.

Apart from :mod:`content_sync.device.state` so the kiosk's first screen does not load the whole
device-state module (schema, migrations, install log) to show the weather.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


class SyncStateReader:
    """A value from ``sync_state`` for a screen that asks often (the status strip, at every tap).

    The database is read again only when it or its write-ahead log changed on disk (a stat
    of each), and never created, migrated or written: the sync agent owns those steps.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._wal = self.path.with_name(self.path.name + "-wal")
        self._signature: tuple[tuple[int, int] | None, ...] = ()
        self._values: dict[str, Any] = {}

    @staticmethod
    def _stat(path: Path) -> tuple[int, int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def get(self, key: str, default: Any = None) -> Any:
        signature = (self._stat(self.path), self._stat(self._wal))
        if signature != self._signature:
            self._signature, self._values = signature, {}
        if key not in self._values:
            self._values[key] = self._read(key) if signature[0] is not None else None
        value = self._values[key]
        return default if value is None else value

    def _read(self, key: str) -> Any:
        conn = sqlite3.connect(self.path, timeout=2, isolation_level=None)
        try:
            row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None  # not set up yet: nothing synced
        finally:
            conn.close()
        return json.loads(row[0]) if row else None
