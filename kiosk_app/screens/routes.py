"""Cultural routes: every route in the pack as a card; a tap opens the route with its stops."""

from __future__ import annotations

from typing import Any

from ..theme import PORTRAIT
from ..widgets.cards import route_card
from ..widgets.common import ScrollPage, grid, text_label
from .base import Screen


class RouteListScreen(Screen):
    name = "routes"

    def title(self) -> str:
        return self.ctx.tr("routes.title")

    def likely_next(self) -> list[tuple[str, dict[str, Any]]]:
        return [("route", {"id": r.id}) for r in getattr(self, "_routes", [])]

    def render(self) -> None:
        self.clear_body()
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        page = ScrollPage(m.margin, m.gap)
        routes = self._routes = ctx.store.routes()
        if routes:
            page.add(text_label(tr.n("routes.count", len(routes)), "muted")).setObjectName("routes-count")
            # Route cards are text only: a little wider than place cards reads better.
            columns = m.columns if ctx.layout == PORTRAIT else max(1, m.columns - 1)
            cards = self.items("route", routes, lambda r: route_card(ctx, r, lambda: ctx.go("route", id=r.id)))
            for card in cards:
                # Cards in a row share the tallest one's height: keep each card's text at the top.
                card.layout().addStretch(1)
            page.add(grid(cards, columns, m.gap))
        else:
            page.add(text_label(tr("routes.none"), "heading"))
        page.finish()
        self.body.addWidget(page)
