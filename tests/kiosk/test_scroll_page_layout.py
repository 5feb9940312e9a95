"""A scrolling page keeps what is on screen under the finger while it grows below the fold.

Pages build what is below the fold on the turn of the event loop after their first paint
(``Screen.later``). The content widget of a ``QScrollArea`` lays out the new rows at once, but
the area grows it to fit only on a later turn (a second posted layout request). In between, a
page laid out into its old height squeezes every row: a tile sticks out of its 30 px row, so
the window finds the page under the finger (``childAt``, and ``QScroller``'s replayed press)
and a real tap on the tile is lost. ``ScrollPage`` grows its content in the same layout pass.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from kiosk_app.widgets.common import Card, ScrollPage, grid, text_label


def test_a_tile_stays_under_the_finger_on_the_turn_after_rows_are_added_below_the_fold(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = QWidget()
    qtbot.addWidget(window)
    page = ScrollPage(20, 12)
    QVBoxLayout(window).addWidget(page)
    taps: list[str] = []
    tiles = [Card(lambda n=n: taps.append(f"tile {n}")) for n in range(4)]
    for n, tile in enumerate(tiles):
        QVBoxLayout(tile).addWidget(text_label(f"tile {n}", "heading"))
        tile.setMinimumHeight(96)
    page.add(text_label("Welcome", "title"))
    page.add(grid(tiles, 2, 12))
    window.resize(600, 500)  # inside the offscreen screen: the window's point is the screen's
    window.show()
    qtbot.waitExposed(window)
    QTest.qWait(20)

    for n in range(30):  # what the page builds after its first paint
        page.add(text_label(f"row {n} below the fold", "heading"))
    page.finish()
    QApplication.sendPostedEvents()  # one turn of the event loop; the touch comes next

    tile = tiles[3]
    point = tile.mapTo(window, tile.rect().center())
    hit = window.childAt(point)
    assert hit is tile or tile.isAncestorOf(hit), f"under the finger: {type(hit).__name__}"
    QTest.mouseClick(window.windowHandle(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    qtbot.waitUntil(lambda: taps == ["tile 3"], timeout=2000)
