"""``kiosk://app/...``: the only place the web view may load anything from.

Routes: ``/map.html`` (the page, generated in memory), ``/static/...`` (Leaflet and its
plugin, shipped inside this package), ``/qwebchannel.js`` (from Qt's own resources) and
``/tiles/{z}/{x}/{y}`` (from the installed MBTiles). Everything else is a 404. Nothing is
read from outside the static folder, whatever the path says.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QFile, QIODevice, QObject
from PySide6.QtWebEngineCore import QWebEngineUrlRequestJob, QWebEngineUrlSchemeHandler

from content_sync.maps.tiles import TileSource

from .engine import CONTENT_SECURITY_POLICY, HOST, SCHEME

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
_TYPES = {".js": b"text/javascript", ".css": b"text/css", ".png": b"image/png", ".svg": b"image/svg+xml"}
# A multimap to Qt: each header name maps to a list of values.
_HEADERS = {
    QByteArray(b"Content-Security-Policy"): [QByteArray(CONTENT_SECURITY_POLICY.encode())],
    QByteArray(b"X-Content-Type-Options"): [QByteArray(b"nosniff")],
    QByteArray(b"Referrer-Policy"): [QByteArray(b"no-referrer")],
}
_TILE = re.compile(r"^/tiles/(\d{1,2})/(\d{1,7})/(\d{1,7})(?:\.\w+)?$")


def _qwebchannel_js() -> bytes:
    from PySide6 import QtWebChannel  # noqa: F401  (registers the resource)

    resource = QFile(":/qtwebchannel/qwebchannel.js")
    if not resource.open(QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError("Qt's qwebchannel.js resource is missing")
    data = bytes(resource.readAll().data())
    resource.close()
    return data


class KioskSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers every ``kiosk://`` request from memory, the package or the basemaps."""

    def __init__(self, page_html: Callable[[], bytes | None], tiles: Callable[[], TileSource | None],
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.page_html = page_html
        self.tiles = tiles
        self._static: dict[str, tuple[bytes, bytes]] = {}
        self.requests = 0

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        self.requests += 1
        url = job.requestUrl()
        try:
            found = self._resolve(url.host(), url.path()) if job.requestMethod().data() == b"GET" else None
        except Exception:
            log.exception("kiosk scheme: failed to answer %s", url.toString())
            job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)
            return
        if found is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        body, mime = found
        job.setAdditionalResponseHeaders(_HEADERS)
        buffer = QBuffer(parent=job)
        buffer.setData(QByteArray(body))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(QByteArray(mime), buffer)

    def _resolve(self, host: str, path: str) -> tuple[bytes, bytes] | None:
        if host != HOST:
            return None
        if path == "/map.html":
            html = self.page_html()
            return (html, b"text/html;charset=utf-8") if html is not None else None
        match = _TILE.match(path)
        if match:
            source = self.tiles()
            if source is None:
                return None
            z, x, y = (int(g) for g in match.groups())
            found = source.tile(z, x, y)
            return (found[0], found[1].encode()) if found else None
        if path == "/qwebchannel.js":
            return self._cached(path, lambda: (_qwebchannel_js(), b"text/javascript"))
        if path.startswith("/static/"):
            return self._cached(path, lambda: self._static_file(path[len("/static/") :]))
        return None

    def _cached(self, key: str, load: Callable[[], tuple[bytes, bytes] | None]) -> tuple[bytes, bytes] | None:
        if key not in self._static:
            found = load()
            if found is None:
                return None
            self._static[key] = found
        return self._static[key]

    @staticmethod
    def _static_file(relative: str) -> tuple[bytes, bytes] | None:
        target = (STATIC_DIR / relative).resolve()
        if not target.is_relative_to(STATIC_DIR) or not target.is_file() or target.suffix not in _TYPES:
            return None
        return target.read_bytes(), _TYPES[target.suffix]


def is_app_url(scheme: str, host: str) -> bool:
    return scheme == SCHEME and host == HOST
