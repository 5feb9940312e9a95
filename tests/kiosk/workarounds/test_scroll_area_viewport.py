"""scroll-area-viewport-enums: the first QAbstractScrollArea.viewport() call of a process is costly."""

from __future__ import annotations

import json

from tests.kiosk.child import run_child

from .support import bug_if, still_needed

FIRST_VIEWPORT = """
import gc, json, sys
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

app = QApplication([])

def types():
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, type))

area = QScrollArea()
before = types()
if sys.argv[1] == "own":  # as kiosk_app.widgets.common.own_viewport does
    area.setViewport(QWidget())
viewport = area.viewport()
print(json.dumps(types() - before))
"""


def test_an_own_viewport_adds_no_types() -> None:
    """The control: with a viewport made in Python, asking for it costs nothing."""
    child = run_child(FIRST_VIEWPORT, "own")
    assert child.returncode == 0, child.describe()
    assert json.loads(child.stdout) == 0


@still_needed("scroll-area-viewport-enums")
def test_the_first_viewport_call_is_cheap() -> None:
    child = run_child(FIRST_VIEWPORT, "qts-own")
    assert child.returncode == 0, child.describe()
    added = json.loads(child.stdout)
    bug_if(added > 20, f"the first viewport() call built {added} type objects")
