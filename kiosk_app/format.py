"""Turning facts into short visitor-facing phrases in the visitor's language."""

from __future__ import annotations

import datetime as dt

from content_sync.core.hours import DAYS, OpenStatus
from content_sync.store.content_store import Venue, distance_km

from .strings import N_, Translator

# Names looked up by a key from the data: the full ids are spelled out so the string extractor
# (and the test that every id the code uses is translated) sees them.
DAY_NAMES: dict[str, str] = dict(zip(DAYS, (
    N_("day.mon"), N_("day.tue"), N_("day.wed"), N_("day.thu"), N_("day.fri"), N_("day.sat"), N_("day.sun"),
), strict=True))  # fmt: skip
ROUTE_MODE_NAMES: dict[str, str] = {
    "walk": N_("routes.mode.walk"), "bus": N_("routes.mode.bus"), "car": N_("routes.mode.car"),
    "mixed": N_("routes.mode.mixed"), "rail": N_("routes.mode.rail"),
}  # fmt: skip
TRANSPORT_KIND_NAMES: dict[str, str] = {
    "airport": N_("transport.kind.airport"), "rail_station": N_("transport.kind.rail_station"),
    "bus_station": N_("transport.kind.bus_station"), "metro": N_("transport.kind.metro"),
    "brt": N_("transport.kind.brt"), "bus": N_("transport.kind.bus"), "tram": N_("transport.kind.tram"),
    "ferry": N_("transport.kind.ferry"), "other": N_("transport.kind.other"),
}  # fmt: skip


def distance(tr: Translator, km: float) -> str:
    if km < 1:
        return tr("distance.m", n=max(10, int(round(km * 1000, -1))))
    return tr("distance.km", n=f"{km:.1f}" if km < 20 else f"{km:.0f}")


def distance_from(tr: Translator, here: tuple[float, float], venue: Venue) -> str:
    return distance(tr, distance_km(here[0], here[1], venue.lat, venue.lon))


def _day_word(tr: Translator, when: dt.datetime, now: dt.datetime) -> str:
    days = (when.date() - now.date()).days
    if days == 0:
        return tr("day.today")
    if days == 1:
        return tr("day.tomorrow")
    return tr(DAY_NAMES[DAYS[when.weekday()]])


def open_status(tr: Translator, status: OpenStatus | None, now: dt.datetime) -> tuple[str, str]:
    """(phrase, role) e.g. ("Open now · Closes at 17:00", "open"), ("Last entry was 16:00 · Opens …", "closed")."""
    if status is None:
        return tr("venue.no_hours"), "muted"
    if status.always_open:
        return tr("venue.always_open"), "open"
    if status.is_open:
        text = tr("venue.open_now")
        if status.last_entry:  # what decides whether a visitor setting off now gets in
            text += " · " + tr("venue.last_entry", time=f"{status.last_entry:%H:%M}")
        elif status.changes_at:
            text += " · " + tr("venue.closes_at", time=f"{status.changes_at:%H:%M}")
        return text, "open"
    if status.entry_closed and status.last_entry:
        # The doors are open but nobody is let in: say so rather than "open" or a bare "closed".
        text = tr("hours.last_entry_was", time=f"{status.last_entry:%H:%M}")
    else:
        text = tr("venue.closed_now")
    if status.changes_at:
        local_now = now.astimezone(status.changes_at.tzinfo)
        text += " · " + tr("venue.opens_at", day=_day_word(tr, status.changes_at, local_now),
                           time=f"{status.changes_at:%H:%M}")  # fmt: skip
    return text, "closed"


def weekly_lines(tr: Translator, weekly: list[dict]) -> list[str]:
    lines = []
    for rule in weekly:
        days = rule.get("days", [])
        names = [tr(DAY_NAMES[d]) for d in DAYS if d in days]
        if len(names) > 2 and [d for d in DAYS if d in days] == list(DAYS[DAYS.index(days[0]) :][: len(names)]):
            span = f"{names[0]}–{names[-1]}"
        else:
            span = ", ".join(names)
        line = f"{span}  {rule.get('open')}–{rule.get('close')}"
        if rule.get("last_entry"):
            line += "  (" + tr("venue.last_entry", time=rule["last_entry"]) + ")"
        lines.append(line)
    return lines


def price(tr: Translator, amount: float | None) -> str:
    if not amount:
        return tr("venue.free")
    return tr("venue.price", price=f"{amount:g}")


def time_span(tr: Translator, minutes: int) -> str:
    """Minutes as "2 h 30 min", each part in its plural form (Arabic and Russian need them)."""
    h, m = divmod(int(minutes), 60)
    if h and m:
        return tr("time.hours_minutes", hours=tr.n("time.hours", h), minutes=tr.n("time.minutes", m))
    if h:
        return tr.n("time.hours", h)
    return tr.n("time.minutes", m)


def duration(tr: Translator, minutes: int) -> str:
    return tr("routes.duration", time=time_span(tr, minutes))


def route_mode(tr: Translator, mode: str) -> str:
    """How a route is travelled; "" for a mode this kiosk has no word for."""
    key = ROUTE_MODE_NAMES.get(mode)
    return tr(key) if key else ""


def transport_kind(tr: Translator, kind: str) -> str:
    return tr(TRANSPORT_KIND_NAMES.get(kind, TRANSPORT_KIND_NAMES["other"]))
