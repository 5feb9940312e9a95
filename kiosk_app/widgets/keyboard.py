"""A large on-screen keyboard: the kiosk has no physical keyboard and never shows the system one.

Pinyin, pinyin initials and English are all typed with Latin letters, so one QWERTY layout
serves every language. The layout is chosen from the width it is given:

* wide screens (landscape, 10 inch tablets): three letter rows with Delete, Space and
  Clear in a column of their own on the right, so the keyboard stays low and leaves room
  for results above it;
* narrow screens (portrait totems): phone style, Delete after ``m`` and a bottom row with
  Clear and a long Space bar, so letter keys stay wide.

Keys are ordinary push buttons (``role="key"``) that never take focus. The key order is
QWERTY in every language: the keyboard is always laid out left to right, also when the
interface is mirrored for Arabic.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ..strings import N_, Translator

LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
DIGITS = "1234567890"
# Keys with a word on them instead of a letter.
SPECIAL: dict[str, str] = {
    "space": N_("keyboard.space"), "delete": N_("keyboard.delete"), "clear": N_("keyboard.clear"),
}  # fmt: skip

# A row is a list of (key, start, span) in key units; "" as key leaves a gap.
Row = list[tuple[str, float, float]]


def _letters(keys: str, start: float) -> Row:
    return [(k, start + i, 1.0) for i, k in enumerate(keys)]


def wide_rows(digits: bool) -> list[Row]:
    """Letters as on a keyboard; Delete, Space and Clear in a separate column on the right."""
    rows: list[Row] = [_letters(DIGITS, 0)] if digits else []
    rows += [
        [*_letters(LETTER_ROWS[0], 0), ("delete", 10.5, 2)],
        [*_letters(LETTER_ROWS[1], 0.5), ("space", 10.5, 2)],
        [*_letters(LETTER_ROWS[2], 1.5), ("clear", 10.5, 2)],
    ]
    return rows


def narrow_rows(digits: bool) -> list[Row]:
    """Phone style: Delete after m, then Clear and a long Space bar."""
    rows: list[Row] = [_letters(DIGITS, 0)] if digits else []
    rows += [
        _letters(LETTER_ROWS[0], 0),
        _letters(LETTER_ROWS[1], 0.5),
        [*_letters(LETTER_ROWS[2], 1.5), ("delete", 8.5, 1.5)],
        [("clear", 0, 2.5), ("space", 2.5, 7.5)],
    ]
    return rows


def _units(rows: list[Row]) -> float:
    return max(start + span for row in rows for _key, start, span in row)


class OnScreenKeyboard(QWidget):
    """Emits ``text_changed`` with the whole new text after every key."""

    text_changed = Signal(str)

    def __init__(
        self,
        tr: Translator,
        *,
        width: int,
        key_height: int,
        gap: int = 8,
        digits: bool = False,
        label_px: int | None = None,
        text: str = "",
        max_length: int = 40,
    ) -> None:
        super().__init__()
        self.setObjectName("keyboard")
        # QWERTY is QWERTY in every language: never mirror the keys for right-to-left.
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.max_length = max_length
        self._text = text[:max_length]
        self.keys: dict[str, QPushButton] = {}
        self.mode, self.rows, self.unit = self._choose(width, key_height, gap, digits)
        # The theme's minimum button height would add its border to our exact key height.
        sheet = 'QPushButton[role="key"] { min-height: 0px; }'
        if label_px:
            # Words on the wide keys in body size; letters keep the theme's large key font.
            sheet += f' QPushButton[wide="true"] {{ font-size: {label_px}px; }}'
        self.setStyleSheet(sheet)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(gap)
        step = self.unit + gap
        for row in self.rows:
            line = QHBoxLayout()
            line.setContentsMargins(0, 0, 0, 0)
            line.setSpacing(0)
            cursor = 0
            for key, start, span in row:
                left = round(start * step)
                if left > cursor:
                    line.addSpacing(left - cursor)
                width_px = round(span * step - gap)
                line.addWidget(self._key(key, width_px, key_height, tr))
                cursor = left + width_px
            line.addStretch(1)
            column.addLayout(line)
        total_width = round(_units(self.rows) * step - gap)
        self.setFixedSize(total_width, len(self.rows) * key_height + (len(self.rows) - 1) * gap)

    @staticmethod
    def _choose(width: int, key_height: int, gap: int, digits: bool) -> tuple[str, list[Row], int]:
        """The wide layout if its letter keys are at least as wide as they are tall, else the narrow one."""
        cap = round(key_height * 1.5)  # wider keys than this only make the hand travel further

        def unit(rows: list[Row]) -> int:
            n = _units(rows)
            return min(cap, int((width - (n - 1) * gap) / n))

        wide = wide_rows(digits)
        if unit(wide) >= key_height:
            return "wide", wide, unit(wide)
        narrow = narrow_rows(digits)
        return "narrow", narrow, unit(narrow)

    def _key(self, key: str, width: int, height: int, tr: Translator) -> QPushButton:
        label = tr(SPECIAL[key]) if key in SPECIAL else key
        btn = QPushButton(label)
        btn.setObjectName(f"key-{key}")
        btn.setProperty("role", "key")
        btn.setProperty("key", key)
        if key in SPECIAL:
            btn.setProperty("wide", "true")
            btn.setAccessibleName(label)
        btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        btn.setCursor(Qt.CursorShape.PointingHandCursor)
        btn.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        btn.setFixedSize(width, height)
        if key == "delete":
            btn.setAutoRepeat(True)  # hold Delete to remove several letters
            btn.setAutoRepeatDelay(500)
            btn.setAutoRepeatInterval(120)
        btn.clicked.connect(lambda _checked=False, key=key: self.press(key))
        self.keys[key] = btn
        return btn

    # -- text ---------------------------------------------------------------------------
    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        """Replace the text without emitting (restoring state after a re-render)."""
        self._text = text[: self.max_length]

    def press(self, key: str) -> None:
        text = self._text
        if key == "delete":
            text = text[:-1]
        elif key == "clear":
            text = ""
        elif key == "space":
            # No leading or doubled spaces: they never change what a search finds.
            if text and not text.endswith(" ") and len(text) < self.max_length:
                text += " "
        elif len(text) < self.max_length:
            text += key
        self._text = text
        self.text_changed.emit(text)
