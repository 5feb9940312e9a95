"""Emergency notices on the real kiosk (Qt widgets offscreen): full screen on the attract loop in zh-Hans and
English at once, a red band above home's tiles, gone at their end by the screens' own timer on the injected
clock, never a traceback on a stored value, right-to-left languages included.

PNGs of attract and home with a notice (landscape and portrait, en and zh-Hans) are written with
KIOSK_EMERGENCY_SHOTS=folder, to look at.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from kiosk_app.feeds import current_emergencies, next_emergency_change

from ..content_sync.sync import feed_samples as samples
from .support import DEMO_NOW

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(*DEMO_NOW, tzinfo=ZONE)
HOUR = dt.timedelta(hours=1)
SHOTS = Path(os.environ["KIOSK_EMERGENCY_SHOTS"]) if os.environ.get("KIOSK_EMERGENCY_SHOTS") else None
TITLE = {
    "zh-Hans": "暴雪红色预警：景区暂停开放",
    "en": "Red blizzard warning: scenic areas closed",
    "ar": "تحذير من عاصفة ثلجية",
}
BODY = {
    "zh-Hans": "请留在室内，听从工作人员指引。火车站候车室开放供取暖。",
    "en": "Stay indoors and follow the staff's directions. The station's waiting hall is open to keep warm.",
    "ar": "ابقوا في الداخل واتبعوا تعليمات الموظفين.",
}


def notice(ident: str, start: dt.datetime, end: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "severity": "emergency",
        "title": dict(TITLE),
        "body": dict(BODY),
        "starts_at": samples.iso(start),
        "ends_at": samples.iso(end),
        "issued_at": samples.iso(start),
        **extra,
    }


def stored(notices: list[dict[str, Any]], issued: dt.datetime = NOW) -> dict[str, Any]:
    """The feed as the sync agent keeps it in ``sync_state`` (content_sync.sync.feeds)."""
    data = {"kind": "emergency", "format": 1, "issued_at": samples.iso(issued), "notices": notices}
    return {"kind": "emergency", "data": data, "issued_at": data["issued_at"], "fetched_at": data["issued_at"]}


class Clock:
    """The kiosk's injected clock, moved by the test."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


def use(kiosk: Any, record: Any, clock: Any, lang: str = "en") -> None:
    kiosk.ctx.clock = clock
    kiosk.ctx.feed = lambda kind: record if kind == "emergency" else None
    kiosk.ctx.session.set_language(lang)


def visible(root: QWidget, name: str) -> list[QWidget]:
    return [w for w in root.findChildren(QWidget, name) if w.isVisibleTo(root)]


def texts(widget: QWidget) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)]


def show(kiosk: Any, name: str) -> QWidget:
    kiosk.nav.go(name)
    page = kiosk.nav.currentWidget()
    assert page.name == name
    QTest.qWait(50)
    return page


def shot(kiosk: Any, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for _ in range(4):
            QApplication.sendPostedEvents()
            QApplication.processEvents()
            kiosk.ctx.tasks.wait(5000)
        kiosk.shell.grab().save(str(SHOTS / f"{name}.png"))


def test_a_notice_in_force_takes_the_attract_loop_in_both_languages_and_home_shows_it_above_the_tiles(
    make_kiosk: Any, qtbot: Any
) -> None:
    kiosk = make_kiosk()
    record = stored([notice("blizzard", NOW - HOUR, NOW + 3 * HOUR), notice("later", NOW + HOUR, NOW + 2 * HOUR)])
    use(kiosk, record, Clock(NOW))
    attract = show(kiosk, "attract")
    panels = visible(attract, "emergency-panel")
    assert len(panels) == 1
    words = texts(panels[0])
    assert TITLE["zh-Hans"] in words and TITLE["en"] in words  # both at once: no language chosen yet
    assert BODY["zh-Hans"] in words and BODY["en"] in words
    assert any("紧急通知" in w and "Emergency notice" in w for w in words)
    assert attract.slides is None and not attract.timer.isActive()  # no slideshow behind it
    assert panels[0].height() > kiosk.shell.height() // 2  # full screen, not a strip
    remaining = attract.emergency.timer.remainingTime()
    assert 0 < remaining <= attract.emergency.max_wait_ms + 100  # looks again by itself

    # A touch still opens home: the band above the tiles, and the tiles still work.
    QTest.mouseClick(panels[0], Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    QTest.qWait(50)
    home = kiosk.nav.currentWidget()
    assert home.name == "home"
    bands = visible(home, "emergency-banner")
    assert len(bands) == 1 and any(TITLE["en"] in w for w in texts(bands[0]))
    assert not any(TITLE["zh-Hans"] in w for w in texts(bands[0]))  # home speaks the visitor's language
    tile = visible(home, "home-all-places")[0]
    top = lambda w: w.mapTo(home, QPoint(0, 0)).y()  # noqa: E731
    assert top(bands[0]) + bands[0].height() <= top(tile)
    assert tile.height() >= 72
    kiosk.ctx.session.set_language("zh-Hans")
    QTest.qWait(50)
    band = visible(kiosk.nav.currentWidget(), "emergency-banner")[0]
    assert any(TITLE["zh-Hans"] in w and "紧急通知" in w for w in texts(band))
    tile = visible(kiosk.nav.currentWidget(), "home-all-places")[0]
    qtbot.waitUntil(tile.isVisible, timeout=10000)
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: kiosk.nav.currentWidget().name == "venues", timeout=10000)


def test_home_tiles_take_a_tap_on_the_turn_after_home_builds_below_the_fold_in_the_new_language(
    make_kiosk: Any,
) -> None:
    """The case above without its timing: home re-rendered in Chinese under the band, its parts below
    the fold built (as the navigator does after the first paint), one turn of the event loop, then a
    finger on "All places". The page used to be squeezed into its old height for that one turn."""
    kiosk = make_kiosk()
    use(kiosk, stored([notice("blizzard", NOW - HOUR, NOW + 3 * HOUR)]), Clock(NOW))
    home = show(kiosk, "home")
    kiosk.ctx.session.set_language("zh-Hans")
    QApplication.sendPostedEvents()
    assert home.incomplete and visible(home, "emergency-banner")
    home.complete()
    QApplication.sendPostedEvents()  # one turn; the touch is next
    tile = visible(home, "home-all-places")[0]
    point = tile.mapTo(kiosk.shell, tile.rect().center())
    hit = kiosk.shell.childAt(point)
    assert hit is tile or tile.isAncestorOf(hit), f"under the finger: {type(hit).__name__}"
    QTest.mouseClick(kiosk.shell.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    QTest.qWait(50)
    assert kiosk.nav.currentWidget().name == "venues"


def test_at_its_end_the_notice_goes_by_itself_on_the_kiosks_clock(make_kiosk: Any) -> None:
    kiosk = make_kiosk()
    base = NOW.replace(microsecond=0)
    started = time.monotonic()
    moving = lambda: base + dt.timedelta(seconds=time.monotonic() - started)  # noqa: E731
    use(kiosk, stored([notice("short", base - HOUR, base + dt.timedelta(seconds=2))]), moving)
    attract = show(kiosk, "attract")
    assert visible(attract, "emergency-panel")
    # No test hook: the screen's own timer, armed for the notice's end on the injected clock.
    QTest.qWait(100)
    assert attract.emergency.timer.remainingTime() <= 2100
    for _ in range(60):
        QTest.qWait(100)
        if not visible(attract, "emergency-panel"):
            break
    assert not visible(attract, "emergency-panel")
    assert attract.slides is not None and attract.timer.isActive()  # the slideshow is back
    assert moving() >= base + dt.timedelta(seconds=2)


def test_home_drops_the_band_at_the_end_and_a_notice_arriving_later_shows_up(make_kiosk: Any, monkeypatch: Any) -> None:
    from kiosk_app.widgets.emergency_banner import EmergencyWatch

    monkeypatch.setattr(EmergencyWatch, "max_wait_ms", 100)  # the half-minute look, shortened
    kiosk = make_kiosk()
    clock = Clock(NOW)
    record: dict[str, Any] = {"value": None}
    kiosk.ctx.clock = clock
    kiosk.ctx.feed = lambda kind: record["value"] if kind == "emergency" else None
    home = show(kiosk, "home")
    assert not visible(home, "emergency-banner")
    record["value"] = stored([notice("blizzard", NOW - HOUR, NOW + HOUR)])  # the agent stored a feed
    QTest.qWait(400)
    assert visible(home, "emergency-banner")
    clock.moment = NOW + HOUR  # its end (ends_at is exclusive)
    QTest.qWait(400)
    assert not visible(home, "emergency-banner")
    assert kiosk.nav.currentWidget() is home  # the page under the visitor's finger stays


def test_right_to_left_languages_read_the_notice(make_kiosk: Any, kiosk_config: Any) -> None:
    kiosk = make_kiosk()
    use(kiosk, stored([notice("blizzard", NOW - HOUR, NOW + HOUR)]), Clock(NOW), lang="ar")
    home = show(kiosk, "home")
    band = visible(home, "emergency-banner")[0]
    assert any(TITLE["ar"] in w and "إشعار طارئ" in w for w in texts(band))
    assert band.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert band.width() >= home.width() - 10  # the band spans the page, mirrored or not
    untranslated = stored([notice("blizzard", NOW - HOUR, NOW + HOUR, title={k: TITLE[k] for k in ("zh-Hans", "en")})])
    use(kiosk, untranslated, Clock(NOW), lang="ar")
    kiosk.nav.refresh()
    QTest.qWait(50)
    band = visible(kiosk.nav.currentWidget(), "emergency-banner")[0]
    assert any(TITLE["en"] in w for w in texts(band))  # falls back like pack text


def _hostile() -> list[Any]:
    good = notice("x", NOW - HOUR, NOW + HOUR)
    values: list[Any] = [None, 3, "emergency", [], {}, {"data": None}, {"data": {"kind": "transport"}}]
    for change in (
        lambda n: n.update(ends_at=None),
        lambda n: n.update(ends_at="9999-12-31T23:59:59+14:00"),
        lambda n: n.update(starts_at="0001-01-01T00:00:00+00:00"),
        lambda n: n.update(starts_at="2026-11-21T10:00:00"),
        lambda n: n.update(ends_at=samples.iso(NOW + dt.timedelta(days=30))),  # longer than any notice may last
        lambda n: n.update(title={"en": 5}),
        lambda n: n.update(title=None),
        lambda n: n.update(body=["x"]),
        lambda n: n.update(severity="panic"),
        lambda n: n.update(id=None),
    ):
        item = dict(good)
        change(item)
        values.append(stored([item]))
    values.append({"data": {"kind": "emergency", "issued_at": samples.iso(NOW), "notices": "x" * 100}})
    return values


@pytest.mark.parametrize("record", _hostile())
def test_any_stored_value_that_is_not_a_notice_is_ignored_never_a_traceback(make_kiosk: Any, record: Any) -> None:
    assert current_emergencies(record, NOW) == []
    next_emergency_change(record, NOW)
    kiosk = make_kiosk()
    use(kiosk, record, Clock(NOW))
    assert not visible(show(kiosk, "attract"), "emergency-panel")
    assert not visible(show(kiosk, "home"), "emergency-banner")


def test_screenshots_of_attract_and_home_with_a_notice(make_kiosk: Any) -> None:
    """Landscape and portrait, en and zh-Hans (written only with KIOSK_EMERGENCY_SHOTS)."""
    record = stored([notice("blizzard", NOW - HOUR, NOW + 5 * HOUR)])
    for layout, size in (("landscape", (1920, 1080)), ("portrait", (1080, 1920))):
        kiosk = make_kiosk(size=size)
        for lang in ("en", "zh-Hans"):
            use(kiosk, record, Clock(NOW), lang=lang)
            kiosk.nav.refresh()
            attract = show(kiosk, "attract")
            assert visible(attract, "emergency-panel")
            shot(kiosk, f"emergency-attract-{layout}-{lang}")
            home = show(kiosk, "home")
            assert visible(home, "emergency-banner")
            shot(kiosk, f"emergency-home-{layout}-{lang}")


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_a_long_notice_fits_the_attract_screen_in_smaller_text_and_home_shows_its_start(
    make_kiosk: Any, size: tuple[int, int]
) -> None:
    long_zh = "请留在室内，听从工作人员指引。" * 60  # 900 characters
    long_en = ("Stay indoors and follow the staff's directions. " * 20).strip()  # about 1000 characters
    kiosk = make_kiosk(size=size)
    record = stored([notice("long", NOW - HOUR, NOW + HOUR, body={"zh-Hans": long_zh, "en": long_en})])
    use(kiosk, record, Clock(NOW))
    attract = show(kiosk, "attract")
    [panel] = visible(attract, "emergency-panel")
    words = texts(panel)
    assert long_zh in words and long_en in words  # whole, both languages
    # Nothing is cut off: every label lies inside the panel, and the panel inside the screen.
    for label in panel.findChildren(QLabel):
        if label.isVisibleTo(panel):
            bottom = label.mapTo(panel, QPoint(0, label.height())).y()
            assert bottom <= panel.height(), label.text()[:40]
            assert label.height() >= label.heightForWidth(label.width()) - 2, label.text()[:40]
    assert panel.mapTo(kiosk.shell, QPoint(0, panel.height())).y() <= kiosk.shell.height()
    shot(kiosk, f"emergency-attract-long-{size[0]}x{size[1]}")
    home = show(kiosk, "home")
    [band] = visible(home, "emergency-banner")
    body = next(w for w in texts(band) if w.startswith("Stay indoors"))
    assert len(body) <= 280 and body.endswith("…")
    assert band.height() < home.height() // 2  # the tiles stay in view
    shot(kiosk, f"emergency-home-long-{size[0]}x{size[1]}")
