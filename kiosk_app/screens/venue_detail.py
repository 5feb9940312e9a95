"""One place: pictures, open or closed now, audio guide, tickets, accessibility, how to get there, QR hand-off."""

from __future__ import annotations

from typing import ClassVar

from content_sync.core.vocabulary import ACCESSIBILITY_FACTS
from content_sync.store.content_store import Venue

from .. import format as fmt
from ..strings import N_
from ..widgets.common import ScrollPage, button, text_label
from ..widgets.qr import amap_place, geo_uri
from ..widgets.taxi_card import TaxiCard
from .detail import DetailScreen, Part

ACCESS_NAMES: dict[str, str] = dict(zip(ACCESSIBILITY_FACTS, (
    N_("access.step_free"), N_("access.accessible_toilet"), N_("access.wheelchair_loan"), N_("access.lift"),
    N_("access.braille"), N_("access.hearing_loop"),
), strict=True))  # fmt: skip


class VenueDetailScreen(DetailScreen):
    """Parameter: id. The picture and the codes to take away beside the facts (above them on a totem)."""

    name = "venue"
    left_share: ClassVar[dict[str, float]] = {"landscape": 0.40, "compact": 0.42}

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.venue: Venue | None = None

    def title(self) -> str:
        return self.ctx.tr.content(self.venue.name) if self.venue else ""

    def load(self, ident: str) -> bool:
        self.venue = self.ctx.store.venue(ident)
        return self.venue is not None

    def portrait_parts(self) -> list[Part]:
        return [self.first_picture, self.facts, self.codes, self.feedback]

    def column_parts(self) -> tuple[list[Part], list[Part]]:
        return [self.first_picture, self.codes, self.feedback], [self.facts]

    def first_picture(self, page: ScrollPage, width: int) -> None:
        assert self.venue is not None
        self.picture(page, self.venue.images[0] if self.venue.images else None, width)

    def facts(self, page: ScrollPage, width: int) -> None:
        ctx, tr = self.ctx, self.ctx.tr
        venue = self.venue
        assert venue is not None
        now = ctx.now()
        page.add(text_label(tr.content(venue.name), "title")).setObjectName("venue-name")
        category = tr.content(ctx.content.category_names.get(venue.category, {}))
        away = tr("venue.from_here", distance=fmt.distance_from(tr, ctx.config.location, venue))
        page.add(text_label(f"{category} · {away}", "muted"))
        page.add(text_label(tr.content(venue.summary), "heading"))
        phrase, role = fmt.open_status(tr, venue.open_status(now), now)
        status = page.add(text_label(phrase, role))
        status.setObjectName("venue-open-status")
        self.audio_guide(page, f"venue:{venue.id}", tr.content(venue.name), venue.narration, venue.audio)

        page.add(text_label(tr("venue.hours"), "heading"))
        hours = venue.hours or {}
        lines = [] if hours.get("always_open") else fmt.weekly_lines(tr, hours.get("weekly", []))
        for season in hours.get("seasons") or []:
            name = tr.content(season.get("name") or {})
            lines += [f"{name} {season['from']}–{season['to']}:", *fmt.weekly_lines(tr, season.get("weekly", []))]
        if hours.get("note"):
            lines.append(tr.content(hours["note"]))
        page.add(text_label("\n".join(lines) or tr("venue.always_open")))

        page.add(text_label(tr("venue.tickets"), "heading"))
        tickets = [f"{tr.content(t.get('label'))}: {fmt.price(tr, t.get('price_cny'))}"
                   + (f" — {tr.content(t['note'])}" if t.get("note") else "") for t in venue.tickets]  # fmt: skip
        if venue.tickets_note:
            tickets.append(tr.content(venue.tickets_note))
        page.add(text_label("\n".join(tickets) or tr("venue.free")))

        page.add(text_label(tr("venue.accessibility"), "heading"))
        access = venue.accessibility
        yes, no = tr("access.yes"), tr("access.no")
        facts = [f"{'✓' if access[f] else '✗'} {tr(ACCESS_NAMES[f])}: {yes if access[f] else no}"
                 for f in ACCESSIBILITY_FACTS if f in access]  # fmt: skip
        if access.get("note"):
            facts.append(tr.content(access["note"]))
        page.add(text_label("\n".join(facts) or tr("access.unknown")))

        page.add(text_label(tr("venue.getting_there"), "heading"))
        page.add(text_label(tr.content(venue.getting_there)))
        page.add(text_label(tr("venue.address") + f": {tr.content(venue.address)}", "muted"))
        self.taxi_card(page)
        colour = ctx.content.theme_colour(venue.themes) or "#5A6B7B"
        self.still_map_part(page, [(venue.lat, venue.lon)], width, lambda: ctx.go("map", venue=venue.id),
                            colour=colour)  # fmt: skip
        for paragraph in tr.content(venue.description).split("\n\n"):
            page.add(text_label(paragraph))
        self.guarded("part", "heritage_here", lambda: self.heritage_here(page))

    def heritage_here(self, page: ScrollPage) -> None:
        """Intangible heritage this place shows (a dance, a craft): one link each to its page."""
        ctx, venue = self.ctx, self.venue
        assert venue is not None
        items = ctx.store.heritage_items(venue=venue.id) if ctx.router.has("heritage") else []
        if items:
            page.add(text_label(ctx.tr("heritage.here"), "heading"))
        for item in items:
            page.add(button(ctx.tr.content(item.name), lambda h=item.id: ctx.go("heritage", id=h),
                            name=f"venue-heritage-{item.id}"))  # fmt: skip

    def taxi_card(self, page: ScrollPage) -> None:
        """On a page not in Chinese: the Chinese name and address, large, to show a driver."""
        ctx, venue = self.ctx, self.venue
        assert venue is not None
        name_zh = (venue.name or {}).get("zh-Hans", "")
        if ctx.lang.startswith("zh") or not name_zh:
            return
        address_zh = (venue.address or {}).get("zh-Hans", "")
        page.add(TaxiCard(ctx.tr, name_zh, address_zh, ctx.metrics, ctx.palette))

    def feedback(self, page: ScrollPage, width: int) -> None:
        """A way to tell the city about this place (a complaint, a rating), offline too."""
        ctx, venue = self.ctx, self.venue
        assert venue is not None
        if ctx.router.has("feedback"):
            page.add(button(ctx.tr("venue.feedback"), lambda: ctx.go("feedback", about=f"venue:{venue.id}"),
                            name="venue-feedback"))  # fmt: skip

    def codes(self, page: ScrollPage, width: int) -> None:
        ctx, tr = self.ctx, self.ctx.tr
        venue = self.venue
        assert venue is not None
        name = tr.content(venue.name)
        codes = [(amap_place(venue.lat, venue.lon, name), tr("qr.amap_venue")),
                 (geo_uri(venue.lat, venue.lon, name), tr("venue.qr_map"))]  # fmt: skip
        link = ctx.config.qr_url("venue", venue.id, ctx.lang)
        if link:
            codes.insert(0, (link, tr("venue.qr_link")))
        self.take_away(page, codes)
