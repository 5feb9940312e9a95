"""The kiosk as a visitor meets it: real widgets, offscreen, on the demo content."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from kiosk_app.widgets.common import Card


def test_starts_on_attract_and_a_touch_opens_home(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert kiosk.nav.current_name == "attract"
    assert not kiosk.shell.header.isVisible()
    qtbot.mouseClick(kiosk.nav.currentWidget(), Qt.MouseButton.LeftButton)
    assert kiosk.nav.current_name == "home"
    assert kiosk.shell.header.isVisible()


def test_home_theme_venue_and_qr(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("home")
    tile = kiosk.shell.findChild(Card, "theme-yellow-river")
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    assert kiosk.nav.current_name == "venues" and kiosk.nav.current[1] == {"theme": "yellow-river"}
    card = kiosk.nav.currentWidget().findChild(Card, "venue-zhongshan-iron-bridge")
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    assert kiosk.nav.current == ("venue", {"id": "zhongshan-iron-bridge"})
    screen = kiosk.nav.currentWidget()
    assert screen.findChild(QLabel, "venue-name").text() == "中山铁桥"  # default language zh-Hans
    codes = [label.property("payload") for label in screen.findChildren(QLabel, "qr-code")]
    assert codes and codes[-1].startswith("geo:36.066800,103.826200")


def test_a_kiosk_without_content_says_so_and_starts_when_a_pack_arrives(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from content_sync.layout import DataDir
    from kiosk_app.no_content import NoContentWindow

    data = DataDir(tmp_path / "empty")
    window = NoContentWindow(lambda: data.read_pointer() is not None)
    qtbot.addWidget(window)
    texts = [label.text() for label in window.findChildren(QLabel)]
    assert any("工作人员" in t for t in texts) and any("staff" in t for t in texts)
    with qtbot.assertNotEmitted(window.ready):
        window.check()
    data.content.mkdir(parents=True)
    data.pointer_path.write_text('{"current": "v1", "previous": null, "pack_id": "x", "content_version": 1, '
                                 '"installed_at": "2026-11-21T00:00:00+00:00"}')  # fmt: skip
    with qtbot.waitSignal(window.ready, timeout=1000):
        window.check()
