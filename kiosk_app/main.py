"""``kiosk``: start the full-screen kiosk on its local data directory.

Start-up order matters for a kiosk nobody watches: logging and crash handling first,
then the configuration (never fatal), then content (the bundled pack if nothing is
installed), then the window. The app itself never touches the network.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from content_sync.core.errors import KioskError
from content_sync.device.damage import DEVICE_WHAT, REPAIR_ADVICE, content_schema_problem, store_damage
from content_sync.device.fallback import return_to_last_good
from content_sync.device.layout import DataDir
from content_sync.device.provision import ensure_content

from .config import KioskConfig, describe, hash_pin, load_config
from .runtime.crash import CrashLog, ExceptionHooks
from .runtime.logs import setup_logging

log = logging.getLogger("kiosk")
RECHECK_SECONDS = 5.0  # while content cannot be shown, how often it is looked at again


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kiosk", description="Run the culture and tourism kiosk.")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("KIOSK_DATA_DIR", "var/kiosk")),
                        help="The kiosk's data directory (default: $KIOSK_DATA_DIR or ./var/kiosk).")  # fmt: skip
    parser.add_argument("--config", type=Path, default=None,
                        help="Configuration file (default: DATA_DIR/kiosk.toml).")  # fmt: skip
    bundled = os.environ.get("KIOSK_BUNDLED_PACK")
    parser.add_argument("--bundled-pack", type=Path, default=Path(bundled) if bundled else None,
                        help="Pack to install when nothing (or something older) is installed "
                             "(default: $KIOSK_BUNDLED_PACK).")  # fmt: skip
    parser.add_argument("--windowed", metavar="WxH", default=None,
                        help="Run in a window of this size instead of full screen (for development).")  # fmt: skip
    parser.add_argument(
        "--screenshots",
        type=Path,
        metavar="OUT",
        default=None,
        help="Render every screen in every layout and language to PNG files in OUT, then exit.",
    )
    recheck = float(os.environ.get("KIOSK_RECHECK_SECONDS") or RECHECK_SECONDS)
    parser.add_argument("--recheck-seconds", type=float, default=recheck,
                        help="While content cannot be shown, look again this often, in seconds "
                             "(default: $KIOSK_RECHECK_SECONDS or 5).")  # fmt: skip
    parser.add_argument("--hash-pin", action="store_true", help="Ask for an operator PIN and print its hash.")
    parser.add_argument("--describe-config", action="store_true", help="Print every setting with its default.")
    return parser.parse_args(argv)


def no_display(environ: dict[str, str] | os._Environ[str], system: str = sys.platform) -> bool:
    """Qt would look for an X11 or Wayland display that is not there, and abort the process.

    Only on Linux with no platform chosen: a kiosk started on the framebuffer sets
    ``QT_QPA_PLATFORM`` (``eglfs``, ``linuxfb``) and needs no display server.
    """
    if not system.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return False
    return not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


NO_DISPLAY = (
    "kiosk: there is no display to show the kiosk on (DISPLAY and WAYLAND_DISPLAY are unset). Start it in the"
    " screen's desktop session, or on the framebuffer with QT_QPA_PLATFORM=eglfs; on a machine without a screen,"
    " QT_QPA_PLATFORM=offscreen runs it unseen, and --screenshots OUT renders every screen to PNG files."
)


def main(argv: list[str] | None = None, *, clock: Callable[[], dt.datetime] | None = None) -> int:
    """``clock``: what provisioning judges the bundled pack's expiry by (the real clock unless a test
    runs the kiosk at a fixed moment, so that no result depends on the year)."""
    args = parse_args(argv)
    if args.describe_config:
        print(describe(), end="")
        return 0
    if args.hash_pin:
        pin = getpass.getpass("Operator PIN (4-12 digits): ")
        if not (pin.isdigit() and 4 <= len(pin) <= 12):
            print("kiosk: a PIN is 4 to 12 digits", file=sys.stderr)
            return 2
        print(f'[operator]\npin_hash = "{hash_pin(pin)}"')
        return 0
    if no_display(os.environ):
        if not args.screenshots:
            print(NO_DISPLAY, file=sys.stderr)  # instead of Qt's abort and a core dump
            return 2
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # screenshots need no screen
    data = DataDir(args.data_dir)
    try:
        data.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a read-only disk: show what is there, say so to the operator
        print(f"kiosk: cannot create {data.root}: {exc.strerror or exc}", file=sys.stderr)
    logs = data.root / "logs"
    setup_logging(logs)
    crash_log = CrashLog(logs).start()  # native crashes of this run; the last run's is logged and kept
    hooks = ExceptionHooks().install()
    from .runtime.qt_messages import install_qt_message_handler, uninstall_qt_message_handler  # QtCore

    previous = install_qt_message_handler()
    try:
        config = load_config(args.config or data.root / "kiosk.toml")
        for problem in config.problems:
            log.warning("configuration: %s", problem)
        report = ensure_content(data, args.bundled_pack, clock=clock)
        log.info("content: %s", report.message)
        for problem in report.problems:
            log.error("store: %s", problem)
        if report.installed_version is None:
            log.error("no content installed; the kiosk shows a 'please ask staff' page")
        if args.screenshots:
            if report.action == "damaged":
                print(f"kiosk: no screenshots: {'; '.join(report.problems) or report.message}", file=sys.stderr)
                return 1
            from .screenshots import render_all

            count = render_all(data, args.screenshots, config)
            print(f"kiosk: wrote {count} screenshots to {args.screenshots}")
            return 0
        # Provisioning read every page of the content database: what it found is not looked for again.
        damage = f"{report.content_damage}; {REPAIR_ADVICE}" if report.content_damage else None
        return run_kiosk(data, config, args.windowed, crash_log, hooks, recheck_ms=int(args.recheck_seconds * 1000),
                         damage=damage)  # fmt: skip
    finally:
        uninstall_qt_message_handler(previous)  # what Qt says while Python shuts down goes to stderr


def content_problem(data: DataDir, *, thorough: bool = True) -> str | None:
    """Why the installed content cannot be shown, in plain words (None: it can, or nothing is installed).

    ``thorough`` reads every page (about 1.5 ms per MB from the page cache): provisioning does it
    once before the window, and the "please ask staff" window's looks do it on a background thread.
    """
    for damage in store_damage(data, thorough=thorough):
        if damage.what != DEVICE_WHAT:
            return f"{damage}; {REPAIR_ADVICE}"
    problem = content_schema_problem(data)  # whole, but made for other software: the next pack replaces it
    return f"{problem}; {REPAIR_ADVICE}" if problem else None


def run_kiosk(data: DataDir, config: KioskConfig, windowed: str | None, crash_log: CrashLog, hooks: ExceptionHooks,
              *, recheck_ms: int = int(RECHECK_SECONDS * 1000), damage: str | None = None) -> int:  # fmt: skip
    """The window and its event loop, until the operator's exit or SIGTERM.

    ``damage``: what provisioning found wrong with the installed content (None: nothing).

    Content that cannot be opened (none yet, or damaged) never ends the process: the
    "please ask staff" page shows, with what is wrong for staff, and the content is looked at
    again every ``recheck_ms`` until it can be shown.
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from .app import Kiosk, build_kiosk, kiosk_clock
    from .lockdown import Lockdown
    from .no_content import ContentLook, NoContentWindow
    from .runtime.memory import MainThreadGC, limit_malloc_arenas
    from .runtime.signals import SignalWatcher
    from .sync_agent import SyncAgent
    from .web.engine import RemoteDebuggingEnabled, prepare_web_engine

    limit_malloc_arenas()  # before any thread starts
    try:
        prepare_web_engine()  # before the QApplication: scheme registry, Chromium flags (webengine-start-order)
    except RemoteDebuggingEnabled as exc:
        log.error("%s", exc)
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    app = QApplication(sys.argv[:1])
    app.setApplicationName("culture-kiosk")
    collector = MainThreadGC(app)  # Qt objects die on the GUI thread (gc-worker-thread)  # noqa: F841
    started: dict[str, Kiosk] = {}

    def show(widget: QWidget) -> None:
        if windowed:
            width, _, height = windowed.partition("x")
            widget.resize(int(width), int(height))
            widget.show()
        else:
            widget.showFullScreen()

    problems: dict[str, str | None] = {"now": None}

    def note(problem: str) -> None:
        """Log what keeps the content off screen once, not at every look."""
        if problem != problems["now"]:
            log.error("cannot show content: %s; showing the 'please ask staff' page", problem)
        problems["now"] = problem

    def returned_to_last_good(problem: str) -> bool:
        """The installed content cannot be opened: back to the previous version kept on disk, if intact."""
        try:
            done = return_to_last_good(data, problem)
        except KioskError as exc:
            log.error("could not go back to the previous content version: %s", exc)
            return False
        if done is not None:
            log.warning("%s", done.message)
            problems["now"] = None
        return done is not None

    def start(problem: str | None) -> bool:
        """Show the kiosk unless ``problem`` (what the last look at the content found) says it cannot."""
        if problem is None:
            try:
                # The last run's native crash, if any, is reported on the operator's status page.
                kiosk = build_kiosk(config, data, native_crash=crash_log.previous)
            except (KioskError, sqlite3.Error) as exc:
                problem = str(exc) if isinstance(exc, KioskError) else f"the content cannot be read ({exc})"
        if problem is not None and returned_to_last_good(problem):
            # the previous version is current now (and none is kept behind it: no loop); the fallback
            # read its every page already, so the schema look is enough
            return start(content_problem(data, thorough=False))
        if problem is not None:
            note(problem)
            return False
        kiosk.install_filters(app)
        hooks.show_errors_on(kiosk.nav)
        kiosk.nav.prebuild = True  # pages a visitor may tap next are built while the kiosk waits
        # The web engine starts once home is on screen, so the map opens at once when tapped.
        kiosk.nav.after_first_paint.append(kiosk.ctx.map.warm_up)
        if kiosk.sync is not None:  # the channel is checked in the background, never before the first frame
            kiosk.nav.after_first_paint.append(kiosk.sync.start)
        started["kiosk"] = kiosk
        show(kiosk.shell)
        return True

    lockdown = Lockdown()

    def leave(_signal: int = 0) -> None:
        """SIGTERM/SIGINT (from the event loop, see runtime.signals): let the windows close, end the loop."""
        lockdown.allow_close = True
        kiosk = started.get("kiosk")
        if kiosk is not None:
            kiosk.lockdown.allow_close = True
        QTimer.singleShot(0, app.quit)

    signals = SignalWatcher(parent=app)  # no Python handler runs while Qt waits (signal-in-qt-loop)
    signals.signalled.connect(leave)
    signals.activate()
    waiting_agents: list[SyncAgent] = []
    waiting_windows: list[NoContentWindow] = []
    # Provisioning read every page of the content database just now: damage it found is not looked
    # for again before the first frame, and otherwise the schema is read (cheap) before building.
    if not start(damage if damage is not None else content_problem(data, thorough=False)):
        # No content (a new kiosk whose pack was refused, or damaged content): say so to visitors, keep
        # the kiosk locked, and start as soon as an operator sideloads or repairs a pack. The
        # application-wide filter goes before the web engine can start (app-event-filter-crash).
        app.installEventFilter(lockdown)

        def look() -> ContentLook:
            """On the waiting window's background runner: this reads every page of the content database."""
            problem = content_problem(data)
            if problem is None and data.read_pointer() is None:
                return ContentLook(False)  # nothing installed yet
            return ContentLook(problem is None, problem)

        waiting = NoContentWindow(
            look,
            problem=problems["now"] if os.path.lexists(data.pointer_path) else None,
            interval_ms=recheck_ms,
        )

        # A kiosk set up for a channel fetches its first pack by itself (in the background); the
        # window's look then starts the kiosk at once, whose own agent takes over.
        first_sync = SyncAgent(data, config, clock=kiosk_clock(config), parent=waiting)
        waiting_agents.append(first_sync)
        waiting_windows.append(waiting)

        def ready() -> None:  # the look just found content that can be shown
            if start(None):
                log.info("content can be shown now: the kiosk starts")
                first_sync.stop(0)
                waiting.stop()
                app.removeEventFilter(lockdown)
                waiting.hide()
            else:
                waiting.show_problem(problems["now"])

        def looked(found: ContentLook) -> None:
            if found.problem is not None:
                note(found.problem)

        waiting.ready.connect(ready)
        waiting.looked.connect(looked)
        first_sync.installed.connect(waiting.check)
        first_sync.start(delay_s=0)
        show(waiting)
    code = app.exec()
    for agent in waiting_agents:
        agent.stop(3000)
    for window in waiting_windows:
        window.tasks.wait(3000)
    kiosk = started.get("kiosk")
    if kiosk is not None:
        kiosk.ctx.tasks.wait(3000)
        kiosk.ctx.recorder.close()  # a usage event queued in the last moment is written before exit
        if kiosk.sync is not None:
            kiosk.sync.stop(3000)
        if kiosk.ctx.map is not None:
            kiosk.ctx.map.close()  # page before profile (webengine-page-before-profile)
    return code


if __name__ == "__main__":
    sys.exit(main())
