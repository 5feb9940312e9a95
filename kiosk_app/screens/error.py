"""A friendly page instead of a traceback; it returns to the start by itself."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer

from ..strings import N_
from ..widgets.common import button, text_label
from .base import Screen

RETURN_AFTER_MS = 8000


class ErrorScreen(Screen):
    name = "error"

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._go_home)

    def render(self) -> None:
        self.clear_body()
        tr, m = self.ctx.tr, self.ctx.metrics
        self.body.setContentsMargins(m.margin * 2, m.margin * 2, m.margin * 2, m.margin * 2)
        self.body.addStretch(1)
        title = text_label(tr("error.title"), "title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(title)
        key = N_("error.no_content") if self.params.get("no_content") else N_("error.body")
        body = text_label(tr(key), "heading")
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(body)
        self.body.addWidget(button(tr("nav.home"), self._go_home, "primary", name="error-home"))
        self.body.addStretch(1)

    def entered(self) -> None:
        if not self.params.get("no_content"):
            self.timer.start(RETURN_AFTER_MS)

    def _go_home(self) -> None:
        self.timer.stop()
        self.ctx.router.home()

    def reset(self) -> None:
        self.timer.stop()
        super().reset()
