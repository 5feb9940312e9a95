"""The kiosk's downloader: every channel file (metadata, packs, deltas, blobs) comes through here.

A kiosk sits on a flaky station link, so one download may take many connections. Each call
resumes into ``DEST.part`` with ``Range`` and ``If-Range``, never reads more than the size the
signed metadata states, checks the SHA-256 before the file is renamed into place, and retries
with exponential backoff plus jitter (honouring ``Retry-After``) until a budget runs out; then
it raises one :class:`FetchError` whose message is one plain line for the operator. The partial
file and a small JSON note beside it survive a killed process, so the next call resumes.

Built on ``requests`` (one session: keep-alive, timeouts, the kiosk's User-Agent), with
redirects followed by hand so that a redirect to another host is refused. Time, sleeping and
randomness are injected so tests (and a fleet simulation) never wait for real.
:class:`TufFetcher` hands python-tuf's ``ngclient`` the same session, limits and retries.
The wire protocol is described for other clients in ``docs/sync-fetch.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from tuf.api import exceptions as tuf_exceptions
from tuf.ngclient.fetcher import FetcherInterface

from content_sync.core.errors import KioskError
from content_sync.core.fsio import fsync_dir, fsync_file, start_writeback
from content_sync.core.retry import parse_retry_after

USER_AGENT = "tourism-kiosk-sync/0.1 (content_sync; +docs/sync-fetch.md)"
PART_SUFFIX = ".part"
NOTE_SUFFIX = ".part.json"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BUSY = frozenset({429, 503})
_WRITEBACK_EVERY = 8 << 20
_BATCH = 1 << 20
_BATCH_SECONDS = 0.1


# --- errors an operator reads (one line each) ------------------------------------------------


class FetchError(KioskError):
    """A download failed; nothing was moved into place. The message is one plain line."""


class FetchRefused(FetchError):
    """The server answered something the kiosk must not accept (retrying would not help)."""


class TooLargeError(FetchRefused):
    """The server offered or sent more bytes than the signed size (an endless-data attack)."""


class HashMismatchError(FetchRefused):
    """The bytes downloaded are not the file the signed metadata names."""


class FetchHTTPError(FetchError):
    """The server answered with an HTTP error that retrying will not cure (404, 403...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ServerBusyError(FetchError):
    """The server kept answering 429/503; ``retry_in`` is its last word on when to come back."""

    def __init__(self, message: str, status: int, retry_in: float) -> None:
        super().__init__(message)
        self.status = status
        self.retry_in = retry_in


class DownloadCutError(FetchError):
    """Connections kept failing (cut, stalled, 5xx) without progress until the budget ran out."""


# --- settings and results -------------------------------------------------------------------


@dataclass(frozen=True)
class FetchPolicy:
    """Timeouts, limits and retry budgets; the defaults suit a kiosk on a poor mobile link."""

    connect_timeout: float = 10.0
    # No byte for this long aborts the attempt (it resumes): the socket read timeout.
    stall_timeout: float = 15.0
    max_redirects: int = 3
    chunk_size: int = 256 * 1024
    # An attempt slower than min_rate (bytes/s) once slow_grace seconds have passed is a failure
    # even if bytes came: TUF's slow-retrieval attack, or a link too poor to finish.
    min_rate: float = 1024.0
    slow_grace: float = 30.0
    # Failed attempts in a row that brought no new byte before giving up (progress resets it).
    max_failures: int = 8
    # 429/503 answers in one call before giving up; a Retry-After longer than this gives up at once.
    max_busy: int = 5
    max_retry_after: float = 300.0
    # Hard ceiling on connections per call, whatever progress they make.
    max_attempts: int = 1000
    # Times a call may start the file over (server replaced it, ignored If-Range, hash mismatch).
    max_restarts: int = 3
    backoff_base: float = 1.0
    backoff_max: float = 60.0


@dataclass
class DownloadResult:
    """What one call did; ``bytes_received`` is every body byte read, wasted ones included.

    ``bytes_received / bytes_needed`` is the overhead the faults cost (resumes keep it near 1).
    """

    path: Path | None
    length: int
    # Bytes the call had to move at least (the file minus what an earlier run left in .part).
    bytes_needed: int = 0
    bytes_received: int = 0
    attempts: int = 0
    restarts: int = 0
    resumed_from: int = 0
    waits: list[float] = field(default_factory=list)


class _Sink(Protocol):
    """Where the bytes of one download go: a ``.part`` file on disk or a temporary file."""

    size: int
    validator: str | None
    # True while the bytes came from one answer that started at byte 0 (no resume, no mix).
    clean: bool

    def write(self, data: bytes) -> None: ...
    def restart(self) -> None: ...
    def set_validator(self, validator: str | None) -> None: ...


# --- internal outcomes of one attempt ---------------------------------------------------------


class _Retry(Exception):
    """This attempt failed in a way another attempt may cure."""


class _Cut(_Retry):
    pass


class _ServerError(_Cut):
    """A 5xx other than 503: the connection worked, the server did not."""


class _Unreachable(_Cut):
    """No connection at all (refused, no route, DNS, connect timeout)."""


class _TooSlow(_Cut):
    """Bytes keep coming, but slower than the policy's floor: a slow-retrieval attack or a dead link."""


class _Busy(_Retry):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"server busy ({status})")
        self.status = status
        self.retry_after = retry_after


class _Restart(_Retry):
    """Start the file over from byte 0 (truncate, never append)."""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _name(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1] or url


def _content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """``bytes START-END/TOTAL`` as numbers (TOTAL None for ``*``), or None if malformed."""
    if not value or not value.startswith("bytes "):
        return None
    span, _, total = value[6:].strip().partition("/")
    start, _, end = span.partition("-")
    try:
        return int(start), int(end), None if total == "*" else int(total)
    except ValueError:
        return None


def _validator(resp: requests.Response) -> str | None:
    """What to send in ``If-Range``: a strong ETag, else Last-Modified (weak ETags may not be used)."""
    etag = resp.headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return resp.headers.get("Last-Modified")


def _fmt_seconds(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds >= 1 else f"{seconds:.1f} s"


# --- sinks ------------------------------------------------------------------------------------


class _PartFile:
    """``DEST.part`` plus ``DEST.part.json`` (what it is a part of, and the validator seen first).

    The hash state is recomputed from the part on open, so a killed process loses nothing but
    the bytes still in flight.
    """

    def __init__(self, dest: Path, length: int, sha256: str) -> None:
        self.part = dest.with_name(dest.name + PART_SUFFIX)
        self.note = dest.with_name(dest.name + NOTE_SUFFIX)
        self.length = length
        self.sha256 = sha256
        self.validator: str | None = None
        self.hash = hashlib.sha256()
        self.size = 0
        self.clean = True
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._batch: list[bytes] = []
        self._batched = 0
        self._submitted = time.monotonic()
        self._unsynced = 0
        note = self._read_note()
        if (
            note is not None
            and note.get("sha256") == sha256
            and note.get("length") == length
            and self.part.exists()
            and self.part.stat().st_size <= length
        ):
            self.validator = note.get("validator")
            self.clean = False
            self.fh = open(self.part, "r+b")  # noqa: SIM115 - kept open across attempts
            while chunk := self.fh.read(1 << 20):
                self.hash.update(chunk)
                self.size += len(chunk)
        else:
            self.fh = open(self.part, "w+b")  # noqa: SIM115
            self._write_note()

    def _read_note(self) -> dict[str, Any] | None:
        try:
            note = json.loads(self.note.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return note if isinstance(note, dict) else None

    def _write_note(self) -> None:
        tmp = self.note.with_name(self.note.name + ".tmp")
        note = {"sha256": self.sha256, "length": self.length, "validator": self.validator}
        tmp.write_text(json.dumps(note), encoding="utf-8")
        os.replace(tmp, self.note)

    def write(self, data: bytes) -> None:
        """Gather ``data`` into batches hashed and written on two helper threads.

        hashlib and file writes release the GIL, so the socket, the hash and the disk overlap;
        batches of about 1 MiB (or 0.1 s of a slow link) keep the hand-over cheap, and one batch
        at most is in flight, so order and memory stay bounded.
        """
        self._batch.append(data)
        self._batched += len(data)
        self.size += len(data)
        # On a slow link a batch goes out after a tenth of a second, so a kill loses little.
        if self._batched >= _BATCH or time.monotonic() - self._submitted >= _BATCH_SECONDS:
            self._submit()

    def _submit(self) -> None:
        if not self._batch:
            return
        data = self._batch[0] if len(self._batch) == 1 else b"".join(self._batch)
        self._batch, self._batched = [], 0
        self._submitted = time.monotonic()
        self._wait_pending()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="fetch-write")
        self._pending = [self._pool.submit(self.hash.update, data), self._pool.submit(self._write_now, data)]

    def _write_now(self, data: bytes) -> None:
        self.fh.write(data)
        self._unsynced += len(data)
        if self._unsynced >= _WRITEBACK_EVERY:
            # start writing back now, so the fsync before the rename has little left to do
            start_writeback(self.fh.fileno())
            self._unsynced = 0

    def _wait_pending(self) -> None:
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def _drain(self) -> None:
        """Hash and write everything gathered so far; a disk error surfaces here."""
        self._submit()
        self._wait_pending()

    def digest(self) -> str:
        self._drain()
        return self.hash.hexdigest()

    def restart(self) -> None:
        self._batch, self._batched = [], 0
        self._wait_pending()
        self.fh.seek(0)
        self.fh.truncate()
        self.hash = hashlib.sha256()
        self.size = 0
        self.clean = True
        self.validator = None
        self._write_note()

    def set_validator(self, validator: str | None) -> None:
        if validator != self.validator:
            self.validator = validator
            self._write_note()

    def flush(self) -> None:
        self._drain()
        self.fh.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._drain()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self.fh.close()

    def discard(self) -> None:
        self.close()
        for path in (self.part, self.note):
            path.unlink(missing_ok=True)


class _FileSink:
    """A temporary file for metadata and other small capped downloads (no hash, no note)."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.size = 0
        self.clean = True
        self.validator: str | None = None

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.size += len(data)

    def restart(self) -> None:
        self.fh.seek(0)
        self.fh.truncate()
        self.size = 0
        self.clean = True
        self.validator = None

    def set_validator(self, validator: str | None) -> None:
        self.validator = validator


# --- the fetcher ------------------------------------------------------------------------------


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Fetcher:
    """One HTTP session and its policy; ``bytes_received`` totals every body byte it has read.

    Not shared between threads (a ``requests.Session`` is not thread-safe): the sync agent
    owns one fetcher on its own thread.

    ``sleep``, ``rng``, ``now`` (for ``Retry-After`` dates) and ``monotonic`` (for the slow
    retrieval floor) are injected: tests record waits instead of sleeping, and the backoff
    jitter is reproducible with a seeded ``random.Random``.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        now: Callable[[], dt.datetime] = _utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        user_agent: str = USER_AGENT,
        proxies: dict[str, str] | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._now = now
        self._monotonic = monotonic
        self.session = requests.Session()
        # Environment proxies and .netrc credentials are not the kiosk's configuration.
        self.session.trust_env = False
        if proxies:
            self.session.proxies.update(proxies)
        self.session.headers.update({"User-Agent": user_agent, "Accept-Encoding": "identity", "Accept": "*/*"})
        self.bytes_received = 0

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public calls --

    def download(
        self,
        url: str,
        dest: Path,
        *,
        expected_length: int,
        expected_sha256: str,
    ) -> DownloadResult:
        """Fetch ``url`` into ``dest``: resumable, capped at ``expected_length``, hash-checked.

        ``dest`` appears only complete and verified (fsync, rename); until then the bytes live
        in ``dest.part``, which the next call resumes even after the process was killed.
        """
        dest = Path(dest)
        expected_sha256 = expected_sha256.lower()
        try:
            return self._download(url, dest, expected_length, expected_sha256)
        except OSError as exc:  # the kiosk's own disk: full, read-only, missing folder
            raise FetchError(f"{dest.name}: cannot write the download: {exc.strerror or exc}") from None

    def _download(self, url: str, dest: Path, expected_length: int, expected_sha256: str) -> DownloadResult:
        size = dest.stat().st_size if dest.exists() else -1
        if size == expected_length and _file_sha256(dest) == expected_sha256:
            # a kill between the rename and the clean-up may have left the note behind
            for leftover in (PART_SUFFIX, NOTE_SUFFIX):
                dest.with_name(dest.name + leftover).unlink(missing_ok=True)
            return DownloadResult(dest, expected_length, bytes_needed=0)
        sink = _PartFile(dest, expected_length, expected_sha256)
        result = DownloadResult(dest, expected_length, resumed_from=sink.size, bytes_needed=expected_length - sink.size)
        try:
            while True:
                self._run(url, sink, result, length=expected_length, cap=expected_length)
                if sink.digest() == expected_sha256:
                    break
                # A part assembled over several responses (or another run) may mix two files
                # a server swapped; one clean start settles it. A clean full copy is final.
                if sink.clean or result.restarts >= self.policy.max_restarts:
                    raise HashMismatchError(f"{_name(url)}: downloaded bytes do not match the signed SHA-256; refused")
                result.restarts += 1
                sink.restart()
            sink.flush()
            sink.close()
            fsync_file(sink.part)
            os.replace(sink.part, dest)
            sink.note.unlink(missing_ok=True)
            fsync_dir(dest.parent)
        except FetchRefused:
            sink.discard()
            raise
        finally:
            sink.close()
        return result

    def fetch_into(self, url: str, fh: IO[bytes], *, max_length: int) -> DownloadResult:
        """Fetch a file of unknown exact size (TUF metadata) into ``fh``, refusing past ``max_length``."""
        sink = _FileSink(fh)
        result = DownloadResult(None, 0)
        self._run(url, sink, result, length=None, cap=max_length)
        result.length = result.bytes_needed = sink.size
        return result

    def fetch_bytes(self, url: str, *, max_length: int) -> bytes:
        """The bytes of a small file, with every limit and retry of :meth:`download`."""
        with tempfile.TemporaryFile() as fh:
            self.fetch_into(url, fh, max_length=max_length)
            fh.seek(0)
            return fh.read()

    def tuf_fetcher(self) -> TufFetcher:
        """This fetcher as python-tuf's ``FetcherInterface`` (for ``tuf.ngclient.Updater``)."""
        return TufFetcher(self)

    # -- the retry loop --

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, capped."""
        p = self.policy
        delay = min(p.backoff_max, p.backoff_base * (2 ** max(0, failures - 1)))
        return delay / 2 + self._rng.uniform(0, delay / 2)

    def _wait(self, result: DownloadResult, seconds: float) -> None:
        result.waits.append(seconds)
        if seconds > 0:
            self._sleep(seconds)

    def _run(self, url: str, sink: _Sink, result: DownloadResult, *, length: int | None, cap: int) -> None:
        p = self.policy
        failures = 0
        cuts = 0
        busy = 0
        known = length
        while True:
            if length is not None and sink.size == length and sink.size > 0:
                return  # the part from an earlier run is complete: go and verify it
            if result.attempts >= p.max_attempts:
                raise DownloadCutError(f"{_name(url)}: gave up after {result.attempts} connections ({cuts} cut)")
            result.attempts += 1
            before = sink.size
            try:
                known = self._attempt(url, sink, result, known=known, cap=cap)
                return
            except _Busy as exc:
                busy += 1
                wait = exc.retry_after if exc.retry_after is not None else self._backoff(busy)
                if busy >= p.max_busy or wait > p.max_retry_after:
                    times = f" {busy} times" if busy > 1 else ""
                    raise ServerBusyError(
                        f"server busy ({exc.status}){times}; next try in {_fmt_seconds(wait)}",
                        exc.status,
                        wait,
                    ) from None
                self._wait(result, wait)
            except _Restart:
                result.restarts += 1
                if result.restarts > p.max_restarts:
                    raise FetchRefused(
                        f"{_name(url)} kept changing on the server ({result.restarts} restarts); refused"
                    ) from None
                sink.restart()
                known = length
            except _Cut as exc:
                cuts += 1
                if sink.size > before and not isinstance(exc, _TooSlow):
                    failures = 0  # progress: resume at once
                    continue
                failures += 1
                if failures >= p.max_failures:
                    if isinstance(exc, _Unreachable):
                        what = f"failed: server unreachable {failures} times in a row"
                    elif isinstance(exc, _TooSlow):
                        what = f"too slow {failures} times in a row"
                    elif isinstance(exc, _ServerError):
                        what = f"failed {failures} times in a row"
                    else:
                        what = f"cut {cuts} times"
                    raise DownloadCutError(f"download of {_name(url)} {what} ({exc}); giving up for now") from None
                self._wait(result, self._backoff(failures))

    def _get(self, url: str, headers: dict[str, str]) -> requests.Response:
        """GET with redirects followed by hand: same origin only, a few at most."""
        first = _origin(url)
        for _ in range(self.policy.max_redirects + 1):
            try:
                resp = self.session.get(
                    url,
                    headers=headers,
                    stream=True,
                    allow_redirects=False,
                    timeout=(self.policy.connect_timeout, self.policy.stall_timeout),
                )
            except requests.ConnectTimeout:
                raise _Unreachable("connect timeout") from None
            except requests.ConnectionError as exc:
                # before any answer: a refused or failed connection, or a kept-alive one that broke
                if isinstance(exc.args[0] if exc.args else None, urllib3.exceptions.MaxRetryError):
                    reason = exc.args[0].reason
                    if isinstance(
                        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.NameResolutionError
                    ):
                        raise _Unreachable(_describe(exc)) from None
                raise _Cut(_describe(exc)) from None
            except requests.Timeout as exc:
                raise _Cut(_describe(exc)) from None
            except requests.RequestException as exc:
                raise FetchRefused(f"{_name(url)}: {exc.__class__.__name__}: {exc}") from None
            if resp.status_code not in _REDIRECTS:
                return resp
            location = resp.headers.get("Location", "")
            resp.close()
            target = urljoin(url, location)
            if _origin(target) != first:
                raise FetchRefused(
                    f"redirect to another host refused: {urlsplit(url).netloc} -> "
                    f"{urlsplit(target).netloc or repr(location)}"
                )
            url = target
        raise FetchRefused(f"{_name(url)}: more than {self.policy.max_redirects} redirects; refused")

    def _attempt(self, url: str, sink: _Sink, result: DownloadResult, *, known: int | None, cap: int) -> int | None:
        """One connection: ask for what is missing, check the answer, write what arrives.

        Returns the file's total size once known. Raises ``_Retry`` kinds for another attempt.
        """
        headers: dict[str, str] = {}
        offset = sink.size
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if sink.validator:
                headers["If-Range"] = sink.validator
        resp = self._get(url, headers)
        with contextlib.closing(resp):
            status = resp.status_code
            name = _name(url)
            if status in _BUSY:
                raise _Busy(status, parse_retry_after(resp.headers.get("Retry-After"), self._now()))
            if status >= 500:
                raise _ServerError(f"server error {status}")
            if status == 416 and offset:
                raise _Restart("range not satisfiable")
            if status not in (200, 206):
                raise FetchHTTPError(f"{name}: server answered {status} {resp.reason}", status)
            encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                raise FetchRefused(f"{name}: server compressed the file ({encoding}); serve blobs uncompressed")
            declared = resp.headers.get("Content-Length")
            body_length = int(declared) if declared and declared.isdigit() else None
            if status == 200:
                if offset:
                    sink.restart()  # a 200 to a range request is the whole file again
                    result.restarts += 1
                    if result.restarts > self.policy.max_restarts:
                        raise FetchRefused(
                            f"{name}: the server started the file over {result.restarts} times "
                            "(ranges ignored or file replaced); refused"
                        )
                    offset = 0
                if body_length is not None:
                    if body_length > cap:
                        raise TooLargeError(
                            f"{name}: server offers {body_length} bytes, more than the {cap} signed; refused"
                        )
                    if known is not None and body_length != known:
                        raise FetchRefused(
                            f"{name}: server has {body_length} bytes, the signed size is {known}; refused"
                        )
                    known = body_length
                sink.set_validator(_validator(resp))
            else:
                if not offset:
                    raise FetchRefused(f"{name}: server sent a part nobody asked for; refused")
                span = _content_range(resp.headers.get("Content-Range"))
                if span is None or span[0] != offset or span[1] < span[0]:
                    raise FetchRefused(
                        f"{name}: asked for bytes {offset}-, server sent {resp.headers.get('Content-Range')!r}; refused"
                    )
                total = span[2]
                if total is not None and known is not None and total != known:
                    raise _Restart("file size changed on the server")
                if total is not None and total > cap:
                    raise TooLargeError(f"{name}: server has {total} bytes, more than the {cap} signed; refused")
                if total is not None and span[1] >= total:
                    raise FetchRefused(f"{name}: impossible Content-Range {span}; refused")
                seen = _validator(resp)
                if sink.validator and seen and seen != sink.validator:
                    raise _Restart("file replaced on the server")
                known = total if total is not None else known
                sink.clean = False
            self._read_body(resp, sink, result, name, known=known, cap=cap)
            return known

    def _read_body(
        self,
        resp: requests.Response,
        sink: _Sink,
        result: DownloadResult,
        name: str,
        *,
        known: int | None,
        cap: int,
    ) -> None:
        raw = resp.raw
        chunk = self.policy.chunk_size
        started = self._monotonic()
        got = 0
        while True:
            # Never ask for more than one byte past the cap: enough to see endless data.
            want = min(chunk, cap - sink.size + 1)
            try:
                data = raw.read1(want, decode_content=False)
            except (urllib3.exceptions.HTTPError, OSError, requests.RequestException) as exc:
                raise _Cut(_describe(exc)) from None
            if not data:
                break
            result.bytes_received += len(data)
            self.bytes_received += len(data)
            if sink.size + len(data) > cap:
                raise TooLargeError(f"{name}: server sent more than the {cap} bytes signed; refused")
            sink.write(data)
            got += len(data)
            # Slow retrieval (a trickle that never quite stalls) ends the attempt as a failure.
            elapsed = self._monotonic() - started
            if elapsed >= self.policy.slow_grace and got / elapsed < self.policy.min_rate:
                raise _TooSlow(f"{got / elapsed:.0f} B/s")
        if known is not None and sink.size < known:
            raise _Cut("short read")


def _describe(exc: BaseException) -> str:
    """A few words for a failed connection: stalled, refused, cut."""
    text = repr(exc).lower()
    if "timeout" in text or "timed out" in text:
        return "stalled"
    if "refused" in text:
        return "connection refused"
    return "connection cut"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- python-tuf adapter -----------------------------------------------------------------------


class TufFetcher(FetcherInterface):
    """python-tuf's network hook on top of :class:`Fetcher`: same session, timeouts, limits, retries.

    ``ngclient`` calls ``download_bytes``/``download_file`` with the maximum length it trusts;
    those go through the resumable, capped retry loop. Errors become tuf's own exception types
    (``DownloadHTTPError`` keeps the status: the updater reads 404 as "no newer root").
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def _fetch(self, url: str) -> Iterator[bytes]:
        """One plain GET, streamed (no retries): the interface's raw hook, kept for completeness."""
        resp = self.fetcher._get(url, {})
        if resp.status_code != 200:
            resp.close()
            raise tuf_exceptions.DownloadHTTPError(
                f"{_name(url)}: server answered {resp.status_code}", resp.status_code
            )
        return self._chunks(resp)

    def _chunks(self, resp: requests.Response) -> Iterator[bytes]:
        with contextlib.closing(resp):
            while True:
                try:
                    data = resp.raw.read1(self.fetcher.policy.chunk_size, decode_content=False)
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    raise tuf_exceptions.DownloadError(f"{_name(resp.url)}: {_describe(exc)}") from exc
                if not data:
                    return
                self.fetcher.bytes_received += len(data)
                yield data

    @contextlib.contextmanager
    def download_file(self, url: str, max_length: int) -> Iterator[IO]:
        with tempfile.TemporaryFile() as fh:
            try:
                self.fetcher.fetch_into(url, fh, max_length=max_length)
            except FetchHTTPError as exc:
                raise tuf_exceptions.DownloadHTTPError(str(exc), exc.status) from exc
            except TooLargeError as exc:
                raise tuf_exceptions.DownloadLengthMismatchError(str(exc)) from exc
            except FetchError as exc:
                raise tuf_exceptions.DownloadError(str(exc)) from exc
            fh.seek(0)
            yield fh
