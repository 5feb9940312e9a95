"""'Read this screen aloud': each page shown is spoken, headings and buttons in reading order.

For visitors who cannot read the screen (poor sight, or a script they do not read). What is
read is what is visible: labels marked as titles or headings (``role`` property, see
``widgets/common.text_label``) and button texts, top to bottom and in the reading direction.
Speech is synthesised in the background and cached like any narration, and plays through
the kiosk's one :class:`~kiosk_app.narration.NarrationPlayer`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QTimer
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from .narration import NarrationItem

if TYPE_CHECKING:
    from .context import AppContext
    from .navigator import Navigator
    from .session import Session

HEADING_ROLES = ("title", "heading")
_FULL_STOP_LANGS = ("zh", "ja", "yue")


def _speakable(text: str) -> str:
    """Text without pictograms (▶, ◐, arrows) and with whitespace collapsed."""
    import unicodedata  # read-aloud only: off the way to the first screen

    kept = "".join(ch for ch in text if not unicodedata.category(ch).startswith("S") or ch in "%&+")
    return " ".join(kept.split())


def screen_phrases(root: QWidget, rtl: bool = False) -> list[str]:
    """Visible headings and button texts under ``root``, in reading order, without repeats."""
    found: list[tuple[int, int, str]] = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, QLabel | QPushButton) or not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QLabel) and widget.property("role") not in HEADING_ROLES:
            continue
        if widget.objectName().startswith("lang-"):
            continue
        text = _speakable(widget.text())
        if not re.search(r"\w", text):
            continue
        at = widget.mapTo(root, QPoint(0, 0))
        found.append((at.y(), -at.x() if rtl else at.x(), text))
    phrases: list[str] = []
    for _y, _x, text in sorted(found):
        if text not in phrases:
            phrases.append(text)
    return phrases


def spoken_text(phrases: list[str], lang: str) -> str:
    """One text with a sentence end after each phrase, so each gets its own pause and transcript line."""
    stop = "。" if lang.split("-")[0] in _FULL_STOP_LANGS else "."
    out = []
    for phrase in phrases:
        out.append(phrase if re.search(r"[.!?。！？…:：]$", phrase) else phrase + stop)
    return "\n".join(out)


class ReadAloud(QObject):
    """Speaks each page the navigator shows while the session's read-aloud mode is on."""

    def __init__(self, ctx: AppContext, nav: Navigator, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.nav = nav
        self.last: NarrationItem | None = None
        # Widgets added to a shown page appear on the next turn of the event loop, so the page is
        # read one turn after it is shown (several quick changes give one reading).
        self._pending = ""
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.setInterval(0)
        self._later.timeout.connect(lambda: self.read_page(self._pending))
        nav.changed.connect(self.page_shown)
        ctx.session.listeners.append(self._session_changed)

    def text_for(self, screen: QWidget) -> str:
        """What would be said for ``screen`` in the visitor's language."""
        ctx = self.ctx
        if hasattr(screen, "complete"):
            screen.complete()  # the whole page, also what it builds after its first paint
        phrases = screen_phrases(screen, ctx.tr.rtl)
        title = _speakable(screen.title()) if hasattr(screen, "title") else ""
        if title and title not in phrases:
            phrases.insert(0, title)
        return spoken_text(phrases, ctx.lang)

    def page_shown(self, name: str) -> None:
        if self.ctx.session.read_aloud and name != self.nav.start_name:
            self._pending = name
            self._later.start()
        else:
            self._later.stop()

    def read_page(self, name: str) -> None:
        """Speak the page in view now, unless the visitor chose to keep listening to a narration."""
        ctx, player = self.ctx, self.ctx.narration
        if name != self.nav.current_name:
            return
        if player is None or not ctx.session.read_aloud or name == self.nav.start_name:
            return
        if player.keep_listening and player.active:
            return  # the visitor chose to keep listening to a narration; do not talk over it
        if player.has_voice(ctx.lang) is False:
            return
        screen = self.nav.currentWidget()
        if screen is None:
            return
        text = self.text_for(screen)
        if not text:
            return
        item = NarrationItem(f"screen:{name}", "", text, ctx.lang)
        if player.current == item:
            return  # the same page shown again (e.g. a display switch): no restart
        self.last = item
        player.play(item)

    def _session_changed(self, session: Session) -> None:
        player = self.ctx.narration
        current = player.current if player is not None else None
        if not session.read_aloud and player is not None and current and current.key.startswith("screen:"):
            player.stop()
