"""The pack file: one ZIP an operator can copy to a USB stick.

Layout (entry order matters only for speed):

* ``manifest.json`` — format and schema version, pack id, content version, channel,
  created-at, expiry, and the SHA-256 and size of every other file;
* ``signatures.json`` — Ed25519 signatures over the exact bytes of ``manifest.json``;
* ``content.db`` — the SQLite content database (schema in :mod:`content_sync.pack.schema`);
* ``media/<sha256>.<ext>`` — images, audio and MBTiles stored by hash, so a later sync
  can ship row changes plus only the media a kiosk lacks.

Reading is hostile-input code: every name and size is checked against the signed manifest
before a single byte is written anywhere, and every byte's hash before anything written is
opened or used (:meth:`PackReader.extract_files` hashes each byte once, from the buffer it
writes; :func:`verify_pack` checks a pack without writing).
"""

from __future__ import annotations

import base64
import binascii
import concurrent.futures
import contextlib
import errno
import functools
import hashlib
import mmap
import os
import stat
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..core.errors import PackError
from ..core.fsio import start_writeback
from .manifest import (
    ALGORITHM,
    ALLOWED_METHODS,
    CHUNK,
    CHUNK_SIZE,
    CONTENT_DB,
    DEFAULT_LIMITS,
    KEY_ID_RE,
    MANIFEST,
    MEDIA_NAME_RE,
    SIGNATURES,
    FileEntry,
    Manifest,
    PackLimits,
    check_entry_name,
    parse_manifest,
    parse_signatures,
    shown_text,
)

if TYPE_CHECKING:
    from .signing import PublicKey


class PackReader:
    """Opens a pack and checks its structure; use as a context manager."""

    def __init__(self, path: Path, limits: PackLimits = DEFAULT_LIMITS) -> None:
        self.path = Path(path)
        self.limits = limits
        if not self.path.is_file():
            raise PackError(f"pack file {self.path} not found")
        try:
            self.zf = zipfile.ZipFile(self.path, "r")
        except (zipfile.BadZipFile, EOFError):
            raise PackError("not a pack: the file is not a ZIP archive or it is truncated") from None
        except (UnicodeDecodeError, NotImplementedError, ValueError, zipfile.LargeZipFile) as exc:
            raise PackError(f"refused: the pack's file list is malformed ({type(exc).__name__})") from None
        except OSError as exc:
            raise PackError(f"cannot read the pack: {exc.strerror}") from None
        self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._file_size = os.fstat(self._fd).st_size
        self._spans: dict[str, tuple[int, int]] = {}
        self._direct_ok = bool(_O_DIRECT)
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in self.zf.infolist():
            if info.filename in self.infos or info.orig_filename in self.infos:
                self.close()
                raise PackError(f"refused: the pack contains {info.filename!r} twice")
            self.infos[info.filename] = info
        if len(self.infos) > limits.max_entries:
            self.close()
            raise PackError(f"refused: the pack has {len(self.infos)} files, more than {limits.max_entries}")

    def __enter__(self) -> PackReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.zf.close()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def has(self, name: str) -> bool:
        return name in self.infos

    def read_small(self, name: str, max_bytes: int) -> bytes:
        info = self.infos.get(name)
        if info is None:
            raise PackError(f"the pack has no {name}")
        self._check_info(info, max_bytes)
        try:
            with self.zf.open(info) as fh:
                data = fh.read(max_bytes + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            raise PackError(f"{name} in the pack is damaged") from None
        if len(data) > max_bytes:
            raise PackError(f"refused: {name} is larger than {max_bytes} bytes")
        return data

    def _check_info(self, info: zipfile.ZipInfo, max_bytes: int) -> None:
        name = info.orig_filename
        if name != info.filename or "\x00" in name or "\\" in name:
            raise PackError(f"refused: file name {name!r} in the pack is not a plain name")
        check_entry_name(name)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise PackError(f"refused: {name} in the pack is a symbolic link")
        if mode and not stat.S_ISREG(mode):
            raise PackError(f"refused: {name} in the pack is not a regular file")
        if info.flag_bits & 0x1:
            raise PackError(f"refused: {name} in the pack is encrypted")
        if info.compress_type not in ALLOWED_METHODS:
            raise PackError(f"refused: {name} uses an unsupported compression method")
        if info.file_size > max_bytes:
            raise PackError(f"refused: {name} is {info.file_size} bytes, over the limit of {max_bytes}")
        # Every deflated entry, whatever its size: only a tiny one may expand more than the
        # ratio (a few KB of zeros do); many tiny ones together meet the pack-wide rule.
        if info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > self.limits.tiny_entry_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > self.limits.max_compression_ratio:
                raise PackError(f"refused: {name} expands {ratio:.0f} times (a compression bomb)")

    def manifest(self) -> Manifest:
        """The manifest, parsed strictly but NOT yet trusted (see :meth:`signed_manifest`)."""
        return parse_manifest(self.manifest_bytes(), self.limits.max_json_depth)

    def manifest_bytes(self) -> bytes:
        """The raw manifest (bounded by the ZIP directory's size and again while reading)."""
        return self.read_small(MANIFEST, self.limits.max_manifest_bytes)

    def signed_manifest(self, trusted: Sequence[PublicKey]) -> tuple[Manifest, PublicKey]:
        """The manifest after its signature: the exact bytes verified are the bytes then parsed.

        Nothing of an unsigned manifest is parsed, so a huge or hostile one costs no more
        than reading and hashing its (bounded) bytes.
        """
        raw = self.manifest_bytes()
        key = self.verify_signature(raw, trusted)
        return parse_manifest(raw, self.limits.max_json_depth), key

    def verify_signature(self, manifest: Manifest | bytes, trusted: Sequence[PublicKey]) -> PublicKey:
        if not trusted:
            raise PackError("this kiosk trusts no signing keys yet; add one with 'kiosk-pack trust add KEY.pub'")
        if not self.has(SIGNATURES):
            raise PackError("refused: the pack is not signed")
        sigs = parse_signatures(
            self.read_small(SIGNATURES, self.limits.max_signatures_bytes), self.limits.max_json_depth
        )
        raw = manifest.raw if isinstance(manifest, Manifest) else manifest
        if not sigs:
            raise PackError("refused: the pack is not signed")
        by_id = {key.key_id: key for key in trusted}
        for sig in sigs:
            key = by_id.get(sig["key_id"])
            if key is None or sig["alg"] != ALGORITHM:
                continue
            try:
                raw_sig = base64.b64decode(sig["sig"], validate=True)
            except (binascii.Error, ValueError):
                raise PackError(f"refused: the signature by key {key.key_id} is malformed") from None
            if key.verify(raw_sig, raw):
                return key
            raise PackError(f"refused: the signature by key {key.key_id} does not match the pack (tampered manifest)")
        ids = ", ".join(s["key_id"] if KEY_ID_RE.fullmatch(s["key_id"]) else "(malformed id)" for s in sigs[:5])
        raise PackError(f"refused: the pack is signed by a key this kiosk does not trust (key {ids})")

    def check_entries(self) -> None:
        """What the ZIP directory alone shows: names, links, encryption, methods, sizes, bombs."""
        total = deflated = compressed = 0
        for name, info in self.infos.items():
            self._check_info(info, self._limit_for(name))
            total += info.file_size
            if info.compress_type == zipfile.ZIP_DEFLATED:
                deflated += info.file_size
                compressed += info.compress_size
        if total > self.limits.max_total_bytes:
            raise PackError(
                f"refused: the pack unpacks to {total} bytes, over the limit of {self.limits.max_total_bytes}"
            )
        # Many entries each under the tiny allowance: together they still expand at most the ratio.
        if deflated > self.limits.max_compression_ratio * compressed + self.limits.tiny_entry_bytes:
            raise PackError(
                f"refused: the pack's compressed files expand {deflated / max(compressed, 1):.0f} times "
                "together (a compression bomb)"
            )

    def check_structure(self, manifest: Manifest) -> None:
        """Every entry against the signed manifest: nothing extra, nothing missing, sizes equal."""
        self.check_entries()
        listed = set(manifest.files) | {MANIFEST, SIGNATURES}
        for name, info in self.infos.items():
            if name not in listed:
                raise PackError(f"refused: {name} is in the pack but not in its signed manifest")
            entry = manifest.files.get(name)
            if entry and info.file_size != entry.size:
                raise PackError(f"refused: {name} is {info.file_size} bytes but the manifest says {entry.size}")
        for name in manifest.files:
            if name not in self.infos:
                raise PackError(f"refused: {name} is listed in the manifest but missing from the pack")
        total = manifest.total_size
        if total > self.limits.max_total_bytes:
            raise PackError(
                f"refused: the pack unpacks to {total} bytes, over the limit of {self.limits.max_total_bytes}"
            )

    def _limit_for(self, name: str) -> int:
        if name == CONTENT_DB:
            return self.limits.max_content_db_bytes
        if name == MANIFEST:
            return self.limits.max_manifest_bytes
        if name == SIGNATURES:
            return self.limits.max_signatures_bytes
        return self.limits.max_media_bytes

    # -- fast paths for stored entries: read the bytes in place, hash on every core -------

    def _pread(self, offset: int, length: int) -> bytes:
        parts = []
        while length > 0:
            try:
                piece = os.pread(self._fd, length, offset)
            except OSError as exc:
                raise PackError(f"cannot read the pack: {exc.strerror or exc}") from None
            if not piece:
                raise PackError("refused: the pack is truncated")
            parts.append(piece)
            offset += len(piece)
            length -= len(piece)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _span(self, name: str) -> tuple[int, int]:
        """Where a stored entry's bytes are, from its local header (checked against the directory)."""
        if name in self._spans:
            return self._spans[name]
        info = self.infos[name]
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        expected = info.orig_filename.encode(encoding)
        if info.header_offset + 30 + len(expected) > self._file_size:
            raise PackError(f"refused: {shown_text(name)} in the pack is damaged or truncated")
        # The fixed header and the name in one read: the name must be the directory's.
        header = self._pread(info.header_offset, 30 + len(expected))
        fields = struct.unpack("<4s2B4HL2L2H", header[:30])
        if fields[0] != b"PK\x03\x04":
            raise PackError(f"refused: {shown_text(name)} in the pack has a damaged header")
        name_len, extra_len = fields[10], fields[11]
        if name_len != len(expected) or header[30:] != expected:
            raise PackError(f"refused: {shown_text(name)} in the pack has inconsistent headers")
        offset = info.header_offset + 30 + name_len + extra_len
        if fields[4] != zipfile.ZIP_STORED or offset + info.compress_size > self._file_size:
            raise PackError(f"refused: {shown_text(name)} in the pack is damaged or truncated")
        self._spans[name] = (offset, info.compress_size)
        return self._spans[name]

    def _stored(self, entry: FileEntry) -> bool:
        info = self.infos[entry.name]
        if info.compress_type != zipfile.ZIP_STORED:
            return False
        if self._span(entry.name)[1] != entry.size:
            raise PackError(f"refused: {entry.name} holds more data than the manifest says")
        return True

    def _check_whole(self, entry: FileEntry) -> None:
        offset, _ = self._span(entry.name)
        digest = hashlib.sha256()
        for pos in range(0, entry.size, CHUNK_SIZE):
            digest.update(self._pread(offset + pos, min(CHUNK_SIZE, entry.size - pos)))
        if digest.hexdigest() != entry.sha256:
            raise PackError(f"refused: {entry.name} does not match its SHA-256 in the manifest (tampered or damaged)")

    def _check_chunk(self, entry: FileEntry, index: int, chunk_size: int) -> None:
        offset, _ = self._span(entry.name)
        start = index * chunk_size
        data = self._pread(offset + start, min(chunk_size, entry.size - start))
        if hashlib.sha256(data).hexdigest() != entry.chunks[index]:
            raise PackError(f"refused: {entry.name} does not match its SHA-256 in the manifest (tampered or damaged)")

    def verify_hashes(self, manifest: Manifest, workers: int | None = None) -> None:
        """Check every file against the manifest without writing anything, on all cores.

        Large stored files are checked chunk by chunk in parallel and also whole (every
        hash the manifest states is checked, and the media store trusts names).
        """
        tasks: list[tuple[int, Callable[[], None]]] = []
        for entry in manifest.files.values():
            if not self._stored(entry):
                tasks.append((entry.size, functools.partial(self.copy_verified, entry, None)))
                continue
            chunked = bool(entry.chunks) and manifest.chunk_size > 0
            if chunked:
                for index in range(len(entry.chunks)):
                    tasks.append(
                        (manifest.chunk_size, functools.partial(self._check_chunk, entry, index, manifest.chunk_size))
                    )
            # The whole-file hash too, always: the manifest states it, so it must hold.
            tasks.append((entry.size, functools.partial(self._check_whole, entry)))
        tasks.sort(key=lambda t: -t[0])
        workers = workers or min(4, os.cpu_count() or 1)
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(task) for _, task in tasks]
            try:
                for future in concurrent.futures.as_completed(futures):
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    # -- installing: every byte read once, hashed from the buffer it is written from -------

    def _read_into(self, view: memoryview, offset: int) -> None:
        """Fill ``view`` from the pack at ``offset``; a short file is a truncated pack."""
        if not _HAVE_PREADV:
            view[:] = self._pread(offset, len(view))
            return
        done = 0
        while done < len(view):
            try:
                n = os.preadv(self._fd, [view[done:]], offset + done)
            except OSError as exc:
                raise PackError(f"cannot read the pack: {exc.strerror or exc}") from None
            if not n:
                raise PackError("refused: the pack is truncated")
            done += n

    def _copy_span(
        self,
        entry: FileEntry,
        start: int,
        length: int,
        out: int | None,
        buf: mmap.mmap,
        feed: Callable[[memoryview], object],
        direct: bool = False,
    ) -> None:
        """Copy ``length`` bytes of a stored entry from ``start`` to the same place in ``out``.

        Each piece goes to ``feed`` (the hashes) before it is written, from the private
        buffer that is then written, so what lands on disk is exactly what was checked,
        even if the pack file changes meanwhile. With ``out`` None the bytes are only
        hashed. With ``direct`` (``out`` opened with O_DIRECT, ``start`` aligned) whole
        blocks are written from the page-aligned buffer and only the last partial block
        through the OS cache.
        """
        offset, _ = self._span(entry.name)
        view = memoryview(buf)
        pos, end = start, start + length
        while pos < end:
            size = min(len(buf), end - pos)
            piece = view[:size]
            self._read_into(piece, offset + pos)
            feed(piece)
            if out is None:
                pass
            elif not direct:
                _pwrite_all(out, piece, pos)
            else:
                # Whole blocks straight to the disk; the tail of the last block through the OS
                # cache (trimming a block written around the cache would read it back first).
                aligned = size - size % _ALIGN
                if aligned:
                    _pwrite_all(out, view[:aligned], pos)
                if aligned < size:
                    _end_direct(out)
                    _pwrite_all(out, view[aligned:size], pos + aligned)
            pos += size

    def extract_files(
        self,
        jobs: Sequence[tuple[FileEntry, str | None]],
        chunk_size: int = 0,
        workers: int = 0,
        *,
        direct: bool = False,
        existing: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Write each entry into a new file at its path, verifying every hash on the way, on all cores.

        This is the only time an installer reads the bytes: each is hashed from the buffer
        it is written from, against every hash the manifest states for it (the whole file's
        and each chunk's). A file whose manifest lists chunk hashes (and is not media) is
        copied chunk by chunk in parallel, each chunk checked against its own signed hash,
        while the whole-file hash takes the chunks in order as they pass. Raises PackError
        on any mismatch (the caller removes what was written); write errors propagate as
        OSError. An entry whose path is None is only verified.

        ``existing`` maps an entry's name to a copy the kiosk already has: that copy is
        hashed first (by the same thread, beside the others' work); if it matches, the
        pack's copy is only verified, otherwise it is written to the job's path. Returns
        the names so written (damaged copies replaced).

        ``direct`` writes whole files with O_DIRECT where the file system allows it: no
        copy into the OS cache, so thousands of media files cost the CPU little more than
        hashing them (their pages are not needed again until a visitor opens them).
        """
        existing = existing or {}
        repaired: list[str] = []
        in_order: list[_InOrder] = []
        tasks: list[tuple[int, Callable[[mmap.mmap], None]]] = []
        for entry, path in jobs:
            if path is not None and entry.name in existing:
                task = functools.partial(self._repair_or_check, entry, path, existing[entry.name], direct, repaired)
                tasks.append((entry.size, task))
            elif not self._stored(entry):
                tasks.append((entry.size, functools.partial(self._extract_zipped, entry, path)))
            elif path is None:
                tasks.append((entry.size, functools.partial(self._extract_whole, entry, None, False)))
            elif entry.chunks and chunk_size > 0 and not MEDIA_NAME_RE.match(entry.name):
                os.close(os.open(path, _NEW_FILE, 0o644))  # created here; each chunk opens its own handle
                whole = _InOrder(entry)
                in_order.append(whole)
                for index in range(len(entry.chunks)):
                    start = index * chunk_size
                    length = min(chunk_size, entry.size - start)
                    task = functools.partial(self._extract_chunk, entry, index, start, length, path, whole)
                    tasks.append((length, task))
            else:
                tasks.append((entry.size, functools.partial(self._extract_whole, entry, path, direct)))
        # Stable sort: the chunks of one file keep their order, so the whole-file hash never
        # waits for a chunk no thread has taken.
        tasks.sort(key=lambda t: -t[0])
        _run_parallel([task for _, task in tasks], workers or min(4, os.cpu_count() or 1))
        for whole in in_order:
            whole.check()
        return repaired

    def _repair_or_check(
        self, entry: FileEntry, path: str, kept: str, direct: bool, repaired: list[str], buf: mmap.mmap
    ) -> None:
        """The kiosk's copy intact: verify the pack's only. Damaged (or unreadable): write the pack's."""
        if file_sha256(kept, buf) == entry.sha256:
            if self._stored(entry):
                self._extract_whole(entry, None, False, buf)
            else:
                self.copy_verified(entry, None)
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if self._stored(entry):
            self._extract_whole(entry, path, direct, buf)
        else:
            self._extract_zipped(entry, path, buf)
        repaired.append(entry.name)  # list.append is atomic: threads may share the list

    def _extract_whole(self, entry: FileEntry, path: str | None, direct: bool, buf: mmap.mmap) -> None:
        if path is None:
            digests = StreamDigest(entry)
            self._copy_span(entry, 0, entry.size, None, buf, digests.update)
        else:
            digests = self._write_new(entry, path, direct and self._direct_ok, buf)
        digests.check()

    def _write_new(self, entry: FileEntry, path: str, direct: bool, buf: mmap.mmap) -> StreamDigest:
        """Create ``path`` and copy the entry into it, hashed; ordinary writes where O_DIRECT is refused."""
        digests = StreamDigest(entry)
        try:
            fd = os.open(path, _NEW_FILE | (_O_DIRECT if direct else 0), 0o644)
        except OSError as exc:
            if not direct or exc.errno != errno.EINVAL:
                raise
            self._direct_ok = False  # e.g. tmpfs: refused at open, maybe after creating the file
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            return self._write_new(entry, path, False, buf)
        try:
            self._copy_span(entry, 0, entry.size, fd, buf, digests.update, direct)
            if not direct:
                start_writeback(fd)  # the final sync then has little left to wait for
            return digests
        except OSError as exc:
            if not direct or exc.errno != errno.EINVAL:
                raise
        finally:
            os.close(fd)
        # This file system takes O_DIRECT at open but not these writes: write normally from now on.
        self._direct_ok = False
        os.unlink(path)
        return self._write_new(entry, path, False, buf)

    def _extract_chunk(
        self, entry: FileEntry, index: int, start: int, length: int, path: str, whole: _InOrder, buf: mmap.mmap
    ) -> None:
        chunk = hashlib.sha256()

        def feed(piece: memoryview) -> None:
            chunk.update(piece)  # on this thread, beside the other chunks
            whole.update(index, piece)  # in file order: waits (rarely) for the chunk before

        try:
            fd = os.open(path, os.O_WRONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
            try:
                self._copy_span(entry, start, length, fd, buf, feed)
            finally:
                os.close(fd)
        finally:
            whole.done(index)  # whatever happened: the later chunks must never wait for this one in vain
        if chunk.hexdigest() != entry.chunks[index]:
            raise PackError(f"refused: {entry.name} does not match its SHA-256 in the manifest (tampered or damaged)")

    def _extract_zipped(self, entry: FileEntry, path: str | None, buf: mmap.mmap) -> None:
        if path is None:
            self.copy_verified(entry, None)
            return
        with open(path, "xb") as fh:
            self.copy_verified(entry, fh)

    def copy_verified(self, entry: FileEntry, dest: IO[bytes] | None) -> None:
        """Stream one entry, checking size and every hash as it goes; write to ``dest`` if given.

        Read errors are the pack's fault (PackError); write errors (a full disk) propagate
        as OSError for the installer to report.
        """
        digests = StreamDigest(entry)
        try:
            src = self.zf.open(self.infos[entry.name])
        except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError):
            raise PackError(f"refused: {entry.name} in the pack is damaged") from None
        with src:
            while True:
                try:
                    chunk = src.read(CHUNK)
                except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, zlib.error) as exc:
                    raise PackError(f"refused: {entry.name} in the pack is damaged or truncated ({exc})") from None
                except OSError as exc:
                    raise PackError(f"cannot read {entry.name} from the pack: {exc.strerror or exc}") from None
                if not chunk:
                    break
                if digests.size + len(chunk) > entry.size:
                    raise PackError(f"refused: {entry.name} holds more data than the manifest says")
                digests.update(chunk)
                if dest is not None:
                    dest.write(chunk)
        digests.check()


def _mismatch(entry: FileEntry) -> PackError:
    return PackError(f"refused: {entry.name} does not match its SHA-256 in the manifest (tampered or damaged)")


class StreamDigest:
    """Every hash the manifest states for one file (whole, and each chunk), from one pass in order."""

    def __init__(self, entry: FileEntry) -> None:
        self.entry = entry
        self.size = 0
        self._whole = hashlib.sha256()
        self._chunk_size = entry.chunk_size if entry.chunks else 0
        self._chunk = hashlib.sha256()
        self._filled = 0
        self._index = 0

    def update(self, data: bytes | memoryview) -> None:
        self._whole.update(data)
        self.size += len(data)
        if not self._chunk_size:
            return
        view = memoryview(data)
        while view:
            take = min(len(view), self._chunk_size - self._filled)
            self._chunk.update(view[:take])
            self._filled += take
            view = view[take:]
            if self._filled == self._chunk_size:
                self._end_chunk()

    def _end_chunk(self) -> None:
        chunks = self.entry.chunks
        if self._index >= len(chunks) or self._chunk.hexdigest() != chunks[self._index]:
            raise _mismatch(self.entry)
        self._index += 1
        self._chunk = hashlib.sha256()
        self._filled = 0

    def check(self) -> None:
        """Raise PackError unless the bytes seen are the whole file the manifest describes."""
        if self._chunk_size and self._filled:
            self._end_chunk()
        if (
            self.size != self.entry.size
            or self._whole.hexdigest() != self.entry.sha256
            or (self._chunk_size and self._index != len(self.entry.chunks))
        ):
            raise _mismatch(self.entry)


class _InOrder:
    """One whole-file SHA-256 over a file whose chunks are copied on several threads.

    A chunk's bytes are added once every earlier chunk's have been: threads take a file's
    chunks in order, so a thread waits at most for the chunk just before its own, and
    the file is hashed whole in the same pass that copies it (never read back).
    """

    def __init__(self, entry: FileEntry) -> None:
        self.entry = entry
        self._digest = hashlib.sha256()
        self._next = 0
        self._failed = False
        self._cond = threading.Condition()

    def update(self, index: int, piece: memoryview) -> None:
        if self._next != index:
            with self._cond:
                while self._next != index and not self._failed:
                    self._cond.wait()
        if self._failed:
            raise PackError(f"refused: {self.entry.name} could not be unpacked")  # the first error is reported
        self._digest.update(piece)

    def done(self, index: int) -> None:
        """Chunk ``index`` is finished (or failed: then the later chunks stop waiting)."""
        with self._cond:
            if self._next == index:
                self._next = index + 1
            else:
                self._failed = True
            self._cond.notify_all()

    def check(self) -> None:
        if self._failed or self._next != len(self.entry.chunks) or self._digest.hexdigest() != self.entry.sha256:
            raise _mismatch(self.entry)


def file_sha256(path: str | os.PathLike[str], buf: mmap.mmap | bytearray | None = None) -> str | None:
    """SHA-256 of a file on this machine (None if it cannot be read), leaving the OS cache as it was."""
    buf = buf if buf is not None else bytearray(CHUNK)
    view = memoryview(buf)
    digest = hashlib.sha256()
    try:
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(view):
                digest.update(view[:n])
            if hasattr(os, "posix_fadvise"):
                os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)  # a visitor's first view reads the disk
    except OSError:
        return None
    return digest.hexdigest()


_HAVE_PREADV = hasattr(os, "preadv")
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_O_DIRECT = getattr(os, "O_DIRECT", 0)
_ALIGN = 4096  # O_DIRECT offsets and lengths: a multiple of every common logical block size


def _end_direct(fd: int) -> None:
    """Switch ``fd`` from O_DIRECT to ordinary writes (for a file's unaligned tail)."""
    import fcntl  # O_DIRECT exists only where fcntl does

    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_O_DIRECT)


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    """Write all of ``data`` at ``offset`` (a write may be short)."""
    while data:
        if hasattr(os, "pwrite"):
            n = os.pwrite(fd, data, offset)
        else:  # Windows: no pwrite; every task writes through a handle of its own
            os.lseek(fd, offset, os.SEEK_SET)
            n = os.write(fd, data)
        data = data[n:]
        offset += n


def _run_parallel(tasks: Sequence[Callable[[mmap.mmap], None]], workers: int) -> None:
    """Run ``tasks`` (largest first) on ``workers`` threads, each with its own reusable buffer.

    Threads pull the next task themselves, so thousands of small files cost no future
    each; the first error stops the others and is raised here.
    """
    if not tasks:
        return
    lock = threading.Lock()
    state: dict[str, Any] = {"next": 0, "error": None}

    def worker() -> None:
        buf = mmap.mmap(-1, CHUNK_SIZE)  # page-aligned, as O_DIRECT needs
        while True:
            with lock:
                index = state["next"]
                if index >= len(tasks) or state["error"] is not None:
                    return
                state["next"] = index + 1
            try:
                tasks[index](buf)
            except BaseException as exc:  # handed to the calling thread
                with lock:
                    if state["error"] is None:
                        state["error"] = exc
                return

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(workers, len(tasks))) - 1)]
    for thread in threads:
        thread.start()
    worker()
    for thread in threads:
        thread.join()
    if state["error"] is not None:
        raise state["error"]


def verify_pack(
    path: Path, trusted: Sequence[PublicKey], limits: PackLimits = DEFAULT_LIMITS
) -> tuple[Manifest, PublicKey]:
    """Full check without writing anything: structure, signature, every file's hash."""
    with PackReader(path, limits) as reader:
        reader.check_entries()
        manifest, key = reader.signed_manifest(trusted)
        reader.check_structure(manifest)
        reader.verify_hashes(manifest)
    return manifest, key
