"""What the screens show of the live feeds: the current weather and the transport notices in force.

The sync agent keeps the last good feed of each kind in the device database
(``sync_state``, key ``feed.<kind>``; see ``content_sync/sync/feeds.py``). The feed was
checked when it arrived, but the screens read that table as it is on disk, so every value
is looked at again here and anything unexpected reads as "no feed" rather than a traceback.
Time is always the kiosk's injected clock; a feed is hidden once it is older than its limit
(``kiosk.toml`` ``[feeds]``) or past its own ``valid_until``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from .strings import Translator

#: The order notices are shown in: the most urgent first.
SEVERITY_ORDER = ("alert", "warning", "info")
MODES = ("air", "rail", "metro", "bus", "ferry")
#: A feed issued further ahead of the kiosk's clock than this is not shown: its age cannot be told
#: (a device clock far behind, or a value no publisher wrote); a few minutes read as "just now".
FUTURE_TOLERANCE = dt.timedelta(hours=1)


def parse_moment(value: Any) -> dt.datetime | None:
    """An aware datetime from an ISO 8601 string, or None for anything else (naive times included)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None and moment.utcoffset() is not None else None


def _texts(value: Any) -> dict[str, str] | None:
    """Multilingual text, or None unless it is a mapping of language to non-empty text."""
    if not isinstance(value, dict) or not value:
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return value if any(v.strip() for v in value.values()) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and -100 <= value <= 100 else None


def _feed_data(record: Any, kind: str) -> tuple[dict[str, Any], dt.datetime] | None:
    """A stored feed's data and when it was issued, when the record is what the agent writes."""
    if not isinstance(record, dict):
        return None
    data = record.get("data")
    if not isinstance(data, dict) or data.get("kind") != kind:
        return None
    issued = parse_moment(data.get("issued_at"))
    return (data, issued) if issued is not None else None


def _too_old(data: dict[str, Any], issued: dt.datetime, now: dt.datetime, max_age: dt.timedelta) -> bool:
    try:
        if now - issued > max_age or issued - now > FUTURE_TOLERANCE:
            return True
        until = parse_moment(data.get("valid_until")) if "valid_until" in data else None
        return data.get("valid_until") is not None and (until is None or now >= until)
    except (TypeError, OverflowError):
        return True


def age_text(tr: Translator, updated: dt.datetime, now: dt.datetime) -> str:
    """``updated 20 min ago`` (a time ahead of the kiosk's clock reads as just now)."""
    try:
        minutes = max(0, int((now - updated).total_seconds() // 60))
    except (TypeError, OverflowError):
        minutes = 0
    if minutes < 90:
        return tr.n("status.updated_minutes", minutes)
    if minutes < 48 * 60:
        return tr.n("status.updated_hours", minutes // 60)
    return tr.n("status.updated_days", minutes // (24 * 60))


@dataclass(frozen=True)
class WeatherNow:
    """The weather the status strip shows."""

    temp_c: float
    condition: dict[str, str]
    issued_at: dt.datetime


def current_weather(record: Any, now: dt.datetime, max_age: dt.timedelta) -> WeatherNow | None:
    """The stored weather feed's current conditions, or None (none, unreadable, too old, expired)."""
    found = _feed_data(record, "weather")
    if found is None:
        return None
    data, issued = found
    current = data.get("current")
    if not isinstance(current, dict) or _too_old(data, issued, now, max_age):
        return None
    temp, condition = _number(current.get("temp_c")), _texts(current.get("condition"))
    if temp is None or condition is None:
        return None
    return WeatherNow(temp, condition, issued)


@dataclass(frozen=True)
class Notice:
    """One transport notice in force."""

    id: str
    severity: str
    mode: str
    title: dict[str, str]
    body: dict[str, str] | None
    valid_from: dt.datetime
    valid_until: dt.datetime
    updated_at: dt.datetime


def current_notices(record: Any, now: dt.datetime, max_age: dt.timedelta) -> list[Notice]:
    """The notices in force now (``valid_from <= now < valid_until``), most urgent first.

    None at all when the feed is older than ``max_age`` or past its own ``valid_until``; a
    notice with an unreadable value is left out on its own.
    """
    found = _feed_data(record, "transport")
    if found is None:
        return []
    data, issued = found
    notices = data.get("notices")
    if not isinstance(notices, list) or _too_old(data, issued, now, max_age):
        return []
    out: list[Notice] = []
    for item in notices[:100]:
        notice = _notice(item, issued)
        if notice is None:
            continue
        try:
            if notice.valid_from <= now < notice.valid_until:
                out.append(notice)
        except TypeError:
            continue
    out.sort(key=lambda n: (SEVERITY_ORDER.index(n.severity), -n.valid_from.timestamp(), n.id))
    return out


def _notice(item: Any, issued: dt.datetime) -> Notice | None:
    if not isinstance(item, dict):
        return None
    ident, severity, mode = item.get("id"), item.get("severity"), item.get("mode")
    if not isinstance(ident, str) or severity not in SEVERITY_ORDER or mode not in MODES:
        return None
    title = _texts(item.get("title"))
    start, end = parse_moment(item.get("valid_from")), parse_moment(item.get("valid_until"))
    if title is None or start is None or end is None:
        return None
    body = _texts(item.get("body")) if item.get("body") is not None else None
    updated = parse_moment(item.get("updated_at")) or issued
    return Notice(ident, str(severity), str(mode), title, body, start, end, updated)


#: Emergency notices, the most urgent first (content_sync.sync.feed_format.EMERGENCY_SEVERITIES).
EMERGENCY_SEVERITIES = ("emergency", "warning")
#: The longest an emergency notice may last (the format refuses longer): a stored value beyond it is not shown.
MAX_EMERGENCY_DURATION = dt.timedelta(days=7)


@dataclass(frozen=True)
class Emergency:
    """One emergency notice from the group's operator: shown on attract and home while in force."""

    id: str
    severity: str
    title: dict[str, str]
    body: dict[str, str]
    starts_at: dt.datetime
    ends_at: dt.datetime


def _emergency_list(record: Any) -> list[Emergency]:
    found = _feed_data(record, "emergency")
    if found is None:
        return []
    notices = found[0].get("notices")
    if not isinstance(notices, list):
        return []
    out: list[Emergency] = []
    for item in notices[:20]:
        if not isinstance(item, dict):
            continue
        ident, severity = item.get("id"), item.get("severity")
        title, body = _texts(item.get("title")), _texts(item.get("body"))
        start, end = parse_moment(item.get("starts_at")), parse_moment(item.get("ends_at"))
        if not isinstance(ident, str) or severity not in EMERGENCY_SEVERITIES or title is None or body is None:
            continue
        if start is None or end is None:
            continue
        try:
            if not start < end <= start + MAX_EMERGENCY_DURATION:
                continue
        except (TypeError, OverflowError):
            continue
        out.append(Emergency(ident, str(severity), title, body, start, end))
    return out


def current_emergencies(record: Any, now: dt.datetime) -> list[Emergency]:
    """The emergency notices in force now (``starts_at <= now < ends_at``), most urgent and newest first.

    No age limit applies: every notice carries its own end (at most 7 days after its start),
    so a kiosk cut off from the channel still stops showing it on time.
    """
    out = []
    for notice in _emergency_list(record):
        try:
            if notice.starts_at <= now < notice.ends_at:
                out.append(notice)
        except TypeError:
            continue
    out.sort(key=lambda n: (EMERGENCY_SEVERITIES.index(n.severity), -n.starts_at.timestamp(), n.id))
    return out


def next_emergency_change(record: Any, now: dt.datetime) -> dt.datetime | None:
    """The next moment a notice starts or ends after ``now`` (when the screens must look again), or None."""
    moments: list[dt.datetime] = []
    for notice in _emergency_list(record):
        for moment in (notice.starts_at, notice.ends_at):
            try:
                if moment > now:
                    moments.append(moment)
            except TypeError:
                continue
    return min(moments) if moments else None
