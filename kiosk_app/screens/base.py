"""What every screen shares: its context, render-on-demand, and a reset for the next visitor.

Content is never trusted to be drawable: each list or section builds its items through
``Screen.items`` (or ``Screen.guarded`` for one), so an item that still surprises a screen after
the store's checks is left out and logged, and the rest of the list and the page stay. The error
page is left for real bugs outside content.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QVBoxLayout, QWidget

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)
T = TypeVar("T")
W = TypeVar("W")


def item_id(item: object) -> object:
    """What names an item in a log line: its id (a venue, a route, a page), else the item itself."""
    if isinstance(item, dict):
        return item.get("id", item.get("code"))
    for attr in ("id", "event_id", "venue_id"):
        if hasattr(item, attr):
            return getattr(item, attr)
    return item


def shown(value: object, limit: int = 80) -> str:
    """A value from content made safe for one log line: quoted, escaped, bounded."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


class Screen(QWidget):
    """A full page. Subclasses build their widgets in ``render`` from ``self.params``.

    ``render`` runs when the screen is shown with new parameters, or after the language,
    display mode or content changed (``stale``); otherwise showing it again is instant.
    """

    name: ClassVar[str] = ""
    # Pages that differ by parameters (one per venue, route...) are kept per parameters in
    # a small cache, so Back and repeat visits switch instantly instead of rebuilding.
    per_params: ClassVar[bool] = False

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName(f"screen-{self.name}")
        self.params: dict[str, Any] = {}
        self.stale = True
        self.in_view = False  # between ``entered`` and ``left``
        self._later: list[Callable[[], None]] = []
        self._left_out: set[tuple[str, str]] = set()  # items already logged as not drawable
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(0)

    def show_with(self, params: dict[str, Any]) -> None:
        if self.stale or params != self.params:
            self.params = dict(params)
            self.render()
            self.stale = False
        self.in_view = True
        self.entered()

    def leave(self) -> None:
        """The navigator shows another page (or the error page) in this one's place."""
        self.in_view = False
        self.left()

    def prepare(self, params: dict[str, Any]) -> bool:
        """Build the content for ``params`` ahead of time, out of view; True if anything was built.

        The navigator calls this in idle time for pages a visitor is likely to open next, so
        that the tap itself only switches and paints. ``entered`` is left for the real visit.
        """
        if not self.stale and params == self.params:
            return False
        self.params = dict(params)
        self.render()
        self.stale = False
        return True

    def render(self) -> None:
        """Build the screen's content for ``self.params`` in the current language."""

    def later(self, build: Callable[[], None]) -> None:
        """Build this part after the page is first painted (content below the fold).

        The navigator runs it on the next turn of the event loop after the paint, before any
        other idle work; ``complete`` runs it at once for whoever needs the whole page now.
        """
        self._later.append(build)

    @property
    def incomplete(self) -> bool:
        return bool(self._later)

    def complete(self) -> None:
        """Build whatever ``render`` left for after the first paint."""
        while self._later:
            self._later.pop(0)()

    def likely_next(self) -> list[tuple[str, dict[str, Any]]]:
        """Pages a visitor is likely to open from here, most likely first (built ahead in idle time)."""
        return []

    def entered(self) -> None:
        """Called every time the screen comes into view (refresh clocks, restart timers)."""

    def left(self) -> None:
        """Called every time another page takes this one's place (stop what only runs in view)."""

    def background(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None = None,
        *,
        owner: QObject | None = None,
    ) -> None:
        """Run ``work`` off the GUI thread for this page. The result is dropped when its owner is
        gone by the time it arrives: the page itself by default, or a part of it that a re-render
        replaces (a status card, a result list)."""
        self.ctx.tasks.run(work, on_done, on_error, owner=owner if owner is not None else self)

    def reset(self) -> None:
        """Forget this visitor (scroll positions, typed text); re-render when next shown."""
        self.stale = True
        self.params = {}

    def title(self) -> str:
        return ""

    # -- building from content that may still surprise ----------------------------------------
    def guarded(self, what: str, ident: object, build: Callable[[], W]) -> W | None:
        """``build()`` one item of content; ``None`` (and one log line) when it raises while drawn."""
        try:
            return build()
        except Exception:
            key = (what, shown(ident))
            if key not in self._left_out:
                self._left_out.add(key)
                log.warning("%s: left out %s %s, it could not be drawn", self.name, what, key[1], exc_info=True)
            return None

    def items(
        self, what: str, items: Iterable[T], build: Callable[[T], W], ident: Callable[[T], object] = item_id
    ) -> list[W]:
        """One widget per item that can be drawn: an item that raises is left out, not the list or the page."""
        out: list[W] = []
        for item in items:
            widget = self.guarded(what, ident(item), lambda item=item: build(item))  # type: ignore[misc]
            if widget is not None:
                out.append(widget)
        return out

    def section(self, name: str, build: Callable[[], object]) -> None:
        """A whole part of a page (home's sections): if it fails even though its items are guarded, that
        is a bug, logged as one, but the rest of the page stays."""
        try:
            build()
        except Exception:
            log.exception("%s: the %s section could not be drawn", self.name, name)

    def clear_body(self) -> None:
        self._later.clear()
        while self.body.count():
            item = self.body.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
