"""Read and validate a pack source folder, collecting every problem with file and field.

The builder only writes a pack when this reports no errors, so an operator fixes a whole
folder in one pass instead of one problem per build. The pieces: :mod:`.checker` checks
one record's fields, :mod:`.records` has one function per collection, :mod:`.media`
finds and hashes the files records name, :mod:`.narration` picks up synthesised speech.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ...core import i18n
from ...core.errors import Problem
from .. import content_schema
from .checker import SLUG_RE, Checker
from .media import MediaCollector, MediaFile, load_basemaps
from .narration import INDEX_NAME, NARRATED_KINDS, narration_file, synthesised_audio
from .records import COLLECTIONS, VALIDATORS, Records

__all__ = [
    "COLLECTIONS", "INDEX_NAME", "NARRATED_KINDS", "SLUG_RE", "MediaFile", "PackSource", "load_source",
    "narration_file",
]  # fmt: skip

SOURCE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class PackSource:
    root: Path
    pack: dict[str, Any]
    records: dict[str, list[dict[str, Any]]]
    media: dict[str, MediaFile] = field(default_factory=dict)  # sha256 -> file
    basemaps: list[dict[str, Any]] = field(default_factory=list)
    # (owner kind, owner id, lang) -> narration-folder-relative path of synthesised narration in use
    narration_audio: dict[tuple[str, str, str], str] = field(default_factory=dict)


def load_source(root: Path, *, narration: Path | None = None) -> tuple[PackSource | None, list[Problem]]:
    """Parse and validate ``root``; the source is ``None`` when any error was found.

    ``narration`` is a folder ``kiosk-pack narrate`` filled with synthesised speech for
    this source (kept outside it); without one the pack carries only recorded audio.
    """
    problems: list[Problem] = []
    root = Path(root)
    if not root.is_dir():
        return None, [Problem(str(root), "", "pack source folder not found")]
    pack = load_pack_meta(root, problems)
    languages = pack.get("languages", ["zh-Hans", "en"])
    raw: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
    for name in COLLECTIONS:
        raw[name] = []
        for path in collection_files(root, name):
            rel = path.relative_to(root).as_posix()
            for index, record in enumerate(load_file(path, rel, problems)):
                if not isinstance(record, dict):
                    problems.append(Problem(rel, f"[{index}]", "expected a mapping (a record with fields)"))
                    continue
                raw[name].append((rel, index, record))
    media = MediaCollector(root, problems)
    context = Records(pack, languages, media, problems)
    records: dict[str, list[dict[str, Any]]] = {name: [] for name in COLLECTIONS}
    for name, validate in VALIDATORS.items():
        records[name] = validate(context, raw[name])
    context.check_refs()
    if not records["themes"]:
        problems.append(Problem("themes.yaml", "", "a pack needs at least one theme"))
    narration_audio = synthesised_audio(narration, records, media, problems) if narration is not None else {}
    basemaps = load_basemaps(root, media, problems)
    source = PackSource(root, pack, records, media.by_hash, basemaps, narration_audio)
    if any(not p.warning for p in problems):
        return None, problems
    return source, problems


def load_file(path: Path, rel: str, problems: list[Problem]) -> list[Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(rel, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return []
    except OSError as exc:
        problems.append(Problem(rel, "", f"cannot read: {exc.strerror}"))
        return []
    try:
        data = json.loads(raw) if path.suffix == ".json" else yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(Problem(rel, where, f"invalid YAML: {getattr(exc, 'problem', exc)}"))
        return []
    except json.JSONDecodeError as exc:
        problems.append(Problem(rel, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}"))
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(Problem(rel, "", "expected a list of records"))
        return []
    return data


def collection_files(root: Path, name: str) -> list[Path]:
    files = [root / f"{name}{suffix}" for suffix in SOURCE_SUFFIXES if (root / f"{name}{suffix}").is_file()]
    folder = root / name
    if folder.is_dir():
        files += sorted(p for p in folder.iterdir() if p.suffix in SOURCE_SUFFIXES and p.is_file())
    return files


def load_pack_meta(root: Path, problems: list[Problem]) -> dict[str, Any]:
    path = next((root / f"pack{s}" for s in SOURCE_SUFFIXES if (root / f"pack{s}").is_file()), None)
    if path is None:
        problems.append(Problem("pack.yaml", "", "missing: every pack source needs pack.yaml"))
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        problems.append(Problem(path.name, "", f"cannot read: {exc}"))
        return {}
    if not isinstance(data, dict):
        problems.append(Problem(path.name, "", "expected a mapping"))
        return {}
    languages = data.get("languages")
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(x, str) and i18n.is_language_tag(x) for x in languages)
    ):
        problems.append(Problem(path.name, "languages", "expected a list of language tags, e.g. [zh-Hans, en]"))
        languages = ["zh-Hans", "en"]
    languages = [i18n.canonical_tag(x) for x in languages]
    check = Checker(problems, path.name, "pack", languages)
    check.unknown_keys(
        data, {"id", "title", "content_version", "channel", "languages", "fallback", "timezone", "expires_days"}
    )
    fallback = data.get("fallback", ["en", "zh-Hans"])
    if not isinstance(fallback, list) or not all(isinstance(x, str) and i18n.is_language_tag(x) for x in fallback):
        check.error("fallback", "expected a list of language tags")
        fallback = ["en", "zh-Hans"]
    tz = data.get("timezone", "Asia/Shanghai")
    try:
        content_schema.check_time_zone(tz)
    except content_schema.Invalid as exc:
        check.error("timezone", str(exc))
    channel = data.get("channel", "stable")
    try:
        content_schema.META["channel"].check(channel)
    except content_schema.Invalid as exc:
        check.error("channel", str(exc))
    return {
        "id": check.slug(data, "id"),
        "title": check.i18n(data, "title"),
        "content_version": check.integer(data, "content_version", required=True, lo=1, hi=2**53),
        "channel": channel,
        "languages": languages,
        "fallback": [i18n.canonical_tag(x) for x in fallback],
        "timezone": str(tz),
        "expires_days": check.integer(data, "expires_days", required=False, lo=1, hi=3650),
    }
