"""Search on the kiosk: the on-screen keyboard, results as you type, and forgetting the visitor."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from kiosk_app.config import load_config
from kiosk_app.screens import search as search_module
from kiosk_app.screens.search import SearchScreen
from kiosk_app.widgets.common import Card, ScrollPage
from kiosk_app.widgets.keyboard import OnScreenKeyboard

BRIDGE = "result-venue-zhongshan-iron-bridge"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def search_kiosk(make_kiosk):  # type: ignore[no-untyped-def]
    return make_kiosk(extra_screens=(SearchScreen,))


def open_search(kiosk) -> SearchScreen:  # type: ignore[no-untyped-def]
    kiosk.nav.go("search")
    screen = kiosk.nav.currentWidget()
    assert isinstance(screen, SearchScreen)
    return screen


def live() -> None:
    """Finish deleting widgets a re-render replaced, so lookups only find what is on screen."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def key(screen: SearchScreen, name: str) -> QPushButton:
    live()
    button = screen.findChild(QPushButton, f"key-{name}")
    assert button is not None, name
    return button


def tap(qtbot, screen: SearchScreen, *names: str) -> None:  # type: ignore[no-untyped-def]
    for name in names:
        qtbot.mouseClick(key(screen, name), Qt.MouseButton.LeftButton)


def type_text(qtbot, screen: SearchScreen, text: str) -> None:  # type: ignore[no-untyped-def]
    tap(qtbot, screen, *("space" if ch == " " else ch for ch in text))


def shown_text(screen: SearchScreen) -> str:
    live()
    return screen.findChild(QLineEdit, "search-text").text()


def result_cards(screen: SearchScreen) -> list[Card]:
    """The result cards in view, top to bottom and in reading order."""
    live()
    cards = [c for c in screen.findChildren(Card) if c.objectName().startswith("result-")]
    return sorted(cards, key=lambda c: (c.mapTo(screen, QPoint(0, 0)).y(), c.mapTo(screen, QPoint(0, 0)).x()))


def label(screen: SearchScreen, name: str) -> QLabel | None:
    live()
    return screen.findChild(QLabel, name)


def wait_for_results(qtbot, screen: SearchScreen, text: str) -> list[Card]:  # type: ignore[no-untyped-def]
    """Wait until the list answers ``text`` (results are computed off the GUI thread)."""

    def answered() -> bool:
        return screen.results_for == text and bool(result_cards(screen) or label(screen, "search-none"))

    qtbot.waitUntil(answered, timeout=5000)
    return result_cards(screen)


def test_pinyin_initials_and_full_pinyin_find_the_bridge(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    assert label(screen, "search-hint").text() == search_kiosk.ctx.tr("search.hint")
    tap(qtbot, screen, "z", "s", "t", "q")
    assert shown_text(screen) == "zstq"
    cards = wait_for_results(qtbot, screen, "zstq")
    assert cards[0].objectName() == BRIDGE
    assert cards[0].findChild(QLabel, "result-title").text() == "中山铁桥"  # default language zh-Hans
    assert cards[0].findChild(QLabel, "result-kind").text() == "地点"

    tap(qtbot, screen, "clear")
    type_text(qtbot, screen, "zhongshan")
    assert shown_text(screen) == "zhongshan"
    cards = wait_for_results(qtbot, screen, "zhongshan")
    assert cards[0].objectName() == BRIDGE
    assert len(cards) > 1  # the bridge's name leads; places that mention it follow
    count = label(screen, "search-count").text()
    assert count == search_kiosk.ctx.tr.n("search.results", len(cards))


def test_english_prefix_finds_the_bridge_in_english(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    search_kiosk.ctx.session.set_language("en")
    screen = open_search(search_kiosk)
    assert key(screen, "space").text() == "Space" and key(screen, "delete").text() == "Delete"
    type_text(qtbot, screen, "bridg")
    cards = wait_for_results(qtbot, screen, "bridg")
    assert BRIDGE in [c.objectName() for c in cards]
    assert cards[0].findChild(QLabel, "result-title").text() == "Zhongshan Iron Bridge"
    # Switching language keeps the text and shows the same results in the new language.
    search_kiosk.ctx.session.set_language("zh-Hans")
    screen = open_search(search_kiosk)
    assert shown_text(screen) == "bridg" and key(screen, "space").text() == "空格"
    assert result_cards(screen)[0].findChild(QLabel, "result-title").text() == "中山铁桥"


def test_tapping_a_result_opens_the_place(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    type_text(qtbot, screen, "zsq")
    cards = wait_for_results(qtbot, screen, "zsq")
    qtbot.mouseClick(cards[0], Qt.MouseButton.LeftButton)
    assert search_kiosk.nav.current == ("venue", {"id": "zhongshan-iron-bridge"})
    # Back returns to the search as the visitor left it.
    search_kiosk.nav.back()
    assert search_kiosk.nav.current_name == "search"
    assert shown_text(screen) == "zsq" and result_cards(screen)[0].objectName() == BRIDGE


def test_delete_and_clear(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    type_text(qtbot, screen, "zsqx")
    tap(qtbot, screen, "delete")
    assert shown_text(screen) == "zsq"
    assert wait_for_results(qtbot, screen, "zsq")[0].objectName() == BRIDGE
    tap(qtbot, screen, "space", "space")  # a space only after a word, never two
    assert shown_text(screen) == "zsq "
    tap(qtbot, screen, "delete", "delete", "delete", "delete", "delete")  # Delete on empty text is harmless
    assert shown_text(screen) == ""
    type_text(qtbot, screen, "zsq")
    wait_for_results(qtbot, screen, "zsq")
    tap(qtbot, screen, "clear")
    assert shown_text(screen) == ""
    assert result_cards(screen) == []
    assert label(screen, "search-hint") is not None


def test_idle_reset_wipes_the_search(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    type_text(qtbot, screen, "zsq")
    wait_for_results(qtbot, screen, "zsq")
    search_kiosk.shell.reset_session()
    assert search_kiosk.nav.current_name == "attract"
    screen = open_search(search_kiosk)
    assert shown_text(screen) == ""
    assert result_cards(screen) == []
    assert label(screen, "search-hint") is not None
    tap(qtbot, screen, "a")  # the keyboard forgot too: typing starts from nothing
    assert shown_text(screen) == "a"


def test_a_result_arriving_after_reset_is_dropped(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    type_text(qtbot, screen, "zsq")
    screen.timer.stop()
    screen._query()  # in flight on a worker thread; its answer comes back through the event loop
    search_kiosk.shell.reset_session()
    qtbot.waitUntil(lambda: search_kiosk.ctx.tasks.pending == 0, timeout=5000)
    screen = open_search(search_kiosk)
    assert result_cards(screen) == [] and screen.results is None and shown_text(screen) == ""


def test_nothing_found(search_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_search(search_kiosk)
    type_text(qtbot, screen, "xyzzyq")
    assert wait_for_results(qtbot, screen, "xyzzyq") == []
    assert label(screen, "search-none").text() == search_kiosk.ctx.tr("search.none")


def test_queries_run_off_the_gui_thread_on_their_own_connection(search_kiosk, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen = []
    real_open = search_module.open_version

    def spy(data, pointer):  # type: ignore[no-untyped-def]
        store = real_open(data, pointer)
        seen.append((threading.get_ident(), store.conn, pointer.current))
        return store

    monkeypatch.setattr(search_module, "open_version", spy)
    screen = open_search(search_kiosk)
    type_text(qtbot, screen, "zsq")
    wait_for_results(qtbot, screen, "zsq")
    assert seen
    for thread, conn, version in seen:
        assert thread != threading.get_ident()
        assert conn is not search_kiosk.ctx.store.conn
        assert version == search_kiosk.ctx.store.pointer.current  # the version every other screen shows


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (1280, 800)])
def test_keys_are_large_in_every_layout(make_kiosk, qtbot, size) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(size=size, extra_screens=(SearchScreen,))
    screen = open_search(kiosk)
    qtbot.waitUntil(lambda: key(screen, "a").isVisible())
    names = [*LETTERS, "space", "delete", "clear"]
    shell = kiosk.shell
    keyboard = screen.findChild(OnScreenKeyboard, "keyboard")
    bottom = kiosk.nav.mapTo(shell, QPoint(0, kiosk.nav.height())).y()
    for name in names:
        button = key(screen, name)
        assert button.height() >= 72 and button.height() >= kiosk.ctx.metrics.touch, (name, button.size())
        assert button.width() >= 72, (name, button.size())
        assert button.property("role") == "key" and button.focusPolicy() == Qt.FocusPolicy.NoFocus
        top_left = button.mapTo(shell, QPoint(0, 0))
        # Wholly on screen and inside the keyboard: nothing clipped at the edges.
        assert top_left.x() >= 0 and top_left.x() + button.width() <= shell.width(), name
        assert top_left.y() + button.height() <= bottom, name
        assert keyboard.rect().contains(button.geometry()) or keyboard.isAncestorOf(button)
    # Results scroll above the keyboard, never behind it.
    results = screen.findChild(ScrollPage, "search-results")
    results_bottom = results.mapTo(shell, QPoint(0, results.height())).y()
    assert results_bottom <= keyboard.mapTo(shell, QPoint(0, 0)).y()
    assert results.viewport().height() >= 150


def test_right_to_left_keeps_qwerty_order(make_kiosk, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "kiosk.toml"
    path.write_text('[languages]\noffered = ["zh-Hans", "en", "ar"]\n', encoding="utf-8")
    kiosk = make_kiosk(config=load_config(path), extra_screens=(SearchScreen,))
    kiosk.ctx.session.set_language("ar")
    assert kiosk.shell.layoutDirection() == Qt.LayoutDirection.RightToLeft
    screen = open_search(kiosk)
    qtbot.waitUntil(lambda: key(screen, "q").isVisible())
    for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm"):
        xs = [key(screen, ch).mapTo(screen, QPoint(0, 0)).x() for ch in row]
        assert xs == sorted(xs), row
    type_text(qtbot, screen, "zsq")
    assert shown_text(screen) == "zsq"
