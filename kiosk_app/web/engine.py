"""Start-up duties of the web engine that must happen before the QApplication exists.

Chromium reads its flags and Qt its scheme registry once, when the application object is
built, so ``prepare_web_engine`` runs first thing in ``main`` (and in the test session; workaround
``webengine-start-order`` in ``kiosk_app/runtime/workarounds.py``). It
only touches QtCore and QtWebEngineCore's scheme registry; the heavy engine itself starts
later, in the background, after the home screen is painted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

SCHEME = "kiosk"
HOST = "app"
ORIGIN = f"{SCHEME}://{HOST}"

# Defence in depth on top of the request interceptor: the page may only use its own scheme.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; script-src {SCHEME}: 'unsafe-inline'; style-src {SCHEME}: 'unsafe-inline'; "
    f"img-src {SCHEME}: data:; connect-src 'none'; font-src 'none'; media-src 'none'; object-src 'none'; "
    "frame-src 'none'; worker-src 'none'; form-action 'none'; base-uri 'none'"
)

# Chromium switches that keep it from reaching out on its own: no background requests,
# no component or safe-browsing updates, no crash uploads, no DNS prefetch, no pings.
QUIET_CHROMIUM_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-pings",
    "--disable-breakpad",
    "--dns-prefetch-disable",
    "--disable-features=NetworkPrediction,InterestFeedContentSuggestions,MediaRouter,Translate",
)

_DEBUG_FLAGS = ("--remote-debugging-port", "--remote-debugging-pipe", "--remote-allow-origins", "--auto-open-devtools")
_DEBUG_ENV = ("QTWEBENGINE_REMOTE_DEBUGGING",)


class RemoteDebuggingEnabled(RuntimeError):
    """Raised at start-up: a debugging port would let anyone on the network drive the kiosk."""


def remote_debugging_reason(environ: Mapping[str, str], argv: Sequence[str]) -> str | None:
    """Why remote debugging would be on, in plain words, or ``None`` when it is off."""
    for name in _DEBUG_ENV:
        if environ.get(name):
            return f"the environment variable {name} is set"
    flags = environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    for source, items in (("QTWEBENGINE_CHROMIUM_FLAGS", flags), ("the command line", list(argv))):
        for item in items:
            if item.split("=", 1)[0] in _DEBUG_FLAGS:
                return f"{item.split('=', 1)[0]} is given in {source}"
    return None


def prepare_web_engine(environ: dict[str, str] | None = None, argv: Sequence[str] | None = None) -> None:
    """Refuse remote debugging, quiet Chromium, register ``kiosk://`` (before QApplication)."""
    environ = os.environ if environ is None else environ
    argv = sys.argv if argv is None else argv
    reason = remote_debugging_reason(environ, argv)
    if reason:
        raise RemoteDebuggingEnabled(f"refusing to start: web engine remote debugging is enabled ({reason})")
    flags = environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    wanted = list(QUIET_CHROMIUM_FLAGS)
    if environ.get("QT_QPA_PLATFORM", "").startswith("offscreen"):
        # No GPU and no display: software compositing, and no RHI probing that only warns.
        wanted += ["--disable-gpu", "--disable-gpu-compositing"]
        environ.setdefault("QSG_RHI_BACKEND", "null")
    if os.geteuid() == 0:
        environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")  # Chromium's sandbox refuses root
    environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join([*flags, *(f for f in wanted if f not in flags)])

    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWebEngineCore import QWebEngineUrlScheme

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    if QWebEngineUrlScheme.schemeByName(SCHEME.encode()).name().data() == SCHEME.encode():
        return
    scheme = QWebEngineUrlScheme(SCHEME.encode())
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.CorsEnabled
    )
    QWebEngineUrlScheme.registerScheme(scheme)
