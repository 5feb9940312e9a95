"""SIGTERM and SIGINT handled inside Qt's event loop, the way qutebrowser's ``crashsignal`` does.

Python runs a signal handler only between two bytecodes of the main thread; while Qt's loop
waits in C++ for events no bytecode runs, so a Python handler alone would wait for the next
tap (workaround ``signal-in-qt-loop`` in ``workarounds.py``). Instead Python's C-level
handler writes the signal's number to a socket (``signal.set_wakeup_fd``), a ``QSocketNotifier``
wakes the loop, and the number read there is emitted as ``SignalWatcher.signalled`` from the
event loop, at a moment when the kiosk is between two events (never in the middle of Python code).
No timer polls.

The first signal asks the kiosk to leave cleanly; the default action is restored then, so a
second one ends the process at once if leaving hangs (systemd would send SIGKILL later anyway).
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable, Iterable
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier, Signal

log = logging.getLogger("kiosk.signals")

Handler = Callable[[int, FrameType | None], object] | int | None


class SignalWatcher(QObject):
    """Emits ``signalled`` from the Qt event loop for SIGTERM/SIGINT (``activate`` on the GUI thread)."""

    signalled = Signal(int)  # the signal's number, once: the first one only

    def __init__(self, signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.signals = tuple(signals)
        self.received: list[int] = []
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None
        self._old_handlers: dict[int, Handler] = {}
        self._old_wakeup_fd = -1

    @property
    def active(self) -> bool:
        return self._notifier is not None

    def activate(self) -> SignalWatcher:
        """From the main thread, once the QApplication exists (a socket notifier needs its loop)."""
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)  # the C handler must never block, nor the reader
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._wake)
        self._old_wakeup_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for sig in self.signals:
            # A Python-level handler is what makes Python's C handler write to the wakeup fd;
            # the work itself happens in ``_wake``, from the event loop.
            self._old_handlers[sig] = signal.signal(sig, _noted)
        return self

    def deactivate(self) -> None:
        """Put back the handlers and wakeup fd found at ``activate`` (tests; the kiosk keeps it to the end)."""
        if self._notifier is None:
            return
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self._old_handlers.clear()
        signal.set_wakeup_fd(self._old_wakeup_fd)
        self._notifier.setEnabled(False)
        self._notifier.deleteLater()
        self._notifier = None
        for end in (self._reader, self._writer):
            if end is not None:
                end.close()
        self._reader = self._writer = None

    def _wake(self) -> None:
        assert self._reader is not None
        try:
            data = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        for number in data:
            if number in self.signals:
                self._handle(number)

    def _handle(self, number: int) -> None:
        name = signal.Signals(number).name
        self.received.append(number)
        if len(self.received) == 1:
            log.info("%s received: leaving (a second one ends the process at once)", name)
            for sig in self.signals:
                signal.signal(sig, signal.SIG_DFL)
            self.signalled.emit(number)


def _noted(_number: int, _frame: FrameType | None) -> None:
    """Python-level half of the handler: nothing to do here, ``SignalWatcher._wake`` acts."""
