"""Shared by the serving tests: a published channel and the three servers that must all do.

``served(kind, folder)`` serves a channel folder with a real nginx (the shipped rules),
with ``content_sync.sync.serve`` (the laptop demo), or with ``python3 -m http.server`` (a
plain static server: no ranges, no validators). nginx and serve.py also report what they
answered (status and the Range asked), so a test can see a resume got its 206.
"""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from content_sync.sync.repository import ChannelRepository, create
from content_sync.sync.serve import Served, make_server

from .nginx_server import NginxServer
from .test_tuf_channel import LANZHOU, TIANSHUI, FakeClock

SERVERS = ("nginx", "serve.py", "http.server")
PACK_SIZE = 1_500_000
PACK = random.Random(2026).randbytes(PACK_SIZE)  # random bytes: nothing to gain from compression


@dataclass(frozen=True)
class Answer:
    """What a server says it answered (nginx's access log or serve.py's hook)."""

    method: str
    path: str
    status: int
    range: str


@dataclass
class Published:
    """A channel folder with one pack published to lanzhou/station (and one to tianshui)."""

    dir: Path
    repo: ChannelRepository
    clock: FakeClock

    @property
    def root_file(self) -> Path:
        return self.dir / "metadata" / "1.root.json"


def publish_channel(tmp: Path) -> Published:
    """Create a channel with python-tuf (repository.py) and publish a 1.5 MB pack to lanzhou/station."""
    clock = FakeClock()
    repo = create(tmp / "channel", tmp / "keys", clock=clock, groups=(LANZHOU, TIANSHUI))
    sources = tmp / "sources"
    sources.mkdir()
    (sources / "pack-3.kpack").write_bytes(PACK)
    repo.add_target(LANZHOU, sources / "pack-3.kpack", "pack-3.kpack", {"version": "3"})
    (sources / "other.kpack").write_bytes(b"tianshui only" * 100)
    repo.add_target(TIANSHUI, sources / "other.kpack", "pack-3.kpack", {"version": "3"})
    return Published(repo.dir, repo, clock)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _http_server(folder: Path) -> Iterator[str]:
    """``python3 -m http.server`` itself, in its own process, as an operator would run it."""
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("python3 -m http.server did not start") from None
                time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(timeout=10)


@contextmanager
def served(kind: str, folder: Path) -> Iterator[tuple[str, Callable[[], list[Answer]]]]:
    """Serve ``folder`` with one of :data:`SERVERS`; yields its URL and a reader of its answers."""
    if kind == "nginx":
        with NginxServer(folder) as nginx:

            def nginx_answers() -> list[Answer]:
                return [Answer(r.method, r.uri, r.status, r.range) for r in nginx.requests()]

            yield nginx.url, nginx_answers
    elif kind == "serve.py":
        log: list[Served] = []
        lock = threading.Lock()

        def note(answer: Served) -> None:
            with lock:
                log.append(answer)

        server = make_server(folder, "127.0.0.1", 0, quiet=True, on_request=note)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        thread.start()
        try:

            def serve_answers() -> list[Answer]:
                with lock:
                    return [Answer(a.method, a.path, a.status, a.range) for a in log]

            yield server.url, serve_answers
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
    elif kind == "http.server":
        with _http_server(folder) as url:
            yield url, list
    else:
        raise ValueError(kind)
