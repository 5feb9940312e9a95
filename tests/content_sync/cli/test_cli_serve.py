"""``kiosk-pack serve``: the laptop demo server behind the operator's tool."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from content_sync.cli import main


def test_serve_answers_a_range_request_for_a_channel_file(tmp_path: Path) -> None:
    (tmp_path / "metadata").mkdir()
    (tmp_path / "metadata" / "timestamp.json").write_bytes(b"0123456789")
    proc = subprocess.Popen(
        [sys.executable, "-m", "content_sync.cli", "serve", str(tmp_path), "--port", "0"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        url = re.search(r"at (http://\S+?)/? ", first)
        assert url, first
        request = urllib.request.Request(f"{url.group(1)}/metadata/timestamp.json", headers={"Range": "bytes=2-5"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 206
            assert answer.read() == b"2345"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_a_missing_folder_is_one_plain_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", str(tmp_path / "nowhere"), "--port", "0"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"kiosk-pack: {tmp_path / 'nowhere'} is not a folder"]
