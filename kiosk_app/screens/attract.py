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

from ..night import NIGHT_BACKGROUND, NIGHT_DIM_TEXT, NIGHT_SLIDE_OPACITY, NIGHT_TEXT, NightSchedule
from ..strings import Translator
from ..widgets.common import ImageView, text_label
from ..widgets.emergency_banner import EmergencyWatch, attract_panel
from .base import Screen

MAX_SLIDES = 8
NIGHT_LOOK_MS = 30_000  # how often the loop asks the kiosk's clock whether night began or ended


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
        # Night mode (kiosk_app/night.py): the schedule on the kiosk's clock, looked at while in view.
        self.night: NightSchedule | None = None  # the schedule, while the night screen is shown
        self.night_clock: QLabel | None = None
        self.night_watch = QTimer(self)
        self.night_watch.setInterval(NIGHT_LOOK_MS)
        self.night_watch.timeout.connect(self.look_at_the_clock)

    def render(self) -> None:
        self.clear_body()
        ctx = self.ctx
        notices = self.emergency.read()
        self.night = None if notices else self._night_due()  # an emergency notice is shown day and night
        if self.night is not None:
            self._render_night(self.night)
            return
        invite = self._invite()
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
            self.body.addWidget(self._slideshow(), 1)
        self.body.addWidget(invite)

    def _slideshow(self) -> QWidget:
        """The featured places, one slide at a time; only the first is built now."""
        holder = QWidget()
        self.slides = QStackedLayout(holder)
        venues = self.ctx.store.venues(featured=True, with_media=True)[:MAX_SLIDES]
        self.pending = [lambda v=v: self._venue_slide(v) for v in venues] + [self._today_slide]
        self._build_next()
        return holder

    # -- night mode --------------------------------------------------------------------------------
    def _night_due(self) -> NightSchedule | None:
        schedule = self.ctx.config.night
        return schedule if schedule is not None and schedule.is_night(self.ctx.now()) else None

    def _render_night(self, schedule: NightSchedule) -> None:
        """A dark, dim screen: a small clock and "touch to wake"; the slideshow dimmed, or none."""
        ctx, tr, m = self.ctx, self.ctx.tr, self.ctx.metrics
        self.slides, self.pending = None, []
        panel = QFrame()
        panel.setObjectName("night-screen")
        panel.setStyleSheet(
            f"QFrame#night-screen {{ background: {NIGHT_BACKGROUND}; border: none; }}"
            f"QLabel#night-clock {{ color: {NIGHT_TEXT}; font-size: {m.title * 2}px; font-weight: 300; }}"
            f"QLabel#night-wake {{ color: {NIGHT_DIM_TEXT}; font-size: {m.body}px; }}"
        )
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, m.margin * 2)  # slides are made for the whole width
        layout.setSpacing(m.gap)
        if schedule.attract == "slow":
            slideshow = self._slideshow()
            dim = QGraphicsOpacityEffect(slideshow)
            dim.setOpacity(NIGHT_SLIDE_OPACITY)
            slideshow.setGraphicsEffect(dim)
            layout.addWidget(slideshow, 1)
        else:
            layout.addStretch(1)
        self.night_clock = text_label(f"{ctx.now():%H:%M}")
        self.night_clock.setObjectName("night-clock")
        self.night_clock.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.night_clock)
        wake = text_label(tr("night.touch_to_wake"))
        wake.setObjectName("night-wake")
        wake.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(wake)
        if schedule.attract != "slow":
            layout.addStretch(1)
        self.body.addWidget(panel, 1)

    def look_at_the_clock(self) -> None:
        """Night began or ended while the loop is shown: the other screen; else the clock moves on."""
        if not self.in_view:
            return
        due = self._night_due()
        if (due is None) != (self.night is None):
            self.render()
            self.stale = False
            self.entered()
        elif self.night is not None and self.night_clock is not None:
            self.night_clock.setText(f"{self.ctx.now():%H:%M}")

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
        # The picture fills the width; caption and invitation take the rest of the height (none is left
        # on a window too short for both, as the window is for a moment while it goes full screen).
        image_size = QSize(size.width(), max(0, min(round(size.width() * 2 / 3), size.height() - 6 * m.touch)))
        languages = [lang for lang in ctx.config.languages if lang != ctx.lang]
        slide = QWidget()
        layout = QVBoxLayout(slide)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        image = venue.images[0].path if venue.images else None
        layout.addWidget(ImageView(ctx.images, image, image_size, ctx.palette), 0, Qt.AlignmentFlag.AlignHCenter)
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
        if self.ctx.config.night is not None:
            self.night_watch.start()
            if (self._night_due() is None) != (self.night is None):  # night began or ended meanwhile
                self.render()
                self.stale = False
        self.emergency.check()  # a notice that started or ended while another page was shown
        if self.slides is None:  # the notice is shown, or the night screen without pictures
            self.timer.stop()
            return
        if self.slides.count():
            self.slides.setCurrentIndex(0)
        seconds = self.night.slide_seconds if self.night is not None else self.ctx.config["attract.slide_seconds"]
        self.timer.start(seconds * 1000)

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
        self.night_watch.stop()
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
        if self.night is not None:  # at night a slide simply changes: no fade under the dimming
            return
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
        # A lift inside the loop starts a visit; one the staff corner ended (far outside) does not.
        if self.rect().contains(event.position().toPoint()):
            if self.night is not None:  # woken at night: the visit's pages stay dim (theme.NIGHT)
                self.ctx.session.set_night(True)
            self.ctx.go("home")

    def reset(self) -> None:
        self.timer.stop()
        self.night_watch.stop()
        self.emergency.stop()
        super().reset()
