"""Find text the kiosk cuts off: a label or button whose words do not fit its box, or were elided.

Used by ``test_clipping.py`` over every screen, layout, language and display mode. It measures as
Qt draws: the widget's own font (after its style sheet), its contents rectangle (inside border and
padding), and for wrapped labels the height the words need at that width. A page below the fold
in a scroll area is not clipping (a finger scrolls to it); a box that its window or a fixed-size
parent cuts off is.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QLabel,
    QPushButton,
    QStyle,
    QStyleOptionButton,
    QToolButton,
    QWidget,
)

ELLIPSIS = "…"
#: Rounding between QFontMetrics and the text engine: a pixel either way is not a cut letter.
SLACK = 1


@dataclass(frozen=True)
class Clipped:
    """One piece of text that does not show whole."""

    widget: str  # objectName, or class name and a text excerpt
    text: str
    why: str  # "width 120 > 96", "elided", "outside its parent"

    def __str__(self) -> str:
        return f"{self.widget}: {self.why}: {self.text[:60]!r}"


def _name(widget: QWidget) -> str:
    return widget.objectName() or type(widget).__name__


def source_text(widget: QWidget) -> str | None:
    """The whole text a widget that shortens its text was given (``full``/``full_text``), if it is one."""
    for attr in ("full", "full_text"):
        value = getattr(widget, attr, None)
        if isinstance(value, str):
            return value
    return None


def _label_problem(label: QLabel) -> str | None:
    text = label.text()
    if not text or (label.pixmap() is not None and not label.pixmap().isNull()):
        return None
    if label.textFormat() == Qt.TextFormat.RichText:
        return None  # not used for kiosk text; rich text lays out in a QTextDocument
    box = label.contentsRect()
    margin = label.margin()
    box = box.adjusted(margin, margin, -margin, -margin)
    indent = max(0, label.indent())
    fm = label.fontMetrics()
    if label.wordWrap():
        flags = int(label.alignment()) | int(Qt.TextFlag.TextWordWrap)
        need = fm.boundingRect(QRect(0, 0, max(1, box.width() - indent), 100_000), flags, text)
    else:
        need = fm.boundingRect(QRect(0, 0, 100_000, 100_000), int(label.alignment()), text)
    if need.width() > box.width() - indent + SLACK:
        return f"width {need.width()} > {box.width() - indent}"
    if need.height() > box.height() + SLACK:
        return f"height {need.height()} > {box.height()}"
    return None


def _button_problem(btn: QAbstractButton) -> str | None:
    text = btn.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text:
        return None
    fm = btn.fontMetrics()
    need = fm.boundingRect(QRect(0, 0, 100_000, 100_000), int(Qt.AlignmentFlag.AlignCenter), text)
    if isinstance(btn, QPushButton):
        option = QStyleOptionButton()
        option.initFrom(btn)
        option.text = btn.text()
        option.features = QStyleOptionButton.ButtonFeature.None_
        box = btn.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option, btn)
        if not btn.icon().isNull():
            box.setWidth(box.width() - btn.iconSize().width() - 4)
    else:
        box = btn.contentsRect()
    if need.width() > box.width() + SLACK:
        return f"width {need.width()} > {box.width()}"
    if need.height() > box.height() + SLACK:
        return f"height {need.height()} > {box.height()}"
    return None


def _cut_by_parents(widget: QWidget) -> bool:
    """Whether a parent that does not scroll cuts the widget's box (it pokes out of its parent)."""
    rect = widget.rect()
    child = widget
    parent = widget.parentWidget()
    while parent is not None:
        rect = rect.translated(child.pos())
        if parent.objectName() == "qt_scrollarea_viewport" or isinstance(parent, QAbstractScrollArea):
            # Pages scroll up and down: below the fold is a finger away. Sideways nothing scrolls
            # visibly (a chip half past a row's edge reads "Qinzh"): that is a cut.
            return rect.left() < 0 or rect.right() > parent.width() - 1
        if not parent.rect().contains(rect):
            return True
        if parent.isWindow():
            return False
        child, parent = parent, parent.parentWidget()
    return False


def _elided(widget: QWidget, text: str) -> bool:
    source = source_text(widget)
    return source is not None and ELLIPSIS in text and ELLIPSIS not in source


def find_clipped(root: QWidget) -> list[Clipped]:
    """Every label and button under ``root`` (itself included) shown on screen whose text is cut."""
    found: list[Clipped] = []
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        if not isinstance(widget, (QLabel, QPushButton, QToolButton)) or not widget.isVisibleTo(root.window()):
            continue
        if not widget.isVisible():
            continue
        widget.ensurePolished()
        text = widget.text()
        if _elided(widget, text):
            found.append(Clipped(_name(widget), source_text(widget) or text, "elided"))
            continue
        problem = _label_problem(widget) if isinstance(widget, QLabel) else _button_problem(widget)
        if problem is None and text and _cut_by_parents(widget):
            problem = "outside its parent"
        if problem:
            found.append(Clipped(_name(widget), text, problem))
    return found
