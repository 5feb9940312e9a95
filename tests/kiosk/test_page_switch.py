"""What keeps a tap's switch cheap however many pages are kept (speed itself is measured in
``benchmarks/bench_app.py``, never here): pages out of view keep updates off, so Qt's walk around
a switch stops at them; no page holds keyboard focus, so Qt never searches the window's focus
chain; work a tap asks for starts once the new page is painted."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

from kiosk_app.widgets.common import Card


def _in_view_only(nav) -> bool:  # type: ignore[no-untyped-def]
    current = nav.currentWidget()
    return all(page.updatesEnabled() == (page is current) for page in nav.all_screens())


def test_only_the_page_in_view_takes_updates_and_none_keeps_focus(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    nav = kiosk.nav
    nav.prebuild = True
    nav.go("home")
    qtbot.waitUntil(lambda: not nav.idle_work_pending(), timeout=20000)
    assert len(nav.all_screens()) > 3 and _in_view_only(nav)  # pages built ahead sit with updates off
    for theme in ("yellow-river", "silk-road"):
        card = nav.currentWidget().findChild(Card, f"theme-{theme}")
        if card is None:
            continue
        qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
        assert nav.current_name == "venues" and _in_view_only(nav)
        qtbot.mouseClick(kiosk.shell.header.back, Qt.MouseButton.LeftButton)
        assert nav.current_name == "home" and _in_view_only(nav)
        # Whatever took focus on the list (its scroll area does) was let go when it was left.
        focus = QApplication.focusWidget()
        assert focus is None or not any(p.isAncestorOf(focus) for p in nav.all_screens() if not p.isVisible())
    # The page in view paints: it was given its updates back before it was shown.
    painted = []

    class Watch(QObject):
        def eventFilter(self, watched, event):  # type: ignore[no-untyped-def]
            if event.type() == QEvent.Type.Paint:
                painted.append(watched)
            return False

    watch = Watch()
    page = nav.currentWidget()
    page.installEventFilter(watch)
    page.update()
    qtbot.waitUntil(lambda: page in painted, timeout=5000)
    page.removeEventFilter(watch)


def test_work_asked_for_in_a_tap_starts_after_the_page_is_painted_and_finished(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A worker running Python takes the GIL from the GUI thread: the photos a tap asks for start
    once the new page is painted and its parts below the fold are built, not before."""
    nav, tasks = kiosk.nav, kiosk.ctx.tasks
    nav.go("home")
    qtbot.waitUntil(lambda: tasks.pending == 0 and not nav.idle_work_pending(), timeout=20000)
    home = nav.currentWidget()
    order: list[str] = []
    start, complete = tasks.pool.start, home.complete

    def recording_start(task, *args):  # type: ignore[no-untyped-def]
        order.append("start")
        return start(task, *args)

    def recording_complete() -> None:
        if home.incomplete:
            order.append("finish")
        complete()

    class Watch(QObject):
        def eventFilter(self, watched, event):  # type: ignore[no-untyped-def]
            if event.type() == QEvent.Type.Paint and "paint" not in order:
                order.append("paint")
            return False

    watch = Watch()
    tasks.pool.start = recording_start  # type: ignore[method-assign]
    home.complete = recording_complete  # type: ignore[method-assign]
    home.installEventFilter(watch)
    try:
        # Another language: home is built again, its photos asked for again, its lower part left for later.
        qtbot.mouseClick(kiosk.shell.header.languages["en"], Qt.MouseButton.LeftButton)
        assert nav.currentWidget() is home and home.incomplete and order == []  # asked for, not started
        qtbot.waitUntil(lambda: "start" in order and not home.incomplete, timeout=5000)
        assert order[:3] == ["paint", "finish", "start"], order
        qtbot.waitUntil(lambda: tasks.pending == 0, timeout=20000)  # and the work does run
    finally:
        tasks.pool.start = start  # type: ignore[method-assign]
        home.removeEventFilter(watch)
