"""The demo pack's Gansu basemap fills the zooms between the world overview and the cities."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest
from PIL import Image

from content_sync.maps.basemap import Basemap
from content_sync.maps.mbtiles import MBTiles, lonlat_to_tile
from content_sync.maps.tiles import TileSource
from tests.support import DEMO_SOURCE

ROOT = Path(__file__).resolve().parents[3]
GANSU = DEMO_SOURCE / "maps" / "gansu.mbtiles"
RIVER = ROOT / "assets" / "maps-src" / "gansu" / "yellow_river_ne50m.geojson"
LANZHOU, TIANSHUI = (103.83, 36.06), (105.72, 34.58)


def demo_tiles() -> TileSource:
    """Every basemap of the demo pack, as the kiosk serves them."""
    maps = []
    for path in sorted((DEMO_SOURCE / "maps").glob("*.mbtiles")):
        with MBTiles(path) as mb:
            maps.append(Basemap(path.stem, path, mb.format, mb.minzoom, mb.maxzoom, mb.bounds))
    return TileSource(maps)


@pytest.mark.parametrize("z", [5, 6, 7, 8])
def test_lanzhou_to_tianshui_has_stored_tiles_at_every_in_between_zoom(z: int) -> None:
    source = demo_tiles()
    (x0, y0), (x1, y1) = (
        tuple(int(v) for v in lonlat_to_tile(*p, z)) for p in ((LANZHOU[0], LANZHOU[1]), (TIANSHUI[0], TIANSHUI[1]))
    )
    for x in range(min(x0, x1), max(x0, x1) + 1):
        for y in range(min(y0, y1), max(y0, y1) + 1):
            assert source.has_stored(z, x, y), f"no stored tile {z}/{x}/{y}: the map between the cities is enlarged"
    source.close()


def river_vertices() -> list[tuple[float, float]]:
    data = json.loads(RIVER.read_text("utf-8"))
    points = [tuple(c) for f in data["features"] for line in f["geometry"]["coordinates"] for c in line]
    return [(lon, lat) for lon, lat in points if 102.5 <= lon <= 106.5 and 35.0 <= lat <= 37.8]


@pytest.mark.parametrize("z", [6, 7, 8])
def test_the_yellow_river_is_drawn_along_its_course(z: int) -> None:
    """At each Natural Earth vertex near Lanzhou, the tile has river blue within 2 px (labels may cover a few)."""
    vertices = river_vertices()
    assert len(vertices) > 10
    with MBTiles(GANSU) as mb:
        background = None
        hits = 0
        for lon, lat in vertices:
            fx, fy = lonlat_to_tile(lon, lat, z)
            blob = mb.tile(z, int(fx), int(fy))
            assert blob is not None, f"no tile at {lon},{lat} z{z}"
            image = Image.open(io.BytesIO(blob)).convert("RGB")
            background = image.getpixel((0, 0)) if background is None else background
            px, py = int((fx % 1) * 256), int((fy % 1) * 256)
            near = [image.getpixel((min(255, max(0, px + dx)), min(255, max(0, py + dy))))
                    for dx in range(-2, 3) for dy in range(-2, 3)]  # fmt: skip
            if any(b > r + 30 and b > 180 for r, _g, b in near):  # water blue, not the grey-beige land
                hits += 1
        assert hits >= math.ceil(0.75 * len(vertices)), f"river drawn at {hits} of {len(vertices)} vertices"


def test_the_regional_map_is_light_and_says_where_its_labels_come_from() -> None:
    with MBTiles(GANSU) as mb:
        assert (mb.minzoom, mb.maxzoom) == (5, 8)
        w, s, e, n = mb.bounds
        assert w < LANZHOU[0] < e and s < TIANSHUI[1] < n and s < LANZHOU[1] < n
        assert "Natural Earth" in mb.attribution and "not at official seats" in mb.attribution
    assert GANSU.stat().st_size < 400_000


def _area(mb: MBTiles, lon: float, lat: float, z: int) -> tuple[Image.Image, float, float]:
    """The 3x3 tiles around a point, and the point's pixel on them."""
    fx, fy = lonlat_to_tile(lon, lat, z)
    x0, y0 = int(fx) - 1, int(fy) - 1
    canvas = Image.new("RGB", (768, 768), (255, 255, 255))
    for dx in range(3):
        for dy in range(3):
            blob = mb.tile(z, x0 + dx, y0 + dy)
            if blob is not None:
                canvas.paste(Image.open(io.BytesIO(blob)).convert("RGB"), (dx * 256, dy * 256))
    return canvas, (fx - x0) * 256, (fy - y0) * 256


def _ink(image: Image.Image, box: tuple[float, float, float, float], disc: bool = False) -> int:
    """Dark text pixels (not land, not river blue, not the light halo) in ``box``, or in the disc it bounds."""
    x0, y0, x1, y1 = (round(v) for v in box)
    cx, cy, r = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, (box[2] - box[0]) / 2
    return sum(
        1
        for x in range(max(0, x0), min(768, x1))
        for y in range(max(0, y0), min(768, y1))
        if (not disc or (x - cx) ** 2 + (y - cy) ** 2 <= r * r) and sum(image.getpixel((x, y))) < 300
    )


@pytest.mark.parametrize("z", [6, 7, 8])
def test_city_names_sit_under_where_the_map_draws_their_cluster(z: int) -> None:
    """The kiosk's map draws a 48 px cluster of a city's places about at their mean, which is where the
    city's name point is: a name drawn on the point was hidden under the cluster (天水 at zooms 7 and 8)."""
    places = json.loads((ROOT / "assets" / "maps-src" / "gansu" / "places.geojson").read_text("utf-8"))
    cities = [f for f in places["features"] if f["properties"]["class"] == "city"]
    assert {f["properties"]["name_zh"] for f in cities} == {"兰州", "天水"}
    with MBTiles(GANSU) as mb:
        for city in cities:
            image, px, py = _area(mb, *city["geometry"]["coordinates"], z)
            under_cluster = _ink(image, (px - 26, py - 26, px + 26, py + 26), disc=True)
            below = _ink(image, (px - 40, py + 26, px + 40, py + 70))
            name = city["properties"]["name_zh"]
            assert under_cluster == 0, f"{name} z{z}: {under_cluster} px of label under the cluster"
            assert below > 40, f"{name} z{z}: no name under the cluster"
