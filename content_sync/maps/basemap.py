"""An installed basemap as the content store describes it (cheap: MBTiles opens on demand)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .mbtiles import MBTiles


@dataclass(frozen=True)
class Basemap:
    """An installed raster MBTiles basemap; open it with :meth:`open` to serve tiles."""

    id: str
    path: Path
    format: str
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float]  # W, S, E, N

    def covers(self, lon: float, lat: float) -> bool:
        w, s, e, n = self.bounds
        return w <= lon <= e and s <= lat <= n

    def open(self) -> MBTiles:
        """Read-only and immutable: installed files are never written, so SQLite skips locking."""
        from .mbtiles import MBTiles

        return MBTiles(self.path, immutable=True)
