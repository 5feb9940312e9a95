"""A store a power cut damaged still starts: the real ``kiosk`` process shows the "please ask staff"
page, keeps running, and comes up by itself once a good pack repairs the store; a damaged device
database, a read-only data folder and a full disk are said on the operator's status page."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QLabel

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack.signing import SigningKey
from tests import damaging
from tests.support import INSTALLED_AT

from .support import DEMO_NOW

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="POSIX signals")

# ``kiosk`` as a kiosk runs it, even when the tests run as root: without root's power over files (so an
# unreadable file is unreadable), and with its provisioning clock at INSTALLED_AT (a bundled pack's expiry
# never meets the year).
KIOSK_AT = (
    "import datetime as dt, sys\nfrom tests.damaging import drop_root_powers\ndrop_root_powers()\n"
    "from kiosk_app.main import main\n"
    "at = dt.datetime.fromisoformat(sys.argv.pop(1))\nsys.exit(main(sys.argv[1:], clock=lambda: at))\n"
)
CONTENT_KINDS = ["truncate", "zero-first-page", "zero-middle-page", "bad-header", "garbage", "folder", "unreadable"]
DEVICE_KINDS = ["truncate-pages", "zero-middle-page", "garbage", "lose-wal", "stale-journal"]


class RunningKiosk:
    """``python -m kiosk_app.main`` offscreen on a data directory, its output in a file."""

    def __init__(self, root: Path, out: Path, bundled: Path | None = None) -> None:
        self.out = out
        self.file = open(out, "w")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KIOSK_RECHECK_SECONDS": "0.3"}
        if bundled is not None:
            env["KIOSK_BUNDLED_PACK"] = str(bundled)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", KIOSK_AT, INSTALLED_AT.isoformat(), "--data-dir", str(root),
             "--windowed", "800x600"],
            stdout=self.file, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip

    @property
    def text(self) -> str:
        return self.out.read_text(errors="replace")

    def wait_for(self, words: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while words not in self.text:
            assert self.proc.poll() is None, f"the kiosk ended (exit {self.proc.returncode}):\n{self.text}"
            assert time.monotonic() < deadline, f"no {words!r} in:\n{self.text}"
            time.sleep(0.1)

    def still_running_after(self, seconds: float) -> None:
        time.sleep(seconds)
        assert self.proc.poll() is None, f"the kiosk ended (exit {self.proc.returncode}):\n{self.text}"

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        finally:
            self.file.close()


@contextmanager
def kiosk_on(root: Path, out: Path, bundled: Path | None = None) -> Iterator[RunningKiosk]:
    running = RunningKiosk(root, out, bundled)
    try:
        yield running
    finally:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait(10)
        running.file.close()


@pytest.fixture
def installed(data_dir: DataDir, installer: Installer, make_pack: Callable[..., Path], mini_source: Path) -> Path:
    pack = make_pack(mini_source)
    installer.install(pack)
    return pack


def current_db(data: DataDir) -> Path:
    pointer = data.read_pointer()
    assert pointer is not None
    return data.version_db(pointer.current)


@pytest.mark.parametrize("kind", [*CONTENT_KINDS, "pointer-garbage"])
def test_damaged_content_shows_the_staff_page_keeps_running_and_a_good_pack_brings_it_up(
    kind: str, data_dir: DataDir, installed: Path, signing_key: SigningKey, tmp_path: Path
) -> None:
    if kind == "pointer-garbage":  # current.json, the name of the installed version
        damaging.garbage(data_dir.pointer_path)
    else:
        damaging.DAMAGING[kind](current_db(data_dir))
    with kiosk_on(data_dir.root, tmp_path / "kiosk.out") as kiosk:
        kiosk.wait_for("cannot show content")
        assert "is damaged" in kiosk.text and "'please ask staff' page" in kiosk.text
        if kind == "unreadable":  # as root too: the kiosk runs without root's power over files
            assert "it cannot be read (permission denied)" in kiosk.text, kiosk.text
        kiosk.still_running_after(2.0)  # several rechecks: no exit, no restart loop
        with damaging.without_root_powers():  # the operator's install meets the file as the kiosk does
            Installer(data_dir, [signing_key.public], "stable", clock=lambda: INSTALLED_AT).install(installed)
        kiosk.wait_for("content can be shown now")
        kiosk.still_running_after(1.0)
        assert kiosk.stop() == 0, kiosk.text
        assert "Traceback" not in kiosk.text


def test_content_made_for_older_software_is_said_in_plain_words_and_a_current_pack_brings_it_up(
    data_dir: DataDir, installed: Path, signing_key: SigningKey, tmp_path: Path
) -> None:
    """The kiosk software updated over content of the previous schema: whole, but missing a column
    every heritage query reads. The staff page says so (never a traceback), and a current pack repairs it."""
    import sqlite3

    from content_sync.pack.schema import CONTENT_SCHEMA_VERSION

    db = current_db(data_dir)
    os.chmod(db, 0o644)
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE heritage DROP COLUMN aliases")  # the schema before heritage aliases
    conn.execute(f"PRAGMA user_version = {CONTENT_SCHEMA_VERSION - 1}")
    conn.commit()
    conn.close()
    with kiosk_on(data_dir.root, tmp_path / "kiosk.out") as kiosk:
        kiosk.wait_for("cannot show content")
        assert f"made for older kiosk software (content schema {CONTENT_SCHEMA_VERSION - 1}" in kiosk.text
        kiosk.still_running_after(1.0)
        with damaging.without_root_powers():
            Installer(data_dir, [signing_key.public], "stable", clock=lambda: INSTALLED_AT).install(installed)
        kiosk.wait_for("content can be shown now")
        assert kiosk.stop() == 0, kiosk.text
        assert "Traceback" not in kiosk.text


@pytest.mark.parametrize("kind", DEVICE_KINDS)
def test_a_damaged_device_database_still_shows_the_content(
    kind: str, data_dir: DataDir, installed: Path, tmp_path: Path, make_pack: Callable[..., Path], mini_source: Path
) -> None:
    """With a newer bundled pack, so that provisioning needs the device database (its trusted keys)."""
    bundled = make_pack(mini_source, version=2)
    kinds = {**damaging.DAMAGING, **damaging.HARMLESS}
    kinds[kind](data_dir.device_db)
    with kiosk_on(data_dir.root, tmp_path / "kiosk.out", bundled) as kiosk:
        kiosk.wait_for("content:")
        kiosk.still_running_after(2.5)
        assert "cannot show content" not in kiosk.text
        if kind in damaging.DAMAGING:  # repaired (moved aside, made anew) and said
            assert "store: the device database was damaged" in kiosk.text, kiosk.text
            assert list(data_dir.root.glob("device.db.damaged-*"))
        else:
            assert "installed bundled content v2" in kiosk.text
        assert kiosk.stop() == 0, kiosk.text
        assert "Traceback" not in kiosk.text


def test_a_read_only_data_folder_shows_the_installed_content(data_dir: DataDir, installed: Path,
                                                             tmp_path: Path) -> None:  # fmt: skip
    view = tmp_path / "view"
    with damaging.read_only_view(data_dir.root, view) as ok:
        if not ok:
            pytest.skip("cannot make a read-only folder here")
        with kiosk_on(view, tmp_path / "kiosk.out") as kiosk:
            kiosk.wait_for("content:")
            kiosk.still_running_after(2.5)
            assert "cannot show content" not in kiosk.text
            assert "read-only: installs are impossible" in kiosk.text
            assert kiosk.stop() == 0, kiosk.text
            assert "Traceback" not in kiosk.text


# -- the pages themselves, in process ----------------------------------------------------------------------


def test_the_staff_page_says_what_is_wrong_and_keeps_checking(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kiosk_app.no_content import ContentLook, NoContentWindow
    from kiosk_app.strings import Translator

    first = "the content database /x/content.db is damaged: it starts with zeros"
    state = {"ok": False, "problem": "the device database is damaged"}
    looked_on: set[int] = set()

    def look() -> ContentLook:  # stands for content_problem(thorough=True): every page read, seconds on a big pack
        looked_on.add(threading.get_ident())
        return ContentLook(bool(state["ok"]), None if state["ok"] else str(state["problem"]))

    window = NoContentWindow(look, problem=first, interval_ms=20)
    qtbot.addWidget(window)
    window.show()
    labels = {label.text() for label in window.findChildren(QLabel) if label.isVisibleTo(window)}
    assert Translator("zh-Hans")("error.content_unavailable") in labels
    assert Translator("en")("error.content_unavailable") in labels
    assert window.staff_line.text() == f"For staff: {first}"
    qtbot.waitUntil(lambda: window.staff_line.text() == "For staff: the device database is damaged", timeout=2000)
    assert window.timer.isActive()
    state["ok"] = True
    with qtbot.waitSignal(window.ready, timeout=2000):
        pass
    window.stop()
    assert not window.timer.isActive()
    assert looked_on and threading.get_ident() not in looked_on  # never on the GUI thread
    window.tasks.wait(2000)


def test_a_slow_look_never_holds_the_gui_thread_and_is_never_doubled(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A look that takes long (a big damaged pack) leaves the window responsive, and ticks meanwhile start no other."""
    from kiosk_app.no_content import ContentLook, NoContentWindow

    release = threading.Event()
    started: list[int] = []

    def look() -> ContentLook:
        started.append(threading.get_ident())
        release.wait(10)
        return ContentLook(True)

    window = NoContentWindow(look, problem="damaged", interval_ms=10)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: bool(started), timeout=2000)
    ticks = {"n": 0}
    window.timer.timeout.connect(lambda: ticks.__setitem__("n", ticks["n"] + 1))
    qtbot.waitUntil(lambda: ticks["n"] >= 5, timeout=2000)  # the event loop runs while the look does
    assert len(started) == 1 and started[0] != threading.get_ident()
    with qtbot.waitSignal(window.ready, timeout=5000):
        release.set()
    window.stop()
    window.tasks.wait(2000)


@contextmanager
def kiosk_built_on(data: DataDir, qtbot) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    from kiosk_app.app import build_kiosk
    from kiosk_app.config import load_config

    moment = dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))
    built = build_kiosk(load_config(None), data, clock=lambda: moment)
    qtbot.addWidget(built.shell)
    built.shell.setFixedSize(1920, 1080)
    built.shell.show()
    app = QApplication.instance()
    built.install_filters(app)
    try:
        yield built
    finally:
        built.remove_filters(app)
        built.ctx.tasks.wait(5000)
        if built.ctx.map is not None:
            built.ctx.map.close()


def operator_notices(kiosk, qtbot, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    kiosk.ctx.session.staff_access = True  # as the PIN pad does
    kiosk.nav.go("operator")
    screen = kiosk.nav.currentWidget()
    qtbot.waitUntil(lambda: screen.status is not None, timeout=10_000)

    def shown() -> list[str]:
        return [label.text() for label in screen.findChildren(QLabel, name) if not label.isHidden()]

    qtbot.waitUntil(lambda: bool(shown()), timeout=5000)  # shown once laid out
    return shown()


def test_the_operator_page_says_the_device_database_is_damaged(qtbot, demo_data: DataDir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = DataDir(tmp_path / "copy")
    shutil.copytree(demo_data.root, data.root)
    # The whole file garbage and no write-ahead log beside it (the shared demo data may have one from
    # earlier tests' writes, and SQLite would then read its pages and report those instead).
    for side in ("-wal", "-shm"):
        Path(f"{data.device_db}{side}").unlink(missing_ok=True)
    data.device_db.write_bytes(b"not a database, a power cut's leftovers " * 100)
    with kiosk_built_on(data, qtbot) as kiosk:
        notices = operator_notices(kiosk, qtbot, "operator-store-damaged")
        prefix = kiosk.ctx.tr("operator.store_damaged", problem="the device database")
    assert len(notices) == 1 and notices[0].startswith(prefix)
    assert "is not a SQLite database" in notices[0] and "kiosk-pack install" in notices[0]


def test_the_operator_page_says_the_folder_is_read_only(qtbot, demo_data: DataDir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "copy"
    shutil.copytree(demo_data.root, source)
    view = tmp_path / "view"
    with damaging.read_only_view(source, view) as ok:
        if not ok:
            pytest.skip("cannot make a read-only folder here")
        with kiosk_built_on(DataDir(view), qtbot) as kiosk:
            assert kiosk.ctx.store.counts()["venues"] == 44  # the installed content is shown
            notices = operator_notices(kiosk, qtbot, "operator-read-only")
            expected = kiosk.ctx.tr("operator.read_only")
    assert notices == [expected]


def test_the_operator_page_says_disk_full(qtbot, demo_data: DataDir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small = tmp_path / "small"
    size = sum(p.stat().st_size for p in demo_data.root.rglob("*") if p.is_file())
    with damaging.mounted("tmpfs", small, f"size={size // 2**20 + 4}m") as ok:
        if not ok:
            pytest.skip("no tmpfs here")
        data = DataDir(small / "copy")
        shutil.copytree(demo_data.root, data.root)
        damaging.fill(small)
        with kiosk_built_on(data, qtbot) as kiosk:
            notices = operator_notices(kiosk, qtbot, "operator-disk-full")
            expected = kiosk.ctx.tr("operator.disk_full", free="0.0 MB")
    assert notices == [expected]


def test_screenshots_of_damaged_content_are_refused_in_one_line(
    data_dir: DataDir, installed: Path, tmp_path: Path
) -> None:
    """``kiosk --screenshots`` (a staff tool) on damaged content says why, without a traceback."""
    damaging.zero_middle_page(current_db(data_dir))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "kiosk_app.main", "--data-dir", str(data_dir.root)]
    command += ["--screenshots", str(tmp_path / "png")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert "kiosk: no screenshots: the content database" in done.stderr and "is damaged" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "png").exists() or not any((tmp_path / "png").rglob("*.png"))
