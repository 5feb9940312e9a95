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
# The app's smallest touch target (``theme.Metrics.touch`` is never below 72 px): every pin and
# route stop takes taps over at least this square, whatever size its dot is drawn.
MIN_TOUCH = 72
# "Show on map" opens a place at this zoom: close enough to pick it out, wide enough to show the
# streets, river and neighbours around it instead of a pin alone in an enlarged tile.
FOCUS_ZOOM = 14


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
class LegendEntry:
    """One theme colour and its name, as the pins use it."""

    name: str
    colour: str


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
    legend: list[LegendEntry] = field(default_factory=list)
    touch: int = MIN_TOUCH


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
.kiosk-pin, .kiosk-stop { display: flex; align-items: center; justify-content: center; }
.kiosk-pin span { display: block; flex: none; width: 30px; height: 30px; border-radius: 50%; border: 4px solid #fff;
  box-shadow: 0 1px 4px rgba(0,0,0,.5); }
.kiosk-pin.focused span { width: 40px; height: 40px; border-color: #111; }
.kiosk-here span { display: block; width: 26px; height: 26px; border-radius: 50%; background: #1565C0;
  border: 5px solid #fff; box-shadow: 0 0 0 10px rgba(21,101,192,.25); }
.kiosk-stop span { display: block; flex: none; width: 36px; height: 36px; border-radius: 50%; background: #fff;
  border: 4px solid #333; font: bold 20px/36px sans-serif; text-align: center; color: #111; }
.leaflet-tooltip.kiosk-label { font-size: 18px; padding: 4px 8px; }
/* Leaflet places tooltips by transform from the pane's top left; without this, a right-to-left
   page puts them at the pane's right edge, a label's width away from its pin. */
.kiosk-map .leaflet-tooltip { left: 0; top: 0; }
.leaflet-tooltip.kiosk-label.focused { font-weight: bold; border: 2px solid #111; }
.kiosk-map .leaflet-tooltip.kiosk-label.label-off { visibility: hidden; }
.kiosk-map .marker-cluster, .kiosk-map .marker-cluster-small, .kiosk-map .marker-cluster-medium,
.kiosk-map .marker-cluster-large { background: transparent; display: flex; align-items: center;
  justify-content: center; }
.kiosk-map .marker-cluster div { flex: none; width: 48px; height: 48px; margin: 0; font-size: 18px;
  line-height: 48px; border-radius: 24px; box-shadow: 0 0 0 5px rgba(255,255,255,.8); }
.kiosk-legend { background: rgba(255,255,255,.94); padding: 8px 14px; border-radius: 10px; font-size: 18px;
  line-height: 30px; box-shadow: 0 1px 5px rgba(0,0,0,.35); max-width: 40vw; }
.kiosk-legend .legend-row { display: flex; align-items: center; gap: 10px; }
.kiosk-legend .legend-swatch { flex: none; width: 18px; height: 18px; border-radius: 50%; border: 3px solid #fff;
  box-shadow: 0 0 0 1px rgba(0,0,0,.35); }
.kiosk-legend .legend-title { font-weight: bold; }
/* A visit woken on the night screen: the whole map drawn darker, as the page's pictures are. */
html.night, html.night body { background: #14120F; }
html.night .leaflet-container { filter: brightness(var(--night-brightness, 1)); }
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
  function label(text) {
    var el = document.createElement("span");
    el.textContent = text;
    return el;
  }
  var touch = data.touch;
  function pinIcon(colour, focused) {
    return L.divIcon({className: "kiosk-pin" + (focused ? " focused" : ""),
      html: '<span style="background:' + colour + '"></span>', iconSize: [touch, touch],
      iconAnchor: [touch / 2, touch / 2]});
  }
  // No cluster animation: clusters split and merge at once, so a focused place and the labels
  // are placed on the final layout (animations wait for transition events that a page just
  // shown again may not get).
  var cluster = L.markerClusterGroup({maxClusterRadius: 56, showCoverageOnHover: false, animate: false,
    spiderfyOnMaxZoom: true, zoomToBoundsOnClick: true,
    iconCreateFunction: function (group) {
      var count = group.getChildCount();
      var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
      var el = document.createElement("div");
      var inner = document.createElement("span");
      inner.textContent = String(count);
      el.appendChild(inner);
      return L.divIcon({className: "marker-cluster marker-cluster-" + size, html: el.outerHTML,
        iconSize: [touch, touch]});
    }});
  var markers = {};
  data.pins.forEach(function (pin) {
    var m = L.marker([pin.lat, pin.lon], {icon: pinIcon(pin.colour, false), keyboard: false});
    m.bindTooltip(label(pin.name), {permanent: true, direction: "top", offset: [0, -21],
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
  if (data.legend.length) {
    var legend = L.control({position: "bottomleft"});
    legend.onAdd = function () {
      var box = L.DomUtil.create("div", "kiosk-legend");
      box.id = "kiosk-legend";
      var title = document.createElement("div");
      title.className = "legend-title";
      title.textContent = data.labels.legend || "";
      box.appendChild(title);
      data.legend.forEach(function (entry) {
        var row = document.createElement("div");
        row.className = "legend-row";
        var swatch = document.createElement("span");
        swatch.className = "legend-swatch";
        swatch.style.background = entry.colour;
        var name = document.createElement("span");
        name.textContent = entry.name;
        row.appendChild(swatch);
        row.appendChild(name);
        box.appendChild(row);
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    legend.addTo(map);
  }
  var routeLayer = L.layerGroup().addTo(map);
  var focused = null;
  // Names are shown at every zoom, but never over another name, a route's stop number, a pin,
  // a cluster or the controls: each label tries above its pin, higher, right, then left, and
  // stays hidden when none of those is free. The focused place is placed first.
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  function box(r, dx, dy) {
    return {left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy};
  }
  function placeLabels() {
    var view = map.getContainer().getBoundingClientRect();
    var blocks = [];
    function block(el, owner) { var r = el.getBoundingClientRect(); blocks.push({r: box(r, 0, 0), owner: owner}); }
    map.getContainer().querySelectorAll(".kiosk-stop span, .kiosk-here span, .marker-cluster div, " +
      ".leaflet-control").forEach(function (el) { block(el, null); });
    var tips = [];
    Object.keys(markers).forEach(function (id) {
      var m = markers[id];
      var tip = m.getTooltip();
      var el = tip && tip.getElement();
      if (!m._icon || !el || !el.isConnected) { return; }
      block(m._icon.firstChild, id);
      tips.push({id: id, el: el});
    });
    tips.sort(function (a, b) { return (b.id === focused) - (a.id === focused); });
    var placed = [];
    tips.forEach(function (tip) {
      var el = tip.el;
      var base = el.style.transform.split(" translate(")[0];
      el.style.transform = base;
      el.classList.remove("label-off");
      var r = el.getBoundingClientRect();
      var w = r.right - r.left, h = r.bottom - r.top;
      var shifts = [[0, 0], [0, -26], [w / 2 + 30, h / 2 + 27], [-(w / 2 + 30), h / 2 + 27]];
      for (var i = 0; i < shifts.length; i++) {
        var c = box(r, shifts[i][0], shifts[i][1]);
        if (c.left < view.left || c.right > view.right || c.top < view.top || c.bottom > view.bottom) { continue; }
        var free = blocks.every(function (b) { return b.owner === tip.id || !overlaps(c, b.r); }) &&
          placed.every(function (p) { return !overlaps(c, p); });
        if (free) {
          if (i > 0) { el.style.transform = base + " translate(" + shifts[i][0] + "px," + shifts[i][1] + "px)"; }
          placed.push(c);
          return;
        }
      }
      el.classList.add("label-off");
    });
  }
  var placing = false;
  function schedulePlacing() {
    if (placing) { return; }
    placing = true;
    requestAnimationFrame(function () { placing = false; placeLabels(); });
  }
  map.on("zoomend moveend viewreset resize layeradd", schedulePlacing);
  cluster.on("animationend spiderfied unspiderfied", schedulePlacing);
  function unfocus() {
    if (focused && markers[focused]) {
      var pin = data.pins.filter(function (p) { return p.id === focused; })[0];
      markers[focused].setIcon(pinIcon(pin.colour, false));
      var el = markers[focused].getTooltip().getElement();
      if (el) { el.classList.remove("focused"); }
    }
    focused = null;
  }
  // A place alone on the map says nothing: open it centred, at a zoom that also shows its two
  // nearest neighbours (their names tell where it is), never closer than FOCUS_ZOOM.
  function focusZoom(pin) {
    var here = L.latLng(pin.lat, pin.lon);
    var near = data.pins.filter(function (p) { return p.id !== pin.id; })
      .map(function (p) { return L.latLng(p.lat, p.lon); })
      .sort(function (a, b) { return here.distanceTo(a) - here.distanceTo(b); }).slice(0, 2);
    var points = [here];
    near.forEach(function (p) { points.push(p, L.latLng(2 * here.lat - p.lat, 2 * here.lng - p.lng)); });
    var fit = points.length > 1 ? map.getBoundsZoom(L.latLngBounds(points).pad(0.2)) : data.focus_zoom;
    return Math.max(data.minzoom, Math.min(fit, data.focus_zoom, data.maxzoom));
  }
  window.kioskMap = {
    setDim: function (dim) {
      var root = document.documentElement;
      root.classList.toggle("night", dim > 0);
      root.style.setProperty("--night-brightness", String(1 - dim));
    },
    reset: function () {
      unfocus(); routeLayer.clearLayers();
      map.setView(data.home_center, data.home_zoom, {animate: false});
      schedulePlacing();
    },
    focusVenue: function (id, zoom) {
      unfocus(); routeLayer.clearLayers();
      var m = markers[id];
      if (!m) { return false; }
      focused = id;
      var pin = data.pins.filter(function (p) { return p.id === id; })[0];
      m.setIcon(pinIcon(pin.colour, true));
      m.getTooltip().options.className = "kiosk-label venue focused";
      var z = zoom || focusZoom(pin);
      map.setView(m.getLatLng(), z, {animate: false});
      while (cluster.getVisibleParent(m) !== m && z < data.maxzoom) {  // out of its cluster
        z += 1;
        map.setView(m.getLatLng(), z, {animate: false});
      }
      function shown() {
        var el = m.getTooltip().getElement();
        if (el) { el.classList.add("focused"); }
        schedulePlacing();
      }
      if (cluster.getVisibleParent(m) === m) {
        shown();
      } else {
        cluster.zoomToShowLayer(m, shown);  // still clustered at the deepest zoom: spread the cluster out
      }
      return true;
    },
    showRoute: function (id) {
      unfocus(); routeLayer.clearLayers();
      var route = data.routes.filter(function (r) { return r.id === id; })[0];
      if (!route || route.points.length === 0) { return false; }
      L.polyline(route.points, {color: route.colour, weight: 7, opacity: 0.9}).addTo(routeLayer);
      route.points.forEach(function (p, i) {
        L.marker(p, {icon: L.divIcon({className: "kiosk-stop", html: "<span>" + (i + 1) + "</span>",
          iconSize: [touch, touch], iconAnchor: [touch / 2, touch / 2]}), keyboard: false, zIndexOffset: 500})
          .on("click", function () { call("openVenue", route.stop_ids[i]); }).addTo(routeLayer);
      });
      map.fitBounds(L.latLngBounds(route.points).pad(0.25), {animate: false,
        maxZoom: Math.min(15, data.maxzoom)});
      schedulePlacing();
      return true;
    },
    map: map,  // for diagnostics and tests
    placeLabels: placeLabels,
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
    // Names a visitor can read now: [name, left, top, right, bottom] of each label shown.
    shownLabels: function () {
      var out = [];
      Object.keys(markers).forEach(function (k) {
        var el = markers[k].getTooltip().getElement();
        if (!markers[k]._icon || !el || !el.isConnected || getComputedStyle(el).visibility === "hidden") { return; }
        var r = el.getBoundingClientRect();
        out.push([el.textContent, r.left, r.top, r.right, r.bottom]);
      });
      return out;
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
        "minzoom": data.minzoom,
        "labels": data.labels,
        "legend": [{"name": e.name, "colour": safe_colour(e.colour)} for e in data.legend],
        "touch": max(MIN_TOUCH, data.touch),
        "focus_zoom": FOCUS_ZOOM,
    }
    script = MacroElement()
    script._template = Template("{% macro script(this, kwargs) %}" + _MAP_SCRIPT + "{% endmacro %}")
    script.data_json = script_json(payload)  # type: ignore[attr-defined]
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
