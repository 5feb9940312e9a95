"""Night mode: when a kiosk in a hotel room or at a scenic spot goes dark and quiet.

A bright slideshow changing every few seconds all night lights a hotel room and wastes a
scenic spot's power. On a schedule (``night.start`` to ``night.end``, the kiosk's own time
zone, read from the kiosk's injected clock) the attract loop becomes a dark, dim screen: a
small clock and "touch to wake", with the slideshow dimmed and slowed or stopped. A touch
wakes it to home. Plain Python: the attract screen asks, the config builds the schedule.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ATTRACT_AT_NIGHT = ("slow", "off")
# Profiles that have a night unless their kiosk.toml says otherwise: (start, end, attract loop).
PROFILE_NIGHT: dict[str, tuple[str, str, str]] = {
    "hotel_room": ("22:00", "07:00", "off"),  # a guest asleep: no slideshow at all
    "scenic_spot": ("20:00", "07:00", "slow"),  # a passer-by after dark: dim, slow pictures
}
_HH_MM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")

# The night screen's own colours: dim grey on black (not a theme: it never carries a page).
NIGHT_BACKGROUND = "#000000"
NIGHT_TEXT = "#8A8A8A"  # 5.9:1 on black: readable, not bright
NIGHT_DIM_TEXT = "#6E6E6E"  # 4.0:1: the invitation under the clock
NIGHT_SLIDE_OPACITY = 0.3  # a slow slideshow shows through this much of its brightness


def parse_hh_mm(value: str) -> dt.time | None:
    """``"22:30"`` as a time of day; None for anything else."""
    match = _HH_MM.fullmatch(value) if isinstance(value, str) else None
    return dt.time(int(match[1]), int(match[2])) if match else None


@dataclass(frozen=True)
class NightSchedule:
    """From ``start`` to ``end`` in ``zone``; a start later than the end runs past midnight."""

    start: dt.time
    end: dt.time
    attract: str  # "slow" or "off"
    slide_seconds: int
    zone: str

    def is_night(self, now: dt.datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.zone)).time() if now.tzinfo else now.time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end
