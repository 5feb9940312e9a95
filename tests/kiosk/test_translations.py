"""The interface catalogs: every language loads, zh-Hans and en are complete, the code and the
catalogs name the same ids, placeholders match, and plurals follow CLDR in every language.

Only the translation modules are imported here (no Qt); the last tests render the real home
screen and import Qt inside them.
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural

from kiosk_app import translations as catalogs
from kiosk_app.strings import LANGUAGE_NAMES, REQUIRED_LANGUAGES, SOURCE_LANGUAGE, Translator
from tests.support import BUILT_AT, INSTALLED_AT, MINI_SOURCE

LANGUAGES = catalogs.languages()
ENGLISH = catalogs.messages(catalogs.read_catalog(SOURCE_LANGUAGE))


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def one_number_forms(tag: str) -> set[int]:
    """Plural form indexes chosen for exactly one number (CLDR's zero/one/two): they may leave out {n}."""
    index_of = gettext.c2py(get_plural(catalogs.babel_locale(tag)).plural_expr)
    numbers: dict[int, set[int]] = {}
    for n in range(10_000):
        numbers.setdefault(index_of(n), set()).add(n)
    return {i for i, ns in numbers.items() if len(ns) == 1}


# -- every language ----------------------------------------------------------------------------
def test_every_shipped_language_has_a_catalog_that_loads() -> None:
    assert set(LANGUAGES) == set(LANGUAGE_NAMES) and LANGUAGES[0] == SOURCE_LANGUAGE
    for tag in LANGUAGES:
        with catalogs.mo_path(tag).open("rb") as f:
            assert gettext.GNUTranslations(f).gettext("app.title") != "app.title", tag
        assert Translator(tag, fallback=())("nav.home")


def test_plural_forms_are_cldrs_as_babel_gives_them() -> None:
    for tag in LANGUAGES:
        catalog = catalogs.read_catalog(tag)
        assert catalog.plural_forms == get_plural(catalogs.babel_locale(tag)).plural_forms, tag
        wrong = [key for key, m in catalogs.messages(catalog).items()
                 if m.pluralizable and len(catalogs.forms(m)) != catalog.num_plurals]  # fmt: skip
        assert wrong == [], tag


@pytest.mark.parametrize("tag", REQUIRED_LANGUAGES)
def test_required_languages_are_complete(tag: str) -> None:
    """Every id, every plural form: the last languages of every fallback chain."""
    mine = catalogs.messages(catalogs.read_catalog(tag))
    assert sorted(set(ENGLISH) - set(mine)) == []
    assert [key for key, m in mine.items() if not catalogs.is_complete(m)] == []


@pytest.mark.parametrize("tag", [t for t in LANGUAGES if t not in REQUIRED_LANGUAGES])
def test_what_a_visitor_reads_is_translated_in_every_other_language(tag: str) -> None:
    """A Japanese, Korean, Russian or Arabic visitor meets no English on the visitor's screens (the
    room page, night mode, reach mode, handwriting, the header); the operator's pages may fall back."""
    mine = catalogs.messages(catalogs.read_catalog(tag))
    missing = [key for key in ENGLISH if not key.startswith("operator.")
               and (key not in mine or not catalogs.is_complete(mine[key]))]  # fmt: skip
    assert missing == []


def test_other_languages_hold_only_english_ids_in_the_same_shape() -> None:
    for tag in LANGUAGES:
        mine = catalogs.messages(catalogs.read_catalog(tag))
        assert sorted(set(mine) - set(ENGLISH)) == [], tag
        assert [key for key, m in mine.items() if m.pluralizable != ENGLISH[key].pluralizable] == [], tag


def test_placeholders_match_english() -> None:
    """A translation uses only the English placeholders and keeps all of them, except that a
    plural form chosen for one number only ("one", "two" in Arabic) may say the number in words."""
    wrong = []
    for tag in LANGUAGES:
        may_omit_count = one_number_forms(tag)
        for key, message in catalogs.messages(catalogs.read_catalog(tag)).items():
            english = set().union(*(placeholders(t) for t in catalogs.forms(ENGLISH[key])))
            for i, text in enumerate(catalogs.forms(message)):
                if not text:
                    continue
                needed = english - {"n"} if message.pluralizable and i in may_omit_count else english
                if not needed <= placeholders(text) <= english:
                    wrong.append((tag, key, i, text))
                text.format(**dict.fromkeys(english, 1))  # and it formats
    assert wrong == []


def test_messages_with_placeholders_are_flagged_python_brace_format() -> None:
    """Weblate and Poedit check placeholders by this flag (Babel cannot infer it from a bare id)."""
    for tag in LANGUAGES:
        entries = catalogs.po_path(tag).read_text(encoding="utf-8").split("\n\n")[1:]
        flagged = {e.split('msgid "')[1].split('"')[0] for e in entries if "#, python-brace-format" in e}
        expected = {k for k, m in ENGLISH.items() if any("{" in t for t in catalogs.forms(m))}
        assert flagged == expected, tag


def test_english_hints_for_translators_are_current() -> None:
    for tag in LANGUAGES[1:]:
        for key, message in catalogs.messages(catalogs.read_catalog(tag)).items():
            # Babel wraps comments at 76 columns whatever width it writes messages at: read them as one.
            assert " ".join(message.auto_comments) == f"en: {catalogs.source_text(ENGLISH[key])}", (tag, key)


def test_compiled_catalogs_are_the_po_files_as_they_are_now() -> None:
    """Run ``python -m kiosk_app.translations compile`` after editing a .po file."""
    assert catalogs.compile_catalogs(check=True) == []


# -- the code and the catalogs -----------------------------------------------------------------
USED = catalogs.extract_ids()


def test_every_id_the_code_uses_is_in_english_and_chinese() -> None:
    used = {key for found in USED.values() for key in found}
    for tag in REQUIRED_LANGUAGES:
        mine = catalogs.messages(catalogs.read_catalog(tag))
        assert {key: USED["tr"].get(key) or USED["n"].get(key) or USED["N_"][key]
                for key in used - set(mine)} == {}, tag  # fmt: skip


def test_plain_and_plural_calls_match_their_messages() -> None:
    assert [(k, where) for k, where in USED["tr"].items() if ENGLISH[k].pluralizable] == []
    assert [(k, where) for k, where in USED["n"].items() if not ENGLISH[k].pluralizable] == []


def test_every_id_in_the_catalogs_is_used() -> None:
    used = {key for found in USED.values() for key in found}
    assert sorted(set(ENGLISH) - used) == []


def test_the_extractor_can_see_every_id() -> None:
    """Ids built at run time (``tr(f"day.{d}")``) or named inside an f-string (Python 3.11 reads an
    f-string as one token) escape the extractor: declare them in a table of full ids with N_()."""
    hidden = []
    for path in sorted(catalogs.PACKAGE_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_fstrings = {id(n) for f in ast.walk(tree) if isinstance(f, ast.JoinedStr) for n in ast.walk(f)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args and _keyword(node.func)):
                continue
            first = node.args[0]
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            if isinstance(first, (ast.JoinedStr, ast.BinOp, ast.IfExp)) or (literal and id(node) in in_fstrings):
                hidden.append(f"{path.relative_to(catalogs.PACKAGE_DIR)}:{node.lineno}: {ast.unparse(node)}")
    assert hidden == []


def _keyword(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("tr", "N_")
    return isinstance(func, ast.Attribute) and func.attr in ("tr", "n")


# -- plural rules per language -----------------------------------------------------------------
def test_english_plurals() -> None:
    tr = Translator("en")
    assert [tr.n("home.open_now_count", n) for n in (1, 2)] == ["1 place open now", "2 places open now"]
    assert [tr.n("status.updated_days", n) for n in (1, 2)] == ["updated 1 day ago", "updated 2 days ago"]
    assert [tr.n("search.results", n) for n in (1, 2)] == ["1 result", "2 results"]
    assert [tr.n("routes.stops", n) for n in (1, 2)] == ["1 stop", "2 stops"]
    assert tr.n("idle.warning", 1) == "Still there? Returning to the start in 1 second."


def test_russian_plurals() -> None:
    tr = Translator("ru")
    numbers = (1, 2, 5, 11, 21, 22, 25)
    assert [tr.n("routes.stops", n) for n in numbers] == [
        "1 остановка", "2 остановки", "5 остановок", "11 остановок", "21 остановка", "22 остановки", "25 остановок",
    ]  # fmt: skip
    assert [tr.n("status.updated_days", n) for n in (1, 3, 12)] == [
        "обновлено 1 день назад", "обновлено 3 дня назад", "обновлено 12 дней назад",
    ]  # fmt: skip


def test_arabic_plurals() -> None:
    tr = Translator("ar")
    assert [tr.n("search.results", n) for n in (0, 1, 2, 3, 11, 100)] == [
        "لا نتائج", "نتيجة واحدة", "نتيجتان", "3 نتائج", "11 نتيجة", "100 نتيجة",
    ]  # fmt: skip
    assert [tr.n("routes.count", n) for n in (3, 11, 100)] == ["3 مسارات", "11 مسارًا", "100 مسار"]


@pytest.mark.parametrize("tag", ["ja", "ko", "zh-Hans"])
def test_languages_without_plurals_have_a_single_form(tag: str) -> None:
    catalog = catalogs.read_catalog(tag)
    assert catalog.num_plurals == 1
    tr = Translator(tag, fallback=())
    for key, message in catalogs.messages(catalog).items():
        if message.pluralizable:
            assert tr.n(key, 1).replace("1", "7") == tr.n(key, 7), (tag, key)


# -- fallback, on catalogs made for the test --------------------------------------------------
def write_catalog(locale_dir: Path, tag: str, messages: dict[str, str | tuple[str, ...]]) -> None:
    catalog = Catalog(locale=catalogs.babel_locale(tag), domain="kiosk", fuzzy=False)
    for key, text in messages.items():
        catalog.add((key, key) if isinstance(text, tuple) else key, text)
    target = catalogs.mo_path(tag, locale_dir)
    target.parent.mkdir(parents=True)
    target.write_bytes(catalogs.compiled(catalog))


@pytest.fixture
def partial(tmp_path: Path) -> Path:
    """en complete; ru with one plural translated and one left empty; ja with one plain string."""
    write_catalog(tmp_path, "en", {"x.hello": "Hello", "x.stops": ("{n} stop", "{n} stops"),
                                   "x.days": ("{n} day", "{n} days")})  # fmt: skip
    write_catalog(tmp_path, "ru", {"x.stops": ("{n} остановка", "{n} остановки", "{n} остановок"),
                                   "x.days": ("{n} день", "", "")})  # fmt: skip
    write_catalog(tmp_path, "ja", {"x.hello": "こんにちは"})
    return tmp_path


def test_a_missing_string_falls_back_per_string(partial: Path) -> None:
    ja = Translator("ja", ("en",), locale_dir=partial)
    assert ja("x.hello") == "こんにちは"
    assert [ja.n("x.stops", n) for n in (1, 2)] == ["1 stop", "2 stops"]  # English text, English rule


def test_a_plural_uses_the_rule_of_the_language_whose_text_it_shows(partial: Path) -> None:
    ru = Translator("ru", ("en",), locale_dir=partial)
    assert [ru.n("x.stops", n) for n in (1, 21, 22, 25)] == [
        "1 остановка", "21 остановка", "22 остановки", "25 остановок",
    ]  # fmt: skip
    # Partly translated plurals are left out of the compiled catalog: all English, not a gap.
    assert [ru.n("x.days", n) for n in (1, 21)] == ["1 day", "21 days"]
    assert ru("x.hello") == "Hello"


def test_unknown_ids_fail_loudly_and_has_tells_beforehand(partial: Path) -> None:
    ja = Translator("ja", (), locale_dir=partial)
    assert ja.has("x.hello") and not ja.has("x.stops")
    with pytest.raises(KeyError):
        ja("x.stops")
    with pytest.raises(KeyError):
        Translator("en", (), locale_dir=partial).n("x.hello", 2)  # a plain message is not a plural one


def test_a_bare_or_regional_tag_finds_the_catalog() -> None:
    assert Translator("zh", ()).n("routes.stops", 3) == "3 站"
    assert Translator("zh-Hans-CN", ()).n("routes.stops", 3) == "3 站"
    assert Translator("fr")("nav.home") == "Home"
    assert Translator("ar").rtl and not Translator("en").rtl


def test_the_translation_module_needs_neither_qt_nor_babel() -> None:
    script = (
        "import sys\nfrom kiosk_app.strings import Translator\n"
        "Translator('ar').n('search.results', 3)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'babel', 'shiboken6')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


# -- the real home screen ----------------------------------------------------------------------
SHANGHAI = "Asia/Shanghai"


def open_now_text(kiosk) -> str:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    from kiosk_app.widgets.common import Card

    kiosk.nav.go("home")
    tile = kiosk.nav.currentWidget().findChild(Card, "home-open_now")
    return tile.findChildren(QLabel)[-1].text()


@pytest.fixture
def lobby_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A hotel lobby kiosk in English: its home shows how many places are open now."""
    from kiosk_app.config import load_config

    path = tmp_path / "kiosk.toml"
    path.write_text('[kiosk]\nprofile = "hotel_lobby"\n[languages]\ndefault = "en"\n', encoding="utf-8")
    config = load_config(path)
    assert config.problems == () and "open_now" in config.home_sections
    return config


class TestOpenNowOnTheMiniPack:
    """The demo pack has a dozen places that never close, so "one place open" needs the small
    test pack: the Zhongshan Bridge (always open), a museum (Tue-Sun 9-17) and a night market (18-01)."""

    @pytest.fixture(scope="class")
    @classmethod
    def demo_data(cls, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
        from content_sync.device.install import Installer
        from content_sync.device.layout import DataDir
        from content_sync.pack.build import build_pack
        from content_sync.pack.signing import SigningKey

        root = tmp_path_factory.mktemp("mini-kiosk")
        key = SigningKey.generate("translation-tests")
        build_pack(MINI_SOURCE, root / "mini.kpack", keys=[key], now=BUILT_AT)
        data = DataDir(root / "data")
        Installer(data, [key.public], "stable", clock=lambda: INSTALLED_AT).install(root / "mini.kpack")
        return data

    def test_one_place_open_is_singular(self, make_kiosk, lobby_config) -> None:  # type: ignore[no-untyped-def]
        from zoneinfo import ZoneInfo

        monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo(SHANGHAI))  # the museum is closed on Mondays
        kiosk = make_kiosk(config=lobby_config, now=monday)
        assert len(kiosk.ctx.store.venues(open_at=monday)) == 1
        assert open_now_text(kiosk) == "1 place open now"

    def test_two_places_open_are_plural(self, make_kiosk, lobby_config) -> None:  # type: ignore[no-untyped-def]
        from zoneinfo import ZoneInfo

        saturday = dt.datetime(2026, 11, 21, 10, 30, tzinfo=ZoneInfo(SHANGHAI))
        kiosk = make_kiosk(config=lobby_config, now=saturday)
        assert open_now_text(kiosk) == "2 places open now"


def test_many_places_open_on_the_demo_pack(make_kiosk, lobby_config) -> None:  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    saturday = dt.datetime(2026, 11, 21, 10, 30, tzinfo=ZoneInfo(SHANGHAI))
    kiosk = make_kiosk(config=lobby_config, now=saturday)
    count = len(kiosk.ctx.store.venues(open_at=saturday))
    assert count > 2 and open_now_text(kiosk) == f"{count} places open now"
