"""QR code images, drawn on a worker thread (encoding takes tens of milliseconds) and cached.

A service like the image cache: the widgets that show codes are in ``widgets/qr.py``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from .background import BackgroundTasks, for_owner


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

    def __init__(
        self, tasks: BackgroundTasks, capacity: int = 64, on_shown: Callable[[str], object] | None = None
    ) -> None:
        self.tasks = tasks
        self.capacity = capacity
        self.on_shown = on_shown  # told what a code on screen hands over (the recorder's qr_shown)
        self._cache: OrderedDict[tuple[str, int], QImage] = OrderedDict()

    def shown(self, subject: str) -> None:
        """Codes for ``subject`` (``venue:<id>``) came into view: tell whoever counts it."""
        if self.on_shown is not None and subject:
            self.on_shown(subject)

    def get(self, payload: str, size: int, callback: Callable[[QImage], object], owner: QObject | None = None) -> None:
        """``callback`` with the code's image, now if cached, else once made (while ``owner`` exists)."""
        callback = for_owner(owner, callback)
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
