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
