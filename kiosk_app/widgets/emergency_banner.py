"""Emergency notices on screen: full screen on the attract loop, a band at the top of home.

The notices come from the group's ``emergency`` live feed, stored by the sync agent on its
worker thread (``content_sync/sync/feeds.py``); the screens read it through ``ctx.feed``
(a cached read that only stats the database until it changes, as the status strip does) and
judge "in force" by the kiosk's injected clock (:func:`kiosk_app.feeds.current_emergencies`).
:class:`EmergencyWatch` looks again when a notice starts or ends (and every half minute, for
a feed that just arrived), so a notice disappears at its end without a restart.

Colours are fixed, not the theme's: white on a deep red (contrast about 9:1) reads the same
in the normal and the high-contrast display, and no visitor setting can make it quieter.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from ..feeds import Emergency, current_emergencies, next_emergency_change
from ..strings import N_, Translator
from .common import text_label

log = logging.getLogger(__name__)

BACKGROUND = "#8f0e12"  # deep red: white text on it is about 9:1
TEXT = "#ffffff"
#: The languages every notice has (the format requires both), shown first on the attract loop.
REQUIRED_LANGUAGES = ("zh-Hans", "en")
SEVERITY_LABELS = {"emergency": N_("emergency.emergency"), "warning": N_("emergency.warning")}


def read_emergencies(ctx: Any) -> tuple[list[Emergency], dt.datetime | None]:
    """The notices in force on the kiosk's clock and the next moment that may change (never raises)."""
    try:
        record = ctx.feed("emergency")
    except Exception:  # a locked or damaged device database: no notice, never a broken screen
        record = None
    now = ctx.now()
    return current_emergencies(record, now), next_emergency_change(record, now)


class EmergencyWatch(QObject):
    """Tells its screen when the set of notices in force changes (a notice starts, ends, arrives, is withdrawn)."""

    changed = Signal()
    #: The longest wait between two looks (a feed may arrive at any moment); tests shorten it.
    max_wait_ms = 30_000

    def __init__(self, ctx: Any, parent: QObject | None = None, *, active: Any = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.active = active or (lambda: True)  # the screen is in view: only then is there a timer
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)  # an end at 18:00 is gone at 18:00, not a few seconds on
        self.timer.timeout.connect(self.check)
        self.shown: tuple[str, ...] = ()
        self.notices: list[Emergency] = []

    def read(self) -> list[Emergency]:
        """The notices in force now; remembers them as the ones on screen and arms the next look."""
        self.notices, upcoming = read_emergencies(self.ctx)
        self.shown = tuple(n.id for n in self.notices)
        self._arm(upcoming)
        return self.notices

    def _arm(self, upcoming: dt.datetime | None) -> None:
        if not self.active():
            self.timer.stop()
            return
        wait = self.max_wait_ms
        if upcoming is not None:
            with contextlib.suppress(TypeError, OverflowError):
                wait = min(wait, max(0, int((upcoming - self.ctx.now()).total_seconds() * 1000)) + 50)
        self.timer.start(wait)

    def stop(self) -> None:
        self.timer.stop()

    def check(self) -> None:
        """Look again; emit ``changed`` when what is in force is not what is on screen."""
        notices, upcoming = read_emergencies(self.ctx)
        if tuple(n.id for n in notices) != self.shown:
            self.changed.emit()  # the screen re-renders and calls read() again
            return
        self._arm(upcoming)


def _frame(name: str) -> QFrame:
    frame = QFrame()
    frame.setObjectName(name)
    frame.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    frame.setStyleSheet(f"QFrame#{name} {{ background: {BACKGROUND}; border: 6px solid {TEXT}; border-radius: 16px; }}")
    return frame


def _label(text: str, size: int, *, bold: bool = False, centred: bool = False) -> QLabel:
    label = text_label(text)
    weight = 700 if bold else 400
    label.setStyleSheet(
        f"color: {TEXT}; background: transparent; border: none; font-size: {size}px; font-weight: {weight};"
    )
    if centred:
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.ensurePolished()  # the font size counts when the panel is measured before it is shown
    return label


def _own_languages(texts: dict[str, str], languages: tuple[str, ...]) -> list[str]:
    """zh-Hans and en first, then the kiosk's other languages that have their own text (no fallback copies)."""
    order = dict.fromkeys((*REQUIRED_LANGUAGES, *languages))
    return [lang for lang in order if texts.get(lang, "").strip()]


#: Tried in order until the notices fit the screen: (text scale, the kiosk's other languages too).
FIT_STEPS = ((1.0, True), (1.0, False), (0.8, False), (0.65, False), (0.5, False), (0.4, False))


def attract_panel(
    notices: list[Emergency], languages: tuple[str, ...], metrics: Any, now: dt.datetime, room: QSize
) -> QWidget:
    """The attract loop's full screen: every notice in zh-Hans and en (and the kiosk's other languages) at once.

    A long notice is made to fit ``room`` (the space above "Touch to start"): first without the
    other languages, then in smaller text, never cut off while any size fits.
    """
    panel = None
    for scale, others in FIT_STEPS:
        panel = _attract_panel(notices, languages if others else (), metrics, now, scale)
        layout = panel.layout()
        # 8 % slack: measured before the kiosk's style sheet sets the font family (its glyphs differ a little).
        if layout is not None and layout.heightForWidth(room.width()) <= room.height() * 0.92:
            return panel
        panel.deleteLater()
    return _attract_panel(notices, (), metrics, now, FIT_STEPS[-1][0])


def _attract_panel(
    notices: list[Emergency], languages: tuple[str, ...], metrics: Any, now: dt.datetime, scale: float
) -> QWidget:
    panel = _frame("emergency-panel")
    layout = QVBoxLayout(panel)
    m = metrics
    layout.setContentsMargins(m.margin * 2, m.margin * 2, m.margin * 2, m.margin * 2)
    layout.setSpacing(round(m.gap * scale))
    layout.addStretch(1)
    for notice in notices[:3]:
        key = SEVERITY_LABELS.get(notice.severity, SEVERITY_LABELS["emergency"])
        tags = " · ".join(dict.fromkeys(Translator(lang, fallback=())(key) for lang in REQUIRED_LANGUAGES))
        layout.addWidget(_label(tags, round(m.heading * scale), bold=True, centred=True))
        for lang in _own_languages(notice.title, languages):
            layout.addWidget(_label(notice.title[lang], round(m.title * 1.25 * scale), bold=True, centred=True))
        for lang in _own_languages(notice.body, languages):
            layout.addWidget(_label(notice.body[lang], round(m.heading * scale), centred=True))
        until = " · ".join(
            dict.fromkeys(
                Translator(lang, fallback=())("emergency.until", time=_until(notice, now))
                for lang in REQUIRED_LANGUAGES
            )
        )
        layout.addWidget(_label(until, max(16, round(m.body * scale)), centred=True))
    layout.addStretch(1)
    return panel


def _until(notice: Emergency, now: dt.datetime) -> str:
    """The end in the kiosk's time zone (its clock's): ``18:00`` today, ``12-06 18:00`` on another day."""
    end = notice.ends_at.astimezone(now.tzinfo)
    return f"{end:%H:%M}" if end.date() == now.date() else f"{end:%m-%d %H:%M}"


#: Home's band shows the start of a long text (the attract loop shows it whole): the tiles stay in view.
HOME_BODY_CHARS = 280


def _short(text: str) -> str:
    first = text.split("\n\n")[0].strip()
    return first if len(first) <= HOME_BODY_CHARS else first[: HOME_BODY_CHARS - 1].rstrip() + "…"


def home_banner(notices: list[Emergency], tr: Translator, metrics: Any, now: dt.datetime) -> QWidget:
    """Home's band above the tiles: each notice in the visitor's language (falling back like pack text)."""
    band = _frame("emergency-banner")
    layout = QVBoxLayout(band)
    m = metrics
    layout.setContentsMargins(m.margin, m.gap, m.margin, m.gap)
    layout.setSpacing(m.gap // 2)
    for notice in notices[:3]:
        key = SEVERITY_LABELS.get(notice.severity, SEVERITY_LABELS["emergency"])
        heading = f"{tr(key)}: {tr.content(notice.title)}"
        layout.addWidget(_label(heading, m.heading, bold=True))
        layout.addWidget(_label(_short(tr.content(notice.body)), m.heading))
        layout.addWidget(_label(tr("emergency.until", time=_until(notice, now)), m.heading))
    band.setMinimumHeight(m.touch)
    return band
