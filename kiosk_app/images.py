"""Images decoded off the GUI thread, scaled to the size they are shown at, and cached.

The worker also converts each image to the pixel format a pixmap uses, so turning it into a
``QPixmap`` on the GUI thread is a plain copy instead of a conversion (milliseconds per photo
while a page was being shown). Pixmaps, not the worker's images, are kept: memory freed
across threads fragments the heap and made a long-running kiosk grow.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap

from .background import BackgroundTasks, for_owner

Key = tuple[str, int, int]


def load_scaled(path: Path, size: QSize) -> QImage:
    """Decode ``path`` at (about) ``size``, cropping to fill; an empty image when unreadable."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    original = reader.size()
    if original.isValid() and original.width() > 0 and original.height() > 0:
        scaled = original.scaled(size, Qt.AspectRatioMode.KeepAspectRatioByExpanding)
        reader.setScaledSize(scaled)
    image = reader.read()
    if image.isNull():
        return QImage()
    if image.size() != size:
        x = max(0, (image.width() - size.width()) // 2)
        y = max(0, (image.height() - size.height()) // 2)
        image = image.copy(x, y, min(size.width(), image.width()), min(size.height(), image.height()))
    native = QImage.Format.Format_ARGB32_Premultiplied if image.hasAlphaChannel() else QImage.Format.Format_RGB32
    return image.convertToFormat(native)


class ImageCache:
    def __init__(self, tasks: BackgroundTasks, budget_bytes: int = 48 * 1024 * 1024) -> None:
        self.tasks = tasks
        self.budget = budget_bytes
        self.used = 0
        self._cache: OrderedDict[Key, QPixmap] = OrderedDict()
        self._waiting: dict[Key, list[Callable[[QPixmap], None]]] = {}

    def get(
        self, path: Path, size: QSize, callback: Callable[[QPixmap], None], owner: QObject | None = None
    ) -> QPixmap | None:
        """The pixmap now if cached; otherwise ``None`` and ``callback`` later with it (while
        ``owner`` exists: the image is still decoded and cached for others)."""
        callback = for_owner(owner, callback)
        key = (str(path), size.width(), size.height())
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key in self._waiting:
            self._waiting[key].append(callback)
            return None
        self._waiting[key] = [callback]

        def done(image: QImage) -> None:
            pixmap = QPixmap.fromImage(image) if not image.isNull() else QPixmap()
            if not pixmap.isNull():
                self._cache[key] = pixmap
                self.used += _bytes(pixmap)
                while self.used > self.budget and len(self._cache) > 1:
                    _key, old = self._cache.popitem(last=False)
                    self.used -= _bytes(old)
            for waiting in self._waiting.pop(key, []):
                waiting(pixmap)

        self.tasks.run(lambda: load_scaled(Path(key[0]), QSize(key[1], key[2])), done,
                       lambda _exc: done(QImage()))  # fmt: skip
        return None

    def clear(self) -> None:
        self._cache.clear()
        self.used = 0


def _bytes(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * max(1, pixmap.depth() // 8)
