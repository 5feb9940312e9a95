"""Resuming across calls and across a killed process, and serving by a plain static server.

The ``.part`` file and its JSON note are the only state a download keeps: a child process is
SIGKILLed at seeded random moments while it downloads through a slow link, and each next call
picks up exactly where the bytes on disk end.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from content_sync.sync.fetch import Fetcher, FetchPolicy

from .faulty_proxy import Fault, FaultyProxy, Origin
from .test_fetch_faults import BLOB, PATH, SHA, SIZE, Waits, assert_right, make_fetcher

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def origin() -> Iterator[Origin]:
    server = Origin(files={PATH: BLOB})
    yield server
    server.close()


@pytest.fixture
def proxy(origin: Origin) -> Iterator[FaultyProxy]:
    server = FaultyProxy(origin.url)
    yield server
    server.close()


def part_of(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def note_of(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.json")


def test_a_part_left_by_an_earlier_call_is_resumed(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    dest = tmp_path / "blob"
    proxy.plan = [Fault("cut", at=0) for _ in range(3)]
    # first call: one connection gets 700 kB, then the link is down until the budget runs out
    proxy.plan.insert(0, Fault("cut", at=700_000))
    with make_fetcher(Waits(), max_failures=3) as fetcher, pytest.raises(Exception, match="cut"):
        fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
    assert part_of(dest).stat().st_size == 700_000
    assert json.loads(note_of(dest).read_text())["validator"].startswith('"')
    with make_fetcher(Waits()) as fetcher:
        result = fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
    assert_right(dest)
    assert result.resumed_from == 700_000
    assert result.bytes_received == SIZE - 700_000
    assert origin.requests[-1]["Range"] == "bytes=700000-"


def test_a_part_of_another_file_is_not_resumed(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    dest = tmp_path / "blob"
    part_of(dest).write_bytes(b"x" * 5000)
    note_of(dest).write_text(json.dumps({"sha256": "0" * 64, "length": SIZE, "validator": None}))
    with make_fetcher(Waits()) as fetcher:
        result = fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
    assert_right(dest)
    assert result.resumed_from == 0
    assert "Range" not in origin.requests[0]


def test_a_corrupt_part_is_caught_by_the_hash_and_fetched_again(
    proxy: FaultyProxy, origin: Origin, tmp_path: Path
) -> None:
    """A power cut may leave garbage at a part's end; the final hash check starts it over once."""
    dest = tmp_path / "blob"
    part_of(dest).write_bytes(BLOB[:400_000] + b"\0" * 4096)
    note_of(dest).write_text(json.dumps({"sha256": SHA, "length": SIZE, "validator": None}))
    with make_fetcher(Waits()) as fetcher:
        result = fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
    assert_right(dest)
    assert result.restarts == 1
    assert result.bytes_received == SIZE - 404_096 + SIZE


CHILD = """
import sys
from pathlib import Path
from content_sync.sync.fetch import Fetcher, FetchPolicy
url, dest, length, sha = sys.argv[1:]
fetcher = Fetcher(FetchPolicy(stall_timeout=5.0))
print("ready", flush=True)
fetcher.download(url, Path(dest), expected_length=int(length), expected_sha256=sha)
print("done", flush=True)
"""


def test_sigkill_at_random_moments_then_the_next_call_resumes(
    proxy: FaultyProxy, origin: Origin, tmp_path: Path
) -> None:
    proxy.delay_per_piece = 0.03  # about 0.5 MB/s: the whole blob takes more than 2 seconds
    dest = tmp_path / "blob"
    rng = random.Random(20261204)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sizes = []
    for _ in range(5):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, proxy.url + PATH, str(dest), str(SIZE), SHA],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))  # five kills stay under the 2.3 s the blob takes
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert not dest.exists()
        sizes.append(part_of(dest).stat().st_size if part_of(dest).exists() else 0)
        # what is on disk is always a prefix of the signed file
        assert BLOB.startswith(part_of(dest).read_bytes() if part_of(dest).exists() else b"")
    assert sizes == sorted(sizes) and 0 < sizes[-1] < SIZE, sizes
    proxy.delay_per_piece = 0.0
    with make_fetcher(Waits()) as fetcher:
        result = fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
    assert_right(dest)
    assert result.resumed_from == sizes[-1]
    assert result.bytes_received == SIZE - sizes[-1]


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``python -m http.server``: no ranges, no ETag; any static server must do."""
    root = tmp_path / "www"
    (root / "blobs").mkdir(parents=True)
    (root / PATH.lstrip("/")).write_bytes(BLOB)
    child = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert child.stdout is not None
    line = child.stdout.readline()  # "Serving HTTP on 127.0.0.1 port NNNN (...)"
    port = int(line.split(" port ")[1].split()[0])
    yield f"http://127.0.0.1:{port}", root
    child.terminate()
    child.wait()


def test_plain_http_server_serves_a_download(http_server: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = http_server
    dest = tmp_path / "blob"
    with make_fetcher(Waits()) as fetcher:
        result = fetcher.download(url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
    assert_right(dest)
    assert result.bytes_received == SIZE


def test_plain_http_server_without_ranges_restarts_after_a_cut(http_server: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = http_server
    proxy = FaultyProxy(url)
    try:
        proxy.plan = [Fault("cut", at=250_000)]
        dest = tmp_path / "blob"
        with make_fetcher(Waits()) as fetcher:
            result = fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
        assert_right(dest)
        # http.server ignores Range: the 200 restarts the file, never appends to it
        assert result.restarts == 1
        assert result.bytes_received == SIZE + 250_000
    finally:
        proxy.close()


def test_totals_are_counted_per_fetcher(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    origin.files["/b"] = b"b" * 1000
    with Fetcher(FetchPolicy(), sleep=Waits()) as fetcher:
        fetcher.download(proxy.url + PATH, tmp_path / "a", expected_length=SIZE, expected_sha256=SHA)
        fetcher.download(
            proxy.url + "/b",
            tmp_path / "b",
            expected_length=1000,
            expected_sha256=hashlib.sha256(b"b" * 1000).hexdigest(),
        )
        assert fetcher.bytes_received == SIZE + 1000


def test_a_note_left_by_a_kill_after_the_rename_is_cleaned_up(proxy: FaultyProxy, tmp_path: Path) -> None:
    dest = tmp_path / "blob"
    dest.write_bytes(BLOB)
    note_of(dest).write_text(json.dumps({"sha256": SHA, "length": SIZE, "validator": None}))
    with make_fetcher(Waits()) as fetcher:
        result = fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
    assert result.bytes_received == 0 and proxy.requests == []
    assert_right(dest)
