"""app-event-filter-crash: a Python application-wide event filter and QtWebEngine."""

from __future__ import annotations

from tests.kiosk.child import run_child

from .support import bug_if, still_needed

PAGE_WITH_A_FILTER = """
import sys
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QTimer, QUrl
from PySide6.QtWebEngineCore import (QWebEnginePage, QWebEngineProfile, QWebEngineUrlScheme,
                                     QWebEngineUrlSchemeHandler)
from PySide6.QtWidgets import QApplication, QWidget

scheme = QWebEngineUrlScheme(b"app")
scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
QWebEngineUrlScheme.registerScheme(scheme)
app = QApplication([])

class Filter(QObject):
    def eventFilter(self, watched, event):
        return False  # does nothing at all: being there is enough

class Pages(QWebEngineUrlSchemeHandler):
    def requestStarted(self, job):  # each request is a job object made in C++
        body = QBuffer(job)
        body.setData(QByteArray(b"<p>a page</p>"))
        body.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(b"text/html", body)

filter_ = Filter()
if sys.argv[1] == "application":
    app.installEventFilter(filter_)
else:  # as the kiosk does: on its window and the widget
    window = QWidget()
    window.show()
    window.windowHandle().installEventFilter(filter_)
    window.installEventFilter(filter_)
profile = QWebEngineProfile()
pages = Pages(profile)
profile.installUrlSchemeHandler(b"app", pages)
page = QWebEnginePage(profile)
loaded = []
page.loadFinished.connect(lambda ok: (loaded.append(ok), QTimer.singleShot(0, app.quit)))
page.load(QUrl("app://kiosk/index.html"))
QTimer.singleShot(20_000, app.quit)
app.exec()
print("loaded", loaded, flush=True)
del page
del profile
"""


def test_a_window_filter_and_a_web_page_get_along() -> None:
    """The control: the same page with the filter where the kiosk puts it (not on the application)."""
    child = run_child(PAGE_WITH_A_FILTER, "window")
    assert child.returncode == 0 and "loaded [True]" in child.stdout, child.describe()


@still_needed("app-event-filter-crash")
def test_an_application_event_filter_survives_a_web_page() -> None:
    child = run_child(PAGE_WITH_A_FILTER, "application")
    bug_if(child.segfaulted, "a Python application event filter crashed PySide6 when QtWebEngine loaded a page")
    assert child.returncode == 0 and "loaded [True]" in child.stdout, child.describe()
