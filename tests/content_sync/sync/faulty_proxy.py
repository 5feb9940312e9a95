"""A loopback origin that serves ranges, and a fault-injecting reverse proxy in front of it.

``Origin`` is a small static server with what nginx gives a kiosk: ``Range``, ``ETag``,
``Last-Modified`` and ``If-Range`` (each can be switched off to play a poorer server).
``FaultyProxy`` forwards GETs to it and breaks the answers the way station links and badly
configured servers do: cut connections, stalls, 5xx, 429 with ``Retry-After``, truncated and
over-long bodies, 200 to a range request, a wrong ``Content-Range``, a file swapped
mid-download, a redirect to another host. It counts every body byte it sends, so a test can
hold the client to "at most 1.1 times the bytes it needed".
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}
_MODIFIED = email.utils.formatdate(1_700_000_000, usegmt=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (the downloader refusing, a stall aborted) is not news."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Origin:
    """Static files in memory, served with ranges and validators like nginx."""

    files: dict[str, bytes] = field(default_factory=dict)
    ranges: bool = True
    etags: bool = True
    honour_if_range: bool = True
    requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        origin = self

        class Handler(_Quiet):
            def do_GET(self) -> None:
                origin.requests.append({"path": self.path, **dict(self.headers)})
                body = origin.files.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                status, start, end = 200, 0, len(body) - 1
                wanted = self.headers.get("Range")
                if_range = self.headers.get("If-Range")
                if wanted and origin.ranges and wanted.startswith("bytes="):
                    current = etag if origin.etags else _MODIFIED
                    valid = not if_range or not origin.honour_if_range or if_range == current
                    first = int(wanted[6:].split("-")[0])
                    if valid and first >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    if valid:
                        status, start = 206, first
                self.send_response(status)
                if origin.ranges:
                    self.send_header("Accept-Ranges", "bytes")
                if origin.etags:
                    self.send_header("ETag", etag)
                self.send_header("Last-Modified", _MODIFIED)
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
                self.send_header("Content-Length", str(end - start + 1))
                self.end_headers()
                self.wfile.write(body[start : end + 1])

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Fault:
    """One answer broken in one way (the proxy takes them in order, then passes through).

    kinds: ``cut`` (close after ``at`` body bytes), ``stall`` (after ``at`` bytes, wait
    ``seconds``, close), ``status`` (answer ``status`` with ``headers`` instead of forwarding),
    ``truncate`` (drop Content-Length and end the body early after ``at`` bytes, as if it were
    whole), ``extra`` (append ``extra`` bytes; ``declare`` says whether Content-Length admits them),
    ``ignore_range`` (forward without Range/If-Range, so a 200 answers a range request),
    ``bad_range`` (shift the Content-Range start by one), ``headers`` (forward, with ``headers``
    set on the answer), ``swap`` (after ``at`` bytes call
    ``action``, then close), ``redirect`` (302 to ``location``), ``pass`` (no fault).
    """

    kind: str
    at: int = 0
    seconds: float = 0.0
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    extra: int = 0
    declare: bool = False
    location: str = ""
    action: Callable[[], None] | None = None


class FaultyProxy:
    """Reverse proxy on loopback: ``plan`` breaks the next answers, ``cut_every`` breaks all."""

    def __init__(self, origin_url: str, *, cut_every: int | None = None) -> None:
        self.origin = origin_url.removeprefix("http://")
        self.plan: list[Fault] = []
        self.cut_every = cut_every
        # Seconds to wait after each 16 kB piece: a slow link, so a test can kill a download mid-way.
        self.delay_per_piece = 0.0
        self.body_bytes_sent = 0
        self.requests: list[dict[str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(_Quiet):
            def do_GET(self) -> None:
                proxy._serve(self)

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next_fault(self) -> Fault:
        with self._lock:
            return self.plan.pop(0) if self.plan else Fault("pass")

    def _count(self, n: int) -> None:
        with self._lock:
            self.body_bytes_sent += n

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        fault = self._next_fault()
        self.requests.append({"path": h.path, "fault": fault.kind, **dict(h.headers)})
        if fault.kind in ("status", "redirect"):
            status = 302 if fault.kind == "redirect" else fault.status
            h.send_response(status)
            headers = dict(fault.headers)
            if fault.kind == "redirect":
                headers["Location"] = fault.location
            for key, value in headers.items():
                h.send_header(key, value)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        forward = {
            k: v for k, v in h.headers.items() if k.lower() in ("range", "if-range", "user-agent", "accept-encoding")
        }
        if fault.kind == "ignore_range":
            forward = {k: v for k, v in forward.items() if k.lower() not in ("range", "if-range")}
        conn = http.client.HTTPConnection(self.origin, timeout=10)
        conn.request("GET", h.path, headers=forward)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP]
        limit: int | None = None
        close_delimited = False
        if fault.kind == "headers":
            names = {k.lower() for k in fault.headers}
            headers = [(k, v) for k, v in headers if k.lower() not in names] + list(fault.headers.items())
        if fault.kind == "bad_range":
            headers = [(k, _shift_range(v) if k.lower() == "content-range" else v) for k, v in headers]
        if fault.kind == "extra":
            body += b"\xff" * fault.extra
            if fault.declare:
                headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]
            else:
                close_delimited = True
        if fault.kind == "truncate":
            close_delimited = True
            body = body[: fault.at]
        if close_delimited:
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Connection", "close"))
            h.close_connection = True
        if fault.kind in ("cut", "stall", "swap"):
            limit = fault.at
        elif self.cut_every is not None:
            limit = self.cut_every
        h.send_response(resp.status)
        for key, value in headers:
            h.send_header(key, value)
        h.end_headers()
        h.wfile.flush()
        sent = 0
        piece = 16 * 1024
        while sent < len(body):
            n = min(piece, len(body) - sent) if limit is None else min(piece, len(body) - sent, limit - sent)
            if n <= 0:
                break
            try:
                h.wfile.write(body[sent : sent + n])
                h.wfile.flush()
            except OSError:
                h.close_connection = True
                return
            sent += n
            self._count(n)
            if self.delay_per_piece:
                time.sleep(self.delay_per_piece)
        if limit is not None and sent < len(body):
            if fault.kind == "stall":
                time.sleep(fault.seconds)
            if fault.kind == "swap" and fault.action is not None:
                fault.action()
            h.close_connection = True


def _shift_range(value: str) -> str:
    span, _, total = value.removeprefix("bytes ").partition("/")
    start, _, end = span.partition("-")
    return f"bytes {int(start) + 1}-{end}/{total}"
