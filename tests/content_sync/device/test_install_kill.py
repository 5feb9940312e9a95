"""A power cut or a kill at any instant of an install leaves the old or the new content.

Each round copies a kiosk that shows version 1, starts ``kiosk-pack install`` of a larger
version 2 in a child process, kills it with SIGKILL after a delay spread across the whole
install, then checks what a reader would see: one complete version, its database passing
``PRAGMA integrity_check``, every media file present with the right hash. A final install
shows that the kiosk recovers by itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from content_sync.device.layout import DataDir
from content_sync.pack.build import build_pack
from content_sync.pack.signing import SigningKey
from content_sync.store.content_store import ContentStore
from tests.support import BUILT_AT, kiosk_pack_command, set_version

ROUNDS = 30
WAV_BYTES = 384 * 1024


def _wav(seed: int) -> bytes:
    body = hashlib.shake_256(str(seed).encode()).digest(WAV_BYTES)
    header = b"RIFF" + (len(body) + 36).to_bytes(4, "little") + b"WAVEfmt "
    return header + body


def _big_source(src: Path, venues: int = 60) -> None:
    """Add venues, each with recorded narration in two languages, to make a slow install."""
    records = yaml.safe_load((src / "venues.yaml").read_text(encoding="utf-8"))
    template = records[0]
    audio_dir = src / "media" / "audio"
    audio_dir.mkdir(parents=True)
    for n in range(venues):
        for lang in ("zh", "en"):
            (audio_dir / f"v{n}-{lang}.wav").write_bytes(_wav(n * 2 + (lang == "en")))
        records.append({
            **template, "id": f"extra-venue-{n}", "featured": False, "aliases": {},
            "name": {"zh-Hans": f"测试场馆{n}", "en": f"Test venue {n}"},
            "audio": {"zh-Hans": f"media/audio/v{n}-zh.wav", "en": f"media/audio/v{n}-en.wav"},
        })  # fmt: skip
    (src / "venues.yaml").write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")


def _install_cmd(pack: Path, data: DataDir) -> list[str]:
    return kiosk_pack_command("install", pack, "--data-dir", data.root)


def _check_consistent(data: DataDir) -> int:
    """What a reader sees is one whole version; returns its content version."""
    with ContentStore.open(data) as store:
        version = store.content_version
        db = data.version_db(store.pointer.current)
        assert store.check_media() == []
        rows = store.conn.execute("SELECT sha256, path FROM media").fetchall()
        assert store.counts()["venues"] == (3 if version == 1 else 63)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    for sha, path in rows:
        assert hashlib.sha256(data.media_path(path).read_bytes()).hexdigest() == sha
    return version


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")
def test_sigkill_at_any_moment_leaves_old_or_new_content(
    tmp_path: Path, mini_source: Path, data_dir: DataDir, signing_key: SigningKey, make_pack
) -> None:
    v1 = make_pack(mini_source, version=1)
    subprocess.run(_install_cmd(v1, data_dir), check=True, capture_output=True)
    _big_source(mini_source)
    set_version(mini_source, 2)
    v2 = tmp_path / "v2.kpack"
    build_pack(mini_source, v2, keys=[signing_key], now=BUILT_AT)
    pristine = tmp_path / "pristine"
    shutil.copytree(data_dir.root, pristine)

    # How long an uninterrupted install takes, child start-up included.
    probe = DataDir(tmp_path / "probe")
    shutil.copytree(pristine, probe.root)
    started = time.perf_counter()
    subprocess.run(_install_cmd(v2, probe), check=True, capture_output=True)
    total = time.perf_counter() - started
    assert _check_consistent(probe) == 2

    outcomes = []
    # Delays spread over the whole install and past its end; if the machine is busier than
    # during the probe, later rounds wait longer so that some kills land after the switch.
    delays = [total * 1.5 * n / (ROUNDS - 1) for n in range(ROUNDS)] + [total * f for f in (3, 6, 12)]
    for n, delay in enumerate(delays):
        if n >= ROUNDS and 2 in outcomes:
            break
        data = DataDir(tmp_path / f"round-{n}")
        shutil.copytree(pristine, data.root)
        child = subprocess.Popen(_install_cmd(v2, data), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        outcomes.append(_check_consistent(data))
        if n % 3 == 0:  # the next install cleans up whatever the kill left and succeeds
            result = subprocess.run(_install_cmd(v2, data), capture_output=True, text=True)
            if outcomes[-1] == 1:
                assert result.returncode == 0, result.stderr
            assert _check_consistent(data) == 2
            leftovers = [p.name for p in data.content.iterdir() if p.name.startswith(".staging-")]
            assert leftovers == []
        shutil.rmtree(data.root)
    # The kills landed before and after the switch, so both outcomes were exercised.
    assert 1 in outcomes and 2 in outcomes, outcomes
