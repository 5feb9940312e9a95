"""The content digest: same rows give the same digest whatever the file; any changed value changes it."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from content_sync.pack.content_db import write_content_db
from content_sync.pack.digest import content_digest, encode_rows, file_digest, table_digest
from content_sync.pack.schema import CONTENT_TABLES, create_content_schema, primary_key
from content_sync.pack.source import load_source
from tests.support import BUILT_AT, DEMO_SOURCE


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source, problems = load_source(DEMO_SOURCE)
    assert source is not None, problems
    path = tmp_path_factory.mktemp("digest") / "demo.db"
    write_content_db(source, path, BUILT_AT)
    return path


@pytest.fixture
def copy(demo_db: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "copy.db"
    shutil.copyfile(demo_db, dest)
    return dest


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _edit(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_digest_survives_vacuum_and_page_layout(demo_db: Path, copy: Path) -> None:
    _edit(copy, "PRAGMA page_size = 1024")
    conn = sqlite3.connect(copy)
    conn.execute("VACUUM")
    conn.close()
    assert _sha(copy) != _sha(demo_db)  # a different file...
    assert file_digest(copy) == file_digest(demo_db)  # ...with the same content


def test_digest_ignores_insertion_order_and_the_search_index(demo_db: Path, tmp_path: Path) -> None:
    """Rows written in reverse key order, no search index at all: same content, same digest."""
    other = tmp_path / "reversed.db"
    conn = sqlite3.connect(other)
    create_content_schema(conn)
    conn.execute("ATTACH DATABASE ? AS src", (str(demo_db),))
    for table in CONTENT_TABLES:
        key = ", ".join(f"{k} DESC" for k in primary_key(conn, table))
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM src.{table} ORDER BY {key}")
    conn.commit()
    conn.execute("DETACH DATABASE src")
    assert conn.execute("SELECT count(*) FROM search_docs").fetchone()[0] == 0
    conn.close()
    assert _sha(other) != _sha(demo_db)
    assert file_digest(other).value == file_digest(demo_db).value


@pytest.mark.parametrize("table", ["venues", "routes", "images", "media", "meta", "route_stops", "venue_themes"])
def test_any_changed_value_changes_the_digest(copy: Path, table: str) -> None:
    """Each column of one row, changed alone (text gets a character, numbers +1000), changes the digest."""
    before = file_digest(copy)
    conn = sqlite3.connect(copy)
    columns = [(r[1], r[2]) for r in conn.execute(f"PRAGMA table_info({table})")]
    key = primary_key(conn, table)
    first = conn.execute(f"SELECT {', '.join(key)} FROM {table} ORDER BY {', '.join(key)} LIMIT 1").fetchone()
    conn.close()
    where = " AND ".join(f"{k} = {v!r}" for k, v in zip(key, first, strict=True))
    seen = {before.value}
    for name, decl in columns:
        if table == "media" and name == "path":
            continue  # keep the UNIQUE path
        change = f"{name} + 1000" if decl in ("INTEGER", "REAL") else f"{name} || 'x'"
        work = copy.with_name(f"{table}-{name}.db")
        shutil.copyfile(copy, work)
        _edit(work, f"UPDATE {table} SET {name} = coalesce({change}, 0) WHERE {where}")
        after = file_digest(work)
        assert after.value not in seen, f"{table}.{name}"
        assert after.differing(before) == [table]
        seen.add(after.value)


def test_null_and_empty_text_differ(copy: Path) -> None:
    _edit(copy, "UPDATE venues SET hours = NULL")
    nulls = file_digest(copy)
    _edit(copy, "UPDATE venues SET hours = ''")
    assert file_digest(copy).tables["venues"] != nulls.tables["venues"]


def test_type_changes_change_the_digest(tmp_path: Path) -> None:
    """1, 1.0, '1', x'31', NULL and '' are six different values (a column without affinity keeps them)."""
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v)")
    digests = set()
    for value in (1, 1.0, "1", b"1", None, ""):
        conn.execute("DELETE FROM t")
        conn.execute("INSERT INTO t VALUES ('a', ?)", (value,))
        digests.add(table_digest(conn, "t"))
    assert len(digests) == 6
    assert encode_rows([(1, 1.0, "1", None, "", b"\x00")]) == '[1,1.0,"1",null,"",{"blob":"00"}]'


def test_reals_are_exact_and_text_is_unambiguous(tmp_path: Path) -> None:
    """Doubles one ulp apart differ; a NUL or a quote inside text cannot fake a column boundary."""
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, a, b)")

    def digest(*row: object) -> str:
        conn.execute("DELETE FROM t")
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", row)
        return table_digest(conn, "t")

    assert digest("k", 0.1 + 0.2, 0) != digest("k", 0.3, 0)
    assert digest("k", "a\x00b", "") != digest("k", "a\x00c", "")
    assert digest("k", 'x","y', "z") != digest("k", "x", 'y","z')


def test_schema_objects_count(copy: Path, demo_db: Path) -> None:
    """An extra trigger (no row changed) is a different content: it would run on the kiosk."""
    _edit(copy, "CREATE TRIGGER t AFTER INSERT ON notices BEGIN DELETE FROM venues; END")
    after = file_digest(copy)
    assert after.differing(file_digest(demo_db)) == ["schema"]


def test_digest_reuses_unchanged_tables(copy: Path) -> None:
    conn = sqlite3.connect(copy)
    before = content_digest(conn)
    conn.execute("UPDATE pages SET sort = sort + 1")
    partial = content_digest(conn, reuse=before, changed=["pages"])
    assert partial == content_digest(conn)
    assert partial.value != before.value
    conn.close()
