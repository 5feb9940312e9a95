"""Building and signing pack files (the operator's side; kiosks only read packs).

The ZIP layout is described in :mod:`content_sync.pack.reader`; an entry order with the
manifest first lets a reader check the signature before it touches anything else.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import BuildError
from ..core.fsio import fsync_file
from .content_db import write_content_db
from .digest import file_digest
from .manifest import (
    ALGORITHM,
    CHUNK,
    CHUNK_SIZE,
    CONTENT_DB,
    DEFAULT_LIMITS,
    MANIFEST,
    SIGNATURES,
    FileDigest,
    Manifest,
    hash_file,
    manifest_bytes,
    parse_manifest,
    parse_signatures,
    signatures_bytes,
)
from .reader import PackReader

if TYPE_CHECKING:
    from .signing import SigningKey


def build_pack(
    src: Path,
    out: Path,
    *,
    keys: Sequence[SigningKey] = (),
    now: dt.datetime | None = None,
    narration: Path | None = None,
    compress: bool = False,
) -> tuple[Manifest, list[Any]]:
    """Validate ``src`` and write the pack to ``out`` atomically; raise BuildError with every problem."""
    from .source import load_source  # the builder only

    source, problems = load_source(Path(src), narration=narration)
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
        # The row digest lets a kiosk that builds this version from deltas prove, under this
        # signature, that it holds what was signed (docs/deltas.md, "Who vouches for a delta").
        content_digest = file_digest(db_path).value
        raw_manifest = manifest_bytes(source.pack, files, created_at, expires_at, content_digest)
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
        fsync_file(partial)
        os.replace(partial, out)
    return parse_manifest(raw_manifest), problems


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def sign_pack(pack: Path, key: SigningKey) -> None:
    """Add ``key``'s signature to a pack (replacing an earlier one by the same key)."""
    pack = Path(pack)
    with PackReader(pack) as reader:
        raw_manifest = reader.read_small(MANIFEST, DEFAULT_LIMITS.max_manifest_bytes)
        parse_manifest(raw_manifest)
        existing = (
            parse_signatures(reader.read_small(SIGNATURES, DEFAULT_LIMITS.max_signatures_bytes))
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
            fsync_file(Path(tmp_name))
            os.replace(tmp_name, pack)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = _info(info.filename)
    new.compress_type = info.compress_type
    new.file_size = info.file_size
    return new
