"""Harness for the channel tests: a real repository on disk, served by a loopback http.server.

Shared by test_repository*.py and test_tuf*.py. Also holds the forging helpers the attack
tests use: they sign with the channel's own key files (or retired or foreign keys) through
python-tuf's Metadata API, so an attack differs from a real publication in exactly one way.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Snapshot, Timestamp

from content_sync.sync.repository import ChannelRepository, create
from content_sync.sync.trust import ChannelClient, provision

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LANZHOU = "lanzhou/station"
TIANSHUI = "tianshui/hotel-room"


class FakeClock:
    """An injected clock the tests move by hand (no test reads the wall clock)."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a loopback port like any static web server; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every file's bytes (and every link's target) under ``folder``: the kiosk's trusted state."""
    out: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = f"-> {path.readlink()}"
        elif path.is_file():
            out[rel] = path.read_bytes()
    return out


@dataclass
class Channel:
    """A channel folder, its keys, its server URL and a clock."""

    tmp: Path
    repo: ChannelRepository
    clock: FakeClock
    url: str
    kiosks: dict[str, ChannelClient] = field(default_factory=dict)

    @property
    def meta_dir(self) -> Path:
        return self.repo.metadata_dir

    def kiosk(self, name: str = "kiosk", group: str = LANZHOU, root_version: int = 1) -> ChannelClient:
        """A kiosk provisioned with ``N.root.json``, sharing the channel's clock."""
        device = self.tmp / "devices" / name / "metadata"
        provision(device, self.meta_dir / f"{root_version}.root.json")
        client = ChannelClient(device, self.url, group, clock=self.clock)
        self.kiosks[name] = client
        return client

    def publish(self, group: str = LANZHOU, name: str = "pack-2.kpack", data: bytes = b"v2" * 500, **custom: Any):
        source = self.tmp / "sources" / name
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(data)
        return self.repo.add_target(group, source, name, custom or None)

    # -- forging -----------------------------------------------------------------------------

    def key(self, name: str) -> CryptoSigner:
        """A live key of the channel, or a retired one (``retired:NAME``)."""
        if name.startswith("retired:"):
            (path,) = (self.repo.keys.path / "retired").glob(f"{name.split(':', 1)[1]}-*.pem")
            return self.repo.keys._load_file(path)
        return self.repo.keys.load(name)

    def current(self, role: str) -> Path:
        """The newest metadata file of ``role``."""
        return self.repo._file(role, self.repo._current_version(role))

    def load(self, path: Path) -> Metadata:
        return Metadata.from_bytes(path.read_bytes())

    def write(self, md: Metadata, path: Path, *signers: CryptoSigner) -> bytes:
        """Sign ``md`` with exactly ``signers`` and write it to ``path``."""
        md.signatures.clear()
        for signer in signers:
            md.sign(signer, append=True)
        data = md.to_bytes()
        path.write_bytes(data)
        return data

    def forge(
        self,
        role: str,
        mutate: Callable[[Any], None],
        *signers: CryptoSigner,
        new_version: bool = True,
    ) -> Path:
        """Write a changed copy of ``role`` (a new version by default), signed by ``signers``
        (default: the role's real key); returns its path. The chain above it is not touched."""
        path = self.current(role)
        md = self.load(path)
        if new_version:
            md.signed.version += 1
        mutate(md.signed)
        if new_version:
            path = self.repo._file(role, md.signed.version)
        self.write(md, path, *(signers or self._real_signers(role)))
        return path

    def _real_signers(self, role: str) -> list[CryptoSigner]:
        names = {"timestamp": "timestamp", "snapshot": "snapshot", "targets": "targets"}
        if role in names:
            return [self.key(names[role])]
        return [self.key(f"county-{role.split('.')[0]}")]

    def relist(self, role: str, path: Path, *, version: int | None = None) -> None:
        """Publish a new snapshot and timestamp (real keys) listing ``path`` as ``role``'s file,
        so that only the forged file is wrong."""
        data = path.read_bytes()
        listed = version if version is not None else Metadata.from_bytes(data).signed.version

        def point(snapshot: Snapshot) -> None:
            snapshot.meta[f"{role}.json"] = MetaFile.from_data(listed, data, ["sha256"])

        snap_path = self.forge("snapshot", point)
        self.retimestamp(snap_path)

    def retimestamp(self, snapshot_path: Path, *signers: CryptoSigner) -> Path:
        """Publish a new timestamp (real key unless given) pointing at ``snapshot_path``."""
        data = snapshot_path.read_bytes()
        version = Metadata.from_bytes(data).signed.version

        def point(timestamp: Timestamp) -> None:
            timestamp.snapshot_meta = MetaFile.from_data(version, data, ["sha256"])
            timestamp.expires = self.clock() + timedelta(days=1)

        return self.forge("timestamp", point, *signers)


@contextmanager
def open_channel(tmp: Path, clock: FakeClock | None = None) -> Iterator[Channel]:
    """A channel with the groups lanzhou/station and tianshui/hotel-room, one pack in each, served."""
    clock = clock or FakeClock()
    repo = create(tmp / "channel", tmp / "keys", clock=clock, groups=(LANZHOU, TIANSHUI))
    with serve(repo.dir) as url:
        channel = Channel(tmp, repo, clock, url)
        channel.publish(LANZHOU, "pack-1.kpack", b"lanzhou v1" * 100, version="1")
        channel.publish(TIANSHUI, "pack-1.kpack", b"tianshui v1" * 100, version="1")
        yield channel
