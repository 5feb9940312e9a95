"""The kiosk's fixtures: Qt offscreen, the web engine prepared as ``kiosk`` does, the whole kiosk
built on the demo content with an injected clock (no test reads the real one)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from content_sync.device.layout import DataDir

from .support import DEMO_NOW

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

# As in ``kiosk``'s main: register kiosk:// and quiet Chromium before any QApplication exists
# (workaround webengine-start-order in kiosk_app/runtime/workarounds.py).
from kiosk_app.web.engine import prepare_web_engine

prepare_web_engine()


@pytest.fixture(scope="session", autouse=True)
def gui_thread_gc() -> Iterator[object]:
    """As in the kiosk: cycles are collected on the GUI thread only (workaround gc-worker-thread)."""
    from PySide6.QtWidgets import QApplication

    from kiosk_app.runtime.memory import MainThreadGC

    app = QApplication.instance() or QApplication([])
    collector = MainThreadGC(app)
    yield collector
    collector.stop()


# --- the kiosk app on the demo content ------------------------------------------------------


@pytest.fixture
def kiosk_config():
    from kiosk_app.config import load_config

    return load_config(None)


@pytest.fixture
def make_kiosk(qtbot, demo_data: DataDir, kiosk_config):  # type: ignore[no-untyped-def]
    """Build the whole kiosk on the demo content with the clock fixed at DEMO_NOW.

    ``make_kiosk(size=(1080, 1920), config=..., extra_screens=(...), data=...)``: ``data`` builds it on
    another installed data directory (content made for the test). Filters are removed and background
    work drained after the test.
    """
    import datetime as dt
    from zoneinfo import ZoneInfo

    from PySide6.QtWidgets import QApplication

    from kiosk_app.app import build_kiosk

    built_all = []
    app = QApplication.instance()

    def make(size=(1920, 1080), config=None, extra_screens=(), now=None, data=None):  # type: ignore[no-untyped-def]
        moment = now or dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))
        data = data or demo_data
        built = build_kiosk(config or kiosk_config, data, clock=lambda: moment, extra_screens=extra_screens)
        qtbot.addWidget(built.shell)
        built.shell.setFixedSize(*size)
        built.shell.show()
        built.install_filters(app)
        built_all.append(built)
        return built

    yield make
    for built in built_all:
        built.remove_filters(app)
        built.ctx.tasks.wait(5000)
        built.ctx.recorder.close()  # its writes committed, its connection closed
        if built.ctx.map is not None:
            built.ctx.map.close()  # the web page before its profile, while the shell still exists


@pytest.fixture
def kiosk(make_kiosk):  # type: ignore[no-untyped-def]
    """The whole kiosk at 1920x1080 on the demo content."""
    return make_kiosk()
