"""Practical pages, the in-room screen, and the staff PIN and status pages, on the demo content."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from content_sync.device.state import DeviceState, InstallRecord
from kiosk_app.config import hash_pin, load_config
from kiosk_app.screens.hotel_room import HotelRoomScreen
from kiosk_app.screens.operator import MAX_WRONG_TRIES, DeviceStatus, OperatorPinScreen, OperatorScreen
from kiosk_app.screens.pages import PageScreen, PracticalScreen, parse_body
from kiosk_app.strings import Translator
from kiosk_app.widgets.common import Card

SCREENS = (PracticalScreen, PageScreen, HotelRoomScreen, OperatorPinScreen, OperatorScreen)
PIN = "2468"


def child(widget, cls, name: str):  # type: ignore[no-untyped-def]
    """The live child called ``name``: a re-rendered screen's old widgets are hidden until deleted."""
    found = [w for w in widget.findChildren(cls, name) if not w.isHidden() and w.isVisibleTo(widget)]
    assert len(found) <= 1, name
    return found[0] if found else None


def texts(widget) -> list[str]:  # type: ignore[no-untyped-def]
    return [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)]


@pytest.fixture
def pin_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\nname = "Test kiosk"\n\n[operator]\npin_hash = "{hash_pin(PIN)}"\n', encoding="utf-8")
    config = load_config(path)
    assert config.problems == ()
    return config


def open_pin_pad(kiosk, qtbot) -> OperatorPinScreen:  # type: ignore[no-untyped-def]
    """Hold the hidden corner: the hold timer fires at once instead of after three seconds."""
    kiosk.shell.on_operator = lambda: kiosk.nav.go("operator_pin")
    kiosk.shell.press_at(QPoint(10, 10))
    assert kiosk.shell.hold.isActive()
    kiosk.shell.hold.timeout.emit()
    kiosk.shell.release()
    assert kiosk.nav.current_name == "operator_pin"
    return kiosk.nav.currentWidget()


def type_pin(kiosk, qtbot, screen: OperatorPinScreen, pin: str) -> None:  # type: ignore[no-untyped-def]
    for digit in pin:
        qtbot.mouseClick(child(screen, QPushButton, f"pin-{digit}"), Qt.MouseButton.LeftButton)
    assert child(screen, QLabel, "pin-dots").text().count("●") == len(pin)
    qtbot.mouseClick(child(screen, QPushButton, "pin-ok"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not screen.checking, timeout=10_000)


def test_parse_body_paragraphs_headings_and_bullets() -> None:
    blocks = parse_body("Intro line.\n\nHotel services\n- Front desk: 0\n- Wi-Fi: on the card\n\n- <b>not</b> markup")
    assert blocks[0].heading == "" and blocks[0].items == [("para", "Intro line.")]
    assert blocks[1].heading == "Hotel services"
    assert blocks[1].items == [("bullet", "Front desk: 0"), ("bullet", "Wi-Fi: on the card")]
    assert blocks[2].items == [("bullet", "<b>not</b> markup")]


def test_practical_lists_pages_and_opens_one(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(extra_screens=SCREENS)
    kiosk.ctx.session.set_language("en")
    kiosk.nav.go("practical")
    screen = kiosk.nav.currentWidget()
    for ident in ("practical-tips", "lanzhou-station-info", "about-this-kiosk"):
        assert child(screen, Card, f"page-{ident}") is not None, ident
    assert child(screen, Card, "page-hotel-room-guide") is None
    qtbot.mouseClick(child(screen, Card, "page-practical-tips"), Qt.MouseButton.LeftButton)
    assert kiosk.nav.current == ("page", {"id": "practical-tips"})
    page = kiosk.nav.currentWidget()
    assert child(page, QLabel, "page-title").text() == "Practical tips for visitors"
    shown = texts(page)
    assert "Emergency and service numbers" in shown  # a heading above bullet items
    assert "Police: 110" in shown  # a bullet item, without its "- "
    assert not any(t.startswith("- ") for t in shown)
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in page.findChildren(QLabel))
    assert kiosk.shell.header.title.full == "Practical tips for visitors"


def test_unknown_page_shows_the_error_screen(make_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(extra_screens=SCREENS)
    kiosk.nav.go("page", id="no-such-page")
    assert kiosk.nav.current_name == "error"


def test_hotel_room_guide_nearby_events_and_stations(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=(1280, 800), extra_screens=SCREENS)
    kiosk.nav.go("hotel_room")
    screen = kiosk.nav.currentWidget()
    assert child(screen, QLabel, "hotel-page-title").text() == "客房指南"
    assert "前台：房间电话拨“0”，24小时服务。" in texts(screen)
    now = kiosk.ctx.now()
    open_ids = {v.id for v in kiosk.ctx.store.venues(open_at=now)}
    shown = [
        c.objectName().removeprefix("venue-") for c in screen.findChildren(Card) if c.objectName().startswith("venue-")
    ]
    assert shown and set(shown) <= open_ids
    assert len(shown) == kiosk.ctx.metrics.columns  # a few, not all of them
    events = [w.objectName().removeprefix("hotel-event-") for w in screen.findChildren(QLabel)
              if w.objectName().startswith("hotel-event-")]  # fmt: skip
    assert events
    cities = {kiosk.ctx.store.venue(o.venue_id).city for o in kiosk.ctx.store.events_between(now, now.replace(hour=23))
              if o.event_id in events and o.venue_id}  # fmt: skip
    assert cities == {"lanzhou"}  # not the other city's events
    hubs = [c.objectName() for c in screen.findChildren(Card) if c.objectName().startswith("hub-")]
    assert hubs[0] == "hub-lanzhou-zhongchuan-airport"
    assert set(hubs) == {"hub-lanzhou-zhongchuan-airport", "hub-lanzhou-railway-station",
                         "hub-lanzhou-west-railway-station"}  # fmt: skip
    airport = child(screen, Card, "hub-lanzhou-zhongchuan-airport")
    more = [w for w in airport.findChildren(QLabel) if w.property("hub_more")]
    assert more and all(w.isHidden() for w in more)
    qtbot.mouseClick(airport, Qt.MouseButton.LeftButton)  # one tap shows the rest
    assert not any(w.isHidden() for w in more)
    assert any("T3航站楼" in t for t in texts(airport))
    qtbot.mouseClick(airport, Qt.MouseButton.LeftButton)
    assert all(w.isHidden() for w in more)
    assert kiosk.shell.header.title.full == "客房服务"


def test_wrong_pin_stays_right_pin_opens_status(make_kiosk, pin_config, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(config=pin_config, extra_screens=SCREENS)
    kiosk.ctx.session.set_language("en")
    pad = open_pin_pad(kiosk, qtbot)
    type_pin(kiosk, qtbot, pad, "1111")
    assert kiosk.nav.current_name == "operator_pin"
    assert child(pad, QLabel, "pin-message").text() == Translator("en")("operator.pin_wrong")
    assert child(pad, QLabel, "pin-dots").text() == ""  # a wrong PIN is cleared
    kiosk.ctx.recorder.wait()  # the screens shown so far are in the outbox
    with DeviceState(kiosk.ctx.content.data.device_db, readonly=True) as device:
        recorded = device.outbox_count()
    assert recorded > 0
    type_pin(kiosk, qtbot, pad, PIN)
    assert kiosk.nav.current_name == "operator"
    status = kiosk.nav.currentWidget()
    assert child(status, QLabel, "operator-content-version").text() == "1"
    assert child(status, QLabel, "operator-count-venues").text() == "44"
    assert child(status, QLabel, "operator-name").text() == "Test kiosk"
    assert child(status, QLabel, "operator-problems").text() == Translator("en")("operator.no_problems")
    # The device database and the media check are read off the GUI thread.
    qtbot.waitUntil(lambda: child(status, QLabel, "operator-outbox").text() != "…", timeout=10_000)
    assert int(child(status, QLabel, "operator-outbox").text()) >= recorded  # the real count, "N waiting"
    assert child(status, QLabel, "operator-media-missing").text() == "0"
    qtbot.waitUntil(lambda: child(status, QLabel, "operator-no-installs") is not None)  # shown once laid out
    assert child(status, QLabel, "operator-no-installs").text() == Translator("en")("operator.no_installs")
    status._status_read(DeviceStatus(installs=[
        InstallRecord("2026-11-20T02:00:00+00:00", "usb", "lanzhou-tianshui-demo", 1, True, "installed"),
        InstallRecord("2026-11-19T02:00:00+00:00", "usb", None, None, False, "bad signature"),
    ], outbox=3))  # fmt: skip
    lines = [label.text() for label in status.findChildren(QLabel, "operator-install")]
    assert lines == ["2026-11-20 10:00  ✓  version 1  lanzhou-tianshui-demo\ninstalled",
                     "2026-11-19 10:00  ✗\nbad signature"]  # fmt: skip
    assert child(status, QLabel, "operator-outbox").text() == "3"
    with qtbot.waitSignal(status.exit_requested, timeout=1000):
        qtbot.mouseClick(child(status, QPushButton, "operator-exit"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(child(status, QPushButton, "operator-done"), Qt.MouseButton.LeftButton)
    assert kiosk.nav.current_name == "home"


def test_status_page_closes_when_left(make_kiosk, pin_config, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(config=pin_config, extra_screens=SCREENS)
    kiosk.nav.go("home")
    type_pin(kiosk, qtbot, open_pin_pad(kiosk, qtbot), PIN)
    assert kiosk.nav.current_name == "operator"
    kiosk.nav.go("practical")  # e.g. the header's buttons
    kiosk.nav.back()  # a visitor pressing Back does not get the status page
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "operator_pin")
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert kiosk.nav.screens["operator"].findChild(QLabel, "operator-content-version") is None


def test_pin_lock_after_five_wrong_tries(make_kiosk, pin_config, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(config=pin_config, extra_screens=SCREENS)
    kiosk.ctx.session.set_language("en")
    pad = open_pin_pad(kiosk, qtbot)
    for _ in range(MAX_WRONG_TRIES):
        type_pin(kiosk, qtbot, pad, "9999")
    assert pad.locked and pad.unlock_timer.isActive() and pad.unlock_timer.interval() == 60_000
    assert child(pad, QLabel, "pin-message").text() == "Too many wrong tries. Try again in 60\u00a0seconds."
    assert not child(pad, QPushButton, "pin-ok").isEnabled()
    assert child(pad, QPushButton, "pin-cancel").isEnabled()
    pad.press("2")  # ignored while locked
    assert pad.pin == ""
    pad.unlock_timer.timeout.emit()  # sixty seconds later
    assert not pad.locked and child(pad, QPushButton, "pin-ok").isEnabled()
    type_pin(kiosk, qtbot, pad, PIN)
    assert kiosk.nav.current_name == "operator"


def test_without_a_pin_every_pin_is_refused(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(extra_screens=SCREENS)  # default config: operator.pin_hash = ""
    kiosk.ctx.session.set_language("en")
    pad = open_pin_pad(kiosk, qtbot)
    for pin in ("0000", "1234", PIN, "123456789012"):
        type_pin(kiosk, qtbot, pad, pin)
        assert kiosk.nav.current_name == "operator_pin"
    assert child(pad, QLabel, "pin-message").text() == Translator("en")("operator.pin_not_set")
    kiosk.nav.go("operator")  # asking for the status page directly leads back to the PIN pad
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "operator_pin")


def test_cancel_and_idle_reset_forget_the_pin(make_kiosk, pin_config, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(config=pin_config, extra_screens=SCREENS)
    pad = open_pin_pad(kiosk, qtbot)
    for digit in "24":
        qtbot.mouseClick(child(pad, QPushButton, f"pin-{digit}"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(child(pad, QPushButton, "pin-cancel"), Qt.MouseButton.LeftButton)
    assert kiosk.nav.current_name == "home" and pad.pin == ""

    pad = open_pin_pad(kiosk, qtbot)
    for digit in "246":
        qtbot.mouseClick(child(pad, QPushButton, f"pin-{digit}"), Qt.MouseButton.LeftButton)
    kiosk.shell.reset_session()
    assert kiosk.nav.current_name == "attract" and pad.pin == ""
    # The next person in the corner starts from an empty pad.
    pad = open_pin_pad(kiosk, qtbot)
    assert pad.dots.text() == "" and pad.feedback.text() == ""

    type_pin(kiosk, qtbot, pad, PIN)
    assert kiosk.nav.current_name == "operator"
    kiosk.shell.reset_session()
    assert kiosk.nav.current_name == "attract"
    assert not kiosk.nav.screens["operator"].granted
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert kiosk.nav.screens["operator"].findChild(QLabel, "operator-count-venues") is None


def test_status_lists_each_configuration_problem(make_kiosk, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f'[kiosk]\nprofile = "moon"\nbogus = 1\n[operator]\npin_hash = "{hash_pin(PIN)}"\n', encoding="utf-8"
    )
    config = load_config(path)
    kiosk = make_kiosk(config=config, extra_screens=SCREENS)
    type_pin(kiosk, qtbot, open_pin_pad(kiosk, qtbot), PIN)
    status = kiosk.nav.currentWidget()
    shown = [label.text() for label in status.findChildren(QLabel, "operator-problem")]
    assert shown == list(config.problems) and len(shown) == 2
    assert child(status, QLabel, "operator-problems") is None
