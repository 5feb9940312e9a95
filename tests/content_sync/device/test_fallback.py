"""The automatic return to the last good content: a damaged new version, the previous one on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from content_sync.core.errors import KioskError
from content_sync.device.fallback import FAILED_SETTING, SOURCE, previous_problem, return_to_last_good
from content_sync.device.install import Installer, install_lock
from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.store.content_store import ContentStore
from tests import damaging
from tests.support import INSTALLED_AT


@pytest.fixture
def two_versions(data_dir: DataDir, installer: Installer, make_pack: Callable[..., Path], mini_source: Path) -> str:
    """v1 then v2 installed (v1 kept as the previous version); returns v2's folder name."""
    installer.install(make_pack(mini_source, version=1))
    installer.install(make_pack(mini_source, version=2))
    pointer = data_dir.read_pointer()
    assert pointer is not None and pointer.content_version == 2 and pointer.previous is not None
    return pointer.current


@pytest.mark.parametrize("kind", ["truncate", "zero-middle-page", "garbage"])
def test_a_damaged_new_version_goes_back_to_the_previous_one_and_says_why(
    kind: str, data_dir: DataDir, two_versions: str
) -> None:
    damaging.DAMAGING[kind](data_dir.version_db(two_versions))
    done = return_to_last_good(data_dir, "the content database is damaged", clock=lambda: INSTALLED_AT)
    assert done is not None and (done.failed_version, done.restored_version) == (2, 1)
    assert done.message == (
        "content version 2 could not be opened (the content database is damaged); the kiosk went back to version 1"
    )
    pointer = data_dir.read_pointer()
    assert pointer is not None and pointer.content_version == 1 and pointer.previous is None
    with ContentStore.open(data_dir) as store:  # what the kiosk opens now
        assert store.content_version == 1 and store.meta()["content_version"] == "1"
    with DeviceState(data_dir.device_db, readonly=True) as device:
        [record, *_] = device.install_log(5)
        failed = device.get(FAILED_SETTING)
    assert (record.source, record.content_version, record.ok, record.message) == (SOURCE, 2, False, done.message)
    assert failed["content_version"] == 2 and failed["restored_version"] == 1 and failed["pack_id"] == "mini-test"
    # Nothing is kept behind it: a second failure cannot lead back to the damaged version.
    assert previous_problem(data_dir, pointer) == "no previous content version is kept on this kiosk"
    assert return_to_last_good(data_dir, "again") is None


def test_no_return_without_an_intact_previous_version_and_nothing_changes(data_dir: DataDir, two_versions: str) -> None:
    pointer = data_dir.read_pointer()
    assert pointer is not None and pointer.previous is not None
    damaging.zero_middle_page(data_dir.version_db(pointer.previous))
    damaging.truncate(data_dir.version_db(two_versions))
    before = data_dir.pointer_path.read_bytes()
    assert "damaged too" in str(previous_problem(data_dir, pointer))
    assert return_to_last_good(data_dir, "the content database is damaged") is None
    assert data_dir.pointer_path.read_bytes() == before
    # a return asked for a version that is no longer current (an install came between) does nothing
    assert return_to_last_good(data_dir, "x", failed="v-someone-else") is None


def test_a_return_while_an_install_runs_is_one_plain_line(data_dir: DataDir, two_versions: str) -> None:
    with install_lock(data_dir), pytest.raises(KioskError, match=r"^another install is running on this kiosk"):
        return_to_last_good(data_dir, "damaged")
