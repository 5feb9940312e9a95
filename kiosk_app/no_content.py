"""What a kiosk shows when it has no content at all: a calm message, never a blank screen.

It checks for content every few seconds, so an operator's sideload brings the kiosk up
without a restart.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from .strings import REQUIRED_LANGUAGES, Translator
from .theme import NORMAL, Metrics, style_sheet
from .widgets.common import text_label

CHECK_EVERY_MS = 5000


class NoContentWindow(QWidget):
    ready = Signal()

    def __init__(self, has_content: Callable[[], bool]) -> None:
        super().__init__()
        self.setObjectName("no-content")
        self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.Window)
        self.setStyleSheet(style_sheet(NORMAL, Metrics.for_layout("landscape")))
        self.has_content = has_content
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for lang in REQUIRED_LANGUAGES:
            label = text_label(Translator(lang, fallback=())("error.no_content"), "title")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(label)
        layout.addStretch(1)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(CHECK_EVERY_MS)

    def check(self) -> None:
        if self.has_content():
            self.timer.stop()
            self.ready.emit()
