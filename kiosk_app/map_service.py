"""The kiosk's handle on its web map, cheap to create: QtWebEngine is imported on first use.

The kiosk builds one ``MapService`` with everything else; nothing web-related is imported
until ``warm_up`` (after the home screen is painted) or the first visit to the map.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

if TYPE_CHECKING:
    from content_sync.maps.tiles import TileSource

    from .background import BackgroundTasks
    from .config import KioskConfig
    from .content import ContentHolder
    from .session import Session
    from .web.surface import MapSurface

log = logging.getLogger(__name__)


class MapService:
    """``open_venue`` is called with the id of a pin the visitor tapped (a known venue only)."""

    def __init__(
        self,
        content: ContentHolder,
        session: Session,
        config: KioskConfig,
        tasks: BackgroundTasks,
        open_venue: Callable[[str], None],
    ) -> None:
        self.content, self.session, self.config, self.tasks = content, session, config, tasks
        self.open_venue = open_venue
        self._surface: MapSurface | None = None
        self._tiles: TileSource | None = None
        self._tiles_version: object = None

    @property
    def started(self) -> bool:
        return self._surface is not None

    def has_basemap(self) -> bool:
        """Whether the installed content can show a map at all (no web engine needed to know)."""
        try:
            return bool(self.content.store.basemaps())
        except Exception:
            log.exception("cannot list basemaps")
            return False

    def tiles(self) -> TileSource:
        """Tiles of the content in use (the web map and the small static maps share them)."""
        version = self.content.store.content_version
        if self._tiles is None or self._tiles_version != version:
            from content_sync.maps.tiles import TileSource

            if self._tiles is not None:
                self._tiles.close()
            self._tiles = TileSource(self.content.store.basemaps())
            self._tiles_version = version
        return self._tiles

    def surface(self) -> MapSurface:
        if self._surface is None:
            from .web.surface import MapSurface

            self._surface = MapSurface(self.content, self.session, self.config, self.tasks, self.tiles)
            self._surface.venue_tapped.connect(self._open_venue)
        return self._surface

    def _open_venue(self, venue_id: str) -> None:
        if self.content.store.venue(venue_id) is not None:
            self.open_venue(venue_id)
        else:
            log.warning("map asked for unknown venue %r", venue_id[:80])

    def warm_up(self) -> None:
        """After the first paint: start the engine in idle time so the map opens at once."""
        if self.has_basemap():
            self.surface().warm_up()

    def reset(self) -> None:
        """Idle reset: the visitor's web profile goes with them.

        Queued, so it runs after the reset has re-rendered and left the map page; doing it
        at once would let the page's refresh borrow a fresh view before the start screen shows.
        """
        if self._surface is not None:
            QTimer.singleShot(0, self._surface, self._surface.discard)

    def close(self) -> None:
        if self._surface is not None:
            self._surface.close()
            self._surface = None
        if self._tiles is not None:
            self._tiles.close()
            self._tiles = None
