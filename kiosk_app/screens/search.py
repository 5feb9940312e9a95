"""Search: type pinyin, pinyin initials or English, or write Chinese by hand; results as you type.

The query runs off the GUI thread on a connection of its own (SQLite connections are not
shared across threads), against the same content version the rest of the screens show.
Typing is debounced; a result that arrives after the text changed again is dropped. When
nothing matches, the same worker looks for the closest name ("did you mean").

Handwriting (docs/search.md): the recogniser (Zinnia, ``content_sync.store.handwriting``)
is opened on the first render; without it the keyboard has no 手写 button. Recognising one
character takes 3 ms on a quiet machine but its p95 reached 25 ms on a loaded one
(``benchmarks/bench_handwriting.py``), so it runs on a worker after each stroke and an answer
for ink that changed since is dropped. The pinyin words for the candidate bar are read from
the pack off the GUI thread, once per content version.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from content_sync.device.layout import DataDir, Pointer
from content_sync.store.content_store import ContentStore, SearchResult
from content_sync.store.handwriting import HandwritingUnavailable, Recogniser, open_recogniser
from content_sync.store.search import PinyinLexicon

from ..strings import N_
from ..theme import COMPACT, PORTRAIT
from ..widgets.common import Card, ScrollPage, grid, text_label
from ..widgets.handwriting_pad import Stroke
from ..widgets.keyboard import Deliver, OnScreenKeyboard
from .base import Screen

log = logging.getLogger(__name__)
DEBOUNCE_MS = 120
RESULT_LIMIT = 30
SUBTITLE_CHARS = 110
RESULT_KINDS: dict[str, str] = {
    "venue": N_("search.kind.venue"), "route": N_("search.kind.route"), "event": N_("search.kind.event"),
    "heritage": N_("search.kind.heritage"), "transport": N_("search.kind.transport"), "page": N_("search.kind.page"),
}  # fmt: skip


def open_version(data: DataDir, pointer: Pointer) -> ContentStore:
    """A new read-only store on exactly the version ``pointer`` names, for the calling thread."""
    db = data.version_db(pointer.current)
    if not db.exists():  # should not happen: an install keeps the previous version
        return ContentStore.open(data)
    conn = sqlite3.connect(f"file:{db.as_posix()}?mode=ro&immutable=1", uri=True)
    conn.execute("PRAGMA trusted_schema = OFF")
    return ContentStore(data, pointer, conn)


@dataclass(frozen=True)
class Answer:
    """What one query found, and the closest name when it found nothing."""

    results: list[SearchResult]
    suggestion: SearchResult | None = None


def run_search(data: DataDir, pointer: Pointer, text: str, limit: int = RESULT_LIMIT) -> Answer:
    """Runs on a worker thread: the results, or a "did you mean" when there are none."""
    store = open_version(data, pointer)
    try:
        results = store.search(text, limit=limit)
        return Answer(results, None if results else store.suggest(text))
    finally:
        store.close()


def load_lexicon(data: DataDir, pointer: Pointer) -> PinyinLexicon:
    """Runs on a worker thread: the pack's Chinese names by their pinyin (reads pypinyin, ~0.1 s)."""
    store = open_version(data, pointer)
    try:
        return PinyinLexicon.from_index(store.conn)
    finally:
        store.close()


def _shorten(text: str, limit: int = SUBTITLE_CHARS) -> str:
    first = " ".join(text.split("\n\n", 1)[0].split())
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


class OneLineLabel(QLabel):
    """Plain text on one line, cut with "…" to whatever width the layout gives it."""

    def __init__(self, text: str, role: str = "") -> None:
        super().__init__()
        self.full_text = text
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if role:
            self.setProperty("role", role)
        self.setText(text)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, self.width()))


class SearchScreen(Screen):
    name = "search"

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.text = ""
        self.results: list[SearchResult] | None = None  # what the list shows; None before any search
        self.results_for = ""  # the text those results answer
        self.recorded_for = ""  # the search last counted (kiosk_app/recorder.py)
        self.seq = 0
        self.display: QLineEdit | None = None
        self.count: QLabel | None = None
        self.keyboard: OnScreenKeyboard | None = None
        self.page: ScrollPage | None = None
        self.results_box: QWidget | None = None
        self.suggestion: SearchResult | None = None  # "did you mean", when the results are empty
        self.handwriting = False  # the keyboard shows the pad (kept across re-renders, not across visitors)
        self.recogniser: Recogniser | None = None
        self.recogniser_tried = False
        self.lexicon: PinyinLexicon | None = None
        self.lexicon_for = ""  # the content version the lexicon was read from
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._query)

    def title(self) -> str:
        return self.ctx.tr("search.title")

    # -- building ---------------------------------------------------------------------------
    def render(self) -> None:
        self.clear_body()
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(m.margin, m.gap, m.margin, m.gap)
        column.setSpacing(m.gap)

        display = QLineEdit()
        display.setObjectName("search-text")
        display.setReadOnly(True)
        # Never focusable and never an input method target: no system keyboard may pop up.
        display.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        display.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        display.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        display.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        display.setPlaceholderText(tr("search.title"))
        display.setText(self.text)
        # Not a touch target, so only as tall as its text needs: the height goes to results.
        display.setStyleSheet("min-height: 0px;")
        display.setFixedHeight(round(m.heading * 2))
        self.display = display
        self.count = text_label("", "muted", wrap=False)
        self.count.setObjectName("search-count")
        self.count.setAlignment(Qt.AlignmentFlag.AlignTrailing | Qt.AlignmentFlag.AlignVCenter)
        # Room for the longest count from the start, so the text line does not jump as results come.
        font = QFont(self.font())
        font.setPixelSize(m.small)
        longest = max((tr.n("search.results", n) for n in range(1, RESULT_LIMIT + 1)), key=len)
        self.count.setFixedWidth(QFontMetrics(font).horizontalAdvance(longest) + m.gap)
        top = QHBoxLayout()
        top.setSpacing(m.gap)
        top.addWidget(display, 1)
        top.addWidget(self.count, 0, Qt.AlignmentFlag.AlignVCenter)
        column.addLayout(top)

        page = ScrollPage(0, m.gap)
        page.setObjectName("search-results")
        self.results_box = QWidget()
        box = QVBoxLayout(self.results_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(m.gap)
        page.add(self.results_box)
        page.finish()
        self.page = page
        column.addWidget(page, 1)

        gap = 8 if ctx.layout == COMPACT else 10
        # Digits (bus and street numbers) only where they leave room for a page of results
        # (the candidate bar takes a row too).
        tall = ctx.screen_size.height() - 6 * (m.touch + gap) >= 600
        width = ctx.screen_size.width() - 2 * m.margin
        if self.keyboard is not None and shiboken6.isValid(self.keyboard):
            self.handwriting = self.keyboard.handwriting()
        recogniser = self._open_recogniser()
        keyboard = OnScreenKeyboard(tr, width=width, key_height=m.touch, gap=gap, digits=tall, label_px=m.body,
                                    text=self.text, recognise=self._recognise if recogniser else None,
                                    lexicon=self._pinyin_words, palette=ctx.palette,
                                    handwriting=self.handwriting)  # fmt: skip
        keyboard.text_changed.connect(self._typed)
        self.keyboard = keyboard
        column.addWidget(keyboard, 0, Qt.AlignmentFlag.AlignHCenter)
        self.body.addWidget(holder)
        self._show_results()
        if self.text.strip() and self.results_for != self.text.strip():
            self._query()
        self._load_lexicon()

    # -- handwriting and pinyin words ---------------------------------------------------------
    def _open_recogniser(self) -> Recogniser | None:
        """Zinnia and its model, opened once (a few ms: the model is mapped, not read)."""
        if not self.recogniser_tried:
            self.recogniser_tried = True
            try:
                self.recogniser = open_recogniser()
            except HandwritingUnavailable as exc:
                log.warning("handwriting input is off: %s", exc)
        return self.recogniser

    def _recognise(self, strokes: Sequence[Stroke], width: int, height: int, deliver: Deliver) -> None:
        """Candidates for the ink on the pad, from a worker (see the module docstring)."""
        recogniser, keyboard = self.recogniser, self.keyboard
        if recogniser is None or keyboard is None:
            return
        ink = [list(stroke) for stroke in strokes]
        self.background(lambda: [c.text for c in recogniser.candidates(ink, width, height)], deliver,
                        lambda exc: self._handwriting_failed(keyboard, exc), owner=keyboard)  # fmt: skip

    def _handwriting_failed(self, keyboard: OnScreenKeyboard, exc: Exception) -> None:
        """The visitor can still type; operators find the reason in the log."""
        log.error("handwriting recognition failed: %s", exc, exc_info=exc)
        self.recogniser = None
        if shiboken6.isValid(keyboard):
            keyboard.disable_handwriting()

    def _pinyin_words(self, typed: str) -> list[str]:
        return self.lexicon.candidates(typed) if self.lexicon is not None else []

    def _load_lexicon(self) -> None:
        content = self.ctx.content
        data, pointer = content.data, content.store.pointer
        if self.lexicon_for == pointer.current:
            return
        self.lexicon_for = pointer.current
        self.background(lambda: load_lexicon(data, pointer), lambda lexicon: self._lexicon_arrived(pointer, lexicon),
                        lambda exc: log.error("pinyin words could not be read: %s", exc))  # fmt: skip

    def _lexicon_arrived(self, pointer: Pointer, lexicon: PinyinLexicon) -> None:
        if pointer.current != self.lexicon_for:
            return
        self.lexicon = lexicon
        if self.keyboard is not None and shiboken6.isValid(self.keyboard):
            self.keyboard.set_lexicon(self._pinyin_words)

    def _show_results(self) -> None:
        """Rebuild the list under the text from ``self.results`` (no database access here)."""
        box = self.results_box
        if box is None or not shiboken6.isValid(box):
            return
        layout = box.layout()
        while layout.count():
            widget = layout.takeAt(0).widget()
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        tr = self.ctx.tr
        count = ""
        if not self.text.strip():
            hint = text_label(tr("search.hint"))
            hint.setObjectName("search-hint")
            layout.addWidget(hint)
        elif self.results is None:
            pass  # the first query is on its way; keep quiet rather than flash "nothing found"
        elif not self.results:
            none = text_label(tr("search.none"), "heading")
            none.setObjectName("search-none")
            layout.addWidget(none)
            if self.suggestion is not None:
                layout.addWidget(self._suggestion_button(self.suggestion))
        else:
            n = len(self.results)
            count = tr.n("search.results", n)
            columns = 2 if self.ctx.screen_size.width() >= 1200 else 1
            cards = self.items("result", self.results, self._card, ident=lambda r: f"{r.kind}:{r.id}")
            layout.addWidget(grid(cards, columns, self.ctx.metrics.gap))
        if self.count is not None and shiboken6.isValid(self.count):
            self.count.setText(count)
        if self.page is not None and shiboken6.isValid(self.page):
            self.page.verticalScrollBar().setValue(0)

    def _suggestion_button(self, suggestion: SearchResult) -> QPushButton:
        """ "Did you mean …?": tapping searches for that name in the visitor's language."""
        name = self.ctx.tr.content(suggestion.title)
        button = QPushButton(self.ctx.tr("search.did_you_mean", name=name))
        button.setObjectName("search-suggestion")
        button.setProperty("role", "primary")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        button.clicked.connect(lambda _checked=False: self._search_for(name))
        return button

    def _search_for(self, text: str) -> None:
        if self.keyboard is not None and shiboken6.isValid(self.keyboard):
            self.keyboard.set_text(text)
            text = self.keyboard.text()
        self._typed(text)

    def _card(self, result: SearchResult) -> Card:
        tr = self.ctx.tr
        card = Card(self._target(result))
        card.setObjectName(f"result-{result.kind}-{result.id}")
        card.setProperty("tappable", card.on_tap is not None)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(4)
        top = QHBoxLayout()
        top.setSpacing(12)
        title = text_label(tr.content(result.title), "heading")
        title.setObjectName("result-title")
        top.addWidget(title, 1)
        kind = text_label(tr(RESULT_KINDS[result.kind]), "muted", wrap=False)
        kind.setObjectName("result-kind")
        top.addWidget(kind, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        subtitle = _shorten(tr.content(result.subtitle))
        if subtitle and self.ctx.layout == PORTRAIT:
            layout.addWidget(text_label(subtitle, "muted"))  # a totem has the height for two lines
        elif subtitle:
            layout.addWidget(OneLineLabel(subtitle, "muted"))  # keep more results above the keyboard
        return card

    def _target(self, result: SearchResult) -> Callable[[], None] | None:
        """Where tapping a result goes; ``None`` when no screen can show it."""
        ctx = self.ctx
        rid = result.id
        if result.kind == "venue":
            return lambda: ctx.go("venue", id=rid)
        if result.kind in ("route", "heritage", "page") and ctx.router.has(result.kind):
            return lambda: ctx.go(result.kind, id=rid)
        if result.kind == "event" and ctx.router.has("events"):
            return lambda: ctx.go("events", span="week")  # the week's list, where a later event still shows
        if result.kind == "transport" and ctx.router.has("transport"):
            return lambda: ctx.go("transport")
        return None

    # -- typing and querying ----------------------------------------------------------------
    def _typed(self, text: str) -> None:
        self.text = text
        self.seq += 1  # whatever is in flight is now stale
        if self.display is not None and shiboken6.isValid(self.display):
            self.display.setText(text)
        if text.strip():
            # The previous results stay in view until the new ones arrive: no flicker per key.
            self.timer.start()
        else:
            self.timer.stop()
            self.results, self.results_for = None, ""
            self._show_results()

    def _query(self) -> None:
        text = self.text.strip()
        if not text:
            return
        self.seq += 1
        seq = self.seq
        content = self.ctx.content
        data, pointer = content.data, content.store.pointer
        self.background(lambda: run_search(data, pointer, text), lambda found: self._arrived(seq, text, found),
                        lambda exc: self._failed(seq, text, exc))  # fmt: skip

    def _arrived(self, seq: int, text: str, found: Answer) -> None:
        if seq != self.seq:
            return  # the visitor typed on (or the kiosk reset) since this query started
        self.results, self.results_for, self.suggestion = found.results, text, found.suggestion
        self._show_results()

    def _failed(self, seq: int, text: str, exc: Exception) -> None:
        log.error("search for %r failed: %s", text, exc, exc_info=exc)
        self._arrived(seq, text, Answer([]))

    # -- visitor lifecycle ------------------------------------------------------------------
    def left(self) -> None:
        """The search the visitor ended on is the one counted (not each letter typed on the way)."""
        self._record()
        super().left()

    def _record(self) -> None:
        if self.results_for and self.results_for != self.recorded_for:
            self.ctx.recorder.search(self.results_for, len(self.results or []))
            self.recorded_for = self.results_for

    def reset(self) -> None:
        """Idle reset: the next visitor must not see what this one typed."""
        self._record()
        self.recorded_for = ""
        self.timer.stop()
        self.seq += 1
        self.text = ""
        self.results, self.results_for, self.suggestion = None, "", None
        self.handwriting = False
        if self.keyboard is not None and shiboken6.isValid(self.keyboard):
            self.keyboard.set_text("")
            self.keyboard.set_handwriting(False)
        if self.display is not None and shiboken6.isValid(self.display):
            self.display.setText("")
        self._show_results()
        super().reset()
