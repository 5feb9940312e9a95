"""Reach mode: on a portrait totem every control sat at the very top, out of reach from a
wheelchair. A switch in the bar (and a kiosk.toml default) brings the bar and the page into
the lower part of the screen, and says that it is on. Taps go through the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from kiosk_app.config import load_config

LAYOUTS = [(1080, 1920), (1920, 1080), (1280, 800)]
LEFT, NO_MODIFIER = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def tap(kiosk, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    """A finger on the window, at the middle of ``widget`` as it is on screen now."""
    QApplication.processEvents()
    point = widget.mapTo(kiosk.shell, widget.rect().center())
    QTest.mouseClick(kiosk.shell.windowHandle(), LEFT, NO_MODIFIER, point)
    QApplication.processEvents()


def on_screen(kiosk, widget: QWidget) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Top and bottom of ``widget`` in the window."""
    top = widget.mapTo(kiosk.shell, QPoint(0, 0)).y()
    return top, top + widget.height()


def reach_switch(kiosk) -> QPushButton:  # type: ignore[no-untyped-def]
    switch = kiosk.shell.header.findChild(QPushButton, "a11y-reach")
    assert switch is not None and switch.isVisibleTo(kiosk.shell), "no reach switch in the bar"
    return switch


@pytest.mark.parametrize("size", LAYOUTS)
def test_the_switch_brings_the_bar_and_the_page_down_and_says_it_is_on(make_kiosk, size) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=size)
    kiosk.nav.go("home")
    height = size[1]
    switch = reach_switch(kiosk)
    assert on_screen(kiosk, kiosk.shell.header)[0] == 0  # today: the bar at the very top
    tap(kiosk, switch)
    assert kiosk.ctx.session.reach and switch.isChecked()
    header_top, header_bottom = on_screen(kiosk, kiosk.shell.header)
    assert header_bottom == height and header_top > height // 2  # the bar at the bottom
    for button in kiosk.shell.header.findChildren(QPushButton):
        if button.isVisibleTo(kiosk.shell):
            assert on_screen(kiosk, button)[0] > height // 2, button.objectName()
    page_top = on_screen(kiosk, kiosk.nav)[0]
    assert page_top >= round(height * 0.15)  # the page starts lower: nothing to reach up for
    # It shows that it is on: the band up top says so, with the page's title.
    band_state = kiosk.shell.findChild(QLabel, "reach-on")
    assert band_state is not None and band_state.isVisibleTo(kiosk.shell)
    assert "低位操作" in band_state.text()
    title = kiosk.nav.currentWidget().title()
    header_title = kiosk.shell.header.findChild(QLabel, "screen-title")
    band_title = kiosk.shell.findChild(QLabel, "reach-title")
    assert band_title.text() == title
    if band_title.isVisibleTo(kiosk.shell):
        assert header_title.text() == ""  # the title once, up top, not again in the bar
    else:
        assert header_title.text() == title  # the tablet's band has no room for it: the bar keeps it
    # The switch, now at the bottom, turns it off again.
    tap(kiosk, reach_switch(kiosk))
    assert not kiosk.ctx.session.reach and on_screen(kiosk, kiosk.shell.header)[0] == 0
    assert not band_state.isVisibleTo(kiosk.shell)
    assert header_title.text() == title


def test_reach_mode_in_english_and_a_tap_on_the_page_still_works(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=(1080, 1920))
    kiosk.nav.go("home")
    tap(kiosk, kiosk.shell.header.findChild(QPushButton, "lang-en"))
    tap(kiosk, reach_switch(kiosk))
    assert "Within reach is on" in kiosk.shell.findChild(QLabel, "reach-on").text()
    tap(kiosk, kiosk.shell.header.findChild(QPushButton, "nav-search"))
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "search")
    assert kiosk.ctx.session.reach  # it stays on from page to page


def test_the_idle_warning_comes_within_reach(make_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=(1080, 1920))
    kiosk.nav.go("home")
    tap(kiosk, reach_switch(kiosk))
    kiosk.idle.quiet.timeout.emit()
    overlay = kiosk.shell.overlay
    assert overlay.isVisible() and on_screen(kiosk, overlay.keep)[0] > 1920 // 2


def test_the_idle_reset_turns_it_off_unless_the_kiosk_starts_in_it(make_kiosk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=(1080, 1920))
    kiosk.nav.go("home")
    tap(kiosk, reach_switch(kiosk))
    kiosk.idle.expire_now()
    assert not kiosk.ctx.session.reach
    path = tmp_path / "kiosk.toml"
    path.write_text("[display]\nreach = true\n", encoding="utf-8")
    config = load_config(path)
    assert config.problems == () and config["display.reach"] is True
    assert load_config(_write(tmp_path, '[display]\nreach = "yes"\n')).problems  # checked like the others
    always = make_kiosk(size=(1080, 1920), config=config)
    always.nav.go("home")
    assert always.ctx.session.reach and on_screen(always, always.shell.header)[1] == 1920
    always.idle.expire_now()
    assert always.ctx.session.reach


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "other.toml"
    path.write_text(text, encoding="utf-8")
    return path
