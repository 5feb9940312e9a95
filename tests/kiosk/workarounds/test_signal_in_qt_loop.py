"""signal-in-qt-loop: a plain Python signal handler while Qt's event loop waits in C++."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.kiosk.child import ROOT

from .support import bug_if, still_needed

PLAIN_HANDLER = """
import signal
from PySide6.QtCore import QCoreApplication, QTimer
app = QCoreApplication([])
signal.signal(signal.SIGTERM, lambda *_: app.quit())  # no wakeup fd, no timer
QTimer.singleShot(0, lambda: print("ready", flush=True))
app.exec()
print("left", flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="POSIX signals")
@still_needed("signal-in-qt-loop")
def test_a_python_signal_handler_runs_while_qt_waits() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-c", PLAIN_HANDLER], stdout=subprocess.PIPE, text=True, env=env,
                            cwd=ROOT)  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(0.3)  # the loop is waiting in C++ now
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=2)
        except subprocess.TimeoutExpired:
            bug_if(True, "SIGTERM's Python handler did not run within 2 s while Qt's loop waited")
        assert proc.returncode == 0 and out == "left\n"
    finally:
        proc.kill()
        proc.wait()
