"""A square a visitor writes one Chinese character on with a finger.

It only collects strokes and draws the ink: each finished stroke is announced with
``stroke_added`` and the whole character so far (``strokes()``, in widget pixels, inside a
box of ``width()`` × ``height()``), so the keyboard can ask the recogniser for candidates
as the finger writes. Touches arrive as mouse events (Qt synthesises them from touch
screens), so a test writes with ``QTest.mousePress``/``mouseMove``/``mouseRelease``.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

Stroke = list[tuple[float, float]]
MIN_POINT_DISTANCE = 2.0  # px: closer points add nothing the recogniser can use


class HandwritingPad(QWidget):
    stroke_added = Signal()

    def __init__(self, hint: str, *, side: int, ink: QColor, grid: QColor, paper: QColor) -> None:
        super().__init__()
        self.setObjectName("handwriting-pad")
        self.setAccessibleName(hint)
        self.setFixedSize(side, side)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.hint = hint
        self.ink, self.grid, self.paper = ink, grid, paper
        self._strokes: list[Stroke] = []
        self._current: Stroke | None = None

    def strokes(self) -> list[Stroke]:
        return [list(s) for s in self._strokes]

    def clear(self) -> None:
        self._strokes = []
        self._current = None
        self.update()

    # -- writing ----------------------------------------------------------------------------
    def _point(self, event: QMouseEvent) -> tuple[float, float]:
        p = event.position()
        return (min(max(p.x(), 0.0), float(self.width())), min(max(p.y(), 0.0), float(self.height())))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._current = [self._point(event)]
            self.update()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is not None:
            x, y = self._point(event)
            last_x, last_y = self._current[-1]
            if abs(x - last_x) + abs(y - last_y) >= MIN_POINT_DISTANCE:
                self._current.append((x, y))
                self.update()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._current is not None and event.button() == Qt.MouseButton.LeftButton:
            point = self._point(event)
            if point != self._current[-1]:
                self._current.append(point)
            self._strokes.append(self._current)
            self._current = None
            self.update()
            self.stroke_added.emit()
        event.accept()

    # -- drawing ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        painter.fillRect(self.rect(), self.paper)
        # The 米字格 guide of Chinese copybooks: a frame, a cross and the diagonals, dashed.
        guide = QPen(self.grid, 2, Qt.PenStyle.DashLine)
        painter.setPen(guide)
        painter.drawLine(QPointF(w / 2, 0), QPointF(w / 2, h))
        painter.drawLine(QPointF(0, h / 2), QPointF(w, h / 2))
        painter.drawLine(QPointF(0, 0), QPointF(w, h))
        painter.drawLine(QPointF(w, 0), QPointF(0, h))
        painter.setPen(QPen(self.grid, 3))
        painter.drawRect(1, 1, w - 3, h - 3)
        strokes = [*self._strokes, *([self._current] if self._current else [])]
        if not strokes:
            painter.setPen(self.grid.darker(160))
            font = painter.font()
            font.setPixelSize(max(14, w // 14))
            painter.setFont(font)
            margin = w // 10
            painter.drawText(self.rect().adjusted(margin, margin, -margin, -margin),
                             int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.hint)  # fmt: skip
        pen = QPen(
            self.ink, max(6.0, w / 40), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
        )
        painter.setPen(pen)
        for stroke in strokes:
            path = QPainterPath(QPointF(*stroke[0]))
            for point in stroke[1:]:
                path.lineTo(QPointF(*point))
            if len(stroke) == 1:
                painter.drawPoint(QPointF(*stroke[0]))
            else:
                painter.drawPath(path)
        painter.end()
