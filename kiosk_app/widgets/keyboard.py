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

For visitors who write Chinese rather than type pinyin (see ``docs/search.md``):

* a **candidate bar** above the keys (when the screen passes ``recognise`` or ``lexicon``):
  the Chinese words from the pack's names that the pinyin typed so far reads as ("maiji"
  offers 麦积, 麦积山石窟 …); tapping one replaces the pinyin with the word;
* a **handwriting mode**, reached with the 手写 button at the start of the bar (written in
  Chinese in every language, for a visitor who reads no pinyin): the letter keys give way to
  a pad (:mod:`.handwriting_pad`) of the same height; after every stroke the screen's
  ``recognise`` delivers candidates for the bar; tapping one adds the character to the text
  and clears the pad. "ABC" goes back to the keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from ..strings import N_, Translator
from ..theme import NORMAL, Palette
from .handwriting_pad import HandwritingPad, Stroke

LETTER_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
DIGITS = "1234567890"
# Keys with a word on them instead of a letter.
SPECIAL: dict[str, str] = {
    "space": N_("keyboard.space"), "delete": N_("keyboard.delete"), "clear": N_("keyboard.clear"),
}  # fmt: skip

# Keys of the handwriting mode; the mode key reads "ABC" while the pad is shown.
HANDWRITING: dict[str, str] = {"handwriting": N_("handwriting.mode"), "rewrite": N_("handwriting.rewrite")}
# What a word key shows when its word does not fit even in a smaller type (the word stays its
# accessible name): the keyboard symbols for erase-left, space and clear.
KEY_SYMBOLS = {"delete": "⌫", "pad-delete": "⌫", "space": "␣", "clear": "⌧", "pad-clear": "⌧"}
SMALLEST_WORD_PX = 18
KEYS_LABEL = N_("handwriting.keys")
PAD_HINT = N_("handwriting.hint")
# Candidate characters, best first, handed back on the GUI thread.
Deliver = Callable[[list[str]], None]
# (strokes, pad width, pad height, deliver): asks for candidates; the answer comes later
# through ``deliver`` (recognition runs on a worker: see docs/search.md for the figures).
Recognise = Callable[[Sequence[Stroke], int, int, Deliver], None]
# pinyin typed so far -> Chinese words from the pack's names.
Lexicon = Callable[[str], list[str]]
PINYIN_TAIL_RE = re.compile(r"[a-z]+$")
MAX_CANDIDATES = 10

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
    """Emits ``text_changed`` with the whole new text after every key or chosen candidate."""

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
        recognise: Recognise | None = None,
        lexicon: Lexicon | None = None,
        palette: Palette = NORMAL,
        handwriting: bool = False,
    ) -> None:
        super().__init__()
        self.setObjectName("keyboard")
        # QWERTY is QWERTY in every language: never mirror the keys for right-to-left.
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.max_length = max_length
        self._text = text[:max_length]
        self._tr = tr
        self._recognise = recognise
        self._lexicon = lexicon
        self._key_height, self._gap = key_height, gap
        self._label_px = label_px
        self.keys: dict[str, QPushButton] = {}
        self.candidates: list[str] = []
        self.pad: HandwritingPad | None = None
        self._ink = 0  # counts changes of the ink on the pad: an answer for older ink is dropped
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
        total_width = round(_units(self.rows) * step - gap)
        rows_height = len(self.rows) * key_height + (len(self.rows) - 1) * gap
        self.bar: QWidget | None = None
        self._bar_row: QHBoxLayout | None = None
        if recognise is not None or lexicon is not None:
            column.addWidget(self._make_bar(total_width))
        self.panels = QStackedWidget()
        self.panels.setFixedSize(total_width, rows_height)
        letters = QWidget()
        letters_column = QVBoxLayout(letters)
        letters_column.setContentsMargins(0, 0, 0, 0)
        letters_column.setSpacing(gap)
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
            letters_column.addLayout(line)
        self.panels.addWidget(letters)
        if recognise is not None:
            self.panels.addWidget(self._make_writing_panel(total_width, rows_height, palette))
        column.addWidget(self.panels)
        bar_height = key_height + gap if self.bar is not None else 0
        self.setFixedSize(total_width, rows_height + bar_height)
        if handwriting and recognise is not None:
            self.set_handwriting(True)
        else:
            self._refresh_candidates()

    # -- candidate bar and handwriting ------------------------------------------------------
    def _make_bar(self, width: int) -> QWidget:
        bar = QWidget()
        bar.setObjectName("candidate-bar")
        bar.setFixedSize(width, self._key_height)
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(self._gap)
        if self._recognise is not None:
            font = QFont(self.font())
            font.setPixelSize(self._label_px or round(self._key_height * 0.33))
            labels = (self._tr(HANDWRITING["handwriting"]), self._tr(KEYS_LABEL))
            widest = max(QFontMetrics(font).horizontalAdvance(label) for label in labels)
            # As wide as the longer of its two labels, so the candidates do not move when it flips.
            toggle_width = max(round(self._key_height * 1.6), widest + 2 * self._gap + 8)
            row.addWidget(self._key("handwriting", toggle_width, self._key_height, self._tr))
        row.addStretch(1)
        self.bar, self._bar_row = bar, row
        return bar

    def _make_writing_panel(self, width: int, height: int, palette: Palette) -> QWidget:
        panel = QWidget()
        panel.setObjectName("handwriting-panel")
        row = QHBoxLayout(panel)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(self._gap)
        # The pad as large as the keys' height allows; centred, with its buttons to its side.
        pad = HandwritingPad(self._tr(PAD_HINT), side=height, ink=QColor(palette.text),
                             grid=QColor(palette.border), paper=QColor(palette.surface))  # fmt: skip
        pad.stroke_added.connect(self._recognise_pad)
        self.pad = pad
        buttons = QVBoxLayout()
        buttons.setSpacing(self._gap)
        n = 3
        button_height = (height - (n - 1) * self._gap) // n
        button_width = max(round(self._key_height * 2.2), min(width - height - self._gap, self._key_height * 3))
        for key in ("rewrite", "pad-delete", "pad-clear"):
            buttons.addWidget(self._key(key, button_width, button_height, self._tr))
        row.addStretch(1)
        row.addWidget(pad)
        row.addLayout(buttons)
        row.addStretch(1)
        return panel

    def handwriting(self) -> bool:
        return self.pad is not None and self.panels.currentWidget() is self.pad.parentWidget()

    def set_handwriting(self, on: bool) -> None:
        """Show the pad (``on``) or the letter keys; the bar follows."""
        if self.pad is None:
            return
        self.panels.setCurrentIndex(1 if on else 0)
        self._clear_pad()
        toggle = self.keys.get("handwriting")
        if toggle is not None:
            toggle.setText(self._tr(KEYS_LABEL if on else HANDWRITING["handwriting"]))
            toggle.setAccessibleName(toggle.text())
        self._refresh_candidates()

    def set_lexicon(self, lexicon: Lexicon | None) -> None:
        """The pinyin words arrive after the keyboard is built (they are read off the GUI thread)."""
        self._lexicon = lexicon
        if not self.handwriting():  # the pad's candidates stay: they answer the strokes on it
            self._refresh_candidates()

    def disable_handwriting(self) -> None:
        """The recogniser turned out not to work: back to the keys, and no way into the pad."""
        self.set_handwriting(False)
        self._recognise = None
        toggle = self.keys.pop("handwriting", None)
        if toggle is not None:
            toggle.hide()

    def _clear_pad(self) -> None:
        if self.pad is not None:
            self.pad.clear()
        self._ink += 1

    def _recognise_pad(self) -> None:
        self._ink += 1
        if self.pad is None or self._recognise is None:
            return
        ink = self._ink
        self._recognise(self.pad.strokes(), self.pad.width(), self.pad.height(),
                        lambda found: self._recognised(ink, found))  # fmt: skip

    def _recognised(self, ink: int, found: list[str]) -> None:
        if ink == self._ink and self.handwriting():  # the finger has not written or cleared since
            self._show_candidates(found[:MAX_CANDIDATES])

    def _refresh_candidates(self) -> None:
        if self.handwriting():
            self._show_candidates([])  # the pad is empty: candidates come with the first stroke
            return
        tail = PINYIN_TAIL_RE.search(self._text)
        found = self._lexicon(tail.group()) if (tail and self._lexicon is not None) else []
        self._show_candidates(found[:MAX_CANDIDATES])

    def _show_candidates(self, found: list[str]) -> None:
        row = self._bar_row
        if row is None or self.bar is None or not shiboken6.isValid(self.bar):
            return
        for i in reversed(range(row.count())):
            widget = row.itemAt(i).widget()
            if widget is not None and widget.property("candidate") is not None:
                row.takeAt(i)
                widget.hide()
                widget.deleteLater()
            elif widget is None and row.itemAt(i).spacerItem() is not None:
                row.takeAt(i)
        toggle = self.keys.get("handwriting")
        used = (toggle.minimumWidth() + self._gap) if toggle is not None else 0
        font = QFont(self.font())
        font.setPixelSize(max(self._label_px or 0, round(self._key_height * 0.4)))
        metrics = QFontMetrics(font)
        shown: list[str] = []
        for n, word in enumerate(found):
            width = max(self._key_height, metrics.horizontalAdvance(word) + self._key_height // 2)
            if used + width > self.bar.width():
                break
            button = QPushButton(word)
            button.setObjectName(f"candidate-{n}")
            button.setProperty("role", "key")
            button.setProperty("candidate", word)
            button.setAccessibleName(word)
            button.setFont(font)
            button.setStyleSheet(f"font-size: {font.pixelSize()}px;")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
            button.setFixedSize(width, self._key_height)
            button.clicked.connect(lambda _checked=False, word=word: self.choose(word))
            row.addWidget(button)
            button.show()  # at once, not on the next turn of the event loop: the finger is waiting
            used += width + self._gap
            shown.append(word)
        row.addStretch(1)
        self.candidates = shown

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
        base = key.removeprefix("pad-")  # the pad's own Delete and Clear
        words = {**SPECIAL, **HANDWRITING}
        label = tr(words[base]) if base in words else key
        btn = QPushButton(label)
        btn.setObjectName(f"key-{key}")
        btn.setProperty("role", "key")
        btn.setProperty("key", key)
        if base in words:
            btn.setProperty("wide", "true")
            btn.setAccessibleName(label)
            self._fit_word(btn, key, label, width, height)
        btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        btn.setCursor(Qt.CursorShape.PointingHandCursor)
        btn.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        btn.setFixedSize(width, height)
        if base == "delete":
            btn.setAutoRepeat(True)  # hold Delete to remove several letters
            btn.setAutoRepeatDelay(500)
            btn.setAutoRepeatInterval(120)
        btn.clicked.connect(lambda _checked=False, key=key: self.press(key))
        self.keys[key] = btn
        return btn

    def _fit_word(self, btn: QPushButton, key: str, label: str, width: int, height: int) -> None:
        """Shrink a word that is wider than its key (down to 18 px, or three quarters of the label
        size); past that, show the key's symbol instead ("Удалить" in large text on a 78 px key)."""
        room = width - 12  # a little air either side of the word
        size = self._label_px or round(height * 0.33)
        floor = max(SMALLEST_WORD_PX, round(size * 0.75))
        font = QFont(self.font())
        for px in range(size, floor - 1, -1):
            font.setPixelSize(px)
            if QFontMetrics(font).horizontalAdvance(label) <= room:
                if px != size:
                    btn.setStyleSheet(f"font-size: {px}px;")
                return
        if key in KEY_SYMBOLS:
            btn.setText(KEY_SYMBOLS[key])

    # -- text ---------------------------------------------------------------------------
    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        """Replace the text without emitting (restoring state after a re-render)."""
        self._text = text[: self.max_length]
        self._clear_pad()
        self._refresh_candidates()

    def press(self, key: str) -> None:
        text = self._text
        if key == "handwriting":
            self.set_handwriting(not self.handwriting())
            return
        if key == "rewrite":
            self._clear_pad()
            self._show_candidates([])
            return
        key = key.removeprefix("pad-")
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
        if self.handwriting() and key in ("delete", "clear"):
            self._clear_pad()
        self._refresh_candidates()
        self.text_changed.emit(text)

    def choose(self, word: str) -> None:
        """A tapped candidate: a written character is added; a pinyin word replaces the pinyin typed."""
        text = self._text
        if self.handwriting():
            self._clear_pad()
        else:
            tail = PINYIN_TAIL_RE.search(text)
            if tail:
                text = text[: tail.start()]
        self._text = (text + word)[: self.max_length]
        self._refresh_candidates()
        self.text_changed.emit(self._text)
