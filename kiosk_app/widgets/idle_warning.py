"""The idle warning: "Still there? Returning to the start in 10 seconds." over the page, and a button to stay.

Sized for its words at the window's width: the message wraps and the panel takes the height the
wrapped lines need (large text, long languages), up to the window's own height.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from .common import button, text_label

MAX_WIDTH = 1000
#: Space kept between the panel and the window's edges.
EDGE = 40


class IdleOverlay(QFrame):
    def __init__(self, on_continue: Callable[[], None]) -> None:
        super().__init__()
        self.setProperty("role", "overlay")
        self.setObjectName("idle-overlay")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 48, 48, 48)
        layout.setSpacing(24)
        self.message = text_label("", "title")
        self.message.setObjectName("idle-message")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.keep = button("", on_continue, "primary", name="idle-continue")
        layout.addWidget(self.message)
        layout.addWidget(self.keep)
        self.hide()

    def show_warning(self, message: str, keep: str, window: QWidget, above: int | None = None) -> None:
        """Show ``message`` centred over ``window``, as tall as its wrapped lines need.

        ``above``: in reach mode, the y of the bar at the bottom; the warning sits just above it.
        """
        self.message.setText(message)
        self.keep.setText(keep)
        self.ensurePolished()
        self.message.ensurePolished()
        self.keep.ensurePolished()
        width = max(400, min(window.width() - 2 * EDGE, MAX_WIDTH))
        layout = self.layout()
        self.setFixedWidth(width)
        need = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
        self.setFixedHeight(min(max(need, layout.totalMinimumSize().height()), window.height() - 2 * EDGE))
        top = (window.height() - self.height()) // 2
        if above is not None:
            top = max(top, above - self.height() - EDGE // 2)
        self.move((window.width() - self.width()) // 2, top)
        self.show()
        self.raise_()
