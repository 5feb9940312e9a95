"""``kiosk --screenshots OUT``: every screen, in every layout and language, as PNG files.

For tests, for reviewing a change, and for an operator previewing a pack before
publishing it. Rendering is offscreen; nothing is shown and nothing leaves the machine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from content_sync.device.layout import DataDir

from .config import KioskConfig
from .theme import LAYOUTS

log = logging.getLogger(__name__)


def screen_plan(kiosk: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(file stem, screen, params) for one representative view of every screen."""
    store = kiosk.ctx.store
    venues = store.venues(featured=True) or store.venues()
    plan: list[tuple[str, str, dict[str, Any]]] = [
        ("attract", "attract", {}),
        ("home", "home", {}),
        ("venues", "venues", {}),
        ("venues-theme", "venues", {"theme": kiosk.ctx.content.themes[0]["id"]} if kiosk.ctx.content.themes else {}),
        ("venues-open-now", "venues", {"open_now": True}),
    ]
    if venues:
        plan.append(("venue", "venue", {"id": venues[0].id}))
    routes = store.routes()
    heritage = store.heritage_items()
    for name, params in (
        ("search", {}),
        ("routes", {}),
        ("route", {"id": routes[0].id} if routes else None),
        ("heritage", {"id": heritage[0].id} if heritage else None),
        ("map", {} if kiosk.ctx.map.has_basemap() else None),
        ("events", {"span": "week"}),
        ("transport", {}),
        ("practical", {}),
        ("hotel_room", {}),
        ("operator", {}),
        ("feedback", {"about": f"venue:{venues[0].id}" if venues else "kiosk"}),
        ("error", {}),
    ):
        if params is not None and name in kiosk.nav.factories:
            plan.append((name, name, params))
    return plan


def settle(app: Any, kiosk: Any, rounds: int = 6) -> None:
    """Let layouts finish and background image loads arrive before grabbing."""
    from PySide6.QtCore import QEvent

    for _ in range(rounds):
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
        kiosk.ctx.tasks.wait(5000)
        app.processEvents()


def render_all(data: DataDir, out: Path, config: KioskConfig,
               build: Callable[..., Any] | None = None, languages: list[str] | None = None) -> int:  # fmt: skip
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from .app import build_kiosk

    if QApplication.instance() is None:
        from .web.engine import prepare_web_engine

        prepare_web_engine()
    app = QApplication.instance() or QApplication([])
    build = build or build_kiosk
    out = Path(out)
    count = 0
    for layout_name, size in LAYOUTS.items():
        kiosk = build(config, data)
        kiosk.shell.setFixedSize(size)
        kiosk.shell.show()
        for lang in languages or config.languages:
            kiosk.ctx.session.set_language(lang)
            folder = out / layout_name / lang
            folder.mkdir(parents=True, exist_ok=True)
            for stem, screen, params in screen_plan(kiosk):
                try:
                    if screen == "operator":
                        kiosk.ctx.session.staff_access = True  # as after the PIN: the status page itself
                    kiosk.nav.go(screen, **params)
                    settle(app, kiosk)
                    if screen == "map":
                        wait_for_map(app, kiosk)
                    kiosk.shell.grab().save(str(folder / f"{stem}.png"))
                    count += 1
                    if screen == "operator" and scroll_to(kiosk, "operator-sync-url"):
                        settle(app, kiosk)
                        kiosk.shell.grab().save(str(folder / "operator-channel.png"))  # the channel card
                        count += 1
                except Exception:
                    log.exception("screenshot %s/%s/%s failed", layout_name, lang, stem)
            count += night_views(app, kiosk, folder)
        kiosk.ctx.map.close()
        kiosk.shell.close()
        kiosk.shell.deleteLater()
        app.processEvents()
    return count


def night_views(app: Any, kiosk: Any, folder: Path) -> int:
    """Home and a place's page as a visit woken on the night screen shows them (theme.NIGHT)."""
    store = kiosk.ctx.store
    venues = store.venues(featured=True) or store.venues()
    views = [("home-night", "home", {})] + ([("venue-night", "venue", {"id": venues[0].id})] if venues else [])
    count = 0
    kiosk.ctx.session.set_night(True)
    try:
        for stem, screen, params in views:
            kiosk.nav.go(screen, **params)
            settle(app, kiosk)
            kiosk.shell.grab().save(str(folder / f"{stem}.png"))
            count += 1
    except Exception:
        log.exception("night screenshots in %s failed", folder)
    finally:
        kiosk.ctx.session.set_night(False)
    return count


def scroll_to(kiosk: Any, name: str) -> bool:
    """Scroll the page in view so the widget named ``name`` shows (a card below the fold)."""
    from PySide6.QtWidgets import QScrollArea, QWidget

    page = kiosk.nav.currentWidget()
    target = page.findChild(QWidget, name)
    area = page.findChild(QScrollArea)
    if target is None or area is None:
        return False
    card = target.parentWidget() or target
    area.ensureWidgetVisible(card, 0, 0)
    return True


def wait_for_map(app: Any, kiosk: Any, timeout_s: float = 20.0) -> None:
    """The web map paints in its own process: wait for its report that the tiles are drawn."""
    import time

    surface = kiosk.ctx.map.surface()
    seen = surface.painted_count
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and (surface.painted_count == seen or surface.state != "ready"):
        app.processEvents()
        time.sleep(0.01)
    end = time.monotonic() + 0.3  # the frame reaches the widget
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
