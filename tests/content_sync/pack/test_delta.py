"""Deltas: A + delta(A, B) gives B's content exactly, or a plain refusal and no new file."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from content_sync.pack import delta_format
from content_sync.pack.content_db import write_content_db
from content_sync.pack.delta import Delta, DeltaError, apply_delta, diff_table, make_delta
from content_sync.pack.digest import file_digest
from content_sync.pack.search_index import rebuild_index
from content_sync.pack.source import load_source
from content_sync.store import search
from tests.support import BUILT_AT, DEMO_SOURCE, set_version


def _build(source_dir: Path, dest: Path) -> Path:
    source, problems = load_source(source_dir)
    assert source is not None, problems
    write_content_db(source, dest, BUILT_AT)
    return dest


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(DEMO_SOURCE, tmp_path_factory.mktemp("delta") / "demo.db")


@pytest.fixture
def base(demo_db: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "a.db"
    shutil.copyfile(demo_db, dest)
    return dest


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _variant(base: Path, name: str, *sql: str) -> Path:
    """A copy of ``base`` with ``sql`` run on it and its search index rebuilt (as a publisher's build)."""
    dest = base.with_name(name)
    shutil.copyfile(base, dest)
    conn = sqlite3.connect(dest)
    conn.execute("UPDATE meta SET value = CAST(value + 1 AS TEXT) WHERE key = 'content_version'")
    for statement in sql:
        conn.execute(statement)
    rebuild_index(conn)
    conn.commit()
    conn.close()
    return dest


def _delta(a: Path, b: Path) -> Delta:
    ca, cb = sqlite3.connect(a), sqlite3.connect(b)
    try:
        return make_delta(ca, cb)
    finally:
        ca.close()
        cb.close()


def _roundtrip(a: Path, b: Path, codec: str = "xz") -> tuple[Delta, Path]:
    """Publish (diff, serialise) and apply (parse, apply) like a kiosk; returns the delta and the result."""
    wire = delta_format.dumps(_delta(a, b), codec)
    delta = delta_format.loads(wire)
    out = a.with_name("out.db")
    before = _sha(a)
    result = apply_delta(a, delta, out)
    assert _sha(a) == before, "the base was modified"
    assert result.digest.value == file_digest(b).value == file_digest(out).value
    assert _index(out) == _index(b), "the search index differs from a full rebuild"
    return delta, out


def _index(path: Path) -> set[tuple[object, ...]]:
    """Every indexed document with its index entries, rowids aside (a full rebuild numbers them afresh)."""
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT d.kind, d.ref_id, d.name_len, d.boost, c.name_bi, c.name_uni, c.body_bi, c.body_uni, "
        "l.name_latin, l.name_py, l.name_ini, l.body_latin FROM search_docs d "
        "JOIN search_cjk c ON c.rowid = d.rowid JOIN search_latin l ON l.rowid = d.rowid"
    ).fetchall()
    conn.close()
    return set(rows)


SYNTHETIC = {
    "text": (
        "UPDATE venues SET description = json_set(description, '$.en', 'A quiet bridge, new text') "
        "WHERE id = 'zhongshan-iron-bridge'",
    ),
    "insert": (
        "INSERT INTO venues SELECT 'brand-new-venue', json_object('en', 'Brand New Hall', 'zh-Hans', '崭新展馆'), "
        "aliases, category, city, district, address, lat + 0.001, lon, timezone, summary, description, hours, "
        "tickets, tickets_note, contact, accessibility, getting_there, tags, featured, narration, 999 "
        "FROM venues WHERE id = 'zhongshan-iron-bridge'",
        "INSERT INTO venue_themes SELECT 'brand-new-venue', theme_id FROM venue_themes "
        "WHERE venue_id = 'zhongshan-iron-bridge'",
    ),
    "delete": (
        "DELETE FROM images WHERE owner_kind = 'venue' AND owner_id = 'xiaoxihu-park'",
        "DELETE FROM audio WHERE owner_kind = 'venue' AND owner_id = 'xiaoxihu-park'",
        "DELETE FROM venue_themes WHERE venue_id = 'xiaoxihu-park'",
        "DELETE FROM route_stops WHERE venue_id = 'xiaoxihu-park'",
        "DELETE FROM heritage_venues WHERE venue_id = 'xiaoxihu-park'",
        "UPDATE events SET venue_id = NULL WHERE venue_id = 'xiaoxihu-park'",
        "DELETE FROM venues WHERE id = 'xiaoxihu-park'",
    ),
    "media": (
        "INSERT INTO media VALUES ('" + "ab" * 32 + "', 'media/" + "ab" * 32 + ".png', 'image/png', 1234, 10, 20)",
        "UPDATE images SET media = '" + "ab" * 32 + "' WHERE id = (SELECT min(id) FROM images)",
    ),
    "types": ("UPDATE venues SET hours = NULL WHERE id = 'zhongshan-iron-bridge'",),
}


@pytest.mark.parametrize("change", sorted(SYNTHETIC))
def test_round_trip_synthetic_changes(base: Path, change: str) -> None:
    b = _variant(base, "b.db", *SYNTHETIC[change])
    delta, _out = _roundtrip(base, b)
    assert delta.tables, "the change produced no delta"
    if change == "media":
        assert [m["sha256"] for m in delta.media] == ["ab" * 32]


def test_round_trip_all_changes_at_once_with_zlib(base: Path) -> None:
    b = _variant(base, "b.db", *(s for change in SYNTHETIC.values() for s in change))
    _roundtrip(base, b, codec="zlib")


def test_round_trip_rebuilt_demo_source_and_search_finds_new_text(base: Path, tmp_path: Path) -> None:
    """v2 of the demo source, rebuilt by the builder: one venue renamed. The kiosk's search sees it."""
    source = tmp_path / "source"
    shutil.copytree(DEMO_SOURCE, source)
    venues = source / "venues" / "lanzhou.yaml"
    text = venues.read_text(encoding="utf-8")
    assert "en: Zhongshan Iron Bridge}" in text
    venues.write_text(text.replace("en: Zhongshan Iron Bridge}", "en: Quixotic Iron Bridge}", 1), encoding="utf-8")
    set_version(source, 99)
    b = _build(source, tmp_path / "b.db")
    delta, out = _roundtrip(base, b)
    assert set(delta.tables) == {"meta", "venues"}
    conn = sqlite3.connect(out)
    hits = search.search(conn, "quixotic", limit=5)
    base_conn = sqlite3.connect(base)
    before = search.search(base_conn, "quixotic", limit=5)
    conn.close()
    base_conn.close()
    assert [h.ref_id for h in hits] == ["zhongshan-iron-bridge"]
    assert before == []


def test_deleted_documents_leave_the_search_index(base: Path) -> None:
    b = _variant(base, "b.db", *SYNTHETIC["delete"])
    _, out = _roundtrip(base, b)
    conn = sqlite3.connect(out)
    assert conn.execute("SELECT count(*) FROM search_docs WHERE ref_id = 'xiaoxihu-park'").fetchone()[0] == 0
    docs = conn.execute("SELECT count(*) FROM search_docs").fetchone()[0]
    cjk = conn.execute("SELECT count(*) FROM search_cjk").fetchone()[0]
    conn.close()
    conn = sqlite3.connect(b)
    assert docs == cjk == conn.execute("SELECT count(*) FROM search_docs").fetchone()[0]
    conn.close()


def test_refuses_a_wrong_base(base: Path) -> None:
    b = _variant(base, "b.db", *SYNTHETIC["text"])
    other = _variant(base, "other.db", "UPDATE pages SET sort = sort + 1")
    delta = delta_format.loads(delta_format.dumps(_delta(base, b)))
    before = _sha(other)
    with pytest.raises(DeltaError, match="not the version this delta starts from"):
        apply_delta(other, delta, other.with_name("out.db"))
    assert _sha(other) == before
    assert sorted(p.name for p in base.parent.iterdir()) == ["a.db", "b.db", "other.db"]


def test_refuses_a_tampered_delta(base: Path) -> None:
    """A changed value inside a delta whose digests are intact: the result is not B, refused."""
    b = _variant(base, "b.db", *SYNTHETIC["text"])
    raw = delta_format.raw_bytes(_delta(base, b))
    assert b"A quiet bridge, new text" in raw
    tampered = raw.replace(b"A quiet bridge, new text", b"A quiet bridge, <b>evil</b>")
    import zlib

    wire = delta_format.MAGIC + b"zlib\n" + zlib.compress(tampered)
    with pytest.raises(DeltaError, match="does not match the published version"):
        apply_delta(base, delta_format.loads(wire), base.with_name("out.db"))
    assert not base.with_name("out.db").exists()
    assert [p.name for p in base.parent.iterdir() if "partial" in p.name] == []


def test_refuses_a_delta_to_a_different_version(base: Path) -> None:
    """A genuine delta to B' presented as leading to B: its result is B', refused; also the release's own digest."""
    b = _variant(base, "b.db", *SYNTHETIC["text"])
    b2 = _variant(base, "b2.db", *SYNTHETIC["types"])
    real_b = _delta(base, b)
    forged = _delta(base, b2)
    forged.to_digest = real_b.to_digest
    with pytest.raises(DeltaError, match="does not match the published version"):
        apply_delta(base, delta_format.loads(delta_format.dumps(forged)), base.with_name("out.db"))
    with pytest.raises(DeltaError, match="other content than the release states"):
        apply_delta(base, _delta(base, b2), base.with_name("out.db"), expected_digest=real_b.to_digest)
    assert not base.with_name("out.db").exists()


def test_refuses_a_media_list_that_is_not_its_rows(base: Path) -> None:
    """The header's media list says which blobs to fetch; dropping one (rows intact) is refused."""
    b = _variant(base, "b.db", *SYNTHETIC["media"])
    delta = delta_format.loads(delta_format.dumps(_delta(base, b)))
    assert len(delta.media) == 1
    delta.media = []
    with pytest.raises(DeltaError, match="media list does not match"):
        apply_delta(base, delta, base.with_name("out.db"))
    assert not base.with_name("out.db").exists()


def test_refuses_rows_that_do_not_fit(base: Path) -> None:
    """An update to a row the base does not have is refused before any digest is computed."""
    b = _variant(base, "b.db", *SYNTHETIC["text"])
    delta = _delta(base, b)
    _key, changed = delta.tables["venues"].updates[0]
    delta.tables["venues"].updates[0] = (("no-such-venue",), changed)
    with pytest.raises(DeltaError, match="no venues row"):
        apply_delta(base, delta, base.with_name("out.db"))


@pytest.mark.parametrize(
    "wire, message",
    [
        (b"PK\x03\x04 a zip", "not a kiosk delta"),
        (delta_format.MAGIC + b"zlib\nnot zlib at all", "damaged"),
        (delta_format.MAGIC + b"lz4\nxx", "unknown delta compression"),
        (delta_format.MAGIC + b"zlib\n" + __import__("zlib").compress(b"[1,2]\n"), "no header"),
        (delta_format.MAGIC + b"zlib\n" + __import__("zlib").compress(b'{"format":"x"}\n'), "unknown format"),
    ],
)
def test_refuses_malformed_files(wire: bytes, message: str) -> None:
    with pytest.raises(DeltaError, match=message):
        delta_format.loads(wire)


def test_refuses_truncated_and_oversized_files(base: Path) -> None:
    b = _variant(base, "b.db", *SYNTHETIC["insert"])
    wire = delta_format.dumps(_delta(base, b))
    with pytest.raises(DeltaError, match=r"truncated|damaged"):
        delta_format.loads(wire[: len(wire) // 2])
    with pytest.raises(DeltaError, match="expands beyond"):
        delta_format.loads(wire, max_bytes=1000)
    import zlib

    bomb = delta_format.MAGIC + b"zlib\n" + zlib.compress(b" " * (50 * 2**20))
    with pytest.raises(DeltaError, match="expands beyond"):
        delta_format.loads(bomb, max_bytes=2**20)


def test_diff_sees_type_changes(tmp_path: Path) -> None:
    """1 -> 1.0 -> '1': each an update (Python's == alone calls 1 and 1.0 equal)."""
    old, new = sqlite3.connect(tmp_path / "o.db"), sqlite3.connect(tmp_path / "n.db")
    for conn, value in ((old, 1), (new, 1.0)):
        conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v)")
        conn.execute("INSERT INTO t VALUES ('a', ?), ('b', 2)", (value,))
    delta = diff_table(old, new, "t")
    assert delta.updates == [(("a",), {"v": 1.0})]
    assert type(delta.updates[0][1]["v"]) is float


def test_out_db_must_be_new(base: Path) -> None:
    b = _variant(base, "b.db", *SYNTHETIC["text"])
    with pytest.raises(DeltaError, match="already exists"):
        apply_delta(base, _delta(base, b), b)


def test_mutated_deltas_give_b_or_one_plain_refusal(base: Path) -> None:
    """150 seeded random edits of a delta's JSON lines: each is refused with a DeltaError or still yields B."""
    import random
    import zlib

    b = _variant(base, "b.db", *(s for change in SYNTHETIC.values() for s in change))
    want = file_digest(b).value
    raw = delta_format.raw_bytes(_delta(base, b))
    known = file_digest(base)
    tokens = [b"null", b"1", b"1.0", b'"x"', b"[]", b"{}", b"9" * 30, b"1e999", b'{"blob":"zz"}', b",", b'"'] * 2
    rng = random.Random(12)
    outcomes: dict[str, int] = {}
    for n in range(150):
        data = bytearray(raw)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(data))
            kind = rng.random()
            if kind < 0.4:
                data[at] = rng.randrange(256)
            elif kind < 0.7:
                del data[at : at + rng.randint(1, 20)]
            else:
                data[at:at] = rng.choice(tokens)
        wire = delta_format.MAGIC + b"zlib\n" + zlib.compress(bytes(data))
        out = base.with_name(f"fuzz-{n}.db")
        try:
            result = apply_delta(base, delta_format.loads(wire), out, base_digest=known)
        except DeltaError as exc:
            assert "\n" not in str(exc)
            outcomes["refused"] = outcomes.get("refused", 0) + 1
            assert not out.exists()
        else:
            assert result.digest.value == want == file_digest(out).value
            outcomes["b"] = outcomes.get("b", 0) + 1
            out.unlink()
    assert outcomes.get("refused", 0) > 100, outcomes
    assert [p.name for p in base.parent.iterdir() if "partial" in p.name] == []


def test_values_sqlite_cannot_hold_are_one_plain_refusal(base: Path) -> None:
    """An integer beyond 64 bits in a row, an infinite version in the header: DeltaError, not a traceback."""
    import zlib

    b = _variant(base, "b.db", *SYNTHETIC["text"])
    delta = _delta(base, b)
    key, _changed = delta.tables["venues"].updates[0]
    delta.tables["venues"].updates[0] = (key, {"sort": 10**30})
    with pytest.raises(DeltaError, match="could not be applied"):
        apply_delta(base, delta_format.loads(delta_format.dumps(delta)), base.with_name("out.db"))
    raw = delta_format.raw_bytes(_delta(base, b)).replace(b'"content_version":1,', b'"content_version":1e999,', 1)
    with pytest.raises(DeltaError, match="header is malformed"):
        delta_format.loads(delta_format.MAGIC + b"zlib\n" + zlib.compress(raw))


def test_a_base_that_is_no_content_database_is_one_plain_refusal(base: Path, tmp_path: Path) -> None:
    b = _variant(base, "b.db", *SYNTHETIC["text"])
    delta = _delta(base, b)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DeltaError, match="not a content database"):
        apply_delta(junk, delta, tmp_path / "out.db")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(DeltaError, match="not a content database"):
        apply_delta(empty, delta, tmp_path / "out2.db")
    assert not (tmp_path / "out.db").exists() and not (tmp_path / "out2.db").exists()
