"""Narration on the kiosk: real QtMultimedia playback (offscreen, no sound card), real espeak-ng speech."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtMultimedia import QMediaPlayer
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from kiosk_app.config import load_config
from kiosk_app.narration import IDLE, PAUSED, PLAYING, PREPARING, NarrationItem, resolve_item
from kiosk_app.read_aloud import ReadAloud, screen_phrases, spoken_text
from kiosk_app.widgets.narration import NarrationPanel, clock, current_sentence

VENUE = "zhongshan-iron-bridge"
WAIT = 20_000  # ms; synthesis and decoding share two cores with other work


def espeak_wav(path: Path, text: str, voice: str = "en") -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True)
    return path


def open_venue(kiosk, lang: str = "en", venue: str = VENUE) -> NarrationPanel:  # type: ignore[no-untyped-def]
    kiosk.ctx.session.set_language(lang)
    kiosk.nav.go("home")
    kiosk.nav.go("venue", id=venue)
    QApplication.processEvents()
    panel = kiosk.nav.currentWidget().narration
    assert panel is not None
    return panel


def tap(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def start_playing(qtbot, kiosk, panel: NarrationPanel) -> None:  # type: ignore[no-untyped-def]
    player = kiosk.ctx.narration
    tap(qtbot, panel.play_button)
    assert player.state in (PREPARING, PLAYING)  # the tap answers at once
    assert "▶" not in panel.play_button.text()
    qtbot.waitUntil(lambda: player.state == PLAYING, timeout=WAIT)
    qtbot.waitUntil(lambda: player.media.position() > 0, timeout=WAIT)


def test_play_pause_and_seek_through_qtmultimedia(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    player = kiosk.ctx.narration
    panel = open_venue(kiosk)
    assert panel.isVisible() and not panel.controls.isVisible()
    tap(qtbot, panel.play_button)
    assert player.state == PREPARING and panel.status.text() == "Preparing…"
    qtbot.waitUntil(lambda: player.state == PLAYING, timeout=WAIT)
    media = player.media
    assert media.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    qtbot.waitUntil(lambda: media.position() > 0, timeout=WAIT)
    assert media.mediaStatus() in (QMediaPlayer.MediaStatus.BufferedMedia, QMediaPlayer.MediaStatus.BufferingMedia,
                                   QMediaPlayer.MediaStatus.LoadedMedia)  # fmt: skip
    assert panel.controls.isVisible() and panel.seek.maximum() == media.duration() > 10_000
    assert panel.current_sentence == panel.sentence_labels[0].text()
    tap(qtbot, panel.play_button)
    qtbot.waitUntil(lambda: media.playbackState() == QMediaPlayer.PlaybackState.PausedState, timeout=WAIT)
    assert player.state == PAUSED and "Resume" in panel.play_button.text()
    # Seek near the end: the time shows it and the transcript follows.
    target = media.duration() - 3000
    player.seek(target)
    qtbot.waitUntil(lambda: abs(media.position() - target) < 500, timeout=WAIT)
    assert clock(target) in panel.time.text()
    last = panel.sentence_labels[-1].text()
    qtbot.waitUntil(lambda: panel.current_sentence == last, timeout=WAIT)
    assert panel.sentence_labels[-1].property("current") is True
    # A tap on the bar a quarter of the way along seeks there (paused, so the position holds still).
    bar = panel.seek
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(bar.width() // 4, bar.height() // 2))
    quarter = bar.value_at(bar.width() // 4)
    assert abs(quarter - media.duration() / 4) < media.duration() / 20
    qtbot.waitUntil(lambda: abs(media.position() - quarter) < 500, timeout=WAIT)
    tap(qtbot, panel.play_button)
    qtbot.waitUntil(lambda: player.state == PLAYING, timeout=WAIT)
    player.stop()


def test_volume_stays_within_the_operators_limits(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    player = kiosk.ctx.narration
    config = kiosk.ctx.config
    panel = open_venue(kiosk)
    start_playing(qtbot, kiosk, panel)
    assert player.volume == config["audio.default_volume"]
    for _ in range(12):
        if panel.louder.isEnabled():
            tap(qtbot, panel.louder)
    assert player.volume == config["audio.max_volume"] and not panel.louder.isEnabled()
    # QtMultimedia is driven through the event loop (see kiosk_app.narration._queued).
    qtbot.waitUntil(lambda: abs(player.audio_output.volume() - config["audio.max_volume"] / 100) < 0.01)
    assert player.set_volume(100) == config["audio.max_volume"]
    for _ in range(12):
        if panel.quieter.isEnabled():
            tap(qtbot, panel.quieter)
    assert player.volume == config["audio.min_volume"] and not panel.quieter.isEnabled()
    # QtMultimedia is driven through the event loop (see kiosk_app.narration._queued).
    qtbot.waitUntil(lambda: abs(player.audio_output.volume() - config["audio.min_volume"] / 100) < 0.01)
    assert panel.volume.text() == f"Volume {config['audio.min_volume']}%"
    player.stop()


def test_leaving_the_page_stops_unless_keep_listening(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    player = kiosk.ctx.narration
    panel = open_venue(kiosk)
    start_playing(qtbot, kiosk, panel)
    kiosk.nav.back()
    assert player.state == IDLE
    qtbot.waitUntil(lambda: player.media.playbackState() == QMediaPlayer.PlaybackState.StoppedState)
    assert not kiosk.shell.now_playing.isVisible()
    # Keep listening: the narration goes on across pages, with a small control in the shell.
    panel = open_venue(kiosk)
    start_playing(qtbot, kiosk, panel)
    tap(qtbot, panel.keep)
    assert player.keep_listening and panel.keep.isChecked()
    assert not kiosk.shell.now_playing.isVisible()  # the page's own panel is in view
    kiosk.nav.go("venues")
    kiosk.nav.go("routes")
    assert player.state == PLAYING and player.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    bar = kiosk.shell.now_playing
    assert bar.isVisible() and "Zhongshan" in bar.label.text()
    tap(qtbot, bar.toggle)
    qtbot.waitUntil(lambda: player.state == PAUSED, timeout=WAIT)
    tap(qtbot, bar.stop)
    assert player.state == IDLE and not bar.isVisible()


def test_idle_reset_stops_audio_and_forgets_keep_listening(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    player = kiosk.ctx.narration
    panel = open_venue(kiosk)
    start_playing(qtbot, kiosk, panel)
    tap(qtbot, panel.keep)
    tap(qtbot, panel.louder)
    assert player.keep_listening and player.volume > kiosk.ctx.config["audio.default_volume"]
    kiosk.shell.reset_session()
    assert kiosk.nav.current_name == "attract"
    assert player.state == IDLE and not player.keep_listening
    qtbot.waitUntil(lambda: player.media.playbackState() == QMediaPlayer.PlaybackState.StoppedState)
    assert player.volume == kiosk.ctx.config["audio.default_volume"]
    assert not kiosk.shell.now_playing.isVisible()


def test_a_language_without_voice_or_recording_shows_no_button(qtbot, make_kiosk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Tibetan: offered by the kiosk, but espeak-ng has no voice for it and the pack no recording.
    path = tmp_path / "kiosk.toml"
    path.write_text('[languages]\noffered = ["zh-Hans", "en", "bo"]\n', encoding="utf-8")
    kiosk = make_kiosk(config=load_config(path))
    player = kiosk.ctx.narration
    player.learn_voices(["zh-Hans", "en", "bo"])
    qtbot.waitUntil(lambda: {"zh-Hans", "en", "bo"} <= player._voices.known.keys(), timeout=WAIT)
    assert player.has_voice("bo") is False and player.has_voice("en") is True
    panel = open_venue(kiosk, "en")
    assert panel.isVisible()
    kiosk.ctx.session.set_language("bo")
    QApplication.processEvents()
    page = kiosk.nav.currentWidget()
    assert page.narration is not None and not page.narration.isVisible()
    assert not [b for b in page.findChildren(type(panel.play_button)) if b.objectName() == "narration-play"
                and b.isVisibleTo(page)]  # fmt: skip
    assert not kiosk.shell.header.read_aloud.isVisible()  # no voice: no read-aloud switch either
    kiosk.ctx.session.set_language("zh-Hans")
    QApplication.processEvents()
    assert kiosk.nav.currentWidget().narration.isVisible() and kiosk.shell.header.read_aloud.isVisible()


def test_recorded_audio_is_played_as_it_is(qtbot, kiosk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A pack recording wins over synthesis and follows the content's language fallback."""
    recording = espeak_wav(tmp_path / "bridge-en.wav", "The iron bridge. Built in 1909.")
    narration = {"en": "The iron bridge. Built in 1909.", "zh-Hans": "中山铁桥。"}
    item = resolve_item("venue:x", "Bridge", narration, {"en": recording}, "ja", ("en", "zh-Hans"), False)
    assert item is not None and item.recorded == recording and item.lang == "en"
    assert resolve_item("venue:x", "Bridge", narration, {}, "ja", ("en", "zh-Hans"), True) is None  # no ja text
    assert resolve_item("venue:x", "Bridge", narration, {}, "en", ("zh-Hans",), False) is None  # no voice
    kiosk.ctx.session.set_language("en")
    kiosk.nav.go("home")
    page = kiosk.nav.currentWidget()
    panel = NarrationPanel(kiosk.ctx, "venue:x", "Bridge", narration, {"en": recording})
    page.layout().addWidget(panel)
    panel.show()
    player = kiosk.ctx.narration
    cached = set(Path(player.cache_dir).glob("*.wav"))
    tap(qtbot, panel.play_button)
    qtbot.waitUntil(lambda: player.media.position() > 0, timeout=WAIT)
    assert player.media.source().toLocalFile() == str(recording)
    assert set(Path(player.cache_dir).glob("*.wav")) == cached  # nothing synthesised
    assert [label.text() for label in panel.sentence_labels] == ["The iron bridge.", "Built in 1909."]
    qtbot.waitUntil(lambda: player.state == IDLE, timeout=WAIT)  # the end of the file ends the narration
    assert "▶" in panel.play_button.text()


def test_a_broken_recording_gives_a_plain_message(qtbot, kiosk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "gone.wav"
    kiosk.ctx.session.set_language("en")
    kiosk.nav.go("home")
    page = kiosk.nav.currentWidget()
    panel = NarrationPanel(kiosk.ctx, "venue:y", "Gone", {"en": "Nothing here."}, {"en": missing})
    page.layout().addWidget(panel)
    panel.show()
    tap(qtbot, panel.play_button)
    player = kiosk.ctx.narration
    assert player.state == IDLE and "missing" in player.error
    assert panel.status.text() == "Sorry, this narration cannot play right now"
    assert "Traceback" not in panel.status.text() and "▶" in panel.play_button.text()


def test_read_aloud_speaks_the_home_screens_headings_and_buttons(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    player = kiosk.ctx.narration
    kiosk.ctx.session.set_language("en")
    kiosk.nav.go("home")
    QApplication.processEvents()
    header = kiosk.shell.header
    qtbot.waitUntil(lambda: header.read_aloud.isVisible(), timeout=WAIT)
    tap(qtbot, header.read_aloud)
    assert kiosk.ctx.session.read_aloud and header.read_aloud.isChecked()
    qtbot.waitUntil(lambda: player.current is not None, timeout=WAIT)
    item = player.current
    assert item is not None and item.key == "screen:home" and item.lang == "en"
    home = kiosk.nav.currentWidget()
    expected = screen_phrases(home)
    headings = [w.text() for w in home.findChildren(QLabel) if w.property("role") in ("title", "heading")
                and w.isVisibleTo(home) and w.text().strip()]  # fmt: skip
    buttons = [w.text() for w in home.findChildren(QPushButton) if w.isVisibleTo(home) and w.text().strip()]
    assert headings and all(" ".join(h.split()) in expected for h in headings)
    assert all(" ".join(b.split()) in expected for b in buttons if any(c.isalpha() for c in b))
    reader = kiosk.shell.findChild(ReadAloud)
    assert item.text == reader.text_for(home) == spoken_text([home.title(), *expected], "en")
    lines = item.text.split("\n")
    assert lines[:3] == ["Culture & Travel Guide.", "Welcome! Where would you like to go?", "Getting around."]
    assert "All places." in lines and all(line.endswith((".", "?", "!")) for line in lines)
    # Reading order: top to bottom.
    tops: dict[str, int] = {}
    for w in home.findChildren(QLabel):
        if w.text() in expected and w.isVisibleTo(home):
            tops[w.text()] = min(tops.get(w.text(), 10**6), w.mapTo(home, w.rect().topLeft()).y())
    assert len(tops) > 5
    ordered = [t for t in expected if t in tops]
    assert [tops[t] for t in ordered] == sorted(tops[t] for t in ordered)
    qtbot.waitUntil(lambda: player.state == PLAYING, timeout=WAIT)
    qtbot.waitUntil(lambda: player.media.position() > 0, timeout=WAIT)
    # The next page is read too; turning the mode off silences it; an idle reset turns it off.
    kiosk.nav.go("venues")
    qtbot.waitUntil(lambda: player.current is not None and player.current.key == "screen:venues", timeout=WAIT)
    tap(qtbot, header.read_aloud)
    assert player.state == IDLE and not kiosk.ctx.session.read_aloud
    tap(qtbot, header.read_aloud)
    kiosk.shell.reset_session()
    assert not kiosk.ctx.session.read_aloud and player.state == IDLE


def test_small_helpers() -> None:
    assert clock(0) == "0:00" and clock(65_400) == "1:05" and clock(-5) == "0:00"
    times = [(0.0, "a"), (1.5, "b"), (4.0, "c")]
    assert [current_sentence(times, s) for s in (0, 1.4, 1.5, 10)] == [0, 0, 1, 2]
    assert spoken_text(["首页", "搜索"], "zh-Hans") == "首页。\n搜索。"
    assert spoken_text(["Open now", "Next?"], "en") == "Open now.\nNext?"
    item = NarrationItem("screen:x", "", "Hello.", "en")
    assert item == NarrationItem("screen:x", "", "Hello.", "en")


def test_route_pages_offer_the_route_narration(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    kiosk.ctx.session.set_language("en")
    kiosk.nav.go("home")
    kiosk.nav.go("route", id="yellow-river-riverside-walk")
    QApplication.processEvents()
    page = kiosk.nav.currentWidget()
    route = kiosk.ctx.store.route("yellow-river-riverside-walk")
    panel = page.narration
    assert panel is not None and panel.isVisible() and panel.play_button.text().endswith("Listen")
    assert panel.item is not None and panel.item.key == "route:yellow-river-riverside-walk"
    assert panel.item.text == route.narration["en"] and panel.item.recorded is None


def test_a_language_switch_while_keeping_listening_shows_the_bar(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    """The English narration goes on after a switch to Chinese; the Chinese page offers its own."""
    player = kiosk.ctx.narration
    panel = open_venue(kiosk)
    start_playing(qtbot, kiosk, panel)
    tap(qtbot, panel.keep)
    kiosk.ctx.session.set_language("zh-Hans")
    QApplication.processEvents()
    page = kiosk.nav.currentWidget()
    assert player.state == PLAYING and player.current.lang == "en"
    assert page.narration.item.lang == "zh-Hans" and not page.narration.mine
    assert page.narration.play_button.text().endswith("播放讲解") and kiosk.shell.now_playing.isVisible()
    player.stop()


# The first of two sources queued back to back is dropped while FFmpeg still opens it; it says so.
@pytest.mark.qt_log_ignore("^Could not open media. FFmpeg error description: Immediate exit requested$")
def test_two_items_started_back_to_back_play_the_second(qtbot, kiosk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What the player says about the item it left (its state, its end) is not taken for the new one."""
    first = NarrationItem("venue:a", "A", "The first place.", "en",
                          espeak_wav(tmp_path / "a.wav", "The first place. " * 6))  # fmt: skip
    second = NarrationItem("venue:b", "B", "The second place.", "en",
                           espeak_wav(tmp_path / "b.wav", "The second place, with a longer story. " * 6))  # fmt: skip
    player = kiosk.ctx.narration
    player.play(first)
    qtbot.waitUntil(lambda: player.state == PLAYING and player.media.position() > 0, timeout=WAIT)
    positions: list[int] = []
    player.position_changed.connect(positions.append)
    player.play(second)
    # QtMultimedia is driven through queued calls: it is still on the first item for now.
    assert player.media.playbackState() == QMediaPlayer.PlaybackState.PlayingState
    assert player.state == PREPARING and player.current == second and player.duration == 0
    # Late news of the first item, as if queued just before the switch: its end, its state.
    player.media.mediaStatusChanged.emit(QMediaPlayer.MediaStatus.EndOfMedia)
    player.media.playbackStateChanged.emit(QMediaPlayer.PlaybackState.PausedState)
    player.media.positionChanged.emit(123_456)
    assert player.state == PREPARING and player.current == second and 123_456 not in positions
    qtbot.waitUntil(lambda: player.state == PLAYING, timeout=WAIT)
    assert player.media.source().toLocalFile() == str(second.recorded)
    qtbot.waitUntil(lambda: player.media.position() > 0, timeout=WAIT)
    assert player.current == second and player.state == PLAYING
    # Two at once, before the first even started: the second plays, the first never does.
    player.play(first)
    player.play(second)
    qtbot.waitUntil(lambda: player.state == PLAYING, timeout=WAIT)
    assert player.media.source().toLocalFile() == str(second.recorded) and player.current == second
    # The item's own end still ends the narration.
    player.media.mediaStatusChanged.emit(QMediaPlayer.MediaStatus.EndOfMedia)
    assert player.state == IDLE and player.current is None
