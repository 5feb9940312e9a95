"""Searching a pack's index as a visitor types (the index itself: :mod:`content_sync.pack.search_index`)."""

from __future__ import annotations

import bisect
import difflib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from ..pack.search_index import WORD_RE, documents, normalize, pairs, split_scripts


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def build_match(query: str, *, names_only: bool) -> tuple[str | None, str | None]:
    """FTS5 MATCH expressions for what a visitor typed: (for search_cjk, for search_latin).

    Either is ``None`` when the query has no part in that script; both are ``None`` when
    nothing is searchable.
    """
    runs, rest = split_scripts(normalize(query))
    words = WORD_RE.findall(rest)
    prefix = ("name_",) if names_only else ("name_", "body_")
    clauses: list[str] = []
    for run in runs:
        if len(run) == 1:
            cols = " ".join(p + "uni" for p in prefix)
            clauses.append(f"{{{cols}}} : {_quote(run)}")
        else:
            cols = " ".join(p + "bi" for p in prefix)
            clauses.append(f"{{{cols}}} : {_quote(' '.join(pairs(run)))}")
    latin = None
    if words:
        cols = " ".join(p + "latin" for p in prefix)
        alternatives = ["{" + cols + "} : (" + " AND ".join(_quote(w) + "*" for w in words) + ")"]
        joined = "".join(words)
        if joined.isascii() and joined.isalpha():
            alternatives.append(f"name_py : {_quote(joined)}*")
            alternatives.append(f"name_ini : {_quote(joined)}*")
        latin = " OR ".join(alternatives)
    return (" AND ".join(clauses) if clauses else None), latin


@dataclass(frozen=True)
class SearchHit:
    kind: str
    ref_id: str
    in_name: bool


def _tier_sql(cjk: str | None, latin: str | None, kind_filter: str) -> tuple[str, list[object]]:
    """Drive the query from one full-text table; require the other through its rowids."""
    driver, other = ("search_cjk", "search_latin") if cjk else ("search_latin", "search_cjk")
    first, second = (cjk, latin) if cjk else (latin, None)
    sql = (
        f"SELECT d.rowid, d.kind, d.ref_id FROM {driver} f JOIN search_docs d ON d.rowid = f.rowid "
        f"WHERE {driver} MATCH ?"
    )
    args: list[object] = [first]
    if second:
        sql += f" AND d.rowid IN (SELECT rowid FROM {other} WHERE {other} MATCH ?)"
        args.append(second)
    return sql + kind_filter + " ORDER BY d.boost DESC, d.name_len, d.rowid", args


def search(
    conn: sqlite3.Connection,
    query: str,
    *,
    limit: int | None = 50,
    kinds: Sequence[str] | None = None,
) -> list[SearchHit]:
    """Name matches first (featured, then shortest name), then matches in the text."""
    name_match = build_match(query, names_only=True)
    any_match = build_match(query, names_only=False)
    if name_match == (None, None):
        return []
    kind_filter = ""
    params: list[object] = []
    if kinds:
        kind_filter = f" AND d.kind IN ({','.join('?' * len(kinds))})"
        params = list(kinds)
    hits: list[SearchHit] = []
    seen: set[int] = set()
    for (cjk, latin), in_name in ((name_match, True), (any_match, False)):
        remaining = None if limit is None else limit - len(hits)
        if remaining is not None and remaining <= 0:
            break
        sql, args = _tier_sql(cjk, latin, kind_filter)
        args += params
        if remaining is not None:
            sql += " LIMIT ?"
            args.append(remaining + len(seen))
        for rowid, kind, ref_id in conn.execute(sql, args):
            if rowid in seen:
                continue
            seen.add(rowid)
            hits.append(SearchHit(kind, ref_id, in_name))
            if remaining is not None and len(hits) >= (limit or 0):
                break
    return hits


# --- "did you mean" ---------------------------------------------------------------------

SUGGEST_CUTOFF = 0.75  # difflib ratio below which a name is not offered (measured on the demo index)
MIN_SUGGEST_CHARS = 3


@dataclass(frozen=True)
class Suggestion:
    kind: str
    ref_id: str
    term: str  # the indexed name, alias or pinyin the query resembles


def _vocabulary(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """``(term, kind, ref_id)`` for every name and alias, their words and their pinyin readings."""
    terms: list[tuple[str, str, str]] = []
    for kind, ref_id, names, _body, _boost in documents(conn):
        for name in names:
            text = " ".join(normalize(name).split())
            terms.append((text, kind, ref_id))
            terms += [(word, kind, ref_id) for word in WORD_RE.findall(text) if len(word) >= 4 and word != text]
    rows = conn.execute(
        "SELECT d.kind, d.ref_id, f.name_py FROM search_latin f JOIN search_docs d ON d.rowid = f.rowid"
    )
    for kind, ref_id, readings in rows:
        terms += [(token, kind, ref_id) for token in (readings or "").split() if len(token) >= 4]
    return terms


def suggest(conn: sqlite3.Connection, query: str) -> Suggestion | None:
    """The indexed name closest to ``query``, for "did you mean" when a search found nothing.

    Similarity is :class:`difflib.SequenceMatcher`'s ratio against the whole term and against
    its beginning as long as the query (a visitor stops typing before the name ends):
    "lanzou" → "lanzhou…", "maijshan" → "maijishan…", "beaf noodles" → "beef noodles". The
    standard library is enough here: the demo index has about 3,000 terms and this runs on
    the search worker (see ``benchmarks/`` for the figure).
    """
    needle = " ".join(normalize(query).split())
    if len(needle.replace(" ", "")) < MIN_SUGGEST_CHARS:
        return None
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(needle)
    best: tuple[float, int, str, str, str] | None = None
    for term, kind, ref_id in _vocabulary(conn):
        score = 0.0
        for candidate in {term, term[: len(needle)]}:
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() < SUGGEST_CUTOFF or matcher.quick_ratio() < SUGGEST_CUTOFF:
                continue
            score = max(score, matcher.ratio())
        # Ties go to the shorter term: the whole name rather than a longer one that starts alike.
        if score >= SUGGEST_CUTOFF and (best is None or (score, -len(term)) > (best[0], best[1])):
            best = (score, -len(term), term, kind, ref_id)
    if best is None or best[2] == needle:
        return None
    return Suggestion(best[3], best[4], best[2])


# --- pinyin candidates from the pack's own names ------------------------------------------

MAX_LEXICON_CANDIDATES = 12


class PinyinLexicon:
    """Chinese words from the pack's names, found by the pinyin a visitor has typed so far.

    The words are every name and alias (in any Chinese language tag) and their two- and
    one-character pieces, each with its reading in context, so "maiji" offers 麦积山石窟
    and 麦积 and "tianshui" 天水. Built once per content version off the GUI thread
    (:meth:`from_index` reads pypinyin); :meth:`candidates` is a binary search, quick
    enough to run on every key.
    """

    def __init__(self, entries: Sequence[tuple[str, str, int]]) -> None:
        # (reading, word, rank): whole names rank 0, pieces 1; sorted by reading for bisect.
        self._entries = sorted(set(entries))
        self._readings = [reading for reading, _word, _rank in self._entries]

    @classmethod
    def from_index(cls, conn: sqlite3.Connection) -> PinyinLexicon:
        from ..pack.search_index import name_readings

        entries: list[tuple[str, str, int]] = []
        for _kind, _ref_id, names, _body, _boost in documents(conn):
            for name in names:
                for run in split_scripts(name)[0]:
                    readings = name_readings(run)
                    if not readings or len(readings[0]) != len(run):
                        continue  # not one syllable per character: cannot cut it into pieces
                    syllables = readings[0]
                    for reading in readings:
                        entries.append(("".join(reading), run, 0))
                    for size in (2, 1):
                        for i in range(len(run) - size + 1):
                            entries.append(("".join(syllables[i : i + size]), run[i : i + size], 1))
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def candidates(self, typed: str, limit: int = MAX_LEXICON_CANDIDATES) -> list[str]:
        """Words whose reading starts with ``typed``: exact readings first, then whole names, shortest first."""
        typed = typed.lower()
        if not typed:
            return []
        start = bisect.bisect_left(self._readings, typed)
        found: list[tuple[int, int, int, str]] = []
        for reading, word, rank in self._entries[start:]:
            if not reading.startswith(typed):
                break
            found.append((0 if reading == typed else 1, rank, len(word), word))
        found.sort()
        return list(dict.fromkeys(word for *_order, word in found))[:limit]
