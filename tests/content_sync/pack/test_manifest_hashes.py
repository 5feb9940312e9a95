"""Every hash the signed manifest states is checked, at install and by ``verify``.

A manifest may state a file's whole SHA-256 and the SHA-256 of each of its chunks. Two
readers that check different ones could disagree about a pack, so both must hold: the
whole-file hash of ``content.db`` even when its chunks match, the chunk hashes of media
(checked whole until now) and of deflated files (streamed whole until now).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from content_sync.core.errors import PackError
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack.reader import verify_pack
from content_sync.pack.signing import SigningKey
from tests.content_sync.pack.test_hostile_packs import DEFLATED, STORED, Repack

SMALL_CHUNK = 1 << 16  # the smallest chunk size a manifest may state: many chunks from a small pack
MISMATCH = "refused: {} does not match its SHA-256 in the manifest (tampered or damaged)"


@pytest.fixture
def good(make_pack: Callable[..., Path], mini_source: Path) -> Path:
    return make_pack(mini_source, version=1)


def chunk_hashes(data: bytes, size: int = SMALL_CHUNK) -> list[str]:
    return [hashlib.sha256(data[i : i + size]).hexdigest() for i in range(0, len(data), size)]


def chunked(good: Path) -> Repack:
    """The good pack with chunk hashes of 64 KiB for content.db (so it is unpacked chunk by chunk)."""
    pack = Repack(good)
    pack.manifest["chunk_size"] = SMALL_CHUNK
    db = pack.data("content.db")
    assert len(db) > 2 * SMALL_CHUNK, "content.db spans several chunks"
    pack.entry("content.db").method = STORED
    pack.manifest["files"]["content.db"]["chunks"] = chunk_hashes(db)
    return pack


def install_refusal(installer: Installer, pack: Path) -> str:
    with pytest.raises(PackError) as info:
        installer.install(pack)
    return str(info.value)


def verify_refusal(pack: Path, key: SigningKey) -> str:
    with pytest.raises(PackError) as info:
        verify_pack(pack, [key.public])
    return str(info.value)


def test_chunked_content_db_installs_byte_exact(
    good: Path, tmp_path: Path, signing_key: SigningKey, installer: Installer, data_dir: DataDir
) -> None:
    """Chunks copied on several threads, the whole-file hash taken in order as they pass."""
    pack = chunked(good)
    out = pack.write(tmp_path / "chunked.kpack", signing_key)
    verify_pack(out, [signing_key.public])
    installer.install(out)
    db = data_dir.version_db(data_dir.read_pointer().current)  # type: ignore[union-attr]
    assert hashlib.sha256(db.read_bytes()).hexdigest() == pack.manifest["files"]["content.db"]["sha256"]


def test_content_db_whole_hash_is_checked_when_its_chunks_match(
    good: Path, tmp_path: Path, signing_key: SigningKey, installer: Installer, data_dir: DataDir
) -> None:
    """Every chunk hash right, the whole-file hash another file's: refused, nothing installed."""
    pack = chunked(good)
    pack.manifest["files"]["content.db"]["sha256"] = hashlib.sha256(b"another database").hexdigest()
    out = pack.write(tmp_path / "whole-wrong.kpack", signing_key)
    assert verify_refusal(out, signing_key) == MISMATCH.format("content.db")
    assert install_refusal(installer, out) == MISMATCH.format("content.db")
    assert data_dir.read_pointer() is None
    assert not list(data_dir.content.glob(".staging-*"))


def test_content_db_chunk_hashes_are_checked_when_it_is_deflated(
    good: Path, tmp_path: Path, signing_key: SigningKey, installer: Installer
) -> None:
    pack = chunked(good)
    pack.entry("content.db").method = DEFLATED
    pack.manifest["files"]["content.db"]["chunks"][1] = "0" * 64
    out = pack.write(tmp_path / "deflated-chunk.kpack", signing_key)
    assert verify_refusal(out, signing_key) == MISMATCH.format("content.db")
    assert install_refusal(installer, out) == MISMATCH.format("content.db")


def test_media_chunk_hashes_are_checked(
    good: Path, tmp_path: Path, signing_key: SigningKey, installer: Installer
) -> None:
    """A media file over one chunk whose whole hash (its name) is right but a chunk hash is not."""
    pack = Repack(good)
    pack.manifest["chunk_size"] = SMALL_CHUNK
    body = hashlib.shake_256(b"a large photo").digest(3 * SMALL_CHUNK + 5)
    name = f"media/{hashlib.sha256(body).hexdigest()}.webp"
    pack.put(name, body)
    chunks = chunk_hashes(body)
    chunks[2] = chunks[0]
    pack.manifest["files"][name]["chunks"] = chunks
    out = pack.write(tmp_path / "media-chunk.kpack", signing_key)
    assert verify_refusal(out, signing_key) == MISMATCH.format(name)
    assert install_refusal(installer, out) == MISMATCH.format(name)


def test_media_with_right_chunk_hashes_install(
    good: Path, tmp_path: Path, signing_key: SigningKey, installer: Installer
) -> None:
    """(The database does not refer to it, so the tidy-up after the switch removes it again.)"""
    pack = Repack(good)
    pack.manifest["chunk_size"] = SMALL_CHUNK
    body = hashlib.shake_256(b"a large photo").digest(3 * SMALL_CHUNK + 5)
    name = f"media/{hashlib.sha256(body).hexdigest()}.webp"
    pack.put(name, body)
    pack.manifest["files"][name]["chunks"] = chunk_hashes(body)
    out = pack.write(tmp_path / "media-chunk-ok.kpack", signing_key)
    verify_pack(out, [signing_key.public])
    result = installer.install(out)
    assert result.files_written == len(pack.manifest["files"])


@pytest.mark.parametrize("wrong", [0, 1, -1])
def test_a_wrong_chunk_of_a_stored_database_is_refused_without_waiting(
    good: Path, tmp_path: Path, signing_key: SigningKey, installer: Installer, data_dir: DataDir, wrong: int
) -> None:
    """The chunk threads hand the whole-file hash on in order; a failing chunk stops none of them for good."""
    pack = chunked(good)
    pack.manifest["files"]["content.db"]["chunks"][wrong] = "f" * 64
    out = pack.write(tmp_path / "chunk-wrong.kpack", signing_key)
    assert install_refusal(installer, out) == MISMATCH.format("content.db")
    assert not list(data_dir.content.glob(".staging-*"))
