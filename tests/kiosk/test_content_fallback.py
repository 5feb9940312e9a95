"""A new version that fails to open: the kiosk goes back to the previous one on disk, by itself.

Between visitors (the idle reset switches content in) and at the next start (the real
``kiosk`` process on a data directory whose new version was damaged), with what happened in
the install log the operator screen lists, in plain words."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QApplication

from content_sync.device.fallback import FAILED_SETTING
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack.build import build_pack
from content_sync.pack.signing import SigningKey
from tests import damaging
from tests.support import BUILT_AT, MINI_SOURCE, set_version

from .support import DEMO_NOW
from .test_damaged_start import kiosk_on

WENT_BACK = "content version 2 could not be opened ("


def last_install(data: DataDir) -> tuple[int | None, bool, str]:
    with DeviceState(data.device_db, readonly=True) as device:
        record = device.install_log(1)[0]
    return record.content_version, record.ok, record.message


@pytest.fixture
def two_versions(tmp_path: Path) -> Iterator[tuple[DataDir, Callable[[int], None]]]:
    """A data directory with v1 of the small pack, and a way to install newer versions."""
    source = tmp_path / "src"
    shutil.copytree(MINI_SOURCE, source)
    key = SigningKey.generate("fallback-tests")
    data = DataDir(tmp_path / "data")
    data.root.mkdir()
    with DeviceState(data.device_db) as device:
        device.trust(key.public)
    installer = Installer(data, [key.public], "stable", clock=lambda: BUILT_AT)

    def install(version: int) -> None:
        set_version(source, version)
        pack = tmp_path / f"v{version}.kpack"
        build_pack(source, pack, keys=[key], now=BUILT_AT)
        installer.install(pack)

    install(1)
    yield data, install


def test_a_new_version_that_fails_to_open_between_visitors_is_left_on_disk_too(qtbot, two_versions) -> None:  # type: ignore[no-untyped-def]
    from kiosk_app.app import build_kiosk
    from kiosk_app.config import load_config
    from kiosk_app.screens.operator import read_device_status

    data, install = two_versions
    moment = dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))
    kiosk = build_kiosk(load_config(None), data, clock=lambda: moment)
    qtbot.addWidget(kiosk.shell)
    kiosk.ctx.tasks.release()  # background work waits for the first frame, long painted when a visitor leaves
    try:
        install(2)
        pointer = data.read_pointer()
        assert pointer is not None and pointer.content_version == 2
        damaging.truncate(data.version_db(pointer.current))  # damaged after the switch
        kiosk.shell.reset_session()  # the idle reset tries to switch it in
        assert kiosk.ctx.tasks.wait(10_000)
        QApplication.processEvents()
        assert kiosk.ctx.store.content_version == 1  # the screens never left version 1...
        back = data.read_pointer()
        assert back is not None and back.content_version == 1 and back.previous is None  # ...nor does the disk
        assert not kiosk.ctx.store.is_stale()
        version, ok, message = last_install(data)
        assert (version, ok) == (2, False) and message.startswith(WENT_BACK)
        assert message.endswith("; the kiosk went back to version 1") and "\n" not in message
        # the operator screen's install card reads this very record
        status = read_device_status(data, back)
        assert status.installs[0].message == message and not status.installs[0].ok
        kiosk.shell.reset_session()  # the next visitor: nothing more to do, nothing breaks
        assert kiosk.ctx.store.content_version == 1
    finally:
        kiosk.ctx.tasks.wait(5000)
        kiosk.ctx.map.close()


def test_at_the_next_start_a_damaged_new_version_gives_way_to_the_previous_one(two_versions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data, install = two_versions
    install(2)
    pointer = data.read_pointer()
    assert pointer is not None and pointer.content_version == 2
    damaging.zero_middle_page(data.version_db(pointer.current))  # a power cut after the switch
    with kiosk_on(data.root, tmp_path / "kiosk.out") as kiosk:
        kiosk.wait_for("the kiosk went back to version 1")
        kiosk.still_running_after(2.0)
        assert "cannot show content" not in kiosk.text and "please ask staff" not in kiosk.text
        assert kiosk.stop() == 0, kiosk.text
        assert "Traceback" not in kiosk.text
    back = data.read_pointer()
    assert back is not None and back.content_version == 1
    version, ok, message = last_install(data)
    assert (version, ok) == (2, False) and message.startswith(WENT_BACK) and "is damaged" in message
    with DeviceState(data.device_db, readonly=True) as device:
        assert device.get(FAILED_SETTING)["content_version"] == 2
    # and the start after that is an ordinary start on version 1
    with kiosk_on(data.root, tmp_path / "again.out") as kiosk:
        kiosk.still_running_after(3.0)
        assert "went back" not in kiosk.text and "cannot show content" not in kiosk.text
        assert kiosk.stop() == 0, kiosk.text
