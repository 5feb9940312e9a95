"""The bar on every screen: home, back, search, language and display switches."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton

from ..strings import LANGUAGE_NAMES, Translator
from .common import button, text_label


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
    ) -> None:
        super().__init__()
        self.setProperty("role", "header")
        self.setObjectName("header")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.setSpacing(12)
        self.home = button("", on_home, name="nav-home")
        self.back = button("", on_back, name="nav-back")
        self.title = text_label("", "heading", wrap=False)
        self.title.setObjectName("screen-title")
        self.search = button("", on_search, name="nav-search")
        self.languages: dict[str, QPushButton] = {}
        for lang in languages:
            btn = button(
                LANGUAGE_NAMES.get(lang, lang), lambda lang=lang: on_language(lang), "lang", name=f"lang-{lang}"
            )
            btn.setCheckable(True)
            self.languages[lang] = btn
        self.contrast = button("", on_contrast, name="a11y-contrast")
        self.contrast.setCheckable(True)
        self.large = button("", on_large_text, name="a11y-large")
        self.large.setCheckable(True)
        layout.addWidget(self.home)
        layout.addWidget(self.back)
        layout.addWidget(self.title, 1)
        layout.addWidget(self.search)
        for btn in self.languages.values():
            layout.addWidget(btn)
        layout.addWidget(self.contrast)
        layout.addWidget(self.large)

    def update_texts(self, tr: Translator, title: str, *, lang: str, high_contrast: bool, large_text: bool,
                     can_go_back: bool, compact: bool) -> None:  # fmt: skip
        self.home.setText(tr("nav.home"))
        self.back.setText(tr("nav.back"))
        self.back.setEnabled(can_go_back)
        self.search.setText(tr("nav.search"))
        self.title.setText(title)
        # On narrow screens the display switches use short symbols; their names stay for screen readers.
        self.contrast.setText("◐" if compact else tr("a11y.high_contrast"))
        self.contrast.setAccessibleName(tr("a11y.high_contrast"))
        self.large.setText("A+" if compact else tr("a11y.large_text"))
        self.large.setAccessibleName(tr("a11y.large_text"))
        self.contrast.setChecked(high_contrast)
        self.large.setChecked(large_text)
        for code, btn in self.languages.items():
            btn.setChecked(code == lang)
