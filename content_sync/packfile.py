"""The pack file: one ZIP an operator can copy to a USB stick.

Layout (entry order matters only for speed):

* ``manifest.json`` — format and schema version, pack id, content version, channel,
  created-at, expiry, and the SHA-256 and size of every other file;
* ``signatures.json`` — Ed25519 signatures over the exact bytes of ``manifest.json``;
* ``content.db`` — the SQLite content database (schema in :mod:`content_sync.schema`);
* ``media/<sha256>.<ext>`` — images, audio and MBTiles stored by hash, so a later sync
  can ship row changes plus only the media a kiosk lacks.

Reading is hostile-input code: every name and size is checked against the signed manifest
before a single byte is written anywhere, and every byte's hash before anything written is
opened or used (:meth:`PackReader.extract_files` hashes each byte once, from the buffer it
writes; :func:`verify_pack` checks a pack without writing).
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import contextlib
import datetime as dt
import errno
import functools
import hashlib
import json
import mmap
import os
import re
import sqlite3
import stat
import struct
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import i18n, schema, search
from .errors import BuildError, PackError
from .layout import start_writeback
from .vocabulary import SIGNATURE_ALGORITHM as ALGORITHM

if TYPE_CHECKING:
    from .signing import PublicKey, SigningKey
    from .source import PackSource

FORMAT = "kiosk-pack"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURES = "signatures.json"
CONTENT_DB = "content.db"
MEDIA_NAME_RE = re.compile(r"^media/([0-9a-f]{64})\.(png|jpg|jpeg|webp|mp3|ogg|wav|mbtiles)\Z")
KEY_ID_RE = re.compile(r"[0-9a-f]{16}")
SHA_RE = re.compile(r"[0-9a-f]{64}")
ALLOWED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
CHUNK = 1 << 20
CHUNK_SIZE = 8 << 20  # manifest chunk hashes for files larger than this


@dataclass(frozen=True)
class PackLimits:
    """Bounds that keep a hostile pack from exhausting memory or disk."""

    max_entries: int = 500_000
    max_manifest_bytes: int = 128 * 1024 * 1024
    max_signatures_bytes: int = 64 * 1024
    max_content_db_bytes: int = 8 * 1024**3
    max_media_bytes: int = 2 * 1024**3
    max_total_bytes: int = 32 * 1024**3
    max_compression_ratio: int = 200


DEFAULT_LIMITS = PackLimits()


@dataclass(frozen=True)
class FileEntry:
    name: str
    sha256: str
    size: int
    # SHA-256 of each CHUNK_SIZE piece, for files larger than one chunk: lets a kiosk
    # verify a large file on all its cores instead of one.
    chunks: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileDigest:
    sha256: str
    size: int
    chunks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    raw: bytes
    pack_id: str
    content_version: int
    channel: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    schema_version: int
    languages: tuple[str, ...]
    files: dict[str, FileEntry]
    chunk_size: int = 0

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files.values())


# --- building ---------------------------------------------------------------------------


def _row(record: dict[str, Any], i18n_cols: Sequence[str], json_cols: Sequence[str] = ()) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        if key in i18n_cols:
            out[key] = i18n.dumps(value or {})
        elif key in json_cols:
            out[key] = None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
        elif isinstance(value, bool):
            out[key] = int(value)
        else:
            out[key] = value
    return out


def write_content_db(source: PackSource, path: Path, created_at: dt.datetime) -> None:
    """Write the content database for ``source`` into ``path`` (which must not exist)."""
    import sqlite_utils

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA page_size = 4096")
        schema.create_content_schema(conn)
        db = sqlite_utils.Database(conn)
        r = source.records
        pack = source.pack
        meta = {
            "pack_id": pack["id"], "title": i18n.dumps(pack["title"]),
            "content_version": str(pack["content_version"]), "channel": pack["channel"],
            "languages": json.dumps(pack["languages"]), "fallback": json.dumps(pack["fallback"]),
            "timezone": pack["timezone"], "created_at": created_at.isoformat(),
            "schema_version": str(schema.CONTENT_SCHEMA_VERSION),
        }  # fmt: skip
        db["meta"].insert_all({"key": k, "value": v} for k, v in meta.items())
        db["media"].insert_all(
            {
                "sha256": m.sha256,
                "path": m.pack_path,
                "mime": m.mime,
                "size": m.size,
                "width": m.width,
                "height": m.height,
            }
            for m in source.media.values()
        )
        cols = schema.I18N_COLUMNS
        jcols = schema.JSON_COLUMNS
        db["themes"].insert_all(_row(t, cols["themes"]) for t in r["themes"])
        db["categories"].insert_all(_row(c, cols["categories"]) for c in r["categories"])
        db["districts"].insert_all(_row(d, cols["districts"]) for d in r["districts"])
        images: list[dict[str, Any]] = []
        audio: list[dict[str, Any]] = []

        def media_rows(kind: str, record: dict[str, Any]) -> None:
            for n, image in enumerate(record.pop("images", [])):
                images.append(
                    {
                        "id": f"{kind}:{record['id']}:{n}",
                        "owner_kind": kind,
                        "owner_id": record["id"],
                        "sort": n,
                        **_row(image, cols["images"]),
                    }
                )
            for lang, sha in record.pop("audio", {}).items():
                audio.append(
                    {
                        "id": f"{kind}:{record['id']}:{lang}",
                        "owner_kind": kind,
                        "owner_id": record["id"],
                        "lang": lang,
                        "media": sha,
                    }
                )

        venue_rows, venue_themes = [], []
        for v in r["venues"]:
            v = dict(v)
            media_rows("venue", v)
            venue_themes += [{"venue_id": v["id"], "theme_id": t} for t in v.pop("themes")]
            venue_rows.append(_row(v, cols["venues"], jcols["venues"]))
        db["venues"].insert_all(venue_rows)
        db["venue_themes"].insert_all(venue_themes)
        route_rows, route_themes, stops = [], [], []
        for route in r["routes"]:
            route = dict(route)
            media_rows("route", route)
            route_themes += [{"route_id": route["id"], "theme_id": t} for t in route.pop("themes")]
            stops += [
                {"route_id": route["id"], "seq": n, **_row(s, cols["route_stops"])}
                for n, s in enumerate(route.pop("stops"))
            ]
            route_rows.append(_row(route, cols["routes"]))
        db["routes"].insert_all(route_rows)
        db["route_themes"].insert_all(route_themes)
        db["route_stops"].insert_all(stops)
        heritage_rows, heritage_themes, heritage_venues = [], [], []
        for h in r["heritage"]:
            h = dict(h)
            media_rows("heritage", h)
            heritage_themes += [{"heritage_id": h["id"], "theme_id": t} for t in h.pop("themes")]
            heritage_venues += [{"heritage_id": h["id"], "venue_id": v} for v in h.pop("venues")]
            heritage_rows.append(_row(h, cols["heritage"]))
        db["heritage"].insert_all(heritage_rows)
        db["heritage_themes"].insert_all(heritage_themes)
        db["heritage_venues"].insert_all(heritage_venues)
        event_rows, event_themes, sessions, weekly = [], [], [], []
        for e in r["events"]:
            e = dict(e)
            media_rows("event", e)
            event_themes += [{"event_id": e["id"], "theme_id": t} for t in e.pop("themes")]
            sessions += [{"event_id": e["id"], "seq": n, **s} for n, s in enumerate(e.pop("sessions"))]
            weekly += [
                {"event_id": e["id"], "seq": n, **_row(w, (), jcols["event_weekly"])}
                for n, w in enumerate(e.pop("weekly"))
            ]
            event_rows.append(_row(e, cols["events"]))
        db["events"].insert_all(event_rows)
        db["event_themes"].insert_all(event_themes)
        db["event_sessions"].insert_all(sessions)
        db["event_weekly"].insert_all(weekly)
        db["images"].insert_all(images)
        db["audio"].insert_all(audio)
        db["transport"].insert_all(_row(t, cols["transport"]) for t in r["transport"])
        db["pages"].insert_all(_row(p, cols["pages"]) for p in r["pages"])
        db["notices"].insert_all(_row(n, cols["notices"]) for n in r["notices"])
        db["basemaps"].insert_all(_row(b, (), jcols["basemaps"]) for b in source.basemaps)
        search.rebuild_index(conn)
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()


def hash_file(path: Path) -> FileDigest:
    """Whole-file SHA-256 and, for files over one chunk, the SHA-256 of every chunk."""
    digest = hashlib.sha256()
    size = 0
    chunks: list[str] = []
    with open(path, "rb") as fh:
        while piece := fh.read(CHUNK_SIZE):
            digest.update(piece)
            chunks.append(hashlib.sha256(piece).hexdigest())
            size += len(piece)
    return FileDigest(digest.hexdigest(), size, tuple(chunks) if size > CHUNK_SIZE else ())


def _file_entry(digest: FileDigest) -> dict[str, Any]:
    entry: dict[str, Any] = {"sha256": digest.sha256, "size": digest.size}
    if digest.chunks:
        entry["chunks"] = list(digest.chunks)
    return entry


def manifest_bytes(
    pack: dict[str, Any], files: dict[str, FileDigest], created_at: dt.datetime, expires_at: dt.datetime | None
) -> bytes:
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": schema.CONTENT_SCHEMA_VERSION,
        "pack_id": pack["id"],
        "content_version": pack["content_version"],
        "channel": pack["channel"],
        "created_at": created_at.isoformat(),
        "expires_at": expires_at.isoformat() if expires_at else None,
        "languages": pack["languages"],
        "chunk_size": CHUNK_SIZE,
        "files": {name: _file_entry(digest) for name, digest in sorted(files.items())},
    }
    return json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()


def signatures_bytes(manifest: bytes, keys: Iterable[SigningKey]) -> bytes:
    sigs = [
        {"alg": ALGORITHM, "key_id": key.public.key_id, "sig": base64.b64encode(key.sign(manifest)).decode()}
        for key in keys
    ]
    return json.dumps({"signatures": sigs}, indent=1).encode()


def build_pack(
    src: Path,
    out: Path,
    *,
    keys: Sequence[SigningKey] = (),
    now: dt.datetime | None = None,
    compress: bool = False,
) -> tuple[Manifest, list[Any]]:
    """Validate ``src`` and write the pack to ``out`` atomically; raise BuildError with every problem."""
    from .source import load_source

    source, problems = load_source(Path(src))
    if source is None:
        raise BuildError(problems)
    created_at = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    expires_at = None
    if source.pack.get("expires_days"):
        expires_at = created_at + dt.timedelta(days=source.pack["expires_days"])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".kpack-build-", dir=out.parent) as tmp:
        db_path = Path(tmp) / CONTENT_DB
        write_content_db(source, db_path, created_at)
        files: dict[str, FileDigest] = {CONTENT_DB: hash_file(db_path)}
        for media in source.media.values():
            files[media.pack_path] = (
                hash_file(media.source) if media.size > CHUNK_SIZE else FileDigest(media.sha256, media.size)
            )
        raw_manifest = manifest_bytes(source.pack, files, created_at, expires_at)
        partial = Path(tmp) / "pack.partial"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(_info(MANIFEST), raw_manifest)
            zf.writestr(_info(SIGNATURES), signatures_bytes(raw_manifest, keys))
            # Stored by default: a kiosk then reads the database at disk speed instead of
            # inflating it; --compress trades install time for a smaller file to carry.
            method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            zf.write(db_path, CONTENT_DB, compress_type=method, compresslevel=6 if compress else None)
            for media in source.media.values():
                zf.write(media.source, media.pack_path)
        _fsync_file(partial)
        os.replace(partial, out)
    return parse_manifest(raw_manifest), problems


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sign_pack(pack: Path, key: SigningKey) -> None:
    """Add ``key``'s signature to a pack (replacing an earlier one by the same key)."""
    pack = Path(pack)
    with PackReader(pack) as reader:
        raw_manifest = reader.read_small(MANIFEST, DEFAULT_LIMITS.max_manifest_bytes)
        parse_manifest(raw_manifest)
        existing = (
            _parse_signatures(reader.read_small(SIGNATURES, DEFAULT_LIMITS.max_signatures_bytes))
            if reader.has(SIGNATURES)
            else []
        )
        sigs = [s for s in existing if s["key_id"] != key.public.key_id]
        sigs.append(
            {"alg": ALGORITHM, "key_id": key.public.key_id, "sig": base64.b64encode(key.sign(raw_manifest)).decode()}
        )
        fd, tmp_name = tempfile.mkstemp(prefix=".kpack-sign-", dir=pack.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp_name, "w", allowZip64=True) as out:
                out.writestr(_info(MANIFEST), raw_manifest)
                out.writestr(_info(SIGNATURES), json.dumps({"signatures": sigs}, indent=1).encode())
                for info in reader.zf.infolist():
                    if info.filename in (MANIFEST, SIGNATURES):
                        continue
                    with reader.zf.open(info) as src, out.open(_copy_info(info), "w") as dst:
                        while chunk := src.read(CHUNK):
                            dst.write(chunk)
            _fsync_file(Path(tmp_name))
            os.replace(tmp_name, pack)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = _info(info.filename)
    new.compress_type = info.compress_type
    new.file_size = info.file_size
    return new


# --- reading and verifying --------------------------------------------------------------


def parse_manifest(raw: bytes) -> Manifest:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PackError("the manifest is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PackError("not a kiosk content pack (manifest format is not 'kiosk-pack')")
    if data.get("format_version") != FORMAT_VERSION:
        raise PackError(
            f"pack format version {data.get('format_version')!r} is not supported (this kiosk reads {FORMAT_VERSION})"
        )
    schema_version = data.get("schema_version")
    if not isinstance(schema_version, int) or schema_version > schema.CONTENT_SCHEMA_VERSION or schema_version < 1:
        raise PackError(
            f"pack content schema {schema_version!r} needs newer kiosk software "
            f"(this kiosk reads {schema.CONTENT_SCHEMA_VERSION})"
        )
    version = data.get("content_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise PackError("the manifest has no valid content_version")
    channel = data.get("channel")
    pack_id = data.get("pack_id")
    if not isinstance(channel, str) or not isinstance(pack_id, str):
        raise PackError("the manifest has no channel or pack id")
    try:
        created_at = dt.datetime.fromisoformat(data["created_at"])
        expires_at = dt.datetime.fromisoformat(data["expires_at"]) if data.get("expires_at") else None
    except (KeyError, TypeError, ValueError):
        raise PackError("the manifest's created_at or expires_at is not a date-time") from None
    if created_at.tzinfo is None or (expires_at and expires_at.tzinfo is None):
        raise PackError("the manifest's dates have no time zone")
    chunk_size = data.get("chunk_size", CHUNK_SIZE)
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or not 1 << 16 <= chunk_size <= 1 << 28:
        raise PackError("the manifest's chunk size is malformed")
    files_raw = data.get("files")
    if not isinstance(files_raw, dict) or CONTENT_DB not in files_raw:
        raise PackError("the manifest lists no content database")
    files: dict[str, FileEntry] = {}
    for name, entry in files_raw.items():
        if not isinstance(entry, dict):
            raise PackError(f"manifest entry for {name!r} is malformed")
        sha, size = entry.get("sha256"), entry.get("size")
        if not isinstance(sha, str) or not SHA_RE.fullmatch(sha) or not isinstance(size, int) or size < 0:
            raise PackError(f"manifest entry for {name!r} has no valid sha256 and size")
        chunks = entry.get("chunks", [])
        if not isinstance(chunks, list) or not all(isinstance(c, str) and SHA_RE.fullmatch(c) for c in chunks):
            raise PackError(f"manifest entry for {shown_text(name)} has malformed chunk hashes")
        if chunks and len(chunks) != -(-size // chunk_size):
            raise PackError(f"manifest entry for {shown_text(name)} has the wrong number of chunk hashes")
        check_entry_name(name)
        media = MEDIA_NAME_RE.match(name)
        if media and media.group(1) != sha:
            raise PackError(f"media file {name!r} is not named by its SHA-256")
        files[name] = FileEntry(name, sha, size, tuple(chunks))
    languages = data.get("languages") or []
    if not isinstance(languages, list) or not all(isinstance(x, str) and len(x) < 36 for x in languages):
        raise PackError("the manifest's language list is malformed")
    return Manifest(raw, pack_id, version, channel, created_at, expires_at, schema_version,
                    tuple(str(x) for x in languages), files, chunk_size)  # fmt: skip


def shown_text(value: object, limit: int = 80) -> str:
    """A value from a pack made safe for a one-line message: quoted, escaped, bounded."""
    text = repr(str(value))
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def check_entry_name(name: str) -> None:
    """Only names this format defines; anything else (paths, '..', drive letters) is refused."""
    if name in (CONTENT_DB, MANIFEST, SIGNATURES) or MEDIA_NAME_RE.match(name):
        return
    shown = shown_text(name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise PackError(f"refused: the pack contains an absolute path {shown}")
    if ".." in re.split(r"[/\\]", name):
        raise PackError(f"refused: the pack contains a path that climbs out of its folder {shown}")
    raise PackError(f"refused: unexpected file {shown} in the pack")


def _parse_signatures(raw: bytes) -> list[dict[str, str]]:
    try:
        data = json.loads(raw.decode("utf-8"))
        sigs = data["signatures"]
        if not isinstance(sigs, list):
            raise TypeError
        out = []
        for s in sigs:
            if not isinstance(s, dict) or not all(isinstance(s.get(k), str) for k in ("alg", "key_id", "sig")):
                raise TypeError
            out.append({"alg": s["alg"], "key_id": s["key_id"], "sig": s["sig"]})
        return out
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise PackError("the pack's signature file is malformed") from None


class PackReader:
    """Opens a pack and checks its structure; use as a context manager."""

    def __init__(self, path: Path, limits: PackLimits = DEFAULT_LIMITS) -> None:
        self.path = Path(path)
        self.limits = limits
        if not self.path.is_file():
            raise PackError(f"pack file {self.path} not found")
        try:
            self.zf = zipfile.ZipFile(self.path, "r")
        except (zipfile.BadZipFile, EOFError):
            raise PackError("not a pack: the file is not a ZIP archive or it is truncated") from None
        except (UnicodeDecodeError, NotImplementedError, ValueError, zipfile.LargeZipFile) as exc:
            raise PackError(f"refused: the pack's file list is malformed ({type(exc).__name__})") from None
        except OSError as exc:
            raise PackError(f"cannot read the pack: {exc.strerror}") from None
        self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._file_size = os.fstat(self._fd).st_size
        self._spans: dict[str, tuple[int, int]] = {}
        self._direct_ok = bool(_O_DIRECT)
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in self.zf.infolist():
            if info.filename in self.infos or info.orig_filename in self.infos:
                self.close()
                raise PackError(f"refused: the pack contains {info.filename!r} twice")
            self.infos[info.filename] = info
        if len(self.infos) > limits.max_entries:
            self.close()
            raise PackError(f"refused: the pack has {len(self.infos)} files, more than {limits.max_entries}")

    def __enter__(self) -> PackReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.zf.close()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def has(self, name: str) -> bool:
        return name in self.infos

    def read_small(self, name: str, max_bytes: int) -> bytes:
        info = self.infos.get(name)
        if info is None:
            raise PackError(f"the pack has no {name}")
        self._check_info(info, max_bytes)
        try:
            with self.zf.open(info) as fh:
                data = fh.read(max_bytes + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            raise PackError(f"{name} in the pack is damaged") from None
        if len(data) > max_bytes:
            raise PackError(f"refused: {name} is larger than {max_bytes} bytes")
        return data

    def _check_info(self, info: zipfile.ZipInfo, max_bytes: int) -> None:
        name = info.orig_filename
        if name != info.filename or "\x00" in name or "\\" in name:
            raise PackError(f"refused: file name {name!r} in the pack is not a plain name")
        check_entry_name(name)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise PackError(f"refused: {name} in the pack is a symbolic link")
        if mode and not stat.S_ISREG(mode):
            raise PackError(f"refused: {name} in the pack is not a regular file")
        if info.flag_bits & 0x1:
            raise PackError(f"refused: {name} in the pack is encrypted")
        if info.compress_type not in ALLOWED_METHODS:
            raise PackError(f"refused: {name} uses an unsupported compression method")
        if info.file_size > max_bytes:
            raise PackError(f"refused: {name} is {info.file_size} bytes, over the limit of {max_bytes}")
        if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > 1 << 20:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > self.limits.max_compression_ratio:
                raise PackError(f"refused: {name} expands {ratio:.0f} times (a compression bomb)")

    def manifest(self) -> Manifest:
        return parse_manifest(self.read_small(MANIFEST, self.limits.max_manifest_bytes))

    def verify_signature(self, manifest: Manifest, trusted: Sequence[PublicKey]) -> PublicKey:
        if not trusted:
            raise PackError("this kiosk trusts no signing keys yet; add one with 'kiosk-pack trust add KEY.pub'")
        if not self.has(SIGNATURES):
            raise PackError("refused: the pack is not signed")
        sigs = _parse_signatures(self.read_small(SIGNATURES, self.limits.max_signatures_bytes))
        if not sigs:
            raise PackError("refused: the pack is not signed")
        by_id = {key.key_id: key for key in trusted}
        for sig in sigs:
            key = by_id.get(sig["key_id"])
            if key is None or sig["alg"] != ALGORITHM:
                continue
            try:
                raw_sig = base64.b64decode(sig["sig"], validate=True)
            except (binascii.Error, ValueError):
                raise PackError(f"refused: the signature by key {key.key_id} is malformed") from None
            if key.verify(raw_sig, manifest.raw):
                return key
            raise PackError(f"refused: the signature by key {key.key_id} does not match the pack (tampered manifest)")
        ids = ", ".join(s["key_id"] if KEY_ID_RE.fullmatch(s["key_id"]) else "(malformed id)" for s in sigs[:5])
        raise PackError(f"refused: the pack is signed by a key this kiosk does not trust (key {ids})")

    def check_entries(self) -> None:
        """What the ZIP directory alone shows: names, links, encryption, methods, sizes, bombs."""
        for name, info in self.infos.items():
            self._check_info(info, self._limit_for(name))

    def check_structure(self, manifest: Manifest) -> None:
        """Every entry against the signed manifest: nothing extra, nothing missing, sizes equal."""
        self.check_entries()
        listed = set(manifest.files) | {MANIFEST, SIGNATURES}
        for name, info in self.infos.items():
            if name not in listed:
                raise PackError(f"refused: {name} is in the pack but not in its signed manifest")
            entry = manifest.files.get(name)
            if entry and info.file_size != entry.size:
                raise PackError(f"refused: {name} is {info.file_size} bytes but the manifest says {entry.size}")
        for name in manifest.files:
            if name not in self.infos:
                raise PackError(f"refused: {name} is listed in the manifest but missing from the pack")
        total = manifest.total_size
        if total > self.limits.max_total_bytes:
            raise PackError(
                f"refused: the pack unpacks to {total} bytes, over the limit of {self.limits.max_total_bytes}"
            )

    def _limit_for(self, name: str) -> int:
        if name == CONTENT_DB:
            return self.limits.max_content_db_bytes
        if name == MANIFEST:
            return self.limits.max_manifest_bytes
        if name == SIGNATURES:
            return self.limits.max_signatures_bytes
        return self.limits.max_media_bytes

    # -- fast paths for stored entries: read the bytes in place, hash on every core -------

    def _pread(self, offset: int, length: int) -> bytes:
        parts = []
        while length > 0:
            try:
                piece = os.pread(self._fd, length, offset)
            except OSError as exc:
                raise PackError(f"cannot read the pack: {exc.strerror or exc}") from None
            if not piece:
                raise PackError("refused: the pack is truncated")
            parts.append(piece)
            offset += len(piece)
            length -= len(piece)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _span(self, name: str) -> tuple[int, int]:
        """Where a stored entry's bytes are, from its local header (checked against the directory)."""
        if name in self._spans:
            return self._spans[name]
        info = self.infos[name]
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        expected = info.orig_filename.encode(encoding)
        if info.header_offset + 30 + len(expected) > self._file_size:
            raise PackError(f"refused: {shown_text(name)} in the pack is damaged or truncated")
        # The fixed header and the name in one read: the name must be the directory's.
        header = self._pread(info.header_offset, 30 + len(expected))
        fields = struct.unpack("<4s2B4HL2L2H", header[:30])
        if fields[0] != b"PK\x03\x04":
            raise PackError(f"refused: {shown_text(name)} in the pack has a damaged header")
        name_len, extra_len = fields[10], fields[11]
        if name_len != len(expected) or header[30:] != expected:
            raise PackError(f"refused: {shown_text(name)} in the pack has inconsistent headers")
        offset = info.header_offset + 30 + name_len + extra_len
        if fields[4] != zipfile.ZIP_STORED or offset + info.compress_size > self._file_size:
            raise PackError(f"refused: {shown_text(name)} in the pack is damaged or truncated")
        self._spans[name] = (offset, info.compress_size)
        return self._spans[name]

    def _stored(self, entry: FileEntry) -> bool:
        info = self.infos[entry.name]
        if info.compress_type != zipfile.ZIP_STORED:
            return False
        if self._span(entry.name)[1] != entry.size:
            raise PackError(f"refused: {entry.name} holds more data than the manifest says")
        return True

    def _check_whole(self, entry: FileEntry) -> None:
        offset, _ = self._span(entry.name)
        digest = hashlib.sha256()
        for pos in range(0, entry.size, CHUNK_SIZE):
            digest.update(self._pread(offset + pos, min(CHUNK_SIZE, entry.size - pos)))
        if digest.hexdigest() != entry.sha256:
            raise PackError(f"refused: {entry.name} does not match its SHA-256 in the manifest (tampered or damaged)")

    def _check_chunk(self, entry: FileEntry, index: int, chunk_size: int) -> None:
        offset, _ = self._span(entry.name)
        start = index * chunk_size
        data = self._pread(offset + start, min(chunk_size, entry.size - start))
        if hashlib.sha256(data).hexdigest() != entry.chunks[index]:
            raise PackError(f"refused: {entry.name} does not match its SHA-256 in the manifest (tampered or damaged)")

    def verify_hashes(self, manifest: Manifest, workers: int | None = None) -> None:
        """Check every file against the manifest without writing anything, on all cores.

        Large stored files are checked chunk by chunk in parallel; media files are also
        checked whole, because the media store trusts their names.
        """
        tasks: list[tuple[int, Callable[[], None]]] = []
        for entry in manifest.files.values():
            if not self._stored(entry):
                tasks.append((entry.size, functools.partial(self.copy_verified, entry, None)))
                continue
            chunked = bool(entry.chunks) and manifest.chunk_size > 0
            if chunked:
                for index in range(len(entry.chunks)):
                    tasks.append(
                        (manifest.chunk_size, functools.partial(self._check_chunk, entry, index, manifest.chunk_size))
                    )
            if not chunked or MEDIA_NAME_RE.match(entry.name):
                tasks.append((entry.size, functools.partial(self._check_whole, entry)))
        tasks.sort(key=lambda t: -t[0])
        workers = workers or min(4, os.cpu_count() or 1)
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(task) for _, task in tasks]
            try:
                for future in concurrent.futures.as_completed(futures):
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def extract(self, entry: FileEntry, dest: IO[bytes]) -> None:
        """Copy one entry into ``dest``, hashing on a second core while writing on this one."""
        if not self._stored(entry):
            self.copy_verified(entry, dest)
            return
        offset, _ = self._span(entry.name)
        digest = hashlib.sha256()
        if entry.size <= CHUNK_SIZE:
            data = self._pread(offset, entry.size)
            digest.update(data)
            dest.write(data)
        else:
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as hasher:
                pending: concurrent.futures.Future[None] | None = None
                for pos in range(0, entry.size, CHUNK_SIZE):
                    data = self._pread(offset + pos, min(CHUNK_SIZE, entry.size - pos))
                    if pending is not None:
                        pending.result()
                    pending = hasher.submit(digest.update, data)
                    dest.write(data)
                if pending is not None:
                    pending.result()
        if digest.hexdigest() != entry.sha256:
            raise PackError(f"refused: {entry.name} does not match its SHA-256 in the manifest (tampered or damaged)")

    # -- installing: every byte read once, hashed from the buffer it is written from -------

    def _read_into(self, view: memoryview, offset: int) -> None:
        """Fill ``view`` from the pack at ``offset``; a short file is a truncated pack."""
        if not _HAVE_PREADV:
            view[:] = self._pread(offset, len(view))
            return
        done = 0
        while done < len(view):
            try:
                n = os.preadv(self._fd, [view[done:]], offset + done)
            except OSError as exc:
                raise PackError(f"cannot read the pack: {exc.strerror or exc}") from None
            if not n:
                raise PackError("refused: the pack is truncated")
            done += n

    def _copy_span(
        self, entry: FileEntry, start: int, length: int, out: int | None, buf: mmap.mmap, direct: bool = False
    ) -> str:
        """Copy ``length`` bytes of a stored entry from ``start`` to the same place in ``out``; their SHA-256.

        With ``out`` None the bytes are only hashed. The hash is taken from the private
        buffer that is then written, so what lands on disk is exactly what was checked,
        even if the pack file changes meanwhile. With ``direct`` (``out`` opened with
        O_DIRECT, ``start`` aligned) whole blocks are written from the page-aligned buffer
        and only the last partial block through the OS cache.
        """
        offset, _ = self._span(entry.name)
        digest = hashlib.sha256()
        view = memoryview(buf)
        pos, end = start, start + length
        while pos < end:
            size = min(len(buf), end - pos)
            piece = view[:size]
            self._read_into(piece, offset + pos)
            digest.update(piece)
            if out is None:
                pass
            elif not direct:
                _pwrite_all(out, piece, pos)
            else:
                # Whole blocks straight to the disk; the tail of the last block through the OS
                # cache (trimming a block written around the cache would read it back first).
                aligned = size - size % _ALIGN
                if aligned:
                    _pwrite_all(out, view[:aligned], pos)
                if aligned < size:
                    _end_direct(out)
                    _pwrite_all(out, view[aligned:size], pos + aligned)
            pos += size
        return digest.hexdigest()

    def extract_files(
        self,
        jobs: Sequence[tuple[FileEntry, str | None]],
        chunk_size: int = 0,
        workers: int = 0,
        *,
        direct: bool = False,
    ) -> None:
        """Write each entry into a new file at its path, verifying its SHA-256 on the way, on all cores.

        This is the only time an installer reads the bytes: each is hashed from the buffer
        it is written from. A file whose manifest lists chunk hashes (and is not media,
        whose names the store trusts whole) is copied chunk by chunk in parallel, each
        chunk checked against its own signed hash. Raises PackError on any mismatch
        (the caller removes what was written); write errors propagate as OSError. An entry
        whose path is None is only verified (media the kiosk already has).

        ``direct`` writes whole files with O_DIRECT where the file system allows it: no
        copy into the OS cache, so thousands of media files cost the CPU little more than
        hashing them (their pages are not needed again until a visitor opens them).
        """
        tasks: list[tuple[int, Callable[[mmap.mmap], None]]] = []
        for entry, path in jobs:
            if not self._stored(entry):
                tasks.append((entry.size, functools.partial(self._extract_zipped, entry, path)))
            elif path is None:
                tasks.append((entry.size, functools.partial(self._extract_whole, entry, None, False)))
            elif entry.chunks and chunk_size > 0 and not MEDIA_NAME_RE.match(entry.name):
                os.close(os.open(path, _NEW_FILE, 0o644))  # created here; each chunk opens its own handle
                for index in range(len(entry.chunks)):
                    start = index * chunk_size
                    length = min(chunk_size, entry.size - start)
                    tasks.append((length, functools.partial(self._extract_chunk, entry, index, start, length, path)))
            else:
                tasks.append((entry.size, functools.partial(self._extract_whole, entry, path, direct)))
        tasks.sort(key=lambda t: -t[0])
        _run_parallel([task for _, task in tasks], workers or min(4, os.cpu_count() or 1))

    def _extract_whole(self, entry: FileEntry, path: str | None, direct: bool, buf: mmap.mmap) -> None:
        if path is None:
            sha = self._copy_span(entry, 0, entry.size, None, buf)
        else:
            sha = self._write_new(entry, path, direct and self._direct_ok, buf)
        if sha != entry.sha256:
            raise PackError(f"refused: {entry.name} does not match its SHA-256 in the manifest (tampered or damaged)")

    def _write_new(self, entry: FileEntry, path: str, direct: bool, buf: mmap.mmap) -> str:
        """Create ``path`` and copy the entry into it; falls back to ordinary writes where O_DIRECT is refused."""
        try:
            fd = os.open(path, _NEW_FILE | (_O_DIRECT if direct else 0), 0o644)
        except OSError as exc:
            if not direct or exc.errno != errno.EINVAL:
                raise
            self._direct_ok = False  # e.g. tmpfs: refused at open, maybe after creating the file
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            return self._write_new(entry, path, False, buf)
        try:
            sha = self._copy_span(entry, 0, entry.size, fd, buf, direct)
            if not direct:
                start_writeback(fd)  # the final sync then has little left to wait for
            return sha
        except OSError as exc:
            if not direct or exc.errno != errno.EINVAL:
                raise
        finally:
            os.close(fd)
        # This file system takes O_DIRECT at open but not these writes: write normally from now on.
        self._direct_ok = False
        os.unlink(path)
        return self._write_new(entry, path, False, buf)

    def _extract_chunk(self, entry: FileEntry, index: int, start: int, length: int, path: str, buf: mmap.mmap) -> None:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            sha = self._copy_span(entry, start, length, fd, buf)
        finally:
            os.close(fd)
        if sha != entry.chunks[index]:
            raise PackError(f"refused: {entry.name} does not match its SHA-256 in the manifest (tampered or damaged)")

    def _extract_zipped(self, entry: FileEntry, path: str | None, buf: mmap.mmap) -> None:
        if path is None:
            self.copy_verified(entry, None)
            return
        with open(path, "xb") as fh:
            self.copy_verified(entry, fh)

    def copy_verified(self, entry: FileEntry, dest: IO[bytes] | None) -> None:
        """Stream one entry, checking size and SHA-256 as it goes; write to ``dest`` if given.

        Read errors are the pack's fault (PackError); write errors (a full disk) propagate
        as OSError for the installer to report.
        """
        digest = hashlib.sha256()
        size = 0
        try:
            src = self.zf.open(self.infos[entry.name])
        except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError):
            raise PackError(f"refused: {entry.name} in the pack is damaged") from None
        with src:
            while True:
                try:
                    chunk = src.read(CHUNK)
                except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, zlib.error) as exc:
                    raise PackError(f"refused: {entry.name} in the pack is damaged or truncated ({exc})") from None
                except OSError as exc:
                    raise PackError(f"cannot read {entry.name} from the pack: {exc.strerror or exc}") from None
                if not chunk:
                    break
                size += len(chunk)
                if size > entry.size:
                    raise PackError(f"refused: {entry.name} holds more data than the manifest says")
                digest.update(chunk)
                if dest is not None:
                    dest.write(chunk)
        if size != entry.size or digest.hexdigest() != entry.sha256:
            raise PackError(f"refused: {entry.name} does not match its SHA-256 in the manifest (tampered or damaged)")


_HAVE_PREADV = hasattr(os, "preadv")
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_O_DIRECT = getattr(os, "O_DIRECT", 0)
_ALIGN = 4096  # O_DIRECT offsets and lengths: a multiple of every common logical block size


def _end_direct(fd: int) -> None:
    """Switch ``fd`` from O_DIRECT to ordinary writes (for a file's unaligned tail)."""
    import fcntl  # O_DIRECT exists only where fcntl does

    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_O_DIRECT)


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    """Write all of ``data`` at ``offset`` (a write may be short)."""
    while data:
        if hasattr(os, "pwrite"):
            n = os.pwrite(fd, data, offset)
        else:  # Windows: no pwrite; every task writes through a handle of its own
            os.lseek(fd, offset, os.SEEK_SET)
            n = os.write(fd, data)
        data = data[n:]
        offset += n


def _run_parallel(tasks: Sequence[Callable[[mmap.mmap], None]], workers: int) -> None:
    """Run ``tasks`` (largest first) on ``workers`` threads, each with its own reusable buffer.

    Threads pull the next task themselves, so thousands of small files cost no future
    each; the first error stops the others and is raised here.
    """
    if not tasks:
        return
    lock = threading.Lock()
    state: dict[str, Any] = {"next": 0, "error": None}

    def worker() -> None:
        buf = mmap.mmap(-1, CHUNK_SIZE)  # page-aligned, as O_DIRECT needs
        while True:
            with lock:
                index = state["next"]
                if index >= len(tasks) or state["error"] is not None:
                    return
                state["next"] = index + 1
            try:
                tasks[index](buf)
            except BaseException as exc:  # handed to the calling thread
                with lock:
                    if state["error"] is None:
                        state["error"] = exc
                return

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(workers, len(tasks))) - 1)]
    for thread in threads:
        thread.start()
    worker()
    for thread in threads:
        thread.join()
    if state["error"] is not None:
        raise state["error"]


def verify_pack(
    path: Path, trusted: Sequence[PublicKey], limits: PackLimits = DEFAULT_LIMITS
) -> tuple[Manifest, PublicKey]:
    """Full check without writing anything: structure, signature, every file's hash."""
    with PackReader(path, limits) as reader:
        reader.check_entries()
        manifest = reader.manifest()
        key = reader.verify_signature(manifest, trusted)
        reader.check_structure(manifest)
        reader.verify_hashes(manifest)
    return manifest, key
