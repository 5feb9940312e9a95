"""Check installed media against their hashes: bytes rot, and a damaged copy keeps its size.

The media store trusts names (``media/<ab>/<sha256>.<ext>``), and an install keeps a copy the
kiosk already has when it still hashes to its name. This module is the operator's way to
ask the same question without installing (``kiosk-pack info --verify``): every file of the
current version, or a random sample of them (the random source is passed in, so a caller
or a test decides what "random" means), hashed on a few threads.
"""

from __future__ import annotations

import concurrent.futures
import random
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.errors import StoreError
from ..pack.manifest import CHUNK, MEDIA_NAME_RE
from ..pack.reader import file_sha256
from .layout import DataDir

CHECK_WORKERS = 4  # threads hashing: the disk, not the CPU, is usually what they wait for


@dataclass(frozen=True)
class MediaFile:
    """One media file the installed content refers to, as its database lists it."""

    path: str  # the name inside the pack, ``media/<sha256>.<ext>``
    size: int


@dataclass(frozen=True)
class MediaCheck:
    """What a check found: counts, and the names (pack paths) of the files that failed it."""

    total: int  # files the current version refers to
    checked: int  # files hashed (all of them, or the sample)
    damaged: tuple[str, ...] = ()  # present at the right size, but the bytes do not hash to the name
    missing: tuple[str, ...] = ()  # absent, unreadable or of the wrong size
    sampled: bool = field(default=False)

    @property
    def ok(self) -> bool:
        return not self.damaged and not self.missing


def installed_media(data: DataDir) -> list[MediaFile]:
    """Media files of the current content version (read from its database, read-only)."""
    pointer = data.read_pointer()
    if pointer is None:
        raise StoreError(f"no content is installed in {data.root}")
    db = data.version_db(pointer.current)
    if not db.exists():
        raise StoreError(f"the installed content {pointer.current} is missing from {data.root}")
    try:
        conn = sqlite3.connect(f"file:{db.as_posix()}?mode=ro&immutable=1", uri=True)
        try:
            rows = conn.execute("SELECT path, size FROM media ORDER BY path").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"the installed content database cannot be read ({exc})") from None
    return [MediaFile(str(path), int(size)) for path, size in rows]


def check_media(
    data: DataDir,
    files: Sequence[MediaFile] | None = None,
    *,
    sample: int | None = None,
    rng: random.Random | None = None,
    workers: int = CHECK_WORKERS,
) -> MediaCheck:
    """Hash ``files`` (default: every media file of the current version) against their names.

    ``sample``: hash only that many files, chosen with ``rng`` (a fresh ``random.Random``
    if none is given), for a quick check of a large store.
    """
    files = list(installed_media(data) if files is None else files)
    chosen = files
    if sample is not None and 0 <= sample < len(files):
        chosen = (rng or random.Random()).sample(files, sample)
    local = threading.local()

    def verdict(media: MediaFile) -> str:
        """'ok', 'damaged' or 'missing' for one file."""
        match = MEDIA_NAME_RE.match(media.path)
        if match is None:
            return "damaged"  # not a name this format defines: nothing to trust it by
        path = data.media_path(media.path)
        try:
            if path.stat().st_size != media.size:
                return "missing"
        except OSError:
            return "missing"
        if not hasattr(local, "buf"):
            local.buf = bytearray(CHUNK)
        digest = file_sha256(path, local.buf)
        if digest is None:
            return "missing"
        return "ok" if digest == match.group(1) else "damaged"

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        verdicts = list(pool.map(verdict, chosen))
    damaged = sorted(m.path for m, v in zip(chosen, verdicts, strict=True) if v == "damaged")
    missing = sorted(m.path for m, v in zip(chosen, verdicts, strict=True) if v == "missing")
    return MediaCheck(len(files), len(chosen), tuple(damaged), tuple(missing), sampled=len(chosen) < len(files))
