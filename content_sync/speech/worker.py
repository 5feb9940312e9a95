"""Child process that drives pyttsx3, so a hung or crashing speech engine only kills this.

``python -m content_sync.speech.worker voices`` prints the engine and its voices;
``... synth`` reads {voice, rate, sentences, out} as JSON on stdin and writes one WAV at
``out``, each sentence synthesised on its own so their start times are measured. The last
stdout line is always a JSON object with ``ok``; pyttsx3's own prints go to stderr.
"""

from __future__ import annotations

import json
import platform
import sys
import wave
from importlib import metadata
from pathlib import Path
from typing import Any

PART_TIMEOUT = 10.0


def _engine_name(engine: Any) -> str:
    driver = type(engine.proxy._driver).__module__.rsplit(".", 1)[-1]
    try:
        version = metadata.version("pyttsx3")
    except metadata.PackageNotFoundError:
        version = "?"
    backend = driver
    if driver == "espeak":
        from pyttsx3.drivers import _espeak

        info = _espeak.Info()
        backend = "espeak-ng " + (info.decode() if isinstance(info, bytes) else str(info))
    elif driver == "sapi5":
        backend = f"sapi5 {platform.version()}"
    return f"pyttsx3 {version}/{backend}"


def _languages(voice: Any) -> list[str]:
    out = []
    for lang in voice.languages or []:
        if isinstance(lang, bytes):  # old espeak drivers: b"\x05en-gb"
            lang = lang[1:].decode("ascii", "replace")
        out.append(str(lang))
    return out


def _voices(engine: Any) -> dict[str, Any]:
    voices = [{"id": v.id, "name": v.name, "languages": _languages(v)} for v in engine.getProperty("voices") or []]
    return {"ok": True, "engine": _engine_name(engine), "voices": voices}


def _synth(engine: Any, request: dict[str, Any]) -> dict[str, Any]:
    from content_sync.speech.synthesis import wait_for_wav

    out = Path(request["out"])
    engine.setProperty("voice", request["voice"])
    if request.get("rate"):
        engine.setProperty("rate", int(request["rate"]))
    parts: list[Path] = []
    try:
        for n, sentence in enumerate(request["sentences"]):
            part = out.with_name(f"{out.name}.{n}.wav")
            engine.save_to_file(sentence, str(part))
            engine.runAndWait()
            wait_for_wav(part, PART_TIMEOUT)  # runAndWait can return before the file is complete
            parts.append(part)
        starts, frames = [], 0
        with wave.open(str(out), "wb") as dst:
            for n, part in enumerate(parts):
                with wave.open(str(part), "rb") as src:
                    if n == 0:
                        dst.setparams(src.getparams())
                    rate = src.getframerate()
                    starts.append(round(frames / rate, 3))
                    chunk = src.readframes(src.getnframes())
                    frames += src.getnframes()
                    dst.writeframes(chunk)
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    return {"ok": True, "starts": starts}


def main(argv: list[str]) -> int:
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # pyttsx3 prints "Audio saved to ..."; keep stdout for the result
    try:
        import pyttsx3

        engine = pyttsx3.init()
        if argv[:1] == ["voices"]:
            result = _voices(engine)
        elif argv[:1] == ["synth"]:
            result = _synth(engine, json.loads(sys.stdin.buffer.read().decode("utf-8")))
        else:
            result = {"ok": False, "error": "usage: python -m content_sync.speech.worker voices|synth"}
    except Exception as exc:  # every failure becomes one line for the parent
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    real_stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    real_stdout.flush()
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
