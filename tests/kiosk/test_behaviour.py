"""What the kiosk must guarantee whatever the screen: lockdown, idle reset, languages, layouts, errors."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from kiosk_app.config import load_config
from kiosk_app.screens.base import Screen
from tests.kiosk.support import finished

LAYOUTS = [(1920, 1080), (1080, 1920), (1280, 800)]


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(object name, text) of every visible label and button that carries words."""
    out = []
    for widget in root.findChildren(QLabel) + root.findChildren(QPushButton):
        if not widget.isVisibleTo(root) or widget.objectName().startswith("lang-"):
            continue
        if _in_taxi_card(widget):  # Chinese on purpose, for the driver, on every language's page
            continue
        text = widget.text()
        if re.search(r"[A-Za-z\u4e00-\u9fff\u0600-\u06ff\u3040-\u30ff\uac00-\ud7af\u0400-\u04ff]", text):
            out.append((widget.objectName(), text))
    return out


def _in_taxi_card(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if parent.objectName() == "taxi-card":
            return True
        parent = parent.parentWidget()
    return False


@pytest.mark.parametrize("screen", ["home", "venues", "venue", "error"])
def test_switching_language_changes_every_visible_string(make_kiosk, screen: str) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk()
    params = {"id": "fuxi-temple"} if screen == "venue" else {}
    kiosk.nav.go(screen, **params)
    QApplication.processEvents()
    chinese = visible_texts(kiosk.shell)
    kiosk.ctx.session.set_language("en")
    QApplication.processEvents()
    english = visible_texts(kiosk.shell)
    assert len(chinese) > 3 and len(english) == len(chinese)
    unchanged = [(name, zh) for (name, zh), (_, en) in zip(chinese, english, strict=True) if zh == en]
    assert unchanged == []
    assert all(not re.search(r"[\u4e00-\u9fff]", text) for _, text in english), english


@pytest.mark.parametrize(
    ("key", "modifiers"),
    [
        (Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier),
        (Qt.Key.Key_Tab, Qt.KeyboardModifier.AltModifier),
        (Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F11, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Backspace, Qt.KeyboardModifier.AltModifier),
        (Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier),
        (Qt.Key.Key_Super_L, Qt.KeyboardModifier.NoModifier),
    ],
)
def test_escape_shortcuts_do_nothing(kiosk, key, modifiers) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("venue", id="zhongshan-iron-bridge")
    before = kiosk.lockdown.blocked
    for kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(kiosk.shell, QKeyEvent(kind, key, modifiers))
    assert kiosk.lockdown.blocked >= before + 3
    assert kiosk.shell.isVisible() and kiosk.nav.current == ("venue", {"id": "zhongshan-iron-bridge"})


def test_keys_and_right_clicks_through_the_window_are_swallowed(kiosk) -> None:  # type: ignore[no-untyped-def]
    """Real input reaches the window before any widget: that is where lockdown and idle watch."""
    kiosk.nav.go("venue", id="zhongshan-iron-bridge")
    window = kiosk.shell.windowHandle()
    before = kiosk.lockdown.blocked
    QTest.keyClick(window, Qt.Key.Key_Escape)
    QTest.keyClick(window, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier)
    QTest.mouseClick(window, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 300))
    assert kiosk.lockdown.blocked >= before + 4
    assert kiosk.nav.current == ("venue", {"id": "zhongshan-iron-bridge"}) and kiosk.shell.isVisible()
    kiosk.idle.quiet.stop()
    QTest.mouseClick(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 1070))
    assert kiosk.idle.quiet.isActive()  # a touch anywhere counts as someone being there


def test_no_context_menu_and_no_closing(kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("home")
    before = kiosk.lockdown.blocked
    QApplication.sendEvent(
        kiosk.nav.currentWidget(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(5, 5), QPoint(5, 5))
    )
    assert kiosk.lockdown.blocked == before + 1
    assert kiosk.shell.close() is False and kiosk.shell.isVisible()
    kiosk.lockdown.allow_close = True  # the operator's exit
    assert kiosk.shell.close() is True


def test_idle_reset_wipes_the_session(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    stopped = []
    kiosk.shell.on_reset.append(lambda: stopped.append("audio"))
    kiosk.nav.go("home")
    kiosk.nav.go("venues", theme="silk-road")
    kiosk.nav.go("venue", id="gansu-provincial-museum")
    kiosk.ctx.session.set_language("en")
    kiosk.ctx.session.set_display(high_contrast=True, large_text=True)
    page = kiosk.nav.currentWidget()
    assert kiosk.nav.history
    # Quiet time: warning first, then the reset.
    kiosk.idle.quiet.timeout.emit()
    assert kiosk.shell.overlay.isVisible() and "Still there?" in kiosk.shell.overlay.message.text()
    kiosk.idle.expire_now()
    assert kiosk.nav.current_name == "attract" and kiosk.nav.history == []
    assert kiosk.ctx.session.language == "zh-Hans"
    assert not kiosk.ctx.session.high_contrast and not kiosk.ctx.session.large_text
    assert not kiosk.shell.overlay.isVisible()
    assert stopped == ["audio"]
    assert page not in kiosk.nav.all_screens()  # the last visitor's pages are gone, not shown again


def test_touch_during_the_warning_keeps_the_visit(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("home")
    kiosk.nav.go("venues")
    kiosk.idle.quiet.timeout.emit()
    assert kiosk.shell.overlay.isVisible()
    qtbot.mouseClick(kiosk.shell.overlay.keep, Qt.MouseButton.LeftButton)
    assert not kiosk.shell.overlay.isVisible() and kiosk.nav.current_name == "venues"
    assert kiosk.idle.quiet.isActive()


@pytest.mark.parametrize("size", LAYOUTS)
def test_touch_targets_are_large_in_every_layout(make_kiosk, size) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=size)
    for screen, params in (("home", {}), ("venues", {}), ("venue", {"id": "maijishan-grottoes"})):
        kiosk.nav.go(screen, **params)
        QApplication.processEvents()
        buttons = [b for b in kiosk.shell.findChildren(QPushButton) if b.isVisibleTo(kiosk.shell)]
        assert buttons
        small = [(b.objectName(), b.text(), b.height()) for b in buttons if b.height() < 72]
        assert small == [], f"{size} {screen}"
        assert kiosk.nav.currentWidget().width() <= size[0]


class _Broken(Screen):
    name = "broken"

    def render(self) -> None:
        raise RuntimeError("a bug")


def test_an_error_shows_a_friendly_page_that_returns_home(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(extra_screens=(_Broken,))
    kiosk.nav.go("home")
    kiosk.nav.go("broken")
    assert kiosk.nav.current_name == "error"
    texts = " ".join(t for _, t in visible_texts(kiosk.shell))
    assert "Traceback" not in texts and "RuntimeError" not in texts and "出了点问题" in texts
    kiosk.nav.currentWidget().timer.timeout.emit()
    assert kiosk.nav.current_name == "home"


def test_invalid_configuration_names_the_key_and_uses_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[kiosk]\nprofile = "spaceport"\n[idle]\ntimeout_seconds = 2\n[languages]\noffered = ["zh-Hans", "en"]\n'
        'default = "fr"\n[location]\nlat = 36.05\n[colour]\nscheme = "red"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    problems = "\n".join(config.problems)
    for key in ("kiosk.profile", "idle.timeout_seconds", "languages.default", "colour.scheme"):
        assert key in problems
    assert config.profile == "station" and config["idle.timeout_seconds"] == 90
    assert config.default_language == "zh-Hans" and config.location[0] == 36.05
    broken = tmp_path / "broken.toml"
    broken.write_text("[kiosk\nprofile = ", encoding="utf-8")
    assert load_config(broken).problems and load_config(broken).profile == "station"


@pytest.mark.parametrize("profile", ["station", "hotel_room", "scenic_spot"])
def test_profiles_lead_the_home_screen(tmp_path, profile: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\nprofile = "{profile}"\n', encoding="utf-8")
    config = load_config(path)
    first = {"station": "transport", "hotel_room": "hotel_room", "scenic_spot": "featured"}[profile]
    assert config.home_sections[0] == first


def test_right_to_left_languages_mirror_the_layout(make_kiosk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "kiosk.toml"
    path.write_text('[languages]\noffered = ["zh-Hans", "en", "ar"]\n', encoding="utf-8")
    kiosk = make_kiosk(config=load_config(path))
    kiosk.nav.go("home")
    kiosk.ctx.session.set_language("ar")
    assert kiosk.shell.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert kiosk.nav.current_name == "home" and visible_texts(kiosk.shell)
    kiosk.ctx.session.set_language("en")
    assert kiosk.shell.layoutDirection() == Qt.LayoutDirection.LeftToRight


def test_a_button_on_a_scrolling_page_answers_a_real_tap(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Kinetic scrolling holds back presses; buttons act on the release a finger always sends."""
    from PySide6.QtWidgets import QPushButton, QScrollArea

    kiosk.nav.go("home")
    finished(kiosk, qtbot)  # the events are below the fold: built after the first paint
    page = kiosk.nav.currentWidget()
    target = next(b for b in page.findChildren(QPushButton) if b.objectName().startswith("home-event"))
    qtbot.waitUntil(target.isVisible)  # shown and laid out on the next turn of the event loop
    area = next(a for a in page.findChildren(QScrollArea) if a.isAncestorOf(target))

    def in_view() -> bool:
        """Scrolled into the window and laid out there, where a finger can reach it. Asked again
        until it holds: on a busy machine the page is laid out a few turns of the loop later,
        and a scroll asked for before that lands short (the tap then fell at y=1970)."""
        area.ensureWidgetVisible(target)
        return kiosk.shell.rect().contains(target.mapTo(kiosk.shell, target.rect().center()))

    qtbot.waitUntil(in_view)
    at = target.mapTo(kiosk.shell, target.rect().center())
    QTest.mouseClick(kiosk.shell.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "events")
