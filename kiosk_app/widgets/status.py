"""The strip with the time, and the weather with how old it is (the live weather feed the sync agent keeps)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFrame, QHBoxLayout

from content_sync.core.hours import DAYS

from ..feeds import age_text, current_weather
from ..format import DAY_NAMES
from ..strings import Translator
from .common import text_label

#: Weather older than this is hidden unless kiosk.toml says otherwise (``feeds.weather_max_age_hours``).
WEATHER_MAX_AGE = dt.timedelta(hours=6)


class StatusStrip(QFrame):
    def __init__(
        self,
        clock: Callable[[], dt.datetime],
        weather: Callable[[], Any],
        *,
        max_age: dt.timedelta = WEATHER_MAX_AGE,
    ) -> None:
        super().__init__()
        self.setProperty("role", "status")
        self.setObjectName("status")
        self.clock = clock
        self.weather = weather
        self.max_age = max_age
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

    def weather_text(self, tr: Translator, now: dt.datetime) -> str:
        """``7°C Sunny · updated 20 min ago``, or "no weather" when there is none fit to show."""
        try:
            record = self.weather()
        except Exception:  # the reader says "no weather" for any error; so does the strip
            record = None
        current = current_weather(record, now, self.max_age)
        if current is None:
            return tr("status.weather_none")
        condition = tr.content(current.condition)
        weather = tr("status.weather", temp=round(current.temp_c), condition=condition)
        return f"{weather.strip()} · {age_text(tr, current.issued_at, now)}"

    def update_texts(self, tr: Translator, content_version: int) -> None:
        now = self.clock()
        self.time.setText(f"{now:%H:%M}  {tr(DAY_NAMES[DAYS[now.weekday()]])}")
        self.forecast.setText(self.weather_text(tr, now))
        self.version.setText(tr("status.content_version", v=content_version))
