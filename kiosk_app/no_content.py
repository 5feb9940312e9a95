"""What a kiosk shows when it cannot show content: a calm message, never a blank screen or an exit.

Either nothing is installed yet, or the installed content cannot be opened (a power cut
damaged it). Visitors read "please ask a member of staff"; staff read one line saying what
is wrong. The window looks again every few seconds (the interval is injected), so an
operator's sideload or repair brings the kiosk up without a restart, and it keeps
looking for as long as it takes: no exit, no restart loop under systemd.

A look may read every page of the content database (``PRAGMA quick_check``, seconds on a
large pack or a slow card): it runs on the background runner, never on the GUI thread, and
one look at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .background import BackgroundTasks
from .strings import N_, REQUIRED_LANGUAGES, Translator
from .theme import NORMAL, Metrics, style_sheet
from .widgets.common import text_label

log = logging.getLogger(__name__)
CHECK_EVERY_MS = 5000


class ContentLook(NamedTuple):
    """What one look at the installed content found."""

    can_show: bool
    problem: str | None = None  # what staff read while it cannot (None: nothing is installed yet)


class NoContentWindow(QWidget):
    """``ready`` is emitted each time a look says the content can be shown, until :meth:`stop`.

    ``look`` runs on ``tasks`` (a runner of the window's own unless one is given), never on
    the GUI thread; ``looked`` carries each result once it is back on the GUI thread.
    """

    ready = Signal()
    looked = Signal(object)  # the ContentLook

    def __init__(
        self,
        look: Callable[[], ContentLook],
        *,
        problem: str | None = None,
        tasks: BackgroundTasks | None = None,
        interval_ms: int = CHECK_EVERY_MS,
    ) -> None:
        super().__init__()
        self.setObjectName("no-content")
        self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.Window)
        self.setStyleSheet(style_sheet(NORMAL, Metrics.for_layout("landscape")))
        self.look = look
        self.tasks = tasks or BackgroundTasks(threads=1)
        self.looking = False  # a look is running: the next tick does not start another
        self.stopped = False
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.messages: dict[str, QLabel] = {}
        for lang in REQUIRED_LANGUAGES:
            label = text_label("", "title")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.messages[lang] = label
            layout.addWidget(label)
        layout.addStretch(1)
        # For staff: what is wrong, in the operator's words (the library's plain one-line message).
        self.staff_line = text_label("", "muted")
        self.staff_line.setObjectName("no-content-problem")
        self.staff_line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.staff_line.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout.addWidget(self.staff_line)
        self.show_problem(problem)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def show_problem(self, problem: str | None) -> None:
        """The visitors' message and the staff line for ``problem`` (None: nothing installed yet)."""
        key = N_("error.content_unavailable") if problem else N_("error.no_content")
        for lang, label in self.messages.items():
            label.setText(Translator(lang, fallback=())(key))
        shown = Translator("en", fallback=())(N_("error.staff_detail"), problem=problem) if problem else ""
        self.staff_line.setText(shown)
        self.staff_line.setVisible(bool(problem))

    def check(self) -> None:
        """Look at the content again, in the background (a look already running is not doubled)."""
        if self.looking or self.stopped:
            return
        self.looking = True
        self.tasks.run(self.look, self._looked, self._look_failed, owner=self)

    def _looked(self, found: ContentLook) -> None:
        self.looking = False
        if self.stopped:
            return
        self.looked.emit(found)
        if found.can_show:
            self.ready.emit()
        else:
            self.show_problem(found.problem)

    def _look_failed(self, exc: Exception) -> None:
        # A look that itself fails (an unexpected error reading the disk) says so to staff and looks again.
        log.error("looking at the content failed: %s", exc)
        self._looked(ContentLook(False, f"the content cannot be looked at ({exc})"))

    def stop(self) -> None:
        """The kiosk is up: no more looks (one still running is ignored when it ends)."""
        self.stopped = True
        self.timer.stop()
