"""A small navigator: named screens in a stack, a history for Back, a reset for the next visitor."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStackedWidget

from .screens.base import Screen

log = logging.getLogger(__name__)
MAX_HISTORY = 40
MAX_CACHED_PAGES = 12


class Navigator(QStackedWidget):
    """Creates each screen on first use and reuses it; screens receive parameters in ``enter``."""

    changed = Signal(str)

    def __init__(
        self,
        factories: dict[str, Callable[[], Screen]],
        *,
        home: str = "home",
        start: str = "attract",
        error: str = "error",
        per_params: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self.factories = factories
        self.per_params = per_params
        self.home_name, self.start_name, self.error_name = home, start, error
        self.screens: dict[str, Screen] = {}
        self.pages: OrderedDict[tuple[str, str], Screen] = OrderedDict()
        self.history: list[tuple[str, dict[str, Any]]] = []
        self.current: tuple[str, dict[str, Any]] | None = None

    def screen(self, name: str, params: dict[str, Any] | None = None) -> Screen:
        """The screen for ``name``; per-parameter pages get one instance per ``params``."""
        if name in self.per_params and params is not None:
            key = (name, repr(sorted(params.items())))
            if key in self.pages:
                self.pages.move_to_end(key)
                return self.pages[key]
            page = self.factories[name]()
            self.addWidget(page)
            self.pages[key] = page
            self._evict()
            return page
        if name not in self.screens:
            screen = self.factories[name]()
            self.screens[name] = screen
            self.addWidget(screen)
        return self.screens[name]

    def _evict(self) -> None:
        while len(self.pages) > MAX_CACHED_PAGES:
            _key, page = self.pages.popitem(last=False)
            if page is self.currentWidget():
                continue
            self.removeWidget(page)
            page.deleteLater()

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
        self.history.clear()
        for screen in self.screens.values():
            try:
                screen.reset()
            except Exception:
                log.exception("resetting %s failed", screen.name)
        self._show(self.start_name, {})
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

    def _show(self, name: str, params: dict[str, Any]) -> None:
        try:
            screen = self.screen(name, params)
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
        self.setCurrentWidget(screen)
        self.changed.emit(name)
