"""The hidden staff corner, held with a real finger through the window.

The finger presses the top-left corner, where Home sits on every page and the attract loop
fills the screen, holds it until the PIN pad opens, moves a little and lifts there. The lift
must not count as a tap on what lies under it (Home would close the pad, the attract loop
would start a visit). The hold is the shell's real timer, shortened for the test.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from kiosk_app.app import SCREENS

CORNER = QPoint(20, 20)  # inside the 110 px corner, on the Home button of every page's header
HOLD_MS = 40
# Pages that need an item to show: one each from the demo content.
PARAMS = {
    "venue": {"id": "zhongshan-iron-bridge"},
    "route": {"id": "yellow-river-riverside-walk"},
    "page": {"id": "practical-tips"},
    "venues": {},
}
LEFT, NO_MODIFIER = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def hold_corner_and_lift(kiosk, qtbot, at: QPoint = CORNER) -> None:  # type: ignore[no-untyped-def]
    """Press, hold until the PIN pad is up, slide a few pixels, lift: all as a finger on the window."""
    window = kiosk.shell.windowHandle()
    # The hold fires once and the pad is up. (Not "the hold is running after the press": delivering
    # the press can repaint a slow page for longer than the tests' 40 ms hold, under a faked clock.)
    with qtbot.waitSignal(kiosk.shell.hold.timeout, timeout=5000):
        QTest.mousePress(window, LEFT, NO_MODIFIER, at)
    assert not kiosk.shell.hold.isActive()
    assert kiosk.nav.current_name == "operator_pin"
    QTest.mouseMove(window, at + QPoint(6, 4))
    QTest.mouseRelease(window, LEFT, NO_MODIFIER, at + QPoint(6, 4))
    QApplication.processEvents()


def on_the_attract_loop(kiosk, qtbot):  # type: ignore[no-untyped-def]
    """The attract loop laid out under the corner, where the finger lands (not the bare window)."""
    assert kiosk.nav.current_name == "attract"
    attract = kiosk.nav.currentWidget()
    qtbot.waitUntil(lambda: attract.isAncestorOf(kiosk.shell.childAt(CORNER)) or kiosk.shell.childAt(CORNER) is attract)
    return attract


@pytest.fixture
def staff_kiosk(make_kiosk):  # type: ignore[no-untyped-def]
    def make(size=(1920, 1080)):  # type: ignore[no-untyped-def]
        kiosk = make_kiosk(size=size)
        kiosk.shell.hold_ms = HOLD_MS
        return kiosk

    return make


def test_holding_the_corner_on_the_attract_loop_opens_the_pad_and_the_lift_starts_no_visit(staff_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = staff_kiosk()
    on_the_attract_loop(kiosk, qtbot)
    hold_corner_and_lift(kiosk, qtbot)
    assert kiosk.nav.current_name == "operator_pin"
    assert kiosk.nav.history == [("attract", {})]  # no visit was started under the pad


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (1280, 800)])
def test_holding_the_corner_on_every_screen_keeps_the_pad_open(staff_kiosk, qtbot, size) -> None:  # type: ignore[no-untyped-def]
    kiosk = staff_kiosk(size)
    names = [name for name in kiosk.nav.factories if name not in ("attract", "operator_pin")]
    assert set(SCREENS) - {"attract", "operator_pin"} <= set(names)
    for name in names:
        kiosk.nav.go("home")
        kiosk.nav.go(name, **PARAMS.get(name, {}))
        QApplication.processEvents()  # the status page without the PIN sends to the pad by itself
        shown = kiosk.nav.current_name
        home = kiosk.shell.header.home
        for point in (CORNER, CORNER + QPoint(6, 4)):  # pressed and lifted on Home
            assert home.geometry().contains(home.parentWidget().mapFrom(kiosk.shell, point)), name
        hold_corner_and_lift(kiosk, qtbot)
        assert kiosk.nav.current_name == "operator_pin", (name, shown)
        assert not home.isDown(), name  # the press under the finger was ended, not left hanging


def test_a_quick_tap_on_home_in_the_corner_still_goes_home(staff_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = staff_kiosk()
    kiosk.shell.hold_ms = 60_000  # the finger lifts long before a hold
    kiosk.nav.go("home")
    kiosk.nav.go("venue", **PARAMS["venue"])
    window = kiosk.shell.windowHandle()
    QTest.mousePress(window, LEFT, NO_MODIFIER, CORNER)
    QTest.mouseRelease(window, LEFT, NO_MODIFIER, CORNER)
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "home")
    assert not kiosk.shell.hold.isActive()


def test_after_the_pad_opened_the_next_touch_is_a_tap_again(staff_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = staff_kiosk()
    kiosk.nav.go("home")
    kiosk.nav.go("venue", **PARAMS["venue"])
    hold_corner_and_lift(kiosk, qtbot)
    assert kiosk.nav.current_name == "operator_pin"
    kiosk.shell.hold_ms = 60_000
    window = kiosk.shell.windowHandle()
    QTest.mousePress(window, LEFT, NO_MODIFIER, CORNER)
    QTest.mouseRelease(window, LEFT, NO_MODIFIER, CORNER)
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "home")


def test_a_quick_touch_in_the_corner_of_the_attract_loop_still_starts_a_visit(staff_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = staff_kiosk()
    kiosk.shell.hold_ms = 60_000
    on_the_attract_loop(kiosk, qtbot)
    window = kiosk.shell.windowHandle()
    QTest.mousePress(window, LEFT, NO_MODIFIER, CORNER)
    QTest.mouseRelease(window, LEFT, NO_MODIFIER, CORNER)
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "home")


def test_in_a_right_to_left_language_the_corner_is_top_right_and_holds_too(make_kiosk, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from kiosk_app.config import load_config

    path = tmp_path / "kiosk.toml"
    path.write_text('[languages]\noffered = ["zh-Hans", "en", "ar"]\n', encoding="utf-8")
    kiosk = make_kiosk(config=load_config(path))
    kiosk.shell.hold_ms = HOLD_MS
    kiosk.nav.go("home")
    kiosk.ctx.session.set_language("ar")
    kiosk.nav.go("venue", **PARAMS["venue"])
    QApplication.processEvents()
    corner = QPoint(kiosk.shell.width() - 40, 20)
    home = kiosk.shell.header.home
    for point in (corner, corner + QPoint(6, 4)):  # pressed and lifted on Home: mirrored, it is here
        assert home.geometry().contains(home.parentWidget().mapFrom(kiosk.shell, point))
    hold_corner_and_lift(kiosk, qtbot, at=corner)
    assert kiosk.nav.current_name == "operator_pin" and not home.isDown()
