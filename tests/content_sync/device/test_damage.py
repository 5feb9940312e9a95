"""A store a power cut damaged: said in plain words, repaired by a good pack, the damaged file kept.

Every file is damaged for real (truncated, zeroed, garbage, a folder, ...; see ``tests/damaging.py``),
and a full disk is a real full file system where the tests can mount one (root), else SQLite's
own size limit (``max_page_count``), which makes SQLITE_FULL just as real.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from content_sync.core.errors import DamagedStoreError, DiskFullError, InstallError, ReadOnlyStoreError
from content_sync.device.damage import inspect_database, move_aside, store_damage
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.device.provision import ensure_content
from content_sync.device.state import DeviceState, open_device_state
from content_sync.pack.signing import SigningKey
from content_sync.store.content_store import ContentStore
from tests import damaging
from tests.support import INSTALLED_AT

AT = dt.datetime(2026, 11, 3, 4, 5, 6, tzinfo=dt.UTC)  # when a damaged file is moved aside

DAMAGING = [pytest.param(f, id=name) for name, f in damaging.DAMAGING.items()]
HARMLESS = [pytest.param(f, id=name) for name, f in damaging.HARMLESS.items()]


@pytest.fixture
def installed(data_dir: DataDir, installer: Installer, make_pack: Callable[..., Path], mini_source: Path) -> Path:
    """A kiosk with the mini pack installed; returns the pack (a good one, to repair with)."""
    pack = make_pack(mini_source)
    installer.install(pack)
    return pack


def current_db(data: DataDir) -> Path:
    pointer = data.read_pointer()
    assert pointer is not None
    return data.version_db(pointer.current)


def snapshot(path: Path) -> bytes | list[str]:
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else damaging.read_anyway(path)


# -- the content database -------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", DAMAGING)
def test_damaged_content_is_said_plainly_and_a_good_pack_repairs_it(
    damage: Callable[[Path], None], data_dir: DataDir, installed: Path, signing_key: SigningKey
) -> None:
    db = current_db(data_dir)
    damage(db)
    before = snapshot(db)
    with damaging.without_root_powers():  # the kiosk as it meets an unreadable file, root or not
        found = store_damage(data_dir)
        assert [d.what for d in found] == ["content database"]
        assert "damaged" in str(found[0]) and "Error" not in str(found[0])
        if damage is damaging.unreadable:
            assert "it cannot be read (permission denied)" in str(found[0])
        try:  # the cheap check at open sees most kinds; a zeroed page in the middle only quick_check finds
            ContentStore.open(data_dir).close()
        except DamagedStoreError as exc:
            assert "install a good pack" in str(exc) and exc.path == str(db)

        # The same version repairs it (no --reinstall needed), and the damaged file is kept aside.
        repairer = Installer(data_dir, [signing_key.public], "stable", clock=lambda: AT)
        result = repairer.install(installed)
    assert result.content_version == 1
    assert repairer.moved_aside == data_dir.content / "content.db.damaged-20261103T040506Z"
    assert snapshot(repairer.moved_aside) == before  # the damaged bytes, for a post-mortem
    assert store_damage(data_dir) == []
    with ContentStore.open(data_dir) as store:
        assert store.counts()["venues"] == 3
    assert data_dir.read_pointer().previous is None  # a rollback never leads back to the damaged file


@pytest.mark.parametrize("damage", HARMLESS)
def test_what_sqlite_survives_is_not_called_damage(damage: Callable[[Path], None], data_dir: DataDir,
                                                   installed: Path) -> None:  # fmt: skip
    damage(current_db(data_dir))
    assert store_damage(data_dir) == []
    with ContentStore.open(data_dir) as store:
        assert store.counts()["venues"] == 3


@pytest.mark.parametrize(
    "damage",
    [damaging.garbage, damaging.truncate, damaging.zero_filled, damaging.folder],
    ids=["garbage", "truncate", "zero-filled", "folder"],
)
def test_a_damaged_pointer_keeps_every_version_and_a_good_pack_repairs_it(
    damage: Callable[[Path], None], data_dir: DataDir, installed: Path, signing_key: SigningKey
) -> None:
    version = current_db(data_dir).parent
    damage(data_dir.pointer_path)
    before = snapshot(data_dir.pointer_path)
    assert [d.what for d in store_damage(data_dir)] == ["content pointer"]
    report = ensure_content(data_dir, None)  # recovery at start must not remove the versions it cannot see
    assert report.action == "no-content" and any("content pointer" in p for p in report.problems)
    assert (version / "content.db").is_file()
    repairer = Installer(data_dir, [signing_key.public], "stable", clock=lambda: AT)
    repairer.install(installed)
    assert repairer.moved_aside == data_dir.content / "current.json.damaged-20261103T040506Z"
    assert snapshot(repairer.moved_aside) == before
    with ContentStore.open(data_dir) as store:
        assert store.counts()["venues"] == 3


def test_a_missing_content_database_is_damage_and_provisioning_reports_it(data_dir: DataDir, installed: Path) -> None:
    current_db(data_dir).unlink()
    report = ensure_content(data_dir, None)  # never raises: the kiosk shows the staff page
    assert report.action == "damaged" and any("is missing" in p for p in report.problems)
    with pytest.raises(Exception, match="missing"):
        ContentStore.open(data_dir)


def test_a_bundled_pack_repairs_damaged_content_at_start(data_dir: DataDir, installed: Path) -> None:
    damaging.garbage(current_db(data_dir))
    report = ensure_content(data_dir, installed, clock=lambda: AT)
    assert report.action == "repaired-bundled" and report.problems == ()
    assert (data_dir.content / "content.db.damaged-20261103T040506Z").is_file()
    with ContentStore.open(data_dir) as store:
        assert store.content_version == 1


# -- the device database ----------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", DAMAGING)
def test_damaged_device_state_is_said_plainly_and_made_anew(damage: Callable[[Path], None], data_dir: DataDir,
                                                            signing_key: SigningKey) -> None:  # fmt: skip
    damage(data_dir.device_db)
    before = snapshot(data_dir.device_db)
    with damaging.without_root_powers():  # the kiosk as it meets an unreadable file, root or not
        with pytest.raises(DamagedStoreError) as raised:
            DeviceState(data_dir.device_db)
        assert "device database" in str(raised.value) and "damaged" in str(raised.value)
        assert "DatabaseError" not in str(raised.value)
        if damage is damaging.unreadable:
            assert "permission denied" in str(raised.value)
        state, note = open_device_state(data_dir.device_db, aside_clock=lambda: AT)
        with state:
            kept = [k.key_id for k in state.trusted_keys()]
            logged = state.install_log(1)[0].message
    aside = data_dir.root / "device.db.damaged-20261103T040506Z"
    assert snapshot(aside) == before
    assert note is not None and str(aside) in note and logged == note
    # Keys are read back where the damage allows; otherwise the operator is told what to run.
    assert kept == [signing_key.public.key_id] or (kept == [] and "kiosk-pack trust add" in note)
    with DeviceState(data_dir.device_db) as again:  # healthy now
        assert again.schema_version >= 1


def test_keys_are_read_back_from_a_device_database_damaged_elsewhere(data_dir: DataDir,
                                                                     signing_key: SigningKey) -> None:  # fmt: skip
    with DeviceState(data_dir.device_db) as device:
        device.set("channel", "beta")
        for i in range(300):  # enough rows that the outbox spans pages of its own
            device.enqueue("usage", {"i": i, "pad": "x" * 200})
    conn = sqlite3.connect(data_dir.device_db)
    outbox_root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'outbox'").fetchone()[0]
    conn.close()
    damaging._zero_page(data_dir.device_db, outbox_root)
    state, note = open_device_state(data_dir.device_db, aside_clock=lambda: AT)
    with state:
        assert [k.key_id for k in state.trusted_keys()] == [signing_key.public.key_id]
        assert state.get("channel") == "beta"
    assert note is not None and "1 trusted key(s)" in note


@pytest.mark.parametrize("damage", HARMLESS)
def test_device_state_survives_a_lost_wal_or_a_stale_journal(damage: Callable[[Path], None], data_dir: DataDir,
                                                             signing_key: SigningKey) -> None:  # fmt: skip
    damage(data_dir.device_db)
    with DeviceState(data_dir.device_db) as device:
        assert [k.key_id for k in device.trusted_keys()] == [signing_key.public.key_id]


def test_a_damaged_device_database_does_not_stop_provisioning(data_dir: DataDir, installed: Path) -> None:
    damaging.truncate(data_dir.device_db)
    report = ensure_content(data_dir, None)
    assert report.action == "kept" and any("device database" in p for p in report.problems)


def test_moving_aside_never_overwrites_an_earlier_post_mortem(tmp_path: Path) -> None:
    for text in ("first", "second"):
        (tmp_path / "device.db").write_text(text)
        (tmp_path / "device.db-wal").write_text(text + "-wal")
        move_aside(tmp_path / "device.db", lambda: AT)
    base = tmp_path / "device.db.damaged-20261103T040506Z"
    assert base.read_text() == "first" and Path(f"{base}-2").read_text() == "second"
    assert Path(f"{base}-2-wal").read_text() == "second-wal" and not (tmp_path / "device.db").exists()


# -- a read-only data folder --------------------------------------------------------------------------------


def test_read_only_data_folder_shows_content_and_refuses_installs(data_dir: DataDir, installed: Path,
                                                                  tmp_path: Path,
                                                                  signing_key: SigningKey) -> None:  # fmt: skip
    view = tmp_path / "read-only"
    with damaging.read_only_view(data_dir.root, view) as ok:
        if not ok:
            pytest.skip("cannot make a read-only folder here")
        data = DataDir(view)
        report = ensure_content(data, installed, clock=lambda: INSTALLED_AT)
        assert report.read_only and any("read-only" in p for p in report.problems)
        with ContentStore.open(data) as store:  # the installed content is still shown
            assert store.counts()["venues"] == 3
        with DeviceState(data.device_db, readonly=True) as device:
            assert [k.key_id for k in device.trusted_keys()] == [signing_key.public.key_id]
        again = Installer(data, [signing_key.public], "stable", clock=lambda: INSTALLED_AT)
        with pytest.raises(ReadOnlyStoreError, match="read-only: installs are impossible"):
            again.install(installed, reinstall=True)


# -- a full disk ----------------------------------------------------------------------------------------------


def test_a_full_disk_is_said_as_disk_full(tmp_path: Path, signing_key: SigningKey) -> None:
    """A real full file system where one can be mounted, else SQLite's own size limit."""
    small = tmp_path / "small"
    with damaging.mounted("tmpfs", small, "size=2m") as ok:
        if not ok:
            pytest.skip("no tmpfs here (see test_a_full_database_is_said_as_disk_full)")
        data = DataDir(small / "kiosk")
        with DeviceState(data.device_db) as device:
            device.trust(signing_key.public)
            damaging.fill(small)
            with pytest.raises(DiskFullError) as raised:
                for i in range(200):
                    device.log_install("usb", None, None, False, f"attempt {i} " + "x" * 4000)
        assert "disk is full" in str(raised.value) and "I/O" not in str(raised.value)


def test_a_disk_full_while_unpacking_is_said_as_disk_full(
    tmp_path: Path, signing_key: SigningKey, make_pack: Callable[..., Path], mini_source: Path
) -> None:
    """ENOSPC for real in the middle of an install: a file system out of inodes (free bytes
    look plenty, so the space check passes and the failure comes from the writes themselves)."""
    small = tmp_path / "small"
    with damaging.mounted("tmpfs", small, "size=16m,nr_inodes=64") as ok:
        if not ok:
            pytest.skip("no tmpfs here")
        data = DataDir(small / "kiosk")
        installer = Installer(data, [signing_key.public], "stable", clock=lambda: INSTALLED_AT, reserve_bytes=0)
        installer.install(make_pack(mini_source))
        before = data.read_pointer()
        newer = make_pack(mini_source, version=2)
        n = 0
        with pytest.raises(OSError):
            while True:  # use up every inode
                (small / f"f{n}").touch()
                n += 1
        with pytest.raises(DiskFullError) as raised:
            installer.install(newer)
        assert "disk is full" in str(raised.value) and "I/O" not in str(raised.value)
        assert data.read_pointer() == before  # the installed content was not changed


def test_a_full_database_is_said_as_disk_full(data_dir: DataDir) -> None:
    """SQLITE_FULL for real: the database may not grow past its current pages."""
    with DeviceState(data_dir.device_db) as device:
        pages = device.conn.execute("PRAGMA page_count").fetchone()[0]
        device.conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(DiskFullError, match="disk is full"):
            for i in range(200):
                device.enqueue("usage", {"i": i, "pad": "x" * 4000})
        assert device.outbox_count() < 200  # what did not fit was rolled back, the rest kept


def test_a_pack_larger_than_the_free_space_is_disk_full(data_dir: DataDir, installed: Path,
                                                        signing_key: SigningKey) -> None:  # fmt: skip
    tight = Installer(data_dir, [signing_key.public], "stable", clock=lambda: INSTALLED_AT, reserve_bytes=2**62)
    with pytest.raises(DiskFullError, match=r"^disk full"):
        tight.install(installed, reinstall=True)


def test_sqlite_words_never_reach_the_operator(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(20))
    found = inspect_database(db, "content database", thorough=True)
    assert found is not None and "truncated" in found.reason
    with pytest.raises(InstallError):
        raise DiskFullError("x")  # disk full is an install error for every caller that catches those
