"""``time.sleep`` that works under ``faketime --exclude-monotonic`` (the CI's faked-clock stages).

Run at interpreter start by the ``.pth`` file ``scripts/test`` writes into the virtual environment,
in every Python process (the suite and the children it starts), and only when libfaketime leaves the
monotonic clock alone (``FAKETIME_DONT_FAKE_MONOTONIC=1``).

Why: libfaketime 0.9.10 (Debian bookworm) cannot fake the wall clock without breaking one of two
things. Faking CLOCK_MONOTONIC too (its default) makes every timed wait that runs out (a Python lock,
event or queue with a timeout; C++ ``wait_for`` inside Qt and Chromium) wait for years, since
``sem_clockwait`` and ``pthread_cond_clockwait`` are not intercepted: one such wait held a CI run
until its limit. Excluding it fixes those waits, but libfaketime's ``clock_nanosleep`` still converts
a TIMER_ABSTIME deadline on CLOCK_MONOTONIC as if it were faked: CPython's ``time.sleep`` asks for
``{tv_sec=-1805155044}`` and gets EINVAL (seen with strace). Upstream: wolfcw/libfaketime #469, #223.
``select`` with a timeout (relative, not intercepted) is unaffected, so sleeping goes through it.
"""

from __future__ import annotations

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
