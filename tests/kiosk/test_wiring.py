"""How the kiosk's pieces meet: background results belong to a widget, screens see only a router,
and a newer pack's language order is used once it is switched in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack.build import build_pack
from content_sync.pack.signing import SigningKey
from kiosk_app.background import BackgroundTasks
from tests.kiosk.support import DEMO_NOW
from tests.support import MINI_SOURCE, set_version

BUILT_AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


# -- background work belongs to the widget that asked for it --------------------------------------
def test_a_result_for_a_deleted_owner_is_dropped_and_a_live_owner_gets_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    tasks = BackgroundTasks()
    gate = threading.Event()
    got: list[str] = []
    gone, kept = QWidget(), QWidget()
    qtbot.addWidget(kept)
    tasks.run(lambda: gate.wait(5) and "for the closed page", got.append, got.append, owner=gone)
    tasks.run(lambda: gate.wait(5) and "for the page in view", got.append, owner=kept)
    tasks.run(lambda: 1 / 0 if gate.wait(5) else None, got.append, lambda exc: got.append(repr(exc)), owner=gone)
    qtbot.wait(20)  # queued work starts on the next turn of the event loop
    gone.deleteLater()
    qtbot.waitUntil(lambda: not _alive(gone))
    gate.set()
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=5000)
    assert got == ["for the page in view"]  # neither the result nor the error reached the closed page


def _alive(obj: QObject) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_a_page_closed_while_its_photo_decodes_gets_nothing_and_the_photo_is_still_cached(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    venue = kiosk.ctx.store.venue("zhongshan-iron-bridge")
    path = venue.images[0].path
    size = (320, 213)
    from PySide6.QtCore import QSize

    seen: list[object] = []
    owner = QWidget()
    assert kiosk.ctx.images.get(path, QSize(*size), seen.append, owner) is None
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner))
    kiosk.ctx.tasks.wait(5000)
    qtbot.waitUntil(lambda: kiosk.ctx.images.get(path, QSize(*size), lambda _pixmap: None) is not None, timeout=5000)
    assert seen == []  # the cache kept it for the next page that asks, the closed page got nothing


# -- screens see a router, not the navigator ----------------------------------------------------------
@dataclasses.dataclass
class RecordingRouter:
    """Any object with go, back, home and has can drive a screen."""

    pages: frozenset[str]
    went: list[tuple[str, dict[str, Any]]] = dataclasses.field(default_factory=list)

    def go(self, name: str, *, remember: bool = True, **params: Any) -> None:
        self.went.append((name, params))

    def back(self) -> None:
        self.went.append(("<back>", {}))

    def home(self) -> None:
        self.went.append(("<home>", {}))

    def has(self, name: str) -> bool:
        return name in self.pages


def test_a_screen_is_driven_through_any_router(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    from kiosk_app.screens.route_detail import RouteDetailScreen
    from kiosk_app.widgets.common import Card

    router = RecordingRouter(frozenset({"venue", "map"}))
    ctx = dataclasses.replace(kiosk.ctx, router=router)
    page = RouteDetailScreen(ctx)
    qtbot.addWidget(page)
    page.resize(1920, 900)
    page.show_with({"id": "yellow-river-riverside-walk"})
    page.show()
    stop = page.findChild(Card, "stop-1")
    qtbot.mouseClick(stop, Qt.MouseButton.LeftButton)
    assert router.went == [("venue", {"id": stop.property("venue_id")})]


def test_the_route_and_venue_pages_share_one_skeleton(kiosk) -> None:  # type: ignore[no-untyped-def]
    from kiosk_app.screens.detail import DetailScreen
    from kiosk_app.screens.route_detail import RouteDetailScreen
    from kiosk_app.screens.venue_detail import VenueDetailScreen

    assert issubclass(VenueDetailScreen, DetailScreen) and issubclass(RouteDetailScreen, DetailScreen)
    for name, ident in (("venue", "zhongshan-iron-bridge"), ("route", "yellow-river-riverside-walk")):
        kiosk.nav.go(name, id=ident)
        page = kiosk.nav.currentWidget()
        assert page.qr_payloads and page.narration is not None and page.still_map is not None
    kiosk.nav.go("venue", id="no-such-place")
    assert kiosk.nav.current_name == "error"  # a page that cannot load its item shows the error page


# -- a newer pack's language order --------------------------------------------------------------------
@pytest.fixture
def mini_kiosk(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A kiosk on the small test pack, with a way to install a newer version of it."""
    from kiosk_app.app import build_kiosk
    from kiosk_app.config import load_config

    source = tmp_path / "src"
    import shutil

    shutil.copytree(MINI_SOURCE, source)
    key = SigningKey.generate("wiring-tests")
    data = DataDir(tmp_path / "data")
    installer = Installer(data, [key.public], "stable", clock=lambda: BUILT_AT)

    def install(version: int) -> None:
        set_version(source, version)
        pack = tmp_path / f"v{version}.kpack"
        build_pack(source, pack, keys=[key], now=BUILT_AT)
        installer.install(pack)

    install(1)
    moment = dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))
    kiosk = build_kiosk(load_config(None), data, clock=lambda: moment)
    qtbot.addWidget(kiosk.shell)
    yield kiosk, source, install
    kiosk.ctx.tasks.wait(5000)
    kiosk.ctx.map.close()


def test_a_newer_pack_with_another_language_order_is_followed_after_the_switch(mini_kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk, source, install = mini_kiosk
    session = kiosk.ctx.session
    assert session.fallback == ("en", "zh-Hans")
    session.set_language("ja")  # the mini pack has no Japanese: a Japanese visitor reads the fallback
    kiosk.nav.go("venue", id="zhongshan-iron-bridge")
    assert kiosk.nav.currentWidget().findChild(QLabel, "venue-name").text() == "Zhongshan Iron Bridge"

    pack_yaml = source / "pack.yaml"
    meta = yaml.safe_load(pack_yaml.read_text(encoding="utf-8"))
    meta["fallback"] = ["zh-Hans", "en"]  # a pack for Chinese-reading groups
    pack_yaml.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    install(2)
    kiosk.shell.reset_session()  # newer content is switched in between visitors
    assert kiosk.ctx.store.content_version == 2 and session.fallback == ("zh-Hans", "en")
    session.set_language("ja")
    kiosk.nav.go("venue", id="zhongshan-iron-bridge")
    assert kiosk.nav.currentWidget().findChild(QLabel, "venue-name").text() == "中山铁桥"
