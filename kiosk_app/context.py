"""What screens need, handed to each one explicitly (no global state anywhere)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize

from content_sync.device.layout import DataDir
from content_sync.store.content_store import ContentStore

from .background import BackgroundTasks
from .config import KioskConfig
from .images import ImageCache
from .session import Session
from .strings import Translator
from .theme import HIGH_CONTRAST, LANDSCAPE, LAYOUTS, NORMAL, Metrics, Palette

if TYPE_CHECKING:
    from .map_service import MapService
    from .narration import NarrationPlayer
    from .navigator import Navigator
    from .runtime.crash import NativeCrash
    from .widgets.qr import QrCodes


class ContentHolder:
    """The content version screens read; swapped for a newer one only between visitors."""

    def __init__(self, data: DataDir, opener: Callable[[DataDir], ContentStore] = ContentStore.open) -> None:
        self.data = data
        self.opener = opener
        self.store = opener(data)
        self.listeners: list[Callable[[], None]] = []
        self._categories: dict[str, dict[str, str]] | None = None
        self._themes: list[dict] | None = None

    @property
    def category_names(self) -> dict[str, dict[str, str]]:
        """Category id -> multilingual name, read once per content version."""
        if self._categories is None:
            self._categories = {c["id"]: c["name"] for c in self.store.categories()}
        return self._categories

    @property
    def themes(self) -> list[dict]:
        if self._themes is None:
            self._themes = self.store.themes()
        return self._themes

    def theme_colour(self, themes: Sequence[str]) -> str | None:
        """The colour of an item's first theme: how maps mark a place or a route."""
        first = themes[0] if themes else None
        return next((t["color"] for t in self.themes if t["id"] == first), None)

    def reload_if_newer(self) -> bool:
        if not self.store.is_stale():
            return False
        fresh = self.opener(self.data)
        old, self.store = self.store, fresh
        old.close()
        self._categories = self._themes = None
        for listener in list(self.listeners):
            listener()
        return True


@dataclass
class AppContext:
    config: KioskConfig
    session: Session
    content: ContentHolder
    tasks: BackgroundTasks
    images: ImageCache
    clock: Callable[[], dt.datetime]
    layout: str = LANDSCAPE
    screen_size: QSize = field(default_factory=lambda: QSize(LAYOUTS[LANDSCAPE]))
    nav: Navigator | None = None
    weather: Callable[[], dict | None] = field(default=lambda: None)
    map: MapService | None = None  # the kiosk's web map, started after home is painted
    narration: NarrationPlayer | None = None  # the kiosk's one narration player (kiosk_app.narration)
    native_crash: NativeCrash | None = None  # the last run's native crash, for the operator (kiosk_app.runtime.crash)

    @functools.cached_property
    def qr(self) -> QrCodes:
        """QR codes, made and cached when a page first shows one (not on the way to home)."""
        from .widgets.qr import QrCodes

        return QrCodes(self.tasks)

    @property
    def store(self) -> ContentStore:
        return self.content.store

    @property
    def tr(self) -> Translator:
        return self.session.tr

    @property
    def lang(self) -> str:
        return self.session.language

    @property
    def metrics(self) -> Metrics:
        return Metrics.for_layout(self.layout, self.session.large_text)

    @property
    def palette(self) -> Palette:
        return HIGH_CONTRAST if self.session.high_contrast else NORMAL

    def content_width(self) -> int:
        """Width available to a scrolling page's content (screen minus margins and scroll bar)."""
        return self.screen_size.width() - 2 * self.metrics.margin - max(18, self.metrics.gap)

    def column_width(self, columns: int) -> int:
        m = self.metrics
        return (self.content_width() - (columns - 1) * m.gap) // max(1, columns)

    def now(self) -> dt.datetime:
        return self.clock()

    def go(self, name: str, **params: object) -> None:
        assert self.nav is not None
        self.nav.go(name, **params)
