"""Errors that carry a message an operator can act on (never a traceback)."""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass


class KioskError(Exception):
    """Base for failures reported to an operator as one plain line."""


class PackError(KioskError):
    """A pack was refused; nothing installed changed."""


class InstallError(KioskError):
    """Installing failed after verification (disk full, I/O); nothing installed changed."""


class DiskFullError(InstallError):
    """The disk (or a database's size limit) is full: said as "disk full", never "disk I/O error"."""


class StoreError(KioskError):
    """The local store is missing or unreadable."""


class DamagedStoreError(StoreError):
    """A database of the store exists but cannot be read (a power cut, a bad disk): ``reason`` in plain words."""

    def __init__(self, message: str, *, path: str, reason: str) -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason


class ReadOnlyStoreError(StoreError):
    """The data folder cannot be written: content can be shown, nothing can be installed."""


DISK_FULL = "the disk is full"


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC/EDQUOT from the OS, or SQLite's SQLITE_FULL ("database or disk is full")."""
    if isinstance(exc, DiskFullError):
        return True
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code == 13 or "database or disk is full" in str(exc)  # 13: SQLITE_FULL
    return False


@dataclass(frozen=True)
class Problem:
    """One problem in a pack source, located by file and field."""

    file: str
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning" if self.warning else "error"
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{kind}: {where}: {self.message}"


class BuildError(KioskError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if not p.warning]
        super().__init__(f"{len(errors)} problem(s) in the pack source; nothing was written")
