"""Native crashes are written by faulthandler, reported at the next start and shown to the operator."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from kiosk_app.runtime.crash import (
    CRASH_FILE,
    DUMP_FILE,
    PREVIOUS_CRASH_FILE,
    ExceptionHooks,
    NativeCrash,
    take_previous_crash,
)
from tests.kiosk.child import run_child

CRASH_AT = dt.datetime(2026, 11, 21, 2, 5, tzinfo=dt.UTC)  # 10:05 in Lanzhou

CRASHING_RUN = """
import faulthandler, sys
from pathlib import Path
from kiosk_app.runtime.crash import CrashLog
crash = CrashLog(Path(sys.argv[1])).start()
print("previous:", crash.previous.at.isoformat() if crash.previous else None, flush=True)
if sys.argv[2] == "crash":
    faulthandler._sigsegv()  # what a bug in Qt would do
"""


def test_a_native_crash_is_written_and_reported_at_the_next_start(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    first = run_child(CRASHING_RUN, str(logs), "crash")
    assert first.segfaulted, first.describe()
    report = (logs / CRASH_FILE).read_text()
    assert "Segmentation fault" in report and "in <module>" in report  # the Python stack at the crash
    os.utime(logs / CRASH_FILE, (CRASH_AT.timestamp(), CRASH_AT.timestamp()))
    second = run_child(CRASHING_RUN, str(logs), "clean")
    assert second.returncode == 0, second.describe()
    assert "previous: 2026-11-21T02:05:00+00:00" in second.stdout
    assert "the kiosk crashed natively at 2026-11-21T02:05:00+00:00" in second.stderr  # logged in full
    assert "Segmentation fault" in second.stderr
    assert (logs / PREVIOUS_CRASH_FILE).read_text() == report  # kept for the operator
    assert (logs / CRASH_FILE).read_text() == ""  # a clean run leaves it empty
    third = run_child(CRASHING_RUN, str(logs), "clean")
    assert "previous: None" in third.stdout, third.describe()
    assert (logs / PREVIOUS_CRASH_FILE).read_text() == report  # still there until the next crash


def test_take_previous_crash_logs_and_keeps_the_report(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert take_previous_crash(tmp_path) is None  # first start: no file at all
    (tmp_path / CRASH_FILE).write_text("")
    assert take_previous_crash(tmp_path) is None  # the last run ended cleanly
    assert (tmp_path / CRASH_FILE).exists() and not (tmp_path / PREVIOUS_CRASH_FILE).exists()
    (tmp_path / CRASH_FILE).write_text("Fatal Python error: Aborted\n\nThread 0x1 (most recent call first):\n")
    os.utime(tmp_path / CRASH_FILE, (CRASH_AT.timestamp(), CRASH_AT.timestamp()))
    with caplog.at_level(logging.ERROR, logger="kiosk.crash"):
        crash = take_previous_crash(tmp_path)
    assert crash is not None and crash.at == CRASH_AT and "Aborted" in crash.text
    assert crash.path == tmp_path / PREVIOUS_CRASH_FILE and not (tmp_path / CRASH_FILE).exists()
    assert "Fatal Python error: Aborted" in caplog.text and "2026-11-21T02:05:00+00:00" in caplog.text


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals")
def test_sigusr1_dumps_every_threads_stack_without_stopping(tmp_path: Path) -> None:
    child = run_child(
        """
        import os, signal, sys, threading
        from pathlib import Path
        from kiosk_app.runtime.crash import CrashLog
        CrashLog(Path(sys.argv[1])).start()
        waiting = threading.Event()
        def worker_waits():
            waiting.wait()
        worker = threading.Thread(target=worker_waits)
        worker.start()
        os.kill(os.getpid(), signal.SIGUSR1)
        waiting.set()
        worker.join()
        print("still running")
        """,
        str(tmp_path),
    )
    assert child.returncode == 0 and "still running" in child.stdout, child.describe()
    dump = (tmp_path / DUMP_FILE).read_text()
    assert "worker_waits" in dump and "Current thread" in dump
    assert (tmp_path / CRASH_FILE).read_text() == ""  # a dump is not a crash


class FakeNav:
    error_name = "error"

    def __init__(self, current: str = "home", fails: bool = False) -> None:
        self.current_name: str | None = current
        self.fails = fails
        self.went: list[tuple[str, bool]] = []

    def go(self, name: str, *, remember: bool = True) -> None:
        if self.fails:
            raise RuntimeError("the navigator is broken too")
        self.went.append((name, remember))
        self.current_name = name


def test_uncaught_errors_are_logged_and_show_the_error_page(caplog: pytest.LogCaptureFixture) -> None:
    hooks = ExceptionHooks()
    try:
        raise ValueError("a bug in a slot")
    except ValueError as exc:
        error = exc
    hooks.on_error(ValueError, error, error.__traceback__)  # before the kiosk is up: logged only
    assert "a bug in a slot" in caplog.text
    nav = FakeNav()
    hooks.show_errors_on(nav)
    hooks.on_error(ValueError, error, error.__traceback__)
    hooks.on_error(ValueError, error, error.__traceback__)  # already on the error page
    assert nav.went == [("error", False)]
    caplog.clear()
    hooks.show_errors_on(FakeNav(fails=True))
    hooks.on_error(ValueError, error, error.__traceback__)
    assert "could not show the error page" in caplog.text


def test_the_hooks_replace_pythons_and_log_thread_errors(caplog: pytest.LogCaptureFixture) -> None:
    saved = sys.excepthook, threading.excepthook
    try:
        hooks = ExceptionHooks().install()
        assert sys.excepthook == hooks.on_error and threading.excepthook == hooks.on_thread_error
        worker = threading.Thread(target=lambda: 1 / 0, name="worker")
        worker.start()
        worker.join()
    finally:
        sys.excepthook, threading.excepthook = saved
    assert "error in a thread" in caplog.text and "ZeroDivisionError" in caplog.text


def test_the_operator_page_says_when_the_kiosk_crashed(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    def status_page() -> list[QLabel]:
        screen = kiosk.nav.screen("operator")
        kiosk.ctx.session.staff_access = True  # as a correct PIN does
        kiosk.nav.go("operator", remember=False)
        return [w for w in screen.findChildren(QLabel, "operator-native-crash") if w.isVisibleTo(screen)]

    kiosk.ctx.session.set_language("en")
    assert status_page() == []  # no crash, no notice
    kiosk.nav.go("home")
    kiosk.ctx.native_crash = NativeCrash(CRASH_AT, Path("/var/lib/kiosk/logs") / PREVIOUS_CRASH_FILE, "…")
    notices = status_page()
    assert [n.text() for n in notices] == [
        "The kiosk crashed natively at 2026-11-21 10:05 and was restarted; details in logs/native-crash.previous.log."
    ]
    assert notices[0].property("role") == "closed"
