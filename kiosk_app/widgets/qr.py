"""QR codes a visitor scans to take what they found away on their phone."""

from __future__ import annotations

import urllib.parse

import qrcode
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter


def geo_uri(lat: float, lon: float, label: str) -> str:
    """A ``geo:`` link (RFC 5870) any phone maps app opens; works with no server at all."""
    return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({urllib.parse.quote(label)})"


def qr_image(payload: str, size: int) -> QImage:
    """Draw the code ourselves from the module matrix: crisp at any size, no image library."""
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
