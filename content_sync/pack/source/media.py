"""Media files a pack source names: found, bounded, sniffed, hashed once and stored by hash."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core import i18n
from ...core.errors import Problem
from ..sanitize import sanitize_text
from .checker import SLUG_RE, Checker

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
AUDIO_TYPES = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".wav": "audio/wav"}
MBTILES_TYPE = {".mbtiles": "application/vnd.mbtiles"}
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_AUDIO_BYTES = 100 * 1024 * 1024
MAX_MBTILES_BYTES = 2 * 1024 * 1024 * 1024


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


class MediaCollector:
    """Media files under one folder; collectors of one source share ``by_hash`` (one copy per content)."""

    def __init__(self, root: Path, problems: list[Problem], by_hash: dict[str, MediaFile] | None = None) -> None:
        self.root = root.resolve()
        self.problems = problems
        self.by_path: dict[str, MediaFile] = {}
        self.by_hash: dict[str, MediaFile] = {} if by_hash is None else by_hash

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
    """Zoom range, format and bounds of an MBTiles file (see :mod:`content_sync.maps.mbtiles`)."""
    from ...maps.mbtiles import mbtiles_summary as summary  # lazy: keeps load_source's import light

    return summary(path)


def images(check: Checker, record: dict[str, Any], media: MediaCollector) -> list[dict[str, Any]]:
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
        sub = Checker(check.problems, check.file, f"{check.prefix}.{key}", check.languages)
        sub.unknown_keys(image, {"file", "caption", "credit", "licence"})
        found = media.add(image.get("file"), check.file, f"{check.prefix}.{key}.file", IMAGE_TYPES, MAX_IMAGE_BYTES)
        caption = sub.i18n(image, "caption", required=False)
        credit, licence = image.get("credit"), image.get("licence")
        if isinstance(credit, dict):  # a phrase translated per language, e.g. {zh-Hans: ..., en: ...}
            texts = sub.i18n_value(credit, "credit", required=False)
            credit = i18n.dumps(texts) if texts else ""
            if not texts:
                sub.error("credit", "missing: say who made the image")
        elif not isinstance(credit, str) or not credit.strip():
            sub.error("credit", "missing: say who made the image")
        else:
            credit = sanitize_text(credit)
            if credit.startswith("{"):  # the pack reads that as translated text
                sub.error("credit", "a plain credit cannot start with '{'; give a mapping to translate it")
        if not isinstance(licence, str) or not licence.strip():
            sub.error("licence", "missing: give the licence (e.g. CC0-1.0, CC-BY-4.0)")
        if found:
            out.append({
                "media": found.sha256, "caption": caption,
                "credit": credit if isinstance(credit, str) else "", "licence": sanitize_text(str(licence or "")),
            })  # fmt: skip
    return out


def audio(check: Checker, record: dict[str, Any], media: MediaCollector) -> dict[str, str]:
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


def load_basemaps(root: Path, media: MediaCollector, problems: list[Problem]) -> list[dict[str, Any]]:
    folder = root / "maps"
    out: list[dict[str, Any]] = []
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
