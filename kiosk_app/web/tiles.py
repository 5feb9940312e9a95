"""One seamless tile source over every basemap a pack installed.

A pack may hold a detailed city map (zoom 9-15), a second city and a world overview
(zoom 0-4). The map asks for ``{z}/{x}/{y}``; the most detailed basemap that has that tile
answers, so zooming out from the city centre falls through to the overview on its own.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from content_sync.mbtiles import MBTiles, MBTilesError, tile_bounds
from content_sync.store import Basemap

log = logging.getLogger(__name__)


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
        self.served = 0
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
        """Image bytes and MIME type of the most detailed basemap holding this tile."""
        west, south, east, north = tile_bounds(x, y, z) if 0 <= z <= 30 else (0.0, 0.0, 0.0, 0.0)
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
                self.served += 1
                return blob, mb.mime
        self.missing += 1
        return None

    def close(self) -> None:
        with self._lock:
            for mb in self._open.values():
                if mb is not None:
                    mb.close()
            self._open.clear()
