"""Render a clean raster basemap (PNG MBTiles) from a few GeoJSON layers and a YAML spec.

For operators who have no tiles: rivers, water, parks, roads, railways, boundaries and
bilingual place labels, drawn at ``supersample`` times the tile size and scaled down for
smooth lines. Labels are placed once per zoom over the whole area, so a label that spans
two tiles is drawn in both and joins up. Same spec and font give the same bytes.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageDraw, ImageFont

from .mbtiles import MAX_ZOOM, MBTilesError, MBTilesWriter, lonlat_to_tile, parse_zoom_range, tiles_in_bbox

TILE = 256
KINDS = ("urban", "park", "water", "river", "boundary", "railway", "road", "label")
# Drawn bottom to top; labels always last.
DRAW_ORDER = ("urban", "park", "water", "river", "boundary", "railway", "road")

PALETTE: dict[str, str] = {
    "background": "#f4f2ec",
    "urban": "#ebe6dc",
    "park": "#d5e8cb",
    "park_outline": "#bcd9ad",
    "water": "#a8d0ea",
    "water_outline": "#93c2e0",
    "boundary": "#9d8fb0",
    "railway": "#8e8e8e",
    "railway_dash": "#ffffff",
    "road_casing": "#c6bdae",
    "road": "#ffffff",
    "road_major_casing": "#d8b872",
    "road_major": "#fbe3a6",
    "text": "#26282b",
    "text_secondary": "#4f5357",
    "text_water": "#2c6790",
    "text_park": "#2f6a2a",
    "halo": "#ffffff",
    "station": "#3d4147",
}

# font size (px at 1x) for the Chinese line and the English line, and colour key, per label class
LABEL_STYLE: dict[str, tuple[int, int, str]] = {
    "city": (17, 12, "text"),
    "district": (13, 10, "text_secondary"),
    "town": (13, 10, "text"),
    "park": (12, 10, "text_park"),
    "water": (13, 10, "text_water"),
    "station": (12, 10, "text"),
    "landmark": (12, 10, "text"),
    "road": (11, 9, "text_secondary"),
}


@dataclass
class Feature:
    kind: str
    geom: str  # "point", "line" or "polygon"
    parts: list[list[tuple[float, float]]]  # Web Mercator, 0..1 world units
    props: dict[str, Any]
    minzoom: int
    maxzoom: int
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # world units, x0 y0 x1 y1


@dataclass
class Layer:
    kind: str
    features: list[Feature]
    style: dict[str, Any] = field(default_factory=dict)


def _merc(lon: float, lat: float) -> tuple[float, float]:
    x, y = lonlat_to_tile(lon, lat, 0)
    return x, y


def find_cjk_font(bold: bool = False) -> tuple[str, int]:
    """Path and face index of a Noto Sans CJK SC font, via fontconfig, else the Debian path."""
    pattern = "Noto Sans CJK SC:bold" if bold else "Noto Sans CJK SC"
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(
                ["fc-match", pattern, "--format=%{file}\n%{index}\n%{family}"],
                capture_output=True, text=True, timeout=10, check=True,
            ).stdout.split("\n")  # fmt: skip
            if len(out) >= 3 and "CJK" in out[2] and Path(out[0]).is_file():
                return out[0], int(out[1] or 0)
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    name = "NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc"
    path = Path("/usr/share/fonts/opentype/noto") / name
    if path.is_file():
        return str(path), 2  # face 2 of the Noto CJK collection is Simplified Chinese
    raise MBTilesError(
        "no Chinese-capable font found for map labels: install Noto Sans CJK (Debian: fonts-noto-cjk) "
        "or name one with 'font:' in the spec"
    )


@lru_cache(maxsize=64)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def _width_at(spec: Any, z: int, lat: float) -> float:
    """Line width in px at 1x for zoom ``z``: a number, a {zoom: px} table, or metres on the ground."""
    if isinstance(spec, int | float):
        return float(spec)
    if isinstance(spec, dict) and "m" in spec:
        mpp = 156543.03392 * math.cos(math.radians(lat)) / 2**z
        px = float(spec["m"]) / mpp
        return max(float(spec.get("min", 1.0)), min(float(spec.get("max", 400.0)), px))
    if isinstance(spec, dict) and spec:
        stops = sorted((int(k), float(v)) for k, v in spec.items())
        if z <= stops[0][0]:
            return stops[0][1]
        for (z0, w0), (z1, w1) in itertools.pairwise(stops):
            if z0 <= z <= z1:
                return w0 + (w1 - w0) * (z - z0) / (z1 - z0)
        return stops[-1][1]
    return 1.0


Point = tuple[float, float]


def _clip_polygon(ring: list[Point], x0: float, y0: float, x1: float, y1: float) -> list[Point]:
    """Sutherland–Hodgman against an axis-aligned rectangle."""

    def clip(points: list[tuple[float, float]], inside: Any, cross: Any) -> list[tuple[float, float]]:
        out: list[tuple[float, float]] = []
        for i, cur in enumerate(points):
            prev = points[i - 1]
            if inside(cur):
                if not inside(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cross(prev, cur))
        return out

    def at_x(x: float) -> Any:
        return lambda a, b: (x, a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0]))

    def at_y(y: float) -> Any:
        return lambda a, b: (a[0] + (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]), y)

    pts = ring
    for inside, cross in (
        (lambda p: p[0] >= x0, at_x(x0)),
        (lambda p: p[0] <= x1, at_x(x1)),
        (lambda p: p[1] >= y0, at_y(y0)),
        (lambda p: p[1] <= y1, at_y(y1)),
    ):
        if not pts:
            break
        pts = clip(pts, inside, cross)
    return pts


def _runs(line: list[Point], x0: float, y0: float, x1: float, y1: float) -> list[list[Point]]:
    """Pieces of a polyline whose segments touch the rectangle (keeps joins, drops far-away parts)."""
    runs: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(line):
        hit = not (max(a[0], b[0]) < x0 or min(a[0], b[0]) > x1 or max(a[1], b[1]) < y0 or min(a[1], b[1]) > y1)
        if hit:
            if not cur:
                cur.append(a)
            cur.append(b)
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs


def _dashes(line: list[tuple[float, float]], on: float, off: float) -> list[list[tuple[float, float]]]:
    """Split a polyline into dash pieces; the pattern starts at the line's first point so tiles agree."""
    out: list[list[tuple[float, float]]] = []
    period = on + off
    pos = 0.0
    cur: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(line):
        seg = math.hypot(b[0] - a[0], b[1] - a[1])
        t = 0.0
        while t < seg:
            phase = pos % period
            drawing = phase < on
            step = min(seg - t, (on - phase) if drawing else (period - phase))
            step = max(step, 1e-9)
            p0 = (a[0] + (b[0] - a[0]) * t / seg, a[1] + (b[1] - a[1]) * t / seg)
            t2 = t + step
            p1 = (a[0] + (b[0] - a[0]) * t2 / seg, a[1] + (b[1] - a[1]) * t2 / seg)
            if drawing:
                if not cur:
                    cur.append(p0)
                cur.append(p1)
            elif cur:
                out.append(cur)
                cur = []
            t, pos = t2, pos + step
    if cur:
        out.append(cur)
    return out


class Renderer:
    """Everything needed to draw any tile of one spec; cheap to call per tile."""

    def __init__(self, spec_path: Path) -> None:
        self.spec_path = Path(spec_path)
        try:
            spec = yaml.safe_load(self.spec_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MBTilesError(f"map spec {spec_path} not found") from None
        except yaml.YAMLError as exc:
            raise MBTilesError(f"map spec {self.spec_path.name} is not valid YAML: {exc}") from None
        if not isinstance(spec, dict):
            raise MBTilesError(f"map spec {self.spec_path.name} must be a mapping with areas and layers")
        self.spec = spec
        self.name = str(spec.get("name") or self.spec_path.stem)
        self.attribution = str(spec.get("attribution") or "")
        self.ss = int(spec.get("supersample", 2))
        if self.ss not in (1, 2, 3, 4):
            raise MBTilesError("supersample must be 1, 2, 3 or 4")
        self.colors = 0 if spec.get("colors") in (None, 0) else int(spec["colors"])
        self.palette = {**PALETTE, **{str(k): str(v) for k, v in (spec.get("palette") or {}).items()}}
        self.areas = self._areas(spec.get("areas"))
        font = spec.get("font")
        if font:
            self.font, self.font_index = str(font), int(spec.get("font_index", 0))
        else:
            self.font, self.font_index = find_cjk_font()
        self.bold_font, self.bold_index = (self.font, self.font_index) if font else find_cjk_font(bold=True)
        self.layers = [self._layer(i, entry) for i, entry in enumerate(spec.get("layers") or [])]
        if not self.layers:
            raise MBTilesError(f"map spec {self.spec_path.name} has no layers")
        self._labels: dict[int, list[tuple[tuple[float, float, float, float], Feature, dict[str, Any]]]] = {}

    # -- spec --------------------------------------------------------------------------------
    def _areas(self, value: Any) -> list[tuple[tuple[float, float, float, float], int, int]]:
        if not isinstance(value, list) or not value:
            raise MBTilesError(f"map spec {self.spec_path.name} needs 'areas': a list of {{bbox, zoom}}")
        out = []
        for i, area in enumerate(value):
            try:
                w, s, e, n = (float(v) for v in area["bbox"])
                zmin, zmax = parse_zoom_range(str(area["zoom"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise MBTilesError(f"areas[{i}] needs bbox: [W, S, E, N] and zoom: MIN-MAX ({exc})") from None
            if not (-180 <= w < e <= 180 and -85 <= s < n <= 85):
                raise MBTilesError(f"areas[{i}] bbox must be W, S, E, N with west < east and south < north")
            out.append(((w, s, e, n), zmin, zmax))
        return out

    def _layer(self, i: int, entry: Any) -> Layer:
        if not isinstance(entry, dict) or entry.get("kind") not in KINDS:
            raise MBTilesError(f"layers[{i}] needs kind: one of {', '.join(KINDS)}")
        kind = entry["kind"]
        path = (self.spec_path.parent / str(entry.get("file", ""))).resolve()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MBTilesError(f"layers[{i}]: GeoJSON file {entry.get('file')!r} not found") from None
        except ValueError as exc:
            raise MBTilesError(f"layers[{i}]: {path.name} is not valid JSON ({exc})") from None
        lmin, lmax = int(entry.get("minzoom", 0)), int(entry.get("maxzoom", MAX_ZOOM))
        feats = []
        for f in data.get("features", []) if isinstance(data, dict) else []:
            geom = (f or {}).get("geometry") or {}
            props = (f or {}).get("properties") or {}
            gtype, coords = geom.get("type"), geom.get("coordinates") or []
            parts: list[list[tuple[float, float]]]
            try:
                if gtype == "Point":
                    kind_g, parts = "point", [[_merc(*coords[:2])]]
                elif gtype == "LineString":
                    kind_g, parts = "line", [[_merc(*p[:2]) for p in coords]]
                elif gtype == "MultiLineString":
                    kind_g, parts = "line", [[_merc(*p[:2]) for p in line] for line in coords]
                elif gtype == "Polygon":
                    kind_g, parts = "polygon", [[_merc(*p[:2]) for p in coords[0]]]
                elif gtype == "MultiPolygon":
                    kind_g, parts = "polygon", [[_merc(*p[:2]) for p in poly[0]] for poly in coords]
                else:
                    continue
            except (TypeError, ValueError, IndexError):
                raise MBTilesError(f"layers[{i}]: {path.name} has a malformed {gtype} geometry") from None
            xs = [p[0] for part in parts for p in part]
            ys = [p[1] for part in parts for p in part]
            feats.append(
                Feature(
                    kind, kind_g, parts, props,
                    max(lmin, int(props.get("minzoom", 0))), min(lmax, int(props.get("maxzoom", MAX_ZOOM))),
                    (min(xs), min(ys), max(xs), max(ys)),
                )
            )  # fmt: skip
        style = {k: v for k, v in entry.items() if k not in ("file", "kind", "minzoom", "maxzoom")}
        return Layer(kind, feats, style)

    def tiles(self) -> list[tuple[int, int, int]]:
        """Every (z, x, y) the areas ask for, sorted: the output order is part of determinism."""
        out: set[tuple[int, int, int]] = set()
        for bbox, zmin, zmax in self.areas:
            for z in range(zmin, zmax + 1):
                x0, y0, x1, y1 = tiles_in_bbox(bbox, z)
                out.update((z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
        return sorted(out)

    def bounds(self) -> tuple[float, float, float, float]:
        return (
            min(a[0][0] for a in self.areas), min(a[0][1] for a in self.areas),
            max(a[0][2] for a in self.areas), max(a[0][3] for a in self.areas),
        )  # fmt: skip

    # -- labels ------------------------------------------------------------------------------
    def _label_lines(self, f: Feature) -> list[tuple[str, ImageFont.FreeTypeFont, str]]:
        cls = str(f.props.get("class", "landmark"))
        zh_size, en_size, color = LABEL_STYLE.get(cls, LABEL_STYLE["landmark"])
        ss = self.ss
        lines = []
        zh, en = str(f.props.get("name_zh") or ""), str(f.props.get("name_en") or "")
        bold = cls in ("city", "town")
        if zh:
            path, idx = (self.bold_font, self.bold_index) if bold else (self.font, self.font_index)
            lines.append((zh, _font(path, idx, zh_size * ss), self.palette[color]))
        if en:
            lines.append((en, _font(self.font, self.font_index, en_size * ss), self.palette[color]))
        return lines

    def _placed_labels(self, z: int) -> list[tuple[tuple[float, float, float, float], Feature, dict[str, Any]]]:
        """Labels placed for zoom ``z`` in world pixels (1x), most important first, none overlapping."""
        if z in self._labels:
            return self._labels[z]
        scale = TILE * 2**z
        candidates = [
            f for layer in self.layers if layer.kind == "label" for f in layer.features
            if f.geom == "point" and f.minzoom <= z <= f.maxzoom
        ]  # fmt: skip
        candidates.sort(key=lambda f: (int(f.props.get("rank", 5)), str(f.props.get("name_en", ""))))
        placed: list[tuple[tuple[float, float, float, float], Feature, dict[str, Any]]] = []
        boxes: list[tuple[float, float, float, float]] = []
        for f in candidates:
            lines = self._label_lines(f)
            if not lines:
                continue
            px, py = f.parts[0][0][0] * scale, f.parts[0][0][1] * scale
            widths = [font.getlength(text) / self.ss for text, font, _ in lines]
            heights = [font.size / self.ss * 1.2 for _, font, _ in lines]
            w, h = max(widths), sum(heights)
            cls = str(f.props.get("class", "landmark"))
            icon = cls == "station"
            # Stations and towns carry a dot; their label sits to the right. ``anchor: below`` puts
            # it ``gap`` px under the point (where the kiosk's map draws a cluster of the places
            # there, the name stays readable). Others centre on the point.
            if icon or cls == "town":
                x0, y0 = px + 7, py - h / 2
            elif f.props.get("anchor") == "below":
                x0, y0 = px - w / 2, py + float(f.props.get("gap", 28))
            else:
                x0, y0 = px - w / 2, py - h / 2
            box = (x0 - 3, y0 - 2, x0 + w + 3, y0 + h + 2)
            if icon or cls == "town":
                box = (px - 5, box[1], box[2], box[3])
            if any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3]) for b in boxes):
                continue
            boxes.append(box)
            placed.append((box, f, {"x0": x0, "y0": y0, "w": w, "heights": heights, "px": px, "py": py}))
        self._labels[z] = placed
        return placed

    # -- drawing -----------------------------------------------------------------------------
    def render(self, z: int, x: int, y: int) -> bytes:
        """One tile as PNG bytes."""
        ss = self.ss
        size = TILE * ss
        img = Image.new("RGB", (size, size), self.palette["background"])
        draw = ImageDraw.Draw(img)
        scale = TILE * 2**z
        ox, oy = x * TILE, y * TILE  # tile origin in world pixels at 1x
        lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / 2**z))))
        margin = 64.0 / scale  # world units: wide lines and casings that start off-tile
        wx0, wy0 = x / 2**z - margin, y / 2**z - margin
        wx1, wy1 = (x + 1) / 2**z + margin, (y + 1) / 2**z + margin

        def to_px(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
            return [((p[0] * scale - ox) * ss, (p[1] * scale - oy) * ss) for p in points]

        def visible(f: Feature) -> bool:
            b = f.bbox
            return f.minzoom <= z <= f.maxzoom and not (b[2] < wx0 or b[0] > wx1 or b[3] < wy0 or b[1] > wy1)

        for kind in DRAW_ORDER:
            layers = [layer for layer in self.layers if layer.kind == kind]
            if kind == "road":
                # Casings of every road first, then fills, so crossings look joined.
                feats = [(layer, f) for layer in layers for f in layer.features if visible(f) and f.geom == "line"]
                feats.sort(key=lambda lf: 1 if lf[1].props.get("class") == "major" else 0)
                for casing in (True, False):
                    for layer, f in feats:
                        self._draw_road(draw, f, layer.style, z, lat, casing, to_px, (wx0, wy0, wx1, wy1))
                continue
            for layer in layers:
                for f in layer.features:
                    if visible(f):
                        self._draw_feature(draw, f, layer.style, z, lat, to_px, (wx0, wy0, wx1, wy1))
        self._draw_labels(draw, z, ox, oy)
        if ss > 1:
            img = img.resize((TILE, TILE), Image.Resampling.LANCZOS)
        if self.colors:
            img = img.quantize(self.colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True)
        return buf.getvalue()

    def _line(self, draw: ImageDraw.ImageDraw, pts: list[tuple[float, float]], color: str, width: float) -> None:
        w = max(1, round(width))
        if len(pts) < 2:
            return
        draw.line(pts, fill=color, width=w, joint="curve")
        if w >= 3:  # round caps
            r = w / 2
            for px, py in (pts[0], pts[-1]):
                draw.ellipse((px - r, py - r, px + r, py + r), fill=color)

    def _draw_feature(
        self, draw: ImageDraw.ImageDraw, f: Feature, style: dict[str, Any], z: int, lat: float,
        to_px: Any, rect: tuple[float, float, float, float],
    ) -> None:  # fmt: skip
        ss, pal = self.ss, self.palette
        if f.geom == "polygon":
            fill = {"park": pal["park"], "urban": pal["urban"]}.get(f.kind, pal["water"])
            outline = {"park": pal["park_outline"], "urban": None}.get(f.kind, pal["water_outline"])
            for ring in f.parts:
                clipped = _clip_polygon(ring, *rect)
                if len(clipped) >= 3:
                    pts = to_px(clipped)
                    draw.polygon(pts, fill=fill)
                    if outline:
                        draw.line([*pts, pts[0]], fill=outline, width=max(1, ss), joint="curve")
            return
        if f.geom != "line":
            return
        width = _width_at(f.props.get("width", style.get("width", 1.5)), z, lat) * ss
        for part in f.parts:
            for run in _runs(part, *rect):
                pts = to_px(run)
                if f.kind in ("river", "water"):
                    self._line(draw, pts, pal["water"], width)
                elif f.kind == "railway":
                    self._line(draw, pts, pal["railway"], width)
                    if width >= 3 * ss:
                        dash = 6.0 * ss
                        for d in _dashes(to_px(part), dash, dash):
                            self._clip_draw(draw, d, pal["railway_dash"], width / 2.5)
                elif f.kind == "boundary":
                    for d in _dashes(to_px(part), 7.0 * ss, 4.0 * ss):
                        self._clip_draw(draw, d, pal["boundary"], width)

    def _clip_draw(self, draw: ImageDraw.ImageDraw, pts: list[tuple[float, float]], color: str, width: float) -> None:
        size = TILE * self.ss
        if all(p[0] < -64 or p[0] > size + 64 or p[1] < -64 or p[1] > size + 64 for p in pts):
            return
        draw.line(pts, fill=color, width=max(1, round(width)))

    def _draw_road(
        self, draw: ImageDraw.ImageDraw, f: Feature, style: dict[str, Any], z: int, lat: float, casing: bool,
        to_px: Any, rect: tuple[float, float, float, float],
    ) -> None:  # fmt: skip
        major = f.props.get("class") == "major"
        default = {9: 1.2, 12: 2.5, 15: 7} if major else {9: 0.6, 12: 1.5, 15: 5}
        width = _width_at(f.props.get("width", style.get("width_major" if major else "width", default)), z, lat)
        ss = self.ss
        pal = self.palette
        if casing:
            color = pal["road_major_casing"] if major else pal["road_casing"]
            width = width + (1.6 if width >= 2 else 0.0)
            if width < 2:
                color = pal["road_major_casing"] if major else pal["road_casing"]
        else:
            if width < 2:
                return  # thin roads are drawn as their casing colour only
            color = pal["road_major"] if major else pal["road"]
        for part in f.parts:
            for run in _runs(part, *rect):
                self._line(draw, to_px(run), color, width * ss)

    def _draw_labels(self, draw: ImageDraw.ImageDraw, z: int, ox: float, oy: float) -> None:
        ss, pal = self.ss, self.palette
        for box, f, at in self._placed_labels(z):
            if box[2] < ox or box[0] > ox + TILE or box[3] < oy or box[1] > oy + TILE:
                continue
            cls = str(f.props.get("class", "landmark"))
            if cls in ("station", "town"):
                cx, cy, r = (at["px"] - ox) * ss, (at["py"] - oy) * ss, 3.5 * ss
                fill = pal["station"] if cls == "station" else pal["text_secondary"]
                draw.ellipse((cx - r - ss, cy - r - ss, cx + r + ss, cy + r + ss), fill=pal["halo"])
                if cls == "station":
                    draw.rectangle((cx - r, cy - r, cx + r, cy + r), fill=fill)
                    draw.rectangle((cx - r / 2.5, cy - r / 2.5, cx + r / 2.5, cy + r / 2.5), fill=pal["halo"])
                else:
                    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
            ty = at["y0"]
            for (text, font, color), h in zip(self._label_lines(f), at["heights"], strict=True):
                tw = font.getlength(text) / ss
                tx = at["x0"] + (at["w"] - tw) / 2 if cls not in ("station", "town") else at["x0"]
                draw.text(
                    ((tx - ox) * ss, (ty - oy) * ss + h * ss * 0.1), text, font=font, fill=color,
                    stroke_width=max(1, round(1.6 * ss)), stroke_fill=pal["halo"],
                )  # fmt: skip
                ty += h


_WORKER: Renderer | None = None


def _worker_init(spec_path: str) -> None:
    global _WORKER
    _WORKER = Renderer(Path(spec_path))


def _worker_render(tile: tuple[int, int, int]) -> bytes:
    assert _WORKER is not None
    return _WORKER.render(*tile)


def render_spec(spec_path: Path | str, output: Path | str, *, jobs: int = 1) -> dict[str, Any]:
    """Render every tile of the spec into a clean MBTiles at ``output`` (temp file, then rename)."""
    renderer = Renderer(Path(spec_path))
    tiles = renderer.tiles()
    if len(tiles) > 200_000:
        raise MBTilesError(f"the spec asks for {len(tiles)} tiles; split it or lower the zoom range")
    meta = {
        "name": renderer.name,
        "description": str(renderer.spec.get("description") or renderer.name),
        "attribution": renderer.attribution,
        "version": str(renderer.spec.get("version", "1")),
        "type": "baselayer",
    }
    if renderer.spec.get("center"):
        meta["center"] = ",".join(str(v) for v in renderer.spec["center"])
    with MBTilesWriter(output, "png") as out:
        if jobs > 1 and len(tiles) > 50:
            with ProcessPoolExecutor(min(jobs, os.cpu_count() or 1), initializer=_worker_init,
                                     initargs=(str(spec_path),)) as pool:  # fmt: skip
                for tile, png in zip(tiles, pool.map(_worker_render, tiles, chunksize=16), strict=True):
                    out.add(*tile, png)
        else:
            for tile in tiles:
                out.add(*tile, renderer.render(*tile))
        return out.commit(meta, renderer.bounds())
