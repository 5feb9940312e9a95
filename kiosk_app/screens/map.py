"""The map: every place by theme colour, "you are here", routes; a tap on a place opens it.

The web view belongs to the kiosk's ``MapService`` (it outlives this page and is
discarded at idle reset); the page borrows it while it is in view.
"""

from __future__ import annotations

import contextlib

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..widgets.common import button, text_label
from .base import Screen


class MapScreen(Screen):
    name = "map"

    def title(self) -> str:
        return self.ctx.tr("map.title")

    def render(self) -> None:
        self.clear_body()
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        bar = QWidget()
        bar.setObjectName("map-bar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(m.margin, m.gap // 2, m.margin, m.gap // 2)
        row.setSpacing(m.gap)
        row.addWidget(text_label(tr("map.hint"), "muted"), 1)
        self.reset_button = button(tr("map.reset"), self.reset_view, name="map-reset")
        row.addWidget(self.reset_button)
        self.body.addWidget(bar)
        self.slot = QWidget()
        self.slot.setObjectName("map-slot")
        self.slot_layout = QVBoxLayout(self.slot)
        self.slot_layout.setContentsMargins(0, 0, 0, 0)
        self.message = text_label(tr("map.loading"), "heading")
        self.message.setObjectName("map-message")
        self.slot_layout.addWidget(self.message)
        self.body.addWidget(self.slot, 1)
        self.reset_button.setEnabled(ctx.map.has_basemap())
        if not ctx.map.has_basemap():
            self.message.setText(tr("map.unavailable"))

    def entered(self) -> None:
        if not self.ctx.map.has_basemap():
            return
        surface = self.ctx.map.surface()
        view = surface.ensure_view()
        surface.prepare()
        if view.parent() is not self.slot:
            self.slot_layout.addWidget(view, 1)
        view.show()
        self._show_message(surface.state)
        surface.state_changed.connect(self._show_message)
        kind = "venue" if self.params.get("venue") else "route" if self.params.get("route") else ""
        surface.focus(kind, str(self.params.get(kind, "")) if kind else "")

    def _show_message(self, state: str) -> None:
        label: QLabel | None = getattr(self, "message", None)
        if label is None:
            return
        tr = self.ctx.tr
        label.setVisible(state in ("loading", "failed", "unavailable", "idle"))
        label.setText(tr("map.loading") if state in ("loading", "idle") else tr("map.unavailable"))

    def reset_view(self) -> None:
        if self.ctx.map.started:
            self.ctx.map.surface().focus("", "")

    def hideEvent(self, event: object) -> None:
        """Give the shared view back before this page can be deleted with it inside."""
        if self.ctx.map.started:
            surface = self.ctx.map.surface()
            with contextlib.suppress(RuntimeError, TypeError):
                surface.state_changed.disconnect(self._show_message)
            view = surface.view
            if view is not None and view.parent() is self.slot:
                self.slot_layout.removeWidget(view)
                view.hide()
                view.setParent(None)
        super().hideEvent(event)  # type: ignore[arg-type]
