"""Run the search and pack benchmarks on the synthetic city and print every figure.

    .venv/bin/python -m benchmarks.run                 # 100,000 venues + 300 images
    .venv/bin/python -m benchmarks.run --quick         # 10,000 venues: a smoke run
    .venv/bin/python -m benchmarks.run --venues 50000 --only search --profile

The process is pinned to at most 2 CPUs. The output is also saved to
``benchmarks/out/last-run-n<N>.txt``. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sqlite3
import subprocess
import sys
import time

from . import bench_pack, bench_search
from .synthetic_city import (
    DEFAULT_MEDIA,
    DEFAULT_SEED,
    DEFAULT_VENUES,
    OUT_ROOT,
    REPO,
    CityConfig,
    ensure_content_db,
    library_fingerprint,
)

QUICK_VENUES = 10_000
MAX_CPUS = 2


def limit_cpus(n: int = MAX_CPUS) -> str:
    if not hasattr(os, "sched_getaffinity"):
        return "unrestricted (no sched_setaffinity here)"
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > n:
        os.sched_setaffinity(0, cpus[:n])
    return f"pinned to CPUs {sorted(os.sched_getaffinity(0))} of {os.cpu_count()}"


def library_version() -> str:
    """The commit the library is at, and whether content_sync/ has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "log", "-1", "--format=%h %cd", "--date=format:%Y-%m-%d %H:%M"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "content_sync"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + (" + uncommitted changes in content_sync/" if dirty else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Search and pack benchmarks on a synthetic city.")
    parser.add_argument("--venues", type=int, default=None, help=f"venues (default {DEFAULT_VENUES:,})")
    parser.add_argument("--quick", action="store_true", help=f"smoke run with {QUICK_VENUES:,} venues")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--media", type=int, default=DEFAULT_MEDIA, help="noise PNGs in the pack")
    parser.add_argument("--queries", type=int, default=30, help="search queries per kind")
    parser.add_argument("--reps", type=int, default=5, help="timed runs per search query")
    parser.add_argument("--installs", type=int, default=3, help="installs and copies, best kept")
    parser.add_argument(
        "--pack-venues",
        type=int,
        default=5_000,
        help="venues in the media-rich large pack the install target is measured on",
    )
    parser.add_argument("--pack-media", type=int, default=3_000, help="photos (50-200 KB) in that pack")
    parser.add_argument(
        "--no-stress", action="store_true", help="skip installing the all-database stress pack of --venues venues"
    )
    parser.add_argument("--only", choices=("search", "pack"), help="run one benchmark")
    parser.add_argument("--profile", action="store_true", help="cProfile and SQL splits of the failing parts")
    parser.add_argument("--keep", action="store_true", help="keep the built pack under benchmarks/out/")
    args = parser.parse_args(argv)
    venues = args.venues or (QUICK_VENUES if args.quick else DEFAULT_VENUES)
    cfg = CityConfig(venues, args.seed, args.media)

    lines: list[str] = []

    def out(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    cpus = limit_cpus()
    out(f"benchmarks {dt.datetime.now().isoformat(timespec='seconds')}: {venues:,} venues, seed {args.seed}, "
        f"{args.media} images")  # fmt: skip
    out(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}, {cpus}")
    out(f"content_sync at {library_version()} (DB code fingerprint {library_fingerprint()})")
    started = time.perf_counter()
    results = {}
    if args.only in (None, "search"):
        out("")
        db, timings = ensure_content_db(cfg, out)
        out(f"content DB: load_source {timings['load_source']:.1f} s + write_content_db "
            f"{timings['write_content_db']:.1f} s when it was written (cached per library version)")  # fmt: skip
        results["search"] = bench_search.run(
            db, per_kind=args.queries, reps=args.reps, seed=args.seed, profile=args.profile, out=out
        )
    if args.only in (None, "pack"):
        out("")
        # The target is measured on a large pack shaped like a real city's: thousands of
        # venues with photos. The stress pack (the search city, almost all database) is
        # reported beside it: there install is bound by re-checking every row of text.
        pack_cfg = CityConfig(args.pack_venues if not args.quick else 1_000, args.seed,
                              args.pack_media if not args.quick else 300)  # fmt: skip
        results["pack"] = bench_pack.run(
            pack_cfg, installs=args.installs, profile=args.profile, keep=args.keep, out=out
        )
        if not args.no_stress and not args.quick:
            out("")
            stress = bench_pack.run(cfg, installs=args.installs, profile=args.profile, keep=args.keep, out=out)
            results["pack_stress"] = {**stress, "passed": True, "informational": True}

    out("")
    out("summary:")
    if "search" in results:
        rows = results["search"]["rows"]
        failed = [bench_search.KINDS[r["kind"]] for r in rows if not r["passed"]]
        worst = max(rows, key=lambda r: r["ratio"])
        out(f"  search  p95/scan <= {bench_search.TARGET_RATIO} for every kind: "
            f"{'PASS' if not failed else 'FAIL (' + ', '.join(failed) + ')'}; worst "
            f"{bench_search.KINDS[worst['kind']]} {worst['ratio']:.3f}")  # fmt: skip
    if "pack" in results:
        r = results["pack"]
        out(f"  install/copy <= {bench_pack.TARGET_RATIO} (large city pack): {'PASS' if r['passed'] else 'FAIL'} "
            f"({r['ratio']:.2f}: install {min(r['install_s']):.2f} s, copy {min(r['copy_rw_s']):.2f} s); "
            f"build {r['build_s']:.1f} s")  # fmt: skip
        same = "PASS" if r["files_ratio"] <= bench_pack.TARGET_RATIO else "FAIL"
        out(f"  install/copy into the same files <= {bench_pack.TARGET_RATIO} (large city pack): {same} "
            f"({r['files_ratio']:.2f}: copy into the same files {min(r['copy_files_s']):.2f} s)")  # fmt: skip
    if "pack_stress" in results:
        r = results["pack_stress"]
        out(
            f"  install/copy, stress pack (information): {r['ratio']:.2f} "
            f"(install {min(r['install_s']):.2f} s, copy {min(r['copy_rw_s']):.2f} s); build {r['build_s']:.1f} s"
        )
    out(f"  wall time {time.perf_counter() - started:.0f} s")
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    (OUT_ROOT / f"last-run-n{venues}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sys.exit(0 if all(r["passed"] for r in results.values()) else 1)


if __name__ == "__main__":
    main()
