"""Memory care for a process that runs for weeks: who collects cycles, and where freed memory goes.

Python's cycle collector runs only on the GUI thread. The collector runs in whichever thread
happens to allocate when a threshold is crossed; with work in background threads (building
the map page, drawing small maps, synthesising speech) that can be a worker, which then
destroys widgets and timers that belong to the GUI thread ("Timers cannot be stopped from
another thread", or worse). So the automatic collector is switched off and the same
generational collection is driven by a timer on the GUI thread, with the thresholds Python
itself would use (workaround ``gc-worker-thread`` in ``workarounds.py``).

Besides: few glibc malloc arenas, freed memory returned at idle reset, and what exists at the
first paint frozen out of full collections.
"""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

if TYPE_CHECKING:
    import ctypes

_M_ARENA_MAX = -8


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only here, off the way to the first screen

    try:
        return ctypes.CDLL(None)  # the process's own symbols, glibc's among them (no ldconfig run)
    except OSError:
        return None


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Before any thread starts: few glibc malloc arenas.

    Worker threads decode images and tiles; each thread may get its own arena, and memory
    freed on the GUI thread then stays scattered over all of them. A kiosk runs for weeks:
    fewer arenas keep its resident size flat, at no measurable cost in speed here.
    """
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, arenas)


def release_free_memory() -> None:
    """Give memory freed by the last visit back to the system (idle reset)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def release_after_reset() -> None:
    """At an idle reset, once the last visit's pages are gone: they are deleted on the next turn
    of the event loop, so trimming from the reset itself returned almost nothing."""

    def release() -> None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()
        release_free_memory()

    QTimer.singleShot(0, release)


def freeze_startup_objects() -> None:
    """Once the first screen is up: what exists now (modules, the window, the content store)
    lives as long as the kiosk, so full collections need not walk it again. They took some
    20 ms with a few pages built, in the middle of a tap when one fell due; about 5 after."""
    gc.collect()
    gc.freeze()


class MainThreadGC(QObject):
    """Generational collection on a GUI-thread timer, with the automatic collector switched off."""

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
