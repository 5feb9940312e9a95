"""What nginx (with packaging/nginx/kiosk-channel.conf) and serve.py answer, header by header.

Both must give a kiosk and any cache in between the same promises: blobs and versioned
metadata immutable for a year, ``timestamp.json`` and 404s a minute, never a compressed body
(even to a client asking for gzip; the test nginx has ``gzip on`` for every type at the http
level), one byte range with 206 or 416, validators for If-None-Match and If-Range, GET and HEAD
only, no folder listing, nothing outside the channel folder.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from content_sync.sync.serve import IMMUTABLE, SHORT, ServeError, cache_control, main, make_server, parse_range

from .serving_harness import PACK, PACK_SIZE, Published, publish_channel, served
from .test_tuf_channel import LANZHOU

SECRET = b"operator's private key material"


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> Published:
    tmp = tmp_path_factory.mktemp("serving-headers")
    published = publish_channel(tmp)
    (tmp / "secret.pem").write_bytes(SECRET)  # beside the served folder, as keys/ is
    meta = published.dir / "metadata"
    (meta / ".tmp-k2j3h4").write_bytes(b"half a timestamp")  # an atomic write's temporary name
    os.symlink(tmp / "secret.pem", meta / "9.leak.json")  # a link out of the folder
    os.symlink(meta / "1.root.json", meta / "8.alias.json")  # a link inside it: refused all the same
    return published


@pytest.fixture(scope="module", params=["nginx", "serve.py"])
def server(request: pytest.FixtureRequest, channel: Published) -> Iterator[str]:
    with served(request.param, channel.dir) as (url, _):
        yield url


def blob_path(channel: Published) -> str:
    folder = channel.dir / "targets" / LANZHOU
    (sha,) = [p.name.split(".")[0] for p in folder.iterdir() if p.stat().st_size == PACK_SIZE]
    return f"/targets/{LANZHOU}/{sha}.pack-3.kpack"


def ask(url: str, path: str, method: str = "GET", **headers: str) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request with the path sent exactly as given (no client-side normalising)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for key, value in headers.items():
            conn.putheader(key.replace("_", "-"), value)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def test_a_blob_is_immutable_uncompressed_and_ranged(server: str, channel: Published) -> None:
    status, headers, body = ask(server, blob_path(channel), Accept_Encoding="gzip, deflate, br")
    assert status == 200 and body == PACK
    assert headers["Cache-Control"] == IMMUTABLE
    assert headers.get("Content-Encoding") is None
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["ETag"].startswith('"') and headers["Last-Modified"].endswith("GMT")
    assert headers["Content-Type"] == "application/octet-stream"


def test_metadata_caching_follows_consistent_snapshots(server: str, channel: Published) -> None:
    status, headers, body = ask(server, "/metadata/timestamp.json", Accept_Encoding="gzip")
    assert (status, headers["Cache-Control"]) == (200, SHORT)
    assert headers.get("Content-Encoding") is None
    assert headers["Content-Type"] == "application/json"
    assert body == (channel.dir / "metadata" / "timestamp.json").read_bytes()
    for versioned in ("1.root.json", "1.snapshot.json", "2.targets.json", "2.lanzhou.station.json"):
        status, headers, _ = ask(server, f"/metadata/{versioned}", Accept_Encoding="gzip")
        assert (status, headers["Cache-Control"], headers.get("Content-Encoding")) == (200, IMMUTABLE, None)
    # the root a kiosk probes on every poll does not exist yet: its 404 must not be kept a year
    status, headers, _ = ask(server, "/metadata/2.root.json")
    assert (status, headers["Cache-Control"]) == (404, SHORT)


def test_single_ranges_206_and_416(server: str, channel: Published) -> None:
    path = blob_path(channel)
    status, headers, body = ask(server, path, Range="bytes=1000-1999")
    assert (status, headers["Content-Range"], body) == (206, f"bytes 1000-1999/{PACK_SIZE}", PACK[1000:2000])
    assert headers["Cache-Control"] == IMMUTABLE
    status, headers, body = ask(server, path, Range="bytes=-100")
    assert (status, body) == (206, PACK[-100:])
    status, headers, body = ask(server, path, Range=f"bytes={PACK_SIZE - 10}-")
    assert (status, body) == (206, PACK[-10:])
    status, headers, _ = ask(server, path, Range=f"bytes={PACK_SIZE}-")
    assert (status, headers["Content-Range"]) == (416, f"bytes */{PACK_SIZE}")
    # several ranges: the whole file, never a multipart body the kiosk does not parse
    status, headers, body = ask(server, path, Range="bytes=0-9,100-109")
    assert (status, body) == (200, PACK)


def test_validators(server: str, channel: Published) -> None:
    path = blob_path(channel)
    _, headers, _ = ask(server, path, "HEAD")
    etag = headers["ETag"]
    assert headers["Content-Length"] == str(PACK_SIZE)
    status, headers, body = ask(server, path, If_None_Match=etag)
    assert (status, body) == (304, b"")
    status, _, body = ask(server, path, Range="bytes=10-19", If_Range=etag)
    assert (status, body) == (206, PACK[10:20])
    # a validator of another file (it was replaced since): the whole file, not a splice
    status, _, body = ask(server, path, Range="bytes=10-19", If_Range='"5f1e2d3c-16e360"')
    assert (status, body) == (200, PACK)


def test_head_has_no_body_and_other_methods_are_refused(server: str) -> None:
    status, headers, body = ask(server, "/metadata/timestamp.json", "HEAD")
    assert (status, body) == (200, b"") and int(headers["Content-Length"]) > 0
    for method in ("POST", "PUT", "DELETE"):
        status, _, _ = ask(server, "/metadata/timestamp.json", method, Content_Length="0")
        assert status == 405, method


@pytest.mark.parametrize(
    "path",
    ["/", "/metadata/", "/targets/", f"/targets/{LANZHOU}/", "/metadata/.tmp-k2j3h4", "/metadata/%2etmp-k2j3h4"],
)
def test_no_listing_and_no_dot_files(server: str, path: str) -> None:
    status, _, body = ask(server, path)
    assert status == 404, path
    assert b"timestamp.json" not in body and b"half a timestamp" not in body


@pytest.mark.parametrize("path", ["/metadata/9.leak.json", "/metadata/8.alias.json"])
def test_symbolic_links_are_not_followed(server: str, path: str) -> None:
    status, _, body = ask(server, path)
    assert status == 404
    assert SECRET not in body


TRAVERSALS = [
    "/metadata/../../secret.pem",
    "/targets/../../secret.pem",
    "/metadata/%2e%2e/%2e%2e/secret.pem",
    "/metadata/%2E%2E%2F%2E%2E%2Fsecret.pem",
    "/targets/lanzhou/station/..%2f..%2f..%2f..%2fsecret.pem",
    "/targets/lanzhou/station/..%5c..%5c..%5c..%5csecret.pem",
    "/metadata/..;/..;/secret.pem",
    "//secret.pem",
    "/metadata/%00/../../secret.pem",
    "/metadata/%c0%ae%c0%ae/secret.pem",
    "/targets/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.pem",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_refused(server: str, path: str) -> None:
    status, _, body = ask(server, path)
    assert status in (400, 404), path
    assert SECRET not in body


def test_serve_py_resolves_nothing_outside_the_folder(channel: Published) -> None:
    """The resolver itself, below the HTTP layer: every traversal gives no file at all."""
    server = make_server(channel.dir, "127.0.0.1", 0, quiet=True)
    try:
        for path in [*TRAVERSALS, "/metadata/9.leak.json", "/metadata/8.alias.json", "/metadata/.tmp-k2j3h4"]:
            assert server.open_file(path) is None, path
        opened = server.open_file("/metadata/1.root.json")
        assert opened is not None
        fh, _ = opened
        with fh:
            assert fh.read() == (channel.dir / "metadata" / "1.root.json").read_bytes()
    finally:
        server.server_close()


def test_cache_rules_of_serve_py() -> None:
    sha = "ab" * 32
    assert cache_control("/metadata/timestamp.json") == SHORT
    assert cache_control("/metadata/root.json") == SHORT
    assert cache_control("/metadata/12.snapshot.json") == IMMUTABLE
    assert cache_control("/metadata/3.lanzhou.station.json") == IMMUTABLE
    assert cache_control(f"/targets/lanzhou/station/{sha}.pack-3.kpack") == IMMUTABLE
    assert cache_control(f"/targets/lanzhou/station/media/{sha}.photo.jpg") == IMMUTABLE
    assert cache_control("/targets/lanzhou/station/pack-3.kpack") == SHORT  # not named by its hash
    assert cache_control("/metadata/snapshot.json") is None  # consistent snapshots: never unversioned
    assert cache_control("/keys/root-1.pem") is None
    assert cache_control("/index.html") is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=90-", (90, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=50-5000", (50, 99)),
        ("bytes=100-", "unsatisfiable"),
        ("bytes=-0", "unsatisfiable"),
        ("bytes=9-3", None),
        ("bytes=0-1,4-5", None),
        ("items=0-1", None),
        ("bytes=x-1", None),
    ],
)
def test_parse_range(header: str, expected: object) -> None:
    assert parse_range(header, 100) == expected


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_as_a_module(channel: Published) -> None:
    """``python -m content_sync.sync.serve DIR --port P``: what ``kiosk-pack serve`` will run."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    child = subprocess.Popen(
        [sys.executable, "-m", "content_sync.sync.serve", str(channel.dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, headers, body = ask(f"http://127.0.0.1:{port}", "/metadata/timestamp.json")
                break
            except OSError:
                assert child.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.05)
        assert status == 200 and headers["Cache-Control"] == SHORT
        assert body == (channel.dir / "metadata" / "timestamp.json").read_bytes()
    finally:
        child.terminate()
        _, err = child.communicate(timeout=10)
    assert f"at http://127.0.0.1:{port}/" in err.decode()


def test_serve_refuses_a_folder_without_a_channel_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "missing")]) == 1
    assert capsys.readouterr().err == f"kiosk-pack serve: {tmp_path / 'missing'} is not a folder\n"
    with pytest.raises(ServeError, match="holds no channel"):
        make_server(tmp_path, "127.0.0.1", 0)


def test_serve_refuses_a_port_in_use_in_one_line(channel: Published) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServeError, match=rf"^cannot listen on 127\.0\.0\.1:{port}: "):
            make_server(channel.dir, "127.0.0.1", port)


def test_serve_py_closes_a_quiet_connection(channel: Published) -> None:
    """A kiosk whose link died mid-request must not hold a server thread for ever."""
    server = make_server(channel.dir, "127.0.0.1", 0, quiet=True, idle_timeout=0.3)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        with socket.create_connection(server.server_address[:2], timeout=10) as conn:
            conn.sendall(b"GET /metadata/timestamp.json HTTP/1.1\r\n")  # and then nothing more
            assert conn.recv(100) == b""  # closed by the server, long before our 10 s
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
