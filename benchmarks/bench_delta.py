"""Delta updates: our row delta (``content_sync.pack.delta``) next to SQLite's session changesets.

For the 5,000-venue city (3,000 photos) and the 100,000-venue stress city, three changes
from version A: one venue's text, one image replaced, 1% of the venues' descriptions.
For each: bytes of each form (raw row changes, our delta compressed with zlib and xz,
session changeset and patchset through APSW compressed the same ways) and apply time
(copy of the base, rows, search index for changed documents, digest proof, flush)
next to a plain copy of the full content database with fsync, all in the same run.

    .venv/bin/python -m benchmarks.bench_delta [--venues 5000 100000] [--reps 3]

The cities' databases are ``synthetic_city``'s (cached in ``benchmarks/out``, generated when
missing: 5,000 venues with 3,000 photos, 100,000 with 300) or given with ``--db``; the B
versions and outputs are written under ``benchmarks/out/delta``.
"""

from __future__ import annotations

import argparse
import lzma
import os
import shutil
import sqlite3
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import apsw

from benchmarks.synthetic_city import DEFAULT_MEDIA, DEFAULT_SEED, OUT_ROOT, REPO, CityConfig, ensure_content_db
from content_sync.pack import delta_format, search_index
from content_sync.pack.delta import Delta, _copy_file, _write_rows, apply_delta, encode, make_delta
from content_sync.pack.digest import ContentDigest, RowHashes, content_digest
from content_sync.pack.schema import CONTENT_TABLES

WORK = OUT_ROOT / "delta"
NEW_SHA = "cd" * 32


def find_db(venues: int, explicit: Path | None) -> Path:
    """The city's content database: given, cached (any library version will do), or generated."""
    if explicit:
        return explicit
    cfg = CityConfig(venues, DEFAULT_SEED, 3000 if venues == 5000 else DEFAULT_MEDIA)  # the README's two cities
    found = sorted(cfg.root.glob("content-*.db"))
    return found[-1] if found else ensure_content_db(cfg)[0]


def scenarios(conn: sqlite3.Connection) -> dict[str, list[str]]:
    ids = [r[0] for r in conn.execute("SELECT id FROM venues ORDER BY id")]
    one = ids[len(ids) // 2]
    image = conn.execute("SELECT id FROM images ORDER BY id LIMIT 1 OFFSET ?", (len(ids) // 3,)).fetchone()[0]
    size = int(conn.execute("SELECT avg(size) FROM media").fetchone()[0] or 100_000)
    step = 100
    return {
        "one venue's text": [
            "UPDATE venues SET description = json_set(description, '$.en', "
            f"json_extract(description, '$.en') || ' Reopened after restoration in 2026.') WHERE id = '{one}'"
        ],
        "one image": [
            f"INSERT INTO media VALUES ('{NEW_SHA}', 'media/{NEW_SHA}.png', 'image/png', {size}, 256, 200)",
            f"UPDATE images SET media = '{NEW_SHA}' WHERE id = '{image}'",
        ],
        "1% of venues": [
            "UPDATE venues SET description = json_set(description, '$.en', "
            "json_extract(description, '$.en') || ' Reopened after restoration in 2026.') "
            f"WHERE rowid % {step} = 0"
        ],
    }


def make_b(a: Path, dest: Path, sql: list[str]) -> None:
    dest.unlink(missing_ok=True)
    shutil.copyfile(a, dest)
    conn = sqlite3.connect(dest)
    conn.execute("UPDATE meta SET value = CAST(value + 1 AS TEXT) WHERE key = 'content_version'")
    for s in sql:
        conn.execute(s)
    conn.commit()
    conn.close()


def session_sets(a: Path, b: Path) -> tuple[bytes, bytes]:
    """Changeset and patchset from A to B (sqlite3session_diff over every content table)."""
    conn = apsw.Connection(str(b), flags=apsw.SQLITE_OPEN_READONLY)
    conn.execute(f"ATTACH DATABASE '{a}' AS old")
    session = apsw.Session(conn, "main")
    for table in CONTENT_TABLES:
        session.attach(table)
        session.diff("old", table)
    changeset, patchset = session.changeset(), session.patchset()
    session.close()
    conn.close()
    return changeset, patchset


def compress(data: bytes, codec: str) -> bytes:
    return zlib.compress(data, 9) if codec == "zlib" else lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)


def decompress(data: bytes, codec: str) -> bytes:
    return zlib.decompress(data) if codec == "zlib" else lzma.decompress(data)


def flush_and_rename(tmp: Path, out: Path) -> None:
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.rename(tmp, out)


def apply_session(base: Path, wire: bytes, codec: str, out: Path, base_digest: ContentDigest, want: str) -> None:
    """The session-changeset path with the same steps as ``apply_delta`` (copy, rows, index, proof, flush)."""
    data = decompress(wire, codec)
    tmp = out.with_name(out.name + ".partial")
    _copy_file(base, tmp)
    conn = apsw.Connection(str(tmp))
    docs: set[tuple[str, str]] = set()
    tables: set[str] = set()
    with conn:
        apsw.Changeset.apply(data, conn)
    for change in apsw.Changeset.iter(data):
        tables.add(change.name)
        kind = search_index.DOC_TABLES.get(change.name)
        if kind:
            values = change.new if change.op == "INSERT" else change.old
            docs.add((kind, values[0]))
    conn.close()
    sconn = sqlite3.connect(tmp, isolation_level=None)
    sconn.execute("BEGIN")
    search_index.update_documents(sconn, docs)
    digest = content_digest(sconn, reuse=base_digest, changed=tables)
    assert digest.value == want, "session path produced other content"
    sconn.execute("COMMIT")
    sconn.close()
    flush_and_rename(tmp, out)


def rows_only_own(base: Path, delta: Delta, scratch: Path) -> float:
    shutil.copyfile(base, scratch)
    conn = sqlite3.connect(scratch, isolation_level=None)
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    _write_rows(conn, delta)
    conn.execute("COMMIT")
    dt = time.perf_counter() - t0
    conn.close()
    scratch.unlink()
    return dt


def rows_only_session(base: Path, changeset: bytes, scratch: Path) -> float:
    shutil.copyfile(base, scratch)
    conn = apsw.Connection(str(scratch))
    t0 = time.perf_counter()
    with conn:
        apsw.Changeset.apply(changeset, conn)
    dt = time.perf_counter() - t0
    conn.close()
    scratch.unlink()
    return dt


def copy_baseline(src: Path, dest: Path) -> float:
    t0 = time.perf_counter()
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        while chunk := fin.read(1 << 20):
            fout.write(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    dt = time.perf_counter() - t0
    dest.unlink()
    return dt


def best(reps: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(reps))


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run_city(venues: int, db: Path, reps: int, log: Callable[[str], None]) -> None:
    work = WORK / f"n{venues}"
    work.mkdir(parents=True, exist_ok=True)
    a = work / "a.db"
    if not a.exists() or a.stat().st_size != db.stat().st_size:
        shutil.copyfile(db, a)
    conn = sqlite3.connect(f"file:{a}?mode=ro", uri=True)
    db_size = a.stat().st_size
    media_bytes = int(conn.execute("SELECT coalesce(sum(size), 0) FROM media").fetchone()[0])
    cases = scenarios(conn)
    t0 = time.perf_counter()
    a_digest = content_digest(conn)
    digest_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    a_hashes = RowHashes.of(conn)  # what a kiosk keeps beside its installed version
    hashes_s = time.perf_counter() - t0
    assert a_hashes.digest() == a_digest
    conn.close()
    per_table = "; ".join(f"{t} {s:.2f}" for t, s in _table_times(a).items() if s > 0.05)
    log(f"\n== {venues:,} venues: content.db {db_size / 2**20:.1f} MiB, pack {(db_size + media_bytes) / 2**20:.1f} MiB")
    log(f"content digest of A: {digest_s:.2f} s (tables over 0.05 s: {per_table}); row hashes {hashes_s:.2f} s")
    full_copy = best(reps, lambda: copy_baseline(a, work / "copy.db"))
    log(f"full content.db copy (read/write loop + fsync), best of {reps}: {full_copy:.2f} s")
    header = f"{'case':<18} {'form':<24} {'bytes':>11} {'x raw':>7} {'apply s':>8} {'x copy':>7} {'rows s':>7}"
    log(header)
    log("-" * len(header))
    for name, sql in cases.items():
        b = work / "b.db"
        make_b(a, b, sql)
        ca, cb = sqlite3.connect(f"file:{a}?mode=ro", uri=True), sqlite3.connect(f"file:{b}?mode=ro", uri=True)
        t0 = time.perf_counter()
        delta = make_delta(ca, cb)
        make_s = time.perf_counter() - t0
        ca.close()
        cb.close()
        raw = len(encode(delta.tables))
        t0 = time.perf_counter()
        changeset, patchset = session_sets(a, b)
        session_s = time.perf_counter() - t0
        new_media = sum(m["size"] for m in delta.media)

        def row(form: str, size: int, apply_s: float | None = None, rows_s: float | None = None) -> None:
            ap = f"{apply_s:8.2f} {apply_s / full_copy:7.2f}" if apply_s is not None else f"{'':8} {'':7}"
            rs = f"{rows_s:7.3f}" if rows_s is not None else ""
            log(f"{name:<18} {form:<24} {size:>11,} {size / raw:7.2f} {ap} {rs}")  # noqa: B023

        row("raw row changes", raw)
        for codec in ("zlib", "xz"):
            wire = delta_format.dumps(delta, codec)
            out = work / "out.db"

            def own(wire: bytes = wire, out: Path = out) -> float:
                out.unlink(missing_ok=True)
                return timed(
                    lambda: apply_delta(a, delta_format.loads(wire), out, base_digest=a_digest, base_hashes=a_hashes)
                )

            row(
                f"kiosk-delta {codec}",
                len(wire),
                best(reps, own),
                best(reps, lambda d=delta, o=out: rows_only_own(a, d, o)),
            )
        for label, data in (("changeset", changeset), ("patchset", patchset)):
            for codec in ("zlib", "xz"):
                wire = compress(data, codec)
                out = work / "out.db"

                def sess(wire: bytes = wire, codec: str = codec, out: Path = out, want: str = delta.to_digest) -> float:
                    out.unlink(missing_ok=True)
                    return timed(lambda: apply_session(a, wire, codec, out, a_digest, want))

                if label == "changeset":
                    row(
                        f"session {label} {codec}",
                        len(wire),
                        best(reps, sess),
                        best(reps, lambda data=data, o=out: rows_only_session(a, data, o)),
                    )
                else:
                    row(f"session {label} {codec}", len(wire))
        row("full content.db", db_size, full_copy)
        row("full pack (db + media)", db_size + media_bytes)
        log(
            f"{'':<18} (new media to fetch: {new_media:,} bytes; diff + digests on the publisher: {make_s:.1f} s; "
            f"session diff: {session_s:.1f} s)"
        )
        (work / "out.db").unlink(missing_ok=True)
    log(f"(apply s: best of {reps}, end to end with the base's digest known; rows s: the row writes alone)")


def _table_times(db: Path) -> dict[str, float]:
    from content_sync.pack.digest import table_digest

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out = {}
    for table in CONTENT_TABLES:
        t0 = time.perf_counter()
        table_digest(conn, table)
        out[table] = time.perf_counter() - t0
    conn.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venues", type=int, nargs="+", default=[5000, 100000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--db", type=Path, nargs="*", default=None, help="content databases, one per --venues")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[:2]
        os.sched_setaffinity(0, cpus)
    lines: list[str] = []

    def log(msg: str) -> None:
        print(msg, flush=True)
        lines.append(msg)

    for i, venues in enumerate(args.venues):
        run_city(venues, find_db(venues, args.db[i] if args.db else None), args.reps, log)
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "last-run.txt").write_text("\n".join(lines) + "\n")
    print(f"\nsaved to {(WORK / 'last-run.txt').relative_to(REPO)}")


if __name__ == "__main__":
    main()
