"""Search latency on the synthetic city's content DB against a full-scan LIKE baseline.

For each query kind, ~30 distinct queries are sampled (seeded) from the venues' own names and
texts, each run warm through ``search.search(conn, q, limit=30)`` several times; p50/p95 are
over every timed call. The baseline, measured in the same run on the same connection, is the
p50 over the same queries of
``SELECT id FROM venues WHERE name LIKE '%q%' OR description LIKE '%q%' OR aliases LIKE '%q%'``.
Target: search p95 <= 0.25 x scan p50 for every kind.

Usage: ``.venv/bin/python -m benchmarks.bench_search [--venues N] [--queries 30] [--reps 5] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content_sync.pack import search_index
from content_sync.store import search

from .synthetic_city import DEFAULT_MEDIA, DEFAULT_SEED, DEFAULT_VENUES, CityConfig, ensure_content_db

TARGET_RATIO = 0.25
LIMIT = 30
SCAN_SQL = "SELECT id FROM venues WHERE name LIKE ? OR description LIKE ? OR aliases LIKE ?"

KINDS: dict[str, str] = {
    "zh1": "Chinese 1 char",
    "zh2": "Chinese 2 chars",
    "zh34": "Chinese 3-4 chars",
    "pinyin": "full pinyin",
    "initials": "pinyin initials",
    "en_word": "English word",
    "en_prefix": "English prefix",
}
_EN_STOP = frozenset({
    "the", "and", "for", "with", "from", "that", "this", "there", "their", "here", "have", "been", "into",
    "over", "were", "once", "they", "these", "those", "your", "you", "its", "are", "was", "can", "all",
})  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    data = sorted(values)
    if not data:
        return float("nan")
    pos = (len(data) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def open_db(path: Path) -> sqlite3.Connection:
    """Opened the way the kiosk's store opens an installed content DB."""
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro&immutable=1", uri=True)
    conn.execute("PRAGMA trusted_schema = OFF")
    return conn


# --- query sampling -----------------------------------------------------------------------


def _texts(conn: sqlite3.Connection, rng: random.Random, sample: int) -> list[tuple[list[str], list[str]]]:
    """(name texts, description texts) of ``sample`` venues picked by ``rng``."""
    ids = [r[0] for r in conn.execute("SELECT id FROM venues ORDER BY id")]
    picked = rng.sample(ids, min(sample, len(ids)))
    out = []
    for ref in picked:
        name, aliases, desc = conn.execute(
            "SELECT name, aliases, description FROM venues WHERE id = ?", (ref,)
        ).fetchone()
        names = search_index._strings(name) + search_index._strings(aliases)
        out.append((names, search_index._strings(desc)))
    return out


def _cjk_runs(texts: list[str], min_len: int) -> list[str]:
    runs: list[str] = []
    for text in texts:
        found, _ = search_index.split_scripts(text)
        runs += [r for r in found if len(r) >= min_len]
    return runs


def _syllables(name: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    runs, _ = search_index.split_scripts(name)
    return [s.lower() for s in lazy_pinyin("".join(runs), style=Style.NORMAL) if s.isascii() and s.isalpha()]


def _latin_words(texts: list[str]) -> list[str]:
    words = []
    for text in texts:
        _, rest = search_index.split_scripts(text)
        words += [w.lower() for w in search_index.WORD_RE.findall(rest) if w.isascii() and w.isalpha()]
    return [w for w in words if len(w) >= 4 and w not in _EN_STOP]


def sample_queries(conn: sqlite3.Connection, per_kind: int, seed: int) -> dict[str, list[str]]:
    """``per_kind`` distinct queries per kind, drawn (seeded) from venue names (mostly) and texts."""
    rng = random.Random(f"queries-{seed}")
    docs = _texts(conn, rng, max(400, per_kind * 40))
    queries: dict[str, list[str]] = {kind: [] for kind in KINDS}

    def add(kind: str, make: Callable[[list[str], list[str]], str | None]) -> None:
        attempts = 0
        while len(queries[kind]) < per_kind and attempts < per_kind * 200:
            attempts += 1
            names, body = rng.choice(docs)
            query = make(names, body)
            if query and query not in queries[kind]:
                queries[kind].append(query)

    def chinese(lo: int, hi: int) -> Callable[[list[str], list[str]], str | None]:
        def make(names: list[str], body: list[str]) -> str | None:
            runs = _cjk_runs(names if rng.random() < 0.7 else body, lo)
            if not runs:
                return None
            run = rng.choice(runs)
            size = rng.randint(lo, min(hi, len(run)))
            start = rng.randint(0, len(run) - size)
            return run[start : start + size]

        return make

    def pinyin(initials: bool) -> Callable[[list[str], list[str]], str | None]:
        def make(names: list[str], body: list[str]) -> str | None:
            zh = [n for n in names if search_index.split_scripts(n)[0]]
            if not zh:
                return None
            syllables = _syllables(rng.choice(zh))
            size = rng.randint(3, 5) if initials else rng.randint(2, 3)
            if len(syllables) < size:
                return None
            start = rng.randint(0, len(syllables) - size)
            part = syllables[start : start + size]
            return "".join(s[0] for s in part) if initials else "".join(part)

        return make

    def english(prefix: bool) -> Callable[[list[str], list[str]], str | None]:
        def make(names: list[str], body: list[str]) -> str | None:
            words = _latin_words(names if rng.random() < 0.6 else body)
            if prefix:
                words = [w for w in words if len(w) >= 5]
            if not words:
                return None
            word = rng.choice(words)
            return word[: rng.randint(3, min(5, len(word) - 1))] if prefix else word

        return make

    add("zh1", chinese(1, 1))
    add("zh2", chinese(2, 2))
    add("zh34", chinese(3, 4))
    add("pinyin", pinyin(initials=False))
    add("initials", pinyin(initials=True))
    add("en_word", english(prefix=False))
    add("en_prefix", english(prefix=True))
    return queries


# --- measuring ----------------------------------------------------------------------------


@dataclass
class KindResult:
    kind: str
    queries: list[str]
    search_ms: list[float] = field(default_factory=list)  # every timed call
    per_query_ms: dict[str, float] = field(default_factory=dict)  # median per query
    scan_ms: dict[str, float] = field(default_factory=dict)  # per query
    hits: dict[str, int] = field(default_factory=dict)

    @property
    def p50(self) -> float:
        return percentile(self.search_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.search_ms, 95)

    @property
    def scan_p50(self) -> float:
        return percentile(list(self.scan_ms.values()), 50)

    @property
    def ratio(self) -> float:
        return self.p95 / self.scan_p50

    @property
    def passed(self) -> bool:
        return self.ratio <= TARGET_RATIO


def time_search(conn: sqlite3.Connection, query: str, reps: int) -> tuple[list[float], int]:
    hits = search.search(conn, query, limit=LIMIT)  # warm-up, not timed
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        search.search(conn, query, limit=LIMIT)
        times.append((time.perf_counter() - t0) * 1000)
    return times, len(hits)


def time_scan(conn: sqlite3.Connection, query: str, reps: int) -> float:
    like = f"%{query}%"
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        conn.execute(SCAN_SQL, (like, like, like)).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times)


def index_sizes(path: Path) -> dict[str, int]:
    """Bytes of the search structures (via dbstat) and of the whole file, whatever FTS5 tables the schema has."""
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
    try:
        pages = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
        fts = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")]
        docs = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'search_docs'")]
    finally:
        conn.close()
    shadow = {name: size for name, size in pages.items() if any(name.startswith(t + "_") for t in fts)}
    stored_text = sum(size for name, size in shadow.items() if name.endswith("_content"))
    return {
        "fts_tables": len(fts),
        "fts_index": sum(shadow.values()) - stored_text,
        "fts_content": stored_text,
        "search_docs": sum(pages.get(name, 0) for name in docs),
        "venues_table": pages.get("venues", 0),
        "db_file": path.stat().st_size,
    }


def match_count(conn: sqlite3.Connection, query: str) -> int:
    """Documents matching anywhere (names or text), through the public API."""
    return len(search.search(conn, query, limit=None))


def run(
    db: Path,
    *,
    per_kind: int = 30,
    reps: int = 5,
    scan_reps: int = 1,
    seed: int = DEFAULT_SEED,
    profile: bool = False,
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    conn = open_db(db)
    try:
        queries = sample_queries(conn, per_kind, seed)
        venues = conn.execute("SELECT count(*) FROM venues").fetchone()[0]
        docs = conn.execute("SELECT count(*) FROM search_docs").fetchone()[0]
        out(f"search benchmark: {venues:,} venues, {docs:,} indexed documents, {db.name}")
        out(f"  {per_kind} queries per kind, {reps} timed runs each after a warm-up, limit={LIMIT}; "
            f"baseline: full-scan LIKE, best of {scan_reps}")  # fmt: skip
        # Warm the OS page cache for the table the baseline reads, once.
        conn.execute(SCAN_SQL, ("%\x01%",) * 3).fetchall()
        results: list[KindResult] = []
        for kind, label in KINDS.items():
            res = KindResult(kind, queries[kind])
            for q in res.queries:
                times, res.hits[q] = time_search(conn, q, reps)
                res.search_ms += times
                res.per_query_ms[q] = statistics.median(times)
            for q in res.queries:
                res.scan_ms[q] = time_scan(conn, q, scan_reps)
            results.append(res)
            out(f"  .. {label}: p95 {res.p95:.2f} ms, scan p50 {res.scan_p50:.1f} ms")
        sizes = index_sizes(db)
        print_table(results, sizes, out)
        slow = [r for r in results if not r.passed]
        print_slowest(conn, results, out)
        if profile and slow:
            profile_kinds(conn, slow, reps, out)
    finally:
        conn.close()
    return {
        "passed": all(r.passed for r in results),
        "rows": [
            {"kind": r.kind, "p50_ms": r.p50, "p95_ms": r.p95, "scan_p50_ms": r.scan_p50, "ratio": r.ratio,
             "passed": r.passed, "queries": r.queries}
            for r in results
        ],
        "sizes": sizes,
    }  # fmt: skip


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def print_table(results: list[KindResult], sizes: dict[str, int], out: Callable[[str], None]) -> None:
    out("")
    out(f"{'kind':<18} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'scan p50 ms':>12} {'p95/scan':>9} {'target':>7}  result")
    for r in results:
        out(f"{KINDS[r.kind]:<18} {len(r.queries):>3} {r.p50:>8.2f} {r.p95:>8.2f} {r.scan_p50:>12.1f} "
            f"{r.ratio:>9.3f} {'<=' + str(TARGET_RATIO):>7}  {'PASS' if r.passed else 'FAIL'}")  # fmt: skip
    index_total = sizes["fts_index"] + sizes["fts_content"] + sizes["search_docs"]
    out("")
    out(f"index size: {_mib(index_total)} = FTS5 index {_mib(sizes['fts_index'])} ({sizes['fts_tables']} tables) "
        f"+ FTS5 stored text {_mib(sizes['fts_content'])} + search_docs {_mib(sizes['search_docs'])}")  # fmt: skip
    out(f"DB size:    {_mib(sizes['db_file'])} (venues table alone {_mib(sizes['venues_table'])}; "
        f"index is {index_total / sizes['db_file']:.0%} of the file)")  # fmt: skip


def print_slowest(conn: sqlite3.Connection, results: list[KindResult], out: Callable[[str], None]) -> None:
    out("")
    out("slowest query per kind (median of its runs; documents matching anywhere):")
    for r in results:
        q, ms = max(r.per_query_ms.items(), key=lambda kv: kv[1])
        out(f"  {KINDS[r.kind]:<18} {q!r:<14} {ms:8.2f} ms  {match_count(conn, q):>7,} matches  "
            f"scan {r.scan_ms[q]:.1f} ms")  # fmt: skip


def profile_kinds(conn: sqlite3.Connection, slow: list[KindResult], reps: int, out: Callable[[str], None]) -> None:
    """cProfile of the failing kinds, and the time of each SQL statement search() runs for the slowest query."""
    for r in slow:
        q = max(r.per_query_ms.items(), key=lambda kv: kv[1])[0]
        prof = cProfile.Profile()
        prof.enable()
        for query in r.queries:
            for _ in range(reps):
                search.search(conn, query, limit=LIMIT)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(6)
        out("")
        out(f"cProfile, {KINDS[r.kind]} ({len(r.queries)} queries x {reps}), top functions by own time:")
        for line in buf.getvalue().splitlines():
            if line.strip() and (line.lstrip()[0].isdigit() or "ncalls" in line):
                out("  " + line.rstrip())
        statements: list[str] = []
        conn.set_trace_callback(statements.append)  # SQL with its parameters expanded
        try:
            search.search(conn, q, limit=LIMIT)
        finally:
            conn.set_trace_callback(None)
        out(f"SQL run by search({q!r}, limit={LIMIT}), each statement re-run alone:")
        for sql in statements:
            if sql.lstrip().startswith("--"):
                continue  # FTS5's own internal statements, run inside the ones above
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                rows = conn.execute(sql).fetchall()
                times.append((time.perf_counter() - t0) * 1000)
            out(f"  {statistics.median(times):8.2f} ms  {len(rows):>6,} rows  {' '.join(sql.split())[:150]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Search latency vs full-scan LIKE on the synthetic city.")
    parser.add_argument("--venues", type=int, default=DEFAULT_VENUES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--media", type=int, default=DEFAULT_MEDIA)
    parser.add_argument("--queries", type=int, default=30, help="queries per kind")
    parser.add_argument("--reps", type=int, default=5, help="timed runs per query")
    parser.add_argument("--scan-reps", type=int, default=1, help="full-scan runs per query (best is kept)")
    parser.add_argument("--profile", action="store_true", help="cProfile and SQL statements of failing kinds")
    args = parser.parse_args(argv)
    db, _ = ensure_content_db(CityConfig(args.venues, args.seed, args.media))
    result = run(db, per_kind=args.queries, reps=args.reps, scan_reps=args.scan_reps, seed=args.seed,
                 profile=args.profile)  # fmt: skip
    raise SystemExit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
