"""What a kiosk shows when it cannot show content: a calm message, never a blank screen or an exit.

Either nothing is installed yet, or the installed content cannot be opened (a power cut
damaged it). Visitors read "please ask a member of staff"; staff read one line saying what
is wrong. The window checks again every few seconds (the interval is injected), so an
operator's sideload or repair brings the kiosk up without a restart, and it keeps
checking for as long as it takes: no exit, no restart loop under systemd.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .strings import N_, REQUIRED_LANGUAGES, Translator
from .theme import NORMAL, Metrics, style_sheet
from .widgets.common import text_label

CHECK_EVERY_MS = 5000


class NoContentWindow(QWidget):
    """``ready`` is emitted each time ``has_content`` says yes, until :meth:`stop`."""

    ready = Signal()

    def __init__(
        self,
        has_content: Callable[[], bool],
        *,
        problem: Callable[[], str | None] = lambda: None,
        interval_ms: int = CHECK_EVERY_MS,
    ) -> None:
        super().__init__()
        self.setObjectName("no-content")
        self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.Window)
        self.setStyleSheet(style_sheet(NORMAL, Metrics.for_layout("landscape")))
        self.has_content = has_content
        self.problem = problem
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
        self.show_problem(problem())
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
        if self.has_content():
            self.ready.emit()
        else:
            self.show_problem(self.problem())

    def stop(self) -> None:
        """The kiosk is up: no more checks."""
        self.timer.stop()
