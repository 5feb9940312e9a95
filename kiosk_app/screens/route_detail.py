"""One route: what it is, its stops in order with each place's open status now, and a QR hand-off."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

from content_sync.store.content_store import Route, RouteStop, Venue

from .. import format as fmt
from ..theme import COMPACT
from ..widgets.common import Card, ImageView, ScrollPage, text_label
from ..widgets.qr import Stop, amap_route, geo_uri
from .detail import DetailScreen, Part


class RouteDetailScreen(DetailScreen):
    """Parameter: id. What the route is on the left, its stops on the right (one column on a totem)."""

    name = "route"
    left_share: ClassVar[dict[str, float]] = {"landscape": 0.42, "compact": 0.45}

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.route: Route | None = None
        self.venues: dict[str, Venue | None] = {}

    def title(self) -> str:
        return self.ctx.tr.content(self.route.name) if self.route else ""

    def load(self, ident: str) -> bool:
        store = self.ctx.store
        self.route = store.route(ident)
        self.venues = {s.venue_id: store.venue(s.venue_id) for s in self.route.stops} if self.route else {}
        return self.route is not None

    def portrait_parts(self) -> list[Part]:
        return [self.info, self.route_map, self.stops, self.codes, self.description]

    def column_parts(self) -> tuple[list[Part], list[Part]]:
        # The codes come before the long description, so they show without scrolling far.
        return [self.info, self.codes, self.description], [self.route_map, self.stops]

    # -- parts ------------------------------------------------------------------------------
    def route_map(self, page: ScrollPage, width: int) -> None:
        """The stops in order on a still map; a tap shows the route on the full map."""
        ctx, route = self.ctx, self.route
        assert route is not None
        points = [(v.lat, v.lon) for s in route.stops if (v := self.venues.get(s.venue_id)) is not None]
        colour = ctx.content.theme_colour(route.themes) or "#1565C0"
        self.still_map_part(page, points, width, lambda: ctx.go("map", route=route.id), colour=colour, path=True)

    def info(self, page: ScrollPage, width: int) -> None:
        tr = self.ctx.tr
        route = self.route
        assert route is not None
        page.add(text_label(tr.content(route.name), "title")).setObjectName("route-name")
        facts = [fmt.duration(tr, route.duration_minutes)]
        if route.distance_km:
            facts.append(tr("routes.distance", km=f"{route.distance_km:g}"))
        facts += [tr.n("routes.stops", len(route.stops)), fmt.route_mode(tr, route.mode)]
        page.add(text_label(" · ".join(f for f in facts if f), "muted")).setObjectName("route-facts")
        summary = tr.content(route.summary)
        if summary:
            page.add(text_label(summary, "heading"))
        # Synthesised in the visitor's language when there is no recording and a voice exists.
        self.audio_guide(page, f"route:{route.id}", tr.content(route.name), route.narration, route.audio)
        if route.images:
            self.picture(page, route.images[0], width)

    def description(self, page: ScrollPage, width: int) -> None:
        tr = self.ctx.tr
        assert self.route is not None
        paragraphs = [p.strip() for p in tr.content(self.route.description).split("\n\n") if p.strip()]
        if not paragraphs:
            return
        page.add(text_label(tr("routes.about"), "heading"))
        for paragraph in paragraphs:
            page.add(text_label(paragraph))

    def stops(self, page: ScrollPage, width: int) -> None:
        assert self.route is not None
        page.add(text_label(self.ctx.tr("routes.stops_heading"), "heading"))
        numbered = list(enumerate(self.route.stops, start=1))
        for card in self.items("stop", numbered, lambda ns: self._stop_card(*ns), ident=lambda ns: ns[1].venue_id):
            page.add(card)

    def _stop_card(self, n: int, stop: RouteStop) -> Card:
        ctx, tr, m, p = self.ctx, self.ctx.tr, self.ctx.metrics, self.ctx.palette
        venue = self.venues.get(stop.venue_id)
        card = Card((lambda: ctx.go("venue", id=stop.venue_id)) if venue else None)
        card.setObjectName(f"stop-{n}")
        card.setProperty("venue_id", stop.venue_id)
        layout = QHBoxLayout(card)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(16)
        size = max(48, round(m.heading * 1.7))
        badge = QLabel(str(n))
        badge.setObjectName("stop-number")
        badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        badge.setFixedSize(size, size)
        badge.setStyleSheet(f"background: {p.accent}; color: {p.accent_text}; border-radius: {size // 2}px;"
                            f" font-size: {m.heading}px; font-weight: 700;")  # fmt: skip
        layout.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(4)
        name = tr.content(venue.name) if venue else stop.venue_id
        text.addWidget(text_label(name, "heading"))
        facts = []
        if stop.stay_minutes:
            facts.append(tr("routes.stay", time=fmt.time_span(tr, stop.stay_minutes)))
        if venue is not None:
            category = tr.content(ctx.content.category_names.get(venue.category, {}))
            if category:
                facts.append(category)
            facts.append(tr("venue.from_here", distance=fmt.distance_from(tr, ctx.config.location, venue)))
        if facts:
            text.addWidget(text_label(" · ".join(facts), "muted"))
        note = tr.content(stop.note)
        if note:
            text.addWidget(text_label(note))
        if venue is not None:
            now = ctx.now()
            phrase, role = fmt.open_status(tr, venue.open_status(now), now)
            status = text_label(phrase, role)
            status.setObjectName("stop-open-status")
            text.addWidget(status)
        else:
            text.addWidget(text_label(tr("routes.stop_missing"), "muted"))
        layout.addLayout(text, 1)
        if venue is not None and venue.images and ctx.layout != COMPACT:
            thumb = QSize(180, 120)
            layout.addWidget(
                ImageView(ctx.images, venue.images[0].path, thumb, ctx.palette),
                0,
                Qt.AlignmentFlag.AlignTop,
            )
        return card

    def codes(self, page: ScrollPage, width: int) -> None:
        ctx, tr = self.ctx, self.ctx.tr
        route = self.route
        assert route is not None
        codes: list[tuple[str, str]] = []
        link = ctx.config.qr_url("route", route.id, ctx.lang)
        if link:
            codes.append((link, tr("routes.qr_link")))
        stops = [v for s in route.stops if (v := self.venues.get(s.venue_id)) is not None]
        link, carried = amap_route([Stop(v.lat, v.lon, tr.content(v.name)) for v in stops])
        if link:
            caption = (tr("qr.amap_route", count=carried) if carried == len(stops)
                       else tr("qr.amap_route_first", shown=carried, count=len(stops)))  # fmt: skip
            codes.append((link, caption))
        first = stops[0] if stops else None
        if first is not None:
            codes.append((geo_uri(first.lat, first.lon, tr.content(first.name)), tr("routes.qr_start")))
        self.take_away(page, codes)
