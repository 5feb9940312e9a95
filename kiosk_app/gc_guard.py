"""Python's cycle collector runs only on the GUI thread.

The collector runs in whichever thread happens to allocate when a threshold is crossed;
with work in background threads (building the map page, drawing small maps, synthesising
speech) that can be a worker, which then destroys widgets and timers that belong to the
GUI thread ("Timers cannot be stopped from another thread", or worse). So the automatic
collector is switched off and the same generational collection is driven by a timer on
the GUI thread, with the thresholds Python itself would use.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class MainThreadGC(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.collections = 0
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        t0, t1, t2 = self.thresholds
        c0, c1, c2 = gc.get_count()
        if c0 > t0:
            generation = 2 if c2 > t2 else 1 if c1 > t1 else 0
            gc.collect(generation)
            self.collections += 1

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()
