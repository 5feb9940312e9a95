"""Read raster MBTiles as they come from the wild, and serve tiles in XYZ (Leaflet) order.

Real files differ: ``tiles`` may be a table or a view over ``map``/``images``, the
``metadata`` table or its keys may be missing, ``format`` may say ``jpeg`` or ``image/png``,
and rows are stored in TMS order (row 0 at the south). This module hides all of that
behind one small class so the map screen only asks ``tile(z, x, y)``. It never imports Qt.
"""

from __future__ import annotations

import hashlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..core.errors import KioskError

MAX_ZOOM = 22
MAX_TILE_BYTES = 4 * 1024 * 1024  # a 512 px tile is well under 1 MB; anything bigger is not a map tile
MAX_FILE_BYTES = 2 * 1024**3
MAX_META_VALUE = 64 * 1024
MAX_LAT = 85.0511287798066

MIME = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
_FORMAT_ALIASES = {
    "png": "png",
    "image/png": "png",
    "jpg": "jpg",
    "jpeg": "jpg",
    "image/jpg": "jpg",
    "image/jpeg": "jpg",
    "webp": "webp",
    "image/webp": "webp",
}
_VECTOR_FORMATS = {"pbf", "mvt", "application/x-protobuf", "application/vnd.mapbox-vector-tile"}
_TILE_COLUMNS = {"zoom_level", "tile_column", "tile_row", "tile_data"}


class MBTilesError(KioskError, ValueError):
    """An MBTiles file cannot be used as a raster basemap (the message says why, in one line)."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message  # the message without the file name, for callers that name it


def sniff_image(blob: bytes | None) -> str | None:
    """``png``, ``jpg`` or ``webp`` from a tile's first bytes; ``None`` for anything else."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        return None
    head = bytes(blob[:12])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def normalize_format(value: str | None) -> str | None:
    """Canonical raster format for a metadata ``format`` value; ``None`` when unknown or missing."""
    if not value:
        return None
    key = str(value).strip().lower()
    if key in _VECTOR_FORMATS:
        raise MBTilesError(f"holds vector tiles ({value}); only raster PNG, JPEG or WebP basemaps are supported")
    return _FORMAT_ALIASES.get(key)


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Fractional XYZ tile coordinates of a point (Web Mercator)."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    n = 2**z
    x = (lon + 180.0) / 360.0 * n
    rad = math.radians(lat)
    y = (1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n
    return x, y


def tile_to_lonlat(x: float, y: float, z: int) -> tuple[float, float]:
    """Longitude and latitude of the north-west corner of XYZ tile (x, y), fractional allowed."""
    n = 2**z
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def tile_bounds(x: int, y: int, z: int) -> tuple[float, float, float, float]:
    """(W, S, E, N) of one XYZ tile."""
    w, n = tile_to_lonlat(x, y, z)
    e, s = tile_to_lonlat(x + 1, y + 1, z)
    return w, s, e, n


def tiles_in_bbox(bbox: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """Inclusive XYZ range (x0, y0, x1, y1) of the tiles that touch ``bbox`` at zoom ``z``."""
    w, s, e, n = bbox
    n_tiles = 2**z
    fx0, fy0 = lonlat_to_tile(w, n, z)
    fx1, fy1 = lonlat_to_tile(e, s, z)
    clamp = lambda v: max(0, min(n_tiles - 1, v))  # noqa: E731
    # A bbox edge exactly on a tile edge does not pull in the next tile.
    x1 = math.ceil(fx1) - 1 if fx1 > fx0 else math.floor(fx1)
    y1 = math.ceil(fy1) - 1 if fy1 > fy0 else math.floor(fy1)
    return clamp(math.floor(fx0)), clamp(math.floor(fy0)), clamp(x1), clamp(y1)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``W,S,E,N`` in degrees, checked: an operator typo gets a clear message, not a blank map."""
    try:
        parts = [float(p) for p in str(text).split(",")]
    except ValueError:
        raise MBTilesError(f"bounding box {text!r} must be four numbers W,S,E,N") from None
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise MBTilesError(f"bounding box {text!r} must be four numbers W,S,E,N")
    w, s, e, n = parts
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise MBTilesError(f"bounding box {text!r} is not W,S,E,N with west < east and south < north in degrees")
    return w, max(s, -MAX_LAT), e, min(n, MAX_LAT)


def parse_zoom_range(text: str) -> tuple[int, int]:
    """``MIN-MAX`` (or one level) within 0..22."""
    try:
        lo, _, hi = str(text).partition("-")
        zmin, zmax = int(lo), int(hi or lo)
    except ValueError:
        raise MBTilesError(f"zoom range {text!r} must look like 9-15") from None
    if not (0 <= zmin <= zmax <= MAX_ZOOM):
        raise MBTilesError(f"zoom range {text!r} must be within 0-{MAX_ZOOM}, smallest first")
    return zmin, zmax


def _parse_bounds(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    try:
        w, s, e, n = (float(p) for p in str(value).split(","))
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        return None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        return None
    return w, max(s, -MAX_LAT), e, min(n, MAX_LAT)


def _fit_zoom(bounds: tuple[float, float, float, float], minzoom: int, maxzoom: int) -> int:
    """The zoom at which the bounds span about two tiles across: a whole-area first view."""
    w, s, e, n = bounds
    span = max(e - w, (n - s) * 1.3, 1e-6)
    z = math.floor(math.log2(360.0 / span)) + 1
    return max(minzoom, min(maxzoom, z))


class MBTiles:
    """One raster MBTiles file, opened read-only; ``tile()`` is safe from many threads at once.

    Each query borrows an idle SQLite connection (or makes one), so parallel tile requests
    never share a connection mid-query and the number of connections stays at the number
    of requests that ever ran at once.
    ``immutable=True`` is for installed files, which are never written: SQLite then skips
    locking and change detection entirely.
    """

    OPEN_TIMEOUT = 10.0  # seconds to read the facts at open; a real file needs milliseconds

    def __init__(self, path: Path | str, *, immutable: bool = False) -> None:
        self.path = Path(path)
        self._immutable = immutable
        self._conns: list[sqlite3.Connection] = []  # every connection made, to close them all
        self._idle: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._closed = False
        try:
            self._check_file()
            self._inspect()
        except sqlite3.DatabaseError as exc:
            self.close()
            reason = f"not a readable MBTiles file ({exc})"
            raise MBTilesError(f"{self.path.name}: {reason}", reason) from None
        except MBTilesError as exc:
            self.close()
            raise MBTilesError(f"{self.path.name}: {exc}", str(exc)) from None

    # -- opening ---------------------------------------------------------------------------
    def _check_file(self) -> None:
        try:
            size = self.path.stat().st_size
            with self.path.open("rb") as fh:
                head = fh.read(16)
        except FileNotFoundError:
            raise MBTilesError("file not found") from None
        except IsADirectoryError:
            raise MBTilesError("is a folder, not an MBTiles file") from None
        except OSError as exc:
            raise MBTilesError(f"cannot be read ({exc.strerror})") from None
        if size == 0:
            raise MBTilesError("file is empty")
        if size > MAX_FILE_BYTES:
            raise MBTilesError(f"file is {size / 1024**3:.1f} GB, more than the 2 GB a basemap may use")
        if head != b"SQLite format 3\x00":
            raise MBTilesError("not an MBTiles file (it is not an SQLite database)")

    def _connect(self) -> sqlite3.Connection:
        uri = f"file:{quote(self.path.resolve().as_posix())}?mode=ro"
        if self._immutable:
            uri += "&immutable=1"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        # A hostile file's views must not call functions with side effects.
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA query_only = ON")
        return conn

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """A connection for one query: taken from the idle ones, or a new one, then put back.

        Not one per thread: the kiosk's worker threads are Qt's, and Python forgets a
        ``threading.local`` each time such a thread finishes a task, so per-thread
        connections leaked one per task (found by the memory benchmark; workaround
        ``threading-local-in-qt-threads`` in ``kiosk_app/runtime/workarounds.py``).
        """
        with self._conns_lock:
            if self._closed:
                raise MBTilesError(f"{self.path.name}: already closed")
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
            with self._conns_lock:
                self._conns.append(conn)
        try:
            yield conn
        finally:
            with self._conns_lock:
                if not self._closed:
                    self._idle.append(conn)

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        with self._using() as conn:
            return conn.execute(sql, args).fetchone()

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._using() as conn:
            return conn.execute(sql, args).fetchall()

    def _inspect(self) -> None:
        with self._using() as conn:
            # A hostile view (say an endless recursive query) must not hang the caller: give up.
            deadline = time.monotonic() + self.OPEN_TIMEOUT
            conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            try:
                self._read_facts(conn)
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    raise MBTilesError(
                        f"reading it took over {self.OPEN_TIMEOUT:g} s; its 'tiles' is not usable"
                    ) from None
                raise
            finally:
                conn.set_progress_handler(None, 0)

    def _read_facts(self, conn: sqlite3.Connection) -> None:
        objects = dict(conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"))
        if "tiles" not in objects:
            raise MBTilesError("has no 'tiles' table or view, so it holds no map tiles")
        columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(tiles)")}
        if missing := _TILE_COLUMNS - columns:
            raise MBTilesError(f"'tiles' lacks the column(s) {', '.join(sorted(missing))}")
        self.tiles_kind: str = objects["tiles"]
        self.metadata: dict[str, str] = {}
        if "metadata" in objects:
            for name, value in conn.execute("SELECT name, value FROM metadata LIMIT 1000"):
                if isinstance(name, str) and isinstance(value, str | int | float) and len(str(value)) <= MAX_META_VALUE:
                    self.metadata[name] = str(value)
        zmin, zmax = conn.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        if zmin is None:
            raise MBTilesError("holds no tiles")
        if not isinstance(zmin, int) or not isinstance(zmax, int) or zmin < 0 or zmax > MAX_ZOOM:
            raise MBTilesError(f"has tiles at zoom {zmin}..{zmax}; zoom levels must be within 0..{MAX_ZOOM}")
        self.minzoom: int = zmin
        self.maxzoom: int = zmax

        declared = normalize_format(self.metadata.get("format"))
        row = conn.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? LIMIT 1", (zmin,)).fetchone()
        blob = row[0] if row else None
        if isinstance(blob, bytes) and len(blob) > MAX_TILE_BYTES:
            raise MBTilesError(f"a tile is {len(blob) // 1024} KB, too large for a map tile")
        sniffed = sniff_image(blob)
        if sniffed is None:
            start = bytes(blob[:16]) if isinstance(blob, bytes) else b""
            if start.startswith(b"\x1f\x8b") or start.startswith(b"\x1a"):
                raise MBTilesError("holds vector tiles; only raster PNG, JPEG or WebP basemaps are supported")
            raise MBTilesError(f"tiles are not PNG, JPEG or WebP images (the first starts with {start[:12]!r})")
        # The bytes win over the label (``declared`` only had to be a raster format): Qt picks
        # the decoder from the MIME type we send.
        del declared
        self.format: str = sniffed

        bounds = _parse_bounds(self.metadata.get("bounds"))
        self.bounds: tuple[float, float, float, float] = bounds or self._bounds_from_tiles()
        self.center: tuple[float, float, int] = self._center()

    def _bounds_from_tiles(self) -> tuple[float, float, float, float]:
        z = self.maxzoom
        x0, x1, r0, r1 = self._one(
            "SELECT MIN(tile_column), MAX(tile_column), MIN(tile_row), MAX(tile_row) FROM tiles WHERE zoom_level = ?",
            (z,),
        )
        n = 2**z
        x0, x1 = max(0, int(x0)), min(n - 1, int(x1))
        # TMS rows count from the south: the top row in XYZ is n-1-max(row).
        y0, y1 = max(0, n - 1 - int(r1)), min(n - 1, n - 1 - int(r0))
        w, n_lat = tile_to_lonlat(x0, y0, z)
        e, s_lat = tile_to_lonlat(x1 + 1, y1 + 1, z)
        return w, s_lat, e, n_lat

    def _center(self) -> tuple[float, float, int]:
        try:
            parts = [float(p) for p in self.metadata.get("center", "").split(",")]
            lon, lat, zoom = parts[0], parts[1], int(parts[2])
            w, s, e, n = self.bounds
            if w <= lon <= e and s <= lat <= n and self.minzoom <= zoom <= self.maxzoom:
                return lon, lat, zoom
        except (ValueError, IndexError):
            pass
        w, s, e, n = self.bounds
        return (w + e) / 2, (s + n) / 2, _fit_zoom(self.bounds, self.minzoom, self.maxzoom)

    # -- reading -------------------------------------------------------------------------------
    @property
    def mime(self) -> str:
        return MIME[self.format]

    @property
    def name(self) -> str:
        return self.metadata.get("name") or self.path.stem

    @property
    def attribution(self) -> str:
        return self.metadata.get("attribution", "")

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The image for XYZ tile (z, x, y), or ``None`` when absent or not a usable image."""
        if not (isinstance(z, int) and isinstance(x, int) and isinstance(y, int)):
            return None
        if not (0 <= z <= MAX_ZOOM):
            return None
        n = 1 << z
        if not (0 <= x < n and 0 <= y < n):
            return None
        row = self._one(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, n - 1 - y),
        )
        if row is None:
            return None
        blob = row[0]
        if not isinstance(blob, bytes) or len(blob) > MAX_TILE_BYTES or sniff_image(blob) is None:
            return None
        return blob

    def tile_count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM tiles")[0])

    def zoom_counts(self) -> dict[int, int]:
        """Tiles per zoom level, for operator reports."""
        rows = self._all("SELECT zoom_level, COUNT(*) FROM tiles GROUP BY zoom_level ORDER BY zoom_level")
        return {int(z): int(c) for z, c in rows}

    def iter_tiles(
        self, bbox: tuple[float, float, float, float] | None = None, zooms: tuple[int, int] | None = None
    ) -> Any:
        """Yield ``(z, x, y, blob)`` in XYZ order, optionally only inside ``bbox`` and ``zooms``."""
        lo, hi = zooms or (self.minzoom, self.maxzoom)
        conn = self._connect()  # its own cursor: the caller may call tile() while iterating
        try:
            for z in range(max(lo, self.minzoom), min(hi, self.maxzoom) + 1):
                n = 1 << z
                sql = "SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ?"
                args: tuple[int, ...] = (z,)
                if bbox is not None:
                    x0, y0, x1, y1 = tiles_in_bbox(bbox, z)
                    sql += " AND tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?"
                    args = (z, x0, x1, n - 1 - y1, n - 1 - y0)
                for x, row, blob in conn.execute(sql + " ORDER BY tile_column, tile_row", args):
                    yield z, int(x), n - 1 - int(row), blob
        finally:
            conn.close()

    def summary(self) -> dict[str, Any]:
        """What the pack's ``basemaps`` row records."""
        return {"format": self.format, "minzoom": self.minzoom, "maxzoom": self.maxzoom, "bounds": list(self.bounds)}

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        self._closed = True
        with self._conns_lock:
            conns, self._conns, self._idle = self._conns, [], []
        for conn in conns:
            conn.close()

    def __enter__(self) -> MBTiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if not hasattr(self, "maxzoom"):  # opening failed
            return f"MBTiles({str(self.path)!r})"
        return f"MBTiles({str(self.path)!r}, {self.format}, z{self.minzoom}-{self.maxzoom})"


def mbtiles_summary(path: Path) -> dict[str, Any]:
    """Zoom range, format and bounds of an MBTiles file, from metadata or from the tiles."""
    with MBTiles(path) as mb:
        return mb.summary()


# -- writing ---------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
CREATE UNIQUE INDEX metadata_name ON metadata (name);
CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL,
                    tile_data BLOB NOT NULL);
CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
"""


class MBTilesWriter:
    """Write a clean, standard MBTiles: a real ``tiles`` table with a unique index and full metadata.

    Everything goes to a temporary file next to ``dest`` that is renamed into place only
    when :meth:`commit` succeeds, so an interrupted import never leaves half a basemap.
    """

    def __init__(self, dest: Path | str, fmt: str) -> None:
        self.dest = Path(dest)
        if fmt not in MIME:
            raise MBTilesError(f"cannot write {fmt!r} tiles; use png, jpg or webp")
        self.format = fmt
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.dest.with_name(f".{self.dest.name}.tmp")
        self.tmp.unlink(missing_ok=True)
        self.conn = sqlite3.connect(self.tmp)
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.executescript(_SCHEMA)
        self.counts: dict[int, int] = {}
        self.unique: set[bytes] = set()
        self._extent: dict[int, list[int]] = {}

    def add(self, z: int, x: int, y: int, blob: bytes) -> None:
        """Add XYZ tile (z, x, y); the image must be in this file's format."""
        if not (0 <= z <= MAX_ZOOM):
            raise MBTilesError(f"zoom {z} is outside 0..{MAX_ZOOM}")
        n = 1 << z
        if not (0 <= x < n and 0 <= y < n):
            raise MBTilesError(f"tile {z}/{x}/{y} does not exist at zoom {z}")
        if not isinstance(blob, bytes) or len(blob) > MAX_TILE_BYTES:
            raise MBTilesError(f"tile {z}/{x}/{y} is not a tile-sized image")
        kind = sniff_image(blob)
        if kind is None:
            raise MBTilesError(f"tile {z}/{x}/{y} is not a PNG, JPEG or WebP image (starts with {blob[:12]!r})")
        if kind != self.format:
            raise MBTilesError(f"tile {z}/{x}/{y} is {kind.upper()} but the basemap is {self.format.upper()}")
        self.conn.execute("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)", (z, x, n - 1 - y, blob))
        self.counts[z] = self.counts.get(z, 0) + 1
        self.unique.add(hashlib.sha256(blob).digest())
        ext = self._extent.setdefault(z, [x, y, x, y])
        ext[0], ext[1], ext[2], ext[3] = min(ext[0], x), min(ext[1], y), max(ext[2], x), max(ext[3], y)

    def commit(
        self, metadata: dict[str, str], bounds: tuple[float, float, float, float] | None = None
    ) -> dict[str, Any]:
        """Write metadata (zooms, format, bounds and centre filled in), compact, and rename into place."""
        if not self.counts:
            self.abort()
            raise MBTilesError("no tiles to write (the bounding box or zoom range selects nothing)")
        zmin, zmax = min(self.counts), max(self.counts)
        if bounds is None:
            x0, y0, x1, y1 = self._extent[zmax]
            w, n = tile_to_lonlat(x0, y0, zmax)
            e, s = tile_to_lonlat(x1 + 1, y1 + 1, zmax)
            bounds = (w, s, e, n)
        meta = {k: str(v) for k, v in metadata.items() if v is not None and str(v) != ""}
        meta.setdefault("name", self.dest.stem)
        meta.setdefault("type", "baselayer")
        meta.setdefault("version", "1")
        meta.setdefault("description", meta["name"])
        meta.setdefault("attribution", "")
        meta.update(
            format=self.format,
            minzoom=str(zmin),
            maxzoom=str(zmax),
            bounds=",".join(f"{v:.6f}" for v in bounds),
        )
        center = _parse_center(meta.get("center"), bounds, zmin, zmax)
        meta["center"] = f"{center[0]:.6f},{center[1]:.6f},{center[2]}"
        self.conn.executemany("INSERT OR REPLACE INTO metadata VALUES (?, ?)", sorted(meta.items()))
        self.conn.commit()
        self.conn.execute("VACUUM")
        self.conn.close()
        os.replace(self.tmp, self.dest)
        return {
            "path": str(self.dest),
            "zoom_counts": dict(sorted(self.counts.items())),
            "tiles": sum(self.counts.values()),
            "unique_images": len(self.unique),
            "bytes": self.dest.stat().st_size,
            "metadata": meta,
        }

    def abort(self) -> None:
        try:
            self.conn.close()
        finally:
            self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> MBTilesWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None and self.tmp.exists():
            self.abort()


def _parse_center(
    value: str | None, bounds: tuple[float, float, float, float], zmin: int, zmax: int
) -> tuple[float, float, int]:
    w, s, e, n = bounds
    try:
        lon, lat, zoom = (float(p) for p in str(value).split(","))
        if w <= lon <= e and s <= lat <= n:
            return lon, lat, max(zmin, min(zmax, int(zoom)))
    except ValueError:
        pass
    return (w + e) / 2, (s + n) / 2, _fit_zoom(bounds, zmin, zmax)


def _intersect(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def import_mbtiles(
    src: Path | str,
    dest: Path | str,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    zooms: tuple[int, int] | None = None,
    name: str | None = None,
    attribution: str | None = None,
) -> dict[str, Any]:
    """Copy (and clip to ``bbox``/``zooms``) any raster MBTiles into a clean standard one at ``dest``."""
    with MBTiles(src) as mb:
        if zooms and (zooms[1] < mb.minzoom or zooms[0] > mb.maxzoom):
            raise MBTilesError(f"{mb.path.name} has zoom {mb.minzoom}-{mb.maxzoom}, nothing in {zooms[0]}-{zooms[1]}")
        if bbox:
            w, s, e, n = _intersect(bbox, mb.bounds)
            if w >= e or s >= n:
                raise MBTilesError(f"{mb.path.name} covers {_fmt_bbox(mb.bounds)}, which misses {_fmt_bbox(bbox)}")
        meta = {
            k: v
            for k, v in mb.metadata.items()
            if k in ("name", "description", "attribution", "version", "type", "center", "legend")
        }
        if name:
            meta["name"] = name
        if attribution is not None:
            meta["attribution"] = attribution
        bounds = _intersect(bbox, mb.bounds) if bbox else mb.bounds
        with MBTilesWriter(dest, mb.format) as out:
            for z, x, y, blob in mb.iter_tiles(bbox, zooms):
                try:
                    out.add(z, x, y, blob)
                except MBTilesError as exc:
                    raise MBTilesError(f"{mb.path.name}: {exc}", str(exc)) from None
            return out.commit(meta, bounds)


def _fmt_bbox(b: tuple[float, float, float, float]) -> str:
    return ",".join(f"{v:.3f}" for v in b)
