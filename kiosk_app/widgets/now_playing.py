"""The small bar the shell shows while a narration plays away from its own page.

Kept apart from the audio guide panel so the shell (on the way to the first screen) does
not import the panel, its slider and transcript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout

from ..narration import PAUSED, PLAYING
from .common import button, text_label

if TYPE_CHECKING:
    from ..context import AppContext
    from ..narration import NarrationItem


class NowPlayingBar(QFrame):
    """Shown by the shell while a narration plays away from its own page: pause and stop from anywhere."""

    def __init__(self, ctx: AppContext, shown_elsewhere: Callable[[NarrationItem], bool]) -> None:
        super().__init__()
        self.ctx = ctx
        self.player = ctx.narration
        self.shown_elsewhere = shown_elsewhere
        self.setObjectName("now-playing")
        self.setProperty("role", "status")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 6)
        layout.setSpacing(12)
        self.label = text_label("", wrap=False)
        self.label.setObjectName("now-playing-title")
        self.toggle = button("", self.player.toggle, name="now-playing-toggle")
        self.stop = button("", self.player.stop, name="now-playing-stop")
        layout.addWidget(self.label, 1)
        layout.addWidget(self.toggle)
        layout.addWidget(self.stop)
        self.player.state_changed.connect(self.refresh)
        self.player.item_changed.connect(self.refresh)
        self.hide()

    @Slot()
    def refresh(self, *_args: object) -> None:
        player, tr = self.player, self.ctx.tr
        item = player.current
        show = item is not None and player.active and not self.shown_elsewhere(item)
        self.setVisible(show)
        if not show or item is None:
            return
        title = item.title or tr("narration.this_screen")
        text = tr("narration.now_playing", title=title)
        self.label.setText(self.label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                                               max(200, self.width() // 2)))  # fmt: skip
        self.toggle.setText(tr("narration.resume") if player.state == PAUSED else tr("narration.pause"))
        self.toggle.setEnabled(player.state in (PLAYING, PAUSED))
        self.stop.setText(tr("narration.stop"))
