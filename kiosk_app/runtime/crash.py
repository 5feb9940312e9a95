"""Crashes of every kind leave a trace an operator can find.

- Native crashes (a segfault in Qt, an abort, a fatal Python error) kill the process before
  any Python code could log them. ``faulthandler`` writes the Python stacks of every thread
  to ``logs/native-crash.log``, a file kept open for the life of the process, so the write
  needs no allocation at the moment of the crash. A clean run leaves it empty.
- At the next start a non-empty crash file is logged in full, kept for the operator as
  ``logs/native-crash.previous.log`` and reported on the operator's status page.
- ``kill -USR1 <pid>`` writes the stacks of a live (perhaps hung) kiosk to
  ``logs/thread-dump.log`` without stopping it.
- Uncaught Python exceptions are logged, and the visitor sees the friendly error page
  instead of a kiosk that stopped answering (``sys.excepthook``, ``threading.excepthook``).

No Qt here: crash handling starts before anything else, and stays cheap.
"""

from __future__ import annotations

import datetime as dt
import faulthandler
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol

log = logging.getLogger("kiosk.crash")

CRASH_FILE = "native-crash.log"
PREVIOUS_CRASH_FILE = "native-crash.previous.log"
DUMP_FILE = "thread-dump.log"
MAX_LOGGED_CHARS = 20_000  # a crash of many threads is long; the whole text stays in the file


@dataclass(frozen=True)
class NativeCrash:
    """The last run's native crash, as found at this start."""

    at: dt.datetime  # when the crash was written (the file's modification time), in UTC
    path: Path  # where the operator finds the details now
    text: str


def take_previous_crash(logs: Path) -> NativeCrash | None:
    """Keep and log what the last run's faulthandler wrote, if anything; the crash file is then free.

    The report is moved to ``native-crash.previous.log`` (an older one there is replaced; the
    log file keeps every one), so this run's crash file starts empty.
    """
    current = logs / CRASH_FILE
    try:
        stat = current.stat()
    except FileNotFoundError:
        return None
    if stat.st_size == 0:
        return None
    text = current.read_text(encoding="utf-8", errors="replace")
    kept = logs / PREVIOUS_CRASH_FILE
    os.replace(current, kept)
    at = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)
    shown = text if len(text) <= MAX_LOGGED_CHARS else text[:MAX_LOGGED_CHARS] + "\n[…]"
    log.error("the kiosk crashed natively at %s (kept in %s):\n%s", at.isoformat(timespec="seconds"), kept, shown)
    return NativeCrash(at, kept, text)


class CrashLog:
    """faulthandler into ``logs/``, for the life of the process (``close`` is for tests)."""

    def __init__(self, logs: Path, *, dump_signal: int | None = getattr(signal, "SIGUSR1", None)) -> None:
        self.logs = logs
        self.previous: NativeCrash | None = None
        self.file: IO[str] | None = None
        self.dump_file: IO[str] | None = None
        self.dump_signal = dump_signal

    def start(self) -> CrashLog:
        """Report the last run's crash, then arm faulthandler for this one.

        A data directory that cannot be written must not stop the kiosk: faulthandler then
        writes to stderr (the journal, under systemd).
        """
        try:
            self.logs.mkdir(parents=True, exist_ok=True)
            self.previous = take_previous_crash(self.logs)
            self.file = open(self.logs / CRASH_FILE, "w", encoding="utf-8")  # noqa: SIM115 - open for good
        except OSError as exc:
            log.warning("no native crash log in %s (%s); crashes go to stderr", self.logs, exc)
            faulthandler.enable(all_threads=True)
            return self
        faulthandler.enable(self.file, all_threads=True)
        if self.dump_signal is not None:
            try:
                self.dump_file = open(self.logs / DUMP_FILE, "w", encoding="utf-8")  # noqa: SIM115
                faulthandler.register(self.dump_signal, self.dump_file, all_threads=True)
            except OSError as exc:
                log.warning("no thread dump on signal %s: %s", self.dump_signal, exc)
        return self

    def close(self) -> None:
        """Disarm (tests only: a running kiosk keeps its crash log until the process ends)."""
        if self.dump_file is not None and self.dump_signal is not None:
            faulthandler.unregister(self.dump_signal)
        faulthandler.disable()
        for file in (self.file, self.dump_file):
            if file is not None:
                file.close()
        self.file = self.dump_file = None


class ErrorPage(Protocol):
    """What the exception hook needs from the navigator to show the error page."""

    error_name: str

    @property
    def current_name(self) -> str | None: ...

    def go(self, name: str, *, remember: bool = ...) -> None: ...


class ExceptionHooks:
    """Log every uncaught exception; once the kiosk is up, show the friendly error page too."""

    def __init__(self) -> None:
        self.nav: ErrorPage | None = None

    def install(self) -> ExceptionHooks:
        sys.excepthook = self.on_error
        threading.excepthook = self.on_thread_error
        return self

    def show_errors_on(self, nav: ErrorPage) -> None:
        self.nav = nav

    def on_error(self, kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, value, tb))
        nav = self.nav
        if nav is not None and nav.current_name != nav.error_name:
            try:
                nav.go(nav.error_name, remember=False)
            except Exception:
                log.exception("could not show the error page")

    def on_thread_error(self, args: threading.ExceptHookArgs) -> None:
        log.error("error in a thread", exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
