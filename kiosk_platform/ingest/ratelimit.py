"""Per-minute request counters shared by every gunicorn worker (the ``RateWindow`` table).

Why a table and not memory or advisory locks: gunicorn runs several processes (and a site may run
several hosts); a counter in one process's memory would let a kiosk make ``workers ×`` the limit,
and advisory locks serialise but do not count. One upsert on a unique (key, minute) row is one
indexed statement in autocommit, takes its row lock for that statement only, and leaves nothing
to clean up but the key's previous minute (deleted when the next minute's row is made).
"""

from __future__ import annotations

import datetime as dt
import math

from django.db import connection

from kiosk_platform import clock


def hit(key: str, limit: int) -> float | None:
    """Count one request of ``key`` in the current minute; seconds to wait when over ``limit``, else None."""
    now = clock.now()
    window = now.replace(second=0, microsecond=0)
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO ingest_ratewindow (key, "window", count) VALUES (%s, %s, 1) '
            'ON CONFLICT (key, "window") DO UPDATE SET count = ingest_ratewindow.count + 1 RETURNING count',
            [key, window],
        )
        (count,) = cursor.fetchone()
        if count == 1:  # a new minute for this key: its older minutes are no longer needed
            cursor.execute('DELETE FROM ingest_ratewindow WHERE key = %s AND "window" < %s', [key, window])
    if count <= limit:
        return None
    return max(1.0, math.ceil((window + dt.timedelta(minutes=1) - now).total_seconds()))
