"""Idle reset: after a quiet period, a short warning, then the next visitor starts fresh."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

ACTIVITY = {
    QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate, QEvent.Type.KeyPress, QEvent.Type.Wheel,
}  # fmt: skip


class IdleWatcher(QObject):
    """Watches every input event of the application (install as an application event filter)."""

    warning = Signal(int)  # seconds left; emitted once a second during the warning
    cancelled = Signal()
    expired = Signal()

    def __init__(self, timeout_s: int, warning_s: int) -> None:
        super().__init__()
        self.warning_s = warning_s
        self.quiet = QTimer(self)
        self.quiet.setSingleShot(True)
        self.quiet.setInterval(timeout_s * 1000)
        self.quiet.timeout.connect(self._start_warning)
        self.tick = QTimer(self)
        self.tick.setInterval(1000)
        self.tick.timeout.connect(self._count_down)
        self.left = 0
        self.enabled = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY:
            self.poke()
        return False

    def poke(self) -> None:
        if self.tick.isActive():
            self.tick.stop()
            self.cancelled.emit()
        if self.enabled:
            self.quiet.start()

    def set_enabled(self, enabled: bool) -> None:
        """Off while the attract loop shows: there is nothing to reset."""
        self.enabled = enabled
        if enabled:
            self.quiet.start()
        else:
            self.quiet.stop()
            if self.tick.isActive():
                self.tick.stop()
                self.cancelled.emit()

    def expire_now(self) -> None:
        self.quiet.stop()
        self.tick.stop()
        self.expired.emit()

    def _start_warning(self) -> None:
        self.left = self.warning_s
        self.warning.emit(self.left)
        self.tick.start()

    def _count_down(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.tick.stop()
            self.expired.emit()
        else:
            self.warning.emit(self.left)
