"""Many kiosks polling one nginx (the shipped channel rules) for a bounded time: requests/s and p95.

    .venv/bin/python -m benchmarks.bench_poll                       # 500 kiosks, 60 s, closed loop
    .venv/bin/python -m benchmarks.bench_poll --seconds 20 --interval 5

An idle kiosk's poll is what ``docs/sync.md`` measures for an unchanged channel: ``GET
N+1.root.json`` (a 404: no key rotation) then ``GET timestamp.json``. Each simulated kiosk
keeps its own keep-alive connection, as a real one does. ``--interval 0`` (the default) is a
closed loop: every kiosk polls again as soon as its poll ends, which finds the ceiling of this
machine (on a small machine the Python client, not nginx, is the limit: the figure is a lower
bound for nginx). ``--interval S`` polls every S seconds from a fixed per-kiosk offset in
[0, S), as the sync agent does, and shows the latency a fleet of that size sees. Information
only (issue 12): no target.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from content_sync.sync.repository import create
from tests.content_sync.sync.nginx_server import NginxServer

GROUP = "lanzhou/station"


def make_channel(folder: Path) -> int:
    """A real channel with one published pack; returns the current root version."""
    repo = create(folder / "channel", folder / "keys", clock=lambda: datetime.now(UTC), groups=(GROUP,))
    pack = folder / "pack-1.kpack"
    pack.write_bytes(b"x" * 100_000)
    repo.add_target(GROUP, pack, "pack-1.kpack", {"version": "1"})
    return max(int(p.name.split(".")[0]) for p in (folder / "channel" / "metadata").glob("*.root.json"))


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> tuple[int, bool]:
    """One request on a kept-alive connection: the status, and whether the server closes it now."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: channel\r\nAccept-Encoding: identity\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length, closing = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"connection":
            closing = value.strip().lower() == b"close"
    await reader.readexactly(length)
    return status, closing


async def kiosk(
    number: int, port: int, paths: tuple[str, ...], interval: float, until: float, out: list[float], errors: list[str]
) -> None:
    """One kiosk: its own connection, a poll every ``interval`` from a fixed offset (or back to back)."""
    offset = int(hashlib.sha256(f"kiosk-{number}".encode()).hexdigest(), 16) % 1000 / 1000 * interval
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    next_poll = time.monotonic() + offset
    try:
        while True:
            if interval:
                await asyncio.sleep(max(0.0, next_poll - time.monotonic()))
                next_poll += interval
            if time.monotonic() >= until:
                return
            for path in paths:
                start = time.perf_counter()
                try:
                    status, closing = await _get(reader, writer, path)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    errors.append(type(exc).__name__)
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                out.append(time.perf_counter() - start)
                if status not in (200, 404):
                    errors.append(str(status))
                if closing:  # nginx's keepalive_requests reached: a kiosk simply reconnects
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def run(
    port: int, kiosks: int, seconds: float, interval: float, root_version: int
) -> tuple[list[float], list[str]]:
    paths = (f"/metadata/{root_version + 1}.root.json", "/metadata/timestamp.json")
    latencies: list[float] = []
    errors: list[str] = []
    until = time.monotonic() + seconds
    await asyncio.gather(*(kiosk(n, port, paths, interval, until, latencies, errors) for n in range(kiosks)))
    return latencies, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kiosks", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between a kiosk's polls (0: back to back)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        root_version = make_channel(Path(tmp))
        with NginxServer(Path(tmp) / "channel") as nginx:
            started = time.perf_counter()
            latencies, errors = asyncio.run(run(nginx.port, args.kiosks, args.seconds, args.interval, root_version))
            elapsed = time.perf_counter() - started
            statuses: dict[int, int] = {}
            for request in nginx.requests():
                statuses[request.status] = statuses.get(request.status, 0) + 1
    if len(latencies) < 2:
        raise SystemExit("no requests completed")
    cuts = statistics.quantiles(latencies, n=100)
    mode = f"a poll every {args.interval:g} s per kiosk" if args.interval else "back to back (closed loop)"
    print(f"nginx (packaging/nginx/kiosk-channel.conf), {args.kiosks} kiosks, {args.seconds:g} s, {mode}")
    rate = len(latencies) / elapsed
    print(f"requests        {len(latencies):9d}  ({rate:.0f}/s; polls {rate / 2:.0f}/s)")
    print(f"latency p50     {cuts[49] * 1000:9.2f} ms")
    print(f"latency p95     {cuts[94] * 1000:9.2f} ms")
    print(f"latency p99     {cuts[98] * 1000:9.2f} ms")
    print(f"latency max     {max(latencies) * 1000:9.2f} ms")
    print(f"nginx answers   {dict(sorted(statuses.items()))}; client errors {len(errors)}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
