"""Opening hours structured enough to answer "is it open now?" in the venue's time zone.

The kiosk's own clock may be in another zone than the venue (a Lanzhou kiosk showing
Tianshui is the same zone, but packs are not limited to one city), so every answer is
computed from an aware datetime converted into the venue's zone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# ASCII digits only: int() would also read " 9", "+9" and Arabic-Indic digits.
_HHMM_RE = re.compile(r"[0-9]{2}:[0-9]{2}")
_MMDD_RE = re.compile(r"[0-9]{2}-[0-9]{2}")


class HoursError(ValueError):
    """A problem in an opening-hours structure; the message names the field."""


@dataclass(frozen=True)
class OpenStatus:
    """Whether a visitor arriving now gets in.

    Past the last entry the doors are still open but nobody is let in, so that counts as
    closed (``is_open`` false, ``entry_closed`` true): "open now" must never send a visitor
    to a gate that turns them away.
    """

    is_open: bool
    # While open: when it closes (venue-local). While closed: when it next opens, if known.
    changes_at: dt.datetime | None
    # The last entry of the interval that is running now (before or after it), when given.
    last_entry: dt.datetime | None = None
    always_open: bool = False
    # Closed to new visitors because the last entry has passed; the venue closes at ``closes_at``.
    entry_closed: bool = False
    closes_at: dt.datetime | None = None


def parse_hhmm(value: Any, field: str) -> dt.time:
    if not isinstance(value, str) or not _HHMM_RE.fullmatch(value):
        raise HoursError(f'{field}: expected a time like "09:00", got {value!r}')
    try:
        hour, minute = int(value[:2]), int(value[3:])
    except ValueError:
        raise HoursError(f'{field}: expected a time like "09:00", got {value!r}') from None
    if hour == 24 and minute == 0:
        return dt.time(23, 59, 59)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise HoursError(f"{field}: {value!r} is not a time of day")
    return dt.time(hour, minute)


def parse_month_day(value: Any, field: str) -> tuple[int, int]:
    """``"MM-DD"`` as (month, day); 02-29 is a day (seasons recur every year)."""
    if not isinstance(value, str) or not _MMDD_RE.fullmatch(value):
        raise HoursError(f'{field}: expected a date like "05-01" (MM-DD), got {value!r}')
    try:
        month, day = int(value[:2]), int(value[3:])
        dt.date(2000, month, day)  # leap year accepts 02-29
    except ValueError:
        raise HoursError(f"{field}: {value!r} is not a month and day") from None
    return month, day


def validate_weekly(weekly: Any, field: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(weekly, list) or not weekly:
        return [f"{field}: expected a non-empty list of {{days, open, close}}"]
    for i, rule in enumerate(weekly):
        where = f"{field}[{i}]"
        if not isinstance(rule, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        days = rule.get("days")
        if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
            problems.append(f"{where}.days: expected a list of {', '.join(DAYS)}")
        for key in ("open", "close"):
            try:
                parse_hhmm(rule.get(key), f"{where}.{key}")
            except HoursError as exc:
                problems.append(str(exc))
        if "last_entry" in rule:
            try:
                parse_hhmm(rule["last_entry"], f"{where}.last_entry")
            except HoursError as exc:
                problems.append(str(exc))
        unknown = set(rule) - {"days", "open", "close", "last_entry"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
    return problems


def validate_hours(hours: Any, field: str = "hours") -> list[str]:
    """Every problem in an hours structure, each naming its field."""
    if not isinstance(hours, dict):
        return [f"{field}: expected a mapping with always_open or weekly"]
    problems: list[str] = []
    unknown = set(hours) - {"always_open", "weekly", "seasons", "closed_dates", "note"}
    if unknown:
        problems.append(f"{field}: unknown keys {sorted(unknown)}")
    if hours.get("always_open") is True:
        if "weekly" in hours or "seasons" in hours:
            problems.append(f"{field}: always_open cannot be combined with weekly or seasons")
    elif "weekly" not in hours:
        problems.append(f"{field}: give either always_open: true or a weekly schedule")
    else:
        problems += validate_weekly(hours["weekly"], f"{field}.weekly")
    for i, season in enumerate(hours.get("seasons") or []):
        where = f"{field}.seasons[{i}]"
        if not isinstance(season, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        for key in ("from", "to"):
            try:
                parse_month_day(season.get(key), f"{where}.{key}")
            except HoursError as exc:
                problems.append(str(exc))
        problems += validate_weekly(season.get("weekly"), f"{where}.weekly")
    for i, day in enumerate(hours.get("closed_dates") or []):
        try:
            dt.date.fromisoformat(str(day))
        except ValueError:
            problems.append(f"{field}.closed_dates[{i}]: {day!r} is not an ISO date (YYYY-MM-DD)")
    return problems


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"unknown time zone {name!r}") from None


def _in_season(day: dt.date, season: dict[str, Any]) -> bool:
    start = parse_month_day(season["from"], "from")
    end = parse_month_day(season["to"], "to")
    here = (day.month, day.day)
    if start <= end:
        return start <= here <= end
    return here >= start or here <= end  # wraps the year end, e.g. 11-01 .. 03-31


def _rules_for(hours: dict[str, Any], day: dt.date) -> list[dict[str, Any]]:
    if str(day) in {str(d) for d in hours.get("closed_dates") or []}:
        return []
    weekly = hours.get("weekly") or []
    for season in hours.get("seasons") or []:
        if _in_season(day, season):
            weekly = season["weekly"]
            break
    return [rule for rule in weekly if DAYS[day.weekday()] in rule["days"]]


def _intervals(hours: dict[str, Any], day: dt.date, tz: ZoneInfo):
    """Opening intervals that start on ``day``, as aware datetimes (may run past midnight)."""
    for rule in _rules_for(hours, day):
        opens = dt.datetime.combine(day, parse_hhmm(rule["open"], "open"), tz)
        close_time = parse_hhmm(rule["close"], "close")
        closes = dt.datetime.combine(day, close_time, tz)
        if closes <= opens:
            closes += dt.timedelta(days=1)
        last = None
        if "last_entry" in rule:
            last = dt.datetime.combine(day, parse_hhmm(rule["last_entry"], "last_entry"), tz)
            if last < opens:
                last += dt.timedelta(days=1)
        yield opens, closes, last


def open_status(hours: dict[str, Any] | None, when: dt.datetime, tz_name: str) -> OpenStatus | None:
    """Open or closed at ``when`` (aware); ``None`` when the venue gave no hours."""
    if not hours:
        return None
    if when.tzinfo is None:
        raise ValueError("open_status needs an aware datetime")
    if hours.get("always_open"):
        return OpenStatus(True, None, always_open=True)
    tz = zone(tz_name)
    local = when.astimezone(tz)
    # Yesterday's interval may still be running after midnight.
    running = [
        (opens, closes, last)
        for offset in (-1, 0)
        for opens, closes, last in _intervals(hours, local.date() + dt.timedelta(days=offset), tz)
        if opens <= local < closes
    ]
    for _opens, closes, last in running:
        if last is None or local <= last:
            return OpenStatus(True, closes, last_entry=last)
    if running:  # doors still open, but the last entry has passed
        _opens, closes, last = running[0]
        return OpenStatus(False, _next_opening(hours, local, tz), last_entry=last, entry_closed=True, closes_at=closes)
    return OpenStatus(False, _next_opening(hours, local, tz))


def _next_opening(hours: dict[str, Any], local: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """The next time the venue opens after ``local``, looking two weeks ahead."""
    for offset in range(0, 15):
        for opens, _closes, _last in sorted(_intervals(hours, local.date() + dt.timedelta(days=offset), tz)):
            if opens > local:
                return opens
    return None
