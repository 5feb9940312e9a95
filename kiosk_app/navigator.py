"""A small navigator: named screens in a stack, a history for Back, a reset for the next visitor.

Idle work: once the screen in view is painted, the pages a visitor is likely to open next
(``Screen.likely_next``) are built out of view, one page per turn of the event loop, so a
tap usually only switches and paints. A tap cancels what is left. The first paint of all
also runs ``after_first_paint`` (start-up work that must not delay the first screen).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QStackedWidget

from .screens.base import Screen

log = logging.getLogger(__name__)
MAX_HISTORY = 40
# Pages hold no photos while out of view (the image cache has them), so 24 cost about 20 MiB
# more than 12, flat over weeks, and a tap has to build its page one time in forty, not seven.
MAX_CACHED_PAGES = 24
KEEP_FOR_BACK = 3  # pages on the Back path that building ahead never evicts
Key = tuple[str, str]


def page_key(name: str, params: dict[str, Any]) -> Key:
    return (name, repr(sorted(params.items())))


class Navigator(QStackedWidget):
    """Creates each screen on first use and reuses it; screens receive parameters in ``enter``."""

    changed = Signal(str)

    def __init__(
        self,
        factories: dict[str, Callable[[], Screen]] | None = None,
        *,
        home: str = "home",
        start: str = "attract",
        error: str = "error",
        per_params: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        # Screens are added once what they need exists (they need this navigator as their router).
        self.factories: dict[str, Callable[[], Screen]] = dict(factories or {})
        self.per_params = per_params
        self.home_name, self.start_name, self.error_name = home, start, error
        self.screens: dict[str, Screen] = {}
        self.pages: OrderedDict[Key, Screen] = OrderedDict()
        self.history: list[tuple[str, dict[str, Any]]] = []
        self.current: tuple[str, dict[str, Any]] | None = None
        # Build likely next pages in idle time (the running kiosk turns this on; tests mostly leave it off).
        self.prebuild = False
        # Run once, one per turn of the event loop, after the first screen is painted.
        self.after_first_paint: list[Callable[[], None]] = []
        self._painted = False
        self._waiting_paint: Screen | None = None  # the screen whose paint starts idle work
        self._queue: list[tuple[str, dict[str, Any]]] = []
        self._built_ahead: set[Key] = set()  # built in this round of idle work
        self._start_pending = False  # reset before the window was shown: built when it is
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(0)
        self._idle.timeout.connect(self._idle_step)
        # Finishes the screen in view (what it left below the fold) right after its paint.
        self._finish = QTimer(self)
        self._finish.setSingleShot(True)
        self._finish.setInterval(0)
        self._finish.timeout.connect(self._finish_current)
        # Background work asked for during a switch (a page's photos, a QR code) waits for the new
        # page's paint: a worker running Python takes the GIL, and each one started before the
        # frame cost the tap some 2.5 ms. ``(hold, release)``, set by ``build_kiosk``; the timer
        # releases it anyway should no paint come (the page did not change).
        self.hold_work: tuple[Callable[[], None], Callable[[], None]] | None = None
        self._holding = False
        self._release_anyway = QTimer(self)
        self._release_anyway.setSingleShot(True)
        self._release_anyway.setInterval(100)
        self._release_anyway.timeout.connect(self._release_work)

    def screen(self, name: str, params: dict[str, Any] | None = None) -> Screen:
        """The screen for ``name``; per-parameter pages get one instance per ``params``."""
        if name in self.per_params and params is not None:
            key = page_key(name, params)
            if key in self.pages:
                self.pages.move_to_end(key)
                return self.pages[key]
            page = self._create(name)
            self.pages[key] = page
            self._evict(keep=key)
            return page
        if name not in self.screens:
            self.screens[name] = self._create(name)
        return self.screens[name]

    def _create(self, name: str) -> Screen:
        screen = self.factories[name]()
        screen.installEventFilter(self)
        self.addWidget(screen)
        if screen is not self.currentWidget():
            screen.setUpdatesEnabled(False)  # see ``_switch_to``
        return screen

    def _switch_to(self, screen: Screen) -> None:
        """Put ``screen`` in view at a cost that does not grow with the pages kept in the cache.

        ``QStackedLayout`` turns updates off and on again for the whole stack around a switch, and
        Qt walks every widget below it each way: some 3,000 widgets with 24 pages kept, about a
        third of a tap. Pages out of view keep updates off themselves, which stops that walk at
        them. And focus: if it sits on the page being left, Qt looks through the window's whole
        focus chain for a widget on the new page. Nothing on a kiosk page needs keyboard focus
        (buttons and keys take none), so it is dropped first.
        """
        leaving = self.currentWidget()
        focus = self.window().focusWidget()
        if leaving is not None and leaving is not screen and focus is not None and leaving.isAncestorOf(focus):
            focus.clearFocus()
        screen.setUpdatesEnabled(True)
        self.setCurrentWidget(screen)
        if leaving is not None and leaving is not screen:
            leaving.setUpdatesEnabled(False)

    def _protected(self) -> set[Key]:
        """Pages that must stay: the one in view and the last ones Back leads to (the cache stays bounded)."""
        keys = {page_key(n, p) for n, p in self.history[-KEEP_FOR_BACK:]}
        if self.current:
            keys.add(page_key(*self.current))
        return keys

    def _evict(self, keep: Key | None = None) -> None:
        """Drop least recently used pages over the limit, never the one in view or on the Back path."""
        protected = self._protected() | self._built_ahead | {keep}
        current = self.currentWidget()
        for key in list(self.pages):
            if len(self.pages) <= MAX_CACHED_PAGES:
                break
            page = self.pages[key]
            if key in protected or page is current:
                continue
            del self.pages[key]
            self._built_ahead.discard(key)
            self.removeWidget(page)
            page.deleteLater()

    def has(self, name: str) -> bool:
        return name in self.factories

    def all_screens(self) -> list[Screen]:
        return [*self.screens.values(), *self.pages.values()]

    @property
    def current_name(self) -> str | None:
        return self.current[0] if self.current else None

    def go(self, name: str, *, remember: bool = True, **params: Any) -> None:
        if self.current and remember and self.current != (name, params):
            self.history.append(self.current)
            del self.history[:-MAX_HISTORY]
        self._show(name, params)

    def back(self) -> None:
        if self.history:
            name, params = self.history.pop()
            self._show(name, params)
        else:
            self.home()

    def home(self) -> None:
        self.history.clear()
        self._show(self.home_name, {})

    def reset(self) -> None:
        """Forget the visit: every screen's state and the history; show the start screen."""
        self._cancel_idle_work()
        self.history.clear()
        for screen in self.screens.values():
            try:
                screen.reset()
            except Exception:
                log.exception("resetting %s failed", screen.name)
        if self.isVisible():
            self._show(self.start_name, {})
        else:  # nothing is on screen yet: build the start screen when it is (or never, if another comes first)
            self.current = (self.start_name, {})
            self._start_pending = True
        # Pages built for the last visitor go: memory back, nothing of theirs kept.
        for page in self.pages.values():
            self.removeWidget(page)
            page.deleteLater()
        self.pages.clear()

    def refresh(self) -> None:
        """Re-render the screen in view (after a language or display change)."""
        for screen in self.all_screens():
            screen.stale = True
        if self.current:
            self._show(*self.current)

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self._start_pending and self.current == (self.start_name, {}):
            self._show(self.start_name, {})
        super().showEvent(event)

    def _show(self, name: str, params: dict[str, Any]) -> None:
        self._start_pending = False
        self._hold_work()
        self._finish.stop()  # a screen left unfinished is finished when it is painted again
        self._cancel_idle_work()
        leaving = self.currentWidget()
        try:
            screen = self.screen(name, params)
            if isinstance(leaving, Screen) and leaving is not screen and leaving.in_view:
                self._leave(leaving)
            screen.show_with(params)
        except Exception:
            log.exception("showing %s %s failed", name, params)
            if name == self.error_name:
                raise
            self.history.clear()
            name, params = self.error_name, {}
            screen = self.screen(name)
            screen.show_with(params)
        self.current = (name, params)
        self._switch_to(screen)
        self.changed.emit(name)
        if self.prebuild or not self._painted or self._queue:
            self._waiting_paint = screen

    @staticmethod
    def _leave(screen: Screen) -> None:
        try:
            screen.leave()
        except Exception:
            log.exception("leaving %s failed", screen.name)

    # -- idle work ----------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The filter runs before the screen paints; the timers fire once the frame is done
        # (the one that finishes the screen first: it was started first).
        if event.type() != QEvent.Type.Paint:
            return False
        if watched is self.currentWidget():
            if watched.incomplete:  # type: ignore[attr-defined]
                self._finish.start()
            self._release_work()  # after the timer above: the page's later parts come first
        if watched is self._waiting_paint:
            self._waiting_paint = None
            if not self._painted:
                self._painted = True
                self._queue.extend(("", {"hook": i}) for i in range(len(self.after_first_paint)))
            if self.prebuild and self.current is not None:
                self._queue.append(("?", {}))  # ask the screen in view what comes next, when idle
            if self._queue:
                self._idle.start()
        return False

    def _hold_work(self) -> None:
        if self.hold_work is not None and not self._holding and self.isVisible():
            self._holding = True
            self.hold_work[0]()
            self._release_anyway.start()

    def _release_work(self) -> None:
        if self._holding:
            self._holding = False
            self._release_anyway.stop()
            self.hold_work[1]()  # type: ignore[index]

    def _finish_current(self) -> None:
        screen = self.currentWidget()
        if isinstance(screen, Screen):
            try:
                screen.complete()
            except Exception:
                log.exception("finishing %s failed", screen.name)

    def idle_work_pending(self) -> bool:
        """True while pages are still being built ahead (or waiting for a paint to start)."""
        return (bool(self._queue) or self._idle.isActive() or self._finish.isActive()
                or (self.prebuild and self._waiting_paint is not None))  # fmt: skip

    def _cancel_idle_work(self) -> None:
        hooks = [entry for entry in self._queue if entry[0] == ""]  # start-up work is postponed, not dropped
        self._queue = hooks
        self._idle.stop()
        self._built_ahead.clear()
        self._waiting_paint = None

    def _idle_step(self) -> None:
        """One piece of idle work per turn of the event loop, so a tap waits for one at most."""
        while self._queue:
            name, params = self._queue.pop(0)
            try:
                if name == "":
                    self.after_first_paint[params["hook"]]()
                    break
                if name == "?":
                    screen = self.currentWidget()
                    if isinstance(screen, Screen):
                        self._queue.extend(screen.likely_next())
                    continue
                if self._build_ahead(name, params):
                    break
            except Exception:
                log.exception("idle work %s %s failed", name or "after first paint", params)
        if self._queue:
            self._idle.start()

    def _build_ahead(self, name: str, params: dict[str, Any]) -> bool:
        """Build (or re-render) one page out of view; False when nothing needed doing."""
        if name not in self.factories or (self.current and (name, params) == self.current):
            return False
        if name in self.per_params:
            key = page_key(name, params)
            if key not in self.pages:
                protected = self._protected() | self._built_ahead
                if len(self.pages) >= MAX_CACHED_PAGES and all(k in protected for k in self.pages):
                    self._queue.clear()  # the cache is full of pages this visit needs
                    return False
                page = self._create(name)
                self.pages[key] = page
                self.pages.move_to_end(key, last=False)  # out of the way until really visited
            screen = self.pages[key]
            self._built_ahead.add(key)
        else:
            screen = self.screen(name)
        try:
            built = screen.prepare(params)
            screen.complete()  # built ahead means whole: the first visit only paints
        except Exception:
            if name in self.per_params:
                key = page_key(name, params)
                self.pages.pop(key, None)
                self.removeWidget(screen)
                screen.deleteLater()
            raise
        if built:
            # Style and lay out now too, so the first real visit only paints.
            screen.ensurePolished()
            screen.resize(self.size())
            layout = screen.layout()
            if layout is not None:
                layout.activate()
        self._evict()
        return built
