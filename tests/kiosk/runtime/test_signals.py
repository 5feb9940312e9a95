"""SIGTERM/SIGINT reach the kiosk while Qt's loop waits in C++, with no timer waking Python up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from kiosk_app.runtime.memory import MainThreadGC
from kiosk_app.runtime.signals import SignalWatcher
from tests.kiosk.child import ROOT

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="POSIX signals")

# A bare kiosk loop: no Python timer of any kind, so only the watcher can wake Python up.
BARE_LOOP = """
import signal
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from kiosk_app.runtime.signals import SignalWatcher
app = QApplication([])
watcher = SignalWatcher(parent=app)
watcher.signalled.connect(lambda number: (print("left on", signal.Signals(number).name, flush=True), app.quit()))
watcher.activate()
QTimer.singleShot(0, lambda: print("ready", flush=True))
raise SystemExit(app.exec())
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_an_idle_loop_promptly_and_cleanly(sig: signal.Signals) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-c", BARE_LOOP], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=ROOT)  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(0.3)  # the loop is waiting in C++ now, with no Python left to run
        proc.send_signal(sig)
        # The old 500 ms wake-up timer is gone: a plain Python handler would wait here for good
        # (tests/kiosk/workarounds/test_signal_in_qt_loop.py shows it).
        out, err = proc.communicate(timeout=2)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out == f"left on {sig.name}\n"


def test_the_watcher_wakes_the_loop_from_a_signal_sent_while_it_waits(qtbot, gui_thread_gc: MainThreadGC) -> None:  # type: ignore[no-untyped-def]
    """In this process: the collector's timer (the only Python timer here) is stopped meanwhile."""
    gui_thread_gc.timer.stop()
    watcher = SignalWatcher(signals=(signal.SIGUSR2,)).activate()
    try:
        assert signal.getsignal(signal.SIGUSR2) not in (signal.SIG_DFL, signal.SIG_IGN)
        sender = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGUSR2))
        with qtbot.waitSignal(watcher.signalled, timeout=5000) as caught:
            sender.start()  # runs once the loop below has released Python's lock
        sender.join()
        assert caught.args == [signal.SIGUSR2]
        assert watcher.received == [signal.SIGUSR2]
        # The first signal asked to leave; a second would end the process at once.
        assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL
    finally:
        watcher.deactivate()
        gui_thread_gc.timer.start()
    assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL  # what it was before
    assert signal.set_wakeup_fd(-1) == -1  # and no wakeup fd left behind
