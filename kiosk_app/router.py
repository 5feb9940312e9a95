"""What a screen may ask of navigation: go somewhere, go back, go home, and whether a page exists.

Screens get this, never the navigator itself: they cannot reach into its cache, history or
other screens, so a screen is tested with any object that has these four methods.
"""

from __future__ import annotations

from typing import Any, Protocol


class Router(Protocol):
    def go(self, name: str, *, remember: bool = True, **params: Any) -> None:
        """Show page ``name`` with ``params``; ``remember=False`` keeps the current page off the Back path."""

    def back(self) -> None:
        """The page before this one (home when there is none)."""

    def home(self) -> None:
        """Home, with the Back path cleared."""

    def has(self, name: str) -> bool:
        """Whether this kiosk has a page called ``name`` (a pack or profile may leave some out)."""
