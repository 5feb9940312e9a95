"""One seamless tile source over every basemap a pack installed.

A pack may hold a detailed city map (zoom 9-15), a second city and a world overview
(zoom 0-4). The map asks for ``{z}/{x}/{y}``; the most detailed basemap that has that tile
answers, so zooming out from the city centre falls through to the overview on its own.
Where no basemap has a tile (the edge of a city's detailed area, the zooms between the
world and the city), the nearest ancestor tile is enlarged instead of leaving a grey hole.
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

from .basemap import Basemap
from .mbtiles import MBTiles, MBTilesError, tile_bounds

log = logging.getLogger(__name__)

MAX_OVERZOOM = 6  # a 256 px tile enlarged at most 64 times (a 4 px piece of its ancestor)
ENLARGED_CACHE = 64


@dataclass(frozen=True)
class TileRange:
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float]  # W, S, E, N over every basemap
    attribution: str


class TileSource:
    """Thread-safe reads of ``(z, x, y)`` across basemaps; opened lazily, closed explicitly."""

    def __init__(self, basemaps: list[Basemap]) -> None:
        self.basemaps = sorted(basemaps, key=lambda b: (-b.maxzoom, b.id))
        self._open: dict[str, MBTiles | None] = {}
        self._lock = threading.Lock()
        self._enlarged: OrderedDict[tuple[int, int, int], tuple[bytes, str]] = OrderedDict()
        self.served = 0
        self.enlarged = 0
        self.missing = 0

    def _file(self, basemap: Basemap) -> MBTiles | None:
        with self._lock:
            if basemap.id not in self._open:
                try:
                    self._open[basemap.id] = basemap.open()
                except MBTilesError as exc:
                    log.error("basemap %s cannot be read: %s", basemap.id, exc)
                    self._open[basemap.id] = None
            return self._open[basemap.id]

    @property
    def empty(self) -> bool:
        return not self.basemaps

    def range(self) -> TileRange | None:
        """Zoom range and extent of all basemaps together, or ``None`` when there are none."""
        if not self.basemaps:
            return None
        w = min(b.bounds[0] for b in self.basemaps)
        s = min(b.bounds[1] for b in self.basemaps)
        e = max(b.bounds[2] for b in self.basemaps)
        n = max(b.bounds[3] for b in self.basemaps)
        notes = []
        for basemap in self.basemaps:
            mb = self._file(basemap)
            if mb is not None and mb.attribution and mb.attribution not in notes:
                notes.append(mb.attribution)
        zmin, zmax = min(b.minzoom for b in self.basemaps), max(b.maxzoom for b in self.basemaps)
        return TileRange(zmin, zmax, (w, s, e, n), " · ".join(notes))

    def tile(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        """Image bytes and MIME type for XYZ (z, x, y): a stored tile, or an enlarged ancestor."""
        if not (0 <= z <= 30 and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
            self.missing += 1
            return None
        found = self._stored(z, x, y)
        if found is not None:
            self.served += 1
            return found
        with self._lock:
            cached = self._enlarged.get((z, x, y))
            if cached is not None:
                self._enlarged.move_to_end((z, x, y))
                return cached
        for up in range(1, min(MAX_OVERZOOM, z) + 1):
            parent = self._stored(z - up, x >> up, y >> up)
            if parent is None:
                continue
            image = _enlarge(parent[0], up, x - ((x >> up) << up), y - ((y >> up) << up))
            if image is None:
                break
            result = (image, "image/png")
            with self._lock:
                self._enlarged[(z, x, y)] = result
                while len(self._enlarged) > ENLARGED_CACHE:
                    self._enlarged.popitem(last=False)
            self.enlarged += 1
            return result
        self.missing += 1
        return None

    def has_stored(self, z: int, x: int, y: int) -> bool:
        """Whether a basemap holds this very tile (not an enlargement)."""
        return 0 <= z <= 30 and 0 <= x < (1 << z) and 0 <= y < (1 << z) and self._stored(z, x, y) is not None

    def _stored(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        west, south, east, north = tile_bounds(x, y, z)
        for basemap in self.basemaps:
            if not basemap.minzoom <= z <= basemap.maxzoom:
                continue
            bw, bs, be, bn = basemap.bounds
            if east < bw or west > be or north < bs or south > bn:
                continue
            mb = self._file(basemap)
            if mb is None:
                continue
            try:
                blob = mb.tile(z, x, y)
            except Exception as exc:  # a damaged file must cost one tile, never the map
                log.warning("basemap %s: tile %s/%s/%s unreadable: %s", basemap.id, z, x, y, exc)
                continue
            if blob is not None:
                return blob, mb.mime
        return None

    def close(self) -> None:
        with self._lock:
            for mb in self._open.values():
                if mb is not None:
                    mb.close()
            self._open.clear()


def _enlarge(blob: bytes, up: int, dx: int, dy: int) -> bytes | None:
    """The (dx, dy) piece of a tile ``up`` zoom levels above, scaled back to a whole tile."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(blob)) as source:
            size = source.width
            piece = size >> up
            if piece < 1 or source.width != source.height:
                return None
            box = (dx * piece, dy * piece, (dx + 1) * piece, (dy + 1) * piece)
            image = source.convert("RGBA").crop(box).resize((size, size), Image.Resampling.BICUBIC)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        log.warning("cannot enlarge a tile: %s", exc)
        return None
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()
