"""The delta path of a sync cycle on a real nginx, next to the raw row changes and the full pack.

For a one-venue text change and a one-image change (a picture replaced by another) of the
demo pack (or a synthetic city, ``--venues N``): publish v1, let a kiosk install it, publish
v2 (publish.py makes the delta and the media target), and run the kiosk's cycle. Reported:
bytes on the wire (delta + media + metadata, as the kiosk's fetcher counted them), the raw
row changes (uncompressed JSON lines) plus the new media, the full pack; the delta cycle's
time next to ``Installer.install`` of the same v2 pack on a copy of the v1 kiosk. The cycle is
timed twice: on the kiosk as a full install left it (no row hashes saved yet, so the first
delta hashes every row of the installed version once) and on a copy whose installed version
has its row hashes saved (``content.rowhashes``, as every version built from a delta has):
the steady state, where the work follows the change, not the database.

    python -m benchmarks.bench_delta_sync [--venues 5000] [--media 300] [--only text|image]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack.build import build_pack
from content_sync.pack.delta import diff, encode
from content_sync.pack.digest import installed_row_hashes
from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import run_cycle, setup
from content_sync.sync.fetch import Fetcher
from content_sync.sync.publish import extract_content_db, publish_pack
from content_sync.sync.repository import create
from tests.content_sync.sync.nginx_server import NginxServer
from tests.support import DEMO_SOURCE, set_version

NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
GROUP = "lanzhou/station"


def clock() -> dt.datetime:
    return NOW


def change_text(src: Path) -> None:
    """One venue's English summary gets a sentence longer (JSON or YAML venue sources)."""
    parts = sorted((src / "venues").glob("*.json"))
    if parts:
        records = json.loads(parts[0].read_text(encoding="utf-8"))
        records[0]["summary"]["en"] += " Revised for the benchmark."
        parts[0].write_text(json.dumps(records, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        return
    first = sorted((src / "venues").glob("*.yaml"))[0]
    text = first.read_text(encoding="utf-8")
    match = re.search(r"summary:\n\s+zh-Hans: .*\n(\s+en: )(.*)\n", text)
    assert match, "no block summary in the first venue file"
    text = text[: match.end(2)] + " Revised for the benchmark." + text[match.end(2) :]
    first.write_text(text, encoding="utf-8")


def change_image(src: Path) -> None:
    """The first picture a venue shows is replaced by another (noise, so it does not compress)."""
    files = sorted((src / "venues").iterdir())
    found = None
    for f in files:
        found = re.search(r'"?file"?:\s*"?(media/[^\s",}]+)', f.read_text(encoding="utf-8"))
        if found:
            break
    assert found, "no venue picture to replace"
    path = src / found.group(1)
    with Image.open(path) as old:
        width, height = old.size
    rng = random.Random(5)
    Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3)).save(path, format="PNG")


def raw_rows(v1: Path, v2: Path, work: Path) -> tuple[int, int]:
    """Uncompressed row changes and the bytes of the media v2 adds."""
    a_db, b_db = work / "a.db", work / "b.db"
    extract_content_db(v1, a_db)
    extract_content_db(v2, b_db)
    a, b = sqlite3.connect(a_db), sqlite3.connect(b_db)
    try:
        tables = diff(a, b)
        media = tables.get("media")
        added = 0
        if media is not None:
            idx = media.columns.index("size")
            added = sum(int(row[idx]) for row in media.inserts)
    finally:
        a.close()
        b.close()
    return len(encode(tables)), added


def scenario(work: Path, source: Path, change: Callable[[Path], None]) -> dict[str, float]:
    key = SigningKey.generate("bench")
    src = work / "src"
    shutil.copytree(source, src)
    set_version(src, 1)
    v1 = work / "v1.kpack"
    build_pack(src, v1, keys=[key], now=NOW)
    change(src)
    set_version(src, 2)
    v2 = work / "v2.kpack"
    build_pack(src, v2, keys=[key], now=NOW)
    repo = create(work / "channel", work / "keys", clock=clock, groups=(GROUP,))
    publish_pack(repo, GROUP, v1, [key.public])
    figures: dict[str, float] = {"pack_bytes": v2.stat().st_size}
    figures["rows_bytes"], figures["media_bytes"] = raw_rows(v1, v2, work)
    with NginxServer(repo.dir) as nginx:
        data = DataDir(work / "kiosk")
        data.root.mkdir()
        with DeviceState(data.device_db) as device:
            device.trust(key.public)
        setup(data, nginx.url, GROUP, repo.dir / "metadata" / "1.root.json", device_id="k", clock=clock)
        with Fetcher(now=clock) as fetcher:
            assert run_cycle(data, clock=clock, fetcher=fetcher).outcome == "installed"
        shutil.copytree(data.root, work / "plain")
        # A kiosk whose installed version already has its row hashes saved (the version came
        # from a delta, or the kiosk worked them out before): the steady state of delta sync.
        warm = DataDir(work / "warm")
        shutil.copytree(data.root, warm.root)
        pointer = warm.read_pointer()
        assert pointer is not None
        started = time.perf_counter()
        installed_row_hashes(warm.version_db(pointer.current))
        figures["row_hashes_s"] = time.perf_counter() - started
        started = time.perf_counter()
        published = publish_pack(repo, GROUP, v2, [key.public])
        figures["publish_s"] = time.perf_counter() - started
        figures["delta_file_bytes"] = sum(d["length"] for d in published.deltas)
        for label, kiosk in (("delta_cycle_s", data), ("warm_cycle_s", warm)):
            with Fetcher(now=clock) as fetcher:
                started = time.perf_counter()
                result = run_cycle(kiosk, clock=clock, fetcher=fetcher)
                figures[label] = time.perf_counter() - started
            assert result.outcome == "installed" and result.path == "delta", result.message
            if kiosk is data:
                figures["wire_bytes"] = result.bytes_moved
                figures["delta_media_bytes"] = result.delta_bytes
    plain = DataDir(work / "plain")
    started = time.perf_counter()
    Installer(plain, [key.public], "stable", clock=clock).install(v2)
    figures["install_s"] = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venues", type=int, default=0, help="a synthetic city of N venues instead of the demo pack")
    parser.add_argument("--media", type=int, default=300, help="noise pictures of the synthetic city")
    parser.add_argument("--only", choices=("text", "image"), help="run one of the two changes")
    args = parser.parse_args()
    if args.venues:
        from benchmarks.synthetic_city import CityConfig, ensure_source

        source = ensure_source(CityConfig(venues=args.venues, media=args.media))
    else:
        source = DEMO_SOURCE
    print(f"source: {source}")
    head = (
        f"{'change':<7} {'wire B':>10} {'delta+media B':>14} {'metadata B':>11} {'raw rows B':>11} "
        f"{'new media B':>12} {'wire/(rows+media+meta)':>23} {'full pack B':>13} {'wire/pack':>9} "
        f"{'delta cycle ms':>15} {'saved hashes':>13} {'install ms':>11}"
    )
    print(head)
    for name, change in (("text", change_text), ("image", change_image)):
        if args.only and name != args.only:
            continue
        with tempfile.TemporaryDirectory(prefix="bench-delta-sync-") as tmp:
            f = scenario(Path(tmp), source, change)
        meta = f["wire_bytes"] - f["delta_media_bytes"]
        raw = f["rows_bytes"] + f["media_bytes"] + meta
        print(
            f"{name:<7} {f['wire_bytes']:>10,.0f} {f['delta_media_bytes']:>14,.0f} {meta:>11,.0f} "
            f"{f['rows_bytes']:>11,.0f} {f['media_bytes']:>12,.0f} {f['wire_bytes'] / raw:>23.2f} "
            f"{f['pack_bytes']:>13,.0f} {f['wire_bytes'] / f['pack_bytes']:>9.4f} "
            f"{f['delta_cycle_s'] * 1000:>15.0f} {f['warm_cycle_s'] * 1000:>13.0f} {f['install_s'] * 1000:>11.0f}"
        )
        print(f"        (working out the installed version's row hashes once: {f['row_hashes_s'] * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
