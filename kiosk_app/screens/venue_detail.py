"""One place: pictures, open or closed now, audio guide, tickets, accessibility, how to get there, QR hand-off."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from content_sync.core.vocabulary import ACCESSIBILITY_FACTS
from content_sync.store.content_store import Venue

from .. import format as fmt
from ..strings import N_
from ..theme import PORTRAIT
from ..widgets.common import ImageView, ScrollPage, text_label
from ..widgets.minimap import StillMap
from ..widgets.narration import NarrationPanel
from ..widgets.qr import geo_uri, qr_block
from .base import Screen

ACCESS_NAMES: dict[str, str] = dict(zip(ACCESSIBILITY_FACTS, (
    N_("access.step_free"), N_("access.accessible_toilet"), N_("access.wheelchair_loan"), N_("access.lift"),
    N_("access.braille"), N_("access.hearing_loop"),
), strict=True))  # fmt: skip


class VenueDetailScreen(Screen):
    """Parameter: id."""

    name = "venue"
    per_params = True

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.venue: Venue | None = None
        self.qr_payloads: list[str] = []
        self.narration: NarrationPanel | None = None

    def title(self) -> str:
        return self.ctx.tr.content(self.venue.name) if self.venue else ""

    def render(self) -> None:
        self.clear_body()
        self.narration = None
        ctx, m = self.ctx, self.ctx.metrics
        self.venue = ctx.store.venue(self.params.get("id", ""))
        if self.venue is None:
            raise LookupError(f"no venue {self.params.get('id')!r}")
        portrait = ctx.layout == PORTRAIT
        page = ScrollPage(m.margin, m.gap)
        if portrait:
            width = ctx.content_width()
            page.add(self._image(QSize(width, round(width * 2 / 3))))
            self._facts(page)
            page.add(self._qr_block(horizontal=True))
            page.finish()
            self.body.addWidget(page)
            return
        holder = QWidget()
        columns = QHBoxLayout(holder)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(0)
        width = round(ctx.screen_size.width() * 0.38)
        left = ScrollPage(m.margin, m.gap)
        left.setFixedWidth(width + m.margin + max(18, m.gap))
        left.add(self._image(QSize(width, round(width * 2 / 3))))
        left.add(self._qr_block(horizontal=ctx.layout != "compact"))
        left.finish()
        columns.addWidget(left)
        self._facts(page)
        page.finish()
        columns.addWidget(page, 1)
        self.body.addWidget(holder)

    def _image(self, size: QSize) -> QWidget:
        venue = self.venue
        assert venue is not None
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        image = venue.images[0] if venue.images else None
        layout.addWidget(ImageView(self.ctx.images, image.path if image else None, size))
        if image:
            caption = self.ctx.tr.content(image.caption)
            credit = self.ctx.tr("venue.image_credit", credit=f"{image.credit} ({image.licence})")
            layout.addWidget(text_label(f"{caption}\n{credit}" if caption else credit, "muted"))
        return box

    def _facts(self, page: ScrollPage) -> None:
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
        if ctx.narration is not None:
            # Only there when it can be heard in the visitor's language (recorded or a voice).
            name = tr.content(venue.name)
            self.narration = NarrationPanel(ctx, f"venue:{venue.id}", name, venue.narration, venue.audio)
            page.add(self.narration)

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
        if ctx.map is not None and ctx.map.has_basemap():
            width = min(ctx.content_width() if ctx.layout == PORTRAIT else ctx.column_width(2), 720)
            colour = ctx.content.theme_colour(venue.themes)
            self.still_map = StillMap(
                ctx, [(venue.lat, venue.lon)], QSize(width, round(width * 0.55)),
                lambda: ctx.go("map", venue=venue.id), colour=colour or "#5A6B7B", caption=tr("map.show"),
            )  # fmt: skip
            page.add(self.still_map)
        for paragraph in tr.content(venue.description).split("\n\n"):
            page.add(text_label(paragraph))

    def _qr_block(self, *, horizontal: bool) -> QWidget:
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        venue = self.venue
        assert venue is not None
        codes = [(geo_uri(venue.lat, venue.lon, tr.content(venue.name)), tr("venue.qr_map"))]
        link = ctx.config.qr_url("venue", venue.id, ctx.lang)
        if link:
            codes.insert(0, (link, tr("venue.qr_link")))
        self.qr_payloads = [payload for payload, _ in codes]
        size = 260 if ctx.layout != "compact" else 200
        return qr_block(ctx.qr, tr("venue.take_away"), codes, size=size, spacing=m.gap, horizontal=horizontal)
