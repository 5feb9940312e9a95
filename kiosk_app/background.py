"""Background work with one shape: run a function off the GUI thread, get the result back on it.

Screens never touch the network or do long disk work on the GUI thread; they hand a
function to :class:`BackgroundTasks` and receive its result (or error) by signal, in
the GUI thread, where widgets may be touched.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


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

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        relay = _Relay()
        self._relays.add(relay)

        def finish(result: Any) -> None:
            self._release(relay)
            on_done(result)

        def fail(exc: Exception) -> None:
            self._release(relay)
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background task failed: %s", exc, exc_info=exc)

        relay.done.connect(finish)
        relay.failed.connect(fail)
        self.pool.start(_Task(fn, relay))

    def _release(self, relay: _Relay) -> None:
        # The relay's connections hold the closures that hold the relay: a cycle the garbage
        # collector cannot see through Qt. Deleting the relay breaks it (one leaked per task before).
        self._relays.discard(relay)
        relay.deleteLater()

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until queued work is finished (tests and shutdown only)."""
        return self.pool.waitForDone(msecs)

    @property
    def pending(self) -> int:
        return len(self._relays)
