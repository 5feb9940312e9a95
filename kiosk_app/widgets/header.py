"""The bar on every screen: home, back, search, language, display and read-aloud switches.

The bar is arranged for the words it holds, not only for the screen: one row (buttons and
the page title) when everything fits at its natural size, else two rows (navigation and
language above, the title and the display switches below), and the switches become short
symbols only when even that does not fit. The title wraps onto a second line rather than
being cut. Nothing in the bar is ever squeezed below the size its text needs
(``tests/kiosk/test_clipping.py`` checks every screen, layout, language and mode).

Languages: with two offered each has its own button; with more, one button shows the current
language and opens ``LanguageList``, a panel of large buttons, each language named in its own
script. The switches show that they are on with the accent fill and a check mark (not colour
alone), and tell screen readers their name and state.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..strings import LANGUAGE_NAMES, N_, Translator
from .common import button

#: More languages than this share one button that opens the list (two buttons fit every layout).
MAX_LANGUAGE_BUTTONS = 2
#: The page title keeps at least this share of its row's width beside the buttons: in one row, beside
#: everything; in the second row, beside the switches (below that, the switches become symbols).
TITLE_SHARE = 0.25
TITLE_SHARE_BESIDE_SWITCHES = 0.45
TALL_SCREEN = 1000  # px of window height from which the bar may take two rows to keep its words
CHECK = "✓ "
#: Each display switch's full name (also what screen readers say for its short symbol).
SWITCH_NAMES = {
    "a11y-contrast": N_("a11y.high_contrast"), "a11y-large": N_("a11y.large_text"),
    "a11y-read-aloud": N_("a11y.read_aloud"), "a11y-reach": N_("a11y.reach"),
}  # fmt: skip


class TitleLabel(QLabel):
    """The page title: plain text that wraps onto a second line instead of being cut.

    ``full`` is the title as the page gave it (what the bar shows, whole).
    """

    def __init__(self) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self.full = text
        self.setText(text)


class LanguageList(QFrame):
    """The languages offered, as large buttons each named in its own script; a tap chooses one.

    Shown over the page (a child of the window, like the idle warning), centred, wrapping into
    as many rows as the window needs.
    """

    def __init__(self, languages: list[str], on_choose: Callable[[str], None], on_close: Callable[[], None]) -> None:
        super().__init__()
        self.setProperty("role", "overlay")
        self.setObjectName("language-list")
        self.on_choose = on_choose
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 32, 32, 32)
        layout.setSpacing(16)
        self.grid = QGridLayout()
        self.grid.setSpacing(16)
        layout.addLayout(self.grid)
        self.buttons: dict[str, QPushButton] = {}
        for lang in languages:
            btn = button(LANGUAGE_NAMES.get(lang, lang), lambda lang=lang: self._choose(lang), "lang",
                         name=f"language-list-{lang}")  # fmt: skip
            btn.setCheckable(True)
            self.buttons[lang] = btn
        self.close_button = button("✕", on_close, name="language-list-close")
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.hide()

    def _choose(self, lang: str) -> None:
        self.hide()
        self.on_choose(lang)

    def show_over(self, window: QWidget, tr: Translator, current: str) -> None:
        """Lay the buttons out for ``window``'s width (two columns on narrow screens) and show centred."""
        while self.grid.count():
            self.grid.takeAt(0)
        columns = 2 if window.width() < 1200 else 3
        for i, (lang, btn) in enumerate(self.buttons.items()):
            btn.setChecked(lang == current)
            btn.setAccessibleName(LANGUAGE_NAMES.get(lang, lang))
            self.grid.addWidget(btn, i // columns, i % columns)
        self.close_button.setAccessibleName(tr("header.close"))
        self.close_button.setMinimumWidth(self.close_button.minimumHeight() * 2)
        self.setParent(window)
        self.setFixedWidth(min(window.width() - 80, 1000))
        self.adjustSize()
        self.setFixedHeight(min(self.heightForWidth(self.width()), window.height() - 80)
                            if self.heightForWidth(self.width()) > 0 else self.sizeHint().height())  # fmt: skip
        self.move((window.width() - self.width()) // 2, (window.height() - self.height()) // 2)
        self.show()
        self.raise_()


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
        self.rows = QVBoxLayout(self)
        self.rows.setContentsMargins(16, 8, 16, 8)
        self.rows.setSpacing(6)
        self.top = QHBoxLayout()
        self.bottom = QHBoxLayout()
        for line in (self.top, self.bottom):
            line.setSpacing(12)
            self.rows.addLayout(line)
        self.home = button("", on_home, name="nav-home")
        self.back = button("", on_back, name="nav-back")
        self.title = TitleLabel()
        self.title.setProperty("role", "heading")
        self.title.setObjectName("screen-title")
        self.search = button("", on_search, name="nav-search")
        self.languages: dict[str, QPushButton] = {}
        self.language_list: LanguageList | None = None
        self.chooser: QPushButton | None = None
        if len(languages) > MAX_LANGUAGE_BUTTONS:
            self.chooser = button("", self.open_language_list, "lang", name="lang-chooser")
            self.language_list = LanguageList(languages, on_language, self.close_language_list)
        else:
            for lang in languages:
                name = LANGUAGE_NAMES.get(lang, lang)
                btn = button(name, lambda lang=lang: on_language(lang), "lang", name=f"lang-{lang}")
                btn.setCheckable(True)
                self.languages[lang] = btn
        self.contrast = self._switch(on_contrast, "a11y-contrast")
        self.large = self._switch(on_large_text, "a11y-large")
        # "Read this screen aloud"; hidden when there is no handler or no voice for the language.
        self.read_aloud = self._switch(on_read_aloud or (lambda: None), "a11y-read-aloud")
        if on_read_aloud is None:
            self.read_aloud.hide()  # (never setVisible(True) here: a widget with no parent yet would open as a window)
        # Reach mode (kiosk_app/shell.py): the bar and the page move into the lower part of the screen.
        self.reach = self._switch(on_reach or (lambda: None), "a11y-reach")
        if on_reach is None:
            self.reach.hide()
        self.arrangement: tuple[bool, bool] | None = None  # (two rows, short switches) in use
        self.tr: Translator | None = None
        self.lang = ""
        self.switch_state: dict[QPushButton, bool] = {}
        self.shown_for: tuple[object, ...] | None = None  # what update_texts last showed

    @staticmethod
    def _switch(on_tap: Callable[[], None], name: str) -> QPushButton:
        """A display switch: filled with the accent and ticked while on (role ``chip`` has the :checked look)."""
        switch = button("", on_tap, "chip", name=name)
        switch.setCheckable(True)
        return switch

    @property
    def two_rows(self) -> bool | None:
        return None if self.arrangement is None else self.arrangement[0]

    # -- the language list ------------------------------------------------------------------
    def open_language_list(self) -> None:
        if self.language_list is not None and self.tr is not None:
            self.language_list.show_over(self.window(), self.tr, self.lang)

    def close_language_list(self) -> None:
        if self.language_list is not None:
            self.language_list.hide()

    # -- arrangement ------------------------------------------------------------------------
    def _language_buttons(self) -> list[QPushButton]:
        return [self.chooser] if self.chooser is not None else list(self.languages.values())

    def _switches(self) -> list[QPushButton]:
        return [s for s in (self.contrast, self.large, self.reach, self.read_aloud) if not s.isHidden()]

    def _width(self, widgets: list[QPushButton]) -> int:
        spacing = self.top.spacing()
        return sum(w.sizeHint().width() for w in widgets) + spacing * max(0, len(widgets) - 1)

    def _title_width(self, share: float, available: int) -> int:
        """A share of the bar for the title, or less when the whole title is shorter ("Search" needs
        no quarter of the bar, and one row instead of two gives the page 90 px more)."""
        # (with room to spare: the bold heading font may be set only after the bar is arranged)
        whole = round(self.title.fontMetrics().horizontalAdvance(self.title.full) * 1.15) + 16
        return min(round(available * share), whole)

    def _fits(self, two_rows: bool, available: int) -> bool:
        spacing = self.top.spacing()
        nav = [self.home, self.back, self.search]
        if not two_rows:
            title = self._title_width(TITLE_SHARE, available) + spacing
            return self._width([*nav, *self._language_buttons(), *self._switches()]) + title <= available
        title = round(available * TITLE_SHARE_BESIDE_SWITCHES) + spacing
        top = self._width([*nav, *self._language_buttons()])
        return top <= available and self._width(self._switches()) + title <= available

    def _choose_arrangement(self) -> tuple[bool, bool]:
        """The roomiest arrangement whose buttons all get the width their words need."""
        margins = self.rows.contentsMargins()
        available = max(self.width(), self.window().width()) - margins.left() - margins.right()
        # Words before symbols where the screen is tall; on a short screen (the 800 px in-room tablet)
        # one row of symbols before two rows of words: a second row costs the page 90 px that the
        # search keyboard with its candidate bar cannot spare.
        if self.window().height() >= TALL_SCREEN:
            order = ((False, False), (True, False), (True, True))
        else:
            order = ((False, False), (False, True), (True, False), (True, True))
        for two_rows, short in order:
            self._set_switch_texts(short)
            if self._fits(two_rows, available):
                return two_rows, short
        return True, True

    def _arrange(self) -> None:
        if self.tr is None:
            return
        two_rows, short = self._choose_arrangement()
        self._set_switch_texts(short)
        if (two_rows, short) != self.arrangement:
            self._place(two_rows, short)
        # Trying the arrangements set texts and minimum widths, which can resize a switch at once
        # (a pill sized for its words, poking out of the bar). Lay the bar out again now, so that no
        # moment (a paint, a clipping check, a tap) sees a switch where no layout put it.
        self.rows.activate()

    def _place(self, two_rows: bool, short: bool) -> None:
        self.arrangement = (two_rows, short)
        for line in (self.top, self.bottom):
            while line.count():
                line.takeAt(0)
        nav: list[QWidget] = [self.home, self.back, self.search]
        if two_rows:
            # Navigation and language above; the title and the display switches below.
            for widget in nav:
                self.top.addWidget(widget)
            self.top.addStretch(1)
            for widget in self._language_buttons():
                self.top.addWidget(widget)
            self.bottom.addWidget(self.title, 1)
            for widget in self._all_switches():
                self.bottom.addWidget(widget)
        else:
            for widget in (self.home, self.back):
                self.top.addWidget(widget)
            self.top.addWidget(self.title, 1)
            for widget in (self.search, *self._language_buttons(), *self._all_switches()):
                self.top.addWidget(widget)

    def _all_switches(self) -> list[QPushButton]:
        return [self.contrast, self.large, self.reach, self.read_aloud]

    def _set_switch_texts(self, short: bool) -> None:
        tr = self.tr
        if tr is None:
            return
        for switch, symbol in ((self.contrast, "◐"), (self.large, "A+"), (self.reach, "♿"), (self.read_aloud, "🔊")):
            on = self.switch_state.get(switch, False)
            switch.setText((CHECK if on else "") + (symbol if short else tr(SWITCH_NAMES[switch.objectName()])))
            if switch.property("symbol") != short:
                # A symbol needs no side padding: the pill stays one touch target wide.
                switch.setProperty("symbol", short)
                switch.style().unpolish(switch)
                switch.style().polish(switch)
            # A pill never narrower than tall (Qt drops a corner radius larger than half the width).
            switch.setMinimumWidth(switch.minimumSizeHint().height() + 8)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange()

    def update_texts(self, tr: Translator, title: str, *, lang: str, high_contrast: bool, large_text: bool,
                     can_go_back: bool, read_aloud: bool = False, read_aloud_available: bool = False,
                     reach: bool = False) -> None:  # fmt: skip
        """Words and states for ``lang``; the arrangement follows from what fits."""
        shown_for = (tr, title, lang, high_contrast, large_text, can_go_back, read_aloud,
                     read_aloud_available, reach)  # fmt: skip
        if shown_for == self.shown_for:
            return  # the shell's 20 s tick with nothing new: no re-polish, no re-arrangement
        self.shown_for = shown_for
        self.tr, self.lang = tr, lang
        self.home.setText(tr("nav.home"))
        self.back.setText(tr("nav.back"))
        self.back.setEnabled(can_go_back)
        self.search.setText(tr("nav.search"))
        self.title.set_full_text(title)
        states = (
            (self.contrast, high_contrast),
            (self.large, large_text),
            (self.reach, reach),
            (self.read_aloud, read_aloud),
        )
        for switch, on in states:
            self.switch_state[switch] = on
            switch.setChecked(on)
            # The symbol's full name and whether it is on, for screen readers.
            switch.setAccessibleName(tr(SWITCH_NAMES[switch.objectName()]))
            switch.setAccessibleDescription(tr("header.switch_on") if on else tr("header.switch_off"))
        self.read_aloud.setVisible(read_aloud_available or read_aloud)  # never strand a visitor with it on
        for code, btn in self.languages.items():
            btn.setChecked(code == lang)
        if self.chooser is not None:
            self.chooser.setText(LANGUAGE_NAMES.get(lang, lang))
            language = tr("header.language")
            self.chooser.setAccessibleName(f"{language}: {LANGUAGE_NAMES.get(lang, lang)}")
        self.arrangement = None  # words changed: arrange again for them
        self._arrange()
