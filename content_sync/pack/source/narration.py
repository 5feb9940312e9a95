"""Narration a pack source carries as synthesised WAVs (made by ``kiosk-pack narrate``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...core.errors import Problem
from .media import AUDIO_TYPES, MAX_AUDIO_BYTES, MediaCollector

INDEX_NAME = "index.json"
NARRATED_KINDS = {"venues": "venue", "routes": "route", "heritage": "heritage"}


def narration_file(kind: str, owner_id: str, lang: str) -> str:
    """Where ``kiosk-pack narrate`` puts one text's WAV, relative to its narration folder."""
    return f"{kind}/{owner_id}.{lang}.wav"


def synthesised_audio(
    folder: Path, records: dict[str, list[dict[str, Any]]], media: MediaCollector, problems: list[Problem]
) -> dict[tuple[str, str, str], str]:
    """Audio made by ``kiosk-pack narrate`` into ``folder`` for texts with no recorded file.

    Recorded audio wins. The folder is a build input kept outside the source (generated
    files never land among the files people edit). A file whose text hash no longer
    matches the narration text is skipped with a warning: the kiosk then synthesises the
    new text itself until the operator runs narrate again.
    """
    index_path = folder / INDEX_NAME
    label = index_path.as_posix()
    if not index_path.is_file():
        problems.append(Problem(label, "", "no narration index here; run kiosk-pack narrate first", warning=True))
        return {}
    from ...speech.synthesis import text_hash, wav_problem

    try:
        items = json.loads(index_path.read_text(encoding="utf-8")).get("items", {})
        if not isinstance(items, dict):
            raise ValueError
    except (OSError, ValueError, AttributeError):
        problems.append(Problem(label, "", "unreadable; synthesised narration ignored", warning=True))
        return {}
    files = MediaCollector(folder, problems, media.by_hash)
    used: dict[tuple[str, str, str], str] = {}
    for collection, kind in NARRATED_KINDS.items():
        for record in records[collection]:
            for lang, text in (record.get("narration") or {}).items():
                key = f"{kind}/{record['id']}.{lang}"
                entry = items.get(key)
                if lang in record.get("audio", {}) or not isinstance(entry, dict):
                    continue
                rel = narration_file(kind, record["id"], lang)
                if entry.get("text_sha256") != text_hash(text) or not (folder / rel).is_file():
                    problems.append(Problem(
                        label, key, "stale: the narration text changed; run kiosk-pack narrate again", warning=True,
                    ))  # fmt: skip
                    continue
                problem = wav_problem(folder / rel)
                if problem:
                    problems.append(Problem(label, key, f"{rel}: {problem}; skipped", warning=True))
                    continue
                found = files.add(rel, label, key, AUDIO_TYPES, MAX_AUDIO_BYTES)
                if found:
                    record.setdefault("audio", {})[lang] = found.sha256
                    used[(kind, record["id"], lang)] = rel
    return used
