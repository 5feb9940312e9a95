"""A small still map for a venue or route page: drawn from the same tiles, no web engine.

A visitor reading about a place sees where it is at a glance; a tap opens the full map on
it. The picture is composed from the basemap tiles in a worker thread (QImage and QPainter
work off the GUI thread), so the page appears at once and the map fills in.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QShowEvent
from PySide6.QtWidgets import QWidget

from content_sync.maps.mbtiles import lonlat_to_tile

if TYPE_CHECKING:
    from content_sync.maps.tiles import TileSource

    from ..context import AppContext

TILE = 256
MAX_ZOOM = 16
FALLBACK_BACKGROUND = "#E8ECEF"


def best_zoom(tiles: TileSource, points: Sequence[tuple[float, float]], size: QSize) -> int | None:
    """Most detailed zoom at which every point fits and the middle has a real (stored) tile."""
    if not points or tiles.empty:
        return None
    extent = tiles.range()
    assert extent is not None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    centre = ((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2)
    for z in range(min(MAX_ZOOM, extent.maxzoom), extent.minzoom - 1, -1):
        x0, y0 = lonlat_to_tile(min(lons), max(lats), z)
        x1, y1 = lonlat_to_tile(max(lons), min(lats), z)
        fits = (x1 - x0) * TILE <= size.width() * 0.8 and (y1 - y0) * TILE <= size.height() * 0.8
        cx, cy = lonlat_to_tile(centre[1], centre[0], z)
        if fits and tiles.has_stored(z, int(cx), int(cy)):
            return z
    return None


def _background(tiles: Sequence[QImage]) -> QColor:
    """The commonest colour of the stored tiles (sampled): the basemap's bare land."""
    counts: Counter[int] = Counter()
    for tile in tiles:
        for y in range(4, tile.height(), 16):
            for x in range(4, tile.width(), 16):
                counts[tile.pixel(x, y)] += 1
    return QColor.fromRgb(counts.most_common(1)[0][0]) if counts else QColor(FALLBACK_BACKGROUND)


def render_still_map(
    tiles: TileSource,
    points: Sequence[tuple[float, float]],
    size: QSize,
    *,
    colour: str = "#5A6B7B",
    path: bool = False,
    here: tuple[float, float] | None = None,
) -> QImage | None:
    """The basemap around ``points`` (lat, lon) with pins (or a numbered path) drawn on it."""
    zoom = best_zoom(tiles, points, size)
    if zoom is None:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    cx, cy = lonlat_to_tile((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2, zoom)
    left, top = cx * TILE - size.width() / 2, cy * TILE - size.height() / 2
    image = QImage(size, QImage.Format.Format_RGB32)
    n = 1 << zoom
    # Only tiles stored at this very zoom: where the detailed map ends, an enlarged tile of a
    # coarser map (another style, another grey) made a strip down the picture's side. There the
    # picture shows the detailed map's own background colour instead: plain land, no seam.
    stored: list[tuple[QPointF, QImage]] = []
    for ty in range(math.floor(top / TILE), math.floor((top + size.height()) / TILE) + 1):
        for tx in range(math.floor(left / TILE), math.floor((left + size.width()) / TILE) + 1):
            if 0 <= ty < n and tiles.has_stored(zoom, tx % n, ty):
                found = tiles.tile(zoom, tx % n, ty)
                if found is not None:
                    stored.append((QPointF(tx * TILE - left, ty * TILE - top), QImage.fromData(found[0])))
    image.fill(_background([tile for _, tile in stored]))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for spot, tile in stored:
        painter.drawImage(spot, tile)

    def at(lat: float, lon: float) -> QPointF:
        x, y = lonlat_to_tile(lon, lat, zoom)
        return QPointF(x * TILE - left, y * TILE - top)

    spots = [at(lat, lon) for lat, lon in points]
    if path and len(spots) > 1:
        painter.setPen(QPen(QColor(colour), 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        for a, b in itertools.pairwise(spots):
            painter.drawLine(a, b)
    if here is not None:
        spot = at(*here)
        if image.rect().contains(spot.toPoint()):
            painter.setPen(QPen(QColor("white"), 4))
            painter.setBrush(QColor("#1565C0"))
            painter.drawEllipse(spot, 11, 11)
    font = painter.font()
    font.setBold(True)
    font.setPixelSize(16)
    painter.setFont(font)
    for number, spot in enumerate(spots, start=1):
        painter.setPen(QPen(QColor("white"), 4))
        painter.setBrush(QColor(colour))
        painter.drawEllipse(spot, 15, 15)
        if path:
            painter.setPen(QColor("white"))
            painter.drawText(QRectF(spot.x() - 15, spot.y() - 15, 30, 30), Qt.AlignmentFlag.AlignCenter, str(number))
    painter.end()
    return image


class StillMap(QWidget):
    """Shows the composed map once it is ready; a tap (release) opens the full map."""

    def __init__(self, ctx: AppContext, points: Sequence[tuple[float, float]], size: QSize,
                 on_tap: Callable[[], None], *, colour: str = "#5A6B7B", path: bool = False,
                 caption: str = "") -> None:  # fmt: skip
        super().__init__()
        self.setObjectName("still-map")
        self.setFixedSize(size)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.on_tap = on_tap
        self.caption = caption
        self.image: QImage | None = None
        self.ready = False
        palette = ctx.palette
        self.fill = QColor(palette.placeholder)
        self.dim = palette.picture_dim  # at night drawn darker, like the page's pictures
        tiles = ctx.map.tiles()
        here = ctx.config.location
        self._draw: Callable[[], None] | None = lambda: ctx.tasks.run(
            lambda: render_still_map(tiles, list(points), size, colour=colour, path=path, here=here),
            self._ready,
            lambda _exc: self._ready(None),
            owner=self,
        )

    def showEvent(self, event: QShowEvent) -> None:
        """Drawn when first shown: pages built ahead of a tap cost no tiles and no memory."""
        if self._draw is not None:
            draw, self._draw = self._draw, None
            draw()
        super().showEvent(event)

    def _ready(self, image: QImage | None) -> None:
        self.image = image
        self.ready = True
        self.setVisible(image is not None)  # no basemap here: no empty box
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self.image is None:
            painter.fillRect(self.rect(), self.fill)
            return
        painter.drawImage(0, 0, self.image)
        if self.dim:
            painter.fillRect(self.rect(), QColor(0, 0, 0, round(255 * self.dim)))
        if self.caption:
            band = QRectF(0, self.height() - 44, self.width(), 44)
            painter.fillRect(band, QColor(0, 0, 0, 150))
            painter.setPen(QColor("white"))
            font = painter.font()
            font.setPixelSize(20)
            painter.setFont(font)
            painter.drawText(band.adjusted(16, 0, -16, 0), Qt.AlignmentFlag.AlignVCenter, self.caption)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            event.accept()
            self.on_tap()
            return
        super().mouseReleaseEvent(event)
