"""The device state that survives packs, start-up provisioning, and the sync state the status strip reads."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from content_sync.core.errors import StoreError
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.device.provision import ensure_content
from content_sync.device.state import DEVICE_SCHEMA_VERSION, DeviceState
from content_sync.device.sync_state import SyncStateReader
from tests.support import INSTALLED_AT

SH = ZoneInfo("Asia/Shanghai")


def test_device_state_migrates_and_refuses_newer(tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    with DeviceState(path) as device:
        assert device.schema_version == DEVICE_SCHEMA_VERSION
        device.set("channel", "beta")
        ident = device.enqueue("feedback", {"venue": "zhongshan-iron-bridge", "stars": 5})
        assert device.outbox() == [(ident, "feedback", {"stars": 5, "venue": "zhongshan-iron-bridge"})]
        device.acknowledge([ident])
        assert device.outbox_count() == 0
    with DeviceState(path) as device:
        assert device.get("channel") == "beta"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {DEVICE_SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer kiosk software"):
        DeviceState(path)


def test_device_state_is_kept_apart_from_content(
    installer: Installer, make_pack, mini_source: Path, data_dir: DataDir
) -> None:
    with DeviceState(data_dir.device_db) as device:
        device.enqueue("usage", {"screen": "home"})
    installer.install(make_pack(mini_source, version=1))
    installer.install(make_pack(mini_source, version=2))
    with DeviceState(data_dir.device_db) as device:
        assert device.outbox_count() == 1


def test_first_start_installs_the_bundled_pack(make_pack, mini_source: Path, data_dir: DataDir) -> None:
    pack = make_pack(mini_source, version=3)
    at = lambda: INSTALLED_AT  # noqa: E731 - the pack's expiry judged at a fixed moment, never the year
    report = ensure_content(data_dir, pack, clock=at)
    assert report.action == "installed-bundled" and report.installed_version == 3
    again = ensure_content(data_dir, pack, clock=at)
    assert again.action == "kept"
    broken = data_dir.root / "broken.kpack"
    broken.write_bytes(b"not a pack")
    assert ensure_content(data_dir, broken, clock=at).action == "kept"


def test_sync_state_reader_rereads_only_after_a_write_and_never_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    reader = SyncStateReader(path)
    assert reader.get("weather") is None and reader.get("weather", {}) == {}
    assert not path.exists()  # a screen asking never creates the database
    with DeviceState(path) as device:
        assert reader.get("weather") is None  # created, nothing synced yet
        device.set_sync("weather", {"temp_c": 3})
        assert reader.get("weather") == {"temp_c": 3}
        device.set_sync("weather", {"temp_c": 4})
        assert reader.get("weather") == {"temp_c": 4}  # the write-ahead log changed: read again
    assert reader.get("weather") == {"temp_c": 4}  # closed: the log was folded into the file
    calls = []
    real_read = reader._read
    reader._read = lambda key: calls.append(key) or real_read(key)  # type: ignore[method-assign]
    for _ in range(5):
        assert reader.get("weather") == {"temp_c": 4}
    assert calls == []  # unchanged file: served from memory, no database opened
    path.write_bytes(b"not a database at all")
    with pytest.raises(sqlite3.DatabaseError):
        reader.get("weather")  # the caller (the status strip) shows "no weather" for any error


def test_a_new_device_database_appears_whole_never_as_an_empty_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kiosk's recorder may create device.db while its sync agent reads it: no reader, and no
    power cut, may ever meet the 0-byte file SQLite starts with (it reads as damage)."""
    import content_sync.device.state as state_mod

    path = tmp_path / "data" / "device.db"
    seen: list[tuple[bool, int]] = []
    real_link = state_mod.os.link

    def link(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        seen.append((os.path.lexists(dst), os.path.getsize(src)))
        with DeviceState(Path(src), readonly=True) as fresh:  # already complete, schema and all
            assert fresh.get("anything") is None
        real_link(src, dst)

    monkeypatch.setattr(state_mod.os, "link", link)
    with DeviceState(path) as device:
        device.set("k", "v")
    assert seen and seen[0][0] is False and seen[0][1] > 0
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.startswith("device.db")) == []


def test_writers_creating_the_device_database_at_once_share_one_file(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "device.db"
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def create(i: int) -> None:
        try:
            start.wait()
            with DeviceState(path) as device:
                device.set(f"writer-{i}", i)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with DeviceState(path, readonly=True) as device:
        assert [device.get(f"writer-{i}") for i in range(6)] == list(range(6))
    assert [p.name for p in tmp_path.iterdir() if ".new-" in p.name] == []
