"""Checking one record of a pack source: each helper records a problem and returns a clean value."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ...core import i18n
from ...core.errors import Problem
from .. import content_schema
from ..sanitize import sanitize_text

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}\Z")
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}\Z")
TAG_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}\Z")
DISTRICT_RE = re.compile(r"^[0-9]{6}\Z")
_MARKUP_RE = re.compile(r"<[a-zA-Z/!?]|&#?\w+;")


class Checker:
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
        try:
            return content_schema.ID.check(value)  # the installer's words
        except content_schema.Invalid as exc:
            self.error(key, str(exc))
            return None

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


def location(check: Checker, record: dict[str, Any], *, required: bool) -> tuple[float | None, float | None]:
    value = record.get("location")
    if value is None:
        if required:
            check.error("location", "missing: give {lat: .., lon: ..} in WGS84 degrees")
        return None, None
    if not isinstance(value, dict):
        check.error("location", "expected {lat: .., lon: ..}")
        return None, None
    sub = Checker(check.problems, check.file, f"{check.prefix}.location", check.languages)
    lat = sub.number(value, "lat", required=True, lo=-90, hi=90)
    lon = sub.number(value, "lon", required=True, lo=-180, hi=180)
    return lat, lon
