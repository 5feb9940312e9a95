"""Shared fixtures: real SQLite files, real keys, real packs, each in a fresh temp folder.

No Qt here: ``tests/content_sync`` runs where PySide6 is not installed (CI proves it); the
kiosk's own fixtures are in ``tests/kiosk/conftest.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack.build import build_pack
from content_sync.pack.signing import SigningKey

from .support import BUILT_AT, DEMO_SOURCE, INSTALLED_AT, MINI_SOURCE, set_version


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


@pytest.fixture
def make_pack(tmp_path: Path, signing_key: SigningKey) -> Callable[..., Path]:
    """Build (and sign) a pack from a source folder; returns the pack path."""
    counter = iter(range(10**6))

    def make(
        source: Path, *, version: int | None = None, keys: list[SigningKey] | None = None, narration: Path | None = None
    ) -> Path:
        if version is not None:
            set_version(source, version)
        out = tmp_path / f"pack-{next(counter)}.kpack"
        build_pack(source, out, keys=[signing_key] if keys is None else keys, narration=narration, now=BUILT_AT)
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
    return Installer(data_dir, [signing_key.public], "stable", clock=lambda: INSTALLED_AT)


# --- the demo content, built and installed once -------------------------------------------


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory: pytest.TempPathFactory) -> DataDir:
    """The demo pack, built, signed and installed once per test run."""
    root = tmp_path_factory.mktemp("demo-kiosk")
    key = SigningKey.generate("demo-tests")
    build_pack(DEMO_SOURCE, root / "demo.kpack", keys=[key], now=BUILT_AT)
    data = DataDir(root / "data")
    Installer(data, [key.public], "stable", clock=lambda: INSTALLED_AT).install(root / "demo.kpack")
    # A provisioned kiosk has its device database: made here, not by whichever test happens to run first.
    with DeviceState(data.device_db, lambda: INSTALLED_AT.isoformat()) as device:
        device.trust(key.public)
    return data
