"""One kiosk as a process, for the chaos test: the real ``Outbox`` and ``Sender`` on its own device.db.

``python -m tests.kiosk_platform.kiosk_process FOLDER URL TOKEN COUNT SEED`` records event number
``n`` with the id ``event_id(SEED, n)`` until COUNT are recorded, appending each id to
``FOLDER/ids.txt`` (fsync'd) after ``record()`` returns, sending through URL every few events, then
sends until nothing waits and exits 0. Killed (SIGKILL) and started again it goes on where it was:
an event committed but killed before its id reached ids.txt is found in the outbox (ids are
deterministic) and written then, so ids.txt is exactly what the kiosk committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import sys
import time
from pathlib import Path

from content_sync.device.outbox import Outbox, Sender, SendPolicy

LOCAL = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 5, 2, 9, 0, tzinfo=LOCAL)
TYPES = ("screen_shown", "item_viewed", "search", "visit_ended", "language_chosen")
POLICY = SendPolicy(max_events=200, timeout=(2.0, 10.0), backoff_base=0.05, backoff_max=0.4)


def event_id(seed: int, n: int) -> str:
    return hashlib.sha256(f"{seed}:{n}".encode()).hexdigest()[:32]


def kiosk_clock() -> dt.datetime:
    """The kiosk's local time, moving with the monotonic clock (never the wall clock)."""
    return START + dt.timedelta(seconds=time.monotonic() % 36000)


def read_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="ascii").split("\n") if len(line) == 32]


def append_id(path: Path, value: str) -> None:
    with path.open("a", encoding="ascii") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def main(folder: Path, url: str, token: str, count: int, seed: int) -> int:
    ids_file = folder / "ids.txt"
    rng = random.Random(seed)
    with Outbox(folder / "device.db", kiosk_clock) as outbox:
        recorded = read_ids(ids_file)
        n = len(recorded)
        pending = {e["id"] for e in outbox.pending()}
        if n < count and event_id(seed, n) in pending:  # committed, then killed before ids.txt
            append_id(ids_file, event_id(seed, n))
            n += 1
        sender = Sender(outbox, url, token, policy=POLICY, rng=rng)
        while n < count:
            outbox.make_id = lambda n=n: event_id(seed, n)
            type_ = TYPES[n % len(TYPES)]
            data = {"results": n % 4, "visit": f"v{n // 10}"} if type_ == "search" else {}
            if type_ == "visit_ended":
                data = {"seconds": n % 300, "screens": 3}
            outbox.usage(type_, f"venue:{n % 13}" if type_ != "search" else f"term {n % 5}", **data)
            append_id(ids_file, event_id(seed, n))
            n += 1
            if n % 50 == 0:
                sender.send_due()
        deadline = time.monotonic() + 150
        while outbox.pending() or outbox.daily_counts():
            if time.monotonic() > deadline:
                return 3
            if not sender.send_due() or sender.not_before is not None:
                time.sleep(0.05)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
