"""The window: header, the navigator's screens, the status strip, and the idle warning.

It wires pieces together and forwards events; it holds no content logic.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QSize, Qt, QTimer
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from .context import AppContext
from .idle import IdleWatcher
from .navigator import Navigator
from .theme import LANDSCAPE, PORTRAIT, layout_for, style_sheet
from .widgets.header import HeaderBar
from .widgets.idle_warning import IdleOverlay
from .widgets.now_playing import NowPlayingBar
from .widgets.status import StatusStrip

if TYPE_CHECKING:
    from .narration import NarrationItem

log = logging.getLogger(__name__)
OPERATOR_HOLD_MS = 3000
OPERATOR_CORNER = 110  # px square in the top-left corner


class KioskShell(QWidget):
    def __init__(self, ctx: AppContext, navigator: Navigator, idle: IdleWatcher,
                 on_reset: list[Callable[[], None]] | None = None,
                 on_operator: Callable[[], None] | None = None) -> None:  # fmt: skip
        super().__init__()
        self.setObjectName("kiosk-shell")
        self.ctx = ctx
        self.nav = navigator
        self.idle = idle
        self.on_reset = on_reset or []
        self.on_operator = on_operator
        self.header = HeaderBar(
            ctx.config.languages,
            on_home=navigator.home,
            on_back=navigator.back,
            on_search=lambda: ctx.go("search"),
            on_language=ctx.session.set_language,
            on_contrast=lambda: ctx.session.set_display(high_contrast=not ctx.session.high_contrast),
            on_large_text=lambda: ctx.session.set_display(large_text=not ctx.session.large_text),
            on_read_aloud=lambda: ctx.session.set_read_aloud(not ctx.session.read_aloud),
        )
        # Narration kept playing while browsing can be paused or stopped from any page.
        self.now_playing = NowPlayingBar(ctx, self._panel_in_view)
        self.status = StatusStrip(
            ctx.now,
            lambda: ctx.feed("weather"),
            max_age=dt.timedelta(hours=ctx.config["feeds.weather_max_age_hours"]),
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        # The window is the screen: content adapts to it, never the other way round.
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(self.header)
        layout.addWidget(navigator, 1)
        layout.addWidget(self.now_playing)
        layout.addWidget(self.status)
        self.overlay = IdleOverlay(self.idle.poke)
        self.overlay.setParent(self)
        self.clock = QTimer(self)
        self.clock.setInterval(20_000)
        self.clock.timeout.connect(self._update_chrome)
        self.clock.start()
        self.hold = QTimer(self)
        self.hold.setSingleShot(True)
        self.hold.timeout.connect(self._operator_requested)
        navigator.changed.connect(self._screen_changed)
        idle.warning.connect(self._warn)
        idle.cancelled.connect(self.overlay.hide)
        idle.expired.connect(self.reset_session)
        ctx.session.listeners.append(lambda _s: self.apply_session())
        ctx.narration.voices_known.connect(self._update_chrome)
        self.apply_session(refresh=False)

    # -- visitor-facing state ---------------------------------------------------------------
    def apply_session(self, refresh: bool = True) -> None:
        """Language or display mode changed: restyle, mirror for right-to-left, re-render."""
        ctx = self.ctx
        app = QApplication.instance()
        direction = Qt.LayoutDirection.RightToLeft if ctx.tr.rtl else Qt.LayoutDirection.LeftToRight
        if app is not None:
            app.setLayoutDirection(direction)  # type: ignore[attr-defined]
        self.setLayoutDirection(direction)
        self.setStyleSheet(style_sheet(ctx.palette, ctx.metrics, ctx.tr.rtl))
        if refresh:
            self.nav.refresh()
        self._update_chrome()

    def reset_session(self) -> None:
        """The idle reset: stop audio, forget the visit, fresh content, start screen."""
        log.info("idle reset")
        self.overlay.hide()
        for hook in self.on_reset:
            try:
                hook()
            except Exception:
                log.exception("reset hook failed")
        try:
            if self.ctx.content.reload_if_newer():
                log.info("switched to content version %s", self.ctx.store.content_version)
                for screen in self.nav.all_screens():
                    screen.stale = True
        except Exception as exc:
            log.exception("reloading content failed; keeping the current version on screen")
            # ... and on disk: the kiosk goes back to the version it shows (content_sync.device.fallback).
            self.ctx.content.return_to_last_good(str(exc) or type(exc).__name__, self.ctx.tasks)
        self.ctx.images.clear()
        self.ctx.session.reset()  # restyles and re-renders through the session listener
        self.nav.reset()

    def _screen_changed(self, name: str) -> None:
        attract = name == self.nav.start_name
        self.header.setVisible(not attract)
        self.status.setVisible(not attract)
        self.idle.set_enabled(not attract)
        self._update_chrome()
        self.now_playing.refresh()

    def _panel_in_view(self, item: NarrationItem) -> bool:
        """Whether the page in view shows the audio guide playing ``item`` (then no extra bar is needed)."""
        screen = self.nav.currentWidget()
        if screen is None:
            return False
        from .widgets.narration import NarrationPanel  # loaded with the first page that has one

        return any(p.item == item and p.isVisibleTo(screen) for p in screen.findChildren(NarrationPanel))

    def _update_chrome(self) -> None:
        ctx = self.ctx
        screen = self.nav.currentWidget() if self.nav.current else None
        self.header.update_texts(
            ctx.tr,
            screen.title() if screen else "",
            lang=ctx.lang,
            high_contrast=ctx.session.high_contrast,
            large_text=ctx.session.large_text,
            can_go_back=bool(self.nav.history),
            narrow=ctx.layout == PORTRAIT,
            short_switches=ctx.layout != LANDSCAPE,
            read_aloud=ctx.session.read_aloud,
            read_aloud_available=ctx.narration.has_voice(ctx.lang) is not False,
        )
        self.status.update_texts(ctx.tr, ctx.store.content_version)

    def refresh_status(self) -> None:
        """The status strip again (new weather from the sync agent), without touching the header."""
        self.status.update_texts(self.ctx.tr, self.ctx.store.content_version)

    def _warn(self, seconds: int) -> None:
        self.overlay.show_warning(self.ctx.tr.n("idle.warning", seconds), self.ctx.tr("idle.continue"), self)

    # -- layout -----------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        size = QSize(self.width(), self.height())
        layout = layout_for(size)
        changed = layout != self.ctx.layout or size != self.ctx.screen_size
        self.ctx.screen_size = size
        if changed:
            self.ctx.layout = layout
            self.apply_session()

    # -- hidden operator entry: hold the top-left corner ------------------------------------
    def in_operator_corner(self, point: QPoint) -> bool:
        # The corner where a page starts: top left, or top right for right-to-left languages.
        if self.layoutDirection() == Qt.LayoutDirection.RightToLeft:
            return point.x() >= self.width() - OPERATOR_CORNER and point.y() <= OPERATOR_CORNER
        return point.x() <= OPERATOR_CORNER and point.y() <= OPERATOR_CORNER

    def press_at(self, point: QPoint) -> None:
        if self.on_operator is not None and self.in_operator_corner(point):
            self.hold.start(OPERATOR_HOLD_MS)

    def release(self) -> None:
        self.hold.stop()

    def _operator_requested(self) -> None:
        if self.on_operator is not None:
            self.on_operator()
