"""Install a pack: verify everything, then switch to it atomically.

Order of work, chosen so a process killed at any instant (or a power cut) leaves either
the old content or the new, never a mix:

1. check the manifest, signature, channel, expiry, version and every entry's name and
   size, and hash every file, all before writing a byte;
2. unpack into a private staging folder, hashing again while writing (the pack may sit
   on a USB stick that changes under us), and vet the database (schema, integrity,
   foreign keys, text re-sanitised);
3. move new media into the shared media store and the staging folder into ``versions/``;
4. replace ``current.json`` with one atomic rename: the moment of switching;
5. remove what neither the current nor the previous version needs.

A reader only ever follows ``current.json``, so steps 1-3 and 5 are invisible to it.
Anything an interrupted install leaves behind is cleaned by :func:`recover`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema
from .errors import InstallError, PackError
from .layout import DataDir, Pointer, fsync_dir
from .packfile import CONTENT_DB, DEFAULT_LIMITS, MEDIA_NAME_RE, Manifest, PackLimits, PackReader
from .sanitize import sanitize_text
from .signing import PublicKey

try:
    import fcntl
except ImportError:  # Windows: installs are serialised by the single kiosk process
    fcntl = None  # type: ignore[assignment]

DISK_MARGIN_BYTES = 64 * 1024 * 1024
# Characters that cannot appear in ids, kinds, colours or dates: a pack whose plain
# columns contain them is hostile, whatever its signature says.
_UNSAFE_PLAIN_GLOB = "*[<>&\"'\\`]*"
_MARKUP_GLOB = "*[<>&\u0080-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]*"


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


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def install_lock(data: DataDir) -> Iterator[None]:
    data.content.mkdir(parents=True, exist_ok=True)
    with open(data.lock_path, "a+b") as fh:
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
    keep = {pointer.current, pointer.previous} if pointer else set()
    if data.versions.is_dir():
        for entry in data.versions.iterdir():
            if entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(f"versions/{entry.name}")
    removed += _collect_media(data, keep)
    return removed


def _collect_media(data: DataDir, keep_versions: set[str | None]) -> list[str]:
    """Delete media files no kept version refers to."""
    if not data.media.is_dir():
        return []
    wanted: set[str] = set()
    for name in keep_versions:
        if not name:
            continue
        db = data.version_db(name)
        if not db.exists():
            continue
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            wanted.update(path.rsplit("/", 1)[-1] for (path,) in conn.execute("SELECT path FROM media"))
        except sqlite3.DatabaseError:
            return []  # unreadable: keep everything rather than guess
        finally:
            conn.close()
    removed = []
    for folder in data.media.iterdir():
        if not folder.is_dir():
            continue
        for file in folder.iterdir():
            if file.name not in wanted:
                file.unlink(missing_ok=True)
                removed.append(f"media/{file.name}")
    return removed


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

    def install(self, pack_path: Path, *, reinstall: bool = False) -> InstallResult:
        with install_lock(self.data):
            recover(self.data)
            return self._install_locked(Path(pack_path), reinstall)

    # -- step 1: checks that write nothing -----------------------------------------------
    def _check(self, reader: PackReader, reinstall: bool) -> tuple[Manifest, PublicKey, Pointer | None]:
        reader.check_entries()
        manifest = reader.manifest()
        key = reader.verify_signature(manifest, self.trusted_keys)
        if manifest.channel != self.channel:
            raise PackError(
                f"refused: the pack is for channel '{manifest.channel}' but this kiosk follows '{self.channel}'"
            )
        now = self.clock()
        if manifest.expires_at and manifest.expires_at <= now:
            raise PackError(f"refused: the pack expired on {manifest.expires_at:%Y-%m-%d %H:%M} UTC")
        pointer = self.data.read_pointer()
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
        self._check_space(manifest)
        for entry in manifest.files.values():
            reader.copy_verified(entry, None)
        return manifest, key, pointer

    def _check_space(self, manifest: Manifest) -> None:
        needed = sum(
            e.size for name, e in manifest.files.items()
            if not (MEDIA_NAME_RE.match(name) and self.data.media_path(name).exists())
        ) + self.reserve_bytes  # fmt: skip
        free = shutil.disk_usage(self.data.content).free
        if free < needed:
            raise InstallError(
                f"not enough free disk space: the pack needs {needed // 2**20} MB, {free // 2**20} MB are free"
            )

    # -- steps 2-5 -------------------------------------------------------------------------
    def _install_locked(self, pack_path: Path, reinstall: bool) -> InstallResult:
        with PackReader(pack_path, self.limits) as reader:
            manifest, key, pointer = self._check(reader, reinstall)
            staging = self.data.content / f".staging-{uuid.uuid4().hex}"
            try:
                staging.mkdir()
                (staging / "media").mkdir()
                db_path = staging / CONTENT_DB
                self._extract(reader, manifest.files[CONTENT_DB], db_path)
                sanitised = vet_content_db(db_path, manifest)
                written, reused, new_media = 0, 0, []
                for name, entry in manifest.files.items():
                    if name == CONTENT_DB:
                        continue
                    target = self.data.media_path(name)
                    if target.exists() and target.stat().st_size == entry.size:
                        # A repair (reinstall) re-reads what is on disk; a normal install trusts
                        # media that an earlier install verified.
                        if not reinstall or _file_sha256(target) == entry.sha256:
                            reused += 1
                            continue
                    staged = staging / "media" / target.name
                    self._extract(reader, entry, staged)
                    new_media.append((staged, target))
                    written += 1
                fsync_dir(staging / "media")
                fsync_dir(staging)
                # Step 3: media into the shared store (invisible until the pointer moves).
                touched: set[Path] = set()
                for staged, target in new_media:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staged, target)
                    touched.add(target.parent)
                for folder in touched:
                    fsync_dir(folder)
                fsync_dir(self.data.media)
                version_name = f"v{manifest.content_version:010d}-{uuid.uuid4().hex[:8]}"
                self.data.versions.mkdir(parents=True, exist_ok=True)
                shutil.rmtree(staging / "media")
                os.replace(staging, self.data.versions / version_name)
                fsync_dir(self.data.versions)
            except PackError:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            except OSError as exc:
                shutil.rmtree(staging, ignore_errors=True)
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise InstallError("the disk is full; the installed content was not changed") from None
                raise InstallError(
                    f"could not write the new content ({exc.strerror or exc}); nothing changed"
                ) from None
        # Step 4: the switch. Reinstalling a version keeps the older one as "previous".
        same = pointer is not None and pointer.content_version == manifest.content_version
        previous = (pointer.previous if same else pointer.current) if pointer else None
        self.data.write_pointer(Pointer(
            current=version_name, previous=previous, pack_id=manifest.pack_id,
            content_version=manifest.content_version, installed_at=self.clock().replace(microsecond=0).isoformat(),
        ))  # fmt: skip
        # Step 5: tidy up; failures here cost disk space, never content.
        with contextlib.suppress(OSError):
            recover(self.data)
        return InstallResult(
            pack_id=manifest.pack_id, content_version=manifest.content_version,
            previous_version=pointer.content_version if pointer else None, version_dir=version_name,
            files_written=written + 1, media_reused=reused, texts_sanitised=sanitised, signed_by=key.key_id,
        )  # fmt: skip

    def _extract(self, reader: PackReader, entry: Any, dest: Path) -> None:
        with open(dest, "xb") as fh:
            reader.copy_verified(entry, fh)
            fh.flush()
            os.fsync(fh.fileno())


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def rollback(data: DataDir, clock: Callable[[], dt.datetime] = _utcnow) -> Pointer:
    """Switch back to the previous content version (an operator's undo)."""
    with install_lock(data):
        pointer = data.read_pointer()
        if not pointer or not pointer.previous or not data.version_db(pointer.previous).exists():
            raise InstallError("there is no previous content version to go back to")
        conn = sqlite3.connect(f"file:{data.version_db(pointer.previous)}?mode=ro", uri=True)
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


def _pk_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    info = conn.execute(f"PRAGMA table_info({table})").fetchall()
    pk = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
    return pk or ["rowid"]


def _plain_text_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    skip = set(schema.I18N_COLUMNS.get(table, ())) | set(schema.JSON_COLUMNS.get(table, ()))
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[2] == "TEXT" and row[1] not in skip]


def _sanitize_json(node: Any) -> Any:
    if isinstance(node, str):
        return sanitize_text(node)
    if isinstance(node, list):
        return [_sanitize_json(x) for x in node]
    if isinstance(node, dict):
        return {k: _sanitize_json(v) for k, v in node.items()}
    return node


def vet_content_db(path: Path, manifest: Manifest) -> int:
    """Refuse a database that is not exactly what a builder makes; re-sanitise its text.

    Returns how many cells were sanitised. Raises PackError with a plain reason.
    """
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.DatabaseError:
        raise PackError("refused: content.db is not a SQLite database") from None
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA cell_size_check = ON")
        try:
            header_ok = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            header_ok = False
        if not header_ok:
            raise PackError("refused: content.db is damaged (SQLite integrity check failed)")
        if conn.execute("PRAGMA user_version").fetchone()[0] != manifest.schema_version:
            raise PackError("refused: content.db's schema version does not match the manifest")
        if tuple(schema.schema_signature(conn)) != schema.expected_signature():
            raise PackError("refused: content.db has tables, triggers or views this kiosk does not expect")
        if conn.execute("PRAGMA foreign_key_check").fetchone():
            raise PackError("refused: content.db refers to venues, themes or media that it does not contain")
        for sha, media_path in conn.execute("SELECT sha256, path FROM media"):
            entry = manifest.files.get(media_path)
            if entry is None or entry.sha256 != sha:
                raise PackError(f"refused: content.db refers to media {media_path!r} that the pack does not carry")
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        if meta.get("content_version") != str(manifest.content_version) or meta.get("pack_id") != manifest.pack_id:
            raise PackError("refused: content.db belongs to a different pack than its manifest")
        sanitised = 0
        conn.execute("BEGIN")
        for table in schema.CONTENT_TABLES:
            pk = _pk_columns(conn, table)
            where_pk = " AND ".join(f"{c} = ?" for c in pk)
            for column in _plain_text_columns(conn, table):
                bad = conn.execute(
                    f"SELECT {', '.join(pk)} FROM {table} WHERE {column} GLOB ? LIMIT 1", (_UNSAFE_PLAIN_GLOB,)
                ).fetchone()
                if bad and table != "meta":
                    raise PackError(f"refused: {table}.{column} of {bad[0]!r} contains characters an id may not have")
            json_cols = [(c, True) for c in schema.I18N_COLUMNS.get(table, ())]
            json_cols += [(c, False) for c in schema.JSON_COLUMNS.get(table, ())]
            for column, is_i18n in json_cols:
                invalid = conn.execute(
                    f"SELECT {pk[0]} FROM {table} WHERE {column} IS NOT NULL AND NOT json_valid({column}) LIMIT 1"
                ).fetchone()
                if invalid:
                    raise PackError(f"refused: {table}.{column} of {invalid[0]!r} is not valid JSON")
                if is_i18n:
                    wrong = conn.execute(
                        f"SELECT {pk[0]} FROM {table} WHERE json_type({column}) != 'object' OR EXISTS "
                        f"(SELECT 1 FROM json_each({table}.{column}) WHERE type != 'text') LIMIT 1"
                    ).fetchone()
                    if wrong:
                        raise PackError(f"refused: {table}.{column} of {wrong[0]!r} is not multilingual text")
                suspects = conn.execute(
                    f"SELECT {', '.join(pk)}, {column} FROM {table} "
                    f"WHERE {column} GLOB ? OR instr({column}, '\\u') > 0",
                    (_MARKUP_GLOB,),
                ).fetchall()
                for row in suspects:
                    value = json.loads(row[-1])
                    clean = _sanitize_json(value)
                    if clean != value:
                        conn.execute(
                            f"UPDATE {table} SET {column} = ? WHERE {where_pk}",
                            (json.dumps(clean, ensure_ascii=False, sort_keys=True), *row[:-1]),
                        )
                        sanitised += 1
        conn.execute("COMMIT")
        return sanitised
    except sqlite3.DatabaseError as exc:
        raise PackError(f"refused: content.db cannot be read ({exc})") from None
    finally:
        conn.close()
