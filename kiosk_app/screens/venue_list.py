"""Places, filtered by theme, type, district, open now and step-free, nearest to this kiosk first."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QPushButton, QWidget

from ..widgets.cards import venue_card
from ..widgets.common import ChipRow, ScrollPage, button, grid, text_label
from .base import Screen


class VenueListScreen(Screen):
    """Parameters: theme, category, district (ids), open_now and step_free (bool)."""

    name = "venues"
    per_params = True

    def title(self) -> str:
        theme = self.params.get("theme")
        for t in self.ctx.content.themes:
            if t["id"] == theme:
                return self.ctx.tr.content(t["name"])
        return self.ctx.tr("list.title")

    def likely_next(self) -> list[tuple[str, dict[str, Any]]]:
        return [("venue", {"id": ident}) for ident in getattr(self, "_shown", [])]

    def render(self) -> None:
        self.clear_body()
        self._shown: list[str] = []
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        p = self.params
        page = ScrollPage(m.margin, m.gap)
        all_venues = ctx.store.venues()
        open_now = button(tr("list.open_now"), self._toggle_open, "chip", name="filter-open-now")
        open_now.setCheckable(True)
        open_now.setChecked(bool(p.get("open_now")))
        step_free = button(tr("hours.filter_step_free"), self._toggle_step_free, "chip", name="filter-step-free")
        step_free.setCheckable(True)
        step_free.setChecked(bool(p.get("step_free")))
        themes = [(None, tr("list.all"))] + [(t["id"], tr.content(t["name"])) for t in ctx.content.themes]
        page.add(self._chips("theme", themes, p.get("theme"), first=[open_now, step_free]))
        used = {v.category for v in all_venues}
        categories = [(c, tr.content(n)) for c, n in ctx.content.category_names.items() if c in used]
        page.add(self._chips("category", [(None, tr("list.all")), *categories], p.get("category")))
        used_districts = {v.district for v in all_venues}
        districts = [(d["code"], tr.content(d["name"])) for d in ctx.store.districts() if d["code"] in used_districts]
        page.add(self._chips("district", [(None, tr("list.all")), *districts], p.get("district")))
        venues = ctx.store.venues(
            theme=p.get("theme"), category=p.get("category"), district=p.get("district"),
            open_at=ctx.now() if p.get("open_now") else None, near=ctx.config.location, with_media=True,
            step_free=bool(p.get("step_free")),
        )  # fmt: skip
        self._shown = [v.id for v in venues]
        if p.get("theme"):
            self.section("heritage", lambda: self._heritage(page, p["theme"]))
        if venues:
            page.add(text_label(tr.n("list.count", len(venues)), "muted"))
            columns = max(1, m.columns - 1)
            width = ctx.column_width(columns)
            wide = columns == 1
            cards = self.items("venue", venues, lambda v: venue_card(ctx, v, lambda: ctx.go("venue", id=v.id),
                                                                      width=width, wide=wide))  # fmt: skip
            page.add(grid(cards, columns, m.gap))
        else:
            page.add(text_label(tr("list.empty"), "heading"))
            page.add(button(tr("list.clear_filters"), lambda: ctx.go("venues", remember=False), "primary",
                            name="filter-clear"))  # fmt: skip
        page.finish()
        self.body.addWidget(page)

    def _heritage(self, page: ScrollPage, theme: str) -> None:
        """A theme's living traditions (a dance, a craft) as one row of links above its places, where a
        visitor sees them without scrolling past every place."""
        ctx = self.ctx
        items = ctx.store.heritage_items(theme=theme) if ctx.router.has("heritage") else []
        if not items:
            return
        page.add(text_label(ctx.tr("heritage.theme_heading"), "muted")).setObjectName("theme-heritage")
        links = [button(ctx.tr.content(h.name), lambda h=h.id: ctx.go("heritage", id=h), "chip",
                        name=f"theme-heritage-{h.id}") for h in items]  # fmt: skip
        page.add(ChipRow(links, 10, ctx.metrics.touch))

    def _chips(self, key: str, options: list[tuple[str | None, str]], current: str | None,
               first: list[QPushButton] | None = None) -> QWidget:  # fmt: skip
        chips = list(first or [])
        for ident, label in options:
            chip = button(
                label, lambda ident=ident: self._set(key, ident), "chip", name=f"filter-{key}-{ident or 'all'}"
            )
            chip.setCheckable(True)
            chip.setChecked(ident == current)
            chips.append(chip)
        return ChipRow(chips, 10, self.ctx.metrics.touch)

    def _set(self, key: str, value: str | None) -> None:
        params = {k: v for k, v in self.params.items() if k != key}
        if value is not None:
            params[key] = value
        self.ctx.go("venues", remember=False, **params)

    def _toggle_open(self) -> None:
        self._set("open_now", None if self.params.get("open_now") else True)

    def _toggle_step_free(self) -> None:
        self._set("step_free", None if self.params.get("step_free") else True)
