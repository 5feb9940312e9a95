"""In-room terminal: the hotel's own guide, what is open nearby, today's events, the way to trains and planes.

Built for a 10 inch tablet on a desk (1280x800) read from a chair: few things per row,
generous spacing, the guide's sections as separate cards rather than one long text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout

from content_sync.store.content_store import EventOccurrence, distance_km

from .. import format as fmt
from ..strings import N_
from ..theme import PORTRAIT
from ..widgets.cards import venue_card
from ..widgets.common import Card, ScrollPage, grid, text_label
from .base import Screen
from .pages import add_block, add_body, parse_body

HUB_KINDS = ("airport", "rail_station")
MAX_EVENTS = 4


class HotelRoomScreen(Screen):
    name = "hotel_room"

    def title(self) -> str:
        return self.ctx.tr("hotel.title")

    def render(self) -> None:
        self.clear_body()
        m = self.ctx.metrics
        page = ScrollPage(m.margin, m.gap)
        page.column.setSpacing(m.gap)
        # Each part on its own: one that cannot be drawn never takes the others with it.
        self.section("guide", lambda: self._guide(page))
        self.section("nearby", lambda: self._nearby(page))
        self.section("events", lambda: self._events(page))
        self.section("transport", lambda: self._transport(page))
        page.finish()
        self.body.addWidget(page)

    def _heading(self, page: ScrollPage, key: str, name: str) -> None:
        label = text_label(self.ctx.tr(key), "title")
        label.setObjectName(name)
        # A little air above each part so the page reads as calm sections, not one list.
        label.setContentsMargins(0, self.ctx.metrics.gap, 0, 0)
        page.add(label)

    # -- the hotel's own pages -----------------------------------------------------------------
    def _guide(self, page: ScrollPage) -> None:
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        columns = 1 if ctx.layout == PORTRAIT else 2

        def guide_page(item: dict[str, Any]) -> None:
            title = text_label(tr.content(item["title"]), "title")
            title.setObjectName("hotel-page-title")
            page.add(title)
            sections = []
            for block in parse_body(tr.content(item["body"])):
                if not block.heading:
                    intro = QVBoxLayout()
                    intro.setSpacing(8)
                    add_block(intro, block, m.gap)
                    page.column.addLayout(intro)
                    continue
                card = Card()
                layout = QVBoxLayout(card)
                layout.setContentsMargins(20, 16, 20, 16)
                layout.setSpacing(8)
                add_block(layout, block, m.gap)
                layout.addStretch(1)
                sections.append(card)
            if sections:
                page.add(grid(sections, columns, m.gap))

        for item in ctx.store.pages("hotel_room"):
            self.guarded("page", item["id"], lambda item=item: guide_page(item))

    # -- open nearby now -------------------------------------------------------------------
    def _nearby(self, page: ScrollPage) -> None:
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        columns = m.columns
        venues = ctx.store.venues(open_at=ctx.now(), near=ctx.config.location, with_media=True)[:columns]
        self._heading(page, N_("hotel.nearby"), "hotel-nearby")
        if not venues:
            page.add(text_label(tr("hotel.nothing_open"), "muted"))
            return
        width = ctx.column_width(columns)
        can_open = self.ctx.router.has("venue")
        cards = self.items("venue", venues, lambda v: venue_card(
            ctx, v, (lambda: ctx.go("venue", id=v.id)) if can_open else _nothing, width=width))  # fmt: skip
        page.add(grid(cards, columns, m.gap))

    # -- today's events, compact ---------------------------------------------------------------
    def _events(self, page: ScrollPage) -> None:
        ctx, tr = self.ctx, self.ctx.tr
        now = ctx.now()
        end = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), now.tzinfo)
        venues = {v.id: v for v in ctx.store.venues()}
        city = self.city()
        # Events in this city (or with no venue); a guest in Lanzhou is not going to Tianshui tonight.
        today = [
            o for o in ctx.store.events_between(now, end)
            if o.ends_at > now and (o.venue_id not in venues or venues[o.venue_id].city == city)
        ][:MAX_EVENTS]  # fmt: skip
        self._heading(page, N_("home.events"), "hotel-events")
        if not today:
            page.add(text_label(tr("hotel.no_events"), "muted"))
            return
        names = {ident: v.name for ident, v in venues.items()}
        on_tap = (lambda: ctx.go("events", span="today")) if self.ctx.router.has("events") else None
        card = Card(on_tap)
        card.setObjectName("hotel-events-card")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(20, 14, 20, 14)
        layout.setSpacing(10)

        def event_line(occ: EventOccurrence) -> QLabel:
            when = f"{occ.starts_at.astimezone(now.tzinfo):%H:%M}–{occ.ends_at.astimezone(now.tzinfo):%H:%M}"
            where = tr.content(names.get(occ.venue_id or "", {}))
            line = text_label(f"{when}   {tr.content(occ.title)}" + (f" · {where}" if where else ""))
            line.setObjectName(f"hotel-event-{occ.event_id}")
            return line

        for line in self.items("event", today, event_line):
            layout.addWidget(line)
        page.add(card)

    # -- the way to the airport and the stations -------------------------------------------------
    def hubs(self) -> list[dict[str, Any]]:
        """Airports and railway stations of the kiosk's own city: airports first, then nearest."""
        ctx = self.ctx
        lat, lon = ctx.config.location
        hubs = [t for t in ctx.store.transport() if t["kind"] in HUB_KINDS]
        city = self.city()
        local = [t for t in hubs if t["city"] == city] or hubs

        def order(t: dict[str, Any]) -> tuple[int, float]:
            far = distance_km(lat, lon, t["lat"], t["lon"]) if t["lat"] is not None else float("inf")
            return HUB_KINDS.index(t["kind"]), far

        return sorted(local, key=order)

    def _transport(self, page: ScrollPage) -> None:
        ctx, m = self.ctx, self.ctx.metrics
        hubs = self.hubs()
        if not hubs:
            return
        self._heading(page, N_("hotel.transport"), "hotel-transport")
        columns = 1 if ctx.layout == PORTRAIT else min(len(hubs), max(1, m.columns - 1))
        page.add(grid(self.items("hub", hubs, self._hub_card), columns, m.gap))

    def _hub_card(self, hub: dict[str, Any]) -> Card:
        tr, m = self.ctx.tr, self.ctx.metrics
        card = Card()
        card.setObjectName(f"hub-{hub['id']}")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(8)
        layout.addWidget(text_label(fmt.transport_kind(tr, hub["kind"]), "muted"))
        layout.addWidget(text_label(tr.content(hub["name"]), "heading"))
        to_centre = tr.content(hub["to_city_centre"])
        if to_centre:
            subheading = text_label(tr("transport.to_centre"))
            subheading.setStyleSheet("font-weight: 700;")
            layout.addWidget(subheading)
            add_body(layout, to_centre, m.gap)
        layout.addSpacing(m.gap // 2)
        more = add_body(layout, tr.content(hub["description"]), m.gap)
        for widget in more:
            widget.setProperty("hub_more", True)
            widget.hide()
        layout.addStretch(1)
        hint = text_label(tr("hotel.tap_more"), "muted")
        hint.setObjectName("hub-hint")
        layout.addWidget(hint)

        def toggle() -> None:
            # One tap shows the station's full description; another folds it away.
            show = bool(more) and more[0].isHidden()
            for widget in more:
                widget.setVisible(show)
            hint.setText(tr("hotel.tap_less") if show else tr("hotel.tap_more"))

        card.on_tap = toggle
        card.setCursor(Qt.CursorShape.PointingHandCursor)
        if not more:
            hint.hide()
        return card

    def city(self) -> str | None:
        """The kiosk's own city: the city of the nearest place in the pack."""
        nearest = self.ctx.store.venues(near=self.ctx.config.location)
        return nearest[0].city if nearest else None


def _nothing() -> None:
    """Venue cards need a tap handler; without a detail screen a tap does nothing."""
