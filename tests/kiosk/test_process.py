"""The real ``kiosk`` command: starts on a data directory, keeps running, leaves cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from content_sync.device.layout import DataDir


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="POSIX signals")
def test_kiosk_runs_and_stops_cleanly(demo_data: DataDir, tmp_path: Path) -> None:
    log = tmp_path / "kiosk.out"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk_app.main", "--data-dir", str(demo_data.root), "--windowed", "1280x800"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "content:" not in log.read_text():
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        time.sleep(1.0)  # the window is up and the event loop turning
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    text = log.read_text()
    assert "Traceback" not in text
    assert "SIGTERM received: leaving" in text  # handled in the event loop (kiosk_app.runtime.signals)
    assert (demo_data.root / "logs" / "native-crash.log").read_text() == ""  # armed, and a clean run
    assert "installed content kept" in text or "content:" in text


def test_kiosk_describes_its_configuration() -> None:
    out = subprocess.run([sys.executable, "-m", "kiosk_app.main", "--describe-config"], capture_output=True, text=True)
    assert out.returncode == 0
    for key in ("profile", "timeout_seconds", "url_template", "pin_hash", "max_volume"):
        assert key in out.stdout


def test_with_no_display_the_kiosk_says_so_in_words_instead_of_aborting(tmp_path: Path) -> None:
    """Qt alone would print a plugin error and abort (exit 134, a core dump) on a machine without a screen."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run(
        [sys.executable, "-m", "kiosk_app.main", "--data-dir", str(tmp_path / "kiosk")],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "there is no display to show the kiosk on" in done.stderr
    assert "QT_QPA_PLATFORM=offscreen" in done.stderr and "--screenshots OUT" in done.stderr
    assert "Traceback" not in done.stderr and "platform plugin" not in done.stderr


def test_which_starts_count_as_having_no_display() -> None:
    from kiosk_app.main import no_display

    assert no_display({}, "linux")
    assert not no_display({"DISPLAY": ":0"}, "linux")
    assert not no_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not no_display({"QT_QPA_PLATFORM": "eglfs"}, "linux")  # the framebuffer needs no display server
    assert not no_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not no_display({}, "win32") and not no_display({}, "darwin")
