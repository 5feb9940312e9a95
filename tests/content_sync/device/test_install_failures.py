"""Installs that fail part-way (disk space, write errors, a second installer) change nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from content_sync.core.errors import InstallError
from content_sync.device.install import Installer, install_lock
from content_sync.device.layout import DataDir
from content_sync.pack.signing import SigningKey
from content_sync.store.content_store import ContentStore
from tests.support import INSTALLED_AT, tree_digest


@pytest.fixture
def installed_v1(installer: Installer, make_pack, mini_source: Path, data_dir: DataDir) -> dict[str, str]:
    installer.install(make_pack(mini_source, version=1))
    return tree_digest(data_dir.root)


def test_not_enough_disk_space_is_refused_before_writing(
    installed_v1: dict[str, str], data_dir: DataDir, signing_key: SigningKey, make_pack, mini_source: Path
) -> None:
    tight = Installer(data_dir, [signing_key.public], "stable", reserve_bytes=10**15, clock=lambda: INSTALLED_AT)
    with pytest.raises(InstallError, match=r"disk full: the pack needs \d+ MB of free space, \d+ MB are free"):
        tight.install(make_pack(mini_source, version=2))
    assert tree_digest(data_dir.root) == installed_v1


WRITE_LIMITED_INSTALL = textwrap.dedent(
    """
    import datetime as dt, resource, signal, sys
    from content_sync.core.errors import KioskError
    from content_sync.device.install import Installer
    from content_sync.device.layout import DataDir
    from content_sync.pack.signing import PublicKey
    AT = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # INSTALLED_AT: never the wall clock
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[4]), int(sys.argv[4])))
    installer = Installer(DataDir(sys.argv[1]), [PublicKey.load(sys.argv[3])], "stable", clock=lambda: AT)
    try:
        installer.install(sys.argv[2])
    except KioskError as exc:
        print(exc)
        sys.exit(1)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX-only")
def test_write_failure_mid_install_leaves_content_intact(
    installed_v1: dict[str, str], data_dir: DataDir, signing_key: SigningKey, make_pack, mini_source: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    pub = tmp_path / "trusted.pub"
    pub.write_text(signing_key.public.to_line())
    pack = make_pack(mini_source, version=2)
    # Files may grow to 4 KB only: the content database cannot be written.
    proc = subprocess.run(
        [sys.executable, "-c", WRITE_LIMITED_INSTALL, str(data_dir.root), str(pack), str(pub), "4096"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "could not write the new content" in proc.stdout and "nothing changed" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    assert tree_digest(data_dir.root) == installed_v1
    with ContentStore.open(data_dir) as store:
        assert store.content_version == 1
    # Once the disk has room again, the same pack installs.
    Installer(data_dir, [signing_key.public], "stable", clock=lambda: INSTALLED_AT).install(pack)
    with ContentStore.open(data_dir) as store:
        assert store.content_version == 2


def test_a_second_install_at_the_same_time_is_refused(
    installed_v1: dict[str, str], installer: Installer, data_dir: DataDir, make_pack, mini_source: Path
) -> None:
    pack = make_pack(mini_source, version=2)
    with install_lock(data_dir), pytest.raises(InstallError, match="another install is running"):
        installer.install(pack)
    assert tree_digest(data_dir.root) == installed_v1
    installer.install(pack)


def test_damaged_media_is_repaired_by_reinstalling(
    installed_v1: dict[str, str], installer: Installer, data_dir: DataDir, make_pack, mini_source: Path
) -> None:
    pack = make_pack(mini_source, version=1)
    with ContentStore.open(data_dir) as store:
        image = store.venue("zhongshan-iron-bridge").images[0].path
    damaged = bytearray(image.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped byte, same size: a failing SD card
    image.write_bytes(bytes(damaged))
    installer.install(pack, reinstall=True)
    assert tree_digest(data_dir.root).items() >= {k: v for k, v in installed_v1.items() if "media/" in k}.items()
    with ContentStore.open(data_dir) as store:
        assert store.check_media() == []
        assert store.content_version == 1
