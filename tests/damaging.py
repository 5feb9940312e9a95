"""Ways a power cut, a worn SD card or a careless hand damage a SQLite file, done for real to a real file.

Shared by the library, CLI and kiosk tests of damaged stores (issue 11, item 6). Each function
takes the database's path and damages it in place; nothing here is a mock.
"""

from __future__ import annotations

import ctypes
import os
import random
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def page_size(path: Path) -> int:
    raw = int.from_bytes(path.read_bytes()[16:18], "big")
    return 65536 if raw == 1 else raw


def truncate(path: Path) -> None:
    """Cut mid-page, as a write that never finished."""
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(size // 2 + 100)


def truncate_pages(path: Path) -> None:
    """Cut on a page boundary: the header still counts the pages that are gone."""
    with open(path, "r+b") as fh:
        fh.truncate(2 * page_size(path))


def _zero_page(path: Path, number: int) -> None:
    size = page_size(path)
    with open(path, "r+b") as fh:
        fh.seek((number - 1) * size)
        fh.write(b"\x00" * size)


def zero_first_page(path: Path) -> None:
    _zero_page(path, 1)


def zero_middle_page(path: Path) -> None:
    """A page in the middle: only reading every page (quick_check) finds it."""
    pages = path.stat().st_size // page_size(path)
    _zero_page(path, max(2, pages // 2))


def bad_header(path: Path) -> None:
    """The magic string is right, the page size in the header is impossible (a torn first sector)."""
    with open(path, "r+b") as fh:
        fh.seek(16)
        fh.write((3).to_bytes(2, "big"))


def zero_filled(path: Path) -> None:
    """The whole file zeros: the size reached the disk, the data never did."""
    size = path.stat().st_size
    path.write_bytes(b"\x00" * size)


def garbage(path: Path) -> None:
    size = path.stat().st_size
    path.write_bytes(random.Random(11).randbytes(size))


def folder(path: Path) -> None:
    """Not a file at all (a restore gone wrong)."""
    path.unlink()
    path.mkdir()
    (path / "stray").write_text("x")


def unreadable(path: Path) -> None:
    """No read permission. Root reads anyway: the code under test runs :func:`without_root_powers`."""
    path.chmod(0)


_CAPABILITY_VERSION_3 = 0x20080522
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _file_powers(keep: bool | None) -> int:
    """Drop root's file powers from this thread's effective capabilities (``keep`` False), raise them
    again from the permitted set (True), or only read them (None); returns the effective set before."""
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _CapHeader(_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    before = int(data[0].effective)
    powers = (1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH)
    if keep is not None:
        data[0].effective = (before | (data[0].permitted & powers)) if keep else (before & ~powers)
        if libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capset failed")
    return before


def drop_root_powers() -> None:
    """For a whole child process (call it before any thread starts): files are met as any user meets them.

    A kiosk runs as an ordinary user; a test kiosk started as root (CI) otherwise reads what it could not.
    """
    if is_root():
        _file_powers(keep=False)


@contextmanager
def without_root_powers() -> Iterator[None]:
    """This thread meets file permissions as any user does, even as root (CI runs as root).

    Root's power to read and write any file is two capabilities (capabilities(7)); they leave this
    thread's effective set (and threads it starts) for the block, and come back from its permitted set.
    A file without read permission is then refused as on a kiosk whose files another user copied.
    """
    if not is_root():
        yield
        return
    _file_powers(keep=False)
    try:
        yield
    finally:
        _file_powers(keep=True)


def read_anyway(path: Path) -> bytes:
    """A file's bytes even without read permission (its owner may lend it back for the read)."""
    mode = path.stat().st_mode
    if os.access(path, os.R_OK):
        return path.read_bytes()
    path.chmod(mode | 0o400)
    try:
        return path.read_bytes()
    finally:
        path.chmod(mode)


def stale_journal(path: Path) -> None:
    """A rollback journal left by a crash, with garbage in it: SQLite must not be fooled by it."""
    path.with_name(path.name + "-journal").write_bytes(random.Random(7).randbytes(3000))


def lose_wal(path: Path) -> None:
    """Commit a write that stays in the write-ahead log, then lose the -wal (keep the -shm)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode == "wal":
            conn.execute("CREATE TABLE IF NOT EXISTS lost_in_wal (x)")
            conn.execute("INSERT INTO lost_in_wal VALUES (1)")
            wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
            kept = shm.read_bytes() if shm.exists() else None
            copy = path.with_name(path.name + ".copy")
            shutil.copyfile(path, copy)  # the main file as the power cut left it
    finally:
        conn.close()
    if mode == "wal":
        os.replace(copy, path)
        wal.unlink(missing_ok=True)
        if kept is not None:
            shm.write_bytes(kept)


# Kinds that make the file unusable, and kinds SQLite survives (the store must still open).
DAMAGING: dict[str, Callable[[Path], None]] = {
    "truncate": truncate, "truncate-pages": truncate_pages, "zero-first-page": zero_first_page,
    "zero-middle-page": zero_middle_page, "bad-header": bad_header, "zero-filled": zero_filled,
    "garbage": garbage, "folder": folder, "unreadable": unreadable,
}  # fmt: skip
HARMLESS: dict[str, Callable[[Path], None]] = {"stale-journal": stale_journal, "lose-wal": lose_wal}


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextmanager
def mounted(kind: str, target: Path, options: str, source: str = "tmpfs") -> Iterator[bool]:
    """Mount for the test's life (root only); yields False where mounting is impossible."""
    target.mkdir(parents=True, exist_ok=True)
    if not is_root() or shutil.which("mount") is None:
        yield False
        return
    args = (
        ["mount", "-t", kind, "-o", options, source, str(target)]
        if kind
        else ["mount", "-o", options, source, str(target)]
    )
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


@contextmanager
def read_only_view(folder: Path, view: Path) -> Iterator[bool]:
    """``view`` shows ``folder`` read-only: a bind mount as root, else the folder's write bits removed."""
    if is_root():
        with mounted("", view, "bind,ro", str(folder)) as ok:
            if ok:
                subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], capture_output=True)
            yield ok and not os.access(view, os.W_OK)
        return
    modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")] if p.is_dir()}
    for path in modes:
        path.chmod(0o555)
    view.symlink_to(folder)
    try:
        yield True
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def fill(folder: Path) -> None:
    """Fill the file system of ``folder`` to the last byte (ENOSPC for the next write)."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for size in (1 << 20, 65536, 4096, 512, 1):
            block = b"\xff" * size
            try:
                while True:
                    os.write(fd, block)
            except OSError:
                pass
    finally:
        os.close(fd)
