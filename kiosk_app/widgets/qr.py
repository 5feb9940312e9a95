"""QR codes a visitor scans to take what they found away on their phone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from ..qr_codes import QrCodes

from content_sync.maps.links import Stop, amap_place, amap_route, geo_uri

__all__ = ["Stop", "amap_place", "amap_route", "geo_uri", "qr_block", "qr_label"]


def qr_label(codes: QrCodes, payload: str, size: int) -> QLabel:
    """A label that shows the code as soon as it is ready; ``payload`` is a property for tests."""
    label = QLabel()
    label.setObjectName("qr-code")
    label.setFixedSize(size, size)
    label.setProperty("payload", payload)
    label.setStyleSheet("background: white;")
    codes.get(payload, size, lambda image: label.setPixmap(QPixmap.fromImage(image)), owner=label)
    return label


class QrBlock(QWidget):
    """The codes of one page; each time they come into view, ``codes.shown(subject)``."""

    def __init__(self, codes: QrCodes, subject: str) -> None:
        super().__init__()
        self.codes = codes
        self.subject = subject

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        if not event.spontaneous():
            self.codes.shown(self.subject)


def qr_block(qr: QrCodes, heading: str, codes: list[tuple[str, str]], *, size: int, spacing: int,
             horizontal: bool, subject: str = "") -> QWidget:  # fmt: skip
    """ "Take it with you": each (payload, caption) as a code with its caption beneath;
    ``subject`` (``venue:<id>``) is what the recorder counts as a QR code shown."""
    from .common import text_label

    box = QrBlock(qr, subject)
    box.setObjectName("qr-block")
    if not codes:
        box.hide()
        return box
    outer = QVBoxLayout(box)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(text_label(heading, "heading"))
    layout = QHBoxLayout() if horizontal else QVBoxLayout()
    layout.setSpacing(spacing)
    for payload, caption in codes:
        cell = QVBoxLayout()
        cell.addWidget(qr_label(qr, payload, size), 0, Qt.AlignmentFlag.AlignLeft)
        label = text_label(caption, "muted")
        label.setMaximumWidth(size + 80)
        cell.addWidget(label)
        layout.addLayout(cell)
    layout.addStretch(1)
    outer.addLayout(layout)
    return box
