"""Tap to first sound for a cached narration, next to QtMultimedia playing the same file directly.

Kiosk: a tap on the venue page's play button (``NarrationPanel.play_button.click()``) with the
narration already synthesised in the on-disk cache. The kiosk's path is the real one: the
panel asks the player, the player looks the text up in ``NarrationCache`` on a background
thread (key, WAV validation) and hands the file to its one ``QMediaPlayer``.
Baseline: a bare ``QMediaPlayer`` + ``QAudioOutput`` made once, ``setSource`` + ``play`` of
the same WAV. Both are warmed up first (QtMultimedia plugin loaded, file in the page cache)
and alternate rep by rep, so machine noise hits both alike.

**First sound**, for both: the first ``positionChanged`` of the ``QMediaPlayer`` with a
position above 0 ms, i.e. the media clock has started running over decoded audio. (With a
sound card this follows the audio sink's processed samples; without one, as on the test
machine, the FFmpeg backend runs the same clock on its own, for both sides alike.)

Also reported: a repeated tap of the same narration in one run, which skips the cache lookup
(the player remembers the file it was given).

Usage: ``.venv/bin/python -m benchmarks.bench_narration_play [--reps 30]`` (offscreen; builds
and installs the demo pack into a temporary directory, synthesises one narration with espeak-ng).
Target: p50 and p95 of the cached tap <= 1.5 x the baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from .bench_app import pct, prepare_demo  # after the platform is set: Qt must load offscreen

VENUE = "zhongshan-iron-bridge"
LANG = "zh-Hans"
TIMEOUT_MS = 10_000


def first_sound(media, start: callable) -> float:  # type: ignore[no-untyped-def,valid-type]
    """Seconds from calling ``start`` to the first position above 0 on ``media``."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    heard: list[float] = []

    def on_position(ms: int) -> None:
        if ms > 0 and not heard:
            heard.append(time.perf_counter())
            loop.quit()

    media.positionChanged.connect(on_position)
    QTimer.singleShot(TIMEOUT_MS, loop.quit)
    began = time.perf_counter()
    start()
    if not heard:
        loop.exec()
    media.positionChanged.disconnect(on_position)
    if not heard:
        raise RuntimeError("no sound within the time limit")
    return heard[0] - began


def settle(app, ms: int = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + ms / 1000
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.002)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args(argv)
    from PySide6.QtCore import QUrl
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
    from PySide6.QtWidgets import QApplication

    from content_sync.device.layout import DataDir
    from kiosk_app.app import build_kiosk
    from kiosk_app.config import load_config

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="bench-narration-") as tmp:
        data = DataDir(prepare_demo(Path(tmp)))
        moment = dt.datetime(2026, 11, 21, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
        kiosk = build_kiosk(load_config(None), data, clock=lambda: moment)
        kiosk.shell.resize(1920, 1080)
        kiosk.shell.show()
        kiosk.ctx.session.set_language(LANG)
        kiosk.nav.go("home")
        kiosk.nav.go("venue", id=VENUE)
        settle(app, 200)
        player = kiosk.ctx.narration
        assert player is not None
        panel = kiosk.nav.currentWidget().narration
        assert panel is not None and panel.item is not None, "the venue page shows no narration"
        started = time.perf_counter()
        wav = player.cache.get_or_make(panel.item.text, panel.item.lang)  # fill the cache (not timed)
        took = time.perf_counter() - started
        print(f"narration: {VENUE} [{LANG}], {len(panel.item.text)} characters, synthesised in {took:.2f} s "
              f"-> {wav.stat().st_size // 1024} KiB WAV")  # fmt: skip

        bare = QMediaPlayer()
        bare_output = QAudioOutput()
        bare.setAudioOutput(bare_output)
        url = QUrl.fromLocalFile(str(wav))

        def kiosk_tap(remembered: bool = False) -> float:
            if not remembered:
                player._made.clear()  # the on-disk cache path: background lookup every time
            took = first_sound(player.media, panel.play_button.click)
            player.stop()
            settle(app)
            return took

        def bare_play() -> float:
            def start() -> None:
                bare.setSource(url)
                bare.play()

            took = first_sound(bare, start)
            bare.stop()
            bare.setSource(QUrl())
            settle(app)
            return took

        for _ in range(3):  # warm-up: plugin, decoder, page cache, thread pool
            kiosk_tap()
            bare_play()
        cached, repeated, baseline = [], [], []
        for i in range(args.reps):
            order = (kiosk_tap, bare_play) if i % 2 == 0 else (bare_play, kiosk_tap)
            for fn in order:
                (cached if fn is kiosk_tap else baseline).append(fn())
            repeated.append(kiosk_tap(remembered=True))
        kiosk.ctx.tasks.wait(5000)

    def line(name: str, values: list[float]) -> str:
        return f"{name}: p50 {pct(values, 0.5) * 1000:7.1f} ms  p95 {pct(values, 0.95) * 1000:7.1f} ms"

    print(f"tap to first sound over {args.reps} repetitions each (first positionChanged > 0 ms):")
    print("  " + line("bare QMediaPlayer, same file     ", baseline))
    print("  " + line("kiosk tap, cached on disk        ", cached))
    print("  " + line("kiosk tap, repeated in this run  ", repeated))
    ratio50 = pct(cached, 0.5) / pct(baseline, 0.5)
    ratio95 = pct(cached, 0.95) / pct(baseline, 0.95)
    ok = ratio50 <= 1.5 and ratio95 <= 1.5
    print(f"ratio kiosk/bare (cached on disk): p50 {ratio50:.2f}x, p95 {ratio95:.2f}x  "
          f"(repeated: p50 {pct(repeated, 0.5) / pct(baseline, 0.5):.2f}x); target <= 1.5x: "
          f"{'met' if ok else 'NOT met'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
