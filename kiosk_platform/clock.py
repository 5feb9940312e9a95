"""The platform's clock, injectable across processes.

Fleet status (late, offline), code expiry, contact retention and roll-out waves all depend on
"now". Tests run the real server (gunicorn, several workers) and move time by writing an ISO
time into the file ``KIOSK_PLATFORM_CLOCK_FILE`` names; without it, the system clock.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path


def now() -> dt.datetime:
    """The current time, timezone-aware (UTC)."""
    path = os.environ.get("KIOSK_PLATFORM_CLOCK_FILE")
    if path:
        text = Path(path).read_text(encoding="utf-8").strip()
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError(f"{path}: the clock file needs a time with its offset, got {text!r}")
        return moment.astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC)


def set_clock_file(path: Path, moment: dt.datetime) -> None:
    """Write ``moment`` into a clock file atomically (tests and the demo's replay)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(moment.isoformat(), encoding="utf-8")
    tmp.replace(path)
