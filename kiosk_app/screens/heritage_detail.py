"""One item of intangible heritage: what it is, the audio guide, where and when to see it, its pictures.

A craft, a dance or a ceremony has no address of its own: the page leads to the places that
show it (``heritage_venues``) and to the coming events that perform it (``events.heritage_id``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout

from content_sync.core.hours import DAYS
from content_sync.store.content_store import EventOccurrence, Heritage, Venue, distance_km

from .. import format as fmt
from ..format import DAY_NAMES
from ..widgets.common import Card, ScrollPage, text_label
from ..widgets.heritage_card import heritage_facts
from .detail import DetailScreen, Part
from .events import MONTH_NAMES

EVENT_DAYS = 60  # how far ahead the page looks for performances
MAX_EVENTS = 3  # the next few (a weekly show would fill the page); the events page has the rest


class HeritageDetailScreen(DetailScreen):
    """Parameter: id. What it is and its audio guide on the left; where and when to see it on the right."""

    name = "heritage"
    left_share: ClassVar[dict[str, float]] = {"landscape": 0.42, "compact": 0.45}

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.item: Heritage | None = None
        self.venues: dict[str, Venue | None] = {}
        self.events: list[EventOccurrence] = []

    def title(self) -> str:
        return self.ctx.tr.content(self.item.name) if self.item else ""

    def likely_next(self) -> list[tuple[str, dict[str, Any]]]:
        return [("venue", {"id": vid}) for vid, venue in self.venues.items() if venue is not None]

    def load(self, ident: str) -> bool:
        store, now = self.ctx.store, self.ctx.now()
        self.item = store.heritage_item(ident)
        if self.item is None:
            return False
        self.venues = {vid: store.venue(vid) for vid in self.item.venues}
        self.events = store.heritage_events(ident, now, now + dt.timedelta(days=EVENT_DAYS))[:MAX_EVENTS]
        for occ in self.events:
            if occ.venue_id and occ.venue_id not in self.venues:
                self.venues[occ.venue_id] = store.venue(occ.venue_id)
        return True

    def portrait_parts(self) -> list[Part]:
        return [self.info, self.where, self.when, self.pictures, self.description, self.codes]

    def column_parts(self) -> tuple[list[Part], list[Part]]:
        return [self.info, self.pictures, self.codes], [self.where, self.when, self.description]

    # -- parts ------------------------------------------------------------------------------
    def info(self, page: ScrollPage, width: int) -> None:
        tr, item = self.ctx.tr, self.item
        assert item is not None
        page.add(text_label(tr.content(item.name), "title")).setObjectName("heritage-name")
        facts = heritage_facts(self.ctx, item)
        if facts:
            page.add(text_label(facts, "muted")).setObjectName("heritage-facts")
        summary = tr.content(item.summary)
        if summary:
            page.add(text_label(summary, "heading"))
        # Synthesised in the visitor's language when the pack has no recording and a voice exists.
        self.audio_guide(page, f"heritage:{item.id}", tr.content(item.name), item.narration, item.audio)

    def pictures(self, page: ScrollPage, width: int) -> None:
        """Every picture with its caption and credit; none when the pack has none (an empty coloured
        block would only push "About it" below the fold, with nothing to look at)."""
        assert self.item is not None
        for image in self.item.images:
            self.picture(page, image, width)

    def description(self, page: ScrollPage, width: int) -> None:
        tr = self.ctx.tr
        assert self.item is not None
        paragraphs = [p.strip() for p in tr.content(self.item.description).split("\n\n") if p.strip()]
        if not paragraphs:
            return
        page.add(text_label(tr("heritage.about"), "heading"))
        for paragraph in paragraphs:
            page.add(text_label(paragraph))

    def where(self, page: ScrollPage, width: int) -> None:
        """The places that show it, nearest first; a tap opens the place."""
        ctx, tr = self.ctx, self.ctx.tr
        assert self.item is not None
        page.add(text_label(tr("heritage.where"), "heading"))
        here = ctx.config.location
        places = [v for vid in self.item.venues if (v := self.venues.get(vid)) is not None]
        places.sort(key=lambda v: distance_km(here[0], here[1], v.lat, v.lon))
        if not places:
            page.add(text_label(tr("heritage.no_place"), "muted")).setObjectName("heritage-no-place")
            return
        for card in self.items("venue", places, self._place_card):
            page.add(card)

    def _place_card(self, venue: Venue) -> Card:
        ctx, tr = self.ctx, self.ctx.tr
        card = Card(lambda: ctx.go("venue", id=venue.id))
        card.setObjectName(f"heritage-venue-{venue.id}")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(4)
        layout.addWidget(text_label(tr.content(venue.name), "heading"))
        category = tr.content(ctx.content.category_names.get(venue.category, {}))
        away = tr("venue.from_here", distance=fmt.distance_from(tr, ctx.config.location, venue))
        layout.addWidget(text_label(" · ".join(f for f in (category, away) if f), "muted"))
        now = ctx.now()
        phrase, role = fmt.open_status(tr, venue.open_status(now), now)
        layout.addWidget(text_label(phrase, role))
        return card

    def when(self, page: ScrollPage, width: int) -> None:
        """The next performances; a tap opens the place they are at (else the week's events)."""
        if not self.events:
            return
        page.add(text_label(self.ctx.tr("heritage.events"), "heading"))
        for card in self.items("event", self.events, self._event_card):
            page.add(card)

    def _event_card(self, occ: EventOccurrence) -> Card:
        ctx, tr = self.ctx, self.ctx.tr
        venue = self.venues.get(occ.venue_id) if occ.venue_id else None
        if venue is not None:
            card = Card(lambda: ctx.go("venue", id=venue.id))
        else:
            card = Card((lambda: ctx.go("events", span="week")) if ctx.router.has("events") else None)
        card.setObjectName(f"heritage-event-{occ.event_id}-{occ.starts_at:%Y%m%dT%H%M}")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(4)
        zone = ctx.now().tzinfo
        start, end = occ.starts_at.astimezone(zone), occ.ends_at.astimezone(zone)
        day = tr("events.date", d=start.day, month=tr(MONTH_NAMES[start.month - 1]),
                 weekday=tr(DAY_NAMES[DAYS[start.weekday()]]))  # fmt: skip
        when = text_label(f"{day} {start:%H:%M}–{end:%H:%M}", "heading")
        when.setObjectName("heritage-event-time")
        layout.addWidget(when)
        if occ.starts_at <= ctx.now() < occ.ends_at:
            layout.addWidget(text_label(tr("events.on_now"), "open"))
        layout.addWidget(text_label(tr.content(occ.title)))
        facts = [tr.content(occ.price)]
        if venue is not None:
            facts.append(tr("events.at_venue", venue=tr.content(venue.name)))
        facts = [f for f in facts if f]
        if facts:
            layout.addWidget(text_label(" · ".join(facts), "muted"), 0, Qt.AlignmentFlag.AlignTop)
        return card

    def codes(self, page: ScrollPage, width: int) -> None:
        """This page on the visitor's phone, when the operator set a web address for pages."""
        ctx, item = self.ctx, self.item
        assert item is not None
        link = ctx.config.qr_url("heritage", item.id, ctx.lang)
        if link:
            self.take_away(page, [(link, ctx.tr("venue.qr_link"))])
