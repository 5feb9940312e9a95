"""Read and validate a pack source folder, collecting every problem with file and field.

The builder only writes a pack when this module reports no errors, so an operator fixes
a whole folder in one pass instead of one problem per build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import hours as hours_mod
from . import i18n
from .errors import Problem
from .sanitize import sanitize_text
from .vocabulary import ACCESSIBILITY_FACTS

COLLECTIONS = (
    "themes", "categories", "districts", "venues", "routes", "events", "heritage",
    "transport", "pages", "notices",
)  # fmt: skip
SOURCE_SUFFIXES = (".yaml", ".yml", ".json")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}\Z")
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}\Z")
TAG_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}\Z")
DISTRICT_RE = re.compile(r"^[0-9]{6}\Z")
_MARKUP_RE = re.compile(r"<[a-zA-Z/!?]|&#?\w+;")

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
AUDIO_TYPES = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".wav": "audio/wav"}
MBTILES_TYPE = {".mbtiles": "application/vnd.mbtiles"}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_AUDIO_BYTES = 100 * 1024 * 1024
MAX_MBTILES_BYTES = 2 * 1024 * 1024 * 1024

EVENT_KINDS = ("performance", "festival", "exhibition", "ceremony", "market", "tour")
HERITAGE_KINDS = ("performance", "craft", "ritual", "music", "dance", "drama", "literature", "custom")
HERITAGE_LEVELS = ("world", "national", "provincial", "municipal", "county")
TRANSPORT_KINDS = ("airport", "rail_station", "bus_station", "metro", "brt", "bus", "tram", "ferry")
PAGE_KINDS = ("hotel_room", "station", "practical", "about")
ROUTE_MODES = ("walk", "bus", "car", "mixed", "rail")
SEVERITIES = ("info", "warning", "alert")


@dataclass
class MediaFile:
    source: Path
    sha256: str
    mime: str
    size: int
    width: int | None = None
    height: int | None = None

    @property
    def pack_path(self) -> str:
        return f"media/{self.sha256}{self.source.suffix.lower()}"


@dataclass
class PackSource:
    root: Path
    pack: dict[str, Any]
    records: dict[str, list[dict[str, Any]]]
    media: dict[str, MediaFile] = field(default_factory=dict)  # sha256 -> file
    basemaps: list[dict[str, Any]] = field(default_factory=list)
    # (owner kind, owner id, lang) -> source-relative path of synthesised narration in use
    narration_audio: dict[tuple[str, str, str], str] = field(default_factory=dict)


class _Checker:
    """Accumulates problems for one record; each helper returns a normalised value."""

    def __init__(self, problems: list[Problem], file: str, prefix: str, languages: list[str]) -> None:
        self.problems = problems
        self.file = file
        self.prefix = prefix
        self.languages = languages

    def error(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, f"{self.prefix}.{key}" if key else self.prefix, message))

    def warn(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, f"{self.prefix}.{key}", message, warning=True))

    def i18n(self, record: dict[str, Any], key: str, *, required: bool = True) -> dict[str, str]:
        value = record.get(key)
        if value is None:
            if required:
                self.error(key, f"missing; give text in {', '.join(self.languages)}")
            return {}
        return self.i18n_value(value, key, required=required)

    def i18n_value(self, value: Any, key: str, *, required: bool = True) -> dict[str, str]:
        if not isinstance(value, dict):
            self.error(key, "expected a mapping of language tag to text, e.g. {zh-Hans: ..., en: ...}")
            return {}
        out: dict[str, str] = {}
        for tag, text in value.items():
            if not isinstance(tag, str) or not i18n.is_language_tag(tag):
                self.error(f"{key}.{tag}", "not a BCP-47 language tag (e.g. zh-Hans, en, ja)")
                continue
            if not isinstance(text, str) or not text.strip():
                self.error(f"{key}.{tag}", "expected non-empty text")
                continue
            clean = sanitize_text(text)
            if clean != text.strip() and _MARKUP_RE.search(text):
                self.warn(f"{key}.{tag}", "markup removed: texts are plain text")
            out[i18n.canonical_tag(tag)] = clean
        if required:
            for lang in self.languages:
                if lang not in out:
                    self.error(f"{key}.{lang}", "missing translation")
        return out

    def slug(self, record: dict[str, Any], key: str, *, required: bool = True) -> str | None:
        value = record.get(key)
        if value is None:
            if required:
                self.error(key, "missing")
            return None
        if not isinstance(value, str) or not SLUG_RE.match(value):
            self.error(key, f"{value!r} is not an id (lowercase letters, digits and '-', up to 80)")
            return None
        return value

    def choice(self, record: dict[str, Any], key: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = record.get(key, default)
        if value not in options:
            self.error(key, f"{value!r} is not one of: {', '.join(options)}")
            return options[0]
        return value

    def integer(self, record: dict[str, Any], key: str, *, required: bool, lo: int = 0, hi: int = 10**9) -> int | None:
        value = record.get(key)
        if value is None:
            if required:
                self.error(key, "missing")
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            self.error(key, f"expected a whole number from {lo} to {hi}, got {value!r}")
            return None
        return value

    def number(self, record: dict[str, Any], key: str, *, required: bool, lo: float, hi: float) -> float | None:
        value = record.get(key)
        if value is None:
            if required:
                self.error(key, "missing")
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or not lo <= value <= hi:
            self.error(key, f"expected a number from {lo} to {hi}, got {value!r}")
            return None
        return float(value)

    def boolean(self, record: dict[str, Any], key: str) -> bool:
        value = record.get(key, False)
        if not isinstance(value, bool):
            self.error(key, f"expected true or false, got {value!r}")
            return False
        return value

    def slug_list(
        self, record: dict[str, Any], key: str, *, required: bool, pattern: re.Pattern[str] = SLUG_RE
    ) -> list[str]:
        value = record.get(key)
        if value is None:
            if required:
                self.error(key, "missing")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and pattern.match(v) for v in value):
            self.error(key, "expected a list of ids (lowercase letters, digits and '-')")
            return []
        if required and not value:
            self.error(key, "must not be empty")
        return list(dict.fromkeys(value))

    def timestamp(self, value: Any, key: str) -> str | None:
        if isinstance(value, dt.datetime):
            stamp = value
        else:
            try:
                stamp = dt.datetime.fromisoformat(str(value))
            except ValueError:
                self.error(key, f"{value!r} is not an ISO 8601 date-time like 2027-06-22T09:00:00+08:00")
                return None
        if stamp.tzinfo is None:
            self.error(key, f"{value!r} needs a UTC offset such as +08:00")
            return None
        return stamp.isoformat()

    def unknown_keys(self, record: dict[str, Any], allowed: set[str]) -> None:
        for key in sorted(set(record) - allowed):
            self.error(str(key), "unknown field (check the spelling against docs/pack-source-format.md)")


def _load_file(path: Path, rel: str, problems: list[Problem]) -> list[Any]:
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


def _collection_files(root: Path, name: str) -> list[Path]:
    files = [root / f"{name}{suffix}" for suffix in SOURCE_SUFFIXES if (root / f"{name}{suffix}").is_file()]
    folder = root / name
    if folder.is_dir():
        files += sorted(p for p in folder.iterdir() if p.suffix in SOURCE_SUFFIXES and p.is_file())
    return files


class _MediaCollector:
    def __init__(self, root: Path, problems: list[Problem]) -> None:
        self.root = root.resolve()
        self.problems = problems
        self.by_path: dict[str, MediaFile] = {}
        self.by_hash: dict[str, MediaFile] = {}

    def add(self, rel_value: Any, file: str, fld: str, allowed: dict[str, str], max_bytes: int) -> MediaFile | None:
        if not isinstance(rel_value, str) or not rel_value:
            self.problems.append(Problem(file, fld, "expected a file path relative to the pack source folder"))
            return None
        if rel_value in self.by_path:
            return self.by_path[rel_value]
        rel = Path(rel_value)
        if rel.is_absolute() or ".." in rel.parts:
            self.problems.append(Problem(file, fld, f"{rel_value!r} must be a path inside the pack source folder"))
            return None
        path = self.root / rel
        if not path.exists():
            self.problems.append(Problem(file, fld, f"file {rel_value!r} not found"))
            return None
        if path.is_symlink() or not path.resolve().is_relative_to(self.root) or not path.is_file():
            self.problems.append(
                Problem(file, fld, f"{rel_value!r} must be a regular file inside the folder, not a link")
            )
            return None
        suffix = path.suffix.lower()
        if suffix not in allowed:
            self.problems.append(
                Problem(file, fld, f"{rel_value!r}: type {suffix or '(none)'} not allowed; use {', '.join(allowed)}")
            )
            return None
        size = path.stat().st_size
        if size > max_bytes:
            self.problems.append(Problem(file, fld, f"{rel_value!r} is {size} bytes; the limit is {max_bytes}"))
            return None
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            head = fh.read(64)
            digest.update(head)
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        problem = _sniff(head, suffix)
        if problem:
            self.problems.append(Problem(file, fld, f"{rel_value!r}: {problem}"))
            return None
        media = MediaFile(path, digest.hexdigest(), allowed[suffix], size)
        if suffix in IMAGE_TYPES:
            dims = _image_size(path)
            if dims is None:
                self.problems.append(Problem(file, fld, f"{rel_value!r}: not a readable image"))
                return None
            media.width, media.height = dims
        media = self.by_hash.setdefault(media.sha256, media)
        self.by_path[rel_value] = media
        return media


def _sniff(head: bytes, suffix: str) -> str | None:
    """The file's first bytes must match its extension: nothing executable slips in as media."""
    checks: dict[str, Callable[[bytes], bool]] = {
        ".png": lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"),
        ".jpg": lambda h: h.startswith(b"\xff\xd8\xff"),
        ".jpeg": lambda h: h.startswith(b"\xff\xd8\xff"),
        ".webp": lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP",
        ".mp3": lambda h: h.startswith(b"ID3") or (len(h) > 1 and h[0] == 0xFF and h[1] & 0xE0 == 0xE0),
        ".ogg": lambda h: h.startswith(b"OggS"),
        ".wav": lambda h: h[:4] == b"RIFF" and h[8:12] == b"WAVE",
        ".mbtiles": lambda h: h.startswith(b"SQLite format 3\x00"),
    }
    check = checks.get(suffix)
    if check and not check(head):
        return f"content is not a {suffix[1:].upper()} file"
    return None


def _image_size(path: Path) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.verify()
        with Image.open(path) as img:
            return img.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def mbtiles_summary(path: Path) -> dict[str, Any]:
    """Zoom range, format and bounds of an MBTiles file (see :mod:`content_sync.mbtiles`)."""
    from .mbtiles import mbtiles_summary as summary  # lazy: keeps load_source's import light

    return summary(path)


def load_source(root: Path) -> tuple[PackSource | None, list[Problem]]:
    """Parse and validate ``root``; the source is ``None`` when any error was found."""
    problems: list[Problem] = []
    root = Path(root)
    if not root.is_dir():
        return None, [Problem(str(root), "", "pack source folder not found")]
    pack = _load_pack_meta(root, problems)
    languages = pack.get("languages", ["zh-Hans", "en"])
    raw: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
    for name in COLLECTIONS:
        raw[name] = []
        for path in _collection_files(root, name):
            rel = path.relative_to(root).as_posix()
            for index, record in enumerate(_load_file(path, rel, problems)):
                if not isinstance(record, dict):
                    problems.append(Problem(rel, f"[{index}]", "expected a mapping (a record with fields)"))
                    continue
                raw[name].append((rel, index, record))
    media = _MediaCollector(root, problems)
    records = _validate_records(raw, pack, languages, media, problems)
    narration_audio = _synthesised_audio(root, records, media, problems)
    basemaps = _load_basemaps(root, media, problems)
    source = PackSource(root, pack, records, media.by_hash, basemaps, narration_audio)
    if any(not p.warning for p in problems):
        return None, problems
    return source, problems


def _load_pack_meta(root: Path, problems: list[Problem]) -> dict[str, Any]:
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
    check = _Checker(problems, path.name, "pack", languages)
    check.unknown_keys(
        data, {"id", "title", "content_version", "channel", "languages", "fallback", "timezone", "expires_days"}
    )
    fallback = data.get("fallback", ["en", "zh-Hans"])
    if not isinstance(fallback, list) or not all(isinstance(x, str) and i18n.is_language_tag(x) for x in fallback):
        check.error("fallback", "expected a list of language tags")
        fallback = ["en", "zh-Hans"]
    tz = data.get("timezone", "Asia/Shanghai")
    try:
        hours_mod.zone(str(tz))
    except hours_mod.HoursError as exc:
        check.error("timezone", str(exc))
    channel = data.get("channel", "stable")
    if not isinstance(channel, str) or not SLUG_RE.match(channel):
        check.error("channel", f"{channel!r} is not a channel name (lowercase letters, digits, '-')")
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


def _images(check: _Checker, record: dict[str, Any], media: _MediaCollector) -> list[dict[str, Any]]:
    value = record.get("images", [])
    if not isinstance(value, list):
        check.error("images", "expected a list of {file, caption, credit, licence}")
        return []
    out = []
    for i, image in enumerate(value):
        key = f"images[{i}]"
        if not isinstance(image, dict):
            check.error(key, "expected a mapping with file, caption, credit, licence")
            continue
        sub = _Checker(check.problems, check.file, f"{check.prefix}.{key}", check.languages)
        sub.unknown_keys(image, {"file", "caption", "credit", "licence"})
        found = media.add(image.get("file"), check.file, f"{check.prefix}.{key}.file", IMAGE_TYPES, MAX_IMAGE_BYTES)
        caption = sub.i18n(image, "caption", required=False)
        credit, licence = image.get("credit"), image.get("licence")
        if not isinstance(credit, str) or not credit.strip():
            sub.error("credit", "missing: say who made the image")
        if not isinstance(licence, str) or not licence.strip():
            sub.error("licence", "missing: give the licence (e.g. CC0-1.0, CC-BY-4.0)")
        if found:
            out.append({
                "media": found.sha256, "caption": caption,
                "credit": sanitize_text(str(credit or "")), "licence": sanitize_text(str(licence or "")),
            })  # fmt: skip
    return out


def _audio(check: _Checker, record: dict[str, Any], media: _MediaCollector) -> dict[str, str]:
    value = record.get("audio")
    if value is None:
        return {}
    if not isinstance(value, dict):
        check.error("audio", "expected a mapping of language tag to audio file")
        return {}
    out = {}
    for tag, rel in value.items():
        if not isinstance(tag, str) or not i18n.is_language_tag(tag):
            check.error(f"audio.{tag}", "not a language tag")
            continue
        found = media.add(rel, check.file, f"{check.prefix}.audio.{tag}", AUDIO_TYPES, MAX_AUDIO_BYTES)
        if found:
            out[i18n.canonical_tag(tag)] = found.sha256
    return out


NARRATION_DIR = "narration"
NARRATION_INDEX = "narration/index.json"
NARRATED_KINDS = {"venues": "venue", "routes": "route"}


def _synthesised_audio(
    root: Path, records: dict[str, list[dict[str, Any]]], media: _MediaCollector, problems: list[Problem]
) -> dict[tuple[str, str, str], str]:
    """Audio made by ``kiosk-pack narrate`` for texts with no recorded file; recorded audio wins.

    A file whose text hash no longer matches the narration text is skipped with a warning:
    the kiosk then synthesises the new text itself until the operator runs narrate again.
    """
    index_path = root / NARRATION_INDEX
    if not index_path.is_file():
        return {}
    from .narration import text_hash, wav_problem

    try:
        items = json.loads(index_path.read_text(encoding="utf-8")).get("items", {})
        if not isinstance(items, dict):
            raise ValueError
    except (OSError, ValueError, AttributeError):
        problems.append(Problem(NARRATION_INDEX, "", "unreadable; synthesised narration ignored", warning=True))
        return {}
    used: dict[tuple[str, str, str], str] = {}
    for collection, kind in NARRATED_KINDS.items():
        for record in records[collection]:
            for lang, text in (record.get("narration") or {}).items():
                key = f"{kind}/{record['id']}.{lang}"
                entry = items.get(key)
                if lang in record.get("audio", {}) or not isinstance(entry, dict):
                    continue
                rel = f"{NARRATION_DIR}/{key}.wav"
                if entry.get("text_sha256") != text_hash(text) or not (root / rel).is_file():
                    problems.append(Problem(
                        NARRATION_INDEX, key, "stale: the narration text changed; run kiosk-pack narrate again",
                        warning=True,
                    ))  # fmt: skip
                    continue
                problem = wav_problem(root / rel)
                if problem:
                    problems.append(Problem(NARRATION_INDEX, key, f"{rel}: {problem}; skipped", warning=True))
                    continue
                found = media.add(rel, NARRATION_INDEX, key, AUDIO_TYPES, MAX_AUDIO_BYTES)
                if found:
                    record.setdefault("audio", {})[lang] = found.sha256
                    used[(kind, record["id"], lang)] = rel
    return used


def _location(check: _Checker, record: dict[str, Any], *, required: bool) -> tuple[float | None, float | None]:
    value = record.get("location")
    if value is None:
        if required:
            check.error("location", "missing: give {lat: .., lon: ..} in WGS84 degrees")
        return None, None
    if not isinstance(value, dict):
        check.error("location", "expected {lat: .., lon: ..}")
        return None, None
    sub = _Checker(check.problems, check.file, f"{check.prefix}.location", check.languages)
    lat = sub.number(value, "lat", required=True, lo=-90, hi=90)
    lon = sub.number(value, "lon", required=True, lo=-180, hi=180)
    return lat, lon


def _validate_records(
    raw: dict[str, list[tuple[str, int, dict[str, Any]]]],
    pack: dict[str, Any],
    languages: list[str],
    media: _MediaCollector,
    problems: list[Problem],
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in COLLECTIONS}
    ids: dict[str, set[str]] = {name: set() for name in COLLECTIONS}
    pending_refs: list[tuple[str, str, str, str, str]] = []  # file, field, collection, id, what

    def checker(rel: str, name: str, index: int, record: dict[str, Any]) -> tuple[_Checker, str | None]:
        key = "code" if name == "districts" else "id"
        ident = record.get(key)
        label = ident if isinstance(ident, str) and ident else f"[{index}]"
        check = _Checker(problems, rel, label, languages)
        if name == "districts":
            if not isinstance(ident, str) or not DISTRICT_RE.match(ident):
                check.error("code", f'{ident!r} is not a 6-digit division code (quote it: "620102")')
                return check, None
        else:
            ident = check.slug(record, "id")
        if ident is not None:
            if ident in ids[name]:
                check.error(key, f"duplicate {name} id {ident!r}")
            ids[name].add(ident)
        return check, ident

    def ref(check: _Checker, key: str, collection: str, value: str) -> None:
        pending_refs.append((check.file, f"{check.prefix}.{key}", collection, value, collection))

    tz_default = pack.get("timezone", "Asia/Shanghai")
    for rel, index, r in raw["themes"]:
        check, ident = checker(rel, "themes", index, r)
        check.unknown_keys(r, {"id", "name", "description", "color", "sort"})
        color = r.get("color", "#555555")
        if not isinstance(color, str) or not COLOR_RE.match(color):
            check.error("color", f'{color!r} is not a colour like "#1F6FB2"')
        out["themes"].append(
            {
                "id": ident,
                "name": check.i18n(r, "name"),
                "description": check.i18n(r, "description"),
                "color": color,
                "sort": check.integer(r, "sort", required=False) or index,
            }
        )
    for rel, index, r in raw["categories"]:
        check, ident = checker(rel, "categories", index, r)
        check.unknown_keys(r, {"id", "name", "icon", "sort"})
        out["categories"].append(
            {
                "id": ident,
                "name": check.i18n(r, "name"),
                "icon": str(r.get("icon", "place")),
                "sort": check.integer(r, "sort", required=False) or index,
            }
        )
    for rel, index, r in raw["districts"]:
        check, ident = checker(rel, "districts", index, r)
        check.unknown_keys(r, {"code", "city", "name"})
        out["districts"].append({"code": ident, "city": check.slug(r, "city"), "name": check.i18n(r, "name")})

    for rel, index, r in raw["venues"]:
        check, ident = checker(rel, "venues", index, r)
        check.unknown_keys(r, {
            "id", "name", "aliases", "category", "themes", "city", "district", "address", "location",
            "timezone", "summary", "description", "hours", "tickets", "tickets_note", "contact",
            "accessibility", "getting_there", "tags", "featured", "images", "narration", "audio", "sort",
        })  # fmt: skip
        category = check.slug(r, "category")
        if category:
            ref(check, "category", "categories", category)
        themes = check.slug_list(r, "themes", required=True)
        for theme in themes:
            ref(check, "themes", "themes", theme)
        district = r.get("district")
        if district is not None:
            if not isinstance(district, str) or not DISTRICT_RE.match(district):
                check.error("district", f"{district!r} is not a 6-digit division code (quote it)")
                district = None
            else:
                ref(check, "district", "districts", district)
        lat, lon = _location(check, r, required=True)
        tz = r.get("timezone", tz_default)
        try:
            hours_mod.zone(str(tz))
        except hours_mod.HoursError as exc:
            check.error("timezone", str(exc))
        hours = r.get("hours")
        if hours is None:
            check.error("hours", "missing: give always_open: true or a weekly schedule")
        else:
            for message in hours_mod.validate_hours(hours, "hours"):
                key, _, rest = message.partition(": ")
                check.error(key, rest)
            if isinstance(hours, dict) and "note" in hours:
                hours = {**hours, "note": check.i18n_value(hours["note"], "hours.note", required=False)}
            if isinstance(hours, dict):
                for season in hours.get("seasons") or []:
                    if isinstance(season, dict) and "name" in season:
                        season["name"] = check.i18n_value(season["name"], "hours.seasons.name", required=False)
        tickets = _tickets(check, r)
        aliases = _aliases(check, r)
        out["venues"].append({
            "id": ident, "name": check.i18n(r, "name"), "aliases": aliases, "category": category,
            "city": check.slug(r, "city"), "district": district, "address": check.i18n(r, "address"),
            "lat": lat, "lon": lon, "timezone": str(tz), "summary": check.i18n(r, "summary"),
            "description": check.i18n(r, "description"), "hours": hours, "tickets": tickets,
            "tickets_note": check.i18n(r, "tickets_note", required=False), "contact": _contact(check, r),
            "accessibility": _accessibility(check, r), "getting_there": check.i18n(r, "getting_there"),
            "tags": check.slug_list(r, "tags", required=False, pattern=TAG_SLUG_RE),
            "featured": check.boolean(r, "featured"), "narration": check.i18n(r, "narration"),
            "themes": themes, "images": _images(check, r, media), "audio": _audio(check, r, media),
            "sort": check.integer(r, "sort", required=False) or index,
        })  # fmt: skip
        summary = out["venues"][-1]["summary"]
        for tag, text in summary.items():
            if len(text) > 200:
                check.warn(f"summary.{tag}", f"{len(text)} characters; keep summaries under 200")

    for rel, index, r in raw["routes"]:
        check, ident = checker(rel, "routes", index, r)
        check.unknown_keys(
            r,
            {
                "id",
                "name",
                "summary",
                "description",
                "themes",
                "city",
                "duration_minutes",
                "distance_km",
                "mode",
                "featured",
                "stops",
                "images",
                "narration",
                "audio",
                "sort",
            },
        )
        themes = check.slug_list(r, "themes", required=True)
        for theme in themes:
            ref(check, "themes", "themes", theme)
        stops = []
        raw_stops = r.get("stops")
        if not isinstance(raw_stops, list) or len(raw_stops) < 2:
            check.error("stops", "expected a list of at least two stops")
            raw_stops = []
        for i, stop in enumerate(raw_stops):
            sub = _Checker(problems, rel, f"{check.prefix}.stops[{i}]", languages)
            if not isinstance(stop, dict):
                sub.error("", "expected {venue, stay_minutes, note}")
                continue
            sub.unknown_keys(stop, {"venue", "stay_minutes", "note"})
            venue = sub.slug(stop, "venue")
            if venue:
                ref(sub, "venue", "venues", venue)
            stops.append(
                {
                    "venue_id": venue,
                    "stay_minutes": sub.integer(stop, "stay_minutes", required=False, hi=24 * 60) or 0,
                    "note": sub.i18n(stop, "note", required=False),
                }
            )
        out["routes"].append({
            "id": ident, "name": check.i18n(r, "name"), "summary": check.i18n(r, "summary"),
            "description": check.i18n(r, "description"), "city": check.slug(r, "city"),
            "duration_minutes": check.integer(r, "duration_minutes", required=True, lo=1, hi=7 * 24 * 60),
            "distance_km": check.number(r, "distance_km", required=False, lo=0, hi=5000),
            "mode": check.choice(r, "mode", ROUTE_MODES, "mixed"), "featured": check.boolean(r, "featured"),
            "themes": themes, "stops": stops, "images": _images(check, r, media), "audio": _audio(check, r, media),
            "narration": check.i18n(r, "narration", required=False),
            "sort": check.integer(r, "sort", required=False) or index,
        })  # fmt: skip

    for rel, index, r in raw["heritage"]:
        check, ident = checker(rel, "heritage", index, r)
        check.unknown_keys(
            r,
            {
                "id",
                "name",
                "summary",
                "description",
                "kind",
                "level",
                "inscribed",
                "city",
                "themes",
                "venues",
                "images",
                "narration",
                "sort",
            },
        )
        themes = check.slug_list(r, "themes", required=True)
        for theme in themes:
            ref(check, "themes", "themes", theme)
        venues = check.slug_list(r, "venues", required=False)
        for venue in venues:
            ref(check, "venues", "venues", venue)
        out["heritage"].append({
            "id": ident, "name": check.i18n(r, "name"), "summary": check.i18n(r, "summary"),
            "description": check.i18n(r, "description"), "kind": check.choice(r, "kind", HERITAGE_KINDS),
            "level": check.choice(r, "level", HERITAGE_LEVELS), "city": check.slug(r, "city"),
            "inscribed": check.integer(r, "inscribed", required=False, lo=1900, hi=2100),
            "themes": themes, "venues": venues, "images": _images(check, r, media),
            "narration": check.i18n(r, "narration", required=False),
            "sort": check.integer(r, "sort", required=False) or index,
        })  # fmt: skip

    for rel, index, r in raw["events"]:
        check, ident = checker(rel, "events", index, r)
        check.unknown_keys(
            r,
            {
                "id",
                "title",
                "summary",
                "description",
                "kind",
                "venue",
                "heritage",
                "themes",
                "price",
                "sessions",
                "weekly",
                "images",
                "sort",
            },
        )
        venue = check.slug(r, "venue", required=False)
        if venue:
            ref(check, "venue", "venues", venue)
        heritage = check.slug(r, "heritage", required=False)
        if heritage:
            ref(check, "heritage", "heritage", heritage)
        themes = check.slug_list(r, "themes", required=False)
        for theme in themes:
            ref(check, "themes", "themes", theme)
        sessions = []
        for i, session in enumerate(r.get("sessions") or []):
            if not isinstance(session, dict):
                check.error(f"sessions[{i}]", "expected {start, end}")
                continue
            start = check.timestamp(session.get("start"), f"sessions[{i}].start")
            end = check.timestamp(session.get("end"), f"sessions[{i}].end")
            if start and end and dt.datetime.fromisoformat(end) <= dt.datetime.fromisoformat(start):
                check.error(f"sessions[{i}].end", "must be after start")
            sessions.append({"starts_at": start, "ends_at": end})
        weekly = []
        for i, rule in enumerate(r.get("weekly") or []):
            key = f"weekly[{i}]"
            if not isinstance(rule, dict):
                check.error(key, "expected {days, start, end, from, until}")
                continue
            days = rule.get("days")
            if not isinstance(days, list) or not days or any(d not in hours_mod.DAYS for d in days):
                check.error(f"{key}.days", f"expected a list of {', '.join(hours_mod.DAYS)}")
            for t in ("start", "end"):
                try:
                    hours_mod.parse_hhmm(rule.get(t), f"{key}.{t}")
                except hours_mod.HoursError as exc:
                    check.error(f"{key}.{t}", str(exc).partition(": ")[2])
            dates = {}
            for t in ("from", "until"):
                if t in rule:
                    try:
                        dates[t] = dt.date.fromisoformat(str(rule[t])).isoformat()
                    except ValueError:
                        check.error(f"{key}.{t}", f"{rule[t]!r} is not an ISO date (YYYY-MM-DD)")
            weekly.append(
                {
                    "days": days,
                    "start_time": rule.get("start"),
                    "end_time": rule.get("end"),
                    "from_date": dates.get("from"),
                    "until_date": dates.get("until"),
                }
            )
        if not sessions and not weekly:
            check.error("sessions", "an event needs sessions or a weekly schedule")
        out["events"].append({
            "id": ident, "title": check.i18n(r, "title"), "summary": check.i18n(r, "summary"),
            "description": check.i18n(r, "description", required=False), "kind": check.choice(r, "kind", EVENT_KINDS),
            "venue_id": venue, "heritage_id": heritage, "themes": themes,
            "price": check.i18n(r, "price", required=False), "sessions": sessions, "weekly": weekly,
            "sort": check.integer(r, "sort", required=False) or index,
        })  # fmt: skip

    for rel, index, r in raw["transport"]:
        check, ident = checker(rel, "transport", index, r)
        check.unknown_keys(r, {"id", "kind", "name", "description", "city", "location", "to_city_centre", "sort"})
        lat, lon = _location(check, r, required=False)
        out["transport"].append({
            "id": ident, "kind": check.choice(r, "kind", TRANSPORT_KINDS), "name": check.i18n(r, "name"),
            "description": check.i18n(r, "description"), "city": check.slug(r, "city"), "lat": lat, "lon": lon,
            "to_city_centre": check.i18n(r, "to_city_centre", required=False),
            "sort": check.integer(r, "sort", required=False) or index,
        })  # fmt: skip
    for rel, index, r in raw["pages"]:
        check, ident = checker(rel, "pages", index, r)
        check.unknown_keys(r, {"id", "kind", "title", "body", "sort"})
        out["pages"].append(
            {
                "id": ident,
                "kind": check.choice(r, "kind", PAGE_KINDS),
                "title": check.i18n(r, "title"),
                "body": check.i18n(r, "body"),
                "sort": check.integer(r, "sort", required=False) or index,
            }
        )
    for rel, index, r in raw["notices"]:
        check, ident = checker(rel, "notices", index, r)
        check.unknown_keys(r, {"id", "title", "body", "severity", "starts_at", "ends_at"})
        out["notices"].append({
            "id": ident, "title": check.i18n(r, "title"), "body": check.i18n(r, "body"),
            "severity": check.choice(r, "severity", SEVERITIES, "info"),
            "starts_at": check.timestamp(r["starts_at"], "starts_at") if "starts_at" in r else None,
            "ends_at": check.timestamp(r["ends_at"], "ends_at") if "ends_at" in r else None,
        })  # fmt: skip

    for file, fld, collection, value, _ in pending_refs:
        if value not in ids[collection]:
            problems.append(Problem(file, fld, f"{value!r} is not a known {collection} id"))
    if not out["themes"]:
        problems.append(Problem("themes.yaml", "", "a pack needs at least one theme"))
    return out


def _tickets(check: _Checker, r: dict[str, Any]) -> list[dict[str, Any]]:
    value = r.get("tickets", [])
    if not isinstance(value, list):
        check.error("tickets", "expected a list of {label, price_cny, note}")
        return []
    out = []
    for i, ticket in enumerate(value):
        sub = _Checker(check.problems, check.file, f"{check.prefix}.tickets[{i}]", check.languages)
        if not isinstance(ticket, dict):
            sub.error("", "expected {label, price_cny, note}")
            continue
        sub.unknown_keys(ticket, {"label", "price_cny", "note"})
        out.append(
            {
                "label": sub.i18n(ticket, "label"),
                "price_cny": sub.number(ticket, "price_cny", required=True, lo=0, hi=100000),
                "note": sub.i18n(ticket, "note", required=False),
            }
        )
    return out


def _aliases(check: _Checker, r: dict[str, Any]) -> dict[str, list[str]]:
    value = r.get("aliases", {})
    if not isinstance(value, dict):
        check.error("aliases", "expected a mapping of language tag to a list of names")
        return {}
    out: dict[str, list[str]] = {}
    for tag, names in value.items():
        if not isinstance(tag, str) or not i18n.is_language_tag(tag):
            check.error(f"aliases.{tag}", "not a language tag")
            continue
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            check.error(f"aliases.{tag}", "expected a list of names")
            continue
        out[i18n.canonical_tag(tag)] = [sanitize_text(n) for n in names]
    return out


def _contact(check: _Checker, r: dict[str, Any]) -> dict[str, str]:
    value = r.get("contact", {})
    if not isinstance(value, dict):
        check.error("contact", "expected {phone, website}")
        return {}
    check_sub = _Checker(check.problems, check.file, f"{check.prefix}.contact", check.languages)
    check_sub.unknown_keys(value, {"phone", "website"})
    out = {}
    phone = value.get("phone")
    if phone is not None:
        if not isinstance(phone, str) or not re.fullmatch(r"\+?[0-9 ()-]{3,24}", phone):
            check_sub.error("phone", f"{phone!r} is not a phone number")
        else:
            out["phone"] = phone
    website = value.get("website")
    if website is not None:
        if not isinstance(website, str) or not re.fullmatch(r"https://[^\s<>\"']{3,200}", website):
            check_sub.error("website", f"{website!r} must be an https:// address")
        else:
            out["website"] = website
    return out


def _accessibility(check: _Checker, r: dict[str, Any]) -> dict[str, Any]:
    value = r.get("accessibility", {})
    if not isinstance(value, dict):
        check.error("accessibility", "expected a mapping of facts (true/false) and a note")
        return {}
    sub = _Checker(check.problems, check.file, f"{check.prefix}.accessibility", check.languages)
    sub.unknown_keys(value, {*ACCESSIBILITY_FACTS, "note"})
    out: dict[str, Any] = {}
    for fact in ACCESSIBILITY_FACTS:
        if fact in value:
            if not isinstance(value[fact], bool):
                sub.error(fact, "expected true or false (omit when unknown)")
            else:
                out[fact] = value[fact]
    if "note" in value:
        out["note"] = sub.i18n_value(value["note"], "note", required=False)
    return out


def _load_basemaps(root: Path, media: _MediaCollector, problems: list[Problem]) -> list[dict[str, Any]]:
    folder = root / "maps"
    out = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.mbtiles")):
        rel = path.relative_to(root).as_posix()
        stem = path.stem.lower()
        if not SLUG_RE.match(stem):
            problems.append(Problem(rel, "", "basemap file names must be ids (lowercase letters, digits, '-')"))
            continue
        found = media.add(rel, rel, "", MBTILES_TYPE, MAX_MBTILES_BYTES)
        if not found:
            continue
        try:
            summary = mbtiles_summary(path)
        except (sqlite3.DatabaseError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)  # MBTilesError names the file; Problem already does
            problems.append(Problem(rel, "", f"not a usable raster MBTiles file: {reason}"))
            continue
        out.append({"id": stem, "media": found.sha256, **summary})
    return out
