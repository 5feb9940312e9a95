"""Waiting before trying a server again: ``Retry-After`` and exponential backoff with jitter.

One rule for everything that talks to a server (the channel's downloader and poll schedule,
the outbox's sender), so a fleet backs off the same way whatever it was sending.
"""

from __future__ import annotations

import datetime as dt
import random


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    import email.utils  # here, not at the top: with socket, ~10 ms of every kiosk start

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_seconds(
    failures: int, base: float, cap: float, rng: random.Random, *, retry_after: float | None = None,
    max_retry_after: float = 24 * 3600.0,
) -> float:  # fmt: skip
    """The wait after ``failures`` (>= 1) failures in a row: ``min(cap, base * 2**(n-1))`` with
    "equal jitter" (half fixed, half random); a server's ``Retry-After`` is a floor, itself capped."""
    delay = min(cap, base * 2 ** min(failures - 1, 32))
    wait = delay / 2 + rng.uniform(0, delay / 2)
    return floor_retry_after(wait, retry_after, max_retry_after)


def floor_retry_after(wait: float, retry_after: float | None, max_retry_after: float) -> float:
    """``wait``, or longer if the server asked for it (``Retry-After``, at most ``max_retry_after``)."""
    if retry_after is not None and retry_after > 0:
        return max(wait, min(retry_after, max_retry_after))
    return wait
