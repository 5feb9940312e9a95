"""Assembling the kiosk: context, screens, navigator, shell, idle reset and lockdown.

Everything is built here and passed down; nothing is global, so tests build the same
kiosk on a temporary data directory with a fixed clock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

from content_sync.device import DeviceState
from content_sync.layout import DataDir

from .background import BackgroundTasks
from .config import KioskConfig
from .context import AppContext, ContentHolder
from .idle import IdleWatcher
from .images import ImageCache
from .lockdown import Lockdown
from .narration import NarrationPlayer
from .navigator import Navigator
from .read_aloud import ReadAloud
from .screens.attract import AttractScreen
from .screens.base import Screen
from .screens.error import ErrorScreen
from .screens.events import EventsScreen
from .screens.home import HomeScreen
from .screens.hotel_room import HotelRoomScreen
from .screens.operator import OperatorPinScreen, OperatorScreen
from .screens.pages import PageScreen, PracticalScreen
from .screens.route_detail import RouteDetailScreen
from .screens.routes import RouteListScreen
from .screens.search import SearchScreen
from .screens.transport import TransportScreen
from .screens.venue_detail import VenueDetailScreen
from .screens.venue_list import VenueListScreen
from .session import Session
from .shell import KioskShell
from .widgets.qr import QrCodes

log = logging.getLogger(__name__)

SCREENS: tuple[type[Screen], ...] = (
    AttractScreen, HomeScreen, VenueListScreen, VenueDetailScreen, SearchScreen, RouteListScreen,
    RouteDetailScreen, EventsScreen, TransportScreen, PracticalScreen, PageScreen, HotelRoomScreen,
    OperatorPinScreen, OperatorScreen, ErrorScreen,
)  # fmt: skip


class _CornerHold(QObject):
    """Feeds presses anywhere in the app to the shell's hidden operator corner."""

    def __init__(self, shell: KioskShell) -> None:
        super().__init__()
        self.shell = shell

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress:
            self.shell.press_at(self.shell.mapFromGlobal(event.globalPosition().toPoint()))  # type: ignore[attr-defined]
        elif event.type() == QEvent.Type.MouseButtonRelease:
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

    def install_filters(self, app: QApplication) -> None:
        for obj in (self.idle, self.lockdown, *self.filters):
            app.installEventFilter(obj)

    def remove_filters(self, app: QApplication) -> None:
        for obj in (self.idle, self.lockdown, *self.filters):
            app.removeEventFilter(obj)


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
) -> Kiosk:
    content = ContentHolder(data)
    session = Session(
        default_language=config.default_language,
        fallback=tuple(content.store.fallback()),
        default_high_contrast=config["display.high_contrast"],
        default_large_text=config["display.large_text"],
    )
    tasks = tasks or BackgroundTasks()

    def weather() -> dict | None:
        try:
            with DeviceState(data.device_db) as device:
                return device.get_sync("weather")
        except Exception:
            return None

    ctx = AppContext(
        config=config, session=session, content=content, tasks=tasks, images=ImageCache(tasks),
        clock=clock or kiosk_clock(config), weather=weather, qr=QrCodes(tasks),
    )  # fmt: skip
    # One narration player for the whole kiosk; QtMultimedia itself loads on the first play.
    ctx.narration = NarrationPlayer(config, tasks, data.root / "cache" / "narration")
    factories = {cls.name: (lambda cls=cls: cls(ctx)) for cls in (*SCREENS, *extra_screens)}
    classes = (*SCREENS, *extra_screens)
    nav = Navigator(factories, per_params=frozenset(cls.name for cls in classes if cls.per_params))
    ctx.nav = nav
    idle = IdleWatcher(config["idle.timeout_seconds"], config["idle.warning_seconds"])
    lockdown = Lockdown()
    shell = KioskShell(ctx, nav, idle, on_operator=lambda: nav.go("operator_pin"))
    shell.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.Window)
    shell.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
    kiosk = Kiosk(ctx, nav, shell, idle, lockdown, [_CornerHold(shell)])
    # Narration: silent at idle reset and when the visitor leaves the page (unless "keep listening").
    ctx.narration.setParent(shell)
    shell.on_reset.append(ctx.narration.reset)
    nav.changed.connect(ctx.narration.page_changed)
    ReadAloud(ctx, nav, parent=shell)

    def leave() -> None:
        """The operator's exit: the only way out of the kiosk."""
        log.info("operator closed the kiosk")
        lockdown.allow_close = True
        shell.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    operator = nav.screen(OperatorScreen.name)
    if isinstance(operator, OperatorScreen):
        operator.exit_requested.connect(leave)
    nav.reset()
    return kiosk
