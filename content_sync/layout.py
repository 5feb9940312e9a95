"""Where things live in a kiosk's data directory, in one place.

```
DATA_DIR/
  device.db                   device state (settings, keys, sync, outbox, install log)
  content/
    current.json              which version readers use; replaced atomically
    versions/<name>/content.db   one folder per installed content version (current, previous)
    media/<ab>/<sha256>.<ext>    media by hash, shared between versions
    .staging-*/               an install in progress (removed on recovery)
```
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POINTER_NAME = "current.json"


@dataclass(frozen=True)
class Pointer:
    current: str
    previous: str | None
    pack_id: str
    content_version: int
    installed_at: str

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=1, sort_keys=True).encode()


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def device_db(self) -> Path:
        return self.root / "device.db"

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def pointer_path(self) -> Path:
        return self.content / POINTER_NAME

    @property
    def versions(self) -> Path:
        return self.content / "versions"

    @property
    def media(self) -> Path:
        return self.content / "media"

    @property
    def lock_path(self) -> Path:
        return self.content / ".install.lock"

    def version_db(self, name: str) -> Path:
        return self.versions / name / "content.db"

    def media_path(self, pack_path: str) -> Path:
        """``media/<sha>.<ext>`` (the name inside a pack) -> its file on this kiosk."""
        name = pack_path.rsplit("/", 1)[-1]
        return self.media / name[:2] / name

    def read_pointer(self) -> Pointer | None:
        try:
            data = json.loads(self.pointer_path.read_bytes())
            return Pointer(
                str(data["current"]), data.get("previous"), str(data["pack_id"]),
                int(data["content_version"]), str(data["installed_at"]),
            )  # fmt: skip
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write_pointer(self, pointer: Pointer) -> None:
        """Atomic on POSIX and Windows: write a sibling, flush it to disk, rename over."""
        tmp = self.pointer_path.with_suffix(".json.tmp")
        with open(tmp, "wb") as fh:
            fh.write(pointer.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer_path)
        fsync_dir(self.content)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` survive a power cut (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _syncfs(path: Path) -> bool:
    """Linux syncfs(2): flush one filesystem in one call instead of one fsync per file."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        return syncfs(fd) == 0
    finally:
        os.close(fd)


_SYNC_FILE_RANGE_WRITE = 2
_sync_file_range: Any = None


def start_writeback(fd: int, offset: int = 0, length: int = 0) -> None:
    """Start writing a file's new pages to disk now, without waiting (Linux sync_file_range).

    Not a durability guarantee (the final sync is): it lets the disk work while the
    installer is still unpacking, so the sync at the end has little left to wait for.
    """
    global _sync_file_range
    if _sync_file_range is None:
        _sync_file_range = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                func = ctypes.CDLL(None, use_errno=True).sync_file_range
                func.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
                _sync_file_range = func
            except (OSError, AttributeError):
                pass
    if _sync_file_range:
        _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def start_writeback_of(path: Path) -> None:
    """:func:`start_writeback` for a whole file by name; errors are left to the final sync."""
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return
    try:
        start_writeback(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sync_files(paths: Sequence[str | os.PathLike[str]]) -> None:
    """Make many new files durable: one syncfs where there is one, else fsync each in parallel."""
    if not paths:
        return
    if sys.platform.startswith("linux") and _syncfs(Path(os.path.dirname(paths[0]) or ".")):
        return
    import concurrent.futures

    def fsync(path: str | os.PathLike[str]) -> None:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(fsync, paths))


def sync_dirs(paths: list[Path]) -> None:
    """Make renames and new entries in ``paths`` durable (one syncfs where there is one)."""
    if not paths:
        return
    if sys.platform.startswith("linux") and _syncfs(paths[0]):
        return
    for path in paths:
        fsync_dir(path)
