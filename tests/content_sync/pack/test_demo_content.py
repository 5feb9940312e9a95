"""The bundled demo pack covers what the two city plans ask for, in Chinese and English."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack.build import build_pack
from content_sync.pack.signing import SigningKey
from content_sync.store.content_store import ContentStore
from tests.support import BUILT_AT, DEMO_SOURCE, INSTALLED_AT

SH = ZoneInfo("Asia/Shanghai")
LANZHOU = (35.5, 37.2, 102.9, 104.6)  # lat/lon box of Lanzhou municipality
TIANSHUI = (34.1, 35.2, 104.5, 106.8)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ContentStore:
    root = tmp_path_factory.mktemp("demo")
    key = SigningKey.generate("demo-test")
    _manifest, problems = build_pack(DEMO_SOURCE, root / "demo.kpack", keys=[key], now=BUILT_AT)
    assert problems == [], [str(p) for p in problems]
    data = DataDir(root / "kiosk")
    Installer(data, [key.public], "stable", clock=lambda: INSTALLED_AT).install(root / "demo.kpack")
    with ContentStore.open(data) as store:
        yield store


def test_venues_cover_both_cities_and_all_themes(demo: ContentStore) -> None:
    venues = demo.venues(with_media=True)
    assert len(venues) >= 40
    for v in venues:
        box = LANZHOU if v.city == "lanzhou" else TIANSHUI
        assert box[0] <= v.lat <= box[1] and box[2] <= v.lon <= box[3], f"{v.id} is outside {v.city}"
        for field in ("name", "summary", "description", "address", "getting_there", "narration"):
            assert {"zh-Hans", "en"} <= set(getattr(v, field)), f"{v.id}.{field}"
        assert v.images and all(i.path.exists() for i in v.images), v.id
        assert v.hours, v.id
    assert {v.city for v in venues} == {"lanzhou", "tianshui"}
    themes = {t["id"] for t in demo.themes()}
    assert themes == {"yellow-river", "silk-road", "ethnic-culture", "history-people", "natural-landscape"}
    for theme in themes:
        assert len(demo.venues(theme=theme)) >= 2, theme


def test_places_the_plans_name_are_there(demo: ContentStore) -> None:
    names = {v.name["zh-Hans"] for v in demo.venues()}
    for place in (
        "中山铁桥",
        "黄河母亲雕塑",
        "五泉山",
        "白塔山",
        "金天观",
        "伏羲庙",
        "麦积山石窟",
        "河口古镇",
        "青城古镇",
    ):
        assert any(place in name for name in names), place
    heritage = {h["name"]["zh-Hans"] for h in demo.heritage()}
    for item in ("兰州太平鼓", "苦水高高跷", "兰州鼓子", "伏羲祭典"):
        assert any(item in name for name in heritage), item
    assert any("水车" in name for name in heritage)


def test_routes_events_transport_and_pages(demo: ContentStore) -> None:
    routes = demo.routes()
    assert len(routes) >= 4 and all(len(r.stops) >= 2 for r in routes)
    venue_ids = {v.id for v in demo.venues()}
    assert all(s.venue_id in venue_ids for r in routes for s in r.stops)
    transport = {t["name"]["en"] for t in demo.transport()}
    for hub in ("Zhongchuan", "Lanzhou Railway Station", "Lanzhou West", "Tianshui South"):
        assert any(hub in name for name in transport), hub
    assert demo.pages("hotel_room") and demo.pages("station")
    week = demo.events_between(dt.datetime(2026, 11, 21, tzinfo=SH), dt.datetime(2026, 11, 28, tzinfo=SH))
    assert week, "the demo must show events in the coming week"


def test_open_now_gives_an_answer_for_every_venue(demo: ContentStore) -> None:
    midnight = dt.datetime(2026, 11, 22, 0, 30, tzinfo=SH)
    statuses = {v.id: v.open_status(midnight) for v in demo.venues()}
    assert all(s is not None for s in statuses.values())
    assert any(s.is_open for s in statuses.values()) and any(not s.is_open for s in statuses.values())
