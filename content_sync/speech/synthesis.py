"""Spoken narration: choose a voice, synthesise a WAV with pyttsx3, validate it, cache it.

Recorded audio from a pack always wins; this module is the fallback that turns a narration
text into speech, at pack build time (``kiosk-pack narrate``) and on the kiosk. pyttsx3 runs
in a child process (:mod:`content_sync.speech.worker`) with a timeout, so a hung or crashing
speech engine costs one failed narration, never the caller. pyttsx3 may report success
before its WAV is complete, so every file is checked (RIFF header, chunk sizes, stable size,
``wave`` parse, frames) before it is renamed into place.

Language tag -> voice (espeak-ng on Linux; SAPI5 voices on Windows match the same way):

* ``zh``, ``zh-Hans``, ``zh-Hant``, ``zh-CN``, ``zh-TW``, ``cmn`` -> Mandarin (espeak-ng ``cmn``)
* ``yue``, ``zh-HK`` -> Cantonese (``yue``)
* ``en`` -> British English (``en-gb``), ``en-US`` -> ``en-us``; other ``en-XX`` -> nearest English
* anything else (``ja``, ``ko``, ``ru``, ``ar``, ...) -> the voice whose language is the tag,
  then its primary subtag, then any regional variant of it (``ru`` -> ``ru-lv`` if no ``ru``).

No Qt here: the kiosk calls :meth:`~content_sync.speech.cache.NarrationCache.get_or_make` from a
background thread.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import unicodedata
import wave
from array import array
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import i18n
from ..core.errors import KioskError

log = logging.getLogger(__name__)

WORKER_MODULE = "content_sync.speech.worker"
VOICE_LIST_TIMEOUT = 30.0

# Preferred engine language codes for a canonical tag, most specific tag first.
# espeak-ng names languages "cmn", "en-gb"; SAPI5 voices report locales such as "zh-CN", "en-US".
_PREFERRED: dict[str, tuple[str, ...]] = {
    "zh": ("cmn", "zh-cn", "zh"),
    "zh-Hans": ("cmn", "zh-cn", "zh-sg", "zh"),
    "zh-Hant": ("cmn", "zh-tw", "zh-cn", "zh"),
    "zh-HK": ("yue", "zh-hk", "cmn", "zh-cn"),
    "zh-Hant-HK": ("yue", "zh-hk", "cmn", "zh-tw"),
    "cmn": ("cmn", "zh-cn", "zh"),
    "yue": ("yue",),
    "en": ("en-gb", "en", "en-us"),  # SAPI5 en-US voices are found by the regional fallback below
    "en-GB": ("en-gb", "en"),
    "en-US": ("en-us", "en", "en-gb"),
}


class NarrationError(KioskError):
    """Narration could not be produced; the message says why in one line."""


@dataclass(frozen=True)
class Voice:
    id: str
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class AudioInfo:
    """What a WAV holds: enough to check it is plausible speech and not silence."""

    path: Path
    duration: float
    sample_rate: int
    channels: int
    frames: int
    rms: float  # 0..1 of full scale
    peak: float  # 0..1 of full scale
    realtime_factor: float | None = None  # synthesis wall time / audio duration
    sentences: tuple[tuple[float, str], ...] = ()  # measured (start seconds, sentence) when synthesised


@dataclass(frozen=True)
class Engine:
    """The speech engine found by the worker; its name/version is part of every cache key."""

    name: str
    voices: tuple[Voice, ...]
    error: str | None = None


# -- voices ----------------------------------------------------------------------------------


def _run_worker(args: list[str], payload: dict[str, Any] | None, timeout: float) -> dict[str, Any]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])  # the folder holding content_sync
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONIOENCODING"] = "utf-8"
    try:
        proc = subprocess.run(
            [sys.executable, "-m", WORKER_MODULE, *args],
            input=json.dumps(payload or {}, ensure_ascii=False).encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise NarrationError(f"speech synthesis timed out after {timeout:.0f} s") from exc
    except OSError as exc:
        raise NarrationError(f"cannot start the speech worker: {exc.strerror}") from exc
    lines = proc.stdout.decode("utf-8", "replace").strip().splitlines()
    result: dict[str, Any] = {}
    if lines:
        try:
            result = json.loads(lines[-1])
        except ValueError:
            result = {}
    if proc.returncode != 0 or not isinstance(result, dict) or not result.get("ok"):
        reason = result.get("error") if isinstance(result, dict) else None
        if not reason:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = tail[-1] if tail else f"exit status {proc.returncode}"
        raise NarrationError(f"speech engine failed: {reason}")
    return result


@functools.cache
def engine() -> Engine:
    """The installed engine and its voices, asked once per process (pyttsx3 init is slow)."""
    try:
        result = _run_worker(["voices"], None, VOICE_LIST_TIMEOUT)
    except NarrationError as exc:
        return Engine("none", (), str(exc))
    voices = tuple(
        Voice(str(v["id"]), str(v["name"]), tuple(str(x).lower() for x in v.get("languages", [])))
        for v in result.get("voices", [])
    )
    return Engine(str(result.get("engine", "unknown")), voices)


def list_voices() -> tuple[Voice, ...]:
    return engine().voices


def _candidates(lang: str) -> list[str]:
    """Engine language codes to try for ``lang``, best first."""
    out: list[str] = []
    for tag in i18n.truncations(lang):
        for code in _PREFERRED.get(tag, ()):
            if code not in out:
                out.append(code)
        if tag.lower() not in out:
            out.append(tag.lower())
    return out


def find_voice(lang: str, voices: tuple[Voice, ...] | None = None) -> Voice | None:
    """The voice that should read text in ``lang`` (a BCP-47 tag), or None when there is none."""
    if not i18n.is_language_tag(lang) and not re.fullmatch(r"[A-Za-z0-9-]{2,40}", lang):
        return None
    voices = list_voices() if voices is None else voices
    for code in _candidates(lang):
        for voice in voices:
            if code in voice.languages:
                return voice
    primary = i18n.canonical_tag(lang).split("-")[0].lower()
    if primary in ("zh",):
        return None  # every Chinese tag was mapped above; do not fall into an unrelated zh-* voice
    for voice in voices:
        if any(x.split("-")[0] == primary for x in voice.languages):
            return voice
    return None


def require_voice(lang: str) -> Voice:
    voice = find_voice(lang)
    if voice is None:
        eng = engine()
        why = f" (speech engine unavailable: {eng.error})" if eng.error else f" in {eng.name}"
        raise NarrationError(f"no voice for language {lang}{why}; record audio for it or install a voice")
    return voice


# -- text ------------------------------------------------------------------------------------

_CLOSERS = "”」』’\"')）]"
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]")
_WORD_RE = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_VOWELS_RE = re.compile(r"[aeiouyàâäéèêëîïôöûüùáíóúāēīōūǎěǐǒǔ]+", re.I)


def normalise_text(text: str) -> str:
    """The form that is spoken and hashed: NFC, whitespace collapsed per line."""
    text = unicodedata.normalize("NFC", text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def split_sentences(text: str) -> list[str]:
    """Sentences ending in Chinese 。！？, in Latin .!? before a space and a non-lowercase word, or a line."""
    text = normalise_text(text)
    out: list[str] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        end = None
        if ch == "\n":
            end = i
        elif ch in "。！？!?.":
            j = i + 1
            while j < n and (text[j] in "。！？!?." or text[j] in _CLOSERS):
                j += 1
            new_sentence = j + 1 < n and text[j] == " " and not (text[j + 1].islower() or text[j + 1].isdigit())
            if ch in "。！？" or j >= n or new_sentence:
                end = j
            i = j - 1
        if end is not None:
            if text[start:end].strip():
                out.append(text[start:end].strip())
            start = end
        i += 1
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def _weight(sentence: str) -> float:
    """Rough spoken length: one unit per CJK character or Latin syllable, a digit ~ a syllable."""
    units = float(len(_CJK_RE.findall(sentence)))
    for word in _WORD_RE.findall(_CJK_RE.sub(" ", sentence)):
        units += len(word) if word.isdigit() else max(1, len(_VOWELS_RE.findall(word)))
    return units + 1.0  # the pause after a sentence


def sentence_times(text: str, duration: float) -> list[tuple[float, str]]:
    """Estimated start time of each sentence, proportional to its syllable count."""
    sentences = split_sentences(text)
    weights = [_weight(s) for s in sentences]
    total = sum(weights) or 1.0
    out, acc = [], 0.0
    for sentence, w in zip(sentences, weights, strict=True):
        out.append((round(duration * acc / total, 3), sentence))
        acc += w
    return out


def text_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


# -- WAV validation --------------------------------------------------------------------------


def wav_problem(path: Path) -> str | None:
    """Why ``path`` is not a complete, usable PCM WAV; None when it is."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return "no RIFF/WAVE header"
            riff_size = struct.unpack("<I", head[4:8])[0]
            if riff_size + 8 != size:
                return f"RIFF size says {riff_size + 8} bytes but the file has {size} (incomplete?)"
            pos, data_size, fmt = 12, None, False
            while pos + 8 <= size:
                fh.seek(pos)
                chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
                if chunk_id == b"fmt ":
                    fmt = True
                if chunk_id == b"data":
                    data_size = chunk_size
                    if pos + 8 + chunk_size > size:
                        return "data chunk runs past the end of the file (truncated)"
                pos += 8 + chunk_size + (chunk_size & 1)
            if not fmt or data_size is None:
                return "no fmt or data chunk"
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    except struct.error:
        return "truncated chunk header"
    try:
        with wave.open(str(path), "rb") as w:
            frames, block = w.getnframes(), w.getsampwidth() * w.getnchannels()
    except (wave.Error, EOFError) as exc:
        return f"not a PCM WAV: {exc}"
    if frames <= 0:
        return "holds no audio frames"
    if data_size != frames * block:
        return "data chunk size is not a whole number of frames"
    return None


def wait_for_wav(path: Path, timeout: float, *, settle: float = 0.05) -> None:
    """Wait until ``path`` is a valid WAV whose size has stopped changing, or raise."""
    deadline = time.monotonic() + timeout
    last_size, problem = -1, "not written"
    while True:
        try:
            size = path.stat().st_size
        except OSError:
            size = -1
        if size >= 0 and size == last_size:
            problem = wav_problem(path) or ""
            if not problem:
                return
        if time.monotonic() >= deadline:
            raise NarrationError(f"the speech engine produced an invalid file ({problem or 'still growing'})")
        last_size = size
        time.sleep(settle)


def wav_info(path: Path) -> AudioInfo:
    """Duration, format and loudness of a PCM WAV (8/16/32-bit)."""
    path = Path(path)
    problem = wav_problem(path)
    if problem:
        raise NarrationError(f"{path.name}: {problem}")
    with wave.open(str(path), "rb") as w:
        rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        raw = w.readframes(frames)
    rms, peak = _levels(raw, width)
    return AudioInfo(path, frames / rate, rate, channels, frames, rms, peak)


def _levels(raw: bytes, width: int) -> tuple[float, float]:
    if width == 1:
        samples = array("h", ((b - 128) << 8 for b in raw))
        full = 32768.0
    elif width == 2:
        samples = array("h")
        samples.frombytes(raw[: len(raw) // 2 * 2])
        full = 32768.0
    elif width == 4:
        samples = array("i")
        samples.frombytes(raw[: len(raw) // 4 * 4])
        full = 2147483648.0
    else:
        return 0.0, 0.0
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return 0.0, 0.0
    peak = max(abs(min(samples)), abs(max(samples))) / full
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / full
    return rms, peak


# -- synthesis -------------------------------------------------------------------------------


def synthesize(
    text: str, lang: str, out_path: Path, *, rate: int | None = None, timeout: float | None = None
) -> AudioInfo:
    """Speak ``text`` in ``lang`` into ``out_path`` (WAV), sentence by sentence, atomically."""
    voice = require_voice(lang)
    try:
        return synthesize_with(voice, text, out_path, rate=rate, timeout=timeout)
    except NarrationError as exc:
        if "timed out" in str(exc):
            raise
        # pyttsx3's espeak driver now and then ends a file before its last audio chunk
        # (about 1 in 50 under load): one fresh attempt, then the error stands.
        log.warning("synthesis produced no usable audio (%s); trying once more", exc)
        return synthesize_with(voice, text, out_path, rate=rate, timeout=timeout)


def synthesize_with(voice: Voice, text: str, out_path: Path, *, rate: int | None, timeout: float | None) -> AudioInfo:
    sentences = split_sentences(text)
    if not sentences:
        raise NarrationError("nothing to say: the narration text is empty")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if timeout is None:
        timeout = 20.0 + 0.2 * sum(len(s) for s in sentences)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.stem}.", suffix=".wav.part", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    started = time.perf_counter()
    try:
        tmp.unlink()  # the worker creates it; its absence until then is what wait_for_wav watches
        result = _run_worker(
            ["synth"], {"voice": voice.id, "rate": rate, "sentences": sentences, "out": str(tmp)}, timeout
        )
        wait_for_wav(tmp, timeout=5.0)
        wall = time.perf_counter() - started
        info = wav_info(tmp)
        starts = [float(x) for x in result.get("starts", [])]
        os.replace(tmp, out_path)
    except BaseException:
        unlink_quietly(tmp)
        for part in out_path.parent.glob(f"{tmp.name}.*"):
            unlink_quietly(part)
        raise
    timed = tuple(zip(starts, sentences, strict=False)) if len(starts) == len(sentences) else ()
    return AudioInfo(
        out_path, info.duration, info.sample_rate, info.channels, info.frames, info.rms, info.peak,
        realtime_factor=wall / info.duration if info.duration else None, sentences=timed,
    )  # fmt: skip


def unlink_quietly(path: Path) -> None:
    with suppress(OSError):
        path.unlink()
