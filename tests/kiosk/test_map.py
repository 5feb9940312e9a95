"""The map in the real web engine, offscreen: real tiles, real clicks, real escape attempts.

One kiosk per module (starting Chromium costs about a second) on a pack holding the small
test content plus the real ``world_countries_z0-4.mbtiles`` from another project. A real
HTTP server on loopback stands in for "the internet": no probe may ever reach it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QElapsedTimer, QEventLoop, QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.maps.mbtiles import lonlat_to_tile
from content_sync.pack.build import build_pack
from content_sync.pack.signing import SigningKey
from kiosk_app.app import build_kiosk
from kiosk_app.config import load_config
from kiosk_app.web.engine import RemoteDebuggingEnabled, prepare_web_engine, remote_debugging_reason
from kiosk_app.web.map_html import MapPin, build_map_html
from kiosk_app.web.surface import map_data
from tests.kiosk.support import DEMO_NOW
from tests.support import BUILT_AT, INSTALLED_AT, MINI_SOURCE, REALDATA

# An unchanged copy of shared/realdata/world_countries_z0-4.mbtiles (see tests/data/realdata/README.md).
WORLD = REALDATA / "world_countries_z0-4.mbtiles"


def wait_until(predicate: Callable[[], object], timeout_ms: int = 15_000) -> None:
    clock = QElapsedTimer()
    clock.start()
    while not predicate():
        if clock.elapsed() > timeout_ms:
            raise AssertionError(f"timed out after {timeout_ms} ms")
        loop = QEventLoop()
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def pause(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def js(kiosk: Any, script: str) -> Any:
    """Evaluate a JavaScript expression in the map page; its value comes back through JSON."""
    out: list[Any] = []
    kiosk.ctx.map.surface().run_js(f"JSON.stringify([({script})])", out.append)
    wait_until(lambda: out, 10_000)
    assert isinstance(out[0], str) and out[0], f"script failed: {script}"
    return json.loads(out[0])[0]


def page_is(kiosk: Any, query: str) -> bool:
    """Whether the page in the view is ``map.html`` + ``query`` with its map set up (False while it loads)."""
    out: list[Any] = []
    kiosk.ctx.map.surface().run_js("JSON.stringify([location.search, typeof window.kioskMap])", out.append)
    wait_until(lambda: out, 10_000)
    return isinstance(out[0], str) and bool(out[0]) and json.loads(out[0]) == [query, "object"]


class _Counter(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<h1>the internet</h1>")

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def internet() -> Iterator[Any]:
    """A real HTTP server on loopback; ``hits`` lists every request that reached it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def world_data(tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    """The small test content plus the real world MBTiles, built, signed and installed."""
    assert WORLD.is_file(), f"missing real data file {WORLD}"
    root = tmp_path_factory.mktemp("world-map")
    source = root / "src"
    shutil.copytree(MINI_SOURCE, source)
    (source / "maps").mkdir(exist_ok=True)
    shutil.copy(WORLD, source / "maps" / "world.mbtiles")
    key = SigningKey.generate("map-tests")
    build_pack(source, root / "world.kpack", keys=[key], now=BUILT_AT)
    data = DataDir(root / "data")
    Installer(data, [key.public], "stable", clock=lambda: INSTALLED_AT).install(root / "world.kpack")
    return data


@pytest.fixture(scope="module")
def map_kiosk(qapp: QApplication, world_data: DataDir) -> Iterator[Any]:
    moment = dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))
    kiosk = build_kiosk(load_config(None), world_data, clock=lambda: moment)
    kiosk.shell.setFixedSize(1280, 800)
    kiosk.shell.show()
    # As in the running kiosk: lockdown and idle watch the window while the web engine works
    # (an application-wide Python filter would crash PySide6 6.11 here).
    kiosk.install_filters(qapp)
    kiosk.nav.go("map")
    surface = kiosk.ctx.map.surface()
    wait_until(lambda: surface.painted_count > 0)
    yield kiosk
    kiosk.remove_filters(qapp)
    kiosk.ctx.map.close()
    kiosk.shell.close()
    kiosk.shell.deleteLater()
    kiosk.ctx.tasks.wait(5000)
    pause(50)


def open_map(kiosk: Any, **params: str) -> Any:
    kiosk.nav.go("map", **params)
    surface = kiosk.ctx.map.surface()
    wait_until(lambda: surface.state == "ready" and js(kiosk, "typeof window.kioskMap") == "object")
    return surface


# -- the page itself -----------------------------------------------------------------------


def page_data(kiosk: Any, surface: Any) -> Any:
    """What the map page is built from, for the kiosk's content and visitor right now."""
    return map_data(kiosk.ctx.content, kiosk.ctx.session, kiosk.ctx.config, surface.tiles())


def test_map_page_loads_only_from_the_kiosk_scheme(map_kiosk: Any) -> None:
    surface = map_kiosk.ctx.map.surface()
    html = build_map_html(page_data(map_kiosk, surface)).lower()
    for remote in ("http://", "https://", "//cdn", "jquery", "bootstrap", "font-awesome", "awesome-markers"):
        assert remote not in html, remote
    assert 'src="kiosk://app/static/leaflet/leaflet.js"' in html
    assert "content-security-policy" in html


def tile_on_screen(kiosk: Any, z: int, x: int, y: int) -> float:
    """Share of tile (z, x, y)'s pixels that the web view shows where Leaflet placed it."""
    surface = kiosk.ctx.map.surface()
    wait_until(lambda: js(kiosk, "kioskMap.tilesPending()") == 0)
    pause(300)
    left, top = js(kiosk, "(function(){var m=kioskMap.map;var p=m.layerPointToContainerPoint("
                          f"L.point({x}*256,{y}*256).subtract(m.getPixelOrigin()));return [p.x,p.y];}})()")  # fmt: skip
    shot = surface.view.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    blob = surface.tiles().tile(z, x, y)
    assert blob is not None, f"no tile {z}/{x}/{y} in the basemaps"
    tile = QImage.fromData(blob[0]).convertToFormat(QImage.Format.Format_RGB32)
    same = checked = 0
    for ty in range(0, 256, 4):
        for tx in range(0, 256, 4):
            sx, sy = int(left) + tx, int(top) + ty
            if not (0 <= sx < shot.width() and 0 <= sy < shot.height()):
                continue
            checked += 1
            a, b = shot.pixelColor(sx, sy), tile.pixelColor(tx, ty)
            if abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) <= 24:
                same += 1
    assert checked > 1000, "the tile is not in view"
    distinct = {shot.pixel(px, py) for px in range(0, shot.width(), 7) for py in range(0, shot.height(), 7)}
    assert len(distinct) > 8, "the view is blank"
    return same / checked


def test_world_mbtiles_displays_pixel_for_pixel(map_kiosk: Any) -> None:
    """The real world file (tiles in a view, no zoom or format metadata, TMS rows) is drawn."""
    open_map(map_kiosk)
    js(map_kiosk, "kioskMap.map.setView([36.06, 103.83], 4, {animate: false}), 1")
    # Markers and labels may cover a little of Lanzhou's tile; the rest must be the tile itself.
    assert tile_on_screen(map_kiosk, 4, 12, 6) > 0.85


def test_demo_city_basemap_is_painted(make_kiosk: Any) -> None:
    """The demo pack's rendered Lanzhou basemap, at zoom 13 over the city centre."""
    kiosk = make_kiosk(size=(1280, 800))
    open_map(kiosk)
    js(kiosk, "kioskMap.map.setView([36.06, 103.83], 13, {animate: false}), 1")
    # Place names show at every zoom now: hide pins and names to compare the tile itself.
    js(kiosk, "document.querySelectorAll('.leaflet-marker-pane, .leaflet-tooltip-pane, .leaflet-control-container')"
              ".forEach(function (e) { e.style.visibility = 'hidden'; }), 1")  # fmt: skip
    x, y = (int(v) for v in lonlat_to_tile(103.83, 36.06, 13))
    assert tile_on_screen(kiosk, 13, x, y) > 0.75
    surface = kiosk.ctx.map.surface()
    assert surface.tiles().served > 0 and surface.refusals.outside_requests() == []


def test_missing_detail_is_filled_from_a_coarser_tile(world_data: DataDir) -> None:
    """Beyond the world file's zoom 4 the map shows its tiles enlarged, not grey holes."""
    from content_sync.maps.tiles import TileSource
    from content_sync.store.content_store import ContentStore

    store = ContentStore.open(world_data)
    source = TileSource(store.basemaps())
    x, y = (int(v) for v in lonlat_to_tile(103.83, 36.06, 6))
    blob, mime = source.tile(6, x, y)
    assert mime == "image/png" and source.enlarged == 1
    image = QImage.fromData(blob)
    assert (image.width(), image.height()) == (256, 256)
    assert source.tile(6, x, y)[0] == blob and source.enlarged == 1  # cached
    assert source.tile(3, 99, 0) is None  # outside the world
    source.close()
    store.close()


def test_every_request_of_a_scripted_session_stays_in_the_scheme(map_kiosk: Any, internet: Any) -> None:
    surface = open_map(map_kiosk)
    venue = map_kiosk.ctx.store.venues()[0].id
    route = map_kiosk.ctx.store.routes()[0].id
    before = len(surface.refusals.requests)
    map_kiosk.nav.go("map", venue=venue)
    pause(300)
    map_kiosk.nav.go("map", route=route)
    pause(300)
    js(map_kiosk, "kioskMap.map.setZoom(2, {animate:false}), kioskMap.map.setZoom(4, {animate:false}), 1")
    map_kiosk.ctx.session.set_language("en")
    open_map(map_kiosk)
    map_kiosk.ctx.session.set_language("zh-Hans")
    open_map(map_kiosk)
    QTest.mouseClick(map_kiosk.nav.currentWidget().reset_button, Qt.MouseButton.LeftButton)
    pause(300)
    requests = list(surface.refusals.requests)[before:]
    assert len(requests) > 10  # the page, Leaflet, the plugin, qwebchannel.js, tiles...
    assert any("/tiles/" in url for url, _ in requests)
    assert [url for url, _ in requests if not url.startswith("kiosk://app/")] == []
    assert internet.hits == []


def test_tapping_a_marker_opens_its_venue(map_kiosk: Any) -> None:
    venue = map_kiosk.ctx.store.venues()[0]
    surface = open_map(map_kiosk, venue=venue.id)
    wait_until(lambda: js(map_kiosk, f"kioskMap.markerRect({json.dumps(venue.id)})") is not None)
    pause(500)  # clusters spread out
    x, y = js(map_kiosk, f"kioskMap.markerRect({json.dumps(venue.id)})")
    target = surface.view.focusProxy() or surface.view
    QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(int(x), int(y)))
    wait_until(lambda: map_kiosk.nav.current_name == "venue")
    assert map_kiosk.nav.current[1] == {"id": venue.id}


def test_map_page_labels_follow_the_visitor_language(map_kiosk: Any) -> None:
    venue = map_kiosk.ctx.store.venues()[0]
    map_kiosk.ctx.session.set_language("en")
    open_map(map_kiosk)
    labels = js(map_kiosk, "kioskMap.labels()")
    assert venue.name["en"] in labels and venue.name["zh-Hans"] not in labels
    map_kiosk.ctx.session.set_language("zh-Hans")
    open_map(map_kiosk)
    labels = js(map_kiosk, "kioskMap.labels()")
    assert venue.name["zh-Hans"] in labels


def test_idle_reset_discards_the_web_profile(map_kiosk: Any) -> None:
    surface = open_map(map_kiosk)
    profile = surface.profile
    assert profile is not None and profile.isOffTheRecord()
    discards = surface.discards
    map_kiosk.shell.reset_session()
    wait_until(lambda: surface.discards == discards + 1)
    assert surface.profile is None and surface.view is None
    open_map(map_kiosk)
    assert surface.profile is not None and surface.profile is not profile


# -- escape probes ---------------------------------------------------------------------------

REMOTE = "__REMOTE__"
# (name, script) pairs: each tries one way out of the kiosk from inside the map page.
PROBES: list[tuple[str, str]] = [
    ("window.open remote", f"window.__r = String(window.open('{REMOTE}/open'))"),
    ("window.open same origin", "window.__r = String(window.open('kiosk://app/map.html'))"),
    ("link target=_blank", f"var a=document.createElement('a');a.href='{REMOTE}/blank';a.target='_blank';"
                           "document.body.appendChild(a);a.click()"),
    ("javascript: navigation", "location.href='javascript:void(document.title=1)'"),
    ("file:///etc/passwd navigation", "location.href='file:///etc/passwd'"),
    ("file:///etc/passwd iframe", "var f=document.createElement('iframe');f.src='file:///etc/passwd';"
                                  "document.body.appendChild(f)"),
    ("file:///etc/passwd fetch", "fetch('file:///etc/passwd').then(r=>r.text()).then(t=>window.__pwned=t,"
                                 "e=>window.__r='refused')"),
    ("data: navigation", "location.href='data:text/html,<script>window.__pwned=1</script>'"),
    ("data: iframe", "var f=document.createElement('iframe');f.src='data:text/html,hi';document.body.appendChild(f)"),
    ("mailto: link", "location.href='mailto:someone@example.com'"),
    ("tel: link", "location.href='tel:+8693112345'"),
    ("sms: link", "location.href='sms:+8693112345'"),
    ("remote navigation", f"location.href='{REMOTE}/nav'"),
    ("remote fetch", f"fetch('{REMOTE}/fetch').then(()=>window.__pwned='fetched',()=>window.__r='refused')"),
    ("remote XMLHttpRequest", f"var x=new XMLHttpRequest();x.open('GET','{REMOTE}/xhr');x.send()"),
    ("remote image", f"new Image().src='{REMOTE}/img.png'"),
    ("remote script", f"var s=document.createElement('script');s.src='{REMOTE}/x.js';document.head.appendChild(s)"),
    ("remote stylesheet", f"var l=document.createElement('link');l.rel='stylesheet';l.href='{REMOTE}/x.css';"
                          "document.head.appendChild(l)"),
    ("remote iframe", f"var f=document.createElement('iframe');f.src='{REMOTE}/frame';document.body.appendChild(f)"),
    ("remote form post", f"var f=document.createElement('form');f.method='post';f.action='{REMOTE}/form';"
                         "document.body.appendChild(f);f.submit()"),
    ("WebSocket", f"try{{new WebSocket('{REMOTE.replace('http', 'ws')}/ws')}}catch(e){{window.__r='refused'}}"),
    ("sendBeacon", f"window.__r=String(navigator.sendBeacon('{REMOTE}/beacon','x'))"),
    ("EventSource", f"try{{new EventSource('{REMOTE}/events')}}catch(e){{window.__r='refused'}}"),
    ("meta refresh", f"var m=document.createElement('meta');m.httpEquiv='refresh';m.content='0;url={REMOTE}/meta';"
                     "document.head.appendChild(m)"),
    ("window.print", "window.print()"),
    ("file input", "var i=document.createElement('input');i.type='file';document.body.appendChild(i);i.click()"),
    ("download link", "var a=document.createElement('a');a.href='kiosk://app/static/leaflet/leaflet.css';"
                      "a.download='x.css';document.body.appendChild(a);a.click()"),
    ("alert, confirm, prompt", "alert('x');window.__r=String(confirm('y'))+String(prompt('z'))"),
    ("geolocation", "navigator.geolocation.getCurrentPosition(()=>window.__pwned='located',"
                    "()=>window.__r='refused')"),
    ("notifications", "Notification.requestPermission().then(p=>window.__r=p)"),
    ("camera and microphone", "navigator.mediaDevices?navigator.mediaDevices.getUserMedia({video:true,audio:true})"
                              ".then(()=>window.__pwned='camera',()=>window.__r='refused'):window.__r='refused'"),
    ("full screen", "document.documentElement.requestFullscreen().then(()=>window.__pwned='full',"
                    "()=>window.__r='refused')"),
    ("local storage", "try{localStorage.setItem('k','v');window.__pwned=localStorage.getItem('k')}"
                      "catch(e){window.__r='refused'}"),
    ("clipboard", "navigator.clipboard.readText().then(t=>window.__pwned='clip',()=>window.__r='refused')"),
    ("window.close", "window.close()"),
    ("pushState to another origin", f"try{{history.pushState({{}},'','{REMOTE}/push')}}"
                                    "catch(e){window.__r='refused'}"),
    ("top navigation inside the scheme", "location.href='kiosk://app/static/leaflet/leaflet.js'"),
    ("base href hijack", f"var b=document.createElement('base');b.href='{REMOTE}/';document.head.appendChild(b);"
                         "new Image().src='relative.png'"),
]  # fmt: skip


def _state(kiosk: Any) -> dict[str, Any]:
    return js(kiosk, "({r: window.__r === undefined ? null : window.__r, "
                     "pwned: window.__pwned === undefined ? null : String(window.__pwned), "
                     "path: location.pathname, map: typeof window.kioskMap, title: document.title})")  # fmt: skip


def _windows() -> set[int]:
    return {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}


def _assert_contained(kiosk: Any, internet: Any, windows: set[int], name: str) -> dict[str, Any]:
    state = _state(kiosk)
    surface = kiosk.ctx.map.surface()
    assert state["path"] == "/map.html", f"{name}: the page navigated to {state['path']}"
    assert state["map"] == "object", f"{name}: the map page is gone"
    assert state["pwned"] is None, f"{name}: {state['pwned']}"
    assert internet.hits == [], f"{name}: reached the network: {internet.hits}"
    assert surface.page.url().scheme() == "kiosk"
    assert _windows() <= windows, f"{name}: a new window appeared"
    assert QApplication.activePopupWidget() is None, f"{name}: a popup appeared"
    assert QApplication.activeModalWidget() is None, f"{name}: a dialog appeared"
    return state


@pytest.mark.parametrize(("name", "script"), PROBES, ids=[p[0] for p in PROBES])
def test_escape_probe_fails(map_kiosk: Any, internet: Any, name: str, script: str) -> None:
    surface = open_map(map_kiosk)
    windows = _windows()
    refused_before = len(surface.refusals.refused)
    js(map_kiosk, "(window.__r = undefined, window.__pwned = undefined, 1)")
    surface.run_js(script.replace(REMOTE, internet.url))
    pause(400)
    state = _assert_contained(map_kiosk, internet, windows, name)
    refused = [r.what for r in list(surface.refusals.refused)[refused_before:]]
    if name.startswith("window.open"):
        assert state["r"] == "null"  # popup blocked (JavascriptCanOpenWindows off) or createWindow refused
    elif name == "window.print":
        assert "print" in refused
    elif name == "alert, confirm, prompt":
        assert state["r"] == "falsenull" and {"alert", "confirm", "prompt"} <= set(refused)
    elif name in ("notifications",):
        assert state["r"] == "denied"
    elif name == "sendBeacon":
        pass  # queued ("true"), then blocked: the server check above and at the end of the module decides
    elif state["r"] is not None:
        assert state["r"] in ("refused", "false", "null"), state


def test_right_click_opens_no_menu(map_kiosk: Any, internet: Any) -> None:
    surface = open_map(map_kiosk)
    windows = _windows()
    target = surface.view.focusProxy() or surface.view
    QTest.mouseClick(target, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(400, 300))
    blocked = map_kiosk.lockdown.blocked
    window = map_kiosk.shell.windowHandle()  # as a real mouse would: through the window
    QTest.mouseClick(window, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(600, 500))
    assert map_kiosk.lockdown.blocked >= blocked + 2
    pause(300)
    _assert_contained(map_kiosk, internet, windows, "right-click")
    assert surface.view.contextMenuPolicy() == Qt.ContextMenuPolicy.NoContextMenu


def test_dropping_a_file_does_not_open_it(map_kiosk: Any, internet: Any) -> None:
    surface = open_map(map_kiosk)
    windows = _windows()
    mime = QMimeData()
    mime.setUrls([QUrl("file:///etc/passwd"), QUrl(f"{internet.url}/dropped")])
    target = surface.view.focusProxy() or surface.view
    pos = QPointF(400, 300)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(target, enter)
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    pause(500)
    _assert_contained(map_kiosk, internet, windows, "drag and drop")
    assert not surface.view.acceptDrops()


HOSTILE_NAMES = [
    "<img src=x onerror=\"window.__pwned='img'\">",
    "</script><script>window.__pwned='breakout'</script>",
    "<svg onload=\"window.__pwned='svg'\"></svg>",
    "\u2028\u2029\"'`${window.__pwned='template'}",
]


def test_xss_payloads_in_venue_text_stay_text(map_kiosk: Any, internet: Any) -> None:
    """Names from a pack reach the page only as text, even ones the pack checks would refuse."""
    surface = open_map(map_kiosk)
    windows = _windows()
    data = page_data(map_kiosk, surface)
    pins = [MapPin(f"x{i}", name, 36.06 + i * 0.001, 103.83) for i, name in enumerate(HOSTILE_NAMES)]
    hostile = replace(data, pins=pins, attribution='<img src=x onerror="window.__pwned=\'attr\'">',
                      labels={"here": "<b onclick=x>here</b>"})  # fmt: skip
    surface._html = build_map_html(hostile).encode()
    surface.page.load(QUrl("kiosk://app/map.html?v=hostile"))
    # The page before it keeps its kioskMap until the new one commits: wait for this page's own.
    wait_until(lambda: page_is(map_kiosk, "?v=hostile"))
    js(map_kiosk, "(kioskMap.map.setZoom(4, {animate:false}), 1)")
    pause(500)
    _assert_contained(map_kiosk, internet, windows, "XSS in venue text")
    # Labels come with the markers Leaflet draws after the zoom (once, 500 ms was not enough).
    wait_until(lambda: set(js(map_kiosk, "kioskMap.labels()")) == set(HOSTILE_NAMES), 5000)
    assert js(map_kiosk, "document.querySelectorAll('.kiosk-label img, .kiosk-label svg, .kiosk-label b').length") == 0
    surface.discard()  # the next test gets a clean page


def test_no_probe_reached_the_network_even_later(map_kiosk: Any, internet: Any) -> None:
    """Beacons and retries may fire after a probe's own check: look again at the end."""
    pause(1000)
    assert internet.hits == []
    refused = {r.what for r in map_kiosk.ctx.map.surface().refusals.refused}
    assert {"navigation", "print", "alert", "confirm", "prompt"} <= refused


# -- start-up guard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "argv"),
    [
        ({"QTWEBENGINE_REMOTE_DEBUGGING": "9222"}, []),
        ({"QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu --remote-debugging-port=9222"}, []),
        ({}, ["kiosk", "--remote-debugging-port=9222"]),
        ({}, ["kiosk", "--remote-debugging-pipe"]),
    ],
)
def test_refuses_to_start_with_remote_debugging(environ: dict[str, str], argv: list[str]) -> None:
    assert remote_debugging_reason(environ, argv)
    with pytest.raises(RemoteDebuggingEnabled, match="remote debugging"):
        prepare_web_engine(dict(environ), argv)


def test_no_remote_debugging_when_nothing_asks_for_it() -> None:
    assert remote_debugging_reason({"QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu"}, ["kiosk"]) is None


# -- ways into the map -------------------------------------------------------------------------


def test_home_venue_and_route_pages_lead_to_the_map(make_kiosk: Any, qtbot: Any) -> None:
    from kiosk_app.widgets.minimap import StillMap

    kiosk = make_kiosk(size=(1280, 800))
    kiosk.nav.go("home")
    tile = kiosk.nav.currentWidget().findChild(QWidget, "home-map")
    assert tile is not None and tile.isVisible()
    venue = kiosk.ctx.store.venue("zhongshan-iron-bridge")
    kiosk.nav.go("venue", id=venue.id)
    still = kiosk.nav.currentWidget().findChild(StillMap)
    qtbot.waitUntil(lambda: still.ready, timeout=10_000)
    image = still.image
    assert image is not None
    # The pin is drawn in the venue's theme colour at the middle of the picture.
    centre = image.pixelColor(image.width() // 2, image.height() // 2)
    theme = next(t for t in kiosk.ctx.content.themes if t["id"] == venue.themes[0])
    assert centre.name().lower() == theme["color"].lower()
    QTest.mouseClick(still, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(40, 40))
    assert kiosk.nav.current == ("map", {"venue": venue.id})
    route = kiosk.ctx.store.routes()[0]
    kiosk.nav.go("route", id=route.id)
    still = kiosk.nav.currentWidget().findChild(StillMap)
    qtbot.waitUntil(lambda: still.ready, timeout=10_000)
    assert still.image is not None
    QTest.mouseClick(still, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(40, 40))
    assert kiosk.nav.current == ("map", {"route": route.id})


def test_no_basemap_means_no_map_buttons(qtbot: Any, installer: Installer, make_pack: Any, mini_source: Path,
                                        data_dir: DataDir) -> None:  # fmt: skip
    """A pack without tiles: no map tile on home, no still map; the map page says so plainly."""
    from kiosk_app.widgets.minimap import StillMap

    installer.install(make_pack(mini_source))
    kiosk = build_kiosk(load_config(None), data_dir)
    qtbot.addWidget(kiosk.shell)
    kiosk.shell.setFixedSize(1280, 800)
    kiosk.shell.show()
    assert kiosk.ctx.store.basemaps() == []
    kiosk.nav.go("home")
    assert kiosk.nav.currentWidget().findChild(QWidget, "home-map") is None
    venue = kiosk.ctx.store.venues()[0]
    kiosk.nav.go("venue", id=venue.id)
    assert kiosk.nav.currentWidget().findChild(StillMap) is None
    kiosk.nav.go("map")
    message = kiosk.nav.currentWidget().findChild(QWidget, "map-message")
    assert message.text() == kiosk.ctx.tr("map.unavailable")
    assert not kiosk.ctx.map.started  # the web engine was never needed
    kiosk.ctx.tasks.wait(5000)


def test_kiosk_process_refuses_remote_debugging(demo_data: DataDir) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_REMOTE_DEBUGGING": "9222"}
    done = subprocess.run(
        [sys.executable, "-m", "kiosk_app.main", "--data-dir", str(demo_data.root), "--windowed", "640x480"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "refusing to start: web engine remote debugging is enabled" in done.stderr
    assert "Traceback" not in done.stderr
