"""Durability on disk: the fsync, syncfs and writeback calls every writer shares.

A kiosk loses power without warning; anything that must survive it (a pack, a pointer,
an outbox row) is flushed through these helpers, which degrade to no-ops where a
platform lacks a call rather than fail.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def fsync_file(path: Path) -> None:
    """Flush one file's data to disk (before it is renamed into place)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
