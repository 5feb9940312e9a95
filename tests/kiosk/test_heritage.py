"""Intangible heritage on the kiosk: its page, the ways to it (home, a theme, search, a place), its narration.

Every way in is a finger's tap on the real widget through the window; the demo pack's heritage
items are the content. Narration is synthesised with the real espeak-ng.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QWidget

from content_sync.cli import main as cli
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack.build import build_pack
from content_sync.pack.signing import SigningKey
from content_sync.speech import synthesis
from content_sync.store.content_store import ContentStore, EventOccurrence, Heritage
from kiosk_app.narration import PLAYING, PREPARING
from kiosk_app.screens.heritage_detail import HeritageDetailScreen
from kiosk_app.theme import LAYOUTS
from kiosk_app.widgets.common import ImageView
from tests.kiosk.support import finished
from tests.support import BUILT_AT, DEMO_SOURCE, INSTALLED_AT, edit_installed

DRUM = "lanzhou-taiping-drum"
HALL = "lanzhou-intangible-heritage-hall"
EXPO_PARK = "jinchengguan-cultural-expo-park"
WAIT = 20_000  # ms: synthesis and decoding share two cores with other work


def live() -> None:
    """Finish deleting widgets a re-render replaced, so lookups only find what is on screen."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def find(kiosk, cls: type, name: str) -> QWidget:  # type: ignore[no-untyped-def]
    live()
    widget = kiosk.nav.currentWidget().findChild(cls, name)
    assert widget is not None, f"no {name} on {kiosk.nav.current_name}"
    return widget


def finger_tap(qtbot, kiosk, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    """Scroll the widget into view as a visitor would, then press and lift a finger on its middle."""
    page = kiosk.nav.currentWidget()
    window = kiosk.shell

    def centre() -> QPoint:
        return QPoint(widget.width() // 2, widget.height() // 2)

    def under_the_finger() -> bool:
        """Scrolled so that the window's widget at the widget's middle is the widget (or a part of it)."""
        parent = widget.parentWidget()
        while parent is not None and parent is not page:
            if isinstance(parent, QScrollArea):
                parent.ensureWidgetVisible(widget, 0, 0)
            parent = parent.parentWidget()
        hit = window.childAt(widget.mapTo(window, centre()))
        return widget.isVisible() and hit is not None and (hit is widget or widget.isAncestorOf(hit))

    qtbot.waitUntil(under_the_finger, timeout=5000)  # the page lays out what it built after the first paint
    # The press goes to what the window has under that point (a card's label passes it on to the card).
    point = widget.mapTo(window, centre())
    target = window.childAt(point)
    at = target.mapFrom(window, point)
    QTest.mousePress(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    QTest.mouseRelease(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)
    QCoreApplication.processEvents()


def on_heritage_page(kiosk, ident: str, lang: str) -> HeritageDetailScreen:  # type: ignore[no-untyped-def]
    assert kiosk.nav.current_name == "heritage" and kiosk.nav.current[1] == {"id": ident}
    page = kiosk.nav.currentWidget()
    assert isinstance(page, HeritageDetailScreen)
    item = kiosk.ctx.store.heritage_item(ident)
    assert find(kiosk, QLabel, "heritage-name").text() == item.name[lang]
    return page


# -- the store ------------------------------------------------------------------------------------
def test_the_store_reads_heritage_items_typed(demo_data: DataDir) -> None:
    with ContentStore.open(demo_data) as store:
        drum = store.heritage_item(DRUM)
        assert isinstance(drum, Heritage) and drum.level == "national" and drum.inscribed == 2006
        assert set(drum.venues) == {EXPO_PARK, HALL} and "yellow-river" in drum.themes
        assert drum.images and drum.images[0].credit and drum.images[0].path.is_file()
        assert store.heritage_item("no-such-tradition") is None
        assert len(store.heritage_items()) == 12 == len(store.heritage())  # the old dicts still read
        assert DRUM in [h.id for h in store.heritage_items(theme="yellow-river")]
        assert DRUM not in [h.id for h in store.heritage_items(theme="silk-road")]
        assert DRUM in [h.id for h in store.heritage_items(venue=HALL)]
        start = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
        shows = store.heritage_events(DRUM, start, start + dt.timedelta(days=60))
        assert shows and all(isinstance(o, EventOccurrence) and o.heritage_id == DRUM for o in shows)


def test_a_heritage_row_that_surprises_is_left_out_not_offered(
    installer: Installer, make_pack, mini_source: Path, data_dir: DataDir, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    """A year that is not a year: the item is not read, not listed, and search does not offer a dead end."""
    installer.install(make_pack(mini_source))
    with ContentStore.open(data_dir) as store:
        assert [h.id for h in store.heritage_items(venue="zhongshan-iron-bridge")] == [DRUM]
        assert any(r.kind == "heritage" and r.id == DRUM for r in store.search("taiping"))
    edit_installed(data_dir, ("UPDATE heritage SET inscribed = ? WHERE id = ?", ("soon", DRUM)))
    with ContentStore.open(data_dir) as store:
        assert store.heritage_item(DRUM) is None and store.heritage_items() == [] and store.heritage() == []
        assert not any(r.kind == "heritage" for r in store.search("taiping"))
    assert any("heritage row 'lanzhou-taiping-drum', field inscribed" in r.getMessage() for r in caplog.records)


# -- ways in --------------------------------------------------------------------------------------
def test_home_shows_heritage_and_a_tap_opens_its_page(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk.ctx.session.set_language("en")
    kiosk.nav.go("home")
    finished(kiosk, qtbot)
    card = find(kiosk, QWidget, f"heritage-{DRUM}")  # the drum is shown nearest the station
    finger_tap(qtbot, kiosk, card)
    page = on_heritage_page(kiosk, DRUM, "en")
    assert page.narration is not None and page.narration.item.key == f"heritage:{DRUM}"
    assert find(kiosk, QLabel, "heritage-facts").text() == "Dance · National intangible heritage · listed in 2006"


def test_a_themes_page_lists_its_heritage(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("home")
    finished(kiosk, qtbot)
    finger_tap(qtbot, kiosk, find(kiosk, QWidget, "theme-yellow-river"))
    assert kiosk.nav.current_name == "venues"
    finished(kiosk, qtbot)
    assert find(kiosk, QLabel, "theme-heritage").text() == "本主题的非物质文化遗产"
    finger_tap(qtbot, kiosk, find(kiosk, QPushButton, f"theme-heritage-{DRUM}"))
    on_heritage_page(kiosk, DRUM, "zh-Hans")


def test_a_heritage_search_result_opens_its_page(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk.ctx.session.set_language("en")
    kiosk.nav.go("search")
    screen = kiosk.nav.currentWidget()
    for letter in "taiping":
        qtbot.mouseClick(find(kiosk, QPushButton, f"key-{letter}"), Qt.MouseButton.LeftButton)
    name = f"result-heritage-{DRUM}"
    qtbot.waitUntil(lambda: screen.results_for == "taiping" and screen.findChild(QWidget, name) is not None,
                    timeout=5000)  # fmt: skip
    card = find(kiosk, QWidget, name)
    assert card.property("tappable") is True
    finger_tap(qtbot, kiosk, card)
    on_heritage_page(kiosk, DRUM, "en")


def test_a_place_links_to_the_heritage_it_shows_and_back(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go("home")
    kiosk.nav.go("venue", id=HALL)
    finished(kiosk, qtbot)
    finger_tap(qtbot, kiosk, find(kiosk, QPushButton, f"venue-heritage-{DRUM}"))
    on_heritage_page(kiosk, DRUM, "zh-Hans")
    finished(kiosk, qtbot)
    # Where to see it: a tap on a place opens the place.
    finger_tap(qtbot, kiosk, find(kiosk, QWidget, f"heritage-venue-{EXPO_PARK}"))
    assert kiosk.nav.current_name == "venue" and kiosk.nav.current[1] == {"id": EXPO_PARK}
    assert find(kiosk, QLabel, "venue-name").text() == kiosk.ctx.store.venue(EXPO_PARK).name["zh-Hans"]


def test_the_page_shows_coming_performances_and_pictures_with_credits(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk.ctx.session.set_language("en")
    kiosk.nav.go("home")
    kiosk.nav.go("heritage", id=DRUM)
    finished(kiosk, qtbot)
    page = kiosk.nav.currentWidget()
    live()
    events = [w for w in page.findChildren(QWidget) if w.objectName().startswith("heritage-event-")]
    assert events, "the Taiping drum is performed at events in the demo pack"
    texts = [label.text() for label in page.findChildren(QLabel)]
    assert any("Illustration drawn for this project (CC0-1.0)" in t for t in texts)  # the picture's credit
    # No place and no event for a tradition shown nowhere in particular: a plain word, not an empty heading.
    kiosk.nav.go("heritage", id="lanzhou-guzi")
    finished(kiosk, qtbot)
    assert find(kiosk, QLabel, "heritage-no-place").isVisible()
    # Every demo tradition has its picture, the Tianshui ones included.
    kiosk.nav.go("heritage", id="fuxi-ceremony")
    finished(kiosk, qtbot)
    assert kiosk.nav.currentWidget().findChildren(ImageView)


def test_a_tradition_without_a_picture_shows_none(make_kiosk, qtbot, demo_data: DataDir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """No empty coloured block where a picture would be. Every demo item has a picture, so a copy loses one."""
    data = DataDir(tmp_path / "copy")
    shutil.copytree(demo_data.root, data.root)
    edit_installed(data, ("DELETE FROM images WHERE owner_kind = ? AND owner_id = ?", ("heritage", "fuxi-ceremony")))
    kiosk = make_kiosk(data=data)
    assert not kiosk.ctx.store.heritage_item("fuxi-ceremony").images
    kiosk.nav.go("home")
    kiosk.nav.go("heritage", id="fuxi-ceremony")
    finished(kiosk, qtbot)
    assert kiosk.nav.currentWidget().findChildren(ImageView) == []


# -- languages and layouts ------------------------------------------------------------------------
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_page_renders_in_every_layout_and_language(make_kiosk, qtbot, tmp_path, layout) -> None:  # type: ignore[no-untyped-def]
    size = LAYOUTS[layout]
    kiosk = make_kiosk(size=(size.width(), size.height()))
    for lang in ("zh-Hans", "en", "ar"):
        kiosk.ctx.session.set_language(lang)
        kiosk.nav.go("heritage", id=DRUM)
        finished(kiosk, qtbot)
        on_heritage_page(kiosk, DRUM, lang if lang != "ar" else "en")  # Arabic content falls back to English
        page = kiosk.nav.currentWidget()
        rtl = page.layoutDirection() == Qt.LayoutDirection.RightToLeft
        assert rtl == (lang == "ar")
        assert page.title() == kiosk.ctx.tr.content(kiosk.ctx.store.heritage_item(DRUM).name)
        image = kiosk.shell.grab()
        assert not image.isNull() and image.width() == size.width()
        image.save(str(tmp_path / f"heritage-{layout}-{lang}.png"))


# -- narration ------------------------------------------------------------------------------------
def narrated_demo(root: Path) -> DataDir:
    """The demo pack built with its heritage narration synthesised by espeak-ng ahead of time."""
    spoken = root / "narration"
    # As an operator runs it: kiosk-pack narrate, only English and only heritage to keep it short.
    run = CliRunner().invoke(cli, ["narrate", str(DEMO_SOURCE), "-o", str(spoken), "--lang", "en",
                                   "--kind", "heritage", "--json"])  # fmt: skip
    assert run.exit_code == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["failed"] == [] and report["made"] == 12 and report["by_lang"] == {"en": 12}
    assert sorted(p.parent.name for p in spoken.rglob("*.wav")) == ["heritage"] * 12  # only what was asked
    key = SigningKey.generate("heritage-tests")
    build_pack(DEMO_SOURCE, root / "demo.kpack", keys=[key], narration=spoken, now=BUILT_AT)
    data = DataDir(root / "data")
    Installer(data, [key.public], "stable", clock=lambda: INSTALLED_AT).install(root / "demo.kpack")
    with DeviceState(data.device_db, lambda: INSTALLED_AT.isoformat()) as device:
        device.trust(key.public)
    return data


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_heritage_narration_is_synthesised_into_the_pack_and_plays(make_kiosk, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = narrated_demo(tmp_path)
    with ContentStore.open(data) as store:
        drum = store.heritage_item(DRUM)
        assert drum is not None and set(drum.audio) == {"en"}
        assert synthesis.wav_problem(drum.audio["en"]) is None
    kiosk = make_kiosk(data=data)
    kiosk.ctx.session.set_language("en")
    kiosk.nav.go("home")
    kiosk.nav.go("heritage", id=DRUM)
    finished(kiosk, qtbot)
    panel = kiosk.nav.currentWidget().narration
    assert panel is not None and panel.item is not None and panel.item.recorded == drum.audio["en"]
    player = kiosk.ctx.narration
    finger_tap(qtbot, kiosk, panel.play_button)
    assert player.state in (PREPARING, PLAYING)
    qtbot.waitUntil(lambda: player.state == PLAYING, timeout=WAIT)
    qtbot.waitUntil(lambda: player.media.position() > 0, timeout=WAIT)
    cached = list(Path(player.cache_dir).glob("*.wav")) if Path(player.cache_dir).exists() else []
    assert cached == []  # the pack's recording plays as it is; nothing synthesised on the kiosk
