"""Narration synthesis speed (real-time factor) and cache-hit cost, with the real espeak-ng.

1. For zh-Hans and en, the narration of the first N demo venues (editorial order) is
   synthesised through ``NarrationCache`` into an empty cache: each a miss, so the full
   path runs (child process, pyttsx3, per-sentence WAVs, validation, atomic rename).
   Real-time factor = synthesis wall time / audio duration, per venue and overall. The
   child-process start-up alone is measured by synthesising "Hi." and reported too.
2. Cache hit: ``get_or_make`` on the same texts again (hit: key, validation, access time)
   against a plain ``read_bytes`` of the same WAV, interleaved, median of R each.

Target: overall real-time factor <= 0.5 for each language (synthesis at least twice as fast
as playback, so the on-kiosk fallback can start speaking a sentence before the visitor waits).

Usage: ``.venv/bin/python -m benchmarks.bench_narration_synth [--venues 6] [--reps 200]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from content_sync.pack.source import load_source
from content_sync.speech import synthesis as narration
from content_sync.speech.cache import NarrationCache
from content_sync.speech.synthesis import wav_info

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "assets" / "demo-pack"
LANGS = ("zh-Hans", "en")
TARGET_RTF = 0.5


def _median_time(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venues", type=int, default=6, help="demo venues per language")
    parser.add_argument("--reps", type=int, default=200, help="timed cache hits and reads per file")
    args = parser.parse_args(argv)

    source, problems = load_source(DEMO)
    if source is None:
        print("\n".join(str(p) for p in problems), file=sys.stderr)
        return 1
    venues = source.records["venues"][: args.venues]
    eng = narration.engine()
    print(f"engine: {eng.name}; {len(eng.voices)} voices")
    missed = False
    with tempfile.TemporaryDirectory(prefix="bench-narration-") as tmp:
        cache = NarrationCache(Path(tmp) / "cache")
        for lang in LANGS:
            voice = narration.find_voice(lang)
            print(f"\n== {lang} (voice {voice.id if voice else 'none'}) ==")
            if voice is None:
                print("  no voice: skipped")
                missed = True
                continue
            start = time.perf_counter()
            tiny = narration.synthesize("Hi.", lang, Path(tmp) / f"tiny-{lang}.wav")
            print(f"  start-up: 'Hi.' takes {time.perf_counter() - start:.3f} s for {tiny.duration:.2f} s of audio")
            wall_total = audio_total = 0.0
            files: list[tuple[str, Path]] = []
            print(f"  {'venue':<34} {'chars':>5} {'audio s':>8} {'synth s':>8} {'RTF':>6} {'rms':>6}")
            for venue in venues:
                text = venue["narration"][lang]
                start = time.perf_counter()
                path = cache.get_or_make(text, lang)
                wall = time.perf_counter() - start
                info = wav_info(path)
                wall_total += wall
                audio_total += info.duration
                files.append((text, path))
                print(
                    f"  {venue['id'][:34]:<34} {len(text):>5} {info.duration:>8.2f} {wall:>8.3f} "
                    f"{wall / info.duration:>6.3f} {info.rms:>6.3f}"
                )
            rtf = wall_total / audio_total
            ok = rtf <= TARGET_RTF
            missed |= not ok
            print(
                f"  overall: {audio_total:.1f} s of audio in {wall_total:.2f} s: real-time factor {rtf:.3f} "
                f"(target <= {TARGET_RTF}: {'met' if ok else 'MISSED'})"
            )
            hits, reads = [], []
            for text, path in files:
                hits.append(_median_time(lambda t=text, lg=lang: cache.get_or_make(t, lg), args.reps))
                reads.append(_median_time(path.read_bytes, args.reps))
            hit, read = statistics.median(hits), statistics.median(reads)
            size = statistics.median(p.stat().st_size for _, p in files)
            print(
                f"  cache hit: median {hit * 1e3:.3f} ms vs plain read of the same WAV {read * 1e3:.3f} ms "
                f"({size / 1e6:.2f} MB): {hit / read:.2f} x the read"
            )
        print(f"\ncache: {cache.hits} hits, {cache.misses} misses, {cache.size() / 1e6:.1f} MB")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
