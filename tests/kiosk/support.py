"""Plain helpers the kiosk tests share."""

from __future__ import annotations

DEMO_NOW = (2026, 11, 21, 10, 30)  # a Saturday morning in Lanzhou


def finished(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Wait, as a visitor looking at the screen would, until the page in view is whole: what a
    page builds below the fold comes on the turn of the event loop after its first paint."""
    qtbot.waitUntil(lambda: not kiosk.nav.currentWidget().incomplete, timeout=5000)
