"""Night mode for in-room and scenic-spot kiosks, and the room page's ways to the scenic areas.

Every moment comes from the kiosk's injected clock (a test moves it), never the wall clock;
taps go through the window as a finger would.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFrame, QLabel

from kiosk_app.config import load_config
from kiosk_app.widgets.common import Card

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEFT, NO_MODIFIER = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def at(hour: int, minute: int = 0, day: int = 21) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


class Clock:
    """The kiosk's clock, moved by the test."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def config_for(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def live(widget, cls, name: str):  # type: ignore[no-untyped-def]
    """The child called ``name`` as it is on screen (widgets just added are shown on the next turn)."""
    QApplication.processEvents()
    found = [w for w in widget.findChildren(cls, name) if w.isVisibleTo(widget)]
    return found[0] if found else None


@pytest.fixture
def room_kiosk(make_kiosk, tmp_path):  # type: ignore[no-untyped-def]
    """An in-room kiosk whose clock the test moves."""

    def make(now: dt.datetime, profile: str = "hotel_room", extra: str = "", size=(1280, 800)):  # type: ignore[no-untyped-def]
        config = config_for(tmp_path, f'[kiosk]\nprofile = "{profile}"\n{extra}')
        assert config.problems == ()
        clock = Clock(now)
        kiosk = make_kiosk(size=size, config=config, now=now)
        kiosk.ctx.clock = clock
        kiosk.nav.reset()  # the start screen again, on the moving clock
        return kiosk, clock

    return make


def night_screen(kiosk):  # type: ignore[no-untyped-def]
    return live(kiosk.nav.currentWidget(), QFrame, "night-screen")


# -- the schedule in kiosk.toml -------------------------------------------------------------------
def test_profiles_have_their_own_night_and_settings_are_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    room = config_for(tmp_path, '[kiosk]\nprofile = "hotel_room"\n').night
    assert room is not None and (room.start, room.end, room.attract) == (dt.time(22), dt.time(7), "off")
    scenic = config_for(tmp_path, '[kiosk]\nprofile = "scenic_spot"\n').night
    assert scenic is not None and scenic.attract == "slow"
    assert config_for(tmp_path, '[kiosk]\nprofile = "station"\n').night is None
    own = config_for(tmp_path, '[kiosk]\nprofile = "station"\n[night]\nstart = "23:30"\nend = "05:00"\n').night
    assert own is not None and (own.start, own.end, own.attract) == (dt.time(23, 30), dt.time(5), "slow")
    assert config_for(tmp_path, '[kiosk]\nprofile = "hotel_room"\n[night]\nstart = "off"\n').night is None
    bad = config_for(tmp_path, '[kiosk]\nprofile = "hotel_room"\n[night]\nstart = "25:00"\nattract = "dim"\n')
    assert any(p.startswith("night.start:") for p in bad.problems)
    assert any(p.startswith("night.attract:") for p in bad.problems)
    assert bad.night is not None and bad.night.start == dt.time(22)  # the profile's default in its place
    same = config_for(tmp_path, '[night]\nstart = "07:00"\nend = "07:00"\n')
    assert any("night.end" in p for p in same.problems) and same.night is None


def test_the_schedule_runs_past_midnight_in_the_kiosk_time_zone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    night = config_for(tmp_path, '[kiosk]\nprofile = "hotel_room"\n').night
    assert night is not None
    assert night.is_night(at(23, 30)) and night.is_night(at(3, 0)) and night.is_night(at(6, 59))
    assert not night.is_night(at(7, 0)) and not night.is_night(at(12)) and not night.is_night(at(21, 59))
    # The same instant told in another zone is still 23:30 in the kiosk's.
    assert night.is_night(at(23, 30).astimezone(ZoneInfo("America/Los_Angeles")))


# -- the attract loop at night -------------------------------------------------------------------
def test_the_room_kiosk_at_midnight_is_dark_and_still(room_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk, _clock = room_kiosk(at(0, 5, day=22))
    attract = kiosk.nav.currentWidget()
    assert kiosk.nav.current_name == "attract"
    panel = night_screen(kiosk)
    assert panel is not None, "no night screen after midnight"
    assert live(panel, QLabel, "night-clock").text() == "00:05"
    assert live(panel, QLabel, "night-wake").text() == "轻触屏幕唤醒"
    assert attract.slides is None and not attract.timer.isActive()  # no slideshow at all
    assert live(attract, QLabel, "touch-to-start") is None  # the bright band is gone too


def test_a_touch_wakes_it_to_home_and_taps_nothing_under_the_finger(room_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk, _clock = room_kiosk(at(23, 30))
    assert night_screen(kiosk) is not None
    # Where home's first section will be: the waking touch must not open it.
    window = kiosk.shell.windowHandle()
    point = QPoint(300, 250)
    QTest.mousePress(window, LEFT, NO_MODIFIER, point)
    QTest.mouseRelease(window, LEFT, NO_MODIFIER, point)
    QApplication.processEvents()
    assert kiosk.nav.current_name == "home"
    assert kiosk.nav.history == [("attract", {})]
    # The next touch is a tap like any other.
    card = next(c for c in kiosk.nav.currentWidget().findChildren(Card) if c.isVisible() and c.on_tap)
    qtbot.mouseClick(card, LEFT)
    assert kiosk.nav.current_name != "home"


def mean_brightness(widget) -> float:  # type: ignore[no-untyped-def]
    """The page as painted, averaged to one 0-255 grey: how much light the screen gives off."""
    image = widget.grab().toImage().scaled(64, 36)
    greys = [image.pixelColor(x, y).lightness() for x in range(image.width()) for y in range(image.height())]
    return sum(greys) / len(greys)


def test_a_visit_woken_at_night_keeps_its_pages_dim_until_the_idle_reset(room_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A guest who wakes the room kiosk at midnight gets dark pages, not a white one lighting the room."""
    from kiosk_app.theme import NIGHT, NORMAL

    kiosk, clock = room_kiosk(at(0, 30, day=22))
    window = kiosk.shell.windowHandle()
    QTest.mousePress(window, LEFT, NO_MODIFIER, QPoint(640, 400))
    QTest.mouseRelease(window, LEFT, NO_MODIFIER, QPoint(640, 400))
    QApplication.processEvents()
    assert kiosk.nav.current_name == "home" and kiosk.ctx.palette == NIGHT
    night_home = mean_brightness(kiosk.shell)
    assert night_home < 60, night_home
    card = next(c for c in kiosk.nav.currentWidget().findChildren(Card) if c.isVisible() and c.on_tap)
    qtbot.mouseClick(card, LEFT)
    assert kiosk.nav.current_name != "home" and mean_brightness(kiosk.shell) < 60  # the next page too

    clock.now = at(9, 0, day=22)
    kiosk.idle.expire_now()  # the visit ends; by day the next one is bright again
    assert kiosk.ctx.palette == NORMAL
    window = kiosk.shell.windowHandle()
    QTest.mousePress(window, LEFT, NO_MODIFIER, QPoint(640, 400))
    QTest.mouseRelease(window, LEFT, NO_MODIFIER, QPoint(640, 400))
    QApplication.processEvents()
    assert kiosk.nav.current_name == "home" and kiosk.ctx.palette == NORMAL
    assert mean_brightness(kiosk.shell) > night_home + 120


def test_night_falls_and_ends_on_the_kiosk_clock_while_the_loop_shows(room_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk, clock = room_kiosk(at(21, 59))
    attract = kiosk.nav.currentWidget()
    assert night_screen(kiosk) is None and attract.timer.interval() == 8000
    assert attract.night_watch.isActive()
    clock.now = at(22, 1)
    attract.night_watch.timeout.emit()  # the loop looks at the clock (every 30 s)
    assert night_screen(kiosk) is not None and not attract.timer.isActive()
    clock.now = at(22, 2)
    attract.night_watch.timeout.emit()
    assert live(night_screen(kiosk), QLabel, "night-clock").text() == "22:02"
    clock.now = at(7, 1, day=22)
    attract.night_watch.timeout.emit()
    assert night_screen(kiosk) is None and attract.timer.isActive() and attract.timer.interval() == 8000


def test_after_an_idle_reset_at_night_the_screen_goes_dark_again(room_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk, clock = room_kiosk(at(21, 0))
    kiosk.nav.go("home")
    clock.now = at(23, 0)
    kiosk.idle.expire_now()
    assert kiosk.nav.current_name == "attract" and night_screen(kiosk) is not None


def test_a_scenic_spot_at_night_slows_and_dims_the_slideshow(room_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk, _clock = room_kiosk(at(21, 30), profile="scenic_spot", size=(1080, 1920))
    attract = kiosk.nav.currentWidget()
    panel = night_screen(kiosk)
    assert panel is not None and attract.slides is not None and attract.slides.count() >= 1
    assert attract.timer.isActive() and attract.timer.interval() == 120_000
    holder = attract.slides.parentWidget()
    assert holder.graphicsEffect() is not None and holder.graphicsEffect().opacity() < 0.5


def test_a_station_has_no_night(room_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk, _clock = room_kiosk(at(2, 0), profile="station", size=(1920, 1080))
    assert night_screen(kiosk) is None and kiosk.nav.currentWidget().timer.interval() == 8000


# -- the room page: one tap to the scenic areas ---------------------------------------------------
def test_compass_points() -> None:
    from kiosk_app.screens.hotel_room import compass_point

    assert compass_point(36.0, 103.8, 37.0, 103.8) == "hotel.dir.n"
    assert compass_point(36.0, 103.8, 35.0, 102.8) == "hotel.dir.sw"
    assert compass_point(36.0, 103.8, 36.0, 105.7) == "hotel.dir.e"


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_the_room_page_shows_the_way_to_each_scenic_area_and_opens_it(room_kiosk, qtbot, lang) -> None:  # type: ignore[no-untyped-def]
    kiosk, _clock = room_kiosk(at(10, 30))
    kiosk.ctx.session.set_language(lang)
    kiosk.nav.go("home")
    kiosk.nav.go("hotel_room")
    page = kiosk.nav.currentWidget()
    page.complete()
    cards = [c for c in page.findChildren(Card) if c.objectName().startswith("scenic-") and c.isVisibleTo(page)]
    assert len(cards) >= 3
    store = kiosk.ctx.store
    here = kiosk.ctx.config.location
    venues = [store.venue(c.property("venue_id")) for c in cards]
    assert all(v.category == "scenic-area" for v in venues)
    from content_sync.store.content_store import distance_km

    far = [distance_km(*here, v.lat, v.lon) for v in venues]
    assert far == sorted(far)  # nearest first
    first = cards[0]
    where = live(first, QLabel, "scenic-where").text()
    assert ("km" in where or " m " in where) if lang == "en" else ("公里" in where or "米" in where)
    assert any(w in where for w in ("north", "south", "east", "west", "北", "南", "东", "西"))
    assert live(first, QLabel, "scenic-how").text() == kiosk.ctx.tr.content(venues[0].getting_there)
    code = live(first, QLabel, "qr-code")
    # An Amap marker that says its point is WGS-84 (a phone's WeChat opens it; geo: would be text).
    payload = code.property("payload")
    assert payload.startswith("https://uri.amap.com/marker?") and "coordinate=wgs84" in payload
    assert f"position={venues[0].lon:.6f},{venues[0].lat:.6f}" in payload
    # One tap, through the window, opens the place's page.
    window = kiosk.shell.windowHandle()
    page.findChild(type(page.body.itemAt(0).widget())).ensureWidgetVisible(first)
    qtbot.waitUntil(lambda: kiosk.shell.rect().contains(first.mapTo(kiosk.shell, QPoint(30, 30))))
    point = first.mapTo(kiosk.shell, QPoint(30, 30))
    QTest.mouseClick(window, LEFT, NO_MODIFIER, point)
    qtbot.waitUntil(lambda: kiosk.nav.current == ("venue", {"id": venues[0].id}))
