"""The installed content as screens read it: venues, filters, events, routes, pages, staleness."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from content_sync.core.errors import StoreError
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.store.content_store import ContentStore

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
