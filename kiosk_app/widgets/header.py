"""The bar on every screen: home, back, search, language, display and read-aloud switches.

On narrow screens (portrait totems) and with large text the bar takes two rows: the
buttons, then the page title; the display switches become short symbols. A title too
long for its row is shortened with an ellipsis rather than pushing buttons off screen.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QPushButton, QSizePolicy

from ..strings import LANGUAGE_NAMES, Translator
from .common import button


class ElidedLabel(QLabel):
    """Plain text shortened to fit its width."""

    def __init__(self) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self.full = text
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight, max(40, self.width())))


class HeaderBar(QFrame):
    def __init__(
        self,
        languages: list[str],
        *,
        on_home: Callable[[], None],
        on_back: Callable[[], None],
        on_search: Callable[[], None],
        on_language: Callable[[str], None],
        on_contrast: Callable[[], None],
        on_large_text: Callable[[], None],
        on_read_aloud: Callable[[], None] | None = None,
        on_reach: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.setProperty("role", "header")
        self.setObjectName("header")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(16, 8, 16, 8)
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(6)
        self.home = button("", on_home, name="nav-home")
        self.back = button("", on_back, name="nav-back")
        self.title = ElidedLabel()
        self.title.setProperty("role", "heading")
        self.title.setObjectName("screen-title")
        self.search = button("", on_search, name="nav-search")
        self.languages: dict[str, QPushButton] = {}
        for lang in languages:
            name = LANGUAGE_NAMES.get(lang, lang)
            btn = button(name, lambda lang=lang: on_language(lang), "lang", name=f"lang-{lang}")
            btn.setCheckable(True)
            self.languages[lang] = btn
        self.contrast = button("", on_contrast, name="a11y-contrast")
        self.contrast.setCheckable(True)
        self.large = button("", on_large_text, name="a11y-large")
        self.large.setCheckable(True)
        # "Read this screen aloud"; hidden when there is no handler or no voice for the language.
        self.read_aloud = button("", on_read_aloud or (lambda: None), name="a11y-read-aloud")
        self.read_aloud.setCheckable(True)
        if on_read_aloud is None:
            self.read_aloud.hide()  # (never setVisible(True) here: a widget with no parent yet would open as a window)
        # Reach mode (kiosk_app/shell.py): the bar and the page move into the lower part of the screen.
        self.reach = button("", on_reach or (lambda: None), name="a11y-reach")
        self.reach.setCheckable(True)
        if on_reach is None:
            self.reach.hide()
        self.two_rows: bool | None = None

    def _arrange(self, two_rows: bool) -> None:
        if two_rows == self.two_rows:
            return
        self.two_rows = two_rows
        while self.grid.count():
            self.grid.takeAt(0)
        for column in range(self.grid.columnCount()):
            self.grid.setColumnStretch(column, 0)
        buttons = [self.home, self.back, self.search, *self.languages.values(), self.contrast, self.large,
                   self.reach, self.read_aloud]  # fmt: skip
        if two_rows:
            # Navigation on the left, language and display switches on the right.
            for column, widget in enumerate(buttons[:3]):
                self.grid.addWidget(widget, 0, column)
            self.grid.setColumnStretch(3, 1)
            for column, widget in enumerate(buttons[3:], start=4):
                self.grid.addWidget(widget, 0, column)
            self.grid.addWidget(self.title, 1, 0, 1, len(buttons) + 1)
        else:
            row = [self.home, self.back, self.title, *buttons[2:]]
            for column, widget in enumerate(row):
                self.grid.addWidget(widget, 0, column)
            self.grid.setColumnStretch(2, 1)

    def update_texts(self, tr: Translator, title: str, *, lang: str, high_contrast: bool, large_text: bool,
                     can_go_back: bool, narrow: bool, short_switches: bool, read_aloud: bool = False,
                     read_aloud_available: bool = False, reach: bool = False) -> None:  # fmt: skip
        self._arrange(narrow or large_text)
        self.home.setText(tr("nav.home"))
        self.back.setText(tr("nav.back"))
        self.back.setEnabled(can_go_back)
        self.search.setText(tr("nav.search"))
        self.title.set_full_text(title)
        short = short_switches or large_text
        # Short symbols keep their full names for screen readers.
        self.contrast.setText("◐" if short else tr("a11y.high_contrast"))
        self.contrast.setAccessibleName(tr("a11y.high_contrast"))
        self.large.setText("A+" if short else tr("a11y.large_text"))
        self.large.setAccessibleName(tr("a11y.large_text"))
        self.contrast.setChecked(high_contrast)
        self.reach.setText("♿" if short else tr("a11y.reach"))
        self.reach.setAccessibleName(tr("a11y.reach"))
        self.reach.setChecked(reach)
        self.large.setChecked(large_text)
        self.read_aloud.setText("🔊" if short else tr("a11y.read_aloud"))
        self.read_aloud.setAccessibleName(tr("a11y.read_aloud"))
        self.read_aloud.setChecked(read_aloud)
        self.read_aloud.setVisible(read_aloud_available or read_aloud)  # never strand a visitor with it on
        for code, btn in self.languages.items():
            btn.setChecked(code == lang)
