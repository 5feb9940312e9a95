"""Background work with one shape: run a function off the GUI thread, get the result back on it.

Screens never touch the network or do long disk work on the GUI thread; they hand a
function to :class:`BackgroundTasks` and receive its result (or error) by signal, in
the GUI thread, where widgets may be touched.

A result belongs to the widget that asked for it (``owner``): when that widget has been
deleted by the time the result arrives (the page was closed, evicted from the page cache
or rebuilt for another language), the result is dropped here, once for every caller.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

log = logging.getLogger(__name__)
T = TypeVar("T")


def alive(owner: QObject | None) -> bool:
    """Whether a result for ``owner`` still has somewhere to go (no owner: always)."""
    return owner is None or shiboken6.isValid(owner)


def for_owner(owner: QObject | None, callback: Callable[[T], object]) -> Callable[[T], None]:
    """``callback``, called only while ``owner`` exists: for results that several widgets share
    (a cached image or QR code is made once and handed to everyone who asked)."""

    def deliver(value: T) -> None:
        if alive(owner):
            callback(value)

    return deliver


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # reported to the caller's error handler on the GUI thread
            self._emit(self.relay.failed, exc)
        else:
            self._emit(self.relay.done, result)

    @staticmethod
    def _emit(signal: Any, value: object) -> None:
        # The app is shutting down and the relay is gone: nobody is waiting for this result.
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


class BackgroundTasks:
    """A small thread pool whose results come back as signals to the GUI thread."""

    def __init__(self, threads: int = 2) -> None:
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(threads)
        self._relays: set[_Relay] = set()
        # Work asked for while a tap is handled starts on the next turn of the event loop, after
        # the new page is painted: a worker running Python holds the GIL, and a page waiting for
        # it painted some 15 ms later when its photos, map and QR code started with it.
        self._queued: list[_Task] = []
        # Held (``hold``) until the kiosk's first frame is painted: no photo, voice list or map
        # page competes with it for the CPU.
        self._held = False
        # Paused (``pause``) while the navigator switches pages, until the new page is painted.
        self._paused = False
        self._start_soon = QTimer()
        self._start_soon.setSingleShot(True)
        self._start_soon.setInterval(0)
        self._start_soon.timeout.connect(self._start_queued)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None = None,
        *,
        owner: QObject | None = None,
    ) -> None:
        """Run ``fn`` off the GUI thread; ``on_done(result)`` or ``on_error(exc)`` on the GUI thread.

        With an ``owner``, neither is called once the owner has been deleted.
        """
        relay = _Relay()
        self._relays.add(relay)

        def finish(result: Any) -> None:
            self._release(relay)
            if alive(owner):
                on_done(result)

        def fail(exc: Exception) -> None:
            self._release(relay)
            if not alive(owner):
                return
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background task failed: %s", exc, exc_info=exc)

        relay.done.connect(finish)
        relay.failed.connect(fail)
        self._queued.append(_Task(fn, relay))
        if not self._held and not self._paused and not self._start_soon.isActive():
            self._start_soon.start()

    def hold(self) -> None:
        self._held = True

    def release(self) -> None:
        self._held = False
        if self._queued and not self._paused:
            self._start_soon.start()

    def pause(self) -> None:
        """Queue work without starting it until ``resume``: a page switch, until its frame is painted.
        Each worker started before the frame took the GIL from the GUI thread (some 2.5 ms a task)."""
        self._paused = True
        self._start_soon.stop()

    def resume(self) -> None:
        self._paused = False
        if self._queued and not self._held:
            self._start_soon.start()

    def _start_queued(self) -> None:
        queued, self._queued = self._queued, []
        for task in queued:
            self.pool.start(task)

    def _release(self, relay: _Relay) -> None:
        # The relay's connections hold the closures that hold the relay: a cycle the garbage
        # collector cannot see through Qt. Deleting the relay breaks it (one leaked per task before;
        # workaround signal-connection-cycle in kiosk_app/runtime/workarounds.py).
        self._relays.discard(relay)
        relay.deleteLater()

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until queued work is finished (tests and shutdown only).

        Work held for a first frame that never came is not started: nobody is waiting for it.
        """
        if not self._held:
            self._start_soon.stop()
            self._start_queued()
        return self.pool.waitForDone(msecs)

    @property
    def pending(self) -> int:
        return len(self._relays)
