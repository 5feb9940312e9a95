"""Interface strings: gettext catalogs looked up per string through the visitor's language chain.

The texts live in ``locale/<lang>/LC_MESSAGES/kiosk.po`` (monolingual: the msgid is a symbolic
id such as ``nav.home``; English is the source) and are compiled to the ``.mo`` files next to
them, which the standard library reads: the kiosk never imports Babel. Content (venue names,
descriptions) comes from packs; these catalogs are only the interface around it.

zh-Hans and en are complete (a test fails otherwise); other languages may be partial and fall
back per string, like content does. A plural message is answered by the first catalog in the
chain that has it, with that catalog's own plural rule. See docs/translations.md.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Mapping, Sequence
from pathlib import Path

from content_sync.core import i18n

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kiosk"
SOURCE_LANGUAGE = "en"
REQUIRED_LANGUAGES = ("zh-Hans", "en")

# Each language's own name, as shown on its switch button.
LANGUAGE_NAMES: dict[str, str] = {
    "zh-Hans": "中文", "en": "English", "ja": "日本語", "ko": "한국어", "ru": "Русский", "ar": "العربية",
}  # fmt: skip

# What a catalog answers for an id it does not have (never a real text: it holds a NUL).
_MISSING = "\0missing"


def N_(message_id: str) -> str:
    """Mark an id that is looked up later (kept in a table, passed on): the extractor sees it here."""
    return message_id


class _Missing(gettext.NullTranslations):
    """The end of every catalog's own fallback: says "not here" so the next language is asked."""

    def gettext(self, message: str) -> str:
        return _MISSING

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return _MISSING


@functools.cache
def available(locale_dir: Path = LOCALE_DIR) -> frozenset[str]:
    """Language tags with a compiled catalog (folder names are the BCP-47 tags the app uses)."""
    if not locale_dir.is_dir():
        return frozenset()
    return frozenset(p.name for p in locale_dir.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file())


@functools.cache
def catalog(tag: str, locale_dir: Path = LOCALE_DIR) -> gettext.GNUTranslations:
    """One language's compiled catalog, read once (it is never changed after loading)."""
    with (locale_dir / tag / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as f:
        translations = gettext.GNUTranslations(f)
    translations.add_fallback(_Missing())
    return translations


@functools.lru_cache(maxsize=64)
def chain(lang: str, fallback: tuple[str, ...], locale_dir: Path = LOCALE_DIR) -> tuple[gettext.GNUTranslations, ...]:
    """The catalogs to ask, in order: the visitor's language, then the session's fallback.

    Same rule as content (``content_sync.i18n.pick``): ``zh-Hans-CN`` is served by ``zh-Hans``,
    and a bare ``zh`` by a more specific ``zh-Hans``.
    """
    tags = available(locale_dir)
    out: list[str] = []
    for candidate in i18n.lookup_order(lang, fallback):
        # A more specific catalog serves a bare tag: a "zh" visitor reads "zh-Hans".
        found = next((t for t in sorted(tags) if t == candidate or t.startswith(candidate + "-")), None)
        if found is not None and found not in out:
            out.append(found)
    return tuple(catalog(tag, locale_dir) for tag in out)


class Translator:
    """Looks up interface strings for one language, with the same fallback as content.

    ``tr("nav.home")`` for a plain message, ``tr.n("search.results", 3)`` for a plural one
    (the count is also the ``{n}`` placeholder). Cheap to make: catalogs are cached.
    """

    def __init__(self, lang: str, fallback: Sequence[str] = ("en", "zh-Hans"), locale_dir: Path = LOCALE_DIR) -> None:
        self.lang = lang
        self.fallback = tuple(fallback)
        self.locale_dir = locale_dir

    def _catalogs(self) -> tuple[gettext.GNUTranslations, ...]:
        return chain(self.lang, self.fallback, self.locale_dir)

    def __call__(self, key: str, **values: object) -> str:
        for translations in self._catalogs():
            text = translations.gettext(key)
            if text is not _MISSING:
                return text.format(**values) if values else text
        raise KeyError(f"no interface string {key!r}")

    def n(self, key: str, count: int, **values: object) -> str:
        """A plural message: the form for ``count`` under the rule of the language that has the text."""
        for translations in self._catalogs():
            text = translations.ngettext(key, key, count)
            if text is not _MISSING:
                return text.format(n=count, **values)
        raise KeyError(f"no plural interface string {key!r}")

    def has(self, key: str) -> bool:
        """Whether any language in this translator's chain has the string."""
        return any(t.gettext(key) is not _MISSING for t in self._catalogs())

    def content(self, texts: Mapping[str, str] | None) -> str:
        """Pack content in this language, falling back per field."""
        return i18n.text(texts, self.lang, self.fallback)

    @property
    def rtl(self) -> bool:
        return i18n.is_rtl(self.lang)
