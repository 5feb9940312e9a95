"""A web view that cannot become a way out of the kiosk.

Every request outside ``kiosk://app`` is blocked by the interceptor (and logged, so tests
can prove it); navigation elsewhere, new windows, dialogs, downloads, file choosers,
printing, full screen and every permission are refused by the page; the profile is
off the record with no storage; the view has no context menu and takes no drops.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtWebEngineCore import (
    QWebEngineDownloadRequest,
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView

from .scheme import is_app_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """Something the page tried and was not allowed to do."""

    what: str
    detail: str


class RefusalLog:
    """What the web view asked for and was refused, newest last (bounded)."""

    def __init__(self, size: int = 500) -> None:
        self.refused: deque[Refusal] = deque(maxlen=size)
        self.requests: deque[tuple[str, bool]] = deque(maxlen=5000)

    def refuse(self, what: str, detail: str = "") -> None:
        log.info("web view: refused %s %s", what, detail[:200])
        self.refused.append(Refusal(what, detail))

    def outside_requests(self) -> list[str]:
        return [url for url, allowed in self.requests if not allowed]


class RequestGuard(QWebEngineUrlRequestInterceptor):
    """Sees every request the engine makes (pages, scripts, images, fetches) and blocks strangers."""

    def __init__(self, refusals: RefusalLog, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.refusals = refusals

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        allowed = is_app_url(url.scheme(), url.host())
        self.refusals.requests.append((url.toString(), allowed))
        if not allowed:
            info.block(True)
            self.refusals.refuse("request", url.toString())


_OFF = (
    "LocalStorageEnabled", "JavascriptCanOpenWindows", "JavascriptCanAccessClipboard", "JavascriptCanPaste",
    "LocalContentCanAccessRemoteUrls", "LocalContentCanAccessFileUrls", "PluginsEnabled", "FullScreenSupportEnabled",
    "ScreenCaptureEnabled", "PdfViewerEnabled", "NavigateOnDropEnabled", "AllowRunningInsecureContent",
    "AllowGeolocationOnInsecureOrigins", "DnsPrefetchEnabled", "AllowWindowActivationFromJavaScript",
    "HyperlinkAuditingEnabled", "WebGLEnabled", "ErrorPageEnabled", "LinksIncludedInFocusChain",
    "SpatialNavigationEnabled", "AutoLoadIconsForPage", "TouchIconsEnabled", "WebRTCPublicInterfacesOnly",
)  # fmt: skip
_ON = ("JavascriptEnabled", "AutoLoadImages", "TouchEventsApiEnabled", "ShowScrollBars")


def harden_settings(settings: QWebEngineSettings) -> None:
    attr = QWebEngineSettings.WebAttribute
    for name in _OFF:
        settings.setAttribute(getattr(attr, name), False)
    for name in _ON:
        settings.setAttribute(getattr(attr, name), True)
    settings.setUnknownUrlSchemePolicy(QWebEngineSettings.UnknownUrlSchemePolicy.DisallowUnknownUrlSchemes)


def make_profile(refusals: RefusalLog, parent: QObject | None = None) -> QWebEngineProfile:
    """Off the record (nothing on disk), no cookies kept, no downloads, every request guarded."""
    profile = QWebEngineProfile(parent)  # no storage name: off the record
    assert profile.isOffTheRecord()
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    profile.setPersistentCookiesPolicy(QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
    profile.setPersistentPermissionsPolicy(QWebEngineProfile.PersistentPermissionsPolicy.AskEveryTime)
    profile.setSpellCheckEnabled(False)
    profile.setHttpUserAgent("CultureKiosk")
    harden_settings(profile.settings())
    guard = RequestGuard(refusals, profile)
    profile.setUrlRequestInterceptor(guard)
    # Qt does not own the interceptor: without a Python reference its override silently stops
    # (workaround interceptor-ownership in kiosk_app/runtime/workarounds.py).
    profile.kiosk_guard = guard  # type: ignore[attr-defined]

    def no_downloads(download: QWebEngineDownloadRequest) -> None:
        refusals.refuse("download", download.url().toString())
        download.cancel()

    profile.downloadRequested.connect(no_downloads)
    return profile


class GuardedPage(QWebEnginePage):
    """Stays on ``kiosk://app/map.html``; refuses everything a page could ask of the kiosk."""

    def __init__(self, profile: QWebEngineProfile, refusals: RefusalLog, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self.refusals = refusals
        harden_settings(self.settings())
        self.permissionRequested.connect(self._deny_permission)
        self.fullScreenRequested.connect(lambda request: (self.refusals.refuse("full screen"), request.reject()))
        self.fileSystemAccessRequested.connect(lambda request: (self.refusals.refuse("file system"), request.reject()))
        self.registerProtocolHandlerRequested.connect(
            lambda request: (self.refusals.refuse("protocol handler"), request.reject())
        )
        self.printRequested.connect(lambda: self.refusals.refuse("print"))
        self.printRequestedByFrame.connect(lambda _frame: self.refusals.refuse("print"))
        self.desktopMediaRequested.connect(lambda _request: self.refusals.refuse("screen capture"))
        self.webAuthUxRequested.connect(lambda request: (self.refusals.refuse("web authentication"), request.cancel()))
        self.windowCloseRequested.connect(lambda: self.refusals.refuse("window close"))

    def _deny_permission(self, permission: object) -> None:
        self.refusals.refuse("permission", str(getattr(permission, "permissionType", lambda: "")()))
        permission.deny()  # type: ignore[attr-defined]

    def acceptNavigationRequest(
        self, url: QUrl | str, kind: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        url = QUrl(url)
        if is_app_url(url.scheme(), url.host()) and url.path() == "/map.html":
            return True
        self.refusals.refuse("navigation", url.toString())
        return False

    def createWindow(self, kind: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:
        self.refusals.refuse("new window", str(kind))
        return None

    def chooseFiles(self, mode: QWebEnginePage.FileSelectionMode, old: list[str], accepted: list[str]) -> list[str]:
        self.refusals.refuse("file chooser")
        return []

    def javaScriptAlert(self, origin: QUrl, message: str) -> None:
        self.refusals.refuse("alert", message)

    def javaScriptConfirm(self, origin: QUrl, message: str) -> bool:
        self.refusals.refuse("confirm", message)
        return False

    def javaScriptPrompt(self, origin: QUrl, message: str, default: str) -> tuple[bool, str]:
        self.refusals.refuse("prompt", message)
        return False, ""

    def javaScriptConsoleMessage(self, level: QWebEnginePage.JavaScriptConsoleMessageLevel, message: str,
                                 line: int, source: str) -> None:  # fmt: skip
        log.debug("map page console (%s:%s): %s", source, line, message)


class GuardedView(QWebEngineView):
    """No context menu, no drops; the page's own gestures (drag, pinch) still work."""

    def __init__(self, page: GuardedPage, parent: QObject | None = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setPage(page)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setAcceptDrops(False)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)

    def contextMenuEvent(self, event: object) -> None:
        event.accept()  # type: ignore[attr-defined]
