"""QR codes a visitor scans to take what they found away on their phone."""

from __future__ import annotations

import urllib.parse
from collections import OrderedDict
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..background import BackgroundTasks


def geo_uri(lat: float, lon: float, label: str) -> str:
    """A ``geo:`` link (RFC 5870) any phone maps app opens; works with no server at all."""
    return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({urllib.parse.quote(label)})"


def qr_image(payload: str, size: int) -> QImage:
    """Draw the code ourselves from the module matrix: crisp at any size, no image library."""
    import qrcode  # pure Python and slow to import: only when a code is first drawn

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(payload)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("black"))
    cell = max(1, size // n)  # whole pixels per module: every module the same width
    offset = (size - cell * n) // 2
    for y, line in enumerate(matrix):
        for x, dark in enumerate(line):
            if dark:
                painter.drawRect(offset + x * cell, offset + y * cell, cell, cell)
    painter.end()
    image.setText("payload", payload)
    return image


class QrCodes:
    """QR images made on a worker thread (encoding takes tens of milliseconds) and cached."""

    def __init__(self, tasks: BackgroundTasks, capacity: int = 64) -> None:
        self.tasks = tasks
        self.capacity = capacity
        self._cache: OrderedDict[tuple[str, int], QImage] = OrderedDict()

    def label(self, payload: str, size: int) -> QLabel:
        """A label that shows the code as soon as it is ready; ``payload`` is a property for tests."""
        label = QLabel()
        label.setObjectName("qr-code")
        label.setFixedSize(size, size)
        label.setProperty("payload", payload)
        label.setStyleSheet("background: white;")
        self.get(payload, size, lambda image: shiboken6.isValid(label) and label.setPixmap(QPixmap.fromImage(image)))
        return label

    def get(self, payload: str, size: int, callback: Callable[[QImage], object]) -> None:
        key = (payload, size)
        if key in self._cache:
            self._cache.move_to_end(key)
            callback(self._cache[key])
            return

        def done(image: QImage) -> None:
            self._cache[key] = image
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
            callback(image)

        self.tasks.run(lambda: qr_image(payload, size), done)


def qr_block(qr: QrCodes, heading: str, codes: list[tuple[str, str]], *, size: int, spacing: int,
             horizontal: bool) -> QWidget:  # fmt: skip
    """ "Take it with you": each (payload, caption) as a code with its caption beneath."""
    from .common import text_label

    box = QWidget()
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
        cell.addWidget(qr.label(payload, size), 0, Qt.AlignmentFlag.AlignLeft)
        label = text_label(caption, "muted")
        label.setMaximumWidth(size + 80)
        cell.addWidget(label)
        layout.addLayout(cell)
    layout.addStretch(1)
    outer.addLayout(layout)
    return box
