"""The store that screens read, the device state that survives packs, start-up provisioning."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from content_sync.device import DEVICE_SCHEMA_VERSION, DeviceState
from content_sync.errors import StoreError
from content_sync.install import Installer
from content_sync.layout import DataDir
from content_sync.provision import ensure_content
from content_sync.store import ContentStore
from content_sync.sync_state import SyncStateReader

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def store(installer: Installer, make_pack, mini_source: Path, data_dir: DataDir) -> ContentStore:
    installer.install(make_pack(mini_source))
    with ContentStore.open(data_dir) as opened:
        yield opened


def test_venue_detail_is_complete(store: ContentStore) -> None:
    bridge = store.venue("zhongshan-iron-bridge")
    assert bridge is not None
    assert bridge.name["zh-Hans"] == "中山铁桥" and bridge.themes == ("history-people", "yellow-river")
    assert bridge.images and bridge.images[0].path.exists() and bridge.images[0].width == 320
    assert bridge.accessibility["step_free"] is True
    assert bridge.open_status(dt.datetime(2026, 11, 21, 3, 0, tzinfo=SH)).always_open
    assert store.venue("nowhere") is None


def test_filters_open_now_and_distance(store: ContentStore) -> None:
    assert [v.id for v in store.venues(theme="silk-road")] == ["gansu-provincial-museum"]
    assert [v.id for v in store.venues(category="food-street")] == ["night-market"]
    assert {v.id for v in store.venues(district="620102")} == {"zhongshan-iron-bridge", "night-market"}
    monday_noon = dt.datetime(2026, 11, 23, 12, 0, tzinfo=SH)
    assert {v.id for v in store.venues(open_at=monday_noon)} == {"zhongshan-iron-bridge"}
    # From Lanzhou West station the museum is nearest.
    assert store.venues(near=(36.0685, 103.7450))[0].id == "gansu-provincial-museum"


def test_events_expand_weekly_and_one_off(store: ContentStore) -> None:
    week = store.events_between(dt.datetime(2026, 12, 28, tzinfo=SH), dt.datetime(2027, 1, 4, tzinfo=SH))
    starts = [o.starts_at for o in week]
    assert dt.datetime(2027, 1, 1, 19, 0, tzinfo=SH) in starts  # one-off session
    assert dt.datetime(2027, 1, 2, 10, 0, tzinfo=SH) in starts and dt.datetime(2027, 1, 3, 10, 0, tzinfo=SH) in starts
    assert starts == sorted(starts)


def test_routes_pages_notices(store: ContentStore) -> None:
    route = store.route("river-walk")
    assert route is not None and [s.venue_id for s in route.stops] == ["zhongshan-iron-bridge", "night-market"]
    assert store.pages("hotel_room")[0]["title"]["en"] == "Your room guide"
    assert store.notices(dt.datetime(2026, 11, 21, tzinfo=SH))[0]["id"] == "winter-hours"
    assert store.search("铁桥")[0].title["en"] == "Zhongshan Iron Bridge"


def test_store_keeps_reading_its_version_and_knows_when_stale(
    store: ContentStore, installer: Installer, make_pack, mini_source: Path
) -> None:
    installer.install(make_pack(mini_source, version=2))
    assert store.is_stale() and store.content_version == 1
    assert store.venue("zhongshan-iron-bridge") is not None  # the old version is still readable


def test_no_content_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no content is installed"):
        ContentStore.open(tmp_path)


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
    report = ensure_content(data_dir, pack)
    assert report.action == "installed-bundled" and report.installed_version == 3
    again = ensure_content(data_dir, pack)
    assert again.action == "kept"
    broken = data_dir.root / "broken.kpack"
    broken.write_bytes(b"not a pack")
    assert ensure_content(data_dir, broken).action == "kept"


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
