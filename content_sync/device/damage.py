"""Telling a damaged database from a healthy one, in plain words, and moving it aside.

A power cut, a worn SD card or a full disk can leave ``content.db`` or ``device.db``
truncated, zero-filled or half written. SQLite then raises ``DatabaseError`` with words
like "file is not a database" the first time a query touches the bad page, which used to
end the kiosk a second after start and give the operator a traceback. Here every such file
is looked at once, before use, and described as a :class:`Damage` an operator can act on;
a repair moves the damaged file aside as ``NAME.damaged-STAMP`` (never deletes it) so
someone can look at it later.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import DISK_FULL, DamagedStoreError, is_disk_full
from .layout import DataDir

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100
CONTENT_WHAT = "content database"
DEVICE_WHAT = "device database"
REPAIR_ADVICE = "install a good pack with 'kiosk-pack install' to repair it"
# The files SQLite keeps next to a database; they move aside with it.
SIDE_FILES = ("-wal", "-shm", "-journal")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Damage:
    """What is wrong with one file, in words an operator can act on."""

    path: Path
    what: str  # "content database", "device database"
    reason: str

    def __str__(self) -> str:
        return f"the {self.what} {self.path} is damaged: {self.reason}"

    def error(self, advice: str = "") -> DamagedStoreError:
        message = f"{self}; {advice}" if advice else str(self)
        return DamagedStoreError(message, path=str(self.path), reason=self.reason)


def plain_sqlite_error(exc: BaseException) -> str:
    """SQLite's and the OS's wording for a failure to read a database, said plainly."""
    if is_disk_full(exc):
        return DISK_FULL
    if isinstance(exc, PermissionError) or (isinstance(exc, OSError) and exc.errno == errno.EACCES):
        return "it cannot be read (permission denied)"
    if isinstance(exc, OSError):
        return f"it cannot be read ({exc.strerror or exc})"
    text = str(exc).lower()
    if "not a database" in text:
        return "it is not a readable SQLite database (its header is damaged)"
    if "malformed" in text or "corrupt" in text:
        return "some of its pages are damaged"
    if "unable to open" in text:
        return "it cannot be opened"
    if "disk i/o error" in text:
        return "the disk reported an error while reading it"
    if "no such table" in text or "no such column" in text:
        return "tables are missing from it"
    if "readonly" in text or "read-only" in text:
        return "it is on a read-only disk"
    return f"SQLite cannot read it ({exc})"


def _header_problem(path: Path, size: int, header: bytes, has_wal: bool) -> str | None:
    """Problems the first 100 bytes show without asking SQLite."""
    if size == 0:
        return "it is empty (0 bytes)"
    if not header.strip(b"\x00"):
        return "it starts with zeros (what was written never reached the disk)"
    if not header.startswith(SQLITE_MAGIC):
        return "it is not a SQLite database (its first bytes are something else)"
    if len(header) < HEADER_SIZE:
        return f"it is truncated ({size} bytes, less than a database header)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return "its header is damaged (impossible page size)"
    if size % page_size and not has_wal:
        return f"it is truncated ({size} bytes is not a whole number of {page_size}-byte pages)"
    pages = int.from_bytes(header[28:32], "big")
    valid = header[24:28] == header[92:96]  # the in-header size counts only when these agree
    if valid and pages and size < pages * page_size and not has_wal:
        return f"it is truncated ({size} bytes of {pages * page_size})"
    return None


def _has_wal(path: Path) -> bool:
    """Whether a non-empty write-ahead log sits beside ``path``.

    Another connection closing removes the log at any moment (the kiosk and its sync agent
    share device.db), so it is looked at once, and a log that has just gone counts as none.
    """
    try:
        st = os.stat(path.with_name(path.name + "-wal"))
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size > 0


def inspect_file(path: Path, what: str) -> Damage | None:
    """Checks that need no SQLite: kind of file, permission, size, header (None: looks fine).

    A missing file is not damage here; the caller knows whether it must exist.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Damage(path, what, plain_sqlite_error(exc))
    if stat.S_ISDIR(st.st_mode):
        return Damage(path, what, "it is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        return Damage(path, what, "it is not a regular file")
    try:
        with open(path, "rb") as fh:
            header = fh.read(HEADER_SIZE)
    except OSError as exc:
        return Damage(path, what, plain_sqlite_error(exc))
    has_wal = _has_wal(path)
    problem = _header_problem(path, st.st_size, header, has_wal)
    return Damage(path, what, problem) if problem else None


def inspect_database(path: Path, what: str, *, thorough: bool = False, immutable: bool = False) -> Damage | None:
    """:func:`inspect_file`, then SQLite reads the schema (and every page's structure if ``thorough``).

    ``immutable`` for a file nothing writes (an installed content version): no locks, no journal.
    ``thorough`` runs ``PRAGMA quick_check``, which reads every page: what finds a zeroed page
    in the middle of the file.
    """
    path = Path(path)
    found = inspect_file(path, what)
    if found is not None or not path.exists():
        return found
    mode = "ro&immutable=1" if immutable else "ro"
    try:
        conn = sqlite3.connect(f"file:{path.as_posix()}?mode={mode}", uri=True)
    except sqlite3.Error as exc:
        return Damage(path, what, plain_sqlite_error(exc))
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        if thorough:
            rows = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
            if rows != ["ok"]:
                return Damage(path, what, f"some of its pages are damaged ({'; '.join(map(str, rows))[:200]})")
    except sqlite3.Error as exc:
        return Damage(path, what, plain_sqlite_error(exc))
    finally:
        conn.close()
    return None


def stamp_of(moment: dt.datetime) -> str:
    """A file-name-safe UTC stamp: 20261204T142233Z."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def move_aside(path: Path, clock: Callable[[], dt.datetime] = _utcnow, *, into: Path | None = None) -> Path | None:
    """Rename a damaged file (and its -wal, -shm, -journal) to ``NAME.damaged-STAMP``; never delete it.

    ``into`` puts it in another folder of the same file system (an installed version's folder
    is removed once it is no longer current). Returns the new path, or None if there was nothing.
    """
    path = Path(path)
    if not os.path.lexists(path):
        return None
    folder = Path(into) if into is not None else path.parent
    base = f"{path.name}.damaged-{stamp_of(clock())}"
    target = folder / base
    n = 1
    while os.path.lexists(target):
        n += 1
        target = folder / f"{base}-{n}"
    os.replace(path, target)
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if os.path.lexists(side):
            os.replace(side, target.with_name(target.name + suffix))
    return target


def writable(folder: Path) -> bool:
    """Whether files can be made in ``folder`` (a read-only mount says no even to root)."""
    folder = Path(folder)
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return os.access(folder, os.W_OK)


def content_schema_problem(data: DataDir) -> str | None:
    """Why the installed content cannot be read by this software although it is whole: it was made
    for another content schema (kiosk software updated over old content). None: it can, or none is
    installed, or it is damaged (:func:`store_damage` says that)."""
    from ..pack.schema import schema_version_problem

    pointer = data.read_pointer()
    if pointer is None:
        return None
    db = data.version_db(pointer.current)
    try:
        conn = sqlite3.connect(f"file:{db.as_posix()}?mode=ro&immutable=1", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return schema_version_problem(version)


def store_damage(data: DataDir, *, thorough: bool = True) -> list[Damage]:
    """Every damaged file of a kiosk's store: the pointer, the current content database, the device database."""
    found: list[Damage] = []
    pointer = data.read_pointer()
    if pointer is None and os.path.lexists(data.pointer_path):
        found.append(Damage(data.pointer_path, "content pointer", "it cannot be read as the installed version's name"))
    if pointer is not None:
        db = data.version_db(pointer.current)
        if not os.path.lexists(db):
            found.append(Damage(db, CONTENT_WHAT, "it is missing"))
        else:
            damage = inspect_database(db, CONTENT_WHAT, thorough=thorough, immutable=True)
            if damage is not None:
                found.append(damage)
    # A folder that cannot be written has no -shm to share: read the file as it is on disk.
    damage = inspect_database(data.device_db, DEVICE_WHAT, thorough=thorough, immutable=not writable(data.root))
    if damage is not None:
        found.append(damage)
    return found
