"""The map page: a folium map whose every script, style and tile comes from ``kiosk://app``.

Folium's defaults name CDN scripts (jQuery, Bootstrap, Font Awesome, awesome-markers);
here the map keeps only Leaflet and the marker-cluster plugin, both served from this
package. Venue names travel as JSON data and reach the page only through ``textContent``,
so no text from a pack is ever parsed as HTML. Plain Python, no Qt: built in a worker
thread and tested without a web engine.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .engine import CONTENT_SECURITY_POLICY, ORIGIN

STATIC = f"{ORIGIN}/static"
# In load order: the plugin needs Leaflet first.
MAP_JS = [
    ("leaflet", f"{STATIC}/leaflet/leaflet.js"),
    ("markercluster", f"{STATIC}/leaflet.markercluster/leaflet.markercluster.js"),
    ("qwebchannel", f"{ORIGIN}/qwebchannel.js"),
]
MAP_CSS = [
    ("leaflet_css", f"{STATIC}/leaflet/leaflet.css"),
    ("markercluster_css", f"{STATIC}/leaflet.markercluster/MarkerCluster.css"),
    ("markercluster_default_css", f"{STATIC}/leaflet.markercluster/MarkerCluster.Default.css"),
]
TILE_URL = f"{ORIGIN}/tiles/{{z}}/{{x}}/{{y}}"
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
DEFAULT_COLOUR = "#5A6B7B"
LABEL_ZOOM = 14


@dataclass(frozen=True)
class MapPin:
    id: str
    name: str
    lat: float
    lon: float
    colour: str = DEFAULT_COLOUR


@dataclass(frozen=True)
class MapRoute:
    id: str
    name: str
    colour: str
    points: list[tuple[float, float]]  # (lat, lon) of each stop in order
    stop_ids: list[str]


@dataclass(frozen=True)
class MapData:
    """Everything the page shows, already in the visitor's language."""

    lang: str
    rtl: bool
    pins: list[MapPin]
    routes: list[MapRoute]
    here: tuple[float, float] | None
    home_center: tuple[float, float]  # (lat, lon)
    home_zoom: int
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float]  # W, S, E, N
    attribution: str = ""
    labels: dict[str, str] = field(default_factory=dict)


def safe_colour(value: str | None) -> str:
    return value if value and _COLOUR.match(value) else DEFAULT_COLOUR


def script_json(value: Any) -> str:
    """JSON that can sit inside ``<script>`` without ending it or opening markup."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


_PAGE_CSS = """
html, body { background: #E8ECEF; }
body { font-family: "Noto Sans CJK SC", "Noto Sans", "Noto Sans Arabic", sans-serif; }
.leaflet-container { font-family: inherit; font-size: 18px; background: #E8ECEF; }
.leaflet-control-zoom a { width: 64px !important; height: 64px !important; line-height: 60px !important;
  font-size: 36px !important; }
.leaflet-control-attribution { font-size: 11px; max-width: 45%; opacity: .85; }
.kiosk-pin span { display: block; width: 30px; height: 30px; border-radius: 50%; border: 4px solid #fff;
  box-shadow: 0 1px 4px rgba(0,0,0,.5); }
.kiosk-pin.focused span { width: 40px; height: 40px; margin: -5px; border-color: #111; }
.kiosk-here span { display: block; width: 26px; height: 26px; border-radius: 50%; background: #1565C0;
  border: 5px solid #fff; box-shadow: 0 0 0 10px rgba(21,101,192,.25); }
.kiosk-stop span { display: block; width: 36px; height: 36px; border-radius: 50%; background: #fff;
  border: 4px solid #333; font: bold 20px/36px sans-serif; text-align: center; color: #111; }
.leaflet-tooltip.kiosk-label { font-size: 18px; padding: 4px 8px; }
.kiosk-map .leaflet-tooltip.kiosk-label.venue { visibility: hidden; }
.kiosk-map.labels-on .leaflet-tooltip.kiosk-label.venue { visibility: visible; }
.marker-cluster div { width: 44px; height: 44px; margin-left: -2px; margin-top: -2px; font-size: 18px;
  line-height: 44px; border-radius: 22px; }
.marker-cluster { width: 48px !important; height: 48px !important; }
"""

_MAP_SCRIPT = """
(function () {
  var map = {{ this._parent.get_name() }};
  var data = {{ this.data_json }};
  var pending = [];
  var bridge = null;
  function call(name, arg) {
    if (bridge) { bridge[name](arg); } else { pending.push([name, arg]); }
  }
  if (window.qt && qt.webChannelTransport) {
    new QWebChannel(qt.webChannelTransport, function (channel) {
      bridge = channel.objects.kiosk;
      pending.forEach(function (p) { bridge[p[0]](p[1]); });
      pending = [];
    });
  }
  map.attributionControl.setPrefix(false);
  map.getContainer().classList.add("kiosk-map");
  function label(text, cls) {
    var el = document.createElement("span");
    el.textContent = text;
    return el;
  }
  function pinIcon(colour, focused) {
    return L.divIcon({className: "kiosk-pin" + (focused ? " focused" : ""),
      html: '<span style="background:' + colour + '"></span>', iconSize: [38, 38], iconAnchor: [19, 19]});
  }
  var cluster = L.markerClusterGroup({maxClusterRadius: 48, showCoverageOnHover: false,
    spiderfyOnMaxZoom: true, zoomToBoundsOnClick: true});
  var markers = {};
  data.pins.forEach(function (pin) {
    var m = L.marker([pin.lat, pin.lon], {icon: pinIcon(pin.colour, false), keyboard: false});
    m.bindTooltip(label(pin.name), {permanent: true, direction: "top", offset: [0, -18],
      className: "kiosk-label venue"});
    m.on("click", function () { call("openVenue", pin.id); });
    markers[pin.id] = m;
    cluster.addLayer(m);
  });
  map.addLayer(cluster);
  if (data.here) {
    L.marker(data.here, {icon: L.divIcon({className: "kiosk-here", html: "<span></span>",
      iconSize: [36, 36], iconAnchor: [18, 18]}), keyboard: false, zIndexOffset: 1000})
      .bindTooltip(label(data.labels.here || ""), {permanent: true, direction: "right", offset: [18, 0],
        className: "kiosk-label here"}).addTo(map);
  }
  function syncLabels() {
    map.getContainer().classList.toggle("labels-on", map.getZoom() >= {{ this.label_zoom }});
  }
  map.on("zoomend", syncLabels);
  syncLabels();
  var routeLayer = L.layerGroup().addTo(map);
  var focused = null;
  function unfocus() {
    if (focused && markers[focused]) {
      var pin = data.pins.filter(function (p) { return p.id === focused; })[0];
      markers[focused].setIcon(pinIcon(pin.colour, false));
    }
    focused = null;
  }
  window.kioskMap = {
    reset: function () {
      unfocus(); routeLayer.clearLayers();
      map.setView(data.home_center, data.home_zoom, {animate: false});
    },
    focusVenue: function (id, zoom) {
      unfocus(); routeLayer.clearLayers();
      var m = markers[id];
      if (!m) { return false; }
      focused = id;
      var pin = data.pins.filter(function (p) { return p.id === id; })[0];
      m.setIcon(pinIcon(pin.colour, true));
      map.setView(m.getLatLng(), zoom || Math.min(16, data.maxzoom), {animate: false});
      cluster.zoomToShowLayer(m, function () {});
      return true;
    },
    showRoute: function (id) {
      unfocus(); routeLayer.clearLayers();
      var route = data.routes.filter(function (r) { return r.id === id; })[0];
      if (!route || route.points.length === 0) { return false; }
      L.polyline(route.points, {color: route.colour, weight: 7, opacity: 0.9}).addTo(routeLayer);
      route.points.forEach(function (p, i) {
        L.marker(p, {icon: L.divIcon({className: "kiosk-stop", html: "<span>" + (i + 1) + "</span>",
          iconSize: [44, 44], iconAnchor: [22, 22]}), keyboard: false, zIndexOffset: 500})
          .on("click", function () { call("openVenue", route.stop_ids[i]); }).addTo(routeLayer);
      });
      map.fitBounds(L.latLngBounds(route.points).pad(0.25), {animate: false,
        maxZoom: Math.min(15, data.maxzoom)});
      return true;
    },
    map: map,  // for diagnostics and tests
    markerRect: function (id) {
      var m = markers[id];
      var icon = m && m._icon;
      if (!icon) { return null; }
      var r = icon.getBoundingClientRect();
      return [r.left + r.width / 2, r.top + r.height / 2];
    },
    labels: function () {
      return Object.keys(markers).map(function (k) { return markers[k].getTooltip().getContent().textContent; });
    },
    tilesPending: function () { return document.querySelectorAll(".leaflet-tile:not(.leaflet-tile-loaded)").length; },
  };
  function painted() {
    requestAnimationFrame(function () { requestAnimationFrame(function () { call("tilesPainted", ""); }); });
  }
  {{ this.tile_layer }}.on("load", painted);
  // Shown again (the page was kept while hidden): tell Python once the frame is drawn.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { painted(); }
  });
  call("pageReady", "");
})();
"""


def build_map_html(data: MapData) -> str:
    """The whole page as one HTML string (folium is imported here, never on the start path)."""
    import folium
    from branca.element import Element, MacroElement
    from jinja2 import Template

    west, south, east, north = data.bounds
    fmap = folium.Map(
        location=list(data.home_center), zoom_start=data.home_zoom, tiles=None, min_zoom=data.minzoom,
        max_zoom=data.maxzoom, max_bounds=True, min_lat=south, max_lat=north, min_lon=west, max_lon=east,
        control_scale=True, prefer_canvas=False, zoom_control=True, world_copy_jump=False,
    )  # fmt: skip
    fmap.default_js = MAP_JS
    fmap.default_css = MAP_CSS
    tiles = folium.TileLayer(
        tiles=TILE_URL, attr=html.escape(data.attribution) or " ", name="basemap", min_zoom=data.minzoom,
        max_zoom=data.maxzoom, max_native_zoom=data.maxzoom, no_wrap=True, subdomains="", overlay=False,
        control=False,
    )  # fmt: skip
    tiles.add_to(fmap)
    root = fmap.get_root()
    root.header.add_child(Element(f"<style>{_PAGE_CSS}</style>"))

    payload = {
        "pins": [{**asdict(p), "colour": safe_colour(p.colour)} for p in data.pins],
        "routes": [{**asdict(r), "colour": safe_colour(r.colour)} for r in data.routes],
        "here": list(data.here) if data.here else None,
        "home_center": list(data.home_center),
        "home_zoom": data.home_zoom,
        "maxzoom": data.maxzoom,
        "labels": data.labels,
    }
    script = MacroElement()
    script._template = Template("{% macro script(this, kwargs) %}" + _MAP_SCRIPT + "{% endmacro %}")
    script.data_json = script_json(payload)  # type: ignore[attr-defined]
    script.label_zoom = LABEL_ZOOM  # type: ignore[attr-defined]
    script.tile_layer = tiles.get_name()  # type: ignore[attr-defined]
    fmap.add_child(script)
    page = root.render()
    head = (
        f'<head>\n<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '\n<meta name="referrer" content="no-referrer">'
    )
    page = page.replace("<head>", head, 1)
    page = page.replace("<html>", f'<html lang="{html.escape(data.lang)}" dir="{"rtl" if data.rtl else "ltr"}">', 1)
    return page
