"""What screens need, handed to each one explicitly (no global state anywhere).

Every field is required and set when the context is made: screens never check for a map,
a narration player or a router that might arrive later. The kiosk's pieces that screens
use take only what they need themselves (the map service its content, session, config,
tasks and a callback), so nothing here imports a screen, the navigator or the app.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize

from content_sync.store.content_store import ContentStore

from .background import BackgroundTasks
from .config import KioskConfig
from .content import ContentHolder
from .images import ImageCache
from .session import Session
from .strings import Translator
from .theme import LANDSCAPE, LAYOUTS, Metrics, Palette, palette_for

if TYPE_CHECKING:
    from .map_service import MapService
    from .narration import NarrationPlayer
    from .qr_codes import QrCodes
    from .recorder import Recorder
    from .router import Router
    from .runtime.crash import NativeCrash


@dataclass
class AppContext:
    config: KioskConfig
    session: Session
    content: ContentHolder
    tasks: BackgroundTasks
    images: ImageCache
    clock: Callable[[], dt.datetime]
    router: Router
    map: MapService  # the kiosk's web map; QtWebEngine starts after home is painted, or never without a basemap
    narration: NarrationPlayer  # the kiosk's one narration player (kiosk_app.narration)
    feed: Callable[[str], Any]  # the stored live feed of a kind ("weather", "transport"), as kiosk_app.feeds reads it
    recorder: Recorder  # usage, feedback and heartbeats into the outbox, off the GUI thread (docs/outbox.md)
    layout: str = LANDSCAPE
    screen_size: QSize = field(default_factory=lambda: QSize(LAYOUTS[LANDSCAPE]))
    native_crash: NativeCrash | None = None  # the last run's native crash, if any, for the operator

    @functools.cached_property
    def qr(self) -> QrCodes:
        """QR codes, made and cached when a page first shows one (not on the way to home)."""
        from .qr_codes import QrCodes

        return QrCodes(self.tasks, on_shown=self.recorder.qr_shown)

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
        return palette_for(self.session.high_contrast, self.session.night)

    def content_width(self) -> int:
        """Width available to a scrolling page's content (screen minus margins and scroll bar)."""
        return self.screen_size.width() - 2 * self.metrics.margin - max(18, self.metrics.gap)

    def column_width(self, columns: int) -> int:
        m = self.metrics
        return (self.content_width() - (columns - 1) * m.gap) // max(1, columns)

    def now(self) -> dt.datetime:
        return self.clock()

    def go(self, name: str, **params: object) -> None:
        self.router.go(name, **params)
