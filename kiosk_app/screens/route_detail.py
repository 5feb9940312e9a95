"""One route: what it is, its stops in order with each place's open status now, and a QR hand-off."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from content_sync.store.content_store import Route, RouteStop, Venue

from .. import format as fmt
from ..theme import COMPACT, PORTRAIT
from ..widgets.common import Card, ImageView, ScrollPage, text_label
from ..widgets.minimap import StillMap
from ..widgets.narration import NarrationPanel
from ..widgets.qr import geo_uri, qr_block
from .base import Screen


class RouteDetailScreen(Screen):
    """Parameter: id."""

    name = "route"
    per_params = True

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.route: Route | None = None
        self.venues: dict[str, Venue | None] = {}
        self.qr_payloads: list[str] = []
        self.narration: NarrationPanel | None = None

    def title(self) -> str:
        return self.ctx.tr.content(self.route.name) if self.route else ""

    def render(self) -> None:
        self.clear_body()
        self.narration = None
        ctx, m = self.ctx, self.ctx.metrics
        self.route = ctx.store.route(self.params.get("id", ""))
        if self.route is None:
            raise LookupError(f"no route {self.params.get('id')!r}")
        self.venues = {s.venue_id: ctx.store.venue(s.venue_id) for s in self.route.stops}
        scrollbar = max(18, m.gap)
        if ctx.layout == PORTRAIT:
            page = ScrollPage(m.margin, m.gap)
            width = ctx.content_width()
            self._info(page, QSize(width, round(width * 2 / 3)))
            self._route_map(page, min(width, 720))
            self._stops(page)
            page.add(self._qr_block(horizontal=True))
            self._description(page)
            page.finish()
            self.body.addWidget(page)
            return
        # Landscape and tablet: what the route is on the left, its stops on the right; each scrolls.
        holder = QWidget()
        columns = QHBoxLayout(holder)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(0)
        left_width = round(ctx.screen_size.width() * (0.42 if ctx.layout != COMPACT else 0.45))
        left = ScrollPage(m.margin, m.gap)
        left.setFixedWidth(left_width)
        image_width = left_width - 2 * m.margin - scrollbar
        self._info(left, QSize(image_width, round(image_width * 2 / 3)))
        # The codes come before the long description, so they show without scrolling far.
        left.add(self._qr_block(horizontal=ctx.layout != COMPACT))
        self._description(left)
        left.finish()
        columns.addWidget(left)
        right = ScrollPage(m.margin, m.gap)
        self._route_map(right, min(ctx.screen_size.width() - left_width - 2 * m.margin - scrollbar, 720))
        self._stops(right)
        right.finish()
        columns.addWidget(right, 1)
        self.body.addWidget(holder)

    # -- parts ------------------------------------------------------------------------------
    def _route_map(self, page: ScrollPage, width: int) -> None:
        """The stops in order on a still map; a tap shows the route on the full map."""
        ctx, route = self.ctx, self.route
        assert route is not None
        points = [(v.lat, v.lon) for s in route.stops if (v := self.venues.get(s.venue_id)) is not None]
        if not points or ctx.map is None or not ctx.map.has_basemap():
            return
        colour = ctx.content.theme_colour(route.themes)
        self.still_map = StillMap(
            ctx, points, QSize(width, round(width * 0.55)), lambda: ctx.go("map", route=route.id),
            colour=colour or "#1565C0", path=True, caption=ctx.tr("map.show"),
        )  # fmt: skip
        page.add(self.still_map)

    def _mode(self, mode: str) -> str:
        return fmt.route_mode(self.ctx.tr, mode)

    def _info(self, page: ScrollPage, image_size: QSize) -> None:
        ctx, tr = self.ctx, self.ctx.tr
        route = self.route
        assert route is not None
        page.add(text_label(tr.content(route.name), "title")).setObjectName("route-name")
        facts = [fmt.duration(tr, route.duration_minutes)]
        if route.distance_km:
            facts.append(tr("routes.distance", km=f"{route.distance_km:g}"))
        facts += [tr.n("routes.stops", len(route.stops)), self._mode(route.mode)]
        page.add(text_label(" · ".join(f for f in facts if f), "muted")).setObjectName("route-facts")
        summary = tr.content(route.summary)
        if summary:
            page.add(text_label(summary, "heading"))
        if ctx.narration is not None:
            # Routes have no recorded audio in packs yet: synthesised in the visitor's language, when a voice exists.
            self.narration = NarrationPanel(ctx, f"route:{route.id}", tr.content(route.name), route.narration,
                                            getattr(route, "audio", None))  # fmt: skip
            page.add(self.narration)
        if route.images:
            image = route.images[0]
            page.add(ImageView(ctx.images, image.path, image_size))
            caption = tr.content(image.caption)
            credit = tr("venue.image_credit", credit=f"{image.credit} ({image.licence})")
            page.add(text_label(f"{caption}\n{credit}" if caption else credit, "muted"))

    def _description(self, page: ScrollPage) -> None:
        tr = self.ctx.tr
        assert self.route is not None
        paragraphs = [p.strip() for p in tr.content(self.route.description).split("\n\n") if p.strip()]
        if not paragraphs:
            return
        page.add(text_label(tr("routes.about"), "heading"))
        for paragraph in paragraphs:
            page.add(text_label(paragraph))

    def _stops(self, page: ScrollPage) -> None:
        assert self.route is not None
        page.add(text_label(self.ctx.tr("routes.stops_heading"), "heading"))
        for n, stop in enumerate(self.route.stops, start=1):
            page.add(self._stop_card(n, stop))

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
            layout.addWidget(ImageView(ctx.images, venue.images[0].path, thumb), 0, Qt.AlignmentFlag.AlignTop)
        return card

    def _qr_block(self, *, horizontal: bool) -> QWidget:
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        route = self.route
        assert route is not None
        codes: list[tuple[str, str]] = []
        link = ctx.config.qr_url("route", route.id, ctx.lang)
        if link:
            codes.append((link, tr("routes.qr_link")))
        first = next((v for s in route.stops if (v := self.venues.get(s.venue_id)) is not None), None)
        if first is not None:
            codes.append((geo_uri(first.lat, first.lon, tr.content(first.name)), tr("routes.qr_start")))
        self.qr_payloads = [payload for payload, _ in codes]
        size = 240 if ctx.layout != COMPACT else 200
        return qr_block(ctx.qr, tr("venue.take_away"), codes, size=size, spacing=m.gap, horizontal=horizontal)
