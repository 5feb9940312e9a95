"""Multilingual text: every human-readable field is a mapping of BCP-47 tag to text.

A kiosk serves visitors in many languages while a pack may only carry some of them, so
every lookup goes through one fallback rule instead of ad-hoc ``.get("en")`` calls.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence

# RFC 5646 well-formedness, the subset that matters for content: language, optional
# script, region, variants. Private-use and grandfathered tags are not accepted.
_TAG_RE = re.compile(
    r"^[a-zA-Z]{2,3}"  # language
    r"(-[a-zA-Z]{4})?"  # script
    r"(-([a-zA-Z]{2}|[0-9]{3}))?"  # region
    r"(-([a-zA-Z0-9]{5,8}|[0-9][a-zA-Z0-9]{3}))*\Z"  # variants
)

DEFAULT_FALLBACK: tuple[str, ...] = ("en", "zh-Hans")

# Scripts written right to left; the UI mirrors its layout for these languages.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ug", "yi", "ps", "sd", "dv"})


def is_language_tag(tag: str) -> bool:
    return bool(_TAG_RE.match(tag))


@functools.lru_cache(maxsize=256)
def canonical_tag(tag: str) -> str:
    """Case-normalise a tag (``ZH-hans-cn`` -> ``zh-Hans-CN``) so lookups are exact."""
    parts = tag.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def truncations(tag: str) -> list[str]:
    """``zh-Hans-CN`` -> ``["zh-Hans-CN", "zh-Hans", "zh"]`` (RFC 4647 lookup order)."""
    parts = canonical_tag(tag).split("-")
    return ["-".join(parts[:i]) for i in range(len(parts), 0, -1)]


def lookup_order(lang: str, fallback: Sequence[str] = DEFAULT_FALLBACK) -> list[str]:
    return list(_lookup_order(lang, tuple(fallback)))


@functools.lru_cache(maxsize=64)
def _lookup_order(lang: str, fallback: tuple[str, ...]) -> tuple[str, ...]:
    # Every string on every screen asks this (thousands of times a minute): worked out once.
    order: list[str] = []
    for tag in [lang, *fallback]:
        for candidate in truncations(tag):
            if candidate not in order:
                order.append(candidate)
    return tuple(order)


def pick(
    texts: Mapping[str, str] | None,
    lang: str,
    fallback: Sequence[str] = DEFAULT_FALLBACK,
) -> tuple[str, str | None]:
    """Return ``(text, language_used)``; ``("", None)`` when there is no text at all.

    A bare ``zh`` in the content also serves ``zh-Hans`` visitors and the reverse, because
    editors write either.
    """
    if not texts:
        return "", None
    canon = {canonical_tag(k): v for k, v in texts.items() if v}
    for candidate in _lookup_order(lang, tuple(fallback)):
        if candidate in canon:
            return canon[candidate], candidate
        # A content tag that is more specific than the request still serves it:
        # a "zh" visitor reads "zh-Hans" content.
        for tag, value in canon.items():
            if tag.startswith(candidate + "-"):
                return value, tag
    tag, value = next(iter(canon.items()), ("", ""))
    return (value, tag) if value else ("", None)


def text(texts: Mapping[str, str] | None, lang: str, fallback: Sequence[str] = DEFAULT_FALLBACK) -> str:
    return pick(texts, lang, fallback)[0]


def loads(value: str | None) -> dict[str, str]:
    """Decode an i18n column; anything that is not a JSON object of strings reads as empty."""
    if not value:
        return {}
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def dumps(texts: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(texts.items())), ensure_ascii=False, separators=(",", ":"))


def is_rtl(lang: str) -> bool:
    return canonical_tag(lang).split("-")[0] in RTL_LANGUAGES
