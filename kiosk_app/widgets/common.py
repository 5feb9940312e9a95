"""Basic building blocks every screen uses.

Text from packs is always shown as plain text (``Qt.PlainText``): a pack's words can never
become markup, links or script in the interface.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QPushButton,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..images import ImageCache
from ..theme import Palette


def text_label(text: str, role: str = "", *, wrap: bool = True, selectable: bool = False) -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    label.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
    if role:
        label.setProperty("role", role)
    return label


class TapButton(QPushButton):
    """A button that acts on a release inside it, like ``Card``.

    On a kinetic-scrolling page QScroller holds back the press (it may become a scroll), and
    a plain QPushButton there never sees a whole click (found offscreen: neither synthetic
    nor window-level taps reach one); the release still arrives. ``click()`` acts once too.
    Workaround ``qscroller-press-replay`` in ``kiosk_app/runtime/workarounds.py``.
    """

    def __init__(self, text: str, on_tap: Callable[[], None], role: str = "", *, name: str = "") -> None:
        super().__init__(text)
        self.on_tap = on_tap
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        if role:
            self.setProperty("role", role)
        if name:
            self.setObjectName(name)
        self.clicked.connect(self._clicked)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if (event.button() == Qt.MouseButton.LeftButton and self.isEnabled()
                and self.rect().contains(event.position().toPoint())):  # fmt: skip
            self.setDown(False)
            event.accept()
            self.on_tap()  # no clicked(): one tap, one action, whether or not the press arrived
            return
        super().mouseReleaseEvent(event)

    def _clicked(self, _checked: bool = False) -> None:
        self.on_tap()


class WrapButton(TapButton):
    """A button whose words wrap onto more lines (a long event title) instead of widening the page.

    The words are a word-wrapped label inside the button; the button asks it for its height at the
    width the layout gives (``heightForWidth``), so it grows downwards, never past the screen's edge.
    """

    def __init__(self, text: str, on_tap: Callable[[], None], role: str = "", *, name: str = "") -> None:
        super().__init__("", on_tap, role, name=name)
        self.label = text_label(text)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAccessibleName(text)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(20, 10, 20, 10)
        layout.addWidget(self.label)
        policy = self.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(self.minimumHeight(), self.layout().totalHeightForWidth(width))

    def sizeHint(self) -> QSize:
        return self.layout().totalSizeHint().expandedTo(QSize(0, self.minimumHeight()))

    def minimumSizeHint(self) -> QSize:
        return QSize(self.layout().totalMinimumSize().width(), self.minimumHeight())


def button(text: str, on_tap: Callable[[], None], role: str = "", *, name: str = "") -> TapButton:
    """Every button of the kiosk acts on release (see ``TapButton``): pages scroll kinetically."""
    return TapButton(text, on_tap, role, name=name)


def own_viewport(area: QScrollArea) -> QWidget:
    """Give ``area`` a viewport made here rather than fetching Qt's own.

    The same plain widget Qt would make, but the first ``viewport()`` call of a process makes
    PySide resolve the C++ object's type, building some 80 enum classes (about 10 ms) right
    on the path to the first painted screen (workaround ``scroll-area-viewport-enums``).
    """
    viewport = QWidget()
    viewport.setObjectName("qt_scrollarea_viewport")
    area.setViewport(viewport)
    return viewport


class KineticOnShow(QObject):
    """Kinetic (finger) scrolling for ``viewport``, switched on when it is first shown.

    Every ``QScroller.grabGesture`` registers a new gesture recogniser and returns a new
    gesture type, and PySide keeps a new enum class for each such value for good (about one
    per page shown: a kiosk that runs for weeks grew without bound). So the flick recogniser
    is registered once per process, on an anchor widget that lives as long as the process,
    and each viewport gets its own ``QScroller`` and grabs that same gesture type, which is
    what ``grabGesture`` does for its target. Pages built ahead but never shown grab nothing.
    Workaround ``gesture-enum-per-grab`` in ``kiosk_app/runtime/workarounds.py``.
    """

    _anchor: ClassVar[QWidget | None] = None
    _gesture: ClassVar[Qt.GestureType | None] = None

    def __init__(self, viewport: QWidget) -> None:
        super().__init__(viewport)
        self.viewport = viewport
        viewport.installEventFilter(self)

    @classmethod
    def gesture(cls) -> Qt.GestureType:
        if cls._gesture is None or cls._anchor is None or not shiboken6.isValid(cls._anchor):
            cls._anchor = QWidget()
            cls._gesture = QScroller.grabGesture(cls._anchor, QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        return cls._gesture

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and watched is self.viewport:
            self.viewport.removeEventFilter(self)
            QScroller.scroller(self.viewport)  # the flick gesture scrolls the target's own scroller
            self.viewport.grabGesture(self.gesture())
        return False


class ScrollPage(QScrollArea):
    """A vertically scrolling page that follows a finger (kinetic scrolling)."""

    def __init__(self, margin: int, spacing: int) -> None:
        super().__init__()
        viewport = own_viewport(self)  # before setWidget: a new viewport deletes the old one's children
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.inner = QWidget()
        self.column = QVBoxLayout(self.inner)
        # Rows added to a page on screen (its parts below the fold, after the first paint) grow the
        # content widget in the same layout pass. Left to the scroll area, it grows a turn of the
        # event loop later, and in between every row is squeezed into the old height: a tile sticks
        # out of its row and a tap on it finds the page instead (tests/kiosk/test_scroll_page_layout.py).
        self.column.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)
        self.column.setContentsMargins(margin, margin, margin, margin)
        self.column.setSpacing(spacing)
        self.setWidget(self.inner)
        self.kinetic = KineticOnShow(viewport)

    def add(self, widget: QWidget, stretch: int = 0) -> QWidget:
        self.column.addWidget(widget, stretch)
        return widget

    def finish(self) -> None:
        self.column.addStretch(1)


class ImageView(QWidget):
    """Shows an image scaled to fill a fixed size; decoding happens off the GUI thread.

    The picture is asked for when the view is shown and let go when it is hidden: pages built
    ahead decode nothing, and the pages kept for Back hold no photos of their own (the image
    cache keeps recent ones within its budget, so coming back usually paints at once).
    Until the picture arrives it paints a flat colour.
    """

    def __init__(self, images: ImageCache, path: Path | None, size: QSize, palette: Palette) -> None:
        super().__init__()
        self.setFixedSize(size)
        self.fill = QColor(palette.placeholder)
        self.dim = palette.picture_dim  # at night a bright photo would light the room: drawn darker
        self.pixmap: QPixmap | None = None
        self.images, self.path = images, path
        self._request = 0  # answers to a request made before the last hide are dropped

    def showEvent(self, event) -> None:
        if self.path is not None and self.pixmap is None:
            self._request += 1
            request = self._request
            self.pixmap = self.images.get(self.path, self.size(), lambda pixmap: self._loaded(pixmap, request), self)
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self.pixmap = None
        self._request += 1
        super().hideEvent(event)

    def _loaded(self, pixmap: QPixmap, request: int) -> None:
        # Hidden (and shown again) before the image arrived: only the latest request counts.
        if not pixmap.isNull() and request == self._request:
            self.pixmap = pixmap
            self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if self.pixmap is not None and not self.pixmap.isNull():
            painter.drawPixmap(0, 0, self.pixmap)
            if self.dim:
                painter.fillRect(self.rect(), QColor(0, 0, 0, round(255 * self.dim)))
        else:
            painter.fillRect(self.rect(), self.fill)
        painter.end()


class Card(QFrame):
    """A tappable card: the whole surface is the touch target."""

    def __init__(self, on_tap: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.setProperty("role", "card")
        self.on_tap = on_tap
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        if on_tap:
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event) -> None:
        if self.on_tap and self.rect().contains(event.position().toPoint()):
            self.on_tap()
        super().mouseReleaseEvent(event)


def grid(widgets: list[QWidget], columns: int, spacing: int) -> QWidget:
    holder = QWidget()
    layout = QGridLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(spacing)
    for i, widget in enumerate(widgets):
        layout.addWidget(widget, i // columns, i % columns)
    for c in range(columns):
        layout.setColumnStretch(c, 1)
    return holder


def row(*widgets: QWidget, spacing: int = 16, stretch_last: bool = False) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(spacing)
    for widget in widgets:
        layout.addWidget(widget)
    if not stretch_last:
        layout.addStretch(1)
    return holder


def swatch(color: str, size: int) -> QLabel:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(color))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(0, 0, size, size)
    painter.end()
    label = QLabel()
    label.setPixmap(pixmap)
    label.setFixedSize(size, size)
    return label


class FlowLayout(QLayout):
    """Items left to right (right to left in Arabic), wrapping onto the next line when the row is full.

    Qt has no flow layout of its own; this is its documented example, reduced to what chips need.
    A chip never hides past the edge of its row, whatever the language or text size.
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 10) -> None:
        super().__init__(parent)
        self.items: list[QLayoutItem] = []
        self.gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self.items.append(item)

    def count(self) -> int:
        return len(self.items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self.items[index] if 0 <= index < len(self.items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self.items.pop(index) if 0 <= index < len(self.items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self.items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _place(self, rect: QRect, *, move: bool) -> int:
        """Lay the items out in ``rect`` (when ``move``); the height they take."""
        rtl = (
            self.parentWidget() is not None and self.parentWidget().layoutDirection() == Qt.LayoutDirection.RightToLeft
        )
        x, y, line = 0, 0, 0
        for item in self.items:
            hint = item.sizeHint()
            if x and x + hint.width() > rect.width():
                x, y, line = 0, y + line + self.gap, 0
            if move:
                left = rect.right() + 1 - x - hint.width() if rtl else rect.x() + x
                item.setGeometry(QRect(QPoint(left, rect.y() + y), hint))
            x += hint.width() + self.gap
            line = max(line, hint.height())
        return y + line


class ChipRow(QWidget):
    """A group of choices (filters) that wraps onto more lines rather than hiding chips past the edge."""

    def __init__(self, chips: list[QPushButton], spacing: int, height: int | None) -> None:
        super().__init__()
        layout = FlowLayout(self, spacing)
        for chip in chips:
            if height is not None:
                chip.setMinimumHeight(height)
            layout.addWidget(chip)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a plain vertical scroll area: a part that fits on most screens but must never be cut
    on the smallest (large text on a tablet). Not kinetic: a finger on it means a key, not a scroll."""
    area = QScrollArea()
    own_viewport(area)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area
