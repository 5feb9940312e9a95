"""Date ranges from query strings, in the platform's time zone (settings.TIME_ZONE).

"Today" is the platform clock's date in that zone (``kiosk_platform.clock.now()``), so a test that
moves the clock moves the default range; the machine's own zone never matters.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from kiosk_platform import clock


class BadRange(ValueError):
    """A range the visitor gave that we refuse, in plain words."""


def today() -> dt.date:
    return clock.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def parse_range(
    first: str | None, last: str | None, *, default_days: int, max_days: int, default_last: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """``(first_day, last_day)`` from ``YYYY-MM-DD`` strings; missing ones default to the
    ``default_days`` ending ``default_last`` (today). Refuses reversed or longer-than-``max_days`` ranges."""
    end = default_last or today()

    def day(text: str | None, name: str, fallback: dt.date) -> dt.date:
        if text is None or text.strip() == "":
            return fallback
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError as exc:
            raise BadRange(f"'{name}' must be a date written YYYY-MM-DD, not {text[:20]!r}") from exc

    last_day = day(last, "to", end)
    first_day = day(first, "from", last_day - dt.timedelta(days=default_days - 1))
    if first_day > last_day:
        raise BadRange("the range starts after it ends: 'from' must be on or before 'to'")
    if (last_day - first_day).days + 1 > max_days:
        raise BadRange(f"the range is {(last_day - first_day).days + 1} days; at most {max_days} days at a time")
    return first_day, last_day
