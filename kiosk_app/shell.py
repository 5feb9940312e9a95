"""The window: header, the navigator's screens, the status strip, and the idle warning.

It wires pieces together and forwards events; it holds no content logic.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPoint, QPointF, QSize, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QFrame, QVBoxLayout, QWidget

from .context import AppContext
from .idle import IdleWatcher
from .navigator import Navigator
from .theme import COMPACT, LANDSCAPE, PORTRAIT, Palette, layout_for, style_sheet
from .widgets.common import text_label
from .widgets.header import HeaderBar
from .widgets.idle_warning import IdleOverlay
from .widgets.now_playing import NowPlayingBar
from .widgets.status import StatusStrip

if TYPE_CHECKING:
    from .narration import NarrationItem

log = logging.getLogger(__name__)
OPERATOR_HOLD_MS = 3000
OPERATOR_CORNER = 110  # px square in the top-left corner
# Reach mode: the share of the screen's height above the page left out of reach (nothing to touch there).
REACH_BAND = {PORTRAIT: 0.38, LANDSCAPE: 0.25, COMPACT: 0.15}


class ReachBand(QFrame):
    """The top of the screen in reach mode: the page's title to read, and that the mode is on."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("reach-band")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 24, 40, 24)
        layout.setSpacing(12)
        layout.addStretch(1)
        self.title = text_label("", "title")
        self.title.setObjectName("reach-title")
        self.state = text_label("", "muted")
        self.state.setObjectName("reach-on")
        layout.addWidget(self.title)
        layout.addWidget(self.state)
        self.hide()


def reach_rules(p: Palette) -> str:
    """What reach mode adds to the style sheet: the bar's edge on top, and the switch lit while on."""
    return f"""
    QFrame#reach-band {{ background: {p.surface}; border: none; border-bottom: 2px solid {p.border}; }}
    QFrame#header[reach="true"] {{ border-bottom: none; border-top: 2px solid {p.border}; }}
    QPushButton#a11y-reach:checked {{ background: {p.accent}; color: {p.accent_text}; border-color: {p.accent}; }}
    """


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
            on_reach=lambda: ctx.session.set_display(reach=not ctx.session.reach),
        )
        # Narration kept playing while browsing can be paused or stopped from any page.
        self.now_playing = NowPlayingBar(ctx, self._panel_in_view)
        self.status = StatusStrip(
            ctx.now,
            lambda: ctx.feed("weather"),
            max_age=dt.timedelta(hours=ctx.config["feeds.weather_max_age_hours"]),
        )
        self.reach_band = ReachBand()
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(0)
        # The window is the screen: content adapts to it, never the other way round.
        self.column.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
        self.reach_arranged: bool | None = None
        self._arrange(reach=False)
        self.overlay = IdleOverlay(self.idle.poke)
        self.overlay.setParent(self)
        self.clock = QTimer(self)
        self.clock.setInterval(20_000)
        self.clock.timeout.connect(self._update_chrome)
        self.clock.start()
        self.hold = QTimer(self)
        self.hold.setSingleShot(True)
        self.hold.timeout.connect(self._operator_requested)
        self.hold_ms = OPERATOR_HOLD_MS  # tests shorten it; the hold is still a real timer
        # After a hold opened the PIN pad, the rest of that touch (moves, the lift) is nobody's tap.
        self.swallowing = False
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
        self.setStyleSheet(style_sheet(ctx.palette, ctx.metrics, ctx.tr.rtl) + reach_rules(ctx.palette))
        self._arrange(ctx.session.reach)
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

    def _arrange(self, reach: bool) -> None:
        """Top to bottom: the bar, the page, now playing, the status strip; in reach mode the
        page's title and the mode's notice up top, the status strip, the page, and the bar at
        the bottom, where a seated visitor reaches."""
        if reach == self.reach_arranged:
            return
        self.reach_arranged = reach
        while self.column.count():
            self.column.takeAt(0)
        if reach:
            order = [self.reach_band, self.status, self.nav, self.now_playing, self.header]
        else:
            order = [self.header, self.nav, self.now_playing, self.status]
        for widget in order:
            self.column.addWidget(widget, 1 if widget is self.nav else 0)
        self.header.setProperty("reach", reach)
        self.header.style().unpolish(self.header)
        self.header.style().polish(self.header)
        self._show_reach_band()

    def _show_reach_band(self) -> None:
        on = bool(self.reach_arranged) and self.nav.current_name not in (None, self.nav.start_name)
        band = self.reach_band
        band.title.setVisible(self.ctx.layout != COMPACT)  # a tablet's short screen: only the notice
        band.setFixedHeight(max(round(self.height() * REACH_BAND[self.ctx.layout]), band.sizeHint().height()))
        band.setVisible(on)

    def _screen_changed(self, name: str) -> None:
        attract = name == self.nav.start_name
        self.header.setVisible(not attract)
        self.status.setVisible(not attract)
        self._show_reach_band()
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
        title = screen.title() if screen else ""
        # In reach mode the band up top shows the title (except on a tablet's short screen): the bar
        # at the bottom then leaves it out rather than say it twice, and keeps its room for buttons.
        band_has_title = ctx.session.reach and ctx.layout != COMPACT
        self.header.update_texts(
            ctx.tr,
            "" if band_has_title else title,
            lang=ctx.lang,
            high_contrast=ctx.session.high_contrast,
            large_text=ctx.session.large_text,
            can_go_back=bool(self.nav.history),
            read_aloud=ctx.session.read_aloud,
            read_aloud_available=ctx.narration.has_voice(ctx.lang) is not False,
            reach=ctx.session.reach,
        )
        self.reach_band.title.setText(title)
        self.reach_band.state.setText(ctx.tr("a11y.reach_on"))
        self.status.update_texts(ctx.tr, ctx.store.content_version)

    def refresh_status(self) -> None:
        """The status strip again (new weather from the sync agent), without touching the header."""
        self.status.update_texts(self.ctx.tr, self.ctx.store.content_version)

    def _warn(self, seconds: int) -> None:
        above = self.header.y() if self.ctx.session.reach else None  # within reach: above the bar at the bottom
        self.overlay.show_warning(self.ctx.tr.n("idle.warning", seconds), self.ctx.tr("idle.continue"), self, above)

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
        self._show_reach_band()

    # -- hidden operator entry: hold the top-left corner ------------------------------------
    def in_operator_corner(self, point: QPoint) -> bool:
        # The corner where a page starts: top left, or top right for right-to-left languages.
        if self.layoutDirection() == Qt.LayoutDirection.RightToLeft:
            return point.x() >= self.width() - OPERATOR_CORNER and point.y() <= OPERATOR_CORNER
        return point.x() <= OPERATOR_CORNER and point.y() <= OPERATOR_CORNER

    def press_at(self, point: QPoint) -> None:
        self.swallowing = False  # a new touch: whatever was left of the last one is over
        if self.on_operator is not None and self.in_operator_corner(point):
            self.hold.start(self.hold_ms)

    def release(self) -> None:
        self.hold.stop()

    def _operator_requested(self) -> None:
        """The corner was held long enough: the finger's press becomes a no-tap, then the PIN pad.

        The press went to whatever lies under the corner (Home, the attract loop). It is ended
        there with a release far outside the window, which no button counts as a tap (every
        button acts on a release inside itself), and the finger's real lift and any moves are
        swallowed at the window (``swallowing``, read by ``app._CornerHold``).
        """
        if self.on_operator is None:
            return
        window = self.windowHandle()
        if window is not None:
            outside = QPointF(-10_000, -10_000)
            lift = QMouseEvent(QEvent.Type.MouseButtonRelease, outside, outside, Qt.MouseButton.LeftButton,
                               Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
            QApplication.sendEvent(window, lift)
        self.swallowing = True
        self.on_operator()
