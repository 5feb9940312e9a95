"""What channel metadata costs: file sizes, publish time, and the bytes and time of a kiosk's refresh.

    .venv/bin/python -m benchmarks.bench_channel                # 2, 100 and 1,000 groups
    .venv/bin/python -m benchmarks.bench_channel --groups 50

For each channel size: the size of the snapshot and of the top-level targets, the time to
publish one target, and for a kiosk on loopback (python-tuf's Updater through
content_sync.sync.trust) the bytes and wall time of a refresh when nothing changed, after a
publish to its own group and after a publish to another group. Information, no targets:
the issue's delta benchmarks compare these bytes with the row changes they carry.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tuf.ngclient import FetcherInterface
from tuf.ngclient.requests_fetcher import RequestsFetcher

from content_sync.sync.repository import create
from content_sync.sync.trust import ChannelClient, provision

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class CountingFetcher(FetcherInterface):
    """python-tuf's RequestsFetcher, counting the bytes and requests it moves."""

    def __init__(self) -> None:
        self.inner = RequestsFetcher()
        self.bytes = 0
        self.requests = 0

    def _fetch(self, url: str) -> Iterator[bytes]:
        self.requests += 1
        for chunk in self.inner._fetch(url):
            self.bytes += len(chunk)
            yield chunk


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def measure(groups: int, tmp: Path) -> list[str]:
    names = [f"county{i // 4}/kind{i % 4}" for i in range(groups)]
    t0 = time.perf_counter()
    repo = create(tmp / "channel", tmp / "keys", clock=lambda: NOW, groups=tuple(names))
    made = time.perf_counter() - t0
    pack = tmp / "pack.kpack"
    pack.write_bytes(b"p" * 100_000)
    repo.add_target(names[0], pack, "pack-1.kpack")
    lines = [f"groups {groups}: create {made:.2f} s"]
    meta = repo.metadata_dir
    snapshot = meta / f"{repo._current_version('snapshot')}.snapshot.json"
    targets = meta / f"{repo._current_version('targets')}.targets.json"
    lines.append(
        f"  snapshot {snapshot.stat().st_size:,} B, targets {targets.stat().st_size:,} B,"
        f" timestamp {(meta / 'timestamp.json').stat().st_size:,} B"
    )
    with serve(repo.dir) as url:
        device = tmp / "kiosk" / "metadata"
        provision(device, meta / "1.root.json")
        fetcher = CountingFetcher()
        kiosk = ChannelClient(device, url, names[0], clock=lambda: NOW, fetcher=fetcher)

        def refresh(label: str) -> None:
            fetcher.bytes = fetcher.requests = 0
            start = time.perf_counter()
            kiosk.refresh()
            took = (time.perf_counter() - start) * 1000
            lines.append(f"  refresh {label}: {fetcher.bytes:,} B in {fetcher.requests} requests, {took:.0f} ms")

        refresh("first (from root only)")
        refresh("nothing changed")
        start = time.perf_counter()
        pack.write_bytes(b"q" * 100_000)
        repo.add_target(names[0], pack, "pack-2.kpack")
        lines.append(f"  publish one target: {(time.perf_counter() - start) * 1000:.0f} ms")
        refresh("after a publish to its group")
        repo.add_target(names[-1], pack, "pack-2.kpack")
        refresh("after a publish to another group")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, nargs="*", default=[2, 100, 1000])
    args = parser.parse_args()
    for groups in args.groups:
        with tempfile.TemporaryDirectory() as tmp:
            print("\n".join(measure(groups, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
