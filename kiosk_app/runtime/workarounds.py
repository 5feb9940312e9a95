"""Every PySide6/Qt workaround in the kiosk, in one catalogue.

Each entry says which versions are affected, what goes wrong, why, where our code works
around it, and which test reproduces it. A reproducer asserts what a sound PySide6/Qt would
do and is marked ``xfail(strict=True)`` while the bug is there: when an upgrade fixes it the
test passes, strict turns that into a failure, and the message says this workaround can go
(remove it, its reproducer and its entry together). Where a bug cannot be reproduced here
the entry says so and names the check that stands in for it.

Plain data, no Qt: ``python -m kiosk_app.runtime.workarounds`` prints the catalogue as
Markdown, as it appears in docs/runtime.md (a test keeps the two equal, and checks that every
entry's test exists and every site mentions its entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

PINNED_PYSIDE = "6.11.3"


class Proof(Enum):
    """How the named test shows the need for the workaround."""

    REPRODUCED = "reproduced"  # the test shows the upstream misbehaviour itself (strict xfail)
    CONDITION = "condition"  # the misbehaviour is not cheap to show; the test checks its precondition
    GUARD = "guard"  # the installed version is sound; the test fails if a broken one comes in


@dataclass(frozen=True)
class Site:
    """Where the workaround is applied: a repository file and the name to look for in it."""

    path: str
    name: str


@dataclass(frozen=True)
class Workaround:
    key: str  # also written at each site, so a reader there finds this entry
    title: str
    affects: str  # PySide6/Qt (and Python) versions known affected
    symptom: str
    cause: str
    remedy: str  # what our code does about it
    sites: tuple[Site, ...]
    test: str  # pytest node id of the reproducer
    proof: Proof
    notes: str = ""


CATALOGUE: tuple[Workaround, ...] = (
    Workaround(
        key="app-event-filter-crash",
        title="No Python event filter on the whole application",
        affects=f"PySide6 {PINNED_PYSIDE} (seen since 6.11)",
        symptom="Segmentation fault as soon as QtWebEngine loads a page (the map).",
        cause="For an object created in C++ with no Python wrapper yet (QtWebEngine's request jobs), "
        "an application-wide Python filter needs one; getWrapperForQObject sets a property to store it, "
        "which sends an event through the same filter, which needs a wrapper again: endless recursion, "
        "stack overflow.",
        remedy="The idle watcher, lockdown and hidden-corner filters sit on the kiosk's window (its QWindow "
        "and the shell widget), where every real touch and key arrives first. The no-content window's "
        "application filter is removed before the kiosk (and so the web engine) starts.",
        sites=(Site("kiosk_app/app.py", "install_filters"), Site("kiosk_app/main.py", "removeEventFilter")),
        test="tests/kiosk/workarounds/test_app_event_filter.py::test_an_application_event_filter_survives_a_web_page",
        proof=Proof.REPRODUCED,
        notes="Reproduced in a child process: a bare application filter and one page load segfault every time "
        "(gdb shows getWrapperForQObject → QObject::setProperty → the application filter, repeated).",
    ),
    Workaround(
        key="pyside-none-dealloc",
        title=f"PySide6 pinned to {PINNED_PYSIDE}",
        affects="PySide6 6.12.0 on CPython 3.11 (where None is mortal)",
        symptom='"Fatal Python error: none_dealloc" after some 5,000 calls of Qt methods that return nothing; '
        "a kiosk resizes and repaints far more often than that.",
        cause="Each void call gives back one reference to None it never took; when None's count reaches zero, "
        "CPython aborts. From 3.12 None is immortal and the same bug is silent.",
        remedy=f"pyproject.toml pins PySide6=={PINNED_PYSIDE}.",
        sites=(Site("pyproject.toml", f"PySide6=={PINNED_PYSIDE}"),),
        test="tests/kiosk/workarounds/test_pyside_refcount.py::test_qt_calls_keep_reference_counts_balanced",
        proof=Proof.GUARD,
        notes="Not reproduced: 6.12.0 is not installed here. The guard counts references around 10,000 calls "
        "each (arguments and return values, mortal on every Python; None too where it is mortal) and would "
        "fail on the broken release; test_installed_pyside_is_the_pinned_version checks that the pin is what "
        "runs. Lift the pin when a newer release passes the guard on CPython 3.11.",
    ),
    Workaround(
        key="qtmultimedia-gil-deadlock",
        title="QtMultimedia driven through queued calls",
        affects=f"PySide6 {PINNED_PYSIDE}, Qt Multimedia's FFmpeg backend",
        symptom="The kiosk freezes for good when narration stops or changes (seen in the full test suite, "
        "about one stop in a few hundred).",
        cause="PySide6 releases Python's lock only around QMediaPlayer.setSource; stop(), play(), pause() and "
        "setPosition() keep holding it while Qt waits for the FFmpeg threads, and a thread that needs the "
        "lock meanwhile (to tear down an object a Python wrapper watches, say, or to hand a message to a "
        "Python Qt message handler) waits forever.",
        remedy="NarrationPlayer never calls a QMediaPlayer or QAudioOutput slot directly: _queued() invokes it "
        "from the event loop (QMetaObject.invokeMethod, queued), in C++, without Python's lock.",
        sites=(Site("kiosk_app/narration.py", "_queued"),),
        test="tests/kiosk/workarounds/test_qtmultimedia_gil.py::test_qmediaplayer_releases_the_gil_in_its_blocking_slots",
        proof=Proof.CONDITION,
        notes="Not reproduced in isolation: 1,000 direct stop/setSource/play cycles with a Python message "
        "handler and a busy Python thread ran clean (30 s). The test reads PySide6's own type system "
        "(typesystem_multimedia.xml) for the methods that release the lock; it passes once stop(), play(), "
        "pause() and setPosition() do.",
    ),
    Workaround(
        key="qscroller-press-replay",
        title="Buttons act on release (TapButton)",
        affects=f"Qt {PINNED_PYSIDE} (QScroller's flick gesture)",
        symptom="A plain QPushButton on a kinetic-scrolling page ignores a tap: it never sees the press.",
        cause="QScroller holds the press back (it may become a scroll) and replays it to "
        "QApplication.widgetAt(global position). Where that finds no widget the press is lost; the release "
        "still arrives, unpaired.",
        remedy="Every kiosk button is a TapButton, which acts on a release inside itself (button()).",
        sites=(Site("kiosk_app/widgets/common.py", "class TapButton"),),
        test="tests/kiosk/workarounds/test_qscroller_press.py::test_a_plain_button_on_a_kinetic_page_takes_a_tap",
        proof=Proof.REPRODUCED,
        notes="Reproduced offscreen, where the 1920x1080 kiosk window is larger than the 800x800 offscreen "
        "screen and widgetAt() finds nothing below it. On a kiosk whose window fills its screen the press "
        "is normally replayed; TapButton stays because it costs nothing and taps through the window in "
        "tests depend on it.",
    ),
    Workaround(
        key="gc-worker-thread",
        title="Cycles collected on the GUI thread only",
        affects="PySide6 (all versions seen) with CPython's cycle collector",
        symptom='"QObject::killTimer: Timers cannot be stopped from another thread", or a crash, at random.',
        cause="The collector runs in whichever thread allocates when a threshold is crossed. In a worker it "
        "destroys GUI objects caught in reference cycles, in the wrong thread; PySide6 does not hand "
        "their destruction back to the thread they belong to.",
        remedy="MainThreadGC switches the automatic collector off and runs the same generational collection "
        "from a GUI-thread timer; the kiosk and the test session both use it.",
        sites=(
            Site("kiosk_app/runtime/memory.py", "class MainThreadGC"),
            Site("kiosk_app/main.py", "MainThreadGC"),
            Site("tests/kiosk/conftest.py", "MainThreadGC"),
        ),
        test="tests/kiosk/workarounds/test_gc_worker_thread.py::test_a_worker_thread_collection_leaves_gui_objects_alone",
        proof=Proof.REPRODUCED,
        notes="Reproduced in a child process: five QObjects with running timers in reference cycles, and a "
        "worker thread that allocates; its automatic collection destroys them with the warning above.",
    ),
    Workaround(
        key="gesture-enum-per-grab",
        title="One flick recogniser for the whole process",
        affects=f"PySide6 {PINNED_PYSIDE}",
        symptom="Memory grows by one Python enum class per page shown, for as long as the kiosk runs.",
        cause="Each QScroller.grabGesture registers a new gesture recogniser with a new Qt.GestureType value, "
        "and PySide6 makes and keeps a new enum class for every value it has not seen.",
        remedy="KineticOnShow registers the recogniser once, on an anchor widget, and each viewport grabs that "
        "same gesture type when first shown (the narration transcript too).",
        sites=(
            Site("kiosk_app/widgets/common.py", "class KineticOnShow"),
            Site("kiosk_app/widgets/narration.py", "KineticOnShow"),
        ),
        test="tests/kiosk/workarounds/test_gesture_enums.py::test_grabbing_the_flick_gesture_adds_no_python_types",
        proof=Proof.REPRODUCED,
        notes="Reproduced in a child process: twenty grabGesture calls add twenty type objects.",
    ),
    Workaround(
        key="webengine-start-order",
        title="The kiosk:// scheme is registered before the QApplication",
        affects=f"Qt WebEngine {PINNED_PYSIDE} (documented rule)",
        symptom='"QWebEngineUrlScheme::registerScheme: Too late to register scheme kiosk", and the map page '
        "loads with an unregistered scheme (no secure context, no CORS).",
        cause="Qt WebEngine locks its scheme registry when the engine starts; Qt documents registration "
        "before the QApplication exists, together with AA_ShareOpenGLContexts.",
        remedy="prepare_web_engine() runs first in run_kiosk (and in the test session's conftest), before any "
        "QApplication: scheme, Chromium flags, AA_ShareOpenGLContexts.",
        sites=(
            Site("kiosk_app/web/engine.py", "def prepare_web_engine"),
            Site("kiosk_app/main.py", "prepare_web_engine"),
            Site("tests/kiosk/conftest.py", "prepare_web_engine"),
        ),
        test="tests/kiosk/workarounds/test_webengine.py::test_a_scheme_registered_late_still_works",
        proof=Proof.REPRODUCED,
        notes="The reproducer registers the scheme after the engine has started (its first profile) and sees "
        "Qt refuse it. Registering after the QApplication but before the first profile is accepted in "
        f"{PINNED_PYSIDE}; we keep the documented order. No warning about AA_ShareOpenGLContexts shows "
        "offscreen, so that half is not reproduced.",
    ),
    Workaround(
        key="scroll-area-viewport-enums",
        title="Scroll areas get a viewport made in Python",
        affects=f"PySide6 {PINNED_PYSIDE}",
        symptom="About 10 ms more on the way to the first painted screen.",
        cause="The first QAbstractScrollArea.viewport() call of a process wraps an object made in C++; PySide6 "
        "then builds some 150 enum classes at once.",
        remedy="own_viewport() sets a plain QWidget made in Python as the viewport, the same widget Qt would make.",
        sites=(Site("kiosk_app/widgets/common.py", "def own_viewport"),),
        test="tests/kiosk/workarounds/test_scroll_area_viewport.py::test_the_first_viewport_call_is_cheap",
        proof=Proof.REPRODUCED,
        notes="Reproduced in a child process by counting the type objects the first viewport() call adds.",
    ),
    Workaround(
        key="interceptor-ownership",
        title="The profile keeps a Python reference to its request interceptor",
        affects=f"PySide6 {PINNED_PYSIDE}",
        symptom="The request guard silently stops guarding: requests to anywhere go through.",
        cause="QWebEngineProfile.setUrlRequestInterceptor does not take ownership, and PySide6 lets the Python "
        "wrapper go even when the interceptor has the profile as parent; the C++ object lives on without "
        "its Python override.",
        remedy="make_profile() stores the guard on the profile (profile.kiosk_guard).",
        sites=(Site("kiosk_app/web/guard.py", "kiosk_guard"),),
        test="tests/kiosk/workarounds/test_webengine.py::test_an_interceptor_without_a_python_reference_still_intercepts",
        proof=Proof.REPRODUCED,
        notes="Reproduced in a child process: without the reference the interceptor sees no request of a page load.",
    ),
    Workaround(
        key="webengine-page-before-profile",
        title="The web page is deleted before its profile, synchronously",
        affects=f"Qt WebEngine {PINNED_PYSIDE} (documented rule)",
        symptom='"Release of profile requested but WebEnginePage still not deleted. Expect troubles !"',
        cause="An off-the-record profile's browser context must outlive every page that uses it; Python's "
        "order of deletion (or deleteLater) does not guarantee it.",
        remedy="MapSurface._destroy deletes the view (and its page) and then the profile with shiboken6.delete; "
        "the kiosk closes the map before the QApplication goes.",
        sites=(Site("kiosk_app/web/surface.py", "def _destroy"), Site("kiosk_app/main.py", "map.close")),
        test="tests/kiosk/workarounds/test_webengine.py::test_a_profile_may_go_before_its_page",
        proof=Proof.REPRODUCED,
    ),
    Workaround(
        key="signal-connection-cycle",
        title="Background task relays are deleted by hand",
        affects=f"PySide6 {PINNED_PYSIDE}",
        symptom="One object (and the closures it holds) leaked per background task.",
        cause="A signal connected to a closure that refers to the signal's own QObject is a cycle through Qt, "
        "which Python's collector cannot see: neither is ever freed.",
        remedy="BackgroundTasks._release drops its reference and calls deleteLater() on the relay once its "
        "answer is in, which breaks the connections.",
        sites=(Site("kiosk_app/background.py", "def _release"),),
        test="tests/kiosk/workarounds/test_signal_connection_cycle.py::test_a_connection_cycle_is_collected",
        proof=Proof.REPRODUCED,
    ),
    Workaround(
        key="signal-in-qt-loop",
        title="SIGTERM/SIGINT reach Python through a wakeup socket",
        affects="PySide6 (all versions seen) with CPython's signal handling",
        symptom="systemd's SIGTERM (or Ctrl+C) does nothing until the next touch, then SIGKILL ends the kiosk "
        "uncleanly.",
        cause="CPython runs a Python signal handler only between two bytecodes of the main thread; an idle "
        "kiosk sits in Qt's event loop in C++ and runs none.",
        remedy="SignalWatcher: signal.set_wakeup_fd on a socket pair, a QSocketNotifier on the other end, and "
        "the leaving done from the event loop (qutebrowser's approach; no polling timer).",
        sites=(Site("kiosk_app/runtime/signals.py", "class SignalWatcher"), Site("kiosk_app/main.py", "SignalWatcher")),
        test="tests/kiosk/workarounds/test_signal_in_qt_loop.py::test_a_python_signal_handler_runs_while_qt_waits",
        proof=Proof.REPRODUCED,
        notes="Reproduced in a child process: a plain Python handler does not run within 2 s of SIGTERM to an "
        "idle loop (tests/kiosk/runtime/test_signals.py shows the watcher doing it at once).",
    ),
    Workaround(
        key="threading-local-in-qt-threads",
        title="No threading.local state in Qt worker threads",
        affects=f"PySide6 {PINNED_PYSIDE}",
        symptom="One SQLite connection leaked per background task that read map tiles.",
        cause="Qt's pool threads are not Python's: PySide6 creates a Python thread state for each task and "
        "drops it afterwards, and threading.local values go with it.",
        remedy="MBTiles lends pooled connections (taken and given back per query) instead of keeping one per thread.",
        sites=(Site("content_sync/maps/mbtiles.py", "def _using"),),
        test="tests/kiosk/workarounds/test_qt_thread_locals.py::test_thread_local_values_survive_between_tasks",
        proof=Proof.REPRODUCED,
    ),
)

WORKAROUNDS: dict[str, Workaround] = {w.key: w for w in CATALOGUE}


def markdown() -> str:
    """The catalogue as it reads in docs/runtime.md."""
    lines: list[str] = []
    for w in CATALOGUE:
        sites = ", ".join(f"`{s.path}` (`{s.name}`)" for s in w.sites)
        lines += [
            f"### `{w.key}`: {w.title}",
            "",
            f"- **Affects:** {w.affects}",
            f"- **Symptom:** {w.symptom}",
            f"- **Why:** {w.cause}",
            f"- **What we do:** {w.remedy}",
            f"- **Where:** {sites}",
            f"- **Test ({w.proof.value}):** `{w.test}`",
        ]
        if w.notes:
            lines.append(f"- **Notes:** {w.notes}")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
