"""A media file damaged at its own size is replaced by the next install, and counted.

The store names media by hash; an install used to keep any copy of the right size. Bytes
rot, a power cut tears a write, a disk returns a bad block: the size stays, the bytes do
not. Here the kiosk's copies are damaged by hand between two installs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from content_sync.cli import main as cli
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack.reader import PackReader
from content_sync.store.content_store import ContentStore
from tests.content_sync.device.test_install_io import _add_odd_sizes
from tests.support import kiosk_pack_clock


def media_files(data: DataDir) -> dict[str, Path]:
    with ContentStore.open(data) as store:
        rows = store.conn.execute("SELECT path FROM media ORDER BY size").fetchall()
    return {path: data.media_path(path) for (path,) in rows}


def damage(path: Path, at: int = 0) -> None:
    """Flip one byte in place: the size is unchanged."""
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.chmod(0o644)
    path.write_bytes(bytes(data))


def intact(data: DataDir) -> bool:
    return all(
        hashlib.sha256(file.read_bytes()).hexdigest() == Path(path).stem.split(".")[0]
        for path, file in media_files(data).items()
    )


@pytest.fixture
def packs(make_pack: Callable[..., Path], mini_source: Path) -> tuple[Path, Path]:
    _add_odd_sizes(mini_source)  # sizes off the block size, and one file over a chunk
    return make_pack(mini_source, version=1), make_pack(mini_source, version=2)


def test_the_next_install_replaces_media_damaged_at_the_same_size(
    installer: Installer, data_dir: DataDir, packs: tuple[Path, Path]
) -> None:
    first, second = packs
    installer.install(first)
    files = media_files(data_dir)
    ordered = list(files.values())  # by size
    small, large = ordered[0], ordered[-1]
    damage(small)
    damage(large, at=large.stat().st_size - 1)
    assert not intact(data_dir)
    result = installer.install(second)
    assert intact(data_dir)
    assert result.media_repaired == 2
    assert result.media_reused == len(files) - 2
    assert result.files_written == 1 + 2  # the database and the two replaced media


def test_a_reinstall_replaces_damaged_media_too(
    installer: Installer, data_dir: DataDir, packs: tuple[Path, Path]
) -> None:
    first, _ = packs
    installer.install(first)
    damage(next(iter(media_files(data_dir).values())))
    result = installer.install(first, reinstall=True)
    assert result.media_repaired == 1
    assert intact(data_dir)


def test_intact_media_are_kept_not_rewritten(installer: Installer, data_dir: DataDir, packs: tuple[Path, Path]) -> None:
    first, second = packs
    installer.install(first)
    inodes = {path: file.stat().st_ino for path, file in media_files(data_dir).items()}
    result = installer.install(second)
    assert result.media_repaired == 0
    assert result.media_reused == len(inodes)
    assert {path: file.stat().st_ino for path, file in media_files(data_dir).items()} == inodes


def test_kiosk_pack_install_says_how_many_media_it_replaced(
    data_dir: DataDir, packs: tuple[Path, Path], installer: Installer
) -> None:
    first, second = packs
    installer.install(first)
    damage(next(iter(media_files(data_dir).values())))
    args = ["install", str(second), "--data-dir", str(data_dir.root), "--json"]
    result = CliRunner().invoke(cli, args, obj=kiosk_pack_clock())  # the pack's expiry judged at INSTALLED_AT
    assert result.exit_code == 0, result.output
    assert '"media_repaired": 1' in result.output


def test_kiosk_pack_install_judges_expiry_by_the_clock_it_is_given(
    data_dir: DataDir, packs: tuple[Path, Path], installer: Installer
) -> None:
    """What keeps the test above off the wall clock: the command's clock, not the year it runs in."""
    first, second = packs
    installer.install(first)
    with PackReader(second) as reader:
        expires = reader.manifest().expires_at
    assert expires is not None
    args = ["install", str(second), "--data-dir", str(data_dir.root)]
    late = CliRunner().invoke(cli, args, obj=kiosk_pack_clock(expires + dt.timedelta(seconds=1)))
    assert late.exit_code == 1 and "expired" in late.output, late.output
    on_time = CliRunner().invoke(cli, args, obj=kiosk_pack_clock(expires - dt.timedelta(seconds=1)))
    assert on_time.exit_code == 0, on_time.output
