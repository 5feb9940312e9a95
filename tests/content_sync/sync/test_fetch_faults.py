"""The downloader against a real loopback server behind a fault-injecting proxy.

Every fault either ends with the signed bytes in place (and, where a resume is possible, at
most 1.1 times the bytes the file needed, counted by the proxy on the wire) or with one clear
refusal and nothing moved into place. Waits are recorded, never slept. The stall timeout is a
generous 5 s (a loaded test machine must not look stalled) except in the stall tests, where it is
0.3 s against a 3 s stall.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from content_sync.sync.fetch import (
    DownloadCutError,
    Fetcher,
    FetchError,
    FetchHTTPError,
    FetchPolicy,
    FetchRefused,
    HashMismatchError,
    ServerBusyError,
    TooLargeError,
    parse_retry_after,
)

from .faulty_proxy import Fault, FaultyProxy, Origin

NOW = dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.UTC)
SIZE = 1_200_000
BLOB = random.Random(12).randbytes(SIZE)
SHA = hashlib.sha256(BLOB).hexdigest()
PATH = f"/blobs/{SHA}.pack"


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


class Waits(list[float]):
    """The sleep function the fetcher gets: records each wait instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_fetcher(waits: Waits, **policy: float) -> Fetcher:
    settings: dict = {"stall_timeout": 5.0, "connect_timeout": 5.0, **policy}
    return Fetcher(FetchPolicy(**settings), sleep=waits, rng=random.Random(7), now=lambda: NOW)


def fetch(proxy: FaultyProxy, dest: Path, waits: Waits | None = None, **policy: float):
    with make_fetcher(waits if waits is not None else Waits(), **policy) as fetcher:
        return fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)


def assert_right(dest: Path) -> None:
    assert dest.read_bytes() == BLOB
    assert not dest.with_name(dest.name + ".part").exists()
    assert not dest.with_name(dest.name + ".part.json").exists()


def assert_nothing_in_place(dest: Path) -> None:
    assert not dest.exists()
    assert not dest.with_name(dest.name + ".part").exists()


def test_clean_download_sends_the_kiosk_headers(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    dest = tmp_path / "blob"
    result = fetch(proxy, dest)
    assert_right(dest)
    assert result.bytes_received == SIZE and result.attempts == 1
    sent = origin.requests[0]
    assert sent["Accept-Encoding"] == "identity"
    assert sent["User-Agent"].startswith("tourism-kiosk-sync/")
    assert "Range" not in sent


def test_cut_every_200_kb_resumes_with_range_and_if_range(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    proxy.cut_every = 200_000
    dest = tmp_path / "blob"
    waits = Waits()
    result = fetch(proxy, dest, waits)
    assert_right(dest)
    assert result.attempts == 6  # 1.2 MB in 200 kB pieces
    assert waits == []  # every cut made progress: resumed at once
    assert proxy.body_bytes_sent <= 1.1 * SIZE
    assert result.bytes_received <= 1.1 * SIZE
    resumed = origin.requests[1]
    assert resumed["Range"] == "bytes=200000-"
    assert resumed["If-Range"].startswith('"')


def test_cut_connection_without_validators_still_resumes(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    origin.etags = False  # only Last-Modified: If-Range carries the date
    proxy.cut_every = 300_000
    dest = tmp_path / "blob"
    fetch(proxy, dest)
    assert_right(dest)
    assert origin.requests[1]["If-Range"].endswith("GMT")
    assert proxy.body_bytes_sent <= 1.1 * SIZE


def test_stall_is_detected_and_resumed(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("stall", at=400_000, seconds=3.0)]
    dest = tmp_path / "blob"
    started = time.perf_counter()
    result = fetch(proxy, dest, stall_timeout=0.3)
    assert time.perf_counter() - started < 2.5  # did not sit out the 3 s stall
    assert_right(dest)
    assert result.attempts >= 2
    assert proxy.requests[1]["Range"] == "bytes=400000-"
    assert proxy.body_bytes_sent <= 1.1 * SIZE


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_back_off_and_retry(proxy: FaultyProxy, tmp_path: Path, status: int) -> None:
    proxy.plan = [Fault("status", status=status), Fault("status", status=status)]
    dest = tmp_path / "blob"
    waits = Waits()
    fetch(proxy, dest, waits, backoff_base=2.0)
    assert_right(dest)
    # equal jitter: the n-th wait lies in [d/2, d] with d = 2, 4
    assert len(waits) == 2 and 1.0 <= waits[0] <= 2.0 and 2.0 <= waits[1] <= 4.0


def test_429_retry_after_seconds_is_honoured(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("status", status=429, headers={"Retry-After": "42"})]
    waits = Waits()
    dest = tmp_path / "blob"
    fetch(proxy, dest, waits)
    assert_right(dest)
    assert waits == [42.0]


def test_503_retry_after_http_date_uses_the_injected_clock(proxy: FaultyProxy, tmp_path: Path) -> None:
    when = (NOW + dt.timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    proxy.plan = [Fault("status", status=503, headers={"Retry-After": when})]
    waits = Waits()
    dest = tmp_path / "blob"
    fetch(proxy, dest, waits)
    assert_right(dest)
    assert waits == [90.0]


def test_server_busy_budget_gives_one_plain_line(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("status", status=429, headers={"Retry-After": "60"}) for _ in range(10)]
    waits = Waits()
    with pytest.raises(ServerBusyError) as caught:
        fetch(proxy, tmp_path / "blob", waits)
    assert str(caught.value) == "server busy (429) 5 times; next try in 60 s"
    assert caught.value.retry_in == 60.0
    assert waits == [60.0] * 4


def test_retry_after_beyond_the_limit_gives_up_at_once(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("status", status=503, headers={"Retry-After": "3600"})]
    waits = Waits()
    with pytest.raises(ServerBusyError, match=r"^server busy \(503\); next try in 3600 s$"):
        fetch(proxy, tmp_path / "blob", waits)
    assert waits == []


def test_cuts_without_progress_exhaust_the_budget(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("cut", at=0) for _ in range(20)]
    waits = Waits()
    with pytest.raises(DownloadCutError) as caught:
        fetch(proxy, tmp_path / "blob", waits, max_failures=5)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"download of {SHA}.pack cut 5 times")
    assert len(waits) == 4
    # exponential: each range doubles (base 1 s): [0.5,1], [1,2], [2,4], [4,8]
    for n, wait in enumerate(waits):
        assert 2**n / 2 <= wait <= 2**n


def test_truncated_bodies_are_resumed(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    proxy.plan = [Fault("truncate", at=500_000), Fault("truncate", at=300_000)]
    dest = tmp_path / "blob"
    result = fetch(proxy, dest)
    assert_right(dest)
    assert result.attempts == 3
    assert origin.requests[1]["Range"] == "bytes=500000-"
    assert origin.requests[2]["Range"] == "bytes=800000-"
    assert proxy.body_bytes_sent <= 1.1 * SIZE


def test_more_bytes_declared_than_signed_is_refused_before_reading(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("extra", extra=10, declare=True)]
    dest = tmp_path / "blob"
    with pytest.raises(TooLargeError, match="more than the 1200000 signed; refused"):
        fetch(proxy, dest)
    assert_nothing_in_place(dest)


def test_endless_data_stops_one_byte_past_the_signed_size(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("extra", extra=5_000_000)]
    dest = tmp_path / "blob"
    waits = Waits()
    with make_fetcher(waits) as fetcher:
        with pytest.raises(TooLargeError, match="sent more than the 1200000 bytes signed"):
            fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
        assert fetcher.bytes_received == SIZE + 1
    assert_nothing_in_place(dest)


def test_200_to_a_range_request_restarts_never_appends(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("cut", at=100_000), Fault("ignore_range")]
    dest = tmp_path / "blob"
    result = fetch(proxy, dest)
    assert_right(dest)  # appending would have made 1.3 MB
    assert result.restarts == 1
    # the wasted prefix is the only overhead
    assert proxy.body_bytes_sent == SIZE + 100_000


def test_206_with_a_wrong_content_range_is_refused(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("cut", at=100_000), Fault("bad_range")]
    dest = tmp_path / "blob"
    with pytest.raises(FetchRefused, match=r"asked for bytes 100000-, server sent 'bytes 100001-"):
        fetch(proxy, dest)
    assert_nothing_in_place(dest)


def swap_plan(origin: Origin) -> list[Fault]:
    """The server starts with a stale file; mid-download the signed one replaces it."""
    origin.files[PATH] = bytes(reversed(BLOB))

    def swap() -> None:
        origin.files[PATH] = BLOB

    return [Fault("swap", at=300_000, action=swap)]


def test_file_swapped_mid_download_is_detected_by_if_range(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    proxy.plan = swap_plan(origin)
    dest = tmp_path / "blob"
    result = fetch(proxy, dest)
    assert_right(dest)
    assert result.restarts == 1 and result.attempts == 2


def test_swap_behind_a_server_ignoring_if_range_is_caught_by_the_etag(
    proxy: FaultyProxy, origin: Origin, tmp_path: Path
) -> None:
    origin.honour_if_range = False
    proxy.plan = swap_plan(origin)
    dest = tmp_path / "blob"
    result = fetch(proxy, dest)
    assert_right(dest)
    assert result.restarts == 1


def test_swap_without_any_validator_is_caught_by_the_hash(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    origin.etags = False
    origin.honour_if_range = False  # Last-Modified unchanged: nothing but the hash can tell
    proxy.plan = swap_plan(origin)
    dest = tmp_path / "blob"
    result = fetch(proxy, dest)
    assert_right(dest)
    assert result.restarts == 1


def test_wrong_file_on_the_server_is_refused_by_hash(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    origin.files[PATH] = bytes(reversed(BLOB))
    dest = tmp_path / "blob"
    with pytest.raises(HashMismatchError, match="do not match the signed SHA-256; refused"):
        fetch(proxy, dest)
    assert_nothing_in_place(dest)
    assert proxy.body_bytes_sent == SIZE  # a clean full copy that fails is final: no second try


def test_redirect_to_another_host_is_refused(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    port = proxy.server.server_address[1]
    proxy.plan = [Fault("redirect", location=f"http://localhost:{port}{PATH}")]
    dest = tmp_path / "blob"
    with pytest.raises(FetchRefused) as caught:
        fetch(proxy, dest)
    assert str(caught.value) == f"redirect to another host refused: 127.0.0.1:{port} -> localhost:{port}"
    assert origin.requests == []


def test_same_origin_redirect_is_followed(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("redirect", location=PATH)]
    dest = tmp_path / "blob"
    fetch(proxy, dest)
    assert_right(dest)


def test_endless_redirects_are_refused(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("redirect", location=PATH) for _ in range(10)]
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        fetch(proxy, tmp_path / "blob")


def test_404_is_not_retried(proxy: FaultyProxy, tmp_path: Path) -> None:
    waits = Waits()
    with make_fetcher(waits) as fetcher, pytest.raises(FetchHTTPError) as caught:
        fetcher.download(proxy.url + "/missing", tmp_path / "x", expected_length=1, expected_sha256=SHA)
    assert caught.value.status == 404
    assert str(caught.value) == "missing: server answered 404 Not Found"
    assert waits == []


def test_every_fault_in_one_download(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    proxy.plan = [
        Fault("status", status=503, headers={"Retry-After": "5"}),
        Fault("cut", at=150_000),
        Fault("status", status=500),
        Fault("truncate", at=100_000),
        Fault("stall", at=200_000, seconds=3.0),
        Fault("status", status=429, headers={"Retry-After": "1"}),
        Fault("cut", at=250_000),
    ]
    dest = tmp_path / "blob"
    result = fetch(proxy, dest, stall_timeout=0.3)
    assert_right(dest)
    assert result.restarts == 0
    assert proxy.body_bytes_sent <= 1.1 * SIZE


def test_an_existing_verified_file_is_not_fetched_again(proxy: FaultyProxy, tmp_path: Path) -> None:
    dest = tmp_path / "blob"
    fetch(proxy, dest)
    again = fetch(proxy, dest)
    assert again.bytes_received == 0 and again.attempts == 0
    assert len(proxy.requests) == 1


def test_a_compressed_answer_is_refused(proxy: FaultyProxy, tmp_path: Path) -> None:
    """Ranges count encoded bytes: a blob must travel as itself (the nginx config turns gzip off)."""
    proxy.plan = [Fault("headers", headers={"Content-Encoding": "gzip"})]
    dest = tmp_path / "blob"
    with pytest.raises(FetchRefused, match=r"server compressed the file \(gzip\); serve blobs uncompressed"):
        fetch(proxy, dest)
    assert_nothing_in_place(dest)


def test_persistent_server_errors_end_in_one_line(proxy: FaultyProxy, tmp_path: Path) -> None:
    proxy.plan = [Fault("status", status=500) for _ in range(10)]
    with pytest.raises(DownloadCutError) as caught:
        fetch(proxy, tmp_path / "blob", max_failures=3)
    assert str(caught.value) == f"download of {SHA}.pack failed 3 times in a row (server error 500); giving up for now"


def test_a_disk_that_cannot_take_the_file_is_one_line(proxy: FaultyProxy, tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("x")
    with pytest.raises(FetchError, match=r"^blob: cannot write the download: Not a directory$"):
        fetch(proxy, tmp_path / "not-a-folder" / "blob")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("Tue, 03 Nov 2026 08:02:00 GMT", 120.0),
        ("Tue, 03 Nov 2026 07:00:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_a_server_ignoring_ranges_on_a_cutting_link_is_refused_in_the_end(
    proxy: FaultyProxy, origin: Origin, tmp_path: Path
) -> None:
    origin.ranges = False
    proxy.cut_every = 200_000
    dest = tmp_path / "blob"
    with pytest.raises(FetchRefused, match=r"started the file over 4 times \(ranges ignored or file replaced\)"):
        fetch(proxy, dest)
    assert_nothing_in_place(dest)
    assert proxy.body_bytes_sent == 5 * 200_000


def test_416_to_a_range_starts_over(proxy: FaultyProxy, origin: Origin, tmp_path: Path) -> None:
    """A part longer than the server's file (the note's length lied, a disk error): from byte 0."""
    short = BLOB[:1000]
    origin.files["/short"] = short
    dest = tmp_path / "short"
    dest.with_name("short.part").write_bytes(short + b"!" * 500)
    sha = hashlib.sha256(short).hexdigest()
    dest.with_name("short.part.json").write_text(f'{{"sha256": "{sha}", "length": 2000, "validator": null}}')
    with (
        make_fetcher(Waits()) as fetcher,
        pytest.raises(FetchRefused, match="server has 1000 bytes, the signed size is 2000"),
    ):
        fetcher.download(proxy.url + "/short", dest, expected_length=2000, expected_sha256=sha)
    assert origin.requests[0]["Range"] == "bytes=1500-"  # answered 416
    assert "Range" not in origin.requests[1]


class Ticks:
    """A monotonic clock that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.t = 0.0
        self.step = step

    def __call__(self) -> float:
        self.t += self.step
        return self.t


def slow_fetcher(waits: Waits, min_rate: float) -> Fetcher:
    policy = FetchPolicy(stall_timeout=5.0, min_rate=min_rate, slow_grace=30.0, max_failures=3)
    return Fetcher(policy, sleep=waits, rng=random.Random(7), now=lambda: NOW, monotonic=Ticks(10.0))


def test_slow_retrieval_fails_even_though_bytes_arrive(proxy: FaultyProxy, tmp_path: Path) -> None:
    """TUF's slow-retrieval attack: a trickle never stalls, so a rate floor ends each attempt."""
    dest = tmp_path / "blob"
    waits = Waits()
    # every read of the clock is 10 s later: three chunks in 30 s is far below 1 MB/s
    with slow_fetcher(waits, min_rate=1_000_000) as fetcher, pytest.raises(DownloadCutError) as caught:
        fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
    assert str(caught.value).startswith(f"download of {SHA}.pack too slow 3 times in a row (")
    assert str(caught.value).endswith(" B/s); giving up for now")
    assert len(waits) == 2  # backed off between slow attempts, unlike after an ordinary cut
    assert 0 < dest.with_name("blob.part").stat().st_size < SIZE  # kept for the next cycle


def test_a_link_above_the_rate_floor_is_left_alone(proxy: FaultyProxy, tmp_path: Path) -> None:
    dest = tmp_path / "blob"
    with slow_fetcher(Waits(), min_rate=100) as fetcher:
        result = fetcher.download(proxy.url + PATH, dest, expected_length=SIZE, expected_sha256=SHA)
    assert_right(dest)
    assert result.attempts == 1


def test_a_server_that_is_down_is_named_unreachable(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits = Waits()
    with make_fetcher(waits, max_failures=3) as fetcher, pytest.raises(DownloadCutError) as caught:
        fetcher.download(f"http://127.0.0.1:{port}{PATH}", tmp_path / "blob", expected_length=SIZE, expected_sha256=SHA)
    assert str(caught.value) == (
        f"download of {SHA}.pack failed: server unreachable 3 times in a row (connection refused); giving up for now"
    )
    assert len(waits) == 2
