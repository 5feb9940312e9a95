"""The one web view the kiosk owns: created after home is painted, discarded at idle reset.

QtWebEngine costs a few hundred milliseconds and a couple of processes to start, so the
kiosk never starts it on the way to the home screen: ``warm_up`` is called once the home
screen has been painted, builds the hardened profile, page and view, and loads the map
page for the default language, so a tap on "Map" only has to show it. At idle reset the
whole off-the-record profile goes (the next visitor inherits nothing, not even tiles in
memory) and a fresh one is warmed up a moment later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QTimer, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel

from content_sync.core import i18n
from content_sync.maps.mbtiles import lonlat_to_tile
from content_sync.maps.tiles import TileSource

from ..theme import palette_for
from .engine import ORIGIN, SCHEME
from .guard import GuardedPage, GuardedView, RefusalLog, make_profile
from .map_html import LegendEntry, MapData, MapPin, MapRoute, build_map_html, script_json
from .scheme import KioskSchemeHandler

if TYPE_CHECKING:
    from PySide6.QtWebEngineCore import QWebEngineProfile

    from ..background import BackgroundTasks
    from ..config import KioskConfig
    from ..content import ContentHolder
    from ..session import Session

log = logging.getLogger(__name__)

MAP_URL = f"{ORIGIN}/map.html"
HOME_ZOOM = 13
REWARM_DELAY_MS = 1500


class MapBridge(QObject):
    """What the map page may call in Python (through QWebChannel): nothing but these."""

    venue_tapped = Signal(str)
    tiles_painted = Signal()
    page_ready = Signal()

    @Slot(str)
    def openVenue(self, venue_id: str) -> None:
        if isinstance(venue_id, str) and 0 < len(venue_id) <= 200:
            self.venue_tapped.emit(venue_id)

    @Slot(str)
    def tilesPainted(self, _unused: str) -> None:
        self.tiles_painted.emit()

    @Slot(str)
    def pageReady(self, _unused: str) -> None:
        self.page_ready.emit()


def map_data(content: ContentHolder, session: Session, config: KioskConfig, tiles: TileSource) -> MapData | None:
    """The map's content in the visitor's language, or ``None`` when there is no basemap."""
    extent = tiles.range()
    if extent is None:
        return None
    store, lang, fallback, tr = content.store, session.language, session.fallback, session.tr
    venues = store.venues()
    by_id = {v.id: v for v in venues}
    pins = [
        MapPin(v.id, i18n.text(v.name, lang, fallback), v.lat, v.lon, content.theme_colour(v.themes)) for v in venues
    ]
    routes = []
    for route in store.routes():
        stops = [by_id[s.venue_id] for s in route.stops if s.venue_id in by_id]
        colour = content.theme_colour(route.themes)
        routes.append(MapRoute(route.id, i18n.text(route.name, lang, fallback), colour or "#1565C0",
                               [(v.lat, v.lon) for v in stops], [v.id for v in stops]))  # fmt: skip
    lat, lon = config.location
    w, s, e, n = extent.bounds
    inside = w <= lon <= e and s <= lat <= n
    detailed = tiles.tile(min(HOME_ZOOM, extent.maxzoom), *_tile_of(lon, lat, min(HOME_ZOOM, extent.maxzoom)))
    if inside and detailed is not None:
        centre, zoom = (lat, lon), min(HOME_ZOOM, extent.maxzoom)
    elif pins:
        centre = (sum(p.lat for p in pins) / len(pins), sum(p.lon for p in pins) / len(pins))
        zoom = max(extent.minzoom, min(10, extent.maxzoom))
    else:
        centre, zoom = ((s + n) / 2, (w + e) / 2), extent.minzoom
    if lang.startswith("zh"):
        here_label = config["location.label_zh"]
    elif lang.startswith("en"):
        here_label = config["location.label_en"]
    else:
        here_label = tr("map.here")
    return MapData(
        lang=lang, rtl=tr.rtl, pins=pins, routes=routes, here=(lat, lon) if inside else None,
        home_center=centre, home_zoom=zoom, minzoom=extent.minzoom, maxzoom=extent.maxzoom, bounds=extent.bounds,
        attribution=extent.attribution, labels={"here": here_label, "legend": tr("map.legend")},
        legend=[LegendEntry(i18n.text(t.get("name") or {}, lang, fallback), t.get("color") or "")
                for t in content.themes if t.get("color")],
    )  # fmt: skip


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    x, y = lonlat_to_tile(lon, lat, z)
    return int(x), int(y)


class MapSurface(QObject):
    """Owns the profile, page, view and bridge; screens borrow the view while they show it."""

    venue_tapped = Signal(str)
    tiles_painted = Signal()
    state_changed = Signal(str)  # "loading", "ready", "unavailable", "failed"

    def __init__(
        self,
        content: ContentHolder,
        session: Session,
        config: KioskConfig,
        tasks: BackgroundTasks,
        tiles: Callable[[], TileSource],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.content, self.session, self.config, self.tasks = content, session, config, tasks
        self.tiles = tiles
        self.refusals = RefusalLog()
        self.profile: QWebEngineProfile | None = None
        self.page: GuardedPage | None = None
        self.view: GuardedView | None = None
        self.bridge = MapBridge(self)
        self.bridge.venue_tapped.connect(self.venue_tapped)
        self.bridge.tiles_painted.connect(self._painted)
        self.bridge.page_ready.connect(self._page_ready)
        self.state = "idle"
        self._html: bytes | None = None
        self._key: tuple[object, ...] | None = None  # (content version, language) of the page loaded
        self._building: tuple[object, ...] | None = None
        self._pending_focus: tuple[str, str] | None = None
        self._ready = False
        self.painted_count = 0
        self.discards = 0
        self.closed = False

    @property
    def available(self) -> bool:
        return not self.tiles().empty

    # -- life cycle ------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Start the engine and load the page for the current language, without showing it."""
        try:
            if self.available and not self.closed:
                self.ensure_view()
                self.prepare()
        except Exception:
            log.exception("warming up the map failed; the map screen will try again")

    def ensure_view(self) -> GuardedView:
        if self.view is None:
            self.profile = make_profile(self.refusals)
            handler = KioskSchemeHandler(lambda: self._html, self.tiles, self.profile)
            self.profile.installUrlSchemeHandler(SCHEME.encode(), handler)
            self.profile.setHttpAcceptLanguage(self.session.language)
            self.page = GuardedPage(self.profile, self.refusals)
            channel = QWebChannel(self.page)
            channel.registerObject("kiosk", self.bridge)
            self.page.setWebChannel(channel)
            self.page.loadFinished.connect(self._load_finished)
            self.view = GuardedView(self.page)
            self.view.setObjectName("map-view")
            self.page.setParent(self.view)
            self._key = None
            self._ready = False
        return self.view

    def prepare(self) -> None:
        """Build (in a worker thread) and load the page for this content and language."""
        key = (self.content.store.content_version, self.session.language, self.session.tr.rtl)
        if key == self._key or key == self._building:
            return
        data = map_data(self.content, self.session, self.config, self.tiles())
        if data is None:
            self._set_state("unavailable")
            return
        self._building = key
        self._set_state("loading")
        self.tasks.run(lambda: build_map_html(data).encode(), lambda html: self._page_built(key, html),
                      self._build_failed, owner=self)  # fmt: skip

    def _page_built(self, key: tuple[object, ...], html: bytes) -> None:
        if self.closed or self._building != key:
            return  # superseded by a newer language or content
        self._building = None
        view = self.ensure_view()
        self._html = html
        self._key = key
        self._ready = False
        assert self.page is not None
        self.page.load(QUrl(f"{MAP_URL}?v={abs(hash(key)) % 10**8}"))
        view.setProperty("map_key", str(key))

    def _build_failed(self, exc: Exception) -> None:
        log.error("building the map page failed: %s", exc, exc_info=exc)
        self._building = None
        self._set_state("failed")

    def _load_finished(self, ok: bool) -> None:
        # A refused navigation away from a loaded map also ends in "not ok": the map stays.
        if not ok and not self._ready:
            log.error("the map page did not load")
            self._set_state("failed")

    def _page_ready(self) -> None:
        self._ready = True
        self._set_state("ready")
        self._apply_focus()

    def _painted(self) -> None:
        self.painted_count += 1
        self.tiles_painted.emit()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    # -- what the screens ask ----------------------------------------------------------------
    def focus(self, kind: str = "", ident: str = "") -> None:
        """Show the whole map ("" ), one venue ("venue", id) or one route ("route", id)."""
        self._pending_focus = (kind, ident)
        self._apply_focus()

    def _apply_focus(self) -> None:
        if not self._ready or self._pending_focus is None or self.page is None:
            return
        # A visit woken on the night screen sees the map as dim as the page's pictures.
        dim = palette_for(self.session.high_contrast, self.session.night).picture_dim
        self.page.runJavaScript(f"window.kioskMap && kioskMap.setDim({dim:.2f})")
        kind, ident = self._pending_focus
        self._pending_focus = None
        arg = script_json(ident)
        if kind == "venue":
            self.page.runJavaScript(f"window.kioskMap && kioskMap.focusVenue({arg})")
        elif kind == "route":
            self.page.runJavaScript(f"window.kioskMap && kioskMap.showRoute({arg})")
        else:
            self.page.runJavaScript("window.kioskMap && kioskMap.reset()")

    def run_js(self, script: str, callback: Callable[[object], None] | None = None) -> None:
        """For the operator's diagnostics and the tests: run script in the map page."""
        if self.page is not None:
            if callback is None:
                self.page.runJavaScript(script)
            else:
                self.page.runJavaScript(script, 0, callback)

    def discard(self) -> None:
        """Throw the profile away (idle reset): the next visitor starts from nothing."""
        self._pending_focus = None
        self._building = None
        self._key = None
        self._ready = False
        self._html = None
        if self.view is not None:
            self.discards += 1
        self._destroy()
        self._set_state("idle")
        if self.available:
            QTimer.singleShot(REWARM_DELAY_MS, self, self.warm_up)

    def close(self) -> None:
        self.closed = True
        self._building = None
        self._destroy()

    def _destroy(self) -> None:
        """Page (inside the view) first, then its profile, synchronously: Chromium insists
        (workaround ``webengine-page-before-profile`` in ``kiosk_app/runtime/workarounds.py``)."""
        view, profile = self.view, self.profile
        self.view = self.page = self.profile = None
        if view is not None:
            view.hide()
            view.setParent(None)
            shiboken6.delete(view)
        if profile is not None:
            shiboken6.delete(profile)
