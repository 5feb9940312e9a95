"""What is on: today (from now until midnight) or the next seven days, grouped by day."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout

from content_sync.core.hours import DAYS
from content_sync.store.content_store import EventOccurrence, Venue

from ..format import DAY_NAMES
from ..strings import N_
from ..widgets.common import Card, ChipRow, ScrollPage, button, grid, text_label
from .base import Screen

MONTH_NAMES = (
    N_("month.1"), N_("month.2"), N_("month.3"), N_("month.4"), N_("month.5"), N_("month.6"),
    N_("month.7"), N_("month.8"), N_("month.9"), N_("month.10"), N_("month.11"), N_("month.12"),
)  # fmt: skip

SPANS = {"today": 1, "week": 7}  # days, counting today


class EventsScreen(Screen):
    """Parameter: span, "today" (the default) or "week"."""

    name = "events"

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.occurrences: list[EventOccurrence] = []

    def title(self) -> str:
        return self.ctx.tr("events.title")

    def span(self) -> str:
        span = self.params.get("span", "today")
        return span if span in SPANS else "today"

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        now = self.ctx.now()
        midnight = dt.datetime.combine(now.date(), dt.time(), now.tzinfo)
        return now, midnight + dt.timedelta(days=SPANS[self.span()])

    def render(self) -> None:
        self.clear_body()
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        span = self.span()
        page = ScrollPage(m.margin, m.gap)
        chips = []
        for key, label in (("today", N_("events.today")), ("week", N_("events.this_week"))):
            chip = button(tr(label), lambda key=key: ctx.go("events", remember=False, span=key), "chip",
                          name=f"events-{key}")  # fmt: skip
            chip.setCheckable(True)
            chip.setChecked(key == span)
            chips.append(chip)
        page.add(ChipRow(chips, 10, m.touch))
        start, end = self.window()
        self.occurrences = ctx.store.events_between(start, end, near=ctx.config.location)  # near ones first
        if not self.occurrences:
            page.add(text_label(tr("events.none"), "heading")).setObjectName("events-none")
            page.finish()
            self.body.addWidget(page)
            return
        count, check = tr.n("events.count", len(self.occurrences)), tr("events.check")
        page.add(text_label(f"{count} · {check}", "muted"))
        venues: dict[str, Venue | None] = {}
        described: set[str] = set()  # a weekly event's summary shows once, not on every day
        columns = 2 if m.columns >= 3 else 1  # one column on a totem, and with large text on a tablet
        zone = start.tzinfo

        def day_of(occ: EventOccurrence) -> dt.date:
            # Something already under way is listed under today, where a visitor can still go.
            return max(occ.starts_at, start).astimezone(zone).date()

        # By day, keeping the store's order within a day: what is on in this kiosk's city first.
        for day, group in groupby(sorted(self.occurrences, key=day_of), key=day_of):
            heading = page.add(text_label(self._day_heading(day, start.date()), "heading"))
            heading.setObjectName(f"events-day-{day.isoformat()}")
            cards = self.items("event", group, lambda occ: self._card(occ, venues, described))
            page.add(grid(cards, columns, m.gap))
        page.finish()
        self.body.addWidget(page)

    # -- parts ------------------------------------------------------------------------------
    def _date(self, day: dt.date, key: str = N_("events.date")) -> str:
        tr = self.ctx.tr
        return tr(key, month=tr(MONTH_NAMES[day.month - 1]), d=day.day, weekday=tr(DAY_NAMES[DAYS[day.weekday()]]))

    def _day_heading(self, day: dt.date, today: dt.date) -> str:
        date = self._date(day)
        if day == today:
            return self.ctx.tr("events.day_today", date=date)
        if day == today + dt.timedelta(days=1):
            return self.ctx.tr("events.day_tomorrow", date=date)
        return date

    def _times(self, occ: EventOccurrence) -> str:
        zone = self.ctx.now().tzinfo
        s, e = occ.starts_at.astimezone(zone), occ.ends_at.astimezone(zone)
        if e - s < dt.timedelta(hours=24):  # an evening show ending after midnight is still one evening
            return f"{s:%H:%M}–{e:%H:%M}"
        short = N_("events.short_date")
        return f"{self._date(s.date(), short)} {s:%H:%M}\n– {self._date(e.date(), short)} {e:%H:%M}"

    def _time_width(self) -> int:
        """Wide enough for "00:00–00:00" in the heading font, so every card's titles line up."""
        m = self.ctx.metrics
        font = QFont()
        font.setFamilies(["Noto Sans CJK SC", "Noto Sans", "Noto Sans Arabic", "sans-serif"])
        font.setPixelSize(m.heading)
        font.setBold(True)
        return QFontMetrics(font).horizontalAdvance("00:00–00:00") + 8

    def _card(self, occ: EventOccurrence, venues: dict[str, Venue | None], described: set[str]) -> Card:
        ctx, tr = self.ctx, self.ctx.tr
        venue = None
        if occ.venue_id:
            if occ.venue_id not in venues:
                venues[occ.venue_id] = ctx.store.venue(occ.venue_id)
            venue = venues[occ.venue_id]
        card = Card((lambda: ctx.go("venue", id=occ.venue_id)) if venue is not None else None)
        card.setObjectName(f"event-{occ.event_id}-{occ.starts_at:%Y%m%dT%H%M}")
        layout = QHBoxLayout(card)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(16)
        when = QVBoxLayout()
        when.setSpacing(4)
        times = text_label(self._times(occ), "heading")
        times.setObjectName("event-time")
        times.setFixedWidth(self._time_width())
        when.addWidget(times)
        now = ctx.now()
        if occ.starts_at <= now < occ.ends_at:
            when.addWidget(text_label(tr("events.on_now"), "open"))
        when.addStretch(1)
        layout.addLayout(when)
        text = QVBoxLayout()
        text.setSpacing(4)
        title = text_label(tr.content(occ.title), "heading")
        title.setObjectName("event-title")
        text.addWidget(title)
        summary = tr.content(occ.summary)
        if summary and occ.event_id not in described:
            described.add(occ.event_id)
            text.addWidget(text_label(summary))
        facts = [tr.content(occ.price)]
        if venue is not None:
            facts.append(tr("events.at_venue", venue=tr.content(venue.name)))
        facts = [f for f in facts if f]
        if facts:
            where = text_label(" · ".join(facts), "muted")
            where.setObjectName("event-where")
            text.addWidget(where)
        text.addStretch(1)
        layout.addLayout(text, 1)
        return card
