"""Qt WebEngine's rules of order and ownership: webengine-start-order, interceptor-ownership,
webengine-page-before-profile. Each runs in a child process with a web engine of its own."""

from __future__ import annotations

from tests.kiosk.child import run_child

from .support import bug_if, still_needed

LATE_SCHEME = """
import sys
from PySide6.QtWidgets import QApplication
from PySide6.QtWebEngineCore import QWebEngineProfile, QWebEngineUrlScheme

def register():
    scheme = QWebEngineUrlScheme(b"kiosk")
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(QWebEngineUrlScheme.Flag.SecureScheme)
    QWebEngineUrlScheme.registerScheme(scheme)

if sys.argv[1] == "first":  # as kiosk_app.web.engine.prepare_web_engine does
    register()
app = QApplication([])
profile = QWebEngineProfile()  # the engine starts here
if sys.argv[1] == "late":
    register()
print("done", flush=True)
del profile
"""
TOO_LATE = "Too late to register scheme"


def test_a_scheme_registered_first_is_taken() -> None:
    child = run_child(LATE_SCHEME, "first")
    assert child.returncode == 0 and "done" in child.stdout and TOO_LATE not in child.stderr, child.describe()


@still_needed("webengine-start-order")
def test_a_scheme_registered_late_still_works() -> None:
    child = run_child(LATE_SCHEME, "late")
    bug_if(TOO_LATE in child.stderr, "Qt WebEngine refused a scheme registered after it started")
    assert child.returncode == 0 and "done" in child.stdout, child.describe()


INTERCEPTED = """
import gc, sys
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWidgets import QApplication
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineUrlRequestInterceptor

app = QApplication([])
seen = []

class Guard(QWebEngineUrlRequestInterceptor):
    def interceptRequest(self, info):
        seen.append(info.requestUrl().toString())
        if info.requestUrl().scheme() != "data":
            info.block(True)  # nothing leaves the machine either way

profile = QWebEngineProfile()
guard = Guard(profile)  # the profile is its parent, as in kiosk_app.web.guard.make_profile
profile.setUrlRequestInterceptor(guard)
if sys.argv[1] == "kept":
    profile.kiosk_guard = guard
del guard
gc.collect()
page = QWebEnginePage(profile)
page.loadFinished.connect(lambda ok: QTimer.singleShot(0, app.quit))
page.setHtml('<img src="http://127.0.0.1:9/x.png">', QUrl("http://127.0.0.1:9/"))
QTimer.singleShot(20_000, app.quit)
app.exec()
print("seen", len(seen), flush=True)
del page
del profile
"""


def requests_seen(stdout: str) -> int:
    return int(stdout.rsplit("seen ", 1)[1].split()[0])


def test_an_interceptor_kept_by_its_profile_intercepts() -> None:
    """The control: with the reference make_profile keeps, every request is seen."""
    child = run_child(INTERCEPTED, "kept")
    assert child.returncode == 0, child.describe()
    assert requests_seen(child.stdout) >= 2  # the page and its image


@still_needed("interceptor-ownership")
def test_an_interceptor_without_a_python_reference_still_intercepts() -> None:
    child = run_child(INTERCEPTED, "dropped")
    assert child.returncode == 0, child.describe()
    seen = requests_seen(child.stdout)
    bug_if(seen == 0, "the interceptor's Python override stopped once its wrapper was collected")
    assert seen >= 2


PROFILE_FIRST = """
import sys
import shiboken6
from PySide6.QtWidgets import QApplication
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile

app = QApplication([])
profile = QWebEngineProfile()
page = QWebEnginePage(profile)
first, second = (profile, page) if sys.argv[1] == "profile-first" else (page, profile)
shiboken6.delete(first)
shiboken6.delete(second)
print("done", flush=True)
"""
TROUBLE = "Release of profile requested but WebEnginePage still not deleted"


def test_a_page_deleted_before_its_profile_is_quiet() -> None:
    """The control: MapSurface._destroy's order."""
    child = run_child(PROFILE_FIRST, "page-first")
    assert child.returncode == 0 and "done" in child.stdout and TROUBLE not in child.stderr, child.describe()


@still_needed("webengine-page-before-profile")
def test_a_profile_may_go_before_its_page() -> None:
    child = run_child(PROFILE_FIRST, "profile-first")
    bug_if(TROUBLE in child.stderr, "Qt WebEngine warns when a profile goes before its page")
    assert child.returncode == 0 and "done" in child.stdout, child.describe()
