"""A timed wait that runs out comes back after its timeout, under whatever clock the suite runs.

CI runs these tests under libfaketime (another year, hour and time zone). Faking the monotonic clock
as well made every wait that runs out (a Python lock or queue with a timeout, C++'s
``condition_variable::wait_for`` inside Qt and Chromium) sleep for years: one such wait held a CI
run until its limit. ``scripts/test`` fakes the wall clock only; this test fails, instead of
hanging, if that is ever lost. With the monotonic clock left alone, libfaketime 0.9.10 breaks
``time.sleep`` instead (EINVAL), and with it ``subprocess``'s timeouts: ``tests/faked_clock_sleep.py``
mends that, and this test checks both. The waits run in a child so that a broken clock cannot hang
the suite.
"""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import queue, subprocess, sys, threading, time
started = time.monotonic()
lock = threading.Lock()
lock.acquire()
assert not lock.acquire(timeout=0.2)
assert not threading.Event().wait(0.2)
try:
    queue.Queue().get(timeout=0.2)
except queue.Empty:
    pass
time.sleep(0.2)
try:
    subprocess.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.3)
except subprocess.TimeoutExpired:
    pass
else:
    raise AssertionError("a 30 s child outlived its 0.3 s timeout")
print(round(time.monotonic() - started, 2))
"""


def test_timed_waits_run_out_on_time() -> None:
    try:
        done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            "five waits of 0.2-0.3 s did not come back within 60 s: the clock the tests run under breaks "
            "timed waits (libfaketime faking CLOCK_MONOTONIC? scripts/test passes --exclude-monotonic)"
        ) from None
    assert done.returncode == 0, done.stderr
    assert 1.0 <= float(done.stdout) < 10, done.stdout  # each wait took its 0.2 s (the child its 0.3 s)
