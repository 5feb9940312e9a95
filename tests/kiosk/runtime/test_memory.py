"""The GUI-thread collector collects as Python's own would, from the GUI thread only."""

from __future__ import annotations

import gc

from kiosk_app.runtime.memory import MainThreadGC


def test_collections_follow_pythons_thresholds(gui_thread_gc: MainThreadGC) -> None:
    collector = gui_thread_gc  # the session's, as the kiosk runs it
    assert not gc.isenabled() and collector.timer.isActive()
    assert collector.thresholds == gc.get_threshold()
    gc.collect()
    done = collector.collections
    collector.check()
    assert collector.collections == done  # nothing allocated since: nothing to do
    kept = [[] for _ in range(collector.thresholds[0] + 100)]  # containers, as a built page makes
    assert gc.get_count()[0] > collector.thresholds[0]
    collector.check()
    assert collector.collections == done + 1 and gc.get_count()[0] < collector.thresholds[0]
    assert len(kept) > collector.thresholds[0]
