"""Languages promised are languages offered (issue 14, item 8), and the display switches show their state.

Taps go through the window as a finger's would: a press and release at a point of the shell's
window, which Qt delivers to whatever widget is there.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from kiosk_app.config import KioskConfig
from kiosk_app.strings import LANGUAGE_NAMES, Translator

SIX = ["zh-Hans", "en", "ja", "ar", "ko", "ru"]


def offering(config: KioskConfig, languages: list[str]) -> KioskConfig:
    return KioskConfig({**config.values, "languages.offered": languages}, config.problems, config.source)


def tap(qtbot, kiosk, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    """Press and release at the middle of ``widget``, sent to the window (not to the widget)."""
    qtbot.waitUntil(widget.isVisible, timeout=2000)
    window = kiosk.shell.windowHandle()
    point = widget.mapTo(kiosk.shell, widget.rect().center())
    QTest.mousePress(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    QTest.mouseRelease(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    QTest.qWait(20)


def touch_line(kiosk) -> str:  # type: ignore[no-untyped-def]
    kiosk.nav.go("attract")
    label = kiosk.nav.currentWidget().findChild(QLabel, "touch-to-start")
    return label.text()


def phrase(lang: str) -> str:
    return Translator(lang, fallback=())("attract.touch_to_start")


def test_attract_invites_only_in_the_languages_offered(make_kiosk, kiosk_config) -> None:  # type: ignore[no-untyped-def]
    two = make_kiosk(config=offering(kiosk_config, ["zh-Hans", "en"]))
    line = touch_line(two)
    assert phrase("zh-Hans") in line and phrase("en") in line
    for lang in ("ja", "ar", "ko", "ru"):
        assert phrase(lang) not in line, lang
    three = make_kiosk(config=offering(kiosk_config, ["zh-Hans", "en", "ja"]))
    assert phrase("ja") in touch_line(three) and phrase("ru") not in touch_line(three)


def test_six_languages_share_one_chooser_that_opens_a_list(make_kiosk, kiosk_config, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=(1080, 1920), config=offering(kiosk_config, SIX))
    kiosk.nav.go("home")
    header = kiosk.shell.header
    chooser = header.findChild(QPushButton, "lang-chooser")
    assert chooser is not None and LANGUAGE_NAMES["zh-Hans"] in chooser.text()
    assert not header.findChildren(QPushButton, "lang-ja")  # one button, not six
    tap(qtbot, kiosk, chooser)
    listing = kiosk.shell.findChild(QWidget, "language-list")
    assert listing is not None and listing.isVisible()
    names = {
        b.objectName(): b.text() for b in listing.findChildren(QPushButton) if b.objectName() != "language-list-close"
    }
    assert names == {f"language-list-{lang}": LANGUAGE_NAMES[lang] for lang in SIX}  # each in its own script
    tap(qtbot, kiosk, listing.findChild(QPushButton, "language-list-ja"))
    assert kiosk.ctx.session.language == "ja"
    assert not listing.isVisible()
    assert "日本語" in chooser.text()
    ja = Translator("ja", fallback=())
    assert header.search.text() == ja("nav.search")
    assert header.title.text() == ja("app.title")  # the page itself re-rendered in Japanese


def test_two_languages_keep_a_button_each(make_kiosk, kiosk_config, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=(1080, 1920), config=offering(kiosk_config, ["zh-Hans", "en"]))
    kiosk.nav.go("home")
    english = kiosk.shell.header.findChild(QPushButton, "lang-en")
    tap(qtbot, kiosk, english)
    assert kiosk.ctx.session.language == "en" and english.isChecked()


def accent_share(widget: QWidget, accent: str) -> float:
    """The share of ``widget``'s pixels painted in ``accent``."""
    image = widget.grab().toImage()
    want = QColor(accent).rgb()
    step = 3
    points = [(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)]
    return sum(image.pixel(x, y) == want for x, y in points) / max(1, len(points))


def test_display_switches_show_that_they_are_on(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=(1280, 800))
    kiosk.nav.go("home")
    header = kiosk.shell.header
    tr = kiosk.ctx.tr
    for switch, key in ((header.large, "a11y.large_text"), (header.contrast, "a11y.high_contrast")):
        assert not switch.isChecked() and not switch.text().startswith("✓")
        off_fill = accent_share(switch, kiosk.ctx.palette.accent)
        off_description = switch.accessibleDescription()
        tap(qtbot, kiosk, switch)
        assert switch.isChecked()
        assert accent_share(switch, kiosk.ctx.palette.accent) > max(0.3, off_fill + 0.25)  # filled while on
        assert switch.text().startswith("✓")  # and ticked: a shape, not colour alone
        # Screen readers hear its name and whether it is on.
        assert switch.accessibleName() == tr(key)
        assert off_description == tr("header.switch_off")
        assert switch.accessibleDescription() == kiosk.ctx.tr("header.switch_on")
    assert kiosk.ctx.session.large_text and kiosk.ctx.session.high_contrast
