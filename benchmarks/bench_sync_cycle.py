"""One sync cycle of a kiosk next to a plain install of the same pack, on a real nginx.

Builds the demo pack (or ``--source``) as version 1 and 2, publishes both with publish.py into
a channel served by nginx with the shipped rules, and times, for a fresh kiosk: the cycle that
installs v1 (refresh, download, install), an idle cycle (metadata only), the cycle that moves
it to v2; and ``Installer.install`` of the same v2 file alone (what ``kiosk-pack install``
does). Bytes are the body bytes the kiosk's fetcher read.

    python -m benchmarks.bench_sync_cycle [--source DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack.build import build_pack
from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import run_cycle, setup
from content_sync.sync.fetch import Fetcher
from content_sync.sync.publish import publish_pack
from content_sync.sync.repository import create
from tests.content_sync.sync.nginx_server import NginxServer
from tests.support import DEMO_SOURCE, set_version

NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


def clock() -> dt.datetime:
    return NOW


def one_run(work: Path, source: Path) -> dict[str, float]:
    key = SigningKey.generate("bench")
    src = work / "src"
    shutil.copytree(source, src)
    packs = []
    for version in (1, 2):
        set_version(src, version)
        out = work / f"v{version}.kpack"
        build_pack(src, out, keys=[key], now=NOW)
        packs.append(out)
    repo = create(work / "channel", work / "keys", clock=clock, groups=("lanzhou/station",))
    publish_pack(repo, "lanzhou/station", packs[0], [key.public])
    figures: dict[str, float] = {"pack_bytes": packs[1].stat().st_size}
    with NginxServer(repo.dir) as nginx:
        data = DataDir(work / "kiosk")
        data.root.mkdir()
        with DeviceState(data.device_db) as device:
            device.trust(key.public)
        setup(data, nginx.url, "lanzhou/station", repo.dir / "metadata" / "1.root.json", device_id="k", clock=clock)
        for name, before in (("first_cycle", None), ("idle_cycle", None), ("update_cycle", packs[1])):
            if before is not None:
                publish_pack(repo, "lanzhou/station", before, [key.public])
            with Fetcher(now=clock) as fetcher:
                started = time.perf_counter()
                result = run_cycle(data, clock=clock, fetcher=fetcher)
                figures[f"{name}_s"] = time.perf_counter() - started
            assert result.ok, result.message
            figures[f"{name}_bytes"] = result.bytes_moved
    plain = DataDir(work / "plain")
    Installer(DataDir(work / "plain0"), [key.public], "stable", clock=clock).install(packs[0])
    shutil.copytree(work / "plain0", plain.root)
    started = time.perf_counter()
    Installer(plain, [key.public], "stable", clock=clock).install(packs[1])
    figures["install_only_s"] = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEMO_SOURCE)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
            runs.append(one_run(Path(tmp), args.source))
    print(f"pack: {args.source}, {runs[0]['pack_bytes']:,.0f} bytes; median of {len(runs)} runs")
    for name in ("first_cycle", "idle_cycle", "update_cycle"):
        secs = statistics.median(r[f"{name}_s"] for r in runs)
        moved = statistics.median(r[f"{name}_bytes"] for r in runs)
        print(f"{name:<14} {secs * 1000:8.0f} ms  {moved:>12,.0f} bytes")
    print(f"{'install only':<14} {statistics.median(r['install_only_s'] for r in runs) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
