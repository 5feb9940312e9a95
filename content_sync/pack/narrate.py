"""Synthesise a pack source's narration ahead of time, so kiosks need no voices.

For every venue, route and heritage item whose narration text has no recorded audio in a language, a WAV
is written to ``OUT/<kind>/<id>.<lang>.wav`` and described in ``OUT/index.json`` (text
hash, voice, rate, engine). ``OUT`` is a folder of its own, outside the source: generated
files never mix with the files people edit and commit. A text whose entry still matches is
not synthesised again; ``load_source(SRC, narration=OUT)`` takes these files as the
owner's audio unless a recorded file is named, and skips those whose text has changed since.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import i18n
from ..core.errors import BuildError
from ..speech import synthesis as narration


@dataclass
class NarrateReport:
    made: int = 0
    unchanged: int = 0
    recorded: int = 0
    removed: int = 0
    audio_seconds: float = 0.0  # of the files made in this run
    synthesis_seconds: float = 0.0
    by_lang: dict[str, int] = field(default_factory=dict)
    no_voice: dict[str, int] = field(default_factory=dict)  # lang -> texts left without audio
    failed: list[str] = field(default_factory=list)

    @property
    def realtime_factor(self) -> float | None:
        return self.synthesis_seconds / self.audio_seconds if self.audio_seconds else None


def _read_index(path: Path) -> dict[str, Any]:
    try:
        items = json.loads(path.read_text(encoding="utf-8")).get("items", {})
        return items if isinstance(items, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _write_index(path: Path, items: dict[str, Any]) -> None:
    """Sorted and without timestamps, so the same source gives the same file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    data = {"version": 1, "items": dict(sorted(items.items()))}
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    try:
        if path.read_text(encoding="utf-8") == text:
            return  # untouched, so "is the source newer than the pack?" checks stay quiet
    except OSError:
        pass
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def narrate_source(
    root: Path,
    out: Path,
    *,
    langs: tuple[str, ...] = (),
    kinds: tuple[str, ...] = (),
    rate: int | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> NarrateReport:
    """Synthesise the missing narration audio of the pack source at ``root`` into ``out``.

    ``langs`` and ``kinds`` (``venue``, ``route``, ``heritage``) narrow a run; files another run
    made for other languages or kinds are kept.
    """
    from .source import INDEX_NAME, NARRATED_KINDS, load_source, narration_file  # slow import, only here

    root, out = Path(root), Path(out)
    source, problems = load_source(root, narration=out if (out / INDEX_NAME).is_file() else None)
    if source is None:
        raise BuildError(problems)
    wanted = {i18n.canonical_tag(x) for x in langs}
    index_path = out / INDEX_NAME
    items = _read_index(index_path)
    engine_name = narration.engine().name
    voices: dict[str, narration.Voice | None] = {}
    report = NarrateReport()
    live: set[str] = set()
    for collection, kind in NARRATED_KINDS.items():
        for record in source.records[collection]:
            for lang, text in sorted((record.get("narration") or {}).items()):
                key = f"{kind}/{record['id']}.{lang}"
                if (wanted and lang not in wanted) or (kinds and kind not in kinds):
                    if key in items:
                        live.add(key)  # another run's language: keep it
                    continue
                if lang in record.get("audio", {}) and (kind, record["id"], lang) not in source.narration_audio:
                    report.recorded += 1
                    continue
                if lang not in voices:
                    voices[lang] = narration.find_voice(lang)
                voice = voices[lang]
                if voice is None:
                    report.no_voice[lang] = report.no_voice.get(lang, 0) + 1
                    continue
                live.add(key)
                rel = narration_file(kind, record["id"], lang)
                wanted_entry = {
                    "text_sha256": narration.text_hash(text), "voice": voice.id,
                    "rate": rate, "engine": engine_name,
                }  # fmt: skip
                entry = items.get(key)
                current = isinstance(entry, dict) and all(entry.get(k) == v for k, v in wanted_entry.items())
                if current and not force and narration.wav_problem(out / rel) is None:
                    report.unchanged += 1
                    continue
                started = time.perf_counter()
                try:
                    info = narration.synthesize(text, lang, out / rel, rate=rate)
                except narration.NarrationError as exc:
                    report.failed.append(f"{key}: {exc}")
                    continue
                report.synthesis_seconds += time.perf_counter() - started
                report.made += 1
                report.audio_seconds += info.duration
                report.by_lang[lang] = report.by_lang.get(lang, 0) + 1
                if progress:
                    progress(f"{rel}: {info.duration:.1f} s")
                items[key] = {
                    **wanted_entry, "file": rel, "duration": round(info.duration, 3),
                    "sentences": [[t, s] for t, s in info.sentences],
                }  # fmt: skip
    for key in sorted(set(items) - live):  # owners or texts that are gone
        entry = items.pop(key)
        (out / f"{key}.wav").unlink(missing_ok=True)
        report.removed += 1 if isinstance(entry, dict) else 0
    if items or index_path.exists():
        _write_index(index_path, items)
    return report
