"""The map explains itself: a regional basemap, names beside pins, a legend, pins a finger can
hit, labels off stop numbers, mini-maps without a grey strip; QR codes phones open at the right
spot; a card for taxi drivers. All in the real window on the demo pack, offscreen."""

from __future__ import annotations

import datetime as dt
import io
import math
import urllib.parse
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import prcoords
import pytest
import zxingcpp
from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from content_sync.device.layout import DataDir
from content_sync.maps.mbtiles import lonlat_to_tile
from kiosk_app.app import build_kiosk
from kiosk_app.config import load_config
from kiosk_app.widgets.minimap import StillMap
from tests.kiosk.support import DEMO_NOW
from tests.kiosk.test_map import js, open_map, pause, wait_until

MAIJISHAN = "maijishan-grottoes"
TIANSHUI_ROUTE = "tianshui-fuxi-maijishan-day"
MIN_TOUCH = 72  # theme.Metrics.touch is never below this

# Names a visitor can read: labels not hidden and wholly inside the map.
SHOWN_LABELS = """(function () {
  var c = kioskMap.map.getContainer().getBoundingClientRect();
  return Array.from(document.querySelectorAll('.leaflet-tooltip.kiosk-label.venue')).filter(function (e) {
    return e.isConnected && getComputedStyle(e).visibility !== 'hidden';
  }).map(function (e) { var r = e.getBoundingClientRect(); return [e.textContent, r.left, r.top, r.right, r.bottom]; })
    .filter(function (v) { return v[1] >= c.left && v[3] <= c.right && v[2] >= c.top && v[4] <= c.bottom; });
})()"""


@pytest.fixture(scope="module")
def demo_map(qapp: QApplication, demo_data: DataDir) -> Iterator[Any]:
    """One kiosk on the demo pack (Chromium starts once for the module), at the tablet size."""
    moment = dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))
    kiosk = build_kiosk(load_config(None), demo_data, clock=lambda: moment)
    kiosk.shell.setFixedSize(1280, 800)
    kiosk.shell.show()
    kiosk.install_filters(qapp)
    kiosk.nav.go("map")
    wait_until(lambda: kiosk.ctx.map.surface().painted_count > 0)
    yield kiosk
    kiosk.remove_filters(qapp)
    kiosk.ctx.map.close()
    kiosk.ctx.tasks.wait(5000)
    kiosk.ctx.recorder.close()
    kiosk.shell.close()
    kiosk.shell.deleteLater()
    pause(50)


def settle(kiosk: Any) -> None:
    wait_until(lambda: js(kiosk, "kioskMap.tilesPending()") == 0)
    pause(700)  # cluster animation, then the labels are placed


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# -- item 5: the map ---------------------------------------------------------------------------


def test_the_opening_view_names_its_places(demo_map: Any) -> None:
    open_map(demo_map)
    demo_map.nav.go("map")
    settle(demo_map)
    shown = js(demo_map, SHOWN_LABELS)
    assert len(shown) >= 3, shown
    boxes = [s[1:] for s in shown]
    assert not any(overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_show_on_map_for_maijishan_opens_with_its_name_among_neighbours_on_real_tiles(demo_map: Any) -> None:
    venue = demo_map.ctx.store.venue(MAIJISHAN)
    surface = open_map(demo_map, venue=MAIJISHAN)
    name = venue.name["zh-Hans"]
    wait_until(lambda: name in [s[0] for s in js(demo_map, SHOWN_LABELS)])
    settle(demo_map)
    shown = [s[0] for s in js(demo_map, SHOWN_LABELS)]
    assert name in shown and len(shown) >= 2, shown  # a neighbour's name says where it is
    zoom = js(demo_map, "kioskMap.map.getZoom()")
    x, y = (int(v) for v in lonlat_to_tile(venue.lon, venue.lat, zoom))
    # Not a pin alone in an enlarged tile: the basemap has this very tile.
    assert surface.tiles().has_stored(zoom, x, y), f"zoom {zoom} has no stored tile at Maijishan"


def test_the_map_has_a_legend_of_theme_colours(demo_map: Any) -> None:
    open_map(demo_map)
    demo_map.nav.go("map")
    settle(demo_map)
    legend = js(demo_map, """(function () {
      var box = document.querySelector('.kiosk-legend');
      if (!box) { return null; }
      var r = box.getBoundingClientRect();
      return {text: box.textContent, w: r.width, h: r.height, colours: Array.from(
        box.querySelectorAll('.legend-swatch')).map(function (s) { return getComputedStyle(s).backgroundColor; })};
    })()""")  # fmt: skip
    assert legend is not None and legend["w"] > 50 and legend["h"] > 50
    themes = demo_map.ctx.content.themes
    for theme in themes:
        assert theme["name"]["zh-Hans"] in legend["text"]
    wanted = {QColor(t["color"]).getRgb()[:3] for t in themes}
    got = {tuple(int(v) for v in c[c.index("(") + 1 : -1].split(",")[:3]) for c in legend["colours"]}
    assert got == wanted


def test_every_pin_stop_and_cluster_takes_a_fingertip(demo_map: Any) -> None:
    surface = open_map(demo_map, route="yellow-river-riverside-walk")
    settle(demo_map)
    sizes = js(
        demo_map,
        """Array.from(document.querySelectorAll('.kiosk-pin, .kiosk-stop, .marker-cluster'))
      .map(function (e) { var r = e.getBoundingClientRect(); return [e.className, r.width, r.height]; })""",
    )
    kinds = {k for cls, _, _ in sizes for k in cls.split() if k in ("kiosk-pin", "kiosk-stop", "marker-cluster")}
    assert {"kiosk-pin", "kiosk-stop"} <= kinds, kinds
    small = [s for s in sizes if s[1] < MIN_TOUCH or s[2] < MIN_TOUCH]
    assert not small, small
    # A finger landing off the drawn dot but inside the touch square still opens the place.
    demo_map.nav.go("map", venue="xiaoxihu-park")
    wait_until(lambda: js(demo_map, "kioskMap.markerRect('xiaoxihu-park')") is not None)
    settle(demo_map)
    x, y = js(demo_map, "kioskMap.markerRect('xiaoxihu-park')")
    target = surface.view.focusProxy() or surface.view
    QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(int(x) + 30, int(y)))
    wait_until(lambda: demo_map.nav.current_name == "venue")
    assert demo_map.nav.current == ("venue", {"id": "xiaoxihu-park"})


@pytest.mark.parametrize("lang", ["zh-Hans", "en"])
def test_place_names_stay_off_route_stop_numbers(demo_map: Any, lang: str) -> None:
    demo_map.ctx.session.set_language(lang)
    try:
        open_map(demo_map)  # the page in the new language
        for route in demo_map.ctx.store.routes():
            open_map(demo_map, route=route.id)
            wait_until(lambda: js(demo_map, "document.querySelectorAll('.kiosk-stop').length") > 0)
            settle(demo_map)
            stops = js(
                demo_map,
                """Array.from(document.querySelectorAll('.kiosk-stop span')).map(function (e) {
              var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""",
            )
            assert stops, route.id
            for name, *box in js(demo_map, SHOWN_LABELS):
                hit = [s for s in stops if overlap(box, s)]
                assert not hit, f"{route.id}: the label {name!r} covers a stop number"
    finally:
        demo_map.ctx.session.set_language("zh-Hans")


def test_route_mini_map_has_no_grey_strip(demo_map: Any, qtbot: Any) -> None:
    """Beyond Tianshui's detailed area the picture used to show a coarser map's grey, a strip
    down its side; now every column is the city map's own land."""
    demo_map.nav.go("route", id=TIANSHUI_ROUTE)
    still = demo_map.nav.currentWidget().findChild(StillMap)
    qtbot.waitUntil(lambda: still.ready, timeout=10_000)
    image = still.image.convertToFormat(QImage.Format.Format_RGB32)
    greys = {QColor("#EDEDED").rgb(), QColor("#E8ECEF").rgb()}

    def grey(x: int) -> bool:
        return sum(image.pixel(x, y) in greys for y in range(0, image.height(), 4)) > image.height() // 8

    grey_columns = [x for x in range(image.width()) if grey(x)]
    assert not grey_columns, f"{len(grey_columns)} grey columns from x={grey_columns[0]}"


# -- item 6: codes a phone opens ---------------------------------------------------------------


def decoded_codes(kiosk: Any, qtbot: Any) -> list[str]:
    """What a phone reads from the QR codes on the page, decoded from the pixels on screen."""
    labels = kiosk.nav.currentWidget().findChildren(QLabel, "qr-code")
    qtbot.waitUntil(lambda: all(not label.pixmap().isNull() for label in labels), timeout=10_000)
    texts = []
    for label in labels:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        label.grab().save(buffer, "PNG")
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(bytes(buffer.data()))))
        assert len(found) == 1, "a code on screen does not decode"
        texts.append(found[0].text)
    return texts


def amap(texts: list[str]) -> dict[str, str]:
    links = [t for t in texts if t.startswith("https://uri.amap.com/marker?")]
    assert len(links) == 1, texts
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(links[0]).query))


def test_the_venue_code_opens_amap_at_the_wgs84_point(demo_map: Any, qtbot: Any) -> None:
    venue = demo_map.ctx.store.venue(MAIJISHAN)
    demo_map.nav.go("venue", id=MAIJISHAN)
    texts = decoded_codes(demo_map, qtbot)
    query = amap(texts)
    assert query["coordinate"] == "wgs84"
    assert query["position"] == f"{venue.lon:.6f},{venue.lat:.6f}"
    assert any(t.startswith(f"geo:{venue.lat:.6f},{venue.lon:.6f}") for t in texts)  # for every other app


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return 6_371_000 * math.hypot(math.radians(a[0] - b[0]), math.radians(a[1] - b[1]) * math.cos(math.radians(a[0])))


def test_the_route_code_carries_every_stop(demo_map: Any, qtbot: Any) -> None:
    route = demo_map.ctx.store.route(TIANSHUI_ROUTE)
    stops = [demo_map.ctx.store.venue(s.venue_id) for s in route.stops]
    demo_map.nav.go("route", id=route.id)
    marks = amap(decoded_codes(demo_map, qtbot))["markers"].split("|")
    assert len(marks) == len(stops) >= 3
    for n, (mark, venue) in enumerate(zip(marks, stops, strict=True), start=1):
        lon, lat, name = mark.split(",")
        assert name.split()[0] == str(n)
        back = prcoords.gcj_wgs_bored(prcoords.Coords(float(lat), float(lon)))  # markers are GCJ-02
        assert metres((back.lat, back.lon), (venue.lat, venue.lon)) < 2, venue.id


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_an_english_page_has_a_card_for_the_taxi_driver(demo_map: Any, qtbot: Any, lang: str) -> None:
    venue = demo_map.ctx.store.venue(MAIJISHAN)
    demo_map.nav.go("venue", id=MAIJISHAN)
    qtbot.mouseClick(demo_map.shell.findChild(QWidget, f"lang-{lang}"), Qt.MouseButton.LeftButton)
    try:
        qtbot.waitUntil(lambda: demo_map.nav.currentWidget().findChild(QLabel, "venue-name").text()
                        == venue.name[lang], timeout=5000)  # fmt: skip
        page = demo_map.nav.currentWidget()
        assert demo_map.nav.current == ("venue", {"id": MAIJISHAN})
        card = page.findChild(QWidget, "taxi-card")
        if lang == "zh-Hans":  # a Chinese reader needs no card
            assert card is None
            return
        assert card is not None
        name, address = card.findChild(QLabel, "taxi-name"), card.findChild(QLabel, "taxi-address")
        assert name.text() == venue.name["zh-Hans"]
        assert venue.address["zh-Hans"] in address.text()
        assert name.font().pixelSize() >= 48 or "font-size" in name.styleSheet()
    finally:
        demo_map.ctx.session.set_language("zh-Hans")


def test_names_sit_over_their_pins_on_a_right_to_left_page(demo_map: Any) -> None:
    demo_map.ctx.session.set_language("ar")
    try:
        open_map(demo_map)
        open_map(demo_map, venue=MAIJISHAN)
        wait_until(lambda: js(demo_map, f"kioskMap.markerRect('{MAIJISHAN}')") is not None)
        settle(demo_map)
        x, _y = js(demo_map, f"kioskMap.markerRect('{MAIJISHAN}')")
        left, right = js(demo_map, """(function () {
          var r = document.querySelector('.leaflet-tooltip.kiosk-label.focused').getBoundingClientRect();
          return [r.left, r.right]; })()""")  # fmt: skip
        assert abs((left + right) / 2 - x) < 4, (left, right, x)  # the focused name is centred above its pin
    finally:
        demo_map.ctx.session.set_language("zh-Hans")


# -- night: a visit woken on the night screen -----------------------------------------------------

MAP_FILTER = "getComputedStyle(document.querySelector('.leaflet-container')).filter"


def mean_brightness(image: QImage) -> float:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    samples = [QColor(image.pixel(x, y)).lightness() for y in range(0, image.height(), 8)
               for x in range(0, image.width(), 8)]  # fmt: skip
    return sum(samples) / len(samples)


def test_a_visit_woken_at_night_sees_the_maps_dimmed(demo_map: Any, qtbot: Any) -> None:
    """The hotel guest at midnight: the mini-map and the web map are drawn as dark as the page's
    pictures (theme.NIGHT.picture_dim), and the next visit by day sees them as they are."""
    from kiosk_app.theme import NIGHT

    def still_map_brightness() -> float:
        pause(50)  # a change of display mode re-renders the page shown, after the change
        demo_map.nav.go("venue", id=MAIJISHAN)
        pause(50)
        still = demo_map.nav.currentWidget().findChild(StillMap)
        qtbot.waitUntil(lambda: still.ready and still.isVisible(), timeout=10_000)
        return mean_brightness(still.grab().toImage())

    by_day = still_map_brightness()
    open_map(demo_map)
    wait_until(lambda: js(demo_map, MAP_FILTER) == "none")
    demo_map.ctx.session.set_night(True)
    try:
        at_night = still_map_brightness()
        assert at_night < by_day * (1 - NIGHT.picture_dim) + 10, (by_day, at_night)
        open_map(demo_map)
        wait_until(lambda: js(demo_map, MAP_FILTER) == f"brightness({1 - NIGHT.picture_dim:.2f})")
        assert js(demo_map, "document.documentElement.classList.contains('night')")
        demo_map.ctx.session.set_display(high_contrast=True)  # what the visitor asks for wins, as on the pages
        demo_map.nav.go("home")
        open_map(demo_map)
        wait_until(lambda: js(demo_map, MAP_FILTER) == "none")
    finally:
        demo_map.ctx.session.set_display(high_contrast=False)
        demo_map.ctx.session.set_night(False)
    assert still_map_brightness() == pytest.approx(by_day, abs=1)
