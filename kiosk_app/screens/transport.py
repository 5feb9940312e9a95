"""Getting around: the transport notices in force (live feed), then airports, stations and lines,
grouped by kind, nearest to this kiosk first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from content_sync.store.content_store import distance_km

from .. import format as fmt
from ..feeds import Notice, age_text, current_notices
from ..strings import N_
from ..widgets.common import Card, ChipRow, ScrollPage, button, text_label
from .base import Screen

# The order a traveller looks for things: how to leave the city first, then how to move in it.
KIND_ORDER = ("airport", "rail_station", "bus_station", "metro", "brt", "tram", "bus", "ferry")
SEVERITY_NAMES = {
    "alert": N_("transport.severity.alert"), "warning": N_("transport.severity.warning"),
    "info": N_("transport.severity.info"),
}  # fmt: skip
MODE_NAMES = {
    "air": N_("transport.mode.air"), "rail": N_("transport.mode.rail"), "metro": N_("transport.mode.metro"),
    "bus": N_("transport.mode.bus"), "ferry": N_("transport.mode.ferry"),
}  # fmt: skip


class TransportScreen(Screen):
    name = "transport"

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.groups: list[tuple[str, list[dict[str, Any]]]] = []

    def title(self) -> str:
        return self.ctx.tr("transport.title")

    def _kind_label(self, kind: str) -> str:
        return fmt.transport_kind(self.ctx.tr, kind)

    def _distance(self, item: dict[str, Any]) -> float | None:
        if item.get("lat") is None or item.get("lon") is None:
            return None
        here = self.ctx.config.location
        return distance_km(here[0], here[1], item["lat"], item["lon"])

    def grouped(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """(kind, items) in KIND_ORDER; within a kind, located items nearest first, then the rest."""
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for item in self.ctx.store.transport():
            by_kind.setdefault(item["kind"], []).append(item)
        kinds = sorted(by_kind, key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER), k))

        def nearest(item: dict[str, Any]) -> tuple[int, float]:
            km = self._distance(item)
            return (0, km) if km is not None else (1, 0.0)

        # sorted() is stable: items without coordinates keep the pack's editorial order, last.
        return [(kind, sorted(by_kind[kind], key=nearest)) for kind in kinds]

    def notices(self) -> list[Notice]:
        """The live feed's notices in force now (the kiosk's clock), most urgent first; none past the limit."""
        try:
            record = self.ctx.feed("transport")
        except Exception:  # an unreadable device database: no notices, the page still shows
            record = None
        limit = dt.timedelta(hours=self.ctx.config["feeds.transport_max_age_hours"])
        return current_notices(record, self.ctx.now(), limit)

    def render(self) -> None:
        self.clear_body()
        tr, m = self.ctx.tr, self.ctx.metrics
        page = ScrollPage(m.margin, m.gap)
        self.groups = self.grouped()
        notices = self.notices()
        if notices:
            heading = text_label(tr("transport.notices"), "heading")
            heading.setObjectName("transport-notices")
            page.add(heading)
            now = self.ctx.now()
            for notice in notices:
                page.add(self._notice_card(notice, now))
        if not self.groups:
            page.add(text_label(tr("transport.none"), "heading"))
        elif len(self.groups) > 1:
            # A finger's shortcut to each group: the page is long once descriptions are in.
            chips = [button(self._kind_label(kind), lambda kind=kind: self._jump(page, kind), "chip",
                            name=f"transport-jump-{kind}") for kind, _ in self.groups]  # fmt: skip
            page.add(ChipRow(chips, 10, m.touch))
        if self.groups:
            page.add(text_label(tr("transport.sorted"), "muted"))
        if max(1, min(2, m.columns - 1)) == 1:
            for kind, items in self.groups:
                page.add(self._heading(kind))
                for card in self.items("transport", items, self._card):
                    page.add(card)
        else:
            page.add(self._two_columns())
        page.finish()
        self.body.addWidget(page)

    def _heading(self, kind: str) -> QLabel:
        heading = text_label(self._kind_label(kind), "heading")
        heading.setObjectName(f"transport-kind-{kind}")
        return heading

    def _two_columns(self) -> QWidget:
        """Whole groups side by side, each into the shorter column: no half-empty rows for one airport."""
        m = self.ctx.metrics
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(m.gap)
        columns = [QVBoxLayout(), QVBoxLayout()]
        weight = [0, 0]
        for kind, items in self.groups:
            i = weight.index(min(weight))
            columns[i].addWidget(self._heading(kind))
            for item in items:
                card = self.guarded("transport", item.get("id"), lambda item=item: self._card(item))
                if card is None:
                    continue
                columns[i].addWidget(card)
                text = (item["name"], item["description"], item["to_city_centre"])
                weight[i] += 300 + sum(len(self.ctx.tr.content(t)) for t in text)
            weight[i] += 100
        for column in columns:
            column.setSpacing(m.gap)
            column.addStretch(1)
            row.addLayout(column, 1)
        return holder

    def _jump(self, page: ScrollPage, kind: str) -> None:
        heading = page.widget().findChild(QLabel, f"transport-kind-{kind}")
        if heading is not None:
            y = heading.mapTo(page.widget(), QPoint(0, 0)).y()
            page.verticalScrollBar().setValue(y - self.ctx.metrics.gap)

    def _notice_card(self, notice: Notice, now: dt.datetime) -> Card:
        """One notice: how urgent and for what, its title and text, until when, and how old it is."""
        tr = self.ctx.tr
        card = Card()
        card.setObjectName(f"transport-notice-{notice.id}")
        card.setProperty("severity", notice.severity)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(20, 14, 20, 14)
        layout.setSpacing(6)
        role = {"alert": "closed", "warning": "closed", "info": "open"}[notice.severity]
        kind = text_label(f"{tr(SEVERITY_NAMES[notice.severity])} · {tr(MODE_NAMES[notice.mode])}", role)
        kind.setObjectName("transport-notice-kind")
        layout.addWidget(kind)
        title = text_label(tr.content(notice.title), "heading")
        title.setObjectName("transport-notice-title")
        layout.addWidget(title)
        body = tr.content(notice.body).strip() if notice.body else ""
        if body:
            layout.addWidget(text_label(body))
        until = notice.valid_until.astimezone(now.tzinfo)
        shown = f"{until:%H:%M}" if until.date() == now.date() else f"{until:%Y-%m-%d %H:%M}"
        until_text = tr("transport.notice_until", time=shown)
        facts = f"{until_text} · {age_text(tr, notice.updated_at, now)}"
        age = text_label(facts, "muted")
        age.setObjectName("transport-notice-age")
        layout.addWidget(age)
        return card

    def _card(self, item: dict[str, Any]) -> Card:
        tr = self.ctx.tr
        card = Card()
        card.setObjectName(f"transport-{item['id']}")
        layout = QVBoxLayout(card)
        layout.setContentsMargins(20, 18, 20, 18)
        layout.setSpacing(8)
        name = text_label(tr.content(item["name"]), "heading")
        name.setObjectName("transport-name")
        layout.addWidget(name)
        facts = [self._kind_label(item["kind"])]
        km = self._distance(item)
        if km is not None:
            facts.append(tr("venue.from_here", distance=fmt.distance(tr, km)))
        distance = text_label(" · ".join(facts), "muted")
        distance.setObjectName("transport-distance")
        layout.addWidget(distance)
        # How to get into town is what most people at a kiosk ask, so it comes before the background.
        to_centre = tr.content(item["to_city_centre"]).strip()
        if to_centre:
            label = text_label(tr("transport.to_centre"))
            label.setStyleSheet("font-weight: 700;")
            layout.addWidget(label)
            layout.addWidget(text_label(to_centre))
        for paragraph in tr.content(item["description"]).split("\n\n"):
            if paragraph.strip():
                layout.addWidget(text_label(paragraph.strip(), "muted"))
        layout.addStretch(1)
        return card
