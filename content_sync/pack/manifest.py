"""The pack's manifest and signature file: what a pack holds, and who vouches for it.

``manifest.json`` names the format and schema version, the pack id, content version,
channel, created-at, expiry, the SHA-256 and size of every other file (plus chunk
hashes for large files) and the row digest of ``content.db`` (``content_digest``, what a
kiosk building this version from deltas must reach); ``signatures.json`` holds Ed25519 signatures over the exact
bytes of ``manifest.json``. Writing and parsing both live here so they cannot drift apart.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import i18n
from ..core.errors import PackError
from ..core.vocabulary import SIGNATURE_ALGORITHM as ALGORITHM
from . import schema
from .content_schema import MAX_CONTENT_VERSION  # the one bound, shared with meta and the source

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
# Pack ids and channels are slugs, as the pack source format writes them.
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
MAX_JSON_DEPTH = 8  # the manifest nests 4 levels, the signature file 3
MANIFEST_FIELDS = frozenset({
    "format", "format_version", "schema_version", "pack_id", "content_version", "channel",
    "created_at", "expires_at", "languages", "chunk_size", "files", "content_digest",
})  # fmt: skip
FILE_FIELDS = frozenset({"sha256", "size", "chunks"})
SIGNATURE_FIELDS = frozenset({"alg", "key_id", "sig"})
ALLOWED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
CHUNK = 1 << 20
CHUNK_SIZE = 8 << 20  # manifest chunk hashes for files larger than this


@dataclass(frozen=True)
class PackLimits:
    """Bounds that keep a hostile pack from exhausting memory or disk."""

    max_entries: int = 300_000
    # Checked against the ZIP directory before a byte is read, and again while reading.
    # A manifest entry takes about 200 bytes, so 64 MiB lists 300,000 files.
    max_manifest_bytes: int = 64 * 1024 * 1024
    max_signatures_bytes: int = 64 * 1024
    max_content_db_bytes: int = 8 * 1024**3
    max_media_bytes: int = 2 * 1024**3
    max_total_bytes: int = 32 * 1024**3
    # Every deflated entry: at most this many times its compressed size, except that an
    # entry of up to ``tiny_entry_bytes`` may expand more (a small all-zero file does);
    # and all deflated entries together expand at most this much.
    max_compression_ratio: int = 200
    tiny_entry_bytes: int = 64 * 1024
    max_json_depth: int = MAX_JSON_DEPTH


DEFAULT_LIMITS = PackLimits()


@dataclass(frozen=True)
class FileEntry:
    name: str
    sha256: str
    size: int
    # SHA-256 of each ``chunk_size`` piece (the manifest's), for files larger than one
    # chunk: lets a kiosk verify a large file on all its cores instead of one.
    chunks: tuple[str, ...] = ()
    chunk_size: int = CHUNK_SIZE


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
    # The row digest of content.db (:mod:`content_sync.pack.digest`): what a kiosk that builds
    # this version from deltas must reach. None in packs built before it was recorded.
    content_digest: str | None = None

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
    pack: dict[str, Any],
    files: dict[str, FileDigest],
    created_at: dt.datetime,
    expires_at: dt.datetime | None,
    content_digest: str | None = None,
) -> bytes:
    manifest: dict[str, Any] = {
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
    if content_digest is not None:
        manifest["content_digest"] = content_digest
    return json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()


def signatures_bytes(manifest: bytes, keys: Iterable[SigningKey]) -> bytes:
    sigs = [
        {"alg": ALGORITHM, "key_id": key.public.key_id, "sig": base64.b64encode(key.sign(manifest)).decode()}
        for key in keys
    ]
    return json.dumps({"signatures": sigs}, indent=1).encode()


class _Refused(ValueError):
    """A JSON document this format refuses although a lenient parser would read it."""


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_exceeds(raw: bytes, limit: int) -> bool:
    """Whether ``raw`` opens more than ``limit`` arrays/objects inside each other.

    Checked before parsing (a deep document would exhaust the parser's stack) and in C
    speed for most of the work: strings are blanked, everything but brackets dropped.
    """
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if len(brackets) <= limit:
        return False
    depth = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"has the key {shown_text(key)} twice")
            seen.add(key)
    return obj


def _constant(name: str) -> Any:
    raise _Refused(f"holds {name}, which is not a number")


def _int64(text: str) -> int:
    if len(text.lstrip("-")) > 19 or not -(2**63) <= (value := int(text)) < 2**63:
        raise _Refused("holds an integer beyond 64 bits")
    return value


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("holds a number too large to represent")
    return value


def strict_json(raw: bytes, what: str, max_depth: int = MAX_JSON_DEPTH, invalid: str = "") -> Any:
    """Parse JSON a hostile writer made: one reading only, whatever parser reads it after us.

    Duplicate keys (which parsers resolve differently), NaN and Infinity, integers beyond
    64 bits and nesting deeper than ``max_depth`` are refused; raises PackError naming ``what``
    (``invalid``: the message for bytes that are not JSON at all).
    """
    invalid = invalid or f"{what} is not valid JSON"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PackError(invalid) from None
    if json_depth_exceeds(raw, max_depth):
        raise PackError(f"refused: {what} nests deeper than {max_depth} levels")
    try:
        return json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_int64, parse_float=_finite
        )
    except _Refused as exc:
        raise PackError(f"refused: {what} {exc}") from None
    except (ValueError, RecursionError):
        raise PackError(invalid) from None


def _shown(value: object) -> str:
    """A manifest value in a message: numbers as they are, anything else quoted and bounded."""
    return repr(value) if value is None or isinstance(value, int) else shown_text(value)


def _unknown_field(data: dict[str, Any], known: frozenset[str]) -> str | None:
    extra = sorted(set(data) - known)
    return shown_text(extra[0]) if extra else None


def parse_manifest(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Manifest:
    """Every field of the manifest, checked; ``raw`` must be the very bytes the signature covers."""
    data = strict_json(raw, "the manifest", max_depth)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PackError("not a kiosk content pack (manifest format is not 'kiosk-pack')")
    if data.get("format_version") != FORMAT_VERSION:
        raise PackError(
            f"pack format version {_shown(data.get('format_version'))} is not supported "
            f"(this kiosk reads {FORMAT_VERSION})"
        )
    if unknown := _unknown_field(data, MANIFEST_FIELDS):
        raise PackError(f"refused: the manifest has an unknown field {unknown}")
    schema_version = data.get("schema_version")
    if (
        not isinstance(schema_version, int)
        or isinstance(schema_version, bool)
        or schema_version > schema.CONTENT_SCHEMA_VERSION
        or schema_version < 1
    ):
        raise PackError(
            f"pack content schema {_shown(schema_version)} needs newer kiosk software "
            f"(this kiosk reads {schema.CONTENT_SCHEMA_VERSION})"
        )
    if schema_version < schema.CONTENT_SCHEMA_VERSION:
        # Its content.db would fail the schema check further on: say why here, in plain words.
        raise PackError(
            f"pack content schema {schema_version} was made for older kiosk software "
            f"(this kiosk reads {schema.CONTENT_SCHEMA_VERSION}): build it again with current tools"
        )
    version = data.get("content_version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_CONTENT_VERSION:
        raise PackError("the manifest has no valid content_version")
    channel = data.get("channel")
    pack_id = data.get("pack_id")
    if not isinstance(channel, str) or not isinstance(pack_id, str):
        raise PackError("the manifest has no channel or pack id")
    if not SLUG_RE.fullmatch(pack_id) or not SLUG_RE.fullmatch(channel):
        raise PackError("refused: the manifest's pack id or channel is not a name (lowercase letters, digits, '-')")
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
    # Per entry as little Python as possible: a manifest may list 300,000 files.
    for name, entry in files_raw.items():
        if type(entry) is not dict:
            raise PackError(f"manifest entry for {shown_text(name)} is malformed")
        if not FILE_FIELDS.issuperset(entry):
            unknown = _unknown_field(entry, FILE_FIELDS)
            raise PackError(f"refused: manifest entry for {shown_text(name)} has an unknown field {unknown}")
        sha, size = entry.get("sha256"), entry.get("size")
        if type(sha) is not str or SHA_RE.fullmatch(sha) is None or type(size) is not int or size < 0:
            raise PackError(f"manifest entry for {shown_text(name)} has no valid sha256 and size")
        chunks = entry.get("chunks")
        if chunks is not None:
            if type(chunks) is not list or not all(type(c) is str and SHA_RE.fullmatch(c) for c in chunks):
                raise PackError(f"manifest entry for {shown_text(name)} has malformed chunk hashes")
            if chunks and len(chunks) != -(-size // chunk_size):
                raise PackError(f"manifest entry for {shown_text(name)} has the wrong number of chunk hashes")
        media = MEDIA_NAME_RE.match(name)
        if media is None:
            check_entry_name(name)
        elif media.group(1) != sha:
            raise PackError(f"media file {shown_text(name)} is not named by its SHA-256")
        files[name] = FileEntry(name, sha, size, tuple(chunks) if chunks else (), chunk_size)
    languages = data.get("languages") or []
    if not isinstance(languages, list) or not all(
        isinstance(x, str) and len(x) < 36 and i18n.is_language_tag(x) for x in languages
    ):
        raise PackError("the manifest's language list is malformed")
    content_digest = data.get("content_digest")
    if content_digest is not None and (type(content_digest) is not str or not SHA_RE.fullmatch(content_digest)):
        raise PackError("the manifest's content digest is malformed")
    return Manifest(raw, pack_id, version, channel, created_at, expires_at, schema_version,
                    tuple(str(x) for x in languages), files, chunk_size, content_digest)  # fmt: skip


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


def parse_signatures(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> list[dict[str, str]]:
    """The signature file's entries; unknown fields and any other shape are refused."""
    malformed = "the pack's signature file is malformed"
    data = strict_json(raw, "the pack's signature file", max_depth, malformed)
    sigs = data.get("signatures") if isinstance(data, dict) else None
    if not isinstance(sigs, list) or _unknown_field(data, frozenset({"signatures"})):
        raise PackError("the pack's signature file is malformed")
    out = []
    for s in sigs:
        if (
            not isinstance(s, dict)
            or _unknown_field(s, SIGNATURE_FIELDS)
            or not all(isinstance(s.get(k), str) for k in SIGNATURE_FIELDS)
        ):
            raise PackError("the pack's signature file is malformed")
        out.append({"alg": s["alg"], "key_id": s["key_id"], "sig": s["sig"]})
    return out
