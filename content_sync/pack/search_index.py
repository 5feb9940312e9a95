"""The search index inside every pack, built for the people at a Chinese kiosk.

FTS5 alone does not serve them: the trigram tokenizer finds nothing for two-character
queries (most Chinese words) and unicode61 treats a run of Han characters as one token.
So the index is fed pre-tokenised text in separate columns:

* ``*_bi``  — overlapping character pairs of every CJK run, runs separated by a filler
  token; a query of n >= 2 characters is the phrase of its n-1 pairs, which matches
  exactly where the query is a substring (same recall as ``LIKE '%q%'``);
* ``*_uni`` — single CJK characters, for one-character queries;
* ``*_latin`` — the non-CJK words, matched by prefix (``bridg`` finds "bridge");
* ``name_py`` / ``name_ini`` — full toneless pinyin and pinyin initials of names, every
  suffix starting at a syllable, so ``zhongshan``, ``tieqiao`` and ``zstq`` all find
  中山铁桥 while the visitor is still typing. Names whose characters have more than one
  reading are indexed under the reading in context (with :data:`PLACE_READINGS` for place
  names pypinyin reads wrong: 长治 is changzhi, 六合 luhe) and under the other readings of
  each such character (:func:`name_readings`).

Names and body text are separate columns so that name matches rank first. The builder
writes the index (:func:`rebuild_index`); :mod:`content_sync.store.search` queries it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

_CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3FFFF),  # CJK extensions B..
)
_CJK_RUN_RE = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES) + "\u3007]+")
_RUN_BREAK = "0"  # a token no pair can equal; stops phrases matching across runs
WORD_RE = re.compile(r"\w+")

# Two full-text tables: CJK pairs need positions but no prefix index (by far the most
# tokens); Latin words and pinyin need prefix indexes for typing-as-you-go.
CJK_COLUMNS = ("name_bi", "name_uni", "body_bi", "body_uni")
LATIN_COLUMNS = ("name_latin", "name_py", "name_ini", "body_latin")


def normalize(text: str) -> str:
    """NFKC folds full-width letters from Chinese input methods; case is folded too."""
    return unicodedata.normalize("NFKC", text).casefold()


def split_scripts(text: str) -> tuple[list[str], str]:
    """CJK runs, and the remaining text with each run replaced by a space."""
    return _CJK_RUN_RE.findall(text), _CJK_RUN_RE.sub(" ", text)


def pairs(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _cjk_columns(texts: Iterable[str]) -> tuple[str, str, str]:
    bi: list[str] = []
    uni: list[str] = []
    latin: list[str] = []
    for text in texts:
        runs, rest = split_scripts(normalize(text))
        for run in runs:
            bi.extend(pairs(run))
            bi.append(_RUN_BREAK)
            uni.extend(run)
        latin.append(rest)
    return " ".join(bi), " ".join(uni), " ".join(latin)


# Place names whose reading pypinyin's default gets wrong (checked against pypinyin 0.55):
# the characters have more than one reading and a place keeps an old or local one. Loaded
# into pypinyin's phrase dictionary (its documented way, ``load_phrases_dict``) before the
# first name is read; whole names containing them (长治市, 南京市六合区) then read right.
PLACE_READINGS: dict[str, str] = {
    "长治": "cháng zhì", "长葛": "cháng gě", "长垣": "cháng yuán", "六合": "lù hé",
    "单县": "shàn xiàn", "洪洞": "hóng tóng", "浚县": "xùn xiàn", "筠连": "jūn lián",
    "会稽": "kuài jī", "宕昌": "tàn chāng", "崆峒": "kōng tóng", "繁峙": "fán shì",
    "中牟": "zhōng móu", "解州": "xiè zhōu", "解县": "xiè xiàn", "朝阳": "cháo yáng",
    "武都": "wǔ dū",
}  # fmt: skip
MAX_READINGS = 12  # readings indexed per name: the phrase-aware one, then single-character variants
_places_loaded = False


def _load_place_readings() -> None:
    global _places_loaded
    if _places_loaded:
        return
    from pypinyin import load_phrases_dict

    load_phrases_dict({name: [[syllable] for syllable in reading.split()] for name, reading in PLACE_READINGS.items()})
    _places_loaded = True


def name_readings(text: str) -> list[list[str]]:
    """Toneless pinyin readings of the Han characters in ``text``, the likeliest first.

    The first is pypinyin's reading in context (its phrase dictionary plus
    :data:`PLACE_READINGS`); then, for each character with more than one reading, the
    same with that one character read otherwise (长 as chang or zhang, 六 as liu or lu), so
    a visitor who knows a local reading pypinyin does not still finds the place. At most
    :data:`MAX_READINGS` readings.
    """
    from pypinyin import Style, lazy_pinyin, pinyin  # heavy import: only where an index is built

    _load_place_readings()
    runs, _ = split_scripts(text)
    han = "".join(runs)
    if not han:
        return []

    def clean(syllables: Sequence[str]) -> list[str]:
        return [s.lower() for s in syllables if s.isascii() and s.isalnum()]

    base = lazy_pinyin(han, style=Style.NORMAL)
    readings = [clean(base)]
    if len(base) == len(han):  # one syllable per character: variants can be made position by position
        for i, char in enumerate(han):
            for other in pinyin(char, style=Style.NORMAL, heteronym=True)[0]:
                if len(readings) >= MAX_READINGS:
                    break
                variant = clean([*base[:i], other, *base[i + 1 :]])
                if variant not in readings:
                    readings.append(variant)
    return [r for r in readings if r]


def _pinyin_columns(names: Iterable[str]) -> tuple[str, str]:
    full: list[str] = []
    initials: list[str] = []
    for name in names:
        # Pinyin of the whole name (Han runs joined) so multi-run names still read on.
        for syllables in name_readings(name):
            for i in range(len(syllables)):
                full.append("".join(syllables[i:]))
                initials.append("".join(s[0] for s in syllables[i:]))
    return " ".join(dict.fromkeys(full)), " ".join(dict.fromkeys(initials))


def index_columns(names: Sequence[str], body: Sequence[str]) -> dict[str, str]:
    name_bi, name_uni, name_latin = _cjk_columns(names)
    name_py, name_ini = _pinyin_columns(names)
    body_bi, body_uni, body_latin = _cjk_columns(body)
    return {
        "name_bi": name_bi, "name_uni": name_uni, "name_latin": name_latin,
        "name_py": name_py, "name_ini": name_ini,
        "body_bi": body_bi, "body_uni": body_uni, "body_latin": body_latin,
    }  # fmt: skip


# --- building the index from content rows ---------------------------------------------

# kind -> (table, name columns, body columns, boost expression)
_DOC_SOURCES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], str]] = {
    "venue": ("venues", ("name", "aliases"), ("summary", "description", "address", "tags"), "featured"),
    "route": ("routes", ("name",), ("summary", "description"), "featured"),
    "event": ("events", ("title",), ("summary", "description"), "0"),
    "heritage": ("heritage", ("name", "aliases"), ("summary", "description"), "0"),
    "transport": ("transport", ("name",), ("description",), "0"),
    "page": ("pages", ("title",), ("body",), "0"),
}


def _strings(value: str | None) -> list[str]:
    """Every string inside a JSON column (i18n object, list of tags, aliases per language)."""
    if not value:
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for item in node.values():
                walk(item)

    walk(data)
    return out


def documents(conn: sqlite3.Connection) -> Iterator[tuple[str, str, list[str], list[str], int]]:
    """``(kind, id, name texts, body texts, boost)`` for everything searchable."""
    for kind, (table, name_cols, body_cols, boost) in _DOC_SOURCES.items():
        cols = ", ".join((*name_cols, *body_cols))
        for row in conn.execute(f"SELECT id, {boost}, {cols} FROM {table} ORDER BY sort, id"):
            ref_id, boost_value, *values = row
            names = [s for v in values[: len(name_cols)] for s in _strings(v)]
            body = [s for v in values[len(name_cols) :] for s in _strings(v)]
            yield kind, ref_id, names, body, int(boost_value or 0)


def rebuild_index(conn: sqlite3.Connection) -> int:
    for table in ("search_docs", "search_cjk", "search_latin"):
        conn.execute(f"DELETE FROM {table}")
    docs, cjk, latin = [], [], []
    for rowid, (kind, ref_id, names, body, boost) in enumerate(documents(conn), start=1):
        docs.append((rowid, kind, ref_id, min((len(n) for n in names), default=0), boost))
        cols = index_columns(names, body)
        cjk.append((rowid, *(cols[c] for c in CJK_COLUMNS)))
        latin.append((rowid, *(cols[c] for c in LATIN_COLUMNS)))
    conn.executemany("INSERT INTO search_docs (rowid, kind, ref_id, name_len, boost) VALUES (?,?,?,?,?)", docs)
    for table, columns, rows in (("search_cjk", CJK_COLUMNS, cjk), ("search_latin", LATIN_COLUMNS, latin)):
        marks = ",".join("?" * (len(columns) + 1))
        conn.executemany(f"INSERT INTO {table} (rowid, {', '.join(columns)}) VALUES ({marks})", rows)
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    return len(docs)


# table -> kind, for the tables that feed documents
DOC_TABLES: dict[str, str] = {table: kind for kind, (table, *_rest) in _DOC_SOURCES.items()}


def _document(conn: sqlite3.Connection, kind: str, ref_id: str) -> tuple[list[str], list[str], int] | None:
    table, name_cols, body_cols, boost = _DOC_SOURCES[kind]
    cols = ", ".join((*name_cols, *body_cols))
    row = conn.execute(f"SELECT {boost}, {cols} FROM {table} WHERE id = ?", (ref_id,)).fetchone()
    if row is None:
        return None
    boost_value, *values = row
    names = [s for v in values[: len(name_cols)] for s in _strings(v)]
    body = [s for v in values[len(name_cols) :] for s in _strings(v)]
    return names, body, int(boost_value or 0)


def update_documents(conn: sqlite3.Connection, refs: Iterable[tuple[str, str]]) -> int:
    """Re-index only the documents ``(kind, id)`` whose rows changed (a delta update).

    A document whose row is gone is removed; one that exists is indexed again under a new
    rowid (ties in ranking fall back to rowid, so an updated document sorts after its
    equals, where a full rebuild would order them by ``sort``). Cheaper than
    :func:`rebuild_index` by the size of the city: a one-venue change touches one row.
    """
    count = 0
    next_rowid = (conn.execute("SELECT max(rowid) FROM search_docs").fetchone()[0] or 0) + 1
    for kind, ref_id in sorted(set(refs)):
        old = conn.execute("SELECT rowid FROM search_docs WHERE kind = ? AND ref_id = ?", (kind, ref_id)).fetchone()
        if old is not None:
            for table in ("search_docs", "search_cjk", "search_latin"):
                conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (old[0],))
        doc = _document(conn, kind, ref_id)
        if doc is None:
            continue
        names, body, boost = doc
        conn.execute(
            "INSERT INTO search_docs (rowid, kind, ref_id, name_len, boost) VALUES (?,?,?,?,?)",
            (next_rowid, kind, ref_id, min((len(n) for n in names), default=0), boost),
        )
        cols = index_columns(names, body)
        for table, columns in (("search_cjk", CJK_COLUMNS), ("search_latin", LATIN_COLUMNS)):
            marks = ",".join("?" * (len(columns) + 1))
            conn.execute(
                f"INSERT INTO {table} (rowid, {', '.join(columns)}) VALUES ({marks})",
                (next_rowid, *(cols[c] for c in columns)),
            )
        next_rowid += 1
        count += 1
    return count


def substring_scan(conn: sqlite3.Connection, query: str) -> set[tuple[str, str]]:
    """Reference answer for recall checks: documents whose text contains ``query``."""
    needle = normalize(query)
    found: set[tuple[str, str]] = set()
    for kind, ref_id, names, body, _ in documents(conn):
        if any(needle in normalize(t) for t in (*names, *body)):
            found.add((kind, ref_id))
    return found
