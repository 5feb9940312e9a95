"""In-room terminal: the hotel's own guide, what is open nearby, today's events, the way to trains and planes.

Built for a 10 inch tablet on a desk (1280x800) read from a chair: few things per row,
generous spacing, the guide's sections as separate cards rather than one long text.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

from content_sync.store.content_store import EventOccurrence, Venue, distance_km

from .. import format as fmt
from ..strings import N_
from ..theme import PORTRAIT
from ..widgets.cards import venue_card
from ..widgets.common import Card, ScrollPage, grid, text_label
from ..widgets.qr import QrBlock, amap_place, qr_label
from .base import Screen
from .pages import add_block, add_body, parse_body

HUB_KINDS = ("airport", "rail_station")
MAX_EVENTS = 4
SCENIC_CATEGORY = "scenic-area"
MAX_SCENIC = 6
# Where a place lies from the hotel, as a guest says it: eight points of the compass.
COMPASS = (
    N_("hotel.dir.n"), N_("hotel.dir.ne"), N_("hotel.dir.e"), N_("hotel.dir.se"),
    N_("hotel.dir.s"), N_("hotel.dir.sw"), N_("hotel.dir.w"), N_("hotel.dir.nw"),
)  # fmt: skip


def compass_point(lat1: float, lon1: float, lat2: float, lon2: float) -> str:
    """The key of the compass point (of eight) from the first place towards the second."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_lon = math.radians(lon2 - lon1)
    y = math.sin(d_lon) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(d_lon)
    bearing = (math.degrees(math.atan2(y, x)) + 360) % 360
    return COMPASS[round(bearing / 45) % 8]


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
        self.section("scenic", lambda: self._scenic(page))
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

    # -- the scenic areas: how to get there from this hotel, and the way on a phone ----------------
    def _scenic(self, page: ScrollPage) -> None:
        ctx, m = self.ctx, self.ctx.metrics
        venues = ctx.store.venues(category=SCENIC_CATEGORY, near=ctx.config.location)[:MAX_SCENIC]
        if not venues:
            return
        self._heading(page, N_("hotel.scenic"), "hotel-scenic")
        columns = 1 if ctx.layout == PORTRAIT or ctx.session.large_text else 2
        page.add(grid(self.items("scenic", venues, self._scenic_card), columns, m.gap))

    def _scenic_card(self, venue: Venue) -> Card:
        """One tap opens the place's page; the card itself says how far, which way and how to go."""
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        lat, lon = ctx.config.location
        can_open = ctx.router.has("venue")
        card = Card((lambda: ctx.go("venue", id=venue.id)) if can_open else None)
        card.setObjectName(f"scenic-{venue.id}")
        card.setProperty("venue_id", venue.id)
        if can_open:
            card.setCursor(Qt.CursorShape.PointingHandCursor)
        outer = QHBoxLayout(card)
        outer.setContentsMargins(20, 16, 20, 16)
        outer.setSpacing(m.gap)
        text = QVBoxLayout()
        text.setSpacing(8)
        text.addWidget(text_label(tr.content(venue.name), "heading"))
        where = tr(
            "hotel.scenic_where",
            distance=fmt.distance(tr, distance_km(lat, lon, venue.lat, venue.lon)),
            direction=tr(compass_point(lat, lon, venue.lat, venue.lon)),
        )
        where_label = text_label(where, "muted")
        where_label.setObjectName("scenic-where")
        text.addWidget(where_label)
        how = tr.content(venue.getting_there)
        if how:
            how_label = text_label(how)
            how_label.setObjectName("scenic-how")
            text.addWidget(how_label)
        text.addStretch(1)
        if can_open:
            text.addWidget(text_label(tr("hotel.scenic_open"), "muted"))
        outer.addLayout(text, 1)
        # The way on the guest's phone: the kiosk's own link when it has one, else an Amap marker
        # (WeChat, which most guests scan with, shows a bare geo: link as text; see docs/maps.md).
        payload = ctx.config.qr_url("venue", venue.id, ctx.lang) or amap_place(
            venue.lat, venue.lon, tr.content(venue.name)
        )
        size = 150 if ctx.layout != PORTRAIT else 180
        box = QrBlock(ctx.qr, f"venue:{venue.id}")  # counted as a code shown, like a place's own page
        code = QVBoxLayout(box)
        code.setContentsMargins(0, 0, 0, 0)
        code.setSpacing(6)
        code.addWidget(qr_label(ctx.qr, payload, size), 0, Qt.AlignmentFlag.AlignHCenter)
        caption = text_label(tr("hotel.scenic_scan"), "muted")
        caption.setMaximumWidth(size + 40)
        caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        code.addWidget(caption)
        code.addStretch(1)
        outer.addWidget(box)
        return card

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
