"""Shared fixtures: real SQLite files, real keys, real packs, each in a fresh temp folder."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from content_sync.device import DeviceState
from content_sync.install import Installer
from content_sync.layout import DataDir
from content_sync.packfile import build_pack
from content_sync.signing import SigningKey

ROOT = Path(__file__).resolve().parent.parent
MINI_SOURCE = ROOT / "tests" / "data" / "mini-pack"
DEMO_SOURCE = ROOT / "assets" / "demo-pack"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

# As in ``kiosk``'s main: register kiosk:// and quiet Chromium before any QApplication exists.
from kiosk_app.web.engine import prepare_web_engine  # noqa: E402

prepare_web_engine()


@pytest.fixture(scope="session", autouse=True)
def gui_thread_gc() -> Iterator[object]:
    """As in the kiosk: cycles are collected on the GUI thread only (see kiosk_app/gc_guard.py)."""
    from PySide6.QtWidgets import QApplication

    from kiosk_app.gc_guard import MainThreadGC

    app = QApplication.instance() or QApplication([])
    collector = MainThreadGC(app)
    yield collector
    collector.stop()


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate("test-ops")


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    return SigningKey.generate("stranger")


@pytest.fixture
def mini_source(tmp_path: Path) -> Path:
    """A private, editable copy of the small test pack source."""
    dest = tmp_path / "mini-src"
    shutil.copytree(MINI_SOURCE, dest)
    return dest


def set_version(source: Path, version: int) -> None:
    pack_yaml = source / "pack.yaml"
    lines = [
        f"content_version: {version}" if line.startswith("content_version:") else line
        for line in pack_yaml.read_text(encoding="utf-8").splitlines()
    ]
    pack_yaml.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def make_pack(tmp_path: Path, signing_key: SigningKey) -> Callable[..., Path]:
    """Build (and sign) a pack from a source folder; returns the pack path."""
    counter = iter(range(10**6))

    def make(source: Path, *, version: int | None = None, keys: list[SigningKey] | None = None) -> Path:
        if version is not None:
            set_version(source, version)
        out = tmp_path / f"pack-{next(counter)}.kpack"
        build_pack(source, out, keys=[signing_key] if keys is None else keys)
        return out

    return make


@pytest.fixture
def data_dir(tmp_path: Path, signing_key: SigningKey) -> DataDir:
    """A provisioned kiosk data directory that trusts ``signing_key``."""
    data = DataDir(tmp_path / "kiosk-data")
    data.root.mkdir()
    with DeviceState(data.device_db) as device:
        device.trust(signing_key.public)
    return data


@pytest.fixture
def installer(data_dir: DataDir, signing_key: SigningKey) -> Installer:
    return Installer(data_dir, [signing_key.public], "stable")


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (except the device database) with its SHA-256."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("device.db") and path.name != ".install.lock":
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# --- the kiosk app on the demo content ------------------------------------------------------

DEMO_NOW = (2026, 11, 21, 10, 30)  # a Saturday morning in Lanzhou


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    """The demo pack, built, signed and installed once per test run."""
    root = tmp_path_factory.mktemp("demo-kiosk")
    key = SigningKey.generate("demo-tests")
    build_pack(DEMO_SOURCE, root / "demo.kpack", keys=[key])
    data = DataDir(root / "data")
    Installer(data, [key.public], "stable").install(root / "demo.kpack")
    return data


@pytest.fixture
def kiosk_config():
    from kiosk_app.config import load_config

    return load_config(None)


@pytest.fixture
def make_kiosk(qtbot, demo_data: DataDir, kiosk_config):  # type: ignore[no-untyped-def]
    """Build the whole kiosk on the demo content with the clock fixed at DEMO_NOW.

    ``make_kiosk(size=(1080, 1920), config=..., extra_screens=(...))``; filters are removed
    and background work drained after the test.
    """
    import datetime as dt
    from zoneinfo import ZoneInfo

    from PySide6.QtWidgets import QApplication

    from kiosk_app.app import build_kiosk

    built_all = []
    app = QApplication.instance()

    def make(size=(1920, 1080), config=None, extra_screens=(), now=None):  # type: ignore[no-untyped-def]
        moment = now or dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))
        built = build_kiosk(config or kiosk_config, demo_data, clock=lambda: moment, extra_screens=extra_screens)
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
        if built.ctx.map is not None:
            built.ctx.map.close()  # the web page before its profile, while the shell still exists


def finished(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Wait, as a visitor looking at the screen would, until the page in view is whole: what a
    page builds below the fold comes on the turn of the event loop after its first paint."""
    qtbot.waitUntil(lambda: not kiosk.nav.currentWidget().incomplete, timeout=5000)


@pytest.fixture
def kiosk(make_kiosk):  # type: ignore[no-untyped-def]
    """The whole kiosk at 1920x1080 on the demo content."""
    return make_kiosk()
