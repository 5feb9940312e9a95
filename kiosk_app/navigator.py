"""A small navigator: named screens in a stack, a history for Back, a reset for the next visitor."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStackedWidget

from .screens.base import Screen

log = logging.getLogger(__name__)
MAX_HISTORY = 40


class Navigator(QStackedWidget):
    """Creates each screen on first use and reuses it; screens receive parameters in ``enter``."""

    changed = Signal(str)

    def __init__(self, factories: dict[str, Callable[[], Screen]], *, home: str = "home",
                 start: str = "attract", error: str = "error") -> None:  # fmt: skip
        super().__init__()
        self.factories = factories
        self.home_name, self.start_name, self.error_name = home, start, error
        self.screens: dict[str, Screen] = {}
        self.history: list[tuple[str, dict[str, Any]]] = []
        self.current: tuple[str, dict[str, Any]] | None = None

    def screen(self, name: str) -> Screen:
        if name not in self.screens:
            screen = self.factories[name]()
            self.screens[name] = screen
            self.addWidget(screen)
        return self.screens[name]

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

    def refresh(self) -> None:
        """Re-render the screen in view (after a language or display change)."""
        for screen in self.screens.values():
            screen.stale = True
        if self.current:
            self._show(*self.current)

    def _show(self, name: str, params: dict[str, Any]) -> None:
        try:
            screen = self.screen(name)
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
