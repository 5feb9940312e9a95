"""``kiosk-pack serve DIR``: a channel folder over HTTP for a laptop demo, with nginx's rules.

Production serves a channel with nginx and ``packaging/nginx/kiosk-channel.conf`` (or a CDN,
or an S3 bucket). A demo on a laptop needs the same behaviour without installing anything, so
this small static server answers exactly as that configuration does:

- ``GET`` and ``HEAD`` only (405 otherwise); files under ``metadata/`` and ``targets/`` only;
  no folder listing; dot files (``.tmp-*`` of atomic writes) never served;
- never anything outside ``DIR``: ``..`` segments, encoded or not, and symbolic links (even
  ones pointing inside) are refused with 404;
- one byte range per request (``Range: bytes=A-B``, ``A-``, ``-N``) answered 206 with
  ``Content-Range``; 416 with ``Content-Range: bytes */SIZE`` when it cannot be satisfied;
  several ranges get the whole file (as nginx with ``max_ranges 1``);
- ``ETag`` and ``Last-Modified`` on every file; ``If-None-Match`` and ``If-Modified-Since``
  give 304; ``If-Range`` honours the range only while the validator still matches, so a file
  replaced mid-download comes back whole (200) rather than spliced;
- never compressed (a ``Content-Encoding`` would break resuming), whatever the client accepts;
- the same ``Cache-Control`` as the nginx rules: a year and ``immutable`` for versioned
  metadata and hash-named blobs, a minute for ``timestamp.json``, ``root.json``, other files
  and 404s.

Run it as ``python -m content_sync.sync.serve DIR --port 8000``; it is a demo server (a thread
per connection, a quiet connection closed after a minute, no TLS, no limit on connections):
put nginx in front of anything a fleet uses.
"""

from __future__ import annotations

import argparse
import email.utils
import os
import re
import stat
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from content_sync.core.errors import KioskError

#: Cache-Control of files whose name changes with their content (versioned metadata, blobs).
IMMUTABLE = "public, max-age=31536000, immutable"
#: Cache-Control of files that change in place (timestamp.json, root.json), others and 404s.
SHORT = "public, max-age=60"

_VERSIONED_METADATA = re.compile(r"^/metadata/[1-9][0-9]*\.[A-Za-z0-9][A-Za-z0-9._-]*\.json$")
_MUTABLE_METADATA = frozenset({"/metadata/timestamp.json", "/metadata/root.json"})
_HASHED_BLOB = re.compile(r"^/targets/[a-z0-9-]+/[a-z0-9-]+/(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[0-9a-f]{64}\.[^/]+$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 1 << 20


class ServeError(KioskError):
    """The server cannot start (folder missing, port taken); the message is one plain line."""


@dataclass(frozen=True)
class Served:
    """One answered request, for a caller's log (tests read it)."""

    method: str
    path: str
    status: int
    range: str
    body_bytes: int


def cache_control(url_path: str) -> str | None:
    """The Cache-Control a channel file gets (None: the path is not served at all)."""
    if url_path in _MUTABLE_METADATA:
        return SHORT
    if _VERSIONED_METADATA.match(url_path) or _HASHED_BLOB.match(url_path):
        return IMMUTABLE
    if url_path.startswith("/targets/"):
        return SHORT
    return None


def _etag(st: os.stat_result) -> str:
    """A strong validator that changes when the file is replaced or rewritten (like nginx's)."""
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}-{st.st_ino:x}"'


def _http_date(seconds: float) -> str:
    return email.utils.formatdate(int(seconds), usegmt=True)


def parse_range(value: str, size: int) -> tuple[int, int] | str | None:
    """One ``bytes=`` range as (first, last); None to ignore it (serve whole); "unsatisfiable"."""
    if "," in value:
        return None  # several ranges: the whole file, as nginx with max_ranges 1
    match = _RANGE.match(value.strip())
    if match is None:
        return None  # not a byte range we understand: RFC 9110 says ignore it
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None  # invalid: ignored
    if first >= size:
        return "unsatisfiable"
    return first, min(last, size - 1)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kiosk-pack-serve"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version

    server: ChannelHTTPServer

    def setup(self) -> None:
        # A client that goes quiet (a kiosk whose link died) gives its thread back after this long.
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _refuse_method(self) -> None:
        self._plain(HTTPStatus.METHOD_NOT_ALLOWED, {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def _plain(self, status: HTTPStatus, headers: dict[str, str] | None = None, *, head: bool = False) -> None:
        body = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)
        self._note(status, body_bytes=0 if head else len(body))

    def _note(self, status: int, body_bytes: int) -> None:
        if self.server.on_request is not None:
            path = urlsplit(self.path).path
            self.server.on_request(Served(self.command, path, int(status), self.headers.get("Range", ""), body_bytes))

    def _answer(self, *, head: bool) -> None:
        url_path = urlsplit(self.path).path
        opened = self.server.open_file(url_path)
        if opened is None:
            self._plain(HTTPStatus.NOT_FOUND, {"Cache-Control": SHORT}, head=head)
            return
        fh, st = opened
        with fh:
            self._send_file(fh, st, url_path, head=head)

    def _send_file(self, fh: IO[bytes], st: os.stat_result, url_path: str, *, head: bool) -> None:
        size = st.st_size
        etag = _etag(st)
        modified = _http_date(st.st_mtime)
        headers = {
            "Content-Type": "application/json" if url_path.endswith(".json") else "application/octet-stream",
            "ETag": etag,
            "Last-Modified": modified,
            "Cache-Control": cache_control(url_path) or SHORT,
            "Accept-Ranges": "bytes",
        }
        if self._not_modified(etag, st.st_mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            for key in ("ETag", "Last-Modified", "Cache-Control"):
                self.send_header(key, headers[key])
            self.end_headers()
            self._note(HTTPStatus.NOT_MODIFIED, 0)
            return
        status = HTTPStatus.OK
        first, last = 0, size - 1
        wanted = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if wanted and (if_range is None or if_range.strip() in (etag, modified)):
            span = parse_range(wanted, size)
            if span == "unsatisfiable":
                self._plain(
                    HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                    {"Content-Range": f"bytes */{size}", "ETag": etag},
                    head=head,
                )
                return
            if isinstance(span, tuple):
                status = HTTPStatus.PARTIAL_CONTENT
                first, last = span
                headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        length = max(0, last - first + 1)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        sent = 0 if head else self._copy(fh, first, length)
        self._note(status, sent)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                moment = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return int(mtime) <= moment.timestamp()
        return False

    def _copy(self, fh: IO[bytes], offset: int, length: int) -> int:
        """The body, by sendfile where the platform has it; returns the bytes sent."""
        self.wfile.flush()
        try:
            return self.connection.sendfile(fh, offset, length)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return 0


class ChannelHTTPServer(ThreadingHTTPServer):
    """The demo server: one folder, nginx's channel rules; ``on_request`` sees every answer."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        root: Path,
        address: tuple[str, int],
        *,
        quiet: bool = False,
        on_request: Callable[[Served], None] | None = None,
        idle_timeout: float = 60.0,
    ) -> None:
        self.root = Path(root).resolve(strict=True)
        if not self.root.is_dir():
            raise ServeError(f"{root} is not a folder")
        self.quiet = quiet
        self.on_request = on_request
        self.idle_timeout = idle_timeout
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a kiosk cut off) is not worth a traceback."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def open_file(self, url_path: str) -> tuple[IO[bytes], os.stat_result] | None:
        """The open file a URL path names, or None: outside the served set, missing, a folder, a link."""
        if cache_control(url_path) is None:
            return None
        try:
            decoded = unquote(url_path, errors="strict")
        except UnicodeDecodeError:
            return None
        parts = decoded.split("/")[1:]
        if not parts or any(p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\0" in p for p in parts):
            return None
        if cache_control(decoded) is None:
            return None
        try:
            fh = self._open_no_links(parts)
        except (OSError, NotImplementedError):
            return None
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            fh.close()
            return None
        return fh, st

    def _open_no_links(self, parts: list[str]) -> IO[bytes]:
        """Open ``root/parts`` refusing a symbolic link anywhere below the root (nginx: disable_symlinks on).

        Where the platform allows, one component at a time with ``O_NOFOLLOW`` relative to the
        folder above it, so a link swapped in during the walk is refused too.
        """
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        if nofollow and os.open in os.supports_dir_fd:
            flags_dir = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | nofollow
            fd = os.open(self.root, flags_dir)
            try:
                for part in parts[:-1]:
                    nxt = os.open(part, flags_dir, dir_fd=fd)
                    os.close(fd)
                    fd = nxt
                file_fd = os.open(parts[-1], os.O_RDONLY | nofollow, dir_fd=fd)
            finally:
                os.close(fd)
            return os.fdopen(file_fd, "rb")
        path = self.root
        for part in parts:  # Windows: no dir_fd; check each component, then where it resolves
            path = path / part
            if path.is_symlink():
                raise OSError("symbolic link refused")
        if not path.resolve().is_relative_to(self.root):
            raise OSError("outside the served folder")
        return open(path, "rb")


def make_server(
    root: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    quiet: bool = False,
    on_request: Callable[[Served], None] | None = None,
    idle_timeout: float = 60.0,
) -> ChannelHTTPServer:
    """A bound server (not yet serving): ``port`` 0 picks a free one; see ``server.url``."""
    root = Path(root)
    if not root.is_dir():
        raise ServeError(f"{root} is not a folder")
    if not (root / "metadata").is_dir():
        raise ServeError(f"{root} holds no channel (no metadata/ folder)")
    try:
        return ChannelHTTPServer(root, (host, port), quiet=quiet, on_request=on_request, idle_timeout=idle_timeout)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the channel folder ``root`` until interrupted (Ctrl-C)."""
    server = make_server(root, host, port)
    print(f"serving {server.root} at {server.url}/ (Ctrl-C stops)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m content_sync.sync.serve DIR [--host H] [--port P]``; one line on failure."""
    parser = argparse.ArgumentParser(
        prog="kiosk-pack serve", description="Serve a channel folder over HTTP (a laptop demo; nginx in production)."
    )
    parser.add_argument("dir", type=Path, help="the channel folder (holding metadata/ and targets/)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for a local network)")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        serve(args.dir, args.host, args.port)
    except ServeError as exc:
        print(f"kiosk-pack serve: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
