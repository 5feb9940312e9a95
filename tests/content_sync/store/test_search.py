"""Search as visitors at a Chinese kiosk type: Chinese substrings, pinyin, initials, English."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path

import pytest

from content_sync.pack import search_index
from content_sync.pack.content_db import write_content_db
from content_sync.pack.source import load_source
from content_sync.store import search
from tests.support import DEMO_SOURCE, MINI_SOURCE


def _content_db(source: Path, dest: Path) -> sqlite3.Connection:
    loaded, problems = load_source(source)
    assert loaded is not None, [str(p) for p in problems if not p.warning]
    write_content_db(loaded, dest, dt.datetime(2026, 11, 21, tzinfo=dt.UTC))
    return sqlite3.connect(dest)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    return _content_db(DEMO_SOURCE, tmp_path_factory.mktemp("demo") / "content.db")


@pytest.fixture(scope="module")
def mini_db(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    return _content_db(MINI_SOURCE, tmp_path_factory.mktemp("mini") / "content.db")


def ids(conn: sqlite3.Connection, query: str, limit: int | None = 30) -> list[str]:
    return [hit.ref_id for hit in search.search(conn, query, limit=limit)]


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("中山铁桥", "full Chinese name"),
        ("铁桥", "two-character Chinese word"),
        ("铁", "single Chinese character"),
        ("山铁桥", "three-character substring"),
        ("zhongshan", "full pinyin, no tones"),
        ("ZhongShan", "pinyin in mixed case"),
        ("zhong shan", "pinyin with a space"),
        ("tieqiao", "pinyin of the middle of the name"),
        ("zstq", "pinyin initials"),
        ("zst", "pinyin initials as typed so far"),
        ("iron bridge", "English words"),
        ("bridg", "English prefix as typed so far"),
        ("Ｉｒｏｎ", "full-width letters from a Chinese input method"),
        ("黄河第一桥", "Chinese alias"),
    ],
)
def test_each_query_kind_finds_the_bridge_first(mini_db: sqlite3.Connection, query: str, kind: str) -> None:
    found = ids(mini_db, query)
    assert found and found[0] == "zhongshan-iron-bridge", f"{kind}: {query!r} gave {found}"


def test_demo_content_each_query_kind(demo_db: sqlite3.Connection) -> None:
    """The same kinds on the real demo content, names ranked before text matches."""
    cases = {
        "铁桥": "zhongshan-iron-bridge",
        "中山铁桥": "zhongshan-iron-bridge",
        "zhongshan": "zhongshan-iron-bridge",
        "zstq": "zhongshan-iron-bridge",
        "iron bridge": "zhongshan-iron-bridge",
        "bridg": None,  # several bridge-related names; the iron bridge must be among them
        "麦积山": None,
        "maiji": None,
        "fuxi": None,
        "伏羲": None,
        "water wheel": None,
    }
    for query, first in cases.items():
        hits = search.search(demo_db, query, limit=30)
        assert hits, f"nothing found for {query!r}"
        if first:
            assert hits[0].ref_id == first, (query, [h.ref_id for h in hits[:5]])
        names_then_text = [h.in_name for h in hits]
        assert names_then_text == sorted(names_then_text, reverse=True), f"{query!r}: name matches must come first"
    assert "zhongshan-iron-bridge" in ids(demo_db, "bridg")


def _cjk_substrings(conn: sqlite3.Connection, length: int, count: int, seed: int) -> list[str]:
    pool: set[str] = set()
    for _kind, _id, names, body, _boost in search_index.documents(conn):
        for text in (*names, *body):
            for run in search_index.split_scripts(search_index.normalize(text))[0]:
                pool.update(run[i : i + length] for i in range(len(run) - length + 1))
    ordered = sorted(pool)
    random.Random(seed).shuffle(ordered)
    return ordered[:count]


@pytest.mark.parametrize("length", [1, 2, 3, 4])
def test_chinese_recall_equals_substring_scan(demo_db: sqlite3.Connection, length: int) -> None:
    queries = _cjk_substrings(demo_db, length, 150, seed=length)
    assert len(queries) >= 100
    for query in queries:
        expected = search_index.substring_scan(demo_db, query)
        got = {(h.kind, h.ref_id) for h in search.search(demo_db, query, limit=None)}
        assert got == expected, f"{query!r}: missing {expected - got}, extra {got - expected}"


def test_queries_that_are_not_substrings_find_nothing(mini_db: sqlite3.Connection) -> None:
    # Adjacent CJK runs must not join into false matches ("中山" + "，" + "铁桥").
    assert ids(mini_db, "山铁桥黄") == []
    assert ids(mini_db, "桥中") == []
    assert ids(mini_db, "xyzzy") == []


@pytest.mark.parametrize("query", ["", "   ", "!!!", '"', "*", "AND", "NEAR(", "a OR", '铁" OR "x', "-", "'"])
def test_odd_input_never_raises(mini_db: sqlite3.Connection, query: str) -> None:
    assert isinstance(search.search(mini_db, query), list)


def test_limit_and_kinds(mini_db: sqlite3.Connection) -> None:
    assert len(search.search(mini_db, "河", limit=1)) == 1
    kinds = {h.kind for h in search.search(mini_db, "河", kinds=["route"])}
    assert kinds == {"route"}
