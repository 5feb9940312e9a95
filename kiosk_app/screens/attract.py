"""The attract loop: what the kiosk shows to passers-by, inviting a touch in several languages.

While an emergency notice is in force (the group's ``emergency`` feed, the kiosk's clock) it
takes the slideshow's place, full screen, in zh-Hans and English at once (a passer-by has not
chosen a language); a touch still opens home. It goes at its end by itself (``EmergencyWatch``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QEasingCurve, QPropertyAnimation, QSize, Qt, QTimer
from PySide6.QtWidgets import QFrame, QGraphicsOpacityEffect, QLabel, QStackedLayout, QVBoxLayout, QWidget

from content_sync.store.content_store import Venue

from ..strings import Translator
from ..widgets.common import ImageView, text_label
from ..widgets.emergency_banner import EmergencyWatch, attract_panel
from .base import Screen

MAX_SLIDES = 8


class AttractScreen(Screen):
    name = "attract"

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.next_slide)
        self.slides: QStackedLayout | None = None
        self.fade: QPropertyAnimation | None = None
        # Slides not built yet: only the first is built with the screen (it is the first thing
        # a kiosk paints); each further one is built when the loop reaches it.
        self.pending: list[Callable[[], QWidget | None]] = []
        self.emergency = EmergencyWatch(ctx, self, active=lambda: self.in_view)
        self.emergency.changed.connect(self._emergency_changed)

    def render(self) -> None:
        self.clear_body()
        ctx = self.ctx
        invite = self._invite()
        notices = self.emergency.read()
        if notices:  # the notice instead of the slideshow
            self.slides, self.pending = None, []
            size, m = ctx.screen_size, ctx.metrics
            invite.ensurePolished()
            touch = invite.findChild(QLabel, "touch-to-start")
            if touch is not None:
                touch.ensurePolished()
            # Measured before the kiosk's style sheet gives these widgets their font family: some slack.
            below = max(invite.heightForWidth(size.width()), invite.sizeHint().height())
            room = QSize(size.width() - 12, size.height() - max(round(below * 1.15), 3 * m.touch))  # frame: 2 × 6 px
            panel = self.guarded(
                "emergency", notices[0].id, lambda: attract_panel(notices, ctx.config.languages, m, ctx.now(), room)
            )
            if panel is not None:
                self.body.addWidget(panel, 1)
        if not notices or self.body.count() == 0:
            holder = QWidget()
            self.slides = QStackedLayout(holder)
            venues = ctx.store.venues(featured=True, with_media=True)[:MAX_SLIDES]
            self.pending = [lambda v=v: self._venue_slide(v) for v in venues] + [self._today_slide]
            self._build_next()
            self.body.addWidget(holder, 1)
        self.body.addWidget(invite)

    def _invite(self) -> QFrame:
        """The "Touch to start" band under the slideshow (or the notice), in each language offered that has it."""
        ctx = self.ctx
        invite = QFrame()
        invite.setProperty("role", "header")
        invite_layout = QVBoxLayout(invite)
        # Only the languages this kiosk offers (a promise it keeps), each in its own words only (no
        # fallback): a language without the phrase is left out.
        own = [Translator(lang, fallback=()) for lang in (ctx.lang, *ctx.config.languages)]
        phrases = [tr("attract.touch_to_start") for tr in own if tr.has("attract.touch_to_start")]
        line = "   ·   ".join(dict.fromkeys(phrases))
        # Many languages in the title size would take half a tablet's screen from the slides.
        touch = text_label(line, "title" if len(phrases) <= 2 else "heading")
        touch.setObjectName("touch-to-start")
        touch.setAlignment(Qt.AlignmentFlag.AlignCenter)
        invite_layout.addWidget(touch)
        return invite

    def _build_next(self) -> bool:
        """Build the next slide still to come; False when none is left."""
        while self.pending and self.slides is not None:
            slide = self.guarded("slide", len(self.pending), self.pending.pop(0))
            if slide is not None:
                self.slides.addWidget(slide)
                return True
        return False

    def _venue_slide(self, venue: Venue) -> QWidget:
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        size = ctx.screen_size
        # The picture fills the width; caption and invitation take the rest of the height.
        image_size = QSize(size.width(), min(round(size.width() * 2 / 3), size.height() - 6 * m.touch))
        languages = [lang for lang in ctx.config.languages if lang != ctx.lang]
        slide = QWidget()
        layout = QVBoxLayout(slide)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        image = venue.images[0].path if venue.images else None
        layout.addWidget(ImageView(ctx.images, image, image_size), 0, Qt.AlignmentFlag.AlignHCenter)
        caption = QFrame()
        caption.setProperty("role", "overlay")
        inner = QVBoxLayout(caption)
        inner.addWidget(text_label(tr.content(venue.name), "title"))
        others = " · ".join(dict.fromkeys(n for lang in languages if (n := venue.name.get(lang))))
        if others:
            inner.addWidget(text_label(others, "heading"))
        inner.addWidget(text_label(tr.content(venue.summary)))
        layout.addWidget(caption)
        return slide

    def _today_slide(self) -> QWidget | None:
        ctx, tr = self.ctx, self.ctx.tr
        now = ctx.now()
        end = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), now.tzinfo)
        today = [o for o in ctx.store.events_between(now, end) if o.ends_at > now][:6]
        if not today:
            return None
        slide = QWidget()
        layout = QVBoxLayout(slide)
        m = ctx.metrics
        layout.setContentsMargins(m.margin * 2, m.margin * 2, m.margin * 2, m.margin * 2)
        layout.addWidget(text_label(tr("attract.today"), "title"))
        for occ in today:
            layout.addWidget(text_label(f"{occ.starts_at:%H:%M}  {tr.content(occ.title)}", "heading"))
            layout.addWidget(text_label(tr.content(occ.summary), "muted"))
        layout.addStretch(1)
        return slide

    def entered(self) -> None:
        self.emergency.check()  # a notice that started or ended while another page was shown
        if self.slides is None:  # the notice is shown: no slideshow behind it
            self.timer.stop()
            return
        if self.slides.count():
            self.slides.setCurrentIndex(0)
        self.timer.start(self.ctx.config["attract.slide_seconds"] * 1000)

    def _emergency_changed(self) -> None:
        """A notice started, ended, arrived or was withdrawn: the notice or the slideshow, whichever is due."""
        self.render()
        self.stale = False
        if self.in_view:
            self.entered()
        else:
            self.emergency.stop()

    def hideEvent(self, event) -> None:
        self.timer.stop()
        self.emergency.stop()
        super().hideEvent(event)

    def next_slide(self) -> None:
        if self.slides is None:
            return
        if self.slides.currentIndex() == self.slides.count() - 1 and self._build_next():
            self.slides.setCurrentIndex(self.slides.count() - 1)
        elif self.slides.count() < 2:
            return
        else:
            self.slides.setCurrentIndex((self.slides.currentIndex() + 1) % self.slides.count())
        widget = self.slides.currentWidget()
        effect = QGraphicsOpacityEffect(widget)
        widget.setGraphicsEffect(effect)
        self.fade = QPropertyAnimation(effect, b"opacity", self)
        self.fade.setDuration(1200)
        self.fade.setStartValue(0.0)
        self.fade.setEndValue(1.0)
        self.fade.setEasingCurve(QEasingCurve.Type.InOutQuad)
        self.fade.finished.connect(lambda w=widget: w.setGraphicsEffect(None))
        self.fade.start()

    def mouseReleaseEvent(self, event) -> None:
        self.ctx.go("home")

    def reset(self) -> None:
        self.timer.stop()
        self.emergency.stop()
        super().reset()
