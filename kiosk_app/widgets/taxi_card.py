"""'Show this to a taxi driver': a place's Chinese name and address, large, on a foreign visitor's page.

Most drivers read no English or pinyin, and a visitor cannot pronounce the name: a card they
can hold up (or photograph) gets them there. Shown only when the page is not in Chinese and
the pack gives the place a Chinese name.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

from ..strings import N_, Translator
from ..theme import Metrics, Palette
from .common import text_label

DRIVER_LANGUAGE = "zh-Hans"
# Read to the driver, so always from the Chinese catalog.
DRIVER_LINE, ADDRESS = N_("taxi.driver_line"), N_("taxi.address")


def _big(text: str, px: int, name: str, colour: str) -> QLabel:
    label = text_label(text)
    label.setObjectName(name)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    label.setStyleSheet(f"font-size: {px}px; font-weight: 700; color: {colour}; background: transparent;")
    return label


class TaxiCard(QFrame):
    """The heading in the visitor's language, then in Chinese: "please take me to", name, address."""

    def __init__(self, tr: Translator, name_zh: str, address_zh: str, metrics: Metrics, palette: Palette) -> None:
        super().__init__()
        self.setObjectName("taxi-card")
        self.name_zh, self.address_zh = name_zh, address_zh
        self.setStyleSheet(
            f"QFrame#taxi-card {{ background: {palette.surface}; border: 4px solid {palette.accent};"
            f" border-radius: 16px; }}"
        )
        driver = Translator(DRIVER_LANGUAGE, fallback=())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(metrics.gap, metrics.gap, metrics.gap, metrics.gap)
        layout.setSpacing(metrics.gap // 2)
        heading = text_label(tr("taxi.heading"), "heading")
        heading.setObjectName("taxi-heading")
        layout.addWidget(heading)
        layout.addWidget(_big(driver(DRIVER_LINE), metrics.heading, "taxi-driver-line", palette.text))
        layout.addWidget(_big(name_zh, round(metrics.title * 1.5), "taxi-name", palette.text))
        if address_zh:
            address = f"{driver(ADDRESS)}：{address_zh}"
            layout.addWidget(_big(address, round(metrics.heading * 1.3), "taxi-address", palette.text))
