"""A kiosk's status from its newest heartbeat: online, late, offline or never.

A kiosk beats every 15 minutes by default; ``HEARTBEAT_LATE_MINUTES`` (35) forgives one lost beat
before calling it late, ``HEARTBEAT_OFFLINE_MINUTES`` (120) calls it offline. Pure: "now" and the
thresholds are given, so the boundaries are tested without a server or a clock.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum


class Status(StrEnum):
    ONLINE = "online"
    LATE = "late"
    OFFLINE = "offline"
    NEVER = "never"

    @property
    def label(self) -> str:
        return {"online": "Online", "late": "Late", "offline": "Offline", "never": "Never seen"}[self.value]


ORDER = (Status.ONLINE, Status.LATE, Status.OFFLINE, Status.NEVER)


def status_of(
    last_heartbeat_at: dt.datetime | None, now: dt.datetime, *, late_minutes: int, offline_minutes: int
) -> Status:
    """Online up to and including ``late_minutes`` since the heartbeat, late up to and including
    ``offline_minutes``, offline after; never without a heartbeat. A heartbeat from the future
    (a kiosk's clock ahead) counts as online."""
    if last_heartbeat_at is None:
        return Status.NEVER
    age = now - last_heartbeat_at
    if age <= dt.timedelta(minutes=late_minutes):
        return Status.ONLINE
    if age <= dt.timedelta(minutes=offline_minutes):
        return Status.LATE
    return Status.OFFLINE


def status_now(last_heartbeat_at: dt.datetime | None) -> Status:
    """``status_of`` with the platform's clock and settings."""
    from django.conf import settings

    from kiosk_platform import clock

    return status_of(
        last_heartbeat_at,
        clock.now(),
        late_minutes=settings.HEARTBEAT_LATE_MINUTES,
        offline_minutes=settings.HEARTBEAT_OFFLINE_MINUTES,
    )


def human_bytes(size: int | None) -> str:
    """Free disk as people read it: "47.7 GB", "512 MB" (powers of 1024, like `df -h`)."""
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" or value >= 100 else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def human_age(delta: dt.timedelta) -> str:
    """An age in one short unit: "just now", "12 min", "3 h", "2 d"."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
