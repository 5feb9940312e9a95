"""python-tuf's ngclient downloading through the kiosk's fetcher (same limits, retries, resume).

A minimal signed repository (root, timestamp, snapshot, targets and one target file) is made
with ``tuf.api.metadata`` and served by the loopback origin behind the fault-injecting proxy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api import exceptions as tuf_exceptions
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer
from tuf.ngclient import Updater

from content_sync.sync.fetch import TufFetcher

from .faulty_proxy import Fault, FaultyProxy, Origin
from .test_fetch_faults import Waits, make_fetcher

# Far from any clock the suite runs under (ngclient checks expiry against the real time).
EXPIRES = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
TARGET = bytes(range(256)) * 20


def signed_repository() -> dict[str, bytes]:
    """Every file of a one-key repository, by URL path (consistent snapshots, hashed targets)."""
    signer = CryptoSigner.generate_ed25519()
    root = Root(expires=EXPIRES)
    for role in ("root", "timestamp", "snapshot", "targets"):
        root.add_key(signer.public_key, role)
    target = TargetFile.from_data("channel/blob.bin", TARGET, ["sha256"])
    targets = Targets(expires=EXPIRES, targets={target.path: target})
    snapshot = Snapshot(expires=EXPIRES, meta={"targets.json": MetaFile(version=1)})
    timestamp = Timestamp(expires=EXPIRES, snapshot_meta=MetaFile(version=1))
    out = {}
    for name, signed in (("1.root", root), ("1.targets", targets), ("1.snapshot", snapshot), ("timestamp", timestamp)):
        md = Metadata(signed)
        md.sign(signer)
        out[f"/metadata/{name}.json"] = md.to_bytes(JSONSerializer())
    digest = hashlib.sha256(TARGET).hexdigest()
    out[f"/targets/channel/{digest}.blob.bin"] = TARGET
    return out


@pytest.fixture
def served() -> Iterator[tuple[Origin, FaultyProxy]]:
    origin = Origin(files=signed_repository())
    proxy = FaultyProxy(origin.url)
    yield origin, proxy
    proxy.close()
    origin.close()


def updater(proxy: FaultyProxy, origin: Origin, tmp_path: Path, fetcher: TufFetcher) -> Updater:
    metadata = tmp_path / "metadata"
    metadata.mkdir(exist_ok=True)
    (tmp_path / "targets").mkdir(exist_ok=True)
    return Updater(
        str(metadata),
        proxy.url + "/metadata/",
        str(tmp_path / "targets"),
        proxy.url + "/targets/",
        fetcher=fetcher,
        bootstrap=origin.files["/metadata/1.root.json"],
    )


def test_ngclient_refreshes_and_downloads_through_cut_connections(
    served: tuple[Origin, FaultyProxy], tmp_path: Path
) -> None:
    origin, proxy = served
    proxy.cut_every = 300  # every metadata file and the target arrive in 300-byte pieces
    with make_fetcher(Waits()) as fetcher:
        client = updater(proxy, origin, tmp_path, fetcher.tuf_fetcher())
        client.refresh()
        info = client.get_targetinfo("channel/blob.bin")
        assert info is not None
        path = client.download_target(info)
        assert Path(path).read_bytes() == TARGET
        resumed = [r for r in origin.requests if "Range" in r]
        assert resumed, "metadata and target were resumed with Range"
        # every byte came once: resumes, not restarts
        needed = sum(len(body) for p, body in origin.files.items() if p != "/metadata/1.root.json")
        assert fetcher.bytes_received == needed
    assert all(r["User-Agent"].startswith("tourism-kiosk-sync/") for r in origin.requests)


def test_ngclient_waits_out_a_busy_server(served: tuple[Origin, FaultyProxy], tmp_path: Path) -> None:
    origin, proxy = served
    proxy.plan = [Fault("pass"), Fault("status", status=429, headers={"Retry-After": "7"})]
    waits = Waits()
    with make_fetcher(waits) as fetcher:
        updater(proxy, origin, tmp_path, fetcher.tuf_fetcher()).refresh()
    assert waits == [7.0]


def test_endless_timestamp_is_refused_as_a_length_mismatch(served: tuple[Origin, FaultyProxy], tmp_path: Path) -> None:
    origin, proxy = served
    # 1: the root probe (404, no newer root), 2: timestamp.json with megabytes after it
    proxy.plan = [Fault("pass"), Fault("extra", extra=2_000_000)]
    with make_fetcher(Waits()) as fetcher:
        client = updater(proxy, origin, tmp_path, fetcher.tuf_fetcher())
        with pytest.raises(tuf_exceptions.DownloadLengthMismatchError):
            client.refresh()
        # stopped one byte past ngclient's cap for timestamp.json (16 kB), not after 2 MB
        assert fetcher.bytes_received <= 16384 + 1


def test_missing_file_keeps_its_status_for_ngclient(served: tuple[Origin, FaultyProxy]) -> None:
    _, proxy = served
    with make_fetcher(Waits()) as fetcher:
        with pytest.raises(tuf_exceptions.DownloadHTTPError) as caught:
            fetcher.tuf_fetcher().download_bytes(proxy.url + "/metadata/2.root.json", 1000)
        assert caught.value.status_code == 404


def test_plain_fetch_hook_streams_one_answer(served: tuple[Origin, FaultyProxy]) -> None:
    origin, proxy = served
    with make_fetcher(Waits()) as fetcher:
        body = b"".join(fetcher.tuf_fetcher().fetch(proxy.url + "/metadata/timestamp.json"))
    assert body == origin.files["/metadata/timestamp.json"]


def test_a_cut_that_never_heals_becomes_a_tuf_download_error(
    served: tuple[Origin, FaultyProxy], tmp_path: Path
) -> None:
    origin, proxy = served
    proxy.plan = [Fault("pass")] + [Fault("cut", at=0) for _ in range(10)]
    with make_fetcher(Waits(), max_failures=3) as fetcher:
        client = updater(proxy, origin, tmp_path, fetcher.tuf_fetcher())
        with pytest.raises(tuf_exceptions.DownloadError, match=r"timestamp\.json cut 3 times"):
            client.refresh()


def test_plain_fetch_hook_turns_a_cut_into_a_download_error(served: tuple[Origin, FaultyProxy]) -> None:
    _, proxy = served
    proxy.plan = [Fault("cut", at=100)]
    with make_fetcher(Waits()) as fetcher, pytest.raises(tuf_exceptions.DownloadError, match="connection cut"):
        b"".join(fetcher.tuf_fetcher().fetch(proxy.url + "/metadata/timestamp.json"))
