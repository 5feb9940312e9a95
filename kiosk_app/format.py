"""Turning facts into short visitor-facing phrases in the visitor's language."""

from __future__ import annotations

import datetime as dt

from content_sync.core.hours import DAYS, OpenStatus
from content_sync.store.content_store import Venue, distance_km

from .strings import Translator


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
    return tr(f"day.{DAYS[when.weekday()]}")


def open_status(tr: Translator, status: OpenStatus | None, now: dt.datetime) -> tuple[str, str]:
    """(phrase, role) e.g. ("Open now · closes at 17:00", "open")."""
    if status is None:
        return tr("venue.no_hours"), "muted"
    if status.always_open:
        return tr("venue.always_open"), "open"
    if status.is_open:
        text = tr("venue.open_now")
        if status.changes_at:
            text += " · " + tr("venue.closes_at", time=f"{status.changes_at:%H:%M}")
        return text, "open"
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
        names = [tr(f"day.{d}") for d in DAYS if d in days]
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


def duration(tr: Translator, minutes: int) -> str:
    h, m = divmod(int(minutes), 60)
    if h and m:
        return tr("routes.duration_hm", h=h, m=m)
    if h:
        return tr("routes.duration_h", h=h)
    return tr("routes.duration_m", m=m)
