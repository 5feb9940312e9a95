"""The pack's manifest and signature file: what a pack holds, and who vouches for it.

``manifest.json`` names the format and schema version, the pack id, content version,
channel, created-at, expiry, and the SHA-256 and size of every other file (plus chunk
hashes for large files); ``signatures.json`` holds Ed25519 signatures over the exact
bytes of ``manifest.json``. Writing and parsing both live here so they cannot drift apart.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import PackError
from ..core.vocabulary import SIGNATURE_ALGORITHM as ALGORITHM
from . import schema

if TYPE_CHECKING:
    from .signing import SigningKey

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


def parse_signatures(raw: bytes) -> list[dict[str, str]]:
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
