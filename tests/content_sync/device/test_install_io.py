"""How an install writes: every byte read once, hashed from the buffer written, files byte-exact.

Media are written with O_DIRECT where the file system takes it (whole blocks, then the
file is trimmed to its size); where it refuses, at open (tmpfs) or at the first write,
the installer writes normally. Either way each file must hold exactly the signed bytes.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack import manifest
from content_sync.pack import reader as pack_reader
from content_sync.pack.manifest import CONTENT_DB
from content_sync.pack.reader import PackReader
from content_sync.pack.signing import SigningKey
from content_sync.store.content_store import ContentStore
from tests.support import INSTALLED_AT


def _media_exact(data: DataDir) -> list[str]:
    """Media of the current version whose bytes do not hash to their name (empty when all are exact)."""
    wrong = []
    with ContentStore.open(data) as store:
        assert store.check_media() == []
        rows = store.conn.execute("SELECT sha256, path FROM media").fetchall()
    assert rows, "the pack has media"
    for sha, path in rows:
        if hashlib.sha256(data.media_path(path).read_bytes()).hexdigest() != sha:
            wrong.append(path)
    return wrong


def _add_odd_sizes(source: Path) -> None:
    """Narration whose sizes are not multiples of a disk block, and one larger than a chunk."""
    records = yaml.safe_load((source / "venues.yaml").read_text(encoding="utf-8"))
    template = records[0]
    folder = source / "media" / "odd"
    folder.mkdir(parents=True)
    sizes = (1, 4095, 4097, manifest.CHUNK_SIZE + 12_345)
    for n, size in enumerate(sizes):
        body = hashlib.shake_256(f"odd-{n}".encode()).digest(size)
        (folder / f"odd-{n}.wav").write_bytes(b"RIFF" + (size + 36).to_bytes(4, "little") + b"WAVEfmt " + body)
    for v in range(len(sizes) // 2):
        records.append({
            **template, "id": f"odd-venue-{v}", "featured": False, "aliases": {},
            "name": {"zh-Hans": f"测试{v}", "en": f"Odd {v}"},
            "audio": {"zh-Hans": f"media/odd/odd-{2 * v}.wav", "en": f"media/odd/odd-{2 * v + 1}.wav"},
        })  # fmt: skip
    (source / "venues.yaml").write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")


def test_installed_files_are_byte_exact(installer: Installer, make_pack, mini_source: Path, data_dir: DataDir) -> None:
    _add_odd_sizes(mini_source)
    pack = make_pack(mini_source, version=1)
    installer.install(pack)
    assert _media_exact(data_dir) == []
    with PackReader(pack) as reader:
        entry = reader.manifest().files[CONTENT_DB]
    db = data_dir.version_db(data_dir.read_pointer().current)  # type: ignore[union-attr]
    # The database is unpacked by chunks in parallel; vetting may re-sanitise text, but the
    # mini pack has none to clean, so the file is the pack's byte for byte.
    assert hashlib.sha256(db.read_bytes()).hexdigest() == entry.sha256


@pytest.mark.skipif(not hasattr(os, "O_DIRECT"), reason="O_DIRECT exists on Linux only")
def test_direct_writes_refused_by_the_file_system_fall_back(
    installer: Installer, make_pack, mini_source: Path, data_dir: DataDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system that opens with O_DIRECT but refuses the writes (EINVAL) still gets exact files."""
    _add_odd_sizes(mini_source)
    pack = make_pack(mini_source, version=1)
    real_pwrite = os.pwrite
    refused = []

    def pwrite(fd: int, data: bytes, offset: int) -> int:
        import fcntl

        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(fd)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    installer.install(pack)
    assert refused, "the installer tried O_DIRECT first"
    assert _media_exact(data_dir) == []
    assert not list(data_dir.content.glob(".staging-*"))


@pytest.mark.skipif(not sys.platform.startswith("linux") or not Path("/dev/shm").is_dir(), reason="needs tmpfs")
def test_install_onto_tmpfs_which_refuses_o_direct(signing_key: SigningKey, make_pack, mini_source: Path) -> None:
    """tmpfs refuses O_DIRECT when the file is opened: the install writes normally there."""
    _add_odd_sizes(mini_source)
    pack = make_pack(mini_source, version=1)
    root = Path("/dev/shm") / f"kiosk-test-{uuid.uuid4().hex}"
    root.mkdir()
    try:
        data = DataDir(root)
        result = Installer(data, [signing_key.public], "stable", clock=lambda: INSTALLED_AT).install(pack)
        assert result.content_version == 1
        assert _media_exact(data) == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_every_pack_byte_is_hashed_once(
    installer: Installer, make_pack, mini_source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checks and unpacking share one read of each file: no separate hashing pass.

    A file with chunk hashes passes through two digests in that one read (its chunk's and
    the whole file's: the manifest states both), so its bytes count twice.
    """
    _add_odd_sizes(mini_source)
    pack = make_pack(mini_source, version=1)
    with PackReader(pack) as reader:
        listed = reader.manifest()
    total = listed.total_size + sum(entry.size for entry in listed.files.values() if entry.chunks)
    assert total > listed.total_size, "the test needs a file with chunk hashes"
    hashed = [0]

    class CountingSha:
        def __init__(self, data: bytes = b"") -> None:
            self._h = hashlib.sha256(data)
            hashed[0] += len(data)

        def update(self, data: bytes) -> None:
            hashed[0] += memoryview(data).nbytes
            self._h.update(data)

        def hexdigest(self) -> str:
            return self._h.hexdigest()

    class HashlibShim:
        sha256 = CountingSha

    monkeypatch.setattr(pack_reader, "hashlib", HashlibShim)
    monkeypatch.setattr(manifest, "hashlib", HashlibShim)
    installer.install(pack)
    assert hashed[0] == total


def test_upgrade_moves_new_media_into_existing_and_new_store_folders(
    installer: Installer, make_pack, mini_source: Path, data_dir: DataDir
) -> None:
    installer.install(make_pack(mini_source, version=1))
    with ContentStore.open(data_dir) as store:
        old = {data_dir.media_path(p) for (p,) in store.conn.execute("SELECT path FROM media")}
    folders_before = {p.name for p in data_dir.media.iterdir()}
    _add_odd_sizes(mini_source)
    # One more file whose store folder already exists, so both ways of moving are taken.
    existing = sorted(folders_before)[0]
    records = yaml.safe_load((mini_source / "venues.yaml").read_text(encoding="utf-8"))
    for n in range(5000):
        body = f"same-folder-{n}".encode() * 100
        wav = b"RIFF" + (len(body) + 36).to_bytes(4, "little") + b"WAVEfmt " + body
        if hashlib.sha256(wav).hexdigest().startswith(existing):
            (mini_source / "media" / "odd" / "same.wav").write_bytes(wav)
            break
    records[-1]["audio"]["en"] = "media/odd/same.wav"
    (mini_source / "venues.yaml").write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    result = installer.install(make_pack(mini_source, version=2))
    assert result.files_written >= 5
    assert _media_exact(data_dir) == []
    assert all(path.is_file() for path in old)  # the previous version keeps its media
    folders_after = {p.name for p in data_dir.media.iterdir()}
    assert folders_after > folders_before
    assert len(list((data_dir.media / existing).iterdir())) >= 2
    assert not list(data_dir.content.glob(".staging-*"))
