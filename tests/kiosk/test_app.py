"""The kiosk as a visitor meets it: real widgets, offscreen, on the demo content."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from kiosk_app.widgets.common import Card
from tests.kiosk.support import finished


def test_starts_on_attract_and_a_touch_opens_home(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert kiosk.nav.current_name == "attract"
    assert not kiosk.shell.header.isVisible()
    qtbot.mouseClick(kiosk.nav.currentWidget(), Qt.MouseButton.LeftButton)
    assert kiosk.nav.current_name == "home"
    assert kiosk.shell.header.isVisible()


def test_home_theme_venue_and_qr(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("home")
    finished(kiosk, qtbot)
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
    from content_sync.device.layout import DataDir
    from kiosk_app.no_content import ContentLook, NoContentWindow

    data = DataDir(tmp_path / "empty")
    window = NoContentWindow(lambda: ContentLook(data.read_pointer() is not None))
    qtbot.addWidget(window)
    texts = [label.text() for label in window.findChildren(QLabel)]
    assert any("工作人员" in t for t in texts) and any("staff" in t for t in texts)
    with qtbot.assertNotEmitted(window.ready), qtbot.waitSignal(window.looked, timeout=1000):
        window.check()
    data.content.mkdir(parents=True)
    data.pointer_path.write_text('{"current": "v1", "previous": null, "pack_id": "x", "content_version": 1, '
                                 '"installed_at": "2026-11-21T00:00:00+00:00"}')  # fmt: skip
    with qtbot.waitSignal(window.ready, timeout=1000):
        window.check()


def test_the_start_path_imports_only_what_the_first_screens_need(demo_data) -> None:  # type: ignore[no-untyped-def]
    """Other screens, the web engine, QR, signing and the operator tools load later, when first used."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\nfrom pathlib import Path\nfrom PySide6.QtWidgets import QApplication\n"
        "from content_sync.device.layout import DataDir\nfrom kiosk_app.app import build_kiosk\n"
        "from kiosk_app.config import load_config\napp = QApplication([])\n"
        "kiosk = build_kiosk(load_config(None), DataDir(Path(sys.argv[1])))\nkiosk.shell.show()\n"
        "kiosk.nav.go('home')\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", script, str(demo_data.root)], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout.split()  # fmt: skip
    assert "kiosk_app.screens.home" in out and "kiosk_app.screens.attract" in out
    screens = {m for m in out if m.startswith("kiosk_app.screens.")}
    assert screens == {"kiosk_app.screens.home", "kiosk_app.screens.attract", "kiosk_app.screens.base"}
    heavy = ("qrcode", "PIL", "pypinyin", "cryptography", "yaml", "sqlite_utils", "click", "folium",
             "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "content_sync.device.install",
             # the audio guide, the speech engine, the PIN check and ctypes load when first needed
             "kiosk_app.widgets.narration", "content_sync.speech.synthesis", "hashlib", "ctypes", "tomllib",
             # the translation tools (the kiosk reads compiled catalogs with gettext)
             "babel", "kiosk_app.translations")  # fmt: skip
    assert [m for m in heavy if m in out] == []


def test_attract_builds_its_first_slide_and_each_next_one_when_reached(kiosk) -> None:  # type: ignore[no-untyped-def]
    screen = kiosk.nav.currentWidget()
    assert kiosk.nav.current_name == "attract"
    assert screen.slides.count() == 1 and screen.pending
    screen.next_slide()
    assert screen.slides.count() == 2 and screen.slides.currentIndex() == 1


def test_a_window_too_short_for_a_slide_picture_builds_the_slides_without_a_qt_warning(make_kiosk) -> None:  # type: ignore[no-untyped-def]
    """Going full screen, the window is 533x155 for a moment (offscreen Qt): the slide built then
    asked Qt for a picture of negative height ("Negative sizes (533,-277)" in every start's log)."""
    from kiosk_app.runtime.qt_messages import install_qt_message_handler, uninstall_qt_message_handler

    said: list[str] = []
    previous = install_qt_message_handler(lambda _kind, _context, message: said.append(message))
    try:
        kiosk = make_kiosk(size=(533, 155))
        screen = kiosk.nav.currentWidget()
        assert kiosk.nav.current_name == "attract" and screen.slides.count() == 1
        screen.next_slide()
    finally:
        uninstall_qt_message_handler(previous)
    assert [m for m in said if "Negative" in m or "not possible" in m] == []


def test_after_first_paint_work_runs_once_when_the_first_screen_is_painted(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk()
    calls: list[str | None] = []

    def broken() -> None:
        raise RuntimeError("a failing warm-up must not stop the others")

    kiosk.nav.after_first_paint.extend([broken, lambda: calls.append(kiosk.nav.current_name)])
    assert calls == []  # nothing has been painted yet
    qtbot.waitUntil(lambda: calls == ["attract"], timeout=5000)
    kiosk.nav.go("home")
    qtbot.wait(100)
    assert calls == ["attract"]


def test_likely_next_pages_are_built_after_the_paint_so_a_tap_only_switches(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    from kiosk_app.navigator import MAX_CACHED_PAGES, page_key

    nav = kiosk.nav
    nav.prebuild = True
    nav.go("home")
    assert page_key("venues", {"theme": "yellow-river"}) not in nav.pages  # the tap to home built only home
    qtbot.waitUntil(lambda: not nav.idle_work_pending(), timeout=20000)
    ahead = nav.pages[page_key("venues", {"theme": "yellow-river"})]
    assert not ahead.stale and ahead.params == {"theme": "yellow-river"}
    assert len(nav.pages) <= MAX_CACHED_PAGES
    renders: list[int] = []
    ahead.render = lambda: renders.append(1)  # type: ignore[method-assign]
    qtbot.mouseClick(nav.currentWidget().findChild(Card, "theme-yellow-river"), Qt.MouseButton.LeftButton)
    assert nav.currentWidget() is ahead and nav.current == ("venues", {"theme": "yellow-river"})
    assert renders == []  # built ahead: the tap only switched
    # From the list, its places are built ahead; the pages Back leads to are never evicted for them.
    qtbot.waitUntil(lambda: not nav.idle_work_pending(), timeout=20000)
    assert page_key("venue", {"id": "zhongshan-iron-bridge"}) in nav.pages
    assert page_key("venues", {"theme": "yellow-river"}) in nav.pages
    qtbot.mouseClick(ahead.findChild(Card, "venue-zhongshan-iron-bridge"), Qt.MouseButton.LeftButton)
    assert nav.current == ("venue", {"id": "zhongshan-iron-bridge"})
    nav.back()
    assert nav.currentWidget() is ahead and renders == []


def test_a_tap_cancels_the_work_left_and_a_reset_drops_pages_built_ahead(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    nav = kiosk.nav
    nav.prebuild = True
    nav.go("home")
    qtbot.waitUntil(lambda: len(nav.pages) >= 1, timeout=10000)  # idle work under way
    built = set(nav.pages)
    nav.go("search")  # a tap: what home wanted built ahead is dropped (search suggests nothing)
    qtbot.waitUntil(lambda: not nav.idle_work_pending(), timeout=20000)
    assert set(nav.pages) == built
    kiosk.shell.reset_session()
    assert not nav.pages and nav.current_name == "attract"


def test_pages_scroll_under_a_finger_and_share_one_flick_gesture(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Each page's viewport grabs the one registered flick gesture: no new gesture type per page."""
    import enum
    import gc
    import time

    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    from kiosk_app.widgets.common import KineticOnShow, ScrollPage, text_label

    def page() -> ScrollPage:
        scroll = ScrollPage(20, 10)
        for i in range(120):
            scroll.add(text_label(f"line {i}"))
        scroll.resize(400, 400)
        qtbot.addWidget(scroll)
        scroll.show()
        qtbot.waitExposed(scroll)
        return scroll

    first = page()
    gc.collect()
    enums_before = sum(isinstance(o, enum.EnumType) for o in gc.get_objects())
    for _ in range(5):
        page().close()
    gc.collect()
    assert sum(isinstance(o, enum.EnumType) for o in gc.get_objects()) == enums_before
    assert KineticOnShow.gesture() == KineticOnShow.gesture()
    window = first.windowHandle()
    QTest.mousePress(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(200, 350))
    for y in range(350, 50, -15):
        time.sleep(0.01)
        QTest.mouseMove(window, QPoint(200, y))
        qtbot.wait(1)
    QTest.mouseRelease(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(200, 50))
    qtbot.waitUntil(lambda: first.verticalScrollBar().value() > 200, timeout=3000)


def test_the_status_strip_shows_synced_weather_with_its_age_and_follows_new_syncs(kiosk) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from content_sync.device.state import DeviceState

    db = kiosk.ctx.content.data.device_db
    forecast = kiosk.shell.status.forecast
    try:

        def stored(temp: float, condition: dict[str, str], issued: str) -> dict[str, object]:
            """A weather feed as the sync agent keeps it (content_sync.sync.feeds)."""
            data = {"kind": "weather", "format": 1, "issued_at": issued,
                    "current": {"temp_c": temp, "condition": condition}, "forecast": []}  # fmt: skip
            return {"kind": "weather", "data": data, "issued_at": issued, "fetched_at": issued, "sha256": "0" * 64}

        with DeviceState(db) as device:
            device.set_sync("feed.weather", stored(7.4, {"zh-Hans": "晴", "en": "Sunny"}, "2026-11-21T09:45:00+08:00"))
        kiosk.ctx.session.set_language("en")
        kiosk.nav.go("home")
        text = forecast.text()
        assert "7" in text and "Sunny" in text and "45" in text, text  # 10:30 now: 45 minutes old
        with DeviceState(db) as device:
            device.set_sync("feed.weather", stored(-2, {"en": "Snow"}, "2026-11-21T10:20:00+08:00"))
        kiosk.nav.go("search")
        assert "Snow" in forecast.text() and "-2" in forecast.text() and "10" in forecast.text()
    finally:  # the demo data is shared by the whole session
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM sync_state WHERE key = 'feed.weather'")
    kiosk.nav.go("home")
    assert "Snow" not in forecast.text()


def test_no_window_but_the_kiosk_is_ever_shown_on_any_screen(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    """A widget shown before it has a parent opens as a window of its own (the audio guide panel did)."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QWidget

    from kiosk_app.screenshots import screen_plan

    shown: list[str] = []

    class Windows(QObject):
        def eventFilter(self, watched, event):  # type: ignore[no-untyped-def]
            if event.type() == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow():
                shown.append(f"{type(watched).__name__} {watched.objectName()}")
            return False

    watcher = Windows()
    app = QApplication.instance()
    app.installEventFilter(watcher)
    try:
        for _stem, screen, params in screen_plan(kiosk):
            if screen != "map":  # the web engine is tested on its own
                kiosk.nav.go(screen, **params)
                QApplication.processEvents()
    finally:
        app.removeEventFilter(watcher)
    assert len(kiosk.nav.all_screens()) > 10
    assert shown == []
    from kiosk_app.shell import KioskShell

    assert [w for w in app.topLevelWidgets() if w.isVisible() and not isinstance(w, KioskShell)] == []


def test_photos_and_voices_wait_for_the_first_frame(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Decoding photos and asking the speech engine would compete with the first screen for the CPU."""
    import time

    from PySide6.QtCore import QEvent, QObject, QSize

    from kiosk_app.widgets.common import ImageView

    kiosk = make_kiosk()
    images, player, tasks = kiosk.ctx.images, kiosk.ctx.narration, kiosk.ctx.tasks
    painted: list[float] = []

    class FirstFrame(QObject):
        def eventFilter(self, watched, event):  # type: ignore[no-untyped-def]
            if event.type() == QEvent.Type.Paint:
                painted.append(time.perf_counter())
            return False

    watcher = FirstFrame()
    kiosk.nav.currentWidget().installEventFilter(watcher)  # built and shown, not painted yet
    photo = next(iter(kiosk.ctx.content.data.content.rglob("*.jpg")), None) or next(
        iter(kiosk.ctx.content.data.content.rglob("*.png")))  # fmt: skip
    got, started = [], []
    assert images.get(photo, QSize(64, 48), got.append) is None
    tasks.run(time.perf_counter, started.append)
    assert tasks.pool.activeThreadCount() == 0  # held: nothing decoding yet
    qtbot.waitUntil(lambda: bool(got and started), timeout=5000)  # the first paint releases the work
    assert painted and started[0] > painted[0]
    assert not got[0].isNull() and got[0].width() == 64
    qtbot.waitUntil(lambda: kiosk.ctx.lang in player._voices.known, timeout=30000)  # asked once painted
    kiosk.nav.go("home")
    views = [v for v in kiosk.nav.currentWidget().findChildren(ImageView) if v.isVisible() and v.path]
    qtbot.waitUntil(lambda: all(v.pixmap is not None for v in views), timeout=5000)
    kiosk.nav.go("search")
    assert views and all(v.pixmap is None for v in views)  # a page out of view holds no photos
    kiosk.nav.back()
    assert all(v.pixmap is not None for v in views)  # back again: from the cache, painted at once


def test_home_paints_what_is_in_view_first_and_builds_the_rest_right_after(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("home")
    home = kiosk.nav.currentWidget()
    # The tiles and the first section (featured places) are there for the first frame...
    assert home.findChild(QWidget, "home-all-places") is not None
    assert [c for c in home.findChildren(Card) if c.objectName().startswith("venue-")]
    # ... the sections below the fold come on the turn of the event loop after it.
    assert home.incomplete and home.findChild(Card, "theme-yellow-river") is None
    finished(kiosk, qtbot)
    assert home.findChild(Card, "theme-yellow-river") is not None
    themes = [c.objectName() for c in home.findChildren(Card) if c.objectName().startswith("theme-")]
    assert len(themes) == len(kiosk.ctx.content.themes)
    # Whoever needs the whole page at once (reading it aloud, building it ahead) gets it whole.
    kiosk.ctx.session.set_language("en")  # re-renders home
    assert home.incomplete
    home.complete()
    assert not home.incomplete and home.findChild(Card, "theme-yellow-river") is not None
