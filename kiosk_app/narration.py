"""Narration playback: one QMediaPlayer for the whole kiosk, fed by recorded or synthesised audio.

Where the sound comes from, best first:

1. a recorded file from the pack for the visitor's language (content fallback applies);
   speech synthesised at pack build time (``kiosk-pack narrate``) arrives the same way;
2. speech synthesised on the kiosk in the visitor's language, cached under
   ``DATA_DIR/cache/narration`` (``content_sync.speech.cache.NarrationCache``), made in a
   background task because synthesis takes seconds.

Only one narration plays at a time: :meth:`NarrationPlayer.play` stops whatever played.
The media player and its audio output are made on first use, so a kiosk that nobody
listens to never loads QtMultimedia. Errors are logged in full and reach the visitor as one
short sentence (``narration.error``), never a traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Q_ARG, QMetaObject, QObject, Qt, QUrl, Signal, Slot

from content_sync.core import i18n

from .background import BackgroundTasks
from .config import KioskConfig

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

    from content_sync.speech.cache import NarrationCache

log = logging.getLogger(__name__)

IDLE, PREPARING, PLAYING, PAUSED = "idle", "preparing", "playing", "paused"
VOLUME_STEP = 10


def _queued(target: QObject, slot: str, *args: object) -> None:  # args: values or (C++ type name, value)
    """Call a QtMultimedia slot from the event loop, in C++, without Python's lock held.

    Called directly from Python, ``stop()``, ``setSource()`` and friends hold the GIL while
    they wait for the FFmpeg audio thread, which may itself be waiting for the GIL to tear
    down an object a Python wrapper watches: a deadlock seen in the test suite (one in a
    few hundred stops). Queued, the call runs from the event loop with the lock released.
    Workaround ``qtmultimedia-gil-deadlock`` in ``kiosk_app/runtime/workarounds.py``.

    The player then changes only when the event loop gets there: until then it still reports
    on the item before (see ``NarrationPlayer._source``).
    """
    arguments = [Q_ARG(*a) if isinstance(a, tuple) else Q_ARG(type(a), a) for a in args]
    QMetaObject.invokeMethod(target, slot, Qt.ConnectionType.QueuedConnection, *arguments)


@dataclass(frozen=True)
class NarrationItem:
    """Something to narrate: a recorded file, or a text to synthesise in ``lang``."""

    key: str  # "venue:<id>", "route:<id>", "screen:<name>": who owns it
    title: str
    text: str  # what is said (the transcript), in ``lang``
    lang: str
    recorded: Path | None = None


def resolve_item(
    key: str,
    title: str,
    narration: dict[str, str] | None,
    audio: dict[str, Path] | None,
    lang: str,
    fallback: tuple[str, ...],
    has_voice: bool | None,
) -> NarrationItem | None:
    """The narration a visitor in ``lang`` can hear, or None when there is none to offer.

    Recorded audio follows the content's language fallback (a Japanese visitor hears the
    English recording, as they read the English text). Synthesis only speaks the visitor's own
    language, with a voice for it: English text in a Japanese voice would be worse than nothing.
    ``has_voice`` None means "not known yet" and is taken optimistically.
    """
    narration = narration or {}
    for tag in dict.fromkeys([lang, *fallback]):
        path = (audio or {}).get(tag)
        if path is not None:
            return NarrationItem(key, title, narration.get(tag, "") or i18n.text(narration, lang, fallback), tag, path)
    text = (narration.get(lang) or "").strip()
    if text and has_voice is not False:
        return NarrationItem(key, title, text, lang)
    return None


@dataclass
class _Voices:
    """Which languages have a voice; asked once, off the GUI thread (the engine starts slowly)."""

    known: dict[str, bool] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)
    asking: bool = False


class NarrationPlayer(QObject):
    """The kiosk's single narration player; screens and the shell only talk to this."""

    state_changed = Signal(str)  # IDLE, PREPARING, PLAYING, PAUSED
    item_changed = Signal(object)  # NarrationItem | None
    position_changed = Signal(int)  # ms
    duration_changed = Signal(int)  # ms
    volume_changed = Signal(int)  # percent
    keep_listening_changed = Signal(bool)
    failed = Signal(str, str)  # key of the item, reason (for the log); widgets show narration.error
    finished = Signal(object)  # NarrationItem played to its end (the recorder counts completions)
    voices_known = Signal()

    def __init__(
        self,
        config: KioskConfig,
        tasks: BackgroundTasks,
        cache_dir: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.config = config
        self.tasks = tasks
        self.cache_dir = Path(cache_dir)
        self.min_volume = int(config["audio.min_volume"])
        self.max_volume = int(config["audio.max_volume"])
        self.default_volume = int(config["audio.default_volume"])
        self._volume = self.clamp(self.default_volume)
        self.current: NarrationItem | None = None
        self.state = IDLE
        self.keep_listening = False
        self.error = ""
        self._generation = 0  # bumped by play/stop, so late synthesis results are dropped
        # Sources handed to the player (queued) and the last one it has taken: until they match,
        # what it reports (state, end of media, position, errors) is about an earlier item.
        self._source = 0
        self._source_taken = 0
        self._made: dict[tuple[str, str], Path] = {}  # (lang, text) -> cached WAV, known this run
        self._voices = _Voices()
        self._cache: NarrationCache | None = None
        self._player: QMediaPlayer | None = None
        self._output: QAudioOutput | None = None

    # -- the media objects, made once on first use -----------------------------------------
    @property
    def media(self) -> QMediaPlayer:
        """The one QMediaPlayer (with its QAudioOutput) of this kiosk."""
        if self._player is None:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

            self._player = QMediaPlayer(self)
            self._output = QAudioOutput(self)
            self._output.setVolume(self._volume / 100)
            self._player.setAudioOutput(self._output)
            self._player.playbackStateChanged.connect(self._media_state)
            self._player.positionChanged.connect(self._media_position)
            self._player.durationChanged.connect(self._media_duration)
            self._player.mediaStatusChanged.connect(self._media_status)
            self._player.errorOccurred.connect(self._media_error)
        return self._player

    @property
    def audio_output(self) -> QAudioOutput:
        _ = self.media
        assert self._output is not None
        return self._output

    @property
    def cache(self) -> NarrationCache:
        if self._cache is None:
            from content_sync.speech.cache import NarrationCache

            self._cache = NarrationCache(self.cache_dir)
        return self._cache

    # -- voices -----------------------------------------------------------------------------
    def has_voice(self, lang: str) -> bool | None:
        """True/False once known; None while the engine is still being asked (in the background)."""
        if lang in self._voices.known:
            return self._voices.known[lang]
        self.learn_voices([lang])
        return None

    def learn_voices(self, languages: list[str]) -> None:
        """Ask the speech engine which of ``languages`` it can speak, off the GUI thread."""
        voices = self._voices
        voices.wanted.update(lang for lang in languages if lang not in voices.known)
        if not voices.wanted or voices.asking:
            return  # a question in flight asks again for what arrived meanwhile
        voices.asking = True
        wanted = sorted(voices.wanted)
        voices.wanted.clear()

        def ask() -> dict[str, bool]:
            from content_sync.speech.synthesis import find_voice

            return {lang: find_voice(lang) is not None for lang in wanted}

        def done(found: dict[str, bool]) -> None:
            voices.asking = False
            voices.known.update(found)
            if not shiboken6.isValid(self):
                return  # the kiosk closed while the engine was being asked
            self.voices_known.emit()
            if voices.wanted:
                self.learn_voices([])

        def failed(exc: Exception) -> None:
            log.warning("cannot list speech voices: %s", exc)
            done(dict.fromkeys(wanted, False))

        self.tasks.run(ask, done, failed)

    # -- playback ---------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state != IDLE

    def is_playing(self, key: str | None = None) -> bool:
        return self.active and (key is None or (self.current is not None and self.current.key == key))

    def play(self, item: NarrationItem) -> None:
        """Stop whatever plays and start ``item``; answers at once (synthesis goes to the background)."""
        self.stop()
        self._generation += 1
        self.current = item
        self.error = ""
        self.item_changed.emit(item)
        if item.recorded is not None:
            self._start(item.recorded)
            return
        made = self._made.get((item.lang, item.text))
        if made is not None and made.is_file():
            self._start(made)
            return
        self._set_state(PREPARING)
        generation, cache = self._generation, self.cache

        def synthesise() -> Path:
            return cache.get_or_make(item.text, item.lang)

        def ready(path: Path) -> None:
            self._made[(item.lang, item.text)] = path
            if generation == self._generation:
                self._start(path)

        def failed(exc: Exception) -> None:
            if generation == self._generation:
                self._fail(f"synthesis failed for {item.key} ({item.lang}): {exc}")

        self.tasks.run(synthesise, ready, failed)

    def toggle(self) -> None:
        """Pause when playing, resume when paused, cancel while preparing (the big button)."""
        if self.state == PREPARING:
            self.stop()
        elif self.state == PLAYING:
            _queued(self.media, "pause")
        elif self.state == PAUSED:
            _queued(self.media, "play")

    def pause(self) -> None:
        if self.state == PLAYING:
            _queued(self.media, "pause")

    def resume(self) -> None:
        if self.state == PAUSED:
            _queued(self.media, "play")

    def stop(self) -> None:
        """Silence now; whatever synthesis is still running is ignored when it ends."""
        self._generation += 1
        if self._player is not None:
            _queued(self._player, "stop")
            self._set_source(self._player, QUrl())
        had = self.current is not None
        self.current = None
        self._set_state(IDLE)
        if had:
            self.item_changed.emit(None)

    def seek(self, ms: int) -> None:
        if self._player is not None and self.active:
            _queued(self._player, "setPosition", ("qint64", max(0, int(ms))))

    @property
    def position(self) -> int:
        return self._player.position() if self._player is not None and self._on_current else 0

    @property
    def duration(self) -> int:
        return self._player.duration() if self._player is not None and self.active and self._on_current else 0

    # -- volume -----------------------------------------------------------------------------
    def clamp(self, percent: int) -> int:
        return max(self.min_volume, min(self.max_volume, int(percent)))

    @property
    def volume(self) -> int:
        return self._volume

    def set_volume(self, percent: int) -> int:
        """Set the volume within the operator's limits; returns what was applied."""
        self._volume = self.clamp(percent)
        if self._output is not None:
            _queued(self._output, "setVolume", ("float", self._volume / 100))
        self.volume_changed.emit(self._volume)
        return self._volume

    def step_volume(self, steps: int) -> int:
        return self.set_volume(self._volume + steps * VOLUME_STEP)

    # -- session hooks ----------------------------------------------------------------------
    def set_keep_listening(self, on: bool) -> None:
        if on != self.keep_listening:
            self.keep_listening = on
            self.keep_listening_changed.emit(on)

    def page_changed(self, _name: str = "") -> None:
        """The visitor left the page: silence, unless they asked to keep listening."""
        if not self.keep_listening:
            self.stop()

    def reset(self) -> None:
        """Idle reset: silence, and the next visitor starts with the operator's defaults."""
        self.stop()
        self.set_keep_listening(False)
        self.set_volume(self.default_volume)

    # -- internals --------------------------------------------------------------------------
    def _start(self, path: Path) -> None:
        if not Path(path).is_file():
            self._fail(f"narration file missing: {path}")
            return
        media = self.media
        self._set_source(media, QUrl.fromLocalFile(str(path)))
        _queued(media, "play")
        # QMediaPlayer reports PlayingState itself, once it is on this source; until then the
        # visitor sees "preparing" (asking it now would answer for the item before).
        self._set_state(PREPARING)

    def _set_source(self, media: QMediaPlayer, url: QUrl) -> None:
        """Queue a note that the player takes the next source, then the source (queued calls run in order).

        The note goes first, so what ``setSource`` itself reports (loading, a file it cannot
        open) counts for the new item; what was queued before it belongs to the old one.
        """
        self._source += 1
        _queued(self, "_source_set", self._source)
        _queued(media, "setSource", url)

    @Slot(int)
    def _source_set(self, source: int) -> None:
        self._source_taken = source

    @property
    def _on_current(self) -> bool:
        """Whether the player has taken the last source handed to it (else it speaks of an earlier item)."""
        return self._source_taken == self._source

    def _media_position(self, ms: int) -> None:
        if self._on_current:
            self.position_changed.emit(ms)

    def _media_duration(self, ms: int) -> None:
        if self._on_current:
            self.duration_changed.emit(ms)

    def _media_state(self, state: object) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if self.current is None or not self._on_current:
            return
        if state == QMediaPlayer.PlaybackState.PlayingState:
            self._set_state(PLAYING)
        elif state == QMediaPlayer.PlaybackState.PausedState:
            self._set_state(PAUSED)

    def _media_status(self, status: object) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if not self._on_current:
            return
        if status == QMediaPlayer.MediaStatus.EndOfMedia and self.current is not None:
            self.finished.emit(self.current)
            self.stop()
        elif status == QMediaPlayer.MediaStatus.InvalidMedia and self.current is not None:
            self._fail(f"cannot play {self.current.key}: invalid media")

    def _media_error(self, _error: object, message: str) -> None:
        if self.current is not None and self._on_current:
            self._fail(f"cannot play {self.current.key}: {message}")

    def _fail(self, reason: str) -> None:
        log.error("narration: %s", reason)
        key = self.current.key if self.current is not None else ""
        self.stop()
        self.error = reason
        self.failed.emit(key, reason)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
