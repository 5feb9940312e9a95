"""Regression guard for the pinned PySide6: void Qt methods must not leak references to None.

PySide6 6.12.0 on CPython 3.11 takes one reference from ``None`` on every call of a Qt
method that returns nothing and aborts the process ("Fatal Python error: none_dealloc")
after a few thousand calls; a kiosk resizes and repaints widgets far more often than that.
The check runs in a child process so that an abort fails this test instead of the run.
"""

from __future__ import annotations

import os
import subprocess
import sys

CHILD = r"""
import sys
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
widget = QWidget()
before = sys.getrefcount(None)
for i in range(10_000):
    widget.resize(100 + i % 7, 80)
    widget.setWindowTitle("x")
after = sys.getrefcount(None)
print(after - before)
"""


def test_void_qt_calls_do_not_leak_none_references() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, f"child died ({proc.returncode}): {proc.stderr[-2000:]}"
    delta = int(proc.stdout.strip().splitlines()[-1])
    # 20,000 void calls: a leaking binding shows a delta near -20,000; a sound one shows ~0.
    assert abs(delta) < 100, f"sys.getrefcount(None) changed by {delta} over 20,000 void calls"


def test_installed_pyside_is_the_pinned_version() -> None:
    import PySide6

    if sys.version_info < (3, 12):
        assert PySide6.__version__ != "6.12.0", "PySide6 6.12.0 aborts on CPython 3.11; keep the pin"
