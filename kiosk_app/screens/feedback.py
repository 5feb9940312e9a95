"""Visitor feedback: a rating with faces, what went wrong, a few words, and a contact only with consent.

Reached from home (about the kiosk and the city's information) and from a place's page (about
that place): ``feedback`` with ``about="kiosk"`` or ``about="venue:<id>"``. It works offline:
the form only writes to the outbox (docs/outbox.md), through the recorder's worker, and says
"thank you" only once the feedback is committed on disk. The idle reset forgets a half-written
form; a feedback being saved at that moment is still saved.

Landscape and tablet screens put the form on the left and the words with the keyboard on the
right; a portrait totem has one scrolling column above the keyboard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from content_sync.device.outbox import FEEDBACK_CATEGORIES, MAX_FEEDBACK_TEXT, Feedback

from ..strings import N_
from ..theme import COMPACT, PORTRAIT, Palette
from ..widgets.common import Card, ChipRow, ScrollPage, TapButton, button, scrolling, text_label
from ..widgets.keyboard import OnScreenKeyboard
from .base import Screen

log = logging.getLogger(__name__)

RATINGS: tuple[tuple[int, str], ...] = (
    (1, N_("feedback.rating_1")), (2, N_("feedback.rating_2")), (3, N_("feedback.rating_3")),
    (4, N_("feedback.rating_4")), (5, N_("feedback.rating_5")),
)  # fmt: skip
CATEGORY_NAMES: dict[str, str] = dict(zip(FEEDBACK_CATEGORIES, (
    N_("feedback.category_wrong_information"), N_("feedback.category_cleanliness"), N_("feedback.category_prices"),
    N_("feedback.category_service"), N_("feedback.category_safety"), N_("feedback.category_accessibility"),
    N_("feedback.category_other"),
), strict=True))  # fmt: skip
MAX_TEXT = min(300, MAX_FEEDBACK_TEXT)  # what a visitor types on a touch keyboard, with room to spare
MAX_PHONE = 20
MIN_PHONE_DIGITS = 5


def face_pixmap(level: int, size: int, colour: str) -> QPixmap:
    """A face from very unhappy (1) to very happy (5), drawn: no emoji font needed, same on every kiosk."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(colour), max(2.0, size / 16))
    painter.setPen(pen)
    margin = pen.widthF()
    painter.drawEllipse(QRectF(margin, margin, size - 2 * margin, size - 2 * margin))
    painter.setBrush(QColor(colour))
    eye = size / 14
    for x in (0.35, 0.65):
        painter.drawEllipse(QPointF(size * x, size * 0.38), eye, eye)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    curve = (level - 3) / 2  # -1 (frown) .. 1 (smile)
    mouth = QPainterPath(QPointF(size * 0.3, size * 0.66 - curve * size * 0.05))
    mouth.quadTo(
        QPointF(size * 0.5, size * 0.66 + curve * size * 0.2), QPointF(size * 0.7, size * 0.66 - curve * size * 0.05)
    )
    painter.drawPath(mouth)
    painter.end()
    return pixmap


class FaceButton(TapButton):
    """One of the five faces: a drawn face above its word (never colour alone), checked when chosen."""

    def __init__(
        self, level: int, word: str, on_tap: Callable[[], None], *, touch: int, colour: str, font_px: int
    ) -> None:
        super().__init__("", on_tap, "chip", name=f"feedback-rating-{level}")
        self.setCheckable(True)
        self.setAccessibleName(word)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 10, 8, 10)
        layout.setSpacing(4)
        self.level, self.face_px, self.colour = level, round(touch * 0.75), ""
        self.face = QLabel()
        self.paint(colour)
        self.face.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.font_px = font_px
        self.word = text_label(word, wrap=False)
        self.word.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for label in (self.face, self.word):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
            label.setStyleSheet(f"background: transparent; font-size: {font_px}px;")
            layout.addWidget(label)
        # The theme's chip height is one touch target: this one holds a face and a word.
        # (Arabic script stands taller than the font size: room for it whatever the font measured here.)
        height = round(touch * 0.75) + max(self.word.sizeHint().height(), round(font_px * 1.9)) + 28
        self.setStyleSheet(f"QPushButton#{self.objectName()} {{ min-height: {height}px; padding: 0; }}")
        self.setMinimumWidth(touch)

    def sizeHint(self) -> QSize:
        # A QPushButton measures its own text only: the face and the word are in its layout.
        return super().sizeHint().expandedTo(self.layout().totalSizeHint())

    def minimumSizeHint(self) -> QSize:
        return super().minimumSizeHint().expandedTo(self.layout().totalMinimumSize())

    def paint(self, colour: str) -> None:
        """Draw the face in ``colour`` (the text colour, or the accent's text colour once chosen)."""
        if colour != self.colour:
            self.colour = colour
            self.face.setPixmap(face_pixmap(self.level, self.face_px, colour))


class TapField(Card):
    """A tappable box of wrapping text (the words, the phone number, the consent): the whole box is the target."""

    def __init__(self, on_tap: Callable[[], None], name: str, *, min_height: int) -> None:
        super().__init__(on_tap)
        self.setObjectName(name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        self.label = text_label("")
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignTop)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        layout.addWidget(self.label)
        self.setMinimumHeight(min_height)

    def show_state(self, text: str, active: bool, palette: Palette) -> None:
        """Its text, and a thick accent border while it is the one being typed into (or ticked)."""
        self.label.setText(text)
        border = f"3px solid {palette.accent}" if active else f"2px solid {palette.border}"
        self.setStyleSheet(f"QFrame#{self.objectName()} {{ border: {border}; }}")


class FeedbackScreen(Screen):
    """Parameter: about ("kiosk" or "venue:<id>")."""

    name = "feedback"

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.form_about: str | None = None
        self.rating: int | None = None
        self.category: str | None = None
        self.text = ""
        self.consent = False
        self.contact = ""
        self.typing = "text"  # which field the keyboard types into: "text" or "contact"
        self.state = "form"  # "form", "saving", "thanks"
        self.message = ""  # a line under the form: what is missing, or that saving failed
        self.saved_id: str | None = None
        self._generation = 0  # a reset while saving: the answer no longer belongs to this form
        self.keyboard: OnScreenKeyboard | None = None
        self.text_field: TapField | None = None
        self.contact_field: TapField | None = None
        self.message_label: QLabel | None = None
        self.send_button: TapButton | None = None
        self.faces: dict[int, FaceButton] = {}
        self.chips: dict[str, TapButton] = {}
        self.consent_button: TapField | None = None

    @property
    def about(self) -> str:
        return str(self.params.get("about") or "kiosk")

    def title(self) -> str:
        return self.ctx.tr("feedback.title")

    def clear_form(self) -> None:
        self.rating = self.category = self.saved_id = None
        self.text = self.contact = self.message = ""
        self.consent = False
        self.typing, self.state = "text", "form"
        self._generation += 1

    # -- building ---------------------------------------------------------------------------
    def render(self) -> None:
        if self.form_about != self.about:  # another place (or the kiosk): a fresh form
            self.clear_form()
            self.form_about = self.about
        self.clear_body()
        self.faces, self.chips = {}, {}
        if self.state == "thanks":
            self._render_thanks()
            return
        ctx, m = self.ctx, self.ctx.metrics
        form = ScrollPage(m.margin, m.gap)
        form.setObjectName("feedback-form")
        self._fill_form(form)
        keyboard_side = QWidget()
        side = QVBoxLayout(keyboard_side)
        side.setContentsMargins(m.margin, m.gap, m.margin, m.gap)
        side.setSpacing(m.gap)
        holder = QWidget()
        if ctx.layout == PORTRAIT:
            outer: QVBoxLayout | QHBoxLayout = QVBoxLayout(holder)
            outer.addWidget(form, 1)
            side.addWidget(self._keyboard(ctx.screen_size.width() - 2 * m.margin), 0, Qt.AlignmentFlag.AlignHCenter)
            outer.addWidget(keyboard_side)
        else:
            outer = QHBoxLayout(holder)
            half = ctx.screen_size.width() // 2
            form.setFixedWidth(half)
            outer.addWidget(form)
            side.addWidget(self._words_heading())
            side.addWidget(self._text_field(), 1)
            side.addWidget(self._keyboard(half - 2 * m.margin), 0, Qt.AlignmentFlag.AlignHCenter)
            # Large text on a tablet: the keys are taller than the screen has room for; scroll, never cut.
            outer.addWidget(scrolling(keyboard_side), 1)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.body.addWidget(holder)
        self._refresh()

    def _about_line(self) -> str:
        ctx, tr = self.ctx, self.ctx.tr
        kind, _, ident = self.about.partition(":")
        if kind == "venue":
            venue = ctx.store.venue(ident)
            if venue is not None:
                return tr("feedback.about_place", name=tr.content(venue.name))
        return tr("feedback.about_kiosk")

    def _fill_form(self, form: ScrollPage) -> None:
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        form.add(text_label(self._about_line(), "heading")).setObjectName("feedback-about")
        form.add(text_label(tr("feedback.rating"), "heading"))
        word_px = m.small if ctx.layout == COMPACT else m.body  # five words side by side on a tablet too
        for level, word in RATINGS:
            face = FaceButton(level, tr(word), lambda level=level: self._rate(level), touch=m.touch,
                              colour=ctx.palette.text, font_px=word_px)  # fmt: skip
            self.faces[level] = face
        # Five faces side by side where their words fit, on two lines where they do not (large text).
        form.add(ChipRow(list(self.faces.values()), max(8, m.gap // 2), None))
        form.add(text_label(tr("feedback.category"), "heading"))
        chips = []
        for category, key in CATEGORY_NAMES.items():
            chip = button(tr(key), lambda c=category: self._choose(c), "chip", name=f"feedback-category-{category}")
            chip.setCheckable(True)
            self.chips[category] = chip
            chips.append(chip)
        form.add(ChipRow(chips, max(8, m.gap // 2), None))  # wraps: no chip past the form's edge
        if ctx.layout == PORTRAIT:
            form.add(self._words_heading())
            form.add(self._text_field())
        self.consent_button = TapField(self._toggle_consent, "feedback-consent", min_height=m.touch)
        form.add(self.consent_button)
        self.contact_field = self._field("contact")
        form.add(self.contact_field)
        self.message_label = text_label("", "closed")
        self.message_label.setObjectName("feedback-message")
        form.add(self.message_label)
        self.send_button = button(tr("feedback.send"), self._send, "primary", name="feedback-send")
        form.add(self.send_button)
        form.finish()

    def _words_heading(self) -> QLabel:
        return text_label(self.ctx.tr("feedback.text"), "heading")

    def _text_field(self) -> TapField:
        self.text_field = self._field("text")
        return self.text_field

    def _field(self, which: str) -> TapField:
        """A tap-to-type field: the keyboard types into the one last tapped (text or contact)."""
        touch = self.ctx.metrics.touch
        return TapField(
            lambda: self._type_into(which), f"feedback-{which}", min_height=touch * (2 if which == "text" else 1)
        )

    def _keyboard(self, width: int) -> OnScreenKeyboard:
        m = self.ctx.metrics
        keyboard = OnScreenKeyboard(self.ctx.tr, width=width, key_height=m.touch, gap=8, digits=True,
                                    label_px=m.body, max_length=MAX_TEXT)  # fmt: skip
        keyboard.text_changed.connect(self._typed)
        self.keyboard = keyboard
        self._type_into(self.typing)
        return keyboard

    def _render_thanks(self) -> None:
        tr, m = self.ctx.tr, self.ctx.metrics
        page = ScrollPage(m.margin, m.gap)
        page.add(text_label(tr("feedback.thanks"), "title")).setObjectName("feedback-thanks")
        if self.contact and self.consent:
            page.add(text_label(tr("feedback.thanks_contact")))
        page.add(button(tr("feedback.done"), self._done, "primary", name="feedback-done"))
        page.finish()
        self.body.addWidget(page)

    # -- what taps do -----------------------------------------------------------------------
    def _rate(self, level: int) -> None:
        self.rating = None if self.rating == level else level
        self.message = ""
        self._refresh()

    def _choose(self, category: str) -> None:
        self.category = None if self.category == category else category
        self.message = ""
        self._refresh()

    def _toggle_consent(self) -> None:
        self.consent = not self.consent
        if not self.consent:
            self.contact = ""  # no consent, nothing kept: not even in this form
            self._type_into("text")
        else:
            self._type_into("contact")
        self.message = ""
        self._refresh()

    def _type_into(self, which: str) -> None:
        if which == "contact" and not self.consent:
            which = "text"
        self.typing = which
        if self.keyboard is not None and shiboken6.isValid(self.keyboard):
            self.keyboard.max_length = MAX_PHONE if which == "contact" else MAX_TEXT
            self.keyboard.set_text(self.contact if which == "contact" else self.text)
        self._refresh()

    def _typed(self, text: str) -> None:
        if self.typing == "contact":
            self.contact = text
        else:
            self.text = text
        self.message = ""
        self._refresh()

    def _refresh(self) -> None:
        """Show the form's state on its widgets (no rebuilding: a tap only restyles)."""
        tr, palette = self.ctx.tr, self.ctx.palette
        for level, face in self.faces.items():
            face.setChecked(self.rating == level)
            face.paint(palette.accent_text if face.isChecked() else palette.text)
            face.word.setStyleSheet(
                f"background: transparent; font-size: {face.font_px}px;"
                f" color: {palette.accent_text if face.isChecked() else palette.text};"
            )
        for category, chip in self.chips.items():
            chip.setChecked(self.category == category)
        if self.text_field is not None and shiboken6.isValid(self.text_field):
            self.text_field.show_state(self.text or tr("feedback.text_hint"), self.typing == "text", palette)
        if self.consent_button is not None and shiboken6.isValid(self.consent_button):
            tick = "☑ " if self.consent else "☐ "  # ticked or not in words' place, not by colour alone
            self.consent_button.show_state(tick + tr("feedback.consent"), self.consent, palette)
        if self.contact_field is not None and shiboken6.isValid(self.contact_field):
            self.contact_field.setVisible(self.consent)
            label = tr("feedback.contact")
            text = f"{label}: {self.contact}"
            self.contact_field.show_state(text, self.typing == "contact", palette)
        if self.message_label is not None and shiboken6.isValid(self.message_label):
            self.message_label.setText(self.message)
            self.message_label.setVisible(bool(self.message))
        if self.send_button is not None and shiboken6.isValid(self.send_button):
            saving = self.state == "saving"
            self.send_button.setEnabled(not saving)
            self.send_button.setText(tr("feedback.saving") if saving else tr("feedback.send"))

    def _send(self) -> None:
        if self.state != "form":
            return
        tr = self.ctx.tr
        if self.rating is None and self.category is None and not self.text.strip():
            self.message = tr("feedback.need_something")
            self._refresh()
            return
        if self.consent and sum(ch.isdigit() for ch in self.contact) < MIN_PHONE_DIGITS:
            self.message = tr("feedback.contact_missing")
            self._type_into("contact")
            return
        feedback = Feedback(
            self.about, self.rating, self.category, self.text, self.ctx.lang,
            contact=self.contact if self.consent else None, consent=self.consent,
        )  # fmt: skip
        self.state, self.message = "saving", ""
        self._refresh()
        generation = self._generation
        self.ctx.recorder.feedback(
            feedback,
            lambda event_id: self._saved(generation, event_id),
            lambda exc: self._failed(generation, exc),
        )

    def _saved(self, generation: int, event_id: str) -> None:
        """Committed on disk: now, and only now, "thank you"."""
        if generation != self._generation or not shiboken6.isValid(self):
            return
        self.saved_id = event_id
        self.state = "thanks"
        self.render()

    def _failed(self, generation: int, exc: Exception) -> None:
        log.error("feedback could not be saved: %s", exc)
        if generation != self._generation or not shiboken6.isValid(self):
            return
        self.state = "form"  # what the visitor wrote stays: they may try again or tell staff
        self.message = self.ctx.tr("feedback.failed")
        self._refresh()

    def _done(self) -> None:
        self.clear_form()
        self.stale = True
        self.ctx.router.back()

    # -- visitor lifecycle ------------------------------------------------------------------
    def left(self) -> None:
        if self.state == "thanks":  # the next visit to this page starts a fresh form
            self.clear_form()
            self.stale = True
        super().left()

    def reset(self) -> None:
        """Idle reset: a half-written form is forgotten (what is being saved is still saved)."""
        self.clear_form()
        self.form_about = None
        self.stale = True
        super().reset()
