"""The strip with the time, and the weather with how old it is (it comes from the last sync)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout

from content_sync.core.hours import DAYS

from ..format import DAY_NAMES
from ..strings import Translator
from .common import text_label


def weather_age(tr: Translator, updated: dt.datetime, now: dt.datetime) -> str:
    minutes = max(0, int((now - updated).total_seconds() // 60))
    if minutes < 90:
        return tr.n("status.updated_minutes", minutes)
    if minutes < 48 * 60:
        return tr.n("status.updated_hours", minutes // 60)
    return tr.n("status.updated_days", minutes // (24 * 60))


class StatusStrip(QFrame):
    def __init__(self, clock: Callable[[], dt.datetime], weather: Callable[[], dict | None]) -> None:
        super().__init__()
        self.setProperty("role", "status")
        self.setObjectName("status")
        self.clock = clock
        self.weather = weather
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 6, 24, 6)
        self.time = text_label("", "heading", wrap=False)
        self.time.setObjectName("status-time")
        self.forecast = text_label("", "muted", wrap=False)
        self.forecast.setObjectName("status-weather")
        self.version = text_label("", "muted", wrap=False)
        layout.addWidget(self.time)
        layout.addSpacing(24)
        layout.addWidget(self.forecast, 1)
        layout.addWidget(self.version)

    def update_texts(self, tr: Translator, content_version: int) -> None:
        now = self.clock()
        self.time.setText(f"{now:%H:%M}  {tr(DAY_NAMES[DAYS[now.weekday()]])}")
        data = self.weather()
        text = tr("status.weather_none")
        if data:
            try:
                updated = dt.datetime.fromisoformat(str(data["updated_at"]))
                condition = tr.content(data.get("condition") or {})
                weather = tr("status.weather", temp=round(float(data["temp_c"])), condition=condition)
                text = f"{weather.strip()} · {weather_age(tr, updated, now)}"
            except (KeyError, TypeError, ValueError):
                text = tr("status.weather_none")
        self.forecast.setText(text)
        self.version.setText(tr("status.content_version", v=content_version))
