"""Developer tools for the interface catalogs; they need Babel (the ``test`` extra), the kiosk never does.

    python -m kiosk_app.translations compile           # .po -> .mo, for every language
    python -m kiosk_app.translations compile --check   # exit 1 if a .mo is stale (CI)
    python -m kiosk_app.translations update            # bring every .po in line with en, then compile

The ``.po`` files are the source of truth; the ``.mo`` files next to them are what the kiosk
reads (``kiosk_app.strings``) and are committed, so a kiosk needs no build step. A test
recompiles every catalog and fails if the committed ``.mo`` differs. See docs/translations.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from .strings import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE

PACKAGE_DIR = Path(__file__).resolve().parent
BRACE_FLAG = "python-brace-format"

# How the code names a string, for Babel's Python extractor: ``tr("id")`` a plain message,
# ``tr.n("id", count)`` a plural one, ``N_("id")`` either (an id kept in a table, looked up later).
KEYWORDS = ("tr", "n", "N_")


def babel_locale(tag: str) -> str:
    """``zh-Hans`` (the app's BCP-47 tag and folder name) -> ``zh_Hans`` (Babel's and gettext's)."""
    return tag.replace("-", "_")


def po_path(tag: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / tag / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(tag: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return po_path(tag, locale_dir).with_suffix(".mo")


def languages(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """Every language with a .po file, the source language first."""
    tags = sorted(p.name for p in locale_dir.iterdir() if po_path(p.name, locale_dir).is_file())
    return sorted(tags, key=lambda t: t != SOURCE_LANGUAGE)


def read_catalog(tag: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    with po_path(tag, locale_dir).open("rb") as f:
        return read_po(f, locale=babel_locale(tag), domain=DOMAIN)


def message_id(message: Message) -> str:
    """The symbolic id (a plural message's msgid_plural repeats it)."""
    return message.id[0] if isinstance(message.id, tuple) else message.id


def forms(message: Message) -> tuple[str, ...]:
    """Every text of a message: one for a plain message, one per plural form otherwise."""
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string,)


def is_complete(message: Message) -> bool:
    """Translated in every form and not marked fuzzy: only such messages reach the kiosk."""
    return bool(message.id) and not message.fuzzy and all(forms(message))


def messages(catalog: Catalog) -> dict[str, Message]:
    """The catalog's messages by symbolic id (the header left out)."""
    return {message_id(m): m for m in catalog if m.id}


class _CompiledCatalog(Catalog):
    """A catalog whose .mo header holds only what gettext reads: no dates, no Babel version.

    So the bytes depend on the texts alone, and the stale-.mo test does not fail because
    someone compiled at another time or with another Babel.
    """

    def __init__(self, locale: str, plural_forms: str) -> None:
        super().__init__(locale=locale, domain=DOMAIN, fuzzy=False)
        self._headers = [
            ("Language", locale),
            ("Plural-Forms", plural_forms),
            ("Content-Type", "text/plain; charset=UTF-8"),
        ]

    @property  # type: ignore[override]
    def mime_headers(self) -> list[tuple[str, str]]:
        return self._headers


def compiled(catalog: Catalog) -> bytes:
    """The .mo bytes of a catalog. Untranslated, partly translated plural and fuzzy messages are
    left out, so the kiosk falls back to the next language instead of showing an empty text."""
    out = _CompiledCatalog(str(catalog.locale_identifier), catalog.plural_forms)
    for message in catalog:
        if is_complete(message):
            out[message.id] = Message(message.id, message.string)
    buffer = io.BytesIO()
    write_mo(buffer, out)
    return buffer.getvalue()


def compile_catalogs(locale_dir: Path = LOCALE_DIR, *, check: bool = False) -> list[Path]:
    """Compile every .po; return the .mo files that were (or, with ``check``, would be) changed."""
    changed = []
    for tag in languages(locale_dir):
        data = compiled(read_catalog(tag, locale_dir))
        target = mo_path(tag, locale_dir)
        if not target.is_file() or target.read_bytes() != data:
            changed.append(target)
            if not check:
                target.write_bytes(data)
    return changed


def source_text(message: Message) -> str:
    """The English text shown to translators as a hint: the "other" form of a plural message."""
    return forms(message)[-1]


def update_catalogs(locale_dir: Path = LOCALE_DIR) -> None:
    """Bring every language's .po in line with the English one, as msgmerge does for bilingual files.

    Adds the ids English has (untranslated), drops the ids it no longer has, makes a message
    plural where English has it plural, sets Plural-Forms from CLDR (through Babel), refreshes
    the ``#. en:`` hints and the brace-format flags. Translations and translators' comments stay.
    """
    source_catalog = read_catalog(SOURCE_LANGUAGE, locale_dir)
    source = messages(source_catalog)
    for tag in languages(locale_dir):
        catalog = read_catalog(tag, locale_dir)
        old = messages(catalog)
        plural = get_plural(babel_locale(tag))
        out = Catalog(
            locale=babel_locale(tag),
            domain=DOMAIN,
            header_comment=catalog.header_comment,
            project=source_catalog.project,  # the project's, not the language's (a new file has none)
            version=source_catalog.version,
            creation_date=catalog.creation_date,
            revision_date=catalog.revision_date,
            fuzzy=False,
        )
        out.msgid_bugs_address = catalog.msgid_bugs_address
        out.last_translator, out.language_team = catalog.last_translator, catalog.language_team
        for key, english in source.items():
            mine = old.get(key)
            if english.pluralizable:
                texts = list(forms(mine)) if mine is not None and mine.pluralizable else []
                texts = (texts + [""] * plural.num_plurals)[: plural.num_plurals]
                message = out.add((key, key), tuple(texts))
            else:
                text = "" if mine is None or mine.pluralizable else forms(mine)[0]
                message = out.add(key, text)
            if mine is not None:
                message.user_comments = mine.user_comments
                message.flags.update(mine.flags - {BRACE_FLAG})
            if tag != SOURCE_LANGUAGE:
                message.auto_comments = [f"en: {source_text(english)}"]
            # Babel decides this flag from the msgid, which in a monolingual catalog is the bare id.
            if any("{" in text for text in forms(english)):
                message.flags.add(BRACE_FLAG)
        with po_path(tag, locale_dir).open("wb") as f:
            write_po(f, out, width=0)


def extract_ids(package_dir: Path = PACKAGE_DIR) -> dict[str, dict[str, list[str]]]:
    """For each keyword, the ids the code names with it and where: Babel's Python extractor."""
    out: dict[str, dict[str, list[str]]] = {}
    for keyword in KEYWORDS:
        found = out.setdefault(keyword, {})
        # Babel warns about every f-string argument (times, prices), not only ids: the tests
        # check for ids it cannot see (built at run time, or inside an f-string) themselves.
        with contextlib.redirect_stderr(io.StringIO()):
            results = list(extract_from_dir(package_dir, [("**.py", "python")], keywords={keyword: None}))
        for filename, lineno, message, _comments, _context in results:
            key = message[0] if isinstance(message, tuple) else message
            if key:
                found.setdefault(key, []).append(f"{filename}:{lineno}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk_app.translations", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    compile_cmd = sub.add_parser("compile", help="compile every .po to the .mo next to it")
    compile_cmd.add_argument("--check", action="store_true", help="only report stale .mo files (exit 1 if any)")
    sub.add_parser("update", help="bring every .po in line with the English one, then compile")
    args = parser.parse_args(argv)
    if args.command == "update":
        update_catalogs()
    changed = compile_catalogs(check=args.command == "compile" and args.check)
    _report(changed, stale=args.command == "compile" and args.check)
    return 1 if changed and args.command == "compile" and args.check else 0


def _report(paths: Iterable[Path], *, stale: bool) -> None:
    for path in paths:
        print(f"{'stale' if stale else 'wrote'}: {path.relative_to(PACKAGE_DIR.parent)}")


if __name__ == "__main__":
    sys.exit(main())
