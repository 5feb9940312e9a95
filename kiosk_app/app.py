"""Assembling the kiosk: context, screens, navigator, shell, idle reset and lockdown.

Everything is built here and passed down; nothing is global, so tests build the same
kiosk on a temporary data directory with a fixed clock.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

from content_sync.device.layout import DataDir
from content_sync.device.sync_state import SyncStateReader

from .background import BackgroundTasks
from .config import KioskConfig
from .context import AppContext, ContentHolder
from .idle import IdleWatcher
from .images import ImageCache
from .lockdown import Lockdown
from .map_service import MapService
from .narration import NarrationPlayer
from .navigator import Navigator
from .read_aloud import ReadAloud
from .recorder import Recorder
from .runtime.memory import freeze_startup_objects, release_after_reset
from .screens.base import Screen
from .session import Session
from .shell import KioskShell
from .sync_agent import SyncAgent

if TYPE_CHECKING:
    from .runtime.crash import NativeCrash

log = logging.getLogger(__name__)

# Every screen by name: (module in kiosk_app.screens, class, one page per parameters?). A screen's
# module is imported when the screen is first built, so start-up imports only what the first
# screens need (and never the map's web engine).
SCREENS: dict[str, tuple[str, str, bool]] = {
    "attract": ("attract", "AttractScreen", False), "home": ("home", "HomeScreen", False),
    "venues": ("venue_list", "VenueListScreen", True), "venue": ("venue_detail", "VenueDetailScreen", True),
    "search": ("search", "SearchScreen", False), "routes": ("routes", "RouteListScreen", False),
    "route": ("route_detail", "RouteDetailScreen", True), "map": ("map", "MapScreen", False),
    "events": ("events", "EventsScreen", False), "transport": ("transport", "TransportScreen", False),
    "practical": ("pages", "PracticalScreen", False), "page": ("pages", "PageScreen", True),
    "hotel_room": ("hotel_room", "HotelRoomScreen", False), "operator_pin": ("operator", "OperatorPinScreen", False),
    "operator": ("operator", "OperatorScreen", False), "error": ("error", "ErrorScreen", False),
    "feedback": ("feedback", "FeedbackScreen", False), "heritage": ("heritage_detail", "HeritageDetailScreen", True),
}  # fmt: skip


def screen_class(name: str) -> type[Screen]:
    """Import the screen's module now (the first time it is needed) and return its class."""
    module, class_name, per_params = SCREENS[name]
    cls: type[Screen] = getattr(importlib.import_module(f"{__package__}.screens.{module}"), class_name)
    if cls.name != name or cls.per_params != per_params:
        raise TypeError(f"SCREENS entry for {name!r} does not match {class_name}")
    return cls


_TOUCH_START = (QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin)
# The rest of a touch: swallowed once a hold of the staff corner has opened the PIN pad.
_TOUCH_REST = (
    QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
    QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd,
)  # fmt: skip


class _CornerHold(QObject):
    """Feeds presses anywhere in the app to the shell's hidden operator corner.

    Once a hold has opened the PIN pad, the same finger's moves and lift are swallowed here,
    at the window, before any widget sees them: the lift lands on Home or on the attract
    loop, and must not close the pad it just opened.
    """

    def __init__(self, shell: KioskShell) -> None:
        super().__init__()
        self.shell = shell

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in _TOUCH_START:
            if kind == QEvent.Type.MouseButtonPress:
                self.shell.press_at(self.shell.mapFromGlobal(event.globalPosition().toPoint()))  # type: ignore[attr-defined]
            else:
                self.shell.swallowing = False
            return False
        if self.shell.swallowing and kind in _TOUCH_REST:
            if kind == QEvent.Type.MouseButtonRelease:
                self.shell.swallowing = False  # the finger is up: the next touch is a tap again
            event.accept()
            return True
        if kind == QEvent.Type.MouseButtonRelease:
            self.shell.release()
        return False


@dataclass
class Kiosk:
    ctx: AppContext
    nav: Navigator
    shell: KioskShell
    idle: IdleWatcher
    lockdown: Lockdown
    filters: list[QObject] = field(default_factory=list)
    sync: SyncAgent | None = None  # started by ``kiosk`` after the first frame (``main.run_kiosk``)

    def switch_when_idle(self) -> None:
        """A newer version was installed: switch it in now if nobody is at the screen (the attract
        loop shows), else the idle reset does it. Never under a visitor's finger."""
        if self.nav.current_name == self.nav.start_name:
            log.info("new content installed while the attract loop shows: switching it in now")
            self.shell.reset_session()

    def install_filters(self, app: QApplication) -> None:
        """Watch input on the kiosk's window, where every real touch and key arrives first.

        Not on the application: PySide6 6.11 crashes (in getWrapperForQObject) when a Python
        application-wide filter sees the objects QtWebEngine creates for each request of the
        map page. The shell widget itself is watched too, for what is sent to it directly
        (close requests, context menus that bubble up). Workaround ``app-event-filter-crash``
        in ``kiosk_app/runtime/workarounds.py``.
        """
        self.shell.winId()  # make sure the native window (and its QWindow) exists
        window = self.shell.windowHandle()
        for obj in (self.idle, self.lockdown, *self.filters):
            window.installEventFilter(obj)
            self.shell.installEventFilter(obj)

    def remove_filters(self, app: QApplication) -> None:
        window = self.shell.windowHandle()
        for obj in (self.idle, self.lockdown, *self.filters):
            if window is not None:
                window.removeEventFilter(obj)
            self.shell.removeEventFilter(obj)


def kiosk_clock(config: KioskConfig) -> Callable[[], dt.datetime]:
    zone = ZoneInfo(config["kiosk.timezone"])
    return lambda: dt.datetime.now(zone)


def build_kiosk(
    config: KioskConfig,
    data: DataDir,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    tasks: BackgroundTasks | None = None,
    extra_screens: tuple[type[Screen], ...] = (),
    native_crash: NativeCrash | None = None,
) -> Kiosk:
    content = ContentHolder(data)
    session = Session(
        default_language=config.default_language,
        fallback=tuple(content.store.fallback()),
        default_high_contrast=config["display.high_contrast"],
        default_large_text=config["display.large_text"],
        default_reach=config["display.reach"],
    )
    # A newer pack may name another language order: read it whenever a version is switched in.
    content.listeners.append(lambda: session.set_fallback(tuple(content.store.fallback())))
    tasks = tasks or BackgroundTasks()

    synced = SyncStateReader(data.device_db)

    def feed(kind: str) -> Any:
        """The last good live feed the sync agent stored (kiosk_app.feeds checks every value it shows)."""
        try:
            return synced.get(f"feed.{kind}")
        except Exception:  # a locked, damaged or missing database: no feed, never a broken strip
            return None

    extra = {cls.name: cls for cls in extra_screens}
    per_params = {n for n, entry in SCREENS.items() if entry[2]} | {n for n, c in extra.items() if c.per_params}
    # The navigator first (empty): it is every screen's router, so screens are added once the context exists.
    nav = Navigator(per_params=frozenset(per_params))
    kiosk_time = clock or kiosk_clock(config)
    idle_s = config["idle.timeout_seconds"] + config["idle.warning_seconds"]
    recorder = Recorder(
        data, kiosk_time, start_name=nav.start_name, idle_s=idle_s, budget_bytes=config["outbox.budget_mb"] << 20,
        heartbeat_s=config["outbox.heartbeat_minutes"] * 60.0, send_url=config["outbox.url"],
        send_token=config["outbox.token"], join_url=config["platform.join"],
        content_version=lambda: content.store.content_version,
    )  # fmt: skip
    ctx = AppContext(
        config=config, session=session, content=content, tasks=tasks, images=ImageCache(tasks),
        clock=kiosk_time, router=nav, feed=feed, native_crash=native_crash, recorder=recorder,
        # One narration player for the whole kiosk; QtMultimedia itself loads on the first play.
        narration=NarrationPlayer(config, tasks, data.root / "cache" / "narration"),
        # QtWebEngine is imported only when the map first starts.
        map=MapService(content, session, config, tasks, open_venue=lambda venue_id: nav.go("venue", id=venue_id)),
    )  # fmt: skip
    factories: dict[str, Callable[[], Screen]] = {n: (lambda n=n: screen_class(n)(ctx)) for n in SCREENS}
    factories.update({name: (lambda cls=cls: cls(ctx)) for name, cls in extra.items()})
    # The first frame first: background work (photos, the speech engine's voices) once it is on screen.
    tasks.hold()
    nav.after_first_paint.extend([tasks.release, freeze_startup_objects])
    nav.hold_work = (tasks.pause, tasks.resume)  # work asked for in a tap starts once its page is painted
    idle = IdleWatcher(config["idle.timeout_seconds"], config["idle.warning_seconds"])
    lockdown = Lockdown()
    shell = KioskShell(ctx, nav, idle, on_operator=lambda: nav.go("operator_pin"))
    shell.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.Window)
    shell.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
    # The channel agent: made here (the operator page shows it), started after the first frame by
    # ``kiosk`` (main.run_kiosk), never by a test that does not ask for it.
    sync = SyncAgent(data, config, clock=ctx.clock, parent=shell)
    kiosk = Kiosk(ctx, nav, shell, idle, lockdown, [_CornerHold(shell)], sync)
    sync.installed.connect(kiosk.switch_when_idle)

    def feeds_arrived(_result: object) -> None:
        """New weather on the strip at once; new notices when the transport page is next shown."""
        shell.refresh_status()
        for screen in nav.all_screens():
            if screen.name == "transport":
                screen.stale = True

    sync.feeds_updated.connect(feeds_arrived)
    # Narration: silent at idle reset and when the visitor leaves the page (unless "keep listening").
    ctx.narration.setParent(shell)
    shell.on_reset.append(ctx.narration.reset)
    shell.on_reset.append(ctx.map.reset)
    shell.on_reset.append(release_after_reset)  # the last visit's freed memory back to the system
    nav.changed.connect(ctx.narration.page_changed)
    ReadAloud(ctx, nav, parent=shell)
    # What visitors use goes to the outbox (kiosk_app/recorder.py), heartbeats after the first frame.
    recorder.setParent(shell)
    nav.changed.connect(lambda name: recorder.screen_shown(name, nav.current[1] if nav.current else {}))
    recorder.session_changed(session)
    session.listeners.append(recorder.session_changed)
    ctx.narration.item_changed.connect(recorder.narration_started)
    ctx.narration.finished.connect(recorder.narration_finished)
    shell.on_reset.insert(0, recorder.visit_ended)
    nav.after_first_paint.append(recorder.start)

    def leave() -> None:
        """The operator's exit: the only way out of the kiosk."""
        log.info("operator closed the kiosk")
        lockdown.allow_close = True
        shell.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    build_operator = factories["operator"]

    def operator() -> Screen:  # built on first use, wired to the exit as it is made
        screen = build_operator()
        screen.exit_requested.connect(leave)  # type: ignore[attr-defined]
        screen.attach_sync(sync)  # type: ignore[attr-defined]
        return screen

    factories["operator"] = operator
    nav.factories.update(factories)
    nav.reset()
    return kiosk
