"""Home: the five themes, featured places, intangible heritage, what is open now, today's events, and the way on.

An emergency notice in force (the group's ``emergency`` feed) is a red band above everything,
outside the scrolling page so it never scrolls away; the tiles under it work as always. The
band alone is replaced when a notice starts or ends (``EmergencyWatch``), not the page.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, ClassVar

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from content_sync.store.content_store import EventOccurrence, Heritage, distance_km

from ..strings import N_
from ..widgets.cards import route_card, venue_card
from ..widgets.common import Card, ScrollPage, WrapButton, button, grid, swatch, text_label
from ..widgets.emergency_banner import EmergencyWatch, home_banner
from ..widgets.heritage_card import heritage_card
from .base import Screen

HOME_HERITAGE = 6  # heritage cards on home; a theme's page and search find the others


class HomeScreen(Screen):
    name = "home"

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.banner: QWidget | None = None
        self.emergency = EmergencyWatch(ctx, self, active=lambda: self.in_view)
        self.emergency.changed.connect(self._emergency_changed)

    def title(self) -> str:
        return self.ctx.tr("app.title")

    def likely_next(self) -> list[tuple[str, dict[str, Any]]]:
        # Themes first (the biggest tiles), then featured places and routes.
        themes = [("venues", {"theme": t["id"]}) for t in self.ctx.content.themes]
        return [*themes, *getattr(self, "_next", [])]

    def render(self) -> None:
        self.clear_body()
        self.banner = None
        self._next: list[tuple[str, dict[str, Any]]] = []
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        self._show_banner()
        page = ScrollPage(m.margin, m.gap)
        page.add(text_label(tr("home.welcome"), "title"))
        # The profile's order decides what leads: quick ways on first, then content.
        sections = ctx.config.home_sections
        tiles = [t for s in sections if (t := self.guarded("tile", s, lambda s=s: self._tile(s))) is not None]
        tiles.append(self._make_tile(N_("home.all_places"), "", lambda: ctx.go("venues"), "home-all-places"))
        if ctx.router.has("feedback"):  # about the kiosk and the city's information; works offline
            tiles.append(self._make_tile(N_("home.feedback"), "", lambda: ctx.go("feedback", about="kiosk"),
                                         "home-feedback"))  # fmt: skip
        page.add(grid(tiles, m.columns if m.columns > 2 else 2, m.gap))
        builders = [(s, b) for s in sections if (b := getattr(self, f"_section_{s}", None)) is not None]
        if builders:
            first, builder = builders.pop(0)
            self.section(first, lambda: builder(page))  # the first section fills the screen under the tiles
        # The rest is below the fold: built right after the page is on screen.
        for name, builder in builders:
            self.later(lambda name=name, builder=builder: self.section(name, lambda: builder(page)))
        self.later(lambda: self._notices(page))
        self.body.addWidget(page)

    def _show_banner(self) -> None:
        """The emergency band at the top of the screen (index 0 of the body), or none."""
        notices = self.emergency.read()
        if self.banner is not None:
            self.body.removeWidget(self.banner)
            self.banner.hide()
            self.banner.deleteLater()
            self.banner = None
        if notices:
            ctx = self.ctx
            self.banner = self.guarded(
                "emergency", notices[0].id, lambda: home_banner(notices, ctx.tr, ctx.metrics, ctx.now())
            )
            if self.banner is not None:
                self.body.insertWidget(0, self.banner)

    def _emergency_changed(self) -> None:
        self._show_banner()
        if not self.in_view:
            self.emergency.stop()

    def entered(self) -> None:
        self.emergency.check()

    def left(self) -> None:
        self.emergency.stop()

    def hideEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.emergency.stop()
        super().hideEvent(event)

    def _notices(self, page: ScrollPage) -> None:
        ctx, tr = self.ctx, self.ctx.tr

        def line(notice: dict[str, Any]) -> QWidget:
            first = tr.content(notice["body"]).split("\n\n")[0]
            return text_label(f"{tr.content(notice['title'])}: {first}", "notice")

        def lines() -> None:
            for label in self.items("notice", ctx.store.notices(ctx.now()), line):
                page.add(label)

        self.section("notices", lines)
        page.finish()

    def _heading(self, page: ScrollPage, key: str) -> None:
        page.add(text_label(self.ctx.tr(key), "heading"))

    def _section_themes(self, page: ScrollPage) -> None:
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        self._heading(page, N_("home.themes"))

        def theme_tile(theme: dict[str, Any]) -> Card:
            tile = Card(lambda t=theme["id"]: ctx.go("venues", theme=t))
            tile.setObjectName(f"theme-{theme['id']}")
            layout = QHBoxLayout(tile)
            layout.setContentsMargins(16, 16, 16, 16)
            layout.addWidget(swatch(theme["color"], m.touch // 2))
            words = QVBoxLayout()
            words.addWidget(text_label(tr.content(theme["name"]), "heading"))
            words.addWidget(text_label(tr.content(theme["description"]), "muted"))
            layout.addLayout(words, 1)
            return tile

        tiles = self.items("theme", ctx.content.themes, theme_tile)
        page.add(grid(tiles, max(1, m.columns // 2 + (1 if m.columns > 3 else 0)), m.gap))

    def _section_featured(self, page: ScrollPage) -> None:
        ctx, m = self.ctx, self.ctx.metrics
        venues = ctx.store.venues(featured=True, with_media=True, near=ctx.config.location)[: m.columns * 2]
        if not venues:
            return
        self._heading(page, N_("home.featured"))
        width = ctx.column_width(m.columns)
        self._next.extend(("venue", {"id": v.id}) for v in venues)

        def card(venue: Any) -> QWidget:
            return venue_card(ctx, venue, lambda: ctx.go("venue", id=venue.id), width=width)

        holder = page.add(grid(self.items("venue", venues[: m.columns], card), m.columns, m.gap))

        def second_row() -> None:  # under the fold on a landscape screen: right after the first paint
            cells = holder.layout()
            for i, widget in enumerate(self.items("venue", venues[m.columns :], card)):
                cells.addWidget(widget, 1 + i // m.columns, i % m.columns)

        if venues[m.columns :]:
            self.later(second_row)

    def _section_events(self, page: ScrollPage) -> None:
        ctx, tr = self.ctx, self.ctx.tr
        now = ctx.now()
        end = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), now.tzinfo)
        near = ctx.config.location  # what is on in the kiosk's own city first
        today = [o for o in ctx.store.events_between(now, end, near=near) if o.ends_at > now][:3]
        self._heading(page, N_("home.events"))
        if not today:
            page.add(button(tr("home.no_events_today"), lambda: ctx.go("events", span="week"), name="home-events"))
            return

        def event_button(occ: EventOccurrence) -> QWidget:
            text = f"{occ.starts_at:%H:%M}  {tr.content(occ.title)}"
            # (a long title wraps: a plain button would widen the page past a portrait screen's edge)
            return WrapButton(text, lambda: ctx.go("events", span="today"), name=f"home-event-{occ.event_id}")

        for widget in self.items("event", today, event_button):
            page.add(widget)

    def _section_routes(self, page: ScrollPage) -> None:
        ctx, m = self.ctx, self.ctx.metrics
        routes = ctx.store.routes()[: max(2, m.columns - 1)]
        if not routes:
            return
        self._heading(page, N_("home.routes"))
        self._next.extend(("route", {"id": r.id}) for r in routes)
        cards = self.items("route", routes, lambda r: route_card(ctx, r, lambda: ctx.go("route", id=r.id)))
        page.add(grid(cards, max(1, min(len(routes), m.columns - 1)), m.gap))

    def _section_heritage(self, page: ScrollPage) -> None:
        """The living traditions (a dance, a craft, a ceremony) that can be seen nearest this kiosk first."""
        ctx, m = self.ctx, self.ctx.metrics
        if not ctx.router.has("heritage"):
            return
        items = ctx.store.heritage_items(with_media=True)
        if not items:
            return
        lat, lon = ctx.config.location
        places = {v.id: distance_km(lat, lon, v.lat, v.lon) for v in ctx.store.venues()}

        def nearest(item: Heritage) -> float:
            """How far the nearest place showing it is (an item shown nowhere in particular goes last)."""
            return min((places[v] for v in item.venues if v in places), default=math.inf)

        items = sorted(items, key=nearest)[:HOME_HERITAGE]
        self._heading(page, N_("heritage.home"))
        self._next.extend(("heritage", {"id": h.id}) for h in items)
        columns = 2 if m.columns >= 3 else 1
        width = ctx.column_width(columns)

        def card(item: Heritage) -> QWidget:
            return heritage_card(ctx, item, lambda: ctx.go("heritage", id=item.id), width=width)

        cards = self.items("heritage", items, card)
        page.add(grid(cards, columns, m.gap))

    _TILES: ClassVar[dict[str, tuple[str, str, dict[str, object]]]] = {
        "open_now": (N_("home.open_now"), "venues", {"open_now": True}),
        "transport": (N_("home.transport"), "transport", {}),
        "practical": (N_("home.practical"), "practical", {}),
        "hotel_room": (N_("home.hotel_room"), "hotel_room", {}),
        "search": (N_("home.search"), "search", {}),
        "routes": (N_("home.routes"), "routes", {}),
        "events": (N_("home.events"), "events", {"span": "today"}),
        "map": (N_("map.title"), "map", {}),
    }

    def _tile(self, section: str) -> Card | None:
        entry = self._TILES.get(section)
        if entry is None:
            return None
        key, screen, params = entry
        if not self.ctx.router.has(screen):
            return None
        if section == "hotel_room" and not self.ctx.store.pages("hotel_room"):
            return None
        if section == "map" and not self.ctx.map.has_basemap():
            return None  # no basemap in this pack: no button that leads nowhere
        detail = ""
        if section == "open_now":
            detail = self.ctx.tr.n("home.open_now_count", len(self.ctx.store.venues(open_at=self.ctx.now())))
        return self._make_tile(key, detail, lambda: self.ctx.go(screen, **params), f"home-{section}")

    def _make_tile(self, key: str, detail: str, on_tap, name: str) -> Card:  # type: ignore[no-untyped-def]
        tile = Card(on_tap)
        tile.setObjectName(name)
        layout = QVBoxLayout(tile)
        layout.setContentsMargins(20, 18, 20, 18)
        layout.addWidget(text_label(self.ctx.tr(key), "heading"))
        if detail:
            layout.addWidget(text_label(detail, "muted"))
        tile.setMinimumHeight(self.ctx.metrics.touch + 24)
        return tile
