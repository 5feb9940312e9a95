"""Compression bombs of every size: the expansion rule holds for each entry, and for all together.

Until now only entries over 1 MiB were held to the 200-times rule, so any number of smaller
bombs passed. Each bomb here is listed in the manifest with its real hash and signed by the
trusted key: only the expansion rules stand in the way.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from content_sync.core.errors import PackError
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack.reader import verify_pack
from content_sync.pack.signing import SigningKey
from tests.content_sync.pack.test_hostile_packs import DEFLATED, STORED, Repack


@pytest.fixture
def good(make_pack: Callable[..., Path], mini_source: Path) -> Path:
    return make_pack(mini_source, version=1)


def add_zeros(pack: Repack, count: int, size: int) -> list[str]:
    """``count`` deflated media of ``size`` bytes, nearly all zeros (each different, so each its own name)."""
    names = []
    for n in range(count):
        body = n.to_bytes(4, "big") + bytes(size - 4)
        name = f"media/{hashlib.sha256(body).hexdigest()}.png"
        pack.put(name, body, method=DEFLATED)
        names.append(name)
    return names


def test_many_small_bombs_under_one_mebibyte_are_refused(
    good: Path, tmp_path: Path, signing_key: SigningKey, installer: Installer, data_dir: DataDir
) -> None:
    """Forty entries of 1 MiB less a byte: about 1 KB each in the pack, each expands ~1000 times."""
    pack = Repack(good)
    names = add_zeros(pack, 40, 2**20 - 1)
    out = pack.write(tmp_path / "small-bombs.kpack", signing_key)
    ratio = (2**20 - 1) / len(zlib.compress(bytes(2**20 - 1), 6))
    assert ratio > 500
    for check in (lambda: verify_pack(out, [signing_key.public]), lambda: installer.install(out)):
        with pytest.raises(PackError) as info:
            check()
        first = str(info.value)
        assert first.startswith("refused: media/") and first.endswith("times (a compression bomb)"), first
        assert first.split()[1] in names
    assert data_dir.read_pointer() is None
    assert not list(data_dir.content.glob(".staging-*"))


def test_many_tiny_bombs_are_refused_together(good: Path, tmp_path: Path, signing_key: SigningKey) -> None:
    """Each under the allowance for tiny files, together they expand far more than 200 times."""
    tiny = 64 * 1024  # DEFAULT_LIMITS.tiny_entry_bytes
    pack = Repack(good)
    pack.entry("content.db").method = STORED  # the bombs are the only deflated entries
    add_zeros(pack, 60, tiny)
    out = pack.write(tmp_path / "tiny-bombs.kpack", signing_key)
    with pytest.raises(PackError) as info:
        verify_pack(out, [signing_key.public])
    message = str(info.value)
    assert message.startswith("refused: the pack's compressed files expand "), message
    assert message.endswith(" times together (a compression bomb)"), message


def test_a_tiny_file_that_compresses_well_is_not_a_bomb(
    good: Path, tmp_path: Path, signing_key: SigningKey, installer: Installer
) -> None:
    """A small, very regular file (4 KiB that deflates to a few bytes) is legitimate."""
    pack = Repack(good)
    add_zeros(pack, 2, 4096)
    out = pack.write(tmp_path / "tiny-ok.kpack", signing_key)
    verify_pack(out, [signing_key.public])
    assert installer.install(out).content_version == 1


def test_a_database_deflated_at_an_ordinary_ratio_installs(
    good: Path, tmp_path: Path, signing_key: SigningKey, installer: Installer
) -> None:
    pack = Repack(good)  # Repack deflates content.db, as 'kiosk-pack build --compress' does
    out = pack.write(tmp_path / "deflated.kpack", signing_key)
    assert installer.install(out).content_version == 1
