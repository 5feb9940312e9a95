"""A visitor who writes Chinese instead of typing pinyin, and one who types pinyin or misspells.

Strokes are drawn on the pad through the window with press, moves and release, as a finger
does; candidates and results are tapped like any button.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from content_sync.store.handwriting import HandwritingUnavailable
from kiosk_app.screens import search as search_module
from kiosk_app.screens.search import SearchScreen
from kiosk_app.widgets.handwriting_pad import HandwritingPad
from kiosk_app.widgets.keyboard import OnScreenKeyboard
from tests.handwriting_strokes import BOX, strokes

from .test_search import key, live, open_search, result_cards, shown_text, tap, type_text, wait_for_results

LAYOUT_SIZES = [(1920, 1080), (1080, 1920), (1280, 800)]


@pytest.fixture
def search_kiosk(make_kiosk):  # type: ignore[no-untyped-def]
    return make_kiosk(extra_screens=(SearchScreen,))


def pad(screen: SearchScreen) -> HandwritingPad:
    live()
    found = screen.findChild(HandwritingPad, "handwriting-pad")
    assert found is not None
    return found


def candidates(screen: SearchScreen) -> dict[str, QPushButton]:
    live()
    keyboard = screen.findChild(OnScreenKeyboard, "keyboard")
    return {
        b.property("candidate"): b
        for b in keyboard.findChildren(QPushButton)
        if b.property("candidate") is not None and b.isVisible()
    }


def write(qtbot, target: HandwritingPad, char: str) -> None:  # type: ignore[no-untyped-def]
    """Draw ``char`` stroke by stroke with the finger: press, move along the stroke, release."""
    scale = target.width() / BOX
    for stroke in strokes(char):
        points = [QPoint(round(x * scale), round(y * scale)) for x, y in stroke]
        QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
        for point in points[1:]:
            QTest.mouseMove(target, point)
        QTest.mouseRelease(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1])


def offered(qtbot, screen: SearchScreen) -> list[str]:  # type: ignore[no-untyped-def]
    """The candidates once they are in (the recogniser answers from a worker)."""
    qtbot.waitUntil(lambda: bool(candidates(screen)), timeout=5000)
    return list(candidates(screen))


def choose(qtbot, screen: SearchScreen, word: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: word in candidates(screen), timeout=5000)
    qtbot.mouseClick(candidates(screen)[word], Qt.MouseButton.LeftButton)


def test_writing_lanzhou_by_hand_finds_lanzhou(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    toggle = key(screen, "handwriting")
    assert "手写" in toggle.text()  # readable without pinyin, in every language
    tap(qtbot, screen, "handwriting")
    target = pad(screen)
    assert target.isVisible() and not key(screen, "q").isVisible()
    write(qtbot, target, "兰")
    assert "兰" in offered(qtbot, screen)[:3]  # recognised as the finger writes, after the last stroke
    choose(qtbot, screen, "兰")
    assert target.strokes() == []  # the pad is clear for the next character
    write(qtbot, target, "州")
    choose(qtbot, screen, "州")
    assert shown_text(screen) == "兰州"
    cards = wait_for_results(qtbot, screen, "兰州")
    titles = [c.objectName() for c in cards]
    assert "result-venue-lanzhou-city-museum" in titles or any("lanzhou" in t for t in titles), titles


def test_candidates_appear_after_each_stroke_and_rewrite_clears(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    tap(qtbot, screen, "handwriting")
    target = pad(screen)
    assert candidates(screen) == {}
    write(qtbot, target, "一")
    assert offered(qtbot, screen)[0] == "一"
    # The pinyin words read off the GUI thread arrive later; they must not wipe the pad's candidates.
    qtbot.waitUntil(lambda: screen.lexicon is not None, timeout=10000)
    assert next(iter(candidates(screen))) == "一"
    tap(qtbot, screen, "rewrite")
    assert target.strokes() == [] and candidates(screen) == {}
    # An answer for ink wiped before it arrived is dropped.
    write(qtbot, target, "十")
    tap(qtbot, screen, "rewrite")
    qtbot.waitUntil(lambda: search_kiosk.ctx.tasks.pending == 0, timeout=5000)
    assert candidates(screen) == {}
    write(qtbot, target, "中")
    choose(qtbot, screen, "中")
    tap(qtbot, screen, "pad-delete")
    assert shown_text(screen) == ""
    tap(qtbot, screen, "handwriting")  # back to the letters ("ABC")
    assert key(screen, "q").isVisible() and not target.isVisible()


def test_without_zinnia_there_is_no_pad_and_no_traceback(make_kiosk, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def missing():  # type: ignore[no-untyped-def]
        raise HandwritingUnavailable("the handwriting model is not installed")

    monkeypatch.setattr(search_module, "open_recogniser", missing)
    kiosk = make_kiosk(extra_screens=(SearchScreen,))
    screen = open_search(kiosk)
    live()
    assert screen.findChild(QPushButton, "key-handwriting") is None
    assert screen.findChild(HandwritingPad) is None
    type_text(qtbot, screen, "zsq")
    assert wait_for_results(qtbot, screen, "zsq")


def test_a_recogniser_that_fails_gives_the_keys_back(search_kiosk, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    tap(qtbot, screen, "handwriting")

    def broken(*_args):  # type: ignore[no-untyped-def]
        raise OSError("the model file went away")

    monkeypatch.setattr(screen.recogniser, "candidates", broken)
    write(qtbot, pad(screen), "一")
    qtbot.waitUntil(lambda: key(screen, "q").isVisible(), timeout=5000)
    assert not key(screen, "handwriting").isVisible()
    type_text(qtbot, screen, "zsq")
    assert wait_for_results(qtbot, screen, "zsq")


def test_typed_pinyin_offers_words_from_the_pack(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    qtbot.waitUntil(lambda: screen.lexicon is not None, timeout=10000)
    type_text(qtbot, screen, "maiji")
    words = list(candidates(screen))
    assert "麦积山石窟" in words and "麦积" in words, words
    choose(qtbot, screen, "麦积山石窟")
    assert shown_text(screen) == "麦积山石窟"
    cards = wait_for_results(qtbot, screen, "麦积山石窟")
    assert cards[0].objectName() == "result-venue-maijishan-grottoes"


def test_english_name_tourists_use_finds_the_noodles(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    search_kiosk.ctx.session.set_language("en")
    screen = open_search(search_kiosk)
    type_text(qtbot, screen, "lamian")
    cards = wait_for_results(qtbot, screen, "lamian")
    assert cards and cards[0].objectName() == "result-heritage-lanzhou-beef-noodle-craft"


@pytest.mark.parametrize("language", ["zh-Hans", "en"])
def test_did_you_mean_after_a_misspelling(search_kiosk, qtbot, language: str) -> None:  # type: ignore[no-untyped-def]
    search_kiosk.ctx.session.set_language(language)
    screen = open_search(search_kiosk)
    type_text(qtbot, screen, "maijshan")
    assert wait_for_results(qtbot, screen, "maijshan") == []
    live()
    suggestion = screen.findChild(QPushButton, "search-suggestion")
    assert suggestion is not None
    qtbot.waitUntil(suggestion.isVisible)
    name = {"zh-Hans": "麦积山石窟", "en": "Maijishan Grottoes"}[language]
    assert name in suggestion.text()
    qtbot.mouseClick(suggestion, Qt.MouseButton.LeftButton)
    assert shown_text(screen) == name
    cards = wait_for_results(qtbot, screen, name)
    assert cards[0].objectName() == "result-venue-maijishan-grottoes"


@pytest.mark.parametrize("size", LAYOUT_SIZES)
def test_the_pad_and_its_keys_fit_every_layout(make_kiosk, qtbot, size) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=size, extra_screens=(SearchScreen,))
    screen = open_search(kiosk)
    tap(qtbot, screen, "handwriting")
    target = pad(screen)
    shell = kiosk.shell
    bottom = kiosk.nav.mapTo(shell, QPoint(0, kiosk.nav.height())).y()
    assert target.width() >= 200
    for name in ("handwriting", "rewrite", "pad-delete", "pad-clear"):
        button = key(screen, name)
        assert button.isVisible() and button.height() >= 72 and button.width() >= 72, (name, button.size())
        top_left = button.mapTo(shell, QPoint(0, 0))
        assert top_left.x() >= 0 and top_left.x() + button.width() <= shell.width(), name
        assert top_left.y() + button.height() <= bottom, name
    corner = target.mapTo(shell, QPoint(target.width(), target.height()))
    assert corner.x() <= shell.width() and corner.y() <= bottom


def test_idle_reset_forgets_the_pad(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    tap(qtbot, screen, "handwriting")
    write(qtbot, pad(screen), "十")
    search_kiosk.shell.reset_session()
    screen = open_search(search_kiosk)
    live()
    assert key(screen, "q").isVisible()
    assert screen.findChild(HandwritingPad).strokes() == []
    assert result_cards(screen) == []
