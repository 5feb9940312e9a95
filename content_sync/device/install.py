"""Install a pack: verify everything, then switch to it atomically.

Order of work, chosen so a process killed at any instant (or a power cut) leaves either
the old content or the new, never a mix:

1. check the manifest, signature, channel, expiry, version, every entry's name and size
   and the free disk space, all before writing a byte;
2. unpack into a private staging folder, hashing every byte once, from the very buffer
   that is written (so a pack on a USB stick that changes under us cannot slip anything
   past the check); a file is opened or moved only after its own hash has matched, and
   a mismatch anywhere removes the folder. The database is unpacked and verified first
   on one thread and then vetted (schema, integrity, foreign keys, text re-sanitised)
   while other threads unpack the media (written with O_DIRECT where the file system
   allows). Media the kiosk already has are hashed on disk beside that work: an intact
   copy is kept (the pack's copy is still verified), a damaged one replaced;
3. move new media into the shared media store and the staging folder into ``versions/``;
4. replace ``current.json`` with one atomic rename: the moment of switching;
5. remove what neither the current nor the previous version needs.

A reader only ever follows ``current.json``, so steps 1-3 and 5 are invisible to it.
Anything an interrupted install leaves behind is cleaned by :func:`recover`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import errno
import hashlib
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import (
    DISK_FULL,
    DiskFullError,
    InstallError,
    KioskError,
    PackError,
    ReadOnlyStoreError,
    is_disk_full,
)
from ..core.fsio import start_writeback_of, sync_dirs, sync_files
from ..pack.delta import Delta, DeltaError, apply_delta
from ..pack.digest import ROW_HASHES_FILE, ContentDigest, RowHashes, installed_row_hashes
from ..pack.manifest import (
    CONTENT_DB,
    DEFAULT_LIMITS,
    MEDIA_NAME_RE,
    FileEntry,
    Manifest,
    PackLimits,
    shown_text,
)
from ..pack.reader import PackReader
from ..pack.release import vouched_manifest
from ..pack.schema import CONTENT_SCHEMA_VERSION
from ..pack.signing import PublicKey
from ..pack.vet import vet_content_db
from ..pack.vet_worker import VetChild
from .damage import CONTENT_WHAT, Damage, content_schema_problem, inspect_database, move_aside
from .layout import DataDir, Pointer

try:
    import fcntl
except ImportError:  # Windows: installs are serialised by the single kiosk process
    fcntl = None  # type: ignore[assignment]

DISK_MARGIN_BYTES = 64 * 1024 * 1024
MEDIA_WORKERS = 8  # threads unpacking media: most of their time is waiting for the disk (O_DIRECT)


@dataclass(frozen=True)
class InstallResult:
    pack_id: str
    content_version: int
    previous_version: int | None
    version_dir: str
    files_written: int
    media_reused: int
    texts_sanitised: int
    signed_by: str
    media_repaired: int = 0  # copies on disk that no longer matched their hash, replaced by the pack's


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


def read_only_error(data: DataDir) -> ReadOnlyStoreError:
    return ReadOnlyStoreError(
        f"the data folder {data.root} is read-only: installs are impossible (the installed content is still shown)"
    )


@contextlib.contextmanager
def install_lock(data: DataDir) -> Iterator[None]:
    try:
        data.content.mkdir(parents=True, exist_ok=True)
        fh = open(data.lock_path, "a+b")  # noqa: SIM115 - closed below, after the yield
    except OSError as exc:
        if exc.errno in READ_ONLY_ERRNOS:
            raise read_only_error(data) from None
        if is_disk_full(exc):
            raise DiskFullError(f"{DISK_FULL}; nothing was installed") from None
        raise
    with fh:
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise InstallError("another install is running on this kiosk; try again when it has finished") from None
        yield


def recover(data: DataDir) -> list[str]:
    """Remove what an interrupted install left; keep current and previous. Caller holds the lock."""
    removed: list[str] = []
    if not data.content.is_dir():
        return removed
    for entry in data.content.iterdir():
        if entry.name.startswith(".staging-"):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    tmp_pointer = data.pointer_path.with_suffix(".json.tmp")
    if tmp_pointer.exists():
        tmp_pointer.unlink()
    pointer = data.read_pointer()
    if pointer is None and os.path.lexists(data.pointer_path):
        return removed  # current.json is damaged: keep every version until a good pack is installed
    keep = {pointer.current, pointer.previous} if pointer else set()
    if data.versions.is_dir():
        for entry in data.versions.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(f"versions/{entry.name}")
    removed += _collect_media(data, keep)
    return removed


def media_kept(data: DataDir, keep_versions: set[str | None] | None = None) -> set[str] | None:
    """The media file names the kept versions (current and previous) refer to; None if one is unreadable.

    The store keeps exactly these through an install's tidy-up (:func:`recover`); any other file
    there is an interrupted install's leftover, which the next install deletes, so nothing may
    count on it (the sync agent asks this before it decides which media a delta must download).
    """
    if keep_versions is None:
        pointer = data.read_pointer()
        keep_versions = {pointer.current, pointer.previous} if pointer else set()
    wanted: set[str] = set()
    for name in keep_versions:
        if not name:
            continue
        db = data.version_db(name)
        if not db.exists():
            continue
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
        except sqlite3.Error:
            return None  # unreadable (damaged, a folder): keep everything rather than guess
        try:
            wanted.update(path.rsplit("/", 1)[-1] for (path,) in conn.execute("SELECT path FROM media"))
        except sqlite3.DatabaseError:
            return None  # unreadable: keep everything rather than guess
        finally:
            conn.close()
    return wanted


def _collect_media(data: DataDir, keep_versions: set[str | None]) -> list[str]:
    """Delete media files no kept version refers to."""
    if not data.media.is_dir():
        return []
    wanted = media_kept(data, keep_versions)
    if wanted is None:
        return []
    removed = []
    for folder in data.media.iterdir():
        if not folder.is_dir():
            continue
        for file in folder.iterdir():
            if file.name not in wanted:
                file.unlink(missing_ok=True)
                removed.append(f"media/{file.name}")
    return removed


@dataclass(frozen=True)
class Release:
    """A version as the channel's signed metadata states it, for a version built from deltas."""

    pack_id: str
    content_version: int
    channel: str
    digest: str  # the content digest (``pack.digest``) the result must have
    expires_at: dt.datetime | None = None
    # The full pack's signed manifest (``pack.release``): the result must have its content digest.
    statement: Path | None = None


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Installer:
    """Installs packs into one data directory; every dependency is passed in."""

    def __init__(
        self,
        data: DataDir,
        trusted_keys: Sequence[PublicKey],
        channel: str,
        *,
        limits: PackLimits = DEFAULT_LIMITS,
        clock: Callable[[], dt.datetime] = _utcnow,
        reserve_bytes: int = DISK_MARGIN_BYTES,
    ) -> None:
        self.data = data
        self.trusted_keys = list(trusted_keys)
        self.channel = channel
        self.limits = limits
        self.clock = clock
        self.reserve_bytes = reserve_bytes
        self.moved_aside: Path | None = None  # a damaged file (content.db, current.json) the last install replaced
        self._damaged: Damage | None = None

    def install(self, pack_path: Path, *, reinstall: bool = False) -> InstallResult:
        self.moved_aside = None
        with install_lock(self.data):
            try:
                recover(self.data)
                return self._install_locked(Path(pack_path), reinstall)
            except (KioskError, KeyboardInterrupt, SystemExit):
                raise
            except MemoryError:
                raise InstallError("the pack is too large for this kiosk's memory; nothing changed") from None
            except Exception as exc:  # a hostile pack must never surface as a traceback
                malformed = PackError(f"refused: the pack is malformed ({type(exc).__name__})")
                failure = self._plain_failure(exc, malformed)
                raise failure from (exc if failure is malformed else None)

    def _plain_failure(self, exc: Exception, malformed: KioskError) -> KioskError:
        """An unexpected failure of an install, in one plain line (the staging is recovered first).

        A full disk, a read-only folder and other write errors are said as such; anything
        else means the pack or delta was malformed: ``malformed`` is returned.
        """
        with contextlib.suppress(OSError):
            recover(self.data)
        if is_disk_full(exc):
            return DiskFullError(f"{DISK_FULL}; the installed content was not changed")
        if isinstance(exc, OSError) and exc.errno in READ_ONLY_ERRNOS:
            return read_only_error(self.data)
        if isinstance(exc, OSError):
            return InstallError(f"could not write to the data folder ({exc.strerror or exc})")
        return malformed

    def current_damage(self) -> Damage | None:
        """The installed content database's damage, if any (a repair may then install the same version)."""
        pointer = self.data.read_pointer()
        if pointer is None:
            return None
        db = self.data.version_db(pointer.current)
        if not os.path.lexists(db):
            return Damage(db, CONTENT_WHAT, "it is missing")
        return inspect_database(db, CONTENT_WHAT, thorough=True, immutable=True)

    # -- step 1: checks that write nothing -----------------------------------------------
    def _check(self, reader: PackReader, reinstall: bool) -> tuple[Manifest, PublicKey, Pointer | None]:
        reader.check_entries()
        manifest, key = reader.signed_manifest(self.trusted_keys)
        if manifest.channel != self.channel:
            raise PackError(
                f"refused: the pack is for channel {shown_text(manifest.channel)} "
                f"but this kiosk follows {shown_text(self.channel)}"
            )
        now = self.clock()
        if manifest.expires_at and manifest.expires_at <= now:
            raise PackError(f"refused: the pack expired on {manifest.expires_at:%Y-%m-%d %H:%M} UTC")
        pointer = self.data.read_pointer()
        self._damaged = self.current_damage() if pointer else None
        if self._damaged is not None:
            reinstall = True  # the current version is damaged: the same version repairs it
        elif pointer and content_schema_problem(self.data) is not None:
            reinstall = True  # made for other kiosk software: the same version, built anew, replaces it
        if pointer:
            if manifest.content_version < pointer.content_version:
                raise PackError(
                    f"refused: the pack holds content version {manifest.content_version}, older than the "
                    f"installed version {pointer.content_version}"
                )
            if manifest.content_version == pointer.content_version and not reinstall:
                raise PackError(
                    f"content version {manifest.content_version} is already installed (use --reinstall to repair it)"
                )
        reader.check_structure(manifest)
        return manifest, key, pointer

    def _stored_media(self, manifest: Manifest) -> dict[str, int]:
        """Size on disk of every media file of ``manifest`` the store already holds (one listing, no probing)."""
        wanted = {name.rsplit("/", 1)[-1]: name for name in manifest.files if MEDIA_NAME_RE.match(name)}
        found: dict[str, int] = {}
        try:
            folders = list(os.scandir(self.data.media))
        except FileNotFoundError:
            return found
        for folder in folders:
            if not folder.is_dir(follow_symlinks=False):
                continue
            with os.scandir(folder.path) as files:
                for file in files:
                    name = wanted.get(file.name)
                    if name is not None and file.is_file(follow_symlinks=False):
                        found[name] = file.stat(follow_symlinks=False).st_size
        return found

    def _check_space(self, manifest: Manifest, stored: dict[str, int]) -> None:
        needed = sum(e.size for name, e in manifest.files.items() if name not in stored) + self.reserve_bytes
        free = shutil.disk_usage(self.data.content).free
        if free < needed:
            raise DiskFullError(
                f"disk full: the pack needs {needed // 2**20} MB of free space, {free // 2**20} MB are free; "
                "nothing was installed"
            )

    # -- steps 2-5 -------------------------------------------------------------------------
    def _install_locked(self, pack_path: Path, reinstall: bool) -> InstallResult:
        with PackReader(pack_path, self.limits) as reader:
            manifest, key, pointer = self._check(reader, reinstall)
            stored = self._stored_media(manifest)
            self._check_space(manifest, stored)
            staging = self.data.content / f".staging-{uuid.uuid4().hex}"
            try:
                staging.mkdir()
                staged_media = staging / "media"
                staged_media.mkdir()
                db_path = staging / CONTENT_DB
                jobs: list[tuple[FileEntry, str]] = []
                # Media the kiosk has at the right size: its copy is hashed (bytes can rot or be
                # damaged at the same size) and replaced only if it no longer matches its name;
                # the pack's copy is verified either way.
                kept: list[tuple[FileEntry, str]] = []
                existing: dict[str, str] = {}
                for name, entry in manifest.files.items():
                    if name == CONTENT_DB:
                        continue
                    file_name = name.rsplit("/", 1)[-1]
                    path = os.path.join(staged_media, file_name[:2], file_name)
                    if stored.get(name) == entry.size:
                        kept.append((entry, path))
                        existing[name] = str(self.data.media_path(name))
                    else:
                        jobs.append((entry, path))
                # Staged media sit in the store's own <ab> folders, so a folder the store does
                # not have yet moves in with one rename instead of one per file.
                for folder in {os.path.dirname(path) for _, path in jobs}:
                    os.mkdir(folder)
                # Every hash is checked as the bytes are unpacked into this private folder;
                # nothing in it is opened or moved before its own hash has matched. The
                # database is unpacked, verified and vetted on one thread while the media
                # are unpacked on others.
                # Vetting runs in a child process (pack/vet_worker.py), started now so its
                # imports overlap the unpacking: beside the media threads it shares no lock.
                vetter = VetChild()
                database = concurrent.futures.ThreadPoolExecutor(max_workers=1)
                vetted = database.submit(self._extract_and_vet, reader, manifest, db_path, vetter)
                try:
                    repaired = set(self._extract_media(reader, manifest, [*jobs, *kept], existing))
                    sanitised = vetted.result()
                finally:
                    vetter.close()  # a failed install does not wait for the vetting it no longer needs
                    database.shutdown(cancel_futures=True)
                jobs += [(entry, path) for entry, path in kept if entry.name in repaired]
                reused = len(kept) - len(repaired)
                # Everything written reaches the disk before anything becomes visible.
                sync_files([db_path, *(path for _, path in jobs)])
                version_name = self._store(staging, manifest.content_version)
            except KioskError:  # a refusal, or the vetting process could not answer
                shutil.rmtree(staging, ignore_errors=True)
                raise
            except OSError as exc:
                shutil.rmtree(staging, ignore_errors=True)
                if is_disk_full(exc):
                    raise DiskFullError(f"{DISK_FULL}; the installed content was not changed") from None
                if exc.errno in READ_ONLY_ERRNOS:
                    raise read_only_error(self.data) from None
                raise InstallError(
                    f"could not write the new content ({exc.strerror or exc}); nothing changed"
                ) from None
        self._switch(pointer, version_name, manifest.pack_id, manifest.content_version)
        return InstallResult(
            pack_id=manifest.pack_id, content_version=manifest.content_version,
            previous_version=pointer.content_version if pointer else None, version_dir=version_name,
            files_written=len(jobs) + 1, media_reused=reused, texts_sanitised=sanitised, signed_by=key.key_id,
            media_repaired=len(repaired),
        )  # fmt: skip

    def _store(self, staging: Path, content_version: int) -> str:
        """Step 3: verified media into the shared store and ``staging`` into ``versions/``; the folder's name.

        Invisible to a reader until the pointer moves. ``staging`` holds ``content.db`` and
        ``media/<ab>/<file>``, every byte already verified and flushed.
        """
        staged_media = staging / "media"
        touched = self._move_media(staged_media)
        version_name = f"v{content_version:010d}-{uuid.uuid4().hex[:8]}"
        self.data.versions.mkdir(parents=True, exist_ok=True)
        staged_media.rmdir()
        os.replace(staging, self.data.versions / version_name)
        sync_dirs([*touched, self.data.media, self.data.versions])
        return version_name

    def _switch(self, pointer: Pointer | None, version_name: str, pack_id: str, content_version: int) -> None:
        """Steps 4 and 5: the one atomic pointer rename, then tidying up (the same for packs and deltas)."""
        # Reinstalling a version keeps the older one as "previous"; a damaged current
        # version is never kept as "previous" (a rollback must not lead to it).
        damaged = self._damaged
        if pointer is None and os.path.lexists(self.data.pointer_path):
            # current.json itself is damaged: kept for a post-mortem, never overwritten.
            with contextlib.suppress(OSError):
                self.moved_aside = move_aside(self.data.pointer_path, self.clock)
        same = pointer is not None and pointer.content_version == content_version
        previous = (pointer.previous if same or damaged else pointer.current) if pointer else None
        self.data.write_pointer(Pointer(
            current=version_name, previous=previous, pack_id=pack_id,
            content_version=content_version, installed_at=self.clock().replace(microsecond=0).isoformat(),
        ))  # fmt: skip
        if damaged is not None and pointer is not None:
            # Kept for a post-mortem next to current.json: its version folder is removed below.
            with contextlib.suppress(OSError):
                self.moved_aside = move_aside(self.data.version_db(pointer.current), self.clock, into=self.data.content)
        # Step 5: tidy up; failures here cost disk space, never content.
        with contextlib.suppress(OSError):
            recover(self.data)

    # -- a version built on the kiosk from row deltas -----------------------------------------
    def install_deltas(
        self,
        deltas: Sequence[Delta],
        media: Mapping[str, Path],
        release: Release,
        *,
        base: tuple[str, ContentDigest] | None = None,
    ) -> InstallResult:
        """Build ``release`` from the installed version and ``deltas``, prove, vet and switch to it.

        The deltas are applied one after another into a private staging folder
        (:func:`apply_delta` proves each step's digest); the result must have the digest
        the channel's signed metadata states for the release. It is then vetted exactly like
        a pack's database and switched in with the same atomic pointer rename; ``media``
        (``media/<sha>.<ext>`` -> a downloaded file) brings the blobs the kiosk lacks, each
        checked against the hash in its name. Raises :class:`DeltaError` or
        :class:`PackError` (one line) and leaves the installed content untouched.

        ``base``: a version folder's name and the content digest the caller computed of it
        (kept for callers; the installer now starts from the row hashes saved beside the
        installed version, or works them out once, and the rows decide when the saved
        hashes do not lead to the first delta's base digest). Each later step of a chain
        starts from the hashes and digest the previous step proved; the result's hashes are
        saved beside it for the next delta (``docs/deltas.md``).
        """
        self.moved_aside = None
        self._damaged = None
        with install_lock(self.data):
            try:
                recover(self.data)
                return self._install_deltas_locked(list(deltas), media, release, base)
            except (KioskError, KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # a hostile delta must never surface as a traceback either
                malformed = DeltaError(f"refused: the delta is malformed ({type(exc).__name__})")
                failure = self._plain_failure(exc, malformed)
                raise failure from (exc if failure is malformed else None)

    def _install_deltas_locked(
        self,
        deltas: list[Delta],
        media: Mapping[str, Path],
        release: Release,
        known: tuple[str, ContentDigest] | None,  # kept for callers: see install_deltas
    ) -> InstallResult:
        pointer = self.data.read_pointer()
        if pointer is None:
            raise DeltaError("no content is installed: a delta needs a base")
        if release.channel != self.channel:
            raise PackError(
                f"refused: the release is for channel {shown_text(release.channel)} "
                f"but this kiosk follows {shown_text(self.channel)}"
            )
        if release.pack_id != pointer.pack_id:
            raise DeltaError(f"the delta is for pack {shown_text(release.pack_id)}, not the installed one")
        if release.content_version <= pointer.content_version:
            raise PackError(
                f"refused: content version {release.content_version} is not newer than the installed "
                f"{pointer.content_version}"
            )
        if release.expires_at is not None and release.expires_at <= self.clock():
            raise PackError(f"refused: the release expired on {release.expires_at:%Y-%m-%d %H:%M} UTC")
        if not deltas or deltas[-1].to_version != release.content_version:
            raise DeltaError("the deltas do not lead to the release")
        # The pack key vouches for the result as it does for a pack; the channel's word alone is not enough.
        signed, key = vouched_manifest(
            release.statement, self.trusted_keys, pack_id=release.pack_id,
            content_version=release.content_version, channel=self.channel, now=self.clock(),
        )  # fmt: skip
        if signed.content_digest != release.digest:
            raise DeltaError("the channel states other content than the pack key signed for this release")
        base_size = self.data.version_db(pointer.current).stat().st_size
        copies = 2 if len(deltas) > 1 else 1  # a chain keeps one intermediate database at a time
        needed = base_size * copies + sum(p.stat().st_size for p in media.values()) + self.reserve_bytes
        free = shutil.disk_usage(self.data.content).free
        if free < needed:
            raise DiskFullError(
                f"disk full: the update needs {needed // 2**20} MB of free space, {free // 2**20} MB are free; "
                "nothing was installed"
            )
        staging = self.data.content / f".staging-{uuid.uuid4().hex}"
        try:
            staging.mkdir()
            staged_media = staging / "media"
            staged_media.mkdir()
            db_path = staging / CONTENT_DB
            base = self.data.version_db(pointer.current)
            # The installed version's row hashes (saved beside it, else worked out once and
            # saved): each step's digest then follows from the rows it touches alone.
            hashes: RowHashes | None
            try:
                hashes, digest = installed_row_hashes(base)
                if digest.value != deltas[0].from_digest:  # saved hashes of other rows: the rows decide
                    hashes, digest = installed_row_hashes(base, recompute=True)
            except sqlite3.DatabaseError:
                raise DeltaError("the installed content cannot be read to start a delta from") from None
            touched: dict[str, set[tuple[object, ...]]] = {}
            for n, delta in enumerate(deltas):
                last = n == len(deltas) - 1
                out = db_path if last else staging / f"step-{n}.db"
                step = apply_delta(
                    base, delta, out, base_digest=digest, base_hashes=hashes,
                    expected_digest=signed.content_digest if last else None,
                )  # fmt: skip
                digest = step.digest  # proven by this step: the next one starts from it
                hashes = step.hashes
                for table, keys in (step.touched or {}).items():
                    touched.setdefault(table, set()).update(keys)
                if base.parent == staging:
                    base.unlink()
                base = out
            manifest, jobs = self._delta_media(db_path, media, staged_media, release)
            # Vetted like a pack's database, row by row for every row the deltas touched; the
            # rows they did not touch are the installed version's, vetted when it was installed.
            sanitised = vet_content_db(db_path, manifest, touched=touched)
            if hashes is not None and not sanitised:
                hashes.save(staging / ROW_HASHES_FILE, digest)  # the next delta starts from them
            sync_files([db_path, *jobs])
            version_name = self._store(staging, release.content_version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._switch(pointer, version_name, release.pack_id, release.content_version)
        return InstallResult(
            pack_id=release.pack_id, content_version=release.content_version,
            previous_version=pointer.content_version, version_dir=version_name,
            files_written=len(jobs) + 1, media_reused=len(manifest.files) - 1 - len(jobs),
            texts_sanitised=sanitised, signed_by=key.key_id, media_repaired=0,
        )  # fmt: skip

    def _delta_media(
        self, db_path: Path, media: Mapping[str, Path], staged_media: Path, release: Release
    ) -> tuple[Manifest, list[Path]]:
        """Every media file the new database names: in the store already, or a verified download.

        Returns the manifest the vetting checks the database against (built from the proven
        rows: their names and sizes) and the files staged.
        """
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT sha256, path, size FROM media").fetchall()
        finally:
            conn.close()
        files: dict[str, FileEntry] = {CONTENT_DB: FileEntry(CONTENT_DB, "", db_path.stat().st_size)}
        staged: list[Path] = []
        for sha, path, size in rows:
            if not isinstance(path, str) or not MEDIA_NAME_RE.match(path) or not isinstance(size, int):
                raise PackError(f"refused: content.db names media {shown_text(path)} this kiosk cannot store")
            files[path] = FileEntry(path, sha, size)
            have = self.data.media_path(path)
            if have.is_file() and have.stat().st_size == size:
                continue  # verified when its version was installed
            source = media.get(path)
            if source is None:
                raise DeltaError(f"the media file {shown_text(path)} the new version needs was not downloaded")
            if _sha256_of(source) != sha or source.stat().st_size != size:
                raise PackError(f"refused: the media file {shown_text(path)} does not match its hash")
            name = path.rsplit("/", 1)[-1]
            dest = staged_media / name[:2] / name
            dest.parent.mkdir(exist_ok=True)
            shutil.copyfile(source, dest)
            staged.append(dest)
        manifest = Manifest(
            raw=b"", pack_id=release.pack_id, content_version=release.content_version, channel=release.channel,
            created_at=self.clock(), expires_at=release.expires_at, schema_version=CONTENT_SCHEMA_VERSION,
            languages=(), files=files,
        )  # fmt: skip
        return manifest, staged

    def _move_media(self, staged_media: Path) -> list[Path]:
        """Move verified media from staging into the store; returns the store folders changed."""
        self.data.media.mkdir(parents=True, exist_ok=True)
        touched = []
        with os.scandir(staged_media) as folders:
            staged_folders = [folder.name for folder in folders]
        for prefix in staged_folders:
            source, target = staged_media / prefix, self.data.media / prefix
            touched.append(target)
            try:
                os.rename(source, target)  # a folder the store lacks (or an empty one): one rename
            except OSError:
                if not target.is_dir():
                    raise
                for name in os.listdir(source):  # the store has this folder: file by file
                    os.replace(source / name, target / name)
                source.rmdir()
        return touched

    def _extract_and_vet(self, reader: PackReader, manifest: Manifest, dest: Path, vetter: VetChild) -> int:
        self._extract_db(reader, manifest, dest)
        # The disk writes the database out while its rows are vetted (from the OS cache),
        # instead of the unpacking waiting for the disk or the final sync doing it all.
        flush = threading.Thread(target=start_writeback_of, args=(dest,), daemon=True)
        flush.start()
        try:
            return vetter.vet(dest, manifest)
        finally:
            flush.join()

    def _extract_db(self, reader: PackReader, manifest: Manifest, dest: Path) -> None:
        """Unpack and verify content.db (chunks on all cores) before anything opens it."""
        reader.extract_files([(manifest.files[CONTENT_DB], str(dest))], manifest.chunk_size)

    def _extract_media(
        self,
        reader: PackReader,
        manifest: Manifest,
        jobs: Sequence[tuple[FileEntry, str | None]],
        existing: dict[str, str] | None = None,
    ) -> list[str]:
        """Unpack and verify media into the staging folder, several files at once; the names repaired.

        ``existing``: the kiosk's own copies, written again only where they no longer
        match their hash. Media are written around the OS cache (O_DIRECT where the file
        system takes it), so more threads than cores keep the disk busy while the cores hash.
        """
        return reader.extract_files(jobs, manifest.chunk_size, MEDIA_WORKERS, direct=True, existing=existing)


def rollback(data: DataDir, clock: Callable[[], dt.datetime] = _utcnow) -> Pointer:
    """Switch back to the previous content version (an operator's undo)."""
    with install_lock(data):
        pointer = data.read_pointer()
        if not pointer or not pointer.previous or not data.version_db(pointer.previous).exists():
            raise InstallError("there is no previous content version to go back to")
        damage = inspect_database(data.version_db(pointer.previous), CONTENT_WHAT, thorough=True, immutable=True)
        if damage is not None:
            raise InstallError(f"cannot go back: {damage}")
        conn = sqlite3.connect(f"file:{data.version_db(pointer.previous)}?mode=ro&immutable=1", uri=True)
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        finally:
            conn.close()
        new = Pointer(
            current=pointer.previous, previous=pointer.current, pack_id=meta.get("pack_id", pointer.pack_id),
            content_version=int(meta.get("content_version", 0)),
            installed_at=clock().replace(microsecond=0).isoformat(),
        )  # fmt: skip
        data.write_pointer(new)
        return new
