"""The audio guide on a page (the shell's now-playing bar is in ``now_playing``).

The panel is only there when something can be heard in the visitor's language (see
:func:`kiosk_app.narration.resolve_item`): a visitor never meets a button that cannot play.
Until the visitor taps it the panel is one heading and one big button; while it plays it
grows a seek bar with times, volume buttons, the "keep listening" switch and a transcript
whose current sentence is highlighted and kept in view.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ..narration import IDLE, PAUSED, PLAYING, PREPARING, NarrationItem, NarrationPlayer, resolve_item
from .common import KineticOnShow, button, text_label

if TYPE_CHECKING:
    from ..context import AppContext

LRI, PDI = "\u2066", "\u2069"  # keep "1:05 / 3:20" left-to-right inside right-to-left text


class SeekBar(QSlider):
    """The position slider: a tap anywhere on it seeks there (on release, as QScroller may hold the press)."""

    def __init__(self, on_seek: Callable[[int], None]) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.on_seek = on_seek
        self.sliderReleased.connect(lambda: self.on_seek(self.value()))

    def value_at(self, x: int) -> int:
        return QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), x, max(1, self.width()),
                                              self.layoutDirection() == Qt.LayoutDirection.RightToLeft)  # fmt: skip

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        dragged = self.isSliderDown()
        super().mouseReleaseEvent(event)
        if not dragged and self.isEnabled() and self.rect().contains(event.position().toPoint()):
            self.setValue(self.value_at(round(event.position().x())))
            self.on_seek(self.value())


def clock(ms: int) -> str:
    """m:ss for a position in milliseconds."""
    seconds = max(0, int(ms)) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def current_sentence(times: list[tuple[float, str]], seconds: float) -> int:
    """Index of the sentence being spoken at ``seconds`` (-1 before the first)."""
    index = -1
    for i, (start, _text) in enumerate(times):
        if start <= seconds:
            index = i
        else:
            break
    return index


class NarrationPanel(QFrame):
    """Play/pause, seek with times, volume within limits, keep listening, and a following transcript."""

    def __init__(self, ctx: AppContext, key: str, title: str, narration: dict[str, str] | None,
                 audio: dict[str, Path] | None = None) -> None:  # fmt: skip
        super().__init__()
        self.ctx = ctx
        self.player: NarrationPlayer = ctx.narration
        self.key, self.title, self.narration, self.audio = key, title, narration or {}, audio or {}
        self.item: NarrationItem | None = None
        self.times: list[tuple[float, str]] = []
        self.highlighted = -1
        self.failed = False
        tr, m, p = ctx.tr, ctx.metrics, ctx.palette
        self.setObjectName("narration-panel")
        self.setProperty("role", "card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(m.gap, m.gap, m.gap, m.gap)
        layout.setSpacing(max(8, m.gap // 2))

        self.heading = text_label(tr("narration.heading"), "heading")
        self.play_button = button("", self._tap, "primary", name="narration-play")
        self.play_button.setMinimumWidth(round(m.touch * 3))
        self.play_button.setMinimumHeight(round(m.touch * 1.1))
        self.play_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.status = text_label("", "muted")
        self.status.setObjectName("narration-status")
        self.time = text_label("", "muted", wrap=False)
        self.time.setObjectName("narration-time")
        top = QHBoxLayout()
        top.setSpacing(m.gap)
        top.addWidget(self.play_button)
        top.addWidget(self.status, 1)
        top.addWidget(self.time)
        top.addStretch(1)  # the button keeps to the reading start when status and time are hidden
        layout.addWidget(self.heading)
        layout.addLayout(top)

        self.controls = QWidget()
        self.controls.setObjectName("narration-controls")
        controls = QVBoxLayout(self.controls)
        controls.setContentsMargins(0, 0, 0, 0)
        controls.setSpacing(max(8, m.gap // 2))
        self.seek = SeekBar(self._seek_to)
        self.seek.setObjectName("narration-seek")
        self.seek.setAccessibleName(tr("narration.position"))
        self.seek.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.seek.setMinimumHeight(m.touch)
        handle = max(44, m.touch * 2 // 3)
        # Style sheets paint the "sub-page" on the left even when the slider runs right to left.
        played, rest = (p.border, p.accent) if ctx.tr.rtl else (p.accent, p.border)
        self.seek.setStyleSheet(
            f"QSlider::groove:horizontal {{ height: 12px; background: {p.border}; border-radius: 6px; }}"
            f"QSlider::sub-page:horizontal {{ background: {played}; border-radius: 6px; }}"
            f"QSlider::add-page:horizontal {{ background: {rest}; border-radius: 6px; }}"
            f"QSlider::handle:horizontal {{ background: {p.accent}; border: 3px solid {p.surface};"
            f" width: {handle}px; margin: -{(handle - 12) // 2}px 0; border-radius: {handle // 2}px; }}"
        )
        controls.addWidget(self.seek)
        player = self.player
        self.quieter = button(tr("narration.quieter"), lambda: player.step_volume(-1), name="narration-quieter")
        self.louder = button(tr("narration.louder"), lambda: player.step_volume(1), name="narration-louder")
        self.volume = text_label("", wrap=False)
        self.volume.setObjectName("narration-volume")
        self.volume.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.keep = button(tr("narration.keep_listening"), self._keep_tapped, "chip", name="narration-keep")
        self.keep.setCheckable(True)
        volume_row = QHBoxLayout()
        volume_row.setSpacing(m.gap)
        volume_row.addWidget(self.quieter)
        volume_row.addWidget(self.volume)
        volume_row.addWidget(self.louder)
        volume_row.addStretch(1)
        volume_row.addWidget(self.keep)
        controls.addLayout(volume_row)
        self.transcript = QScrollArea()
        self.transcript.setObjectName("narration-transcript")
        self.transcript.setWidgetResizable(True)
        self.transcript.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.transcript.setFrameShape(QFrame.Shape.NoFrame)
        self.transcript.setFixedHeight(round(m.body * 1.6 * 5))
        # One shared flick recogniser: a grabGesture per panel leaked a PySide enum class each (gesture-enum-per-grab).
        self.kinetic = KineticOnShow(self.transcript.viewport())
        self.sentences_box = QWidget()
        self.sentences_box.setObjectName("narration-sentences")
        self.sentences = QVBoxLayout(self.sentences_box)
        self.sentences.setContentsMargins(0, 0, 0, 0)
        self.sentences.setSpacing(2)
        self.transcript.setWidget(self.sentences_box)
        controls.addWidget(self.transcript)
        layout.addWidget(self.controls)
        self.sentence_labels: list[QLabel] = []
        # Controls sit on the card's surface, not on the page background.
        self.setStyleSheet(
            "QWidget#narration-controls, QSlider#narration-seek, QScrollArea#narration-transcript,"
            " QWidget#narration-sentences { background: transparent; }"
        )

        self.player.state_changed.connect(self._state_changed)
        self.player.item_changed.connect(self._item_changed)
        self.player.position_changed.connect(self._position_changed)
        self.player.duration_changed.connect(self._duration_changed)
        self.player.volume_changed.connect(self._volume_changed)
        self.player.keep_listening_changed.connect(self._keep_changed)
        self.player.failed.connect(self._failed)
        self.player.voices_known.connect(self._resolve)
        self._resolve()

    # -- what can be heard ------------------------------------------------------------------
    @Slot()
    def _resolve(self) -> None:
        ctx = self.ctx
        has_voice = self.player.has_voice(ctx.lang) if self.narration.get(ctx.lang) else False
        self.item = resolve_item(self.key, self.title, self.narration, self.audio, ctx.lang,
                                 ctx.session.fallback, has_voice)  # fmt: skip
        if self.item is None:
            self.hide()
        elif self.parentWidget() is not None:  # (a panel not yet on its page would open as a window)
            self.show()
        if self.item is not None:
            self._build_transcript(0)
        self._refresh()

    @property
    def mine(self) -> bool:
        """Whether the player is busy with this panel's narration (this text, in this language)."""
        return self.item is not None and self.player.active and self.player.current == self.item

    # -- taps -------------------------------------------------------------------------------
    def _tap(self) -> None:
        if self.item is None:
            return
        self.failed = False
        if self.mine:
            self.player.toggle()
        else:
            self.player.play(self.item)
        self._refresh()

    def _seek_to(self, ms: int) -> None:
        if self.mine:
            self.player.seek(ms)

    def _keep_tapped(self) -> None:
        self.player.set_keep_listening(not self.player.keep_listening)
        self.keep.setChecked(self.player.keep_listening)

    # -- player news ------------------------------------------------------------------------
    @Slot(str)
    def _state_changed(self, _state: str) -> None:
        self._refresh()

    @Slot(object)
    def _item_changed(self, _item: object) -> None:
        self._refresh()

    @Slot(str, str)
    def _failed(self, key: str, _reason: str) -> None:
        if key == self.key:
            self.failed = True
            self._refresh()

    @Slot(int)
    def _duration_changed(self, ms: int) -> None:
        if self.mine and ms > 0:
            self.seek.setRange(0, ms)
            self._build_transcript(ms)
            self._position_changed(self.player.position)

    @Slot(int)
    def _position_changed(self, ms: int) -> None:
        if not self.mine:
            return
        if not self.seek.isSliderDown():
            self.seek.setValue(ms)
        self.time.setText(f"{LRI}{clock(ms)} / {clock(self.player.duration)}{PDI}")
        self._highlight(current_sentence(self.times, ms / 1000))

    @Slot(int)
    def _volume_changed(self, _percent: int) -> None:
        self._refresh_volume()

    @Slot(bool)
    def _keep_changed(self, on: bool) -> None:
        self.keep.setChecked(on)

    # -- drawing ----------------------------------------------------------------------------
    def _refresh(self) -> None:
        tr = self.ctx.tr
        state = self.player.state if self.mine else IDLE
        label = {
            IDLE: "▶  " + tr("narration.play"),
            PREPARING: "■  " + tr("narration.stop"),
            PLAYING: "❚❚  " + tr("narration.pause"),
            PAUSED: "▶  " + tr("narration.resume"),
        }[state]
        self.play_button.setText(label)
        self.play_button.setProperty("state", state)
        if state == PREPARING:
            self.status.setText(tr("narration.preparing"))
        elif self.failed and state == IDLE:
            self.status.setText(tr("narration.error"))
        else:
            self.status.setText("")
        self.status.setVisible(bool(self.status.text()))
        self.controls.setVisible(state in (PLAYING, PAUSED))
        self.time.setVisible(state in (PLAYING, PAUSED))
        if state == IDLE:
            self.seek.setValue(0)
            self._highlight(-1)
        self.keep.setChecked(self.player.keep_listening)
        self._refresh_volume()

    def _refresh_volume(self) -> None:
        volume = self.player.volume
        self.volume.setText(self.ctx.tr("narration.volume", n=volume))
        self.quieter.setEnabled(volume > self.player.min_volume)
        self.louder.setEnabled(volume < self.player.max_volume)

    def _build_transcript(self, duration_ms: int) -> None:
        """Sentences with their estimated start times; labels are made once and reused."""
        from content_sync.speech.synthesis import sentence_times

        assert self.item is not None
        self.times = sentence_times(self.item.text, duration_ms / 1000)
        if len(self.sentence_labels) == len(self.times):
            return
        while self.sentences.count():
            old = self.sentences.takeAt(0).widget()
            if old is not None:
                old.deleteLater()
        self.sentence_labels = []
        for i, (_start, sentence) in enumerate(self.times):
            label = text_label(sentence)
            label.setObjectName(f"narration-sentence-{i}")
            label.setStyleSheet("padding: 4px 8px;")
            self.sentence_labels.append(label)
            self.sentences.addWidget(label)
        self.sentences.addStretch(1)
        self.highlighted = -1

    def _highlight(self, index: int) -> None:
        if index == self.highlighted:
            return
        p = self.ctx.palette
        # Restyle only the sentences that change: a style sheet per label costs a style pass each.
        for i in {self.highlighted, index}:
            if not 0 <= i < len(self.sentence_labels):
                continue
            current = i == index
            label = self.sentence_labels[i]
            label.setProperty("current", current)
            label.setStyleSheet(
                f"background: {p.accent}; color: {p.accent_text}; border-radius: 8px; padding: 4px 8px;"
                if current else "padding: 4px 8px;"
            )  # fmt: skip
        self.highlighted = index
        if 0 <= index < len(self.sentence_labels):
            self.transcript.ensureWidgetVisible(self.sentence_labels[index], 0, self.ctx.metrics.body)

    @property
    def current_sentence(self) -> str:
        """The highlighted sentence ('' when none): what the visitor is hearing now."""
        if 0 <= self.highlighted < len(self.sentence_labels):
            return self.sentence_labels[self.highlighted].text()
        return ""
