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
