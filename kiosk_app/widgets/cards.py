"""Cards for venues and routes, shared by home, lists and search results."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout

from content_sync.store.content_store import Route, Venue

from .. import format as fmt
from ..context import AppContext
from .common import Card, ImageView, text_label


def venue_card(ctx: AppContext, venue: Venue, on_tap: Callable[[], None], *, width: int, wide: bool = False) -> Card:
    """A card ``width`` pixels wide: picture on top, or beside the text when ``wide``."""
    tr = ctx.tr
    card = Card(on_tap)
    card.setObjectName(f"venue-{venue.id}")
    layout = QHBoxLayout(card) if wide else QVBoxLayout(card)
    layout.setContentsMargins(12, 12, 12, 12)
    layout.setSpacing(12)
    image = venue.images[0].path if venue.images else None
    image_width = min(420, (width - 24) // 3) if wide else width - 28
    size = QSize(image_width, round(image_width * 2 / 3))
    layout.addWidget(ImageView(ctx.images, image, size, ctx.palette))
    text = QVBoxLayout()
    text.setSpacing(4)
    text.addWidget(text_label(tr.content(venue.name), "heading"))
    category = ctx.content.category_names.get(venue.category, {})
    where = f"{tr.content(category)} · {fmt.distance_from(tr, ctx.config.location, venue)}"
    text.addWidget(text_label(where, "muted"))
    phrase, role = fmt.open_status(tr, venue.open_status(ctx.now()), ctx.now())
    text.addWidget(text_label(phrase, role))
    if wide:
        text.addWidget(text_label(tr.content(venue.summary)))
    text.addStretch(1)
    layout.addLayout(text, 1)
    return card


def route_card(ctx: AppContext, route: Route, on_tap: Callable[[], None]) -> Card:
    tr = ctx.tr
    card = Card(on_tap)
    card.setObjectName(f"route-{route.id}")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(16, 16, 16, 16)
    layout.setSpacing(6)
    layout.addWidget(text_label(tr.content(route.name), "heading"))
    facts = [fmt.duration(tr, route.duration_minutes), tr.n("routes.stops", len(route.stops)),
             fmt.route_mode(tr, route.mode)]  # fmt: skip
    if route.distance_km:
        facts.insert(1, tr("routes.distance", km=f"{route.distance_km:g}"))
    layout.addWidget(text_label(" · ".join(facts), "muted"))
    layout.addWidget(text_label(tr.content(route.summary)))
    return card
