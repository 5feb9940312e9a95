"""gesture-enum-per-grab: each QScroller.grabGesture leaves a new Python enum class behind."""

from __future__ import annotations

import json

from tests.kiosk.child import run_child

from .support import bug_if, still_needed

GRABS = 20

COUNT_TYPES = """
import gc, json, sys
from PySide6.QtWidgets import QApplication, QScroller, QWidget
from kiosk_app.widgets.common import KineticOnShow

app = QApplication([])
grabs = int(sys.argv[2])

def types():
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, type))

widgets = [QWidget() for _ in range(grabs + 1)]
QScroller.grabGesture(widgets[-1], QScroller.ScrollerGestureType.LeftMouseButtonGesture)  # first-use costs
KineticOnShow.gesture()
before = types()
for widget in widgets[:grabs]:
    if sys.argv[1] == "each-its-own":
        QScroller.grabGesture(widget, QScroller.ScrollerGestureType.LeftMouseButtonGesture)
    else:  # as KineticOnShow does for each page it shows
        QScroller.scroller(widget)
        widget.grabGesture(KineticOnShow.gesture())
print(json.dumps(types() - before))
"""


def test_the_shared_recogniser_adds_no_types() -> None:
    """The control: the kiosk's way (one recogniser, its gesture type grabbed by each viewport)."""
    child = run_child(COUNT_TYPES, "shared", str(GRABS))
    assert child.returncode == 0, child.describe()
    assert json.loads(child.stdout) == 0


@still_needed("gesture-enum-per-grab")
def test_grabbing_the_flick_gesture_adds_no_python_types() -> None:
    child = run_child(COUNT_TYPES, "each-its-own", str(GRABS))
    assert child.returncode == 0, child.describe()
    added = json.loads(child.stdout)
    bug_if(added >= GRABS, f"{GRABS} grabGesture calls left {added} new type objects")
    assert added == 0
