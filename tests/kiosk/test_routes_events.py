"""Routes, events and transport screens on the demo content, offscreen, with the clock at DEMO_NOW."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from kiosk_app.screens.events import EventsScreen
from kiosk_app.screens.route_detail import RouteDetailScreen
from kiosk_app.screens.routes import RouteListScreen
from kiosk_app.screens.transport import TransportScreen
from kiosk_app.widgets.common import Card, ScrollPage

SCREENS = (RouteListScreen, RouteDetailScreen, EventsScreen, TransportScreen)
WALK = "yellow-river-riverside-walk"


@pytest.fixture
def kiosk(make_kiosk):  # type: ignore[no-untyped-def]
    built = make_kiosk(extra_screens=SCREENS)
    built.nav.go("home")
    return built


def labels(widget) -> list[str]:  # type: ignore[no-untyped-def]
    return [label.text() for label in widget.findChildren(QLabel)]


def test_route_list_shows_every_route(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("routes")
    screen = kiosk.nav.currentWidget()
    routes = kiosk.ctx.store.routes()
    assert len(routes) >= 2
    for route in routes:
        card = screen.findChild(Card, f"route-{route.id}")
        assert card is not None, route.id
        assert kiosk.ctx.tr.content(route.name) in labels(card)
    assert kiosk.shell.header.title.full == "文化线路"
    qtbot.mouseClick(screen.findChild(Card, f"route-{WALK}"), Qt.MouseButton.LeftButton)
    assert kiosk.nav.current == ("route", {"id": WALK})


def test_route_detail_stops_in_order_and_tap_opens_venue(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("routes")
    kiosk.nav.go("route", id=WALK)
    screen = kiosk.nav.currentWidget()
    route = kiosk.ctx.store.route(WALK)
    assert screen.findChild(QLabel, "route-name").text() == "黄河风情线漫步"
    assert "4.5 公里" in screen.findChild(QLabel, "route-facts").text()
    assert "约 5 小时" in screen.findChild(QLabel, "route-facts").text()
    expected = [
        "yellow-river-mother-statue", "lanzhou-waterwheel-garden", "zhongshan-iron-bridge",
        "yellow-river-bridge-museum", "jinchengguan-cultural-expo-park", "baita-mountain-park",
    ]  # fmt: skip
    assert [s.venue_id for s in route.stops] == expected
    for n, venue_id in enumerate(expected, start=1):
        card = screen.findChild(Card, f"stop-{n}")
        assert card is not None and card.property("venue_id") == venue_id
        venue = kiosk.ctx.store.venue(venue_id)
        texts = labels(card)
        assert str(n) in texts and kiosk.ctx.tr.content(venue.name) in texts
        assert any(t.startswith("停留约") for t in texts)
        assert card.findChild(QLabel, "stop-open-status").text()
    assert screen.findChild(Card, f"stop-{len(expected) + 1}") is None
    qtbot.mouseClick(screen.findChild(Card, "stop-1"), Qt.MouseButton.LeftButton)
    assert kiosk.nav.current == ("venue", {"id": expected[0]})
    kiosk.nav.back()
    assert kiosk.nav.current == ("route", {"id": WALK})


def test_route_qr_is_an_amap_link_and_an_offline_geo_link_to_the_first_stop(kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("route", id=WALK)
    screen = kiosk.nav.currentWidget()
    codes = [label.property("payload") for label in screen.findChildren(QLabel, "qr-code")]
    first = kiosk.ctx.store.venue("yellow-river-mother-statue")
    assert codes == screen.qr_payloads and len(codes) == 2  # no phone link configured by default
    assert codes[0].startswith("https://uri.amap.com/marker?markers=")  # every stop: tests/kiosk/test_map_region.py
    assert codes[1].startswith("geo:") and codes[1].startswith(f"geo:{first.lat:.6f},{first.lon:.6f}")


def test_route_qr_adds_the_phone_link_when_configured(make_kiosk, kiosk_config) -> None:  # type: ignore[no-untyped-def]
    from kiosk_app.config import KioskConfig

    values = dict(kiosk_config.values)
    values["qr.url_template"] = "https://guide.example.org/{lang}/{kind}/{id}"
    built = make_kiosk(config=KioskConfig(values), extra_screens=SCREENS)
    built.nav.go("route", id=WALK)
    codes = built.nav.currentWidget().qr_payloads
    assert codes[0] == f"https://guide.example.org/zh-Hans/route/{WALK}"
    assert codes[1].startswith("https://uri.amap.com/") and codes[2].startswith("geo:")


def occurrence_cards(screen) -> list[Card]:  # type: ignore[no-untyped-def]
    return [c for c in screen.findChildren(Card) if c.objectName().startswith("event-")]


def test_events_today_and_this_week(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("events")
    screen = kiosk.nav.currentWidget()
    today_button = screen.findChild(QPushButton, "events-today")
    assert today_button.isChecked() and not screen.findChild(QPushButton, "events-week").isChecked()
    now = kiosk.ctx.now()
    today = occurrence_cards(screen)
    assert today and len(today) == len(screen.occurrences)
    assert all(o.ends_at > now and o.starts_at.astimezone(now.tzinfo).date() <= now.date() for o in screen.occurrences)
    # The Saturday afternoon Taiping drum show is still to come today, at Jinchengguan.
    drum = screen.findChild(Card, "event-taiping-drum-weekend-show-20261121T1530")
    assert drum is not None and "15:30–16:00" in labels(drum)
    assert "地点：金城关文化博览园" in drum.findChild(QLabel, "event-where").text()
    assert screen.findChild(Card, "event-taiping-drum-weekend-show-20261121T1030") is not None  # on now
    assert screen.findChild(QLabel, "events-day-2026-11-21").text().startswith("今天")
    assert screen.findChild(QLabel, "events-day-2026-11-22") is None

    qtbot.mouseClick(screen.findChild(QPushButton, "events-week"), Qt.MouseButton.LeftButton)
    assert kiosk.nav.current == ("events", {"span": "week"})
    assert kiosk.nav.history[-1][0] == "home"  # switching span does not pile up history
    week = occurrence_cards(screen)
    assert len(week) >= len(today) >= 1
    assert screen.findChild(QLabel, "events-day-2026-11-22").text().startswith("明天")
    assert screen.findChild(Card, "event-taiping-drum-weekend-show-20261122T1030") is not None
    last = max(o.starts_at for o in screen.occurrences)
    assert last < dt.datetime(2026, 11, 28, tzinfo=now.tzinfo)

    # The week's card, not the today page's one that is still waiting for deletion; shown on the next turn.
    def week_drum() -> list[Card]:
        return [c for c in occurrence_cards(screen)
                if c.objectName() == "event-taiping-drum-weekend-show-20261121T1530" and c.isVisible()]  # fmt: skip

    qtbot.waitUntil(lambda: bool(week_drum()))
    drum = week_drum()[0]
    qtbot.mouseClick(drum, Qt.MouseButton.LeftButton)
    assert kiosk.nav.current == ("venue", {"id": "jinchengguan-cultural-expo-park"})


def test_events_none_in_an_empty_window(make_kiosk) -> None:  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    # Late on a Monday in 2026 before any demo season starts: nothing left today.
    built = make_kiosk(extra_screens=SCREENS, now=dt.datetime(2026, 1, 5, 23, 50, tzinfo=ZoneInfo("Asia/Shanghai")))
    built.nav.go("events", span="today")
    screen = built.nav.currentWidget()
    assert screen.findChild(QLabel, "events-none").text() == "这段时间没有活动。"
    assert not occurrence_cards(screen)


def test_transport_lists_stations_grouped_nearest_first(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("transport")
    screen = kiosk.nav.currentWidget()
    for ident, name in (
        ("lanzhou-zhongchuan-airport", "兰州中川国际机场"),
        ("lanzhou-west-railway-station", "兰州西站"),
        ("tianshui-south-railway-station", "天水南站"),
    ):
        card = screen.findChild(Card, f"transport-{ident}")
        assert card is not None and card.findChild(QLabel, "transport-name").text() == name
        assert "距本机" in card.findChild(QLabel, "transport-distance").text()
    kinds = [kind for kind, _ in screen.groups]
    assert kinds[:2] == ["airport", "rail_station"] and {"metro", "brt", "tram"} <= set(kinds)
    assert screen.findChild(QLabel, "transport-kind-airport").text() == "机场"
    rail = [item["id"] for item in dict(screen.groups)["rail_station"]]
    assert rail.index("lanzhou-railway-station") < rail.index("lanzhou-west-railway-station")
    assert rail.index("lanzhou-west-railway-station") < rail.index("tianshui-south-railway-station")
    airport = screen.findChild(Card, "transport-lanzhou-zhongchuan-airport")
    assert "前往市区" in labels(airport)
    # The chips at the top jump down to a group.
    page = screen.findChild(ScrollPage)
    assert page.verticalScrollBar().value() == 0
    qtbot.mouseClick(screen.findChild(QPushButton, "transport-jump-tram"), Qt.MouseButton.LeftButton)
    assert page.verticalScrollBar().value() > 0
    assert kiosk.nav.current_name == "transport"


@pytest.mark.parametrize(
    ("screen_name", "params", "probe"),
    [
        ("routes", {}, lambda s: s.findChild(Card, f"route-{WALK}").findChildren(QLabel)[0].text()),
        ("route", {"id": WALK}, lambda s: s.findChild(QLabel, "route-name").text()),
        ("events", {"span": "week"}, lambda s: s.findChild(QPushButton, "events-week").text()),
        ("transport", {}, lambda s: s.findChild(QLabel, "transport-kind-airport").text()),
    ],
)
def test_language_switch_rerenders_in_english(kiosk, screen_name, params, probe) -> None:  # type: ignore[no-untyped-def]
    english = {
        "routes": "Yellow River Riverside Walk",
        "route": "Yellow River Riverside Walk",
        "events": "This week",
        "transport": "Airport",
    }
    kiosk.nav.go(screen_name, **params)
    before = probe(kiosk.nav.currentWidget())
    kiosk.ctx.session.set_language("en")
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the old page's widgets are gone
    screen = kiosk.nav.currentWidget()
    assert kiosk.nav.current == (screen_name, params)
    assert probe(screen) == english[screen_name] != before
    assert kiosk.shell.header.title.full == screen.title() and screen.title().isascii()


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (1280, 800)])
def test_screens_fit_every_layout(make_kiosk, size) -> None:  # type: ignore[no-untyped-def]
    """No page is wider than the window: everything scrolls vertically, nothing runs off the side."""
    built = make_kiosk(size=size, extra_screens=SCREENS)
    for lang, large in (("zh-Hans", False), ("en", False), ("en", True)):
        built.ctx.session.set_language(lang)
        built.ctx.session.set_display(large_text=large)
        for name, params in (("routes", {}), ("route", {"id": WALK}), ("events", {"span": "week"}),
                             ("transport", {})):  # fmt: skip
            built.nav.go(name, **params)
            QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            QApplication.processEvents()
            screen = built.nav.currentWidget()
            assert screen.width() <= size[0]
            pages = screen.findChildren(ScrollPage)
            assert pages and all(page.isVisible() for page in pages)
            for page in pages:
                assert page.widget().width() <= page.viewport().width() + 1, (name, lang, large, size)
