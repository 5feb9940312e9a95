"""Honest "open now", the step-free filter, near events first and localised credits, through the
real window as a finger taps (issue 14 items 4 and 10). The clock is injected: no wall clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QWidget

from kiosk_app.widgets.common import Card

from .support import finished

SH = ZoneInfo("Asia/Shanghai")
MUSEUM = "gansu-provincial-museum"  # Tue-Sun 09:00-17:00, last entry 16:00
SATURDAY_1630 = dt.datetime(2026, 11, 21, 16, 30, tzinfo=SH)


def config_file(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    from kiosk_app.config import load_config

    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path)
    assert config.problems == ()
    return config


def tap(kiosk, qtbot, target: QWidget) -> None:  # type: ignore[no-untyped-def]
    """Scroll ``target`` into the window as a visitor would, then press and release on it there."""
    qtbot.waitUntil(target.isVisible)
    area = next((a for a in kiosk.nav.currentWidget().findChildren(QScrollArea) if a.isAncestorOf(target)), None)

    def in_view() -> bool:
        if area is not None:
            area.ensureWidgetVisible(target)
        return kiosk.shell.rect().contains(target.mapTo(kiosk.shell, target.rect().center()))

    qtbot.waitUntil(in_view)
    qtbot.wait(100)  # a page laid out a few turns of the loop later moves what was scrolled to
    qtbot.waitUntil(in_view)
    at = target.mapTo(kiosk.shell, target.rect().center())
    window = kiosk.shell.windowHandle()
    QTest.mousePress(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    qtbot.wait(60)  # a finger rests a moment; the page's kinetic scroller decides then it was a tap
    QTest.mouseRelease(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)


def shown_venues(kiosk) -> list[str]:  # type: ignore[no-untyped-def]
    page = kiosk.nav.currentWidget()
    return [
        c.objectName().removeprefix("venue-") for c in page.findChildren(Card) if c.objectName().startswith("venue-")
    ]


def texts(widget: QWidget) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel)]


@pytest.fixture
def lobby_in_english(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A hotel lobby kiosk: its home has the "open now" tile."""
    return config_file(tmp_path, '[kiosk]\nprofile = "hotel_lobby"\n[languages]\ndefault = "en"\n')


def test_past_last_entry_the_museum_says_so_and_is_not_open_now(make_kiosk, qtbot, lobby_in_english) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(config=lobby_in_english, now=SATURDAY_1630)
    kiosk.nav.go("home")
    finished(kiosk, qtbot)
    tile = kiosk.nav.currentWidget().findChild(Card, "home-open_now")
    tile_count = int(tile.findChildren(QLabel)[-1].text().split()[0])
    tap(kiosk, qtbot, tile)
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "venues" and kiosk.nav.currentWidget().params.get("open_now"))
    finished(kiosk, qtbot)
    listed = shown_venues(kiosk)
    assert MUSEUM not in listed and "gansu-jiandu-museum" not in listed  # both past their 16:00 last entry
    assert len(listed) == tile_count  # the tile counts what the list shows
    open_filter = kiosk.nav.currentWidget().findChild(QPushButton, "filter-open-now")
    tap(kiosk, qtbot, open_filter)  # every place again: the museum's card says why it is not open
    qtbot.waitUntil(lambda: MUSEUM in shown_venues(kiosk))
    card = kiosk.nav.currentWidget().findChild(Card, f"venue-{MUSEUM}")
    assert "Last entry was 16:00 · Opens tomorrow 09:00" in texts(card)
    tap(kiosk, qtbot, card)
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "venue")
    page_texts = texts(kiosk.nav.currentWidget())
    assert "Last entry was 16:00 · Opens tomorrow 09:00" in page_texts
    assert not any(t.startswith("Open now") for t in page_texts)


def test_before_last_entry_the_museum_is_open_and_gives_the_last_entry(make_kiosk, qtbot, lobby_in_english) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(config=lobby_in_english, now=dt.datetime(2026, 11, 21, 15, 30, tzinfo=SH))
    kiosk.nav.go("venues", open_now=True)
    finished(kiosk, qtbot)
    card = kiosk.nav.currentWidget().findChild(Card, f"venue-{MUSEUM}")
    assert card is not None and "Open now · Last entry 16:00" in texts(card)


def test_step_free_filter_shows_only_step_free_places(make_kiosk, qtbot, lobby_in_english) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(config=lobby_in_english)
    kiosk.nav.go("venues")
    finished(kiosk, qtbot)
    everything = shown_venues(kiosk)
    chip = kiosk.nav.currentWidget().findChild(QPushButton, "filter-step-free")
    assert chip is not None and chip.text() == "Step-free" and not chip.isChecked()
    tap(kiosk, qtbot, chip)
    qtbot.waitUntil(lambda: kiosk.nav.currentWidget().params.get("step_free") is True)
    finished(kiosk, qtbot)
    listed = shown_venues(kiosk)
    step_free = {v.id for v in kiosk.ctx.store.venues() if v.accessibility.get("step_free") is True}
    assert listed and set(listed) == step_free and len(listed) < len(everything)
    assert kiosk.nav.currentWidget().findChild(QPushButton, "filter-step-free").isChecked()
    # Every demo place says whether it is step-free, so the filter hides nothing for want of data.
    assert all(isinstance(v.accessibility.get("step_free"), bool) for v in kiosk.ctx.store.venues())


def test_a_lanzhou_station_kiosk_leads_today_s_events_with_lanzhou(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The default kiosk stands at Lanzhou station; the Tianshui Museum's exhibition opens earlier
    in the day but is 234 km away."""
    kiosk = make_kiosk()  # Saturday 10:30, station profile
    assert kiosk.ctx.config.profile == "station"
    city = {v.id: v.city for v in kiosk.ctx.store.venues()}
    events = {e.event_id: e.venue_id for e in kiosk.ctx.store.events_between(
        dt.datetime(2026, 11, 21, tzinfo=SH), dt.datetime(2026, 11, 22, tzinfo=SH))}  # fmt: skip
    kiosk.nav.go("home")
    finished(kiosk, qtbot)
    home_events = [b for b in kiosk.nav.currentWidget().findChildren(QPushButton)
                   if b.objectName().startswith("home-event-")]  # fmt: skip
    assert home_events
    first = home_events[0].objectName().removeprefix("home-event-")
    assert city.get(events[first]) == "lanzhou"
    tap(kiosk, qtbot, home_events[0])
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "events")
    finished(kiosk, qtbot)
    cards = [c for c in kiosk.nav.currentWidget().findChildren(Card) if c.objectName().startswith("event-")]
    cities = [city.get(events[c.objectName().removeprefix("event-").rsplit("-", 1)[0]]) for c in cards]
    assert cities[0] == "lanzhou" and "tianshui" in cities
    assert cities.index("tianshui") > max(i for i, c in enumerate(cities) if c == "lanzhou")


def test_image_credit_is_in_chinese_on_a_chinese_page(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk()
    kiosk.ctx.session.set_language("zh-Hans")
    kiosk.nav.go("venue", id=MUSEUM)
    finished(kiosk, qtbot)
    shown = "\n".join(texts(kiosk.nav.currentWidget()))
    assert "图片：为本项目绘制的插画（CC0-1.0）" in shown
    assert "Illustration" not in shown
    kiosk.ctx.session.set_language("en")
    finished(kiosk, qtbot)
    assert "Image: Illustration drawn for this project (CC0-1.0)" in "\n".join(texts(kiosk.nav.currentWidget()))
