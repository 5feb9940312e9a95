"""Synthesised narration kept on the kiosk's disk, shared by threads and processes."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .synthesis import (
    Voice,
    engine,
    normalise_text,
    require_voice,
    sentence_times,
    synthesize_with,
    unlink_quietly,
    wav_problem,
)

DEFAULT_CACHE_BYTES = 200 * 1024 * 1024


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes and threads (one open file description each)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as fh:
        if sys.platform == "win32":  # pragma: no cover - Windows kiosks
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
            try:
                yield
            finally:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@dataclass
class CacheEntry:
    path: Path
    hit: bool
    sentences: list[tuple[float, str]] = field(default_factory=list)


class NarrationCache:
    """Synthesised narration on disk, keyed by text, voice, rate and engine version.

    A file is only ever renamed into place once valid, and a file that fails validation
    (power cut, disk error) is made again, so callers never get a broken WAV. Beyond
    ``max_bytes`` the least recently used files are removed (recency is the access time,
    set explicitly on every hit so ``noatime`` mounts do not matter).
    """

    def __init__(self, cache_dir: Path, *, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.cache_dir = Path(cache_dir)
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self.repairs = 0

    def key(self, text: str, lang: str, *, rate: int | None = None) -> str:
        voice = require_voice(lang)
        return self._key(voice, text, rate)

    def _key(self, voice: Voice, text: str, rate: int | None) -> str:
        material = json.dumps(
            [normalise_text(text), voice.id, rate if rate is not None else "default", engine().name],
            ensure_ascii=False,
        )
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def get_or_make(self, text: str, lang: str, *, rate: int | None = None) -> Path:
        """A valid WAV of ``text`` spoken in ``lang``; blocking, safe from any thread or process."""
        return self.fetch(text, lang, rate=rate).path

    def fetch(self, text: str, lang: str, *, rate: int | None = None) -> CacheEntry:
        """Like :meth:`get_or_make`, also saying whether it was a hit and when sentences start."""
        voice = require_voice(lang)
        digest = self._key(voice, text, rate)
        path = self.cache_dir / f"{digest}.wav"
        side = self.cache_dir / f"{digest}.json"
        entry = self._hit(path, side)
        if entry:
            return entry
        with _locked(self.cache_dir / f"{digest}.lock"):
            entry = self._hit(path, side)  # another caller may have made it meanwhile
            if entry:
                return entry
            if path.exists():
                self.repairs += 1
                unlink_quietly(path)
            info = synthesize_with(voice, text, path, rate=rate, timeout=None)
            sentences = list(info.sentences) or sentence_times(text, info.duration)
            _write_json_atomic(side, {"sentences": sentences, "voice": voice.id, "duration": info.duration})
            self.misses += 1
        self.evict(keep=path)
        return CacheEntry(path, False, [(float(t), str(s)) for t, s in sentences])

    def _hit(self, path: Path, side: Path) -> CacheEntry | None:
        if not path.is_file() or wav_problem(path):
            return None
        self.hits += 1
        with suppress(OSError):
            os.utime(path, (time.time(), path.stat().st_mtime))  # atime = recency for LRU; mtime kept
        sentences: list[tuple[float, str]] = []
        with suppress(OSError, ValueError, KeyError, TypeError):
            sentences = [(float(t), str(s)) for t, s in json.loads(side.read_text(encoding="utf-8"))["sentences"]]
        return CacheEntry(path, True, sentences)

    def _entries(self) -> list[Path]:
        """Finished WAVs only: pathlib's glob also matches the hidden ``.*.part`` work files."""
        return [p for p in self.cache_dir.glob("*.wav") if not p.name.startswith(".")]

    def size(self) -> int:
        return sum(p.stat().st_size for p in self._entries() if p.is_file())

    def evict(self, *, keep: Path | None = None) -> int:
        """Remove least recently used WAVs until the cache fits ``max_bytes``; returns how many."""
        files = []
        for p in self._entries():
            try:
                st = p.stat()
            except OSError:
                continue
            files.append((st.st_atime, st.st_size, p))
        total = sum(size for _, size, _ in files)
        removed = 0
        for _, size, p in sorted(files, key=lambda f: f[0]):
            if total <= self.max_bytes:
                break
            if keep is not None and p == keep:
                continue
            unlink_quietly(p)
            unlink_quietly(p.with_suffix(".json"))
            unlink_quietly(p.with_suffix(".lock"))
            total -= size
            removed += 1
        for stale in self.cache_dir.glob(".*.part*"):  # left by a crash mid-synthesis
            with suppress(OSError):
                if time.time() - stale.stat().st_mtime > 3600:
                    stale.unlink()
        return removed


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
