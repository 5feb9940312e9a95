"""pyside-none-dealloc: the pinned PySide6 keeps reference counts balanced across Qt calls.

PySide6 6.12.0 on CPython 3.11 gives back one reference to ``None`` on every call of a Qt
method that returns nothing, and the process aborts ("Fatal Python error: none_dealloc") after
a few thousand calls. 6.12.0 is not installed here, so this cannot reproduce it; it guards the
pin instead: counts of references around many calls, on objects that are mortal on every
Python (arguments, fresh return values) and on ``None`` where it is mortal (before 3.12;
from 3.12 None is immortal and that bug can neither abort nor be counted). The probe runs in
a child process, so an abort fails this test instead of the run.
"""

from __future__ import annotations

import json
import sys
import tomllib

from tests.kiosk.child import ROOT, run_child

CALLS = 10_000

PROBE = """
import json, sys
from PySide6.QtCore import QPoint, QSize
from PySide6.QtWidgets import QApplication, QWidget

CALLS = int(sys.argv[1])
app = QApplication([])
widget = QWidget()

def delta(obj, call):
    before = sys.getrefcount(obj)
    for _ in range(CALLS):
        call(obj)
    return sys.getrefcount(obj) - before

def none_delta():
    before = sys.getrefcount(None)
    for i in range(CALLS):
        widget.resize(100 + i % 7, 80)  # void: returns None
        widget.setWindowTitle("x")
    return sys.getrefcount(None) - before

kept = []
results = {
    # arguments of void calls: taken and given back
    "setWindowTitle(str)": delta("".join(["kiosk ", "title"]), widget.setWindowTitle),
    "setObjectName(str)": delta("".join(["kiosk-", "name"]), widget.setObjectName),
    "resize(QSize)": delta(QSize(120, 80), widget.resize),
    "move(QPoint)": delta(QPoint(3, 4), widget.move),
    # the control: a call that really keeps its argument must show up as CALLS
    "control: list.append": delta("".join(["kept ", "value"]), kept.append),
    # fresh return values: as many references as any fresh object has (the caller's only)
    "windowTitle() extra refs": sys.getrefcount(widget.windowTitle()) - sys.getrefcount("".join(["a", "b"])),
    "size() extra refs": sys.getrefcount(widget.size()) - sys.getrefcount(object()),
}
before = sys.getrefcount(None)
nones = [None] * 1000  # 1,000 more references, if None's count counts at all
results["none_is_mortal"] = sys.getrefcount(None) - before >= 1000
if results["none_is_mortal"]:
    results["void calls: None"] = none_delta()
print(json.dumps(results))
"""


def test_qt_calls_keep_reference_counts_balanced() -> None:
    child = run_child(PROBE, str(CALLS), timeout=120)
    assert child.returncode == 0, f"the probe died:\n{child.describe()}"
    found = json.loads(child.stdout.strip().splitlines()[-1])
    assert found.pop("control: list.append") == CALLS  # the probe sees a reference kept per call
    assert found.pop("windowTitle() extra refs") == 0 and found.pop("size() extra refs") == 0
    assert found.pop("none_is_mortal") == (sys.version_info < (3, 12))
    # A leaking binding shows about ±CALLS (or ±2×CALLS for None); a sound one shows 0.
    assert {name: d for name, d in found.items() if abs(d) >= 100} == {}, found


def test_installed_pyside_is_the_pinned_version() -> None:
    import PySide6
    import shiboken6

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = [d.split("==", 1)[1] for d in dependencies if d.startswith("PySide6==")]
    assert pins == [PySide6.__version__] == [shiboken6.__version__]
    assert PySide6.__version__ != "6.12.0"
