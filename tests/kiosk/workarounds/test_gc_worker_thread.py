"""gc-worker-thread: Python's automatic cycle collection, run by a worker thread, and GUI-thread objects."""

from __future__ import annotations

from tests.kiosk.child import run_child

from .support import bug_if, still_needed

WRONG_THREAD = "Timers cannot be stopped from another thread"

CYCLES_AND_A_WORKER = """
import gc, sys, threading
from PySide6.QtCore import QCoreApplication, QObject, QTimer

app = QCoreApplication([])
if sys.argv[1] == "gui-thread-collector":
    from kiosk_app.runtime.memory import MainThreadGC
    collector = MainThreadGC(app)
gc.collect()

class Holder(QObject):  # a GUI-thread object with a running timer, freed only by the cycle collector
    def __init__(self):
        super().__init__()
        self.timer = QTimer(self)
        self.timer.start(60_000)
        self.me = self

for _ in range(5):
    Holder()

def worker():  # allocates, as building a map page or decoding photos does
    kept = [[] for _ in range(50_000)]

thread = threading.Thread(target=worker)
thread.start()
thread.join()
print("done", flush=True)
"""


def test_with_the_gui_thread_collector_a_worker_collects_nothing() -> None:
    """The control: with MainThreadGC the same worker leaves the cycles for the GUI thread."""
    child = run_child(CYCLES_AND_A_WORKER, "gui-thread-collector")
    assert child.returncode == 0 and "done" in child.stdout, child.describe()
    assert WRONG_THREAD not in child.stderr


@still_needed("gc-worker-thread")
def test_a_worker_thread_collection_leaves_gui_objects_alone() -> None:
    child = run_child(CYCLES_AND_A_WORKER, "python-default")
    bug_if(WRONG_THREAD in child.stderr, "the worker's automatic collection destroyed GUI-thread timers")
    assert child.returncode == 0 and "done" in child.stdout, child.describe()
