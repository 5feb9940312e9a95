"""Vetting in its own process (``pack/vet_worker.py``): the same answers as in the installer's
process, and an install that fails plainly, changing nothing, when the process cannot answer."""

from __future__ import annotations

import errno
import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from content_sync.core.errors import InstallError, PackError
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.pack import vet, vet_worker
from content_sync.pack.manifest import Manifest
from content_sync.pack.reader import PackReader
from content_sync.pack.signing import SigningKey
from content_sync.store.content_store import ContentStore


def _unpacked(pack: Path, tmp_path: Path) -> tuple[Path, Manifest]:
    with PackReader(pack) as reader:
        manifest = reader.manifest()
        db = tmp_path / "content.db"
        with open(db, "wb") as fh:
            reader.copy_verified(manifest.files["content.db"], fh)
    return db, manifest


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE venues SET timezone = 'Mars/Olympus' WHERE id = 'night-market'",
        "UPDATE venues SET lat = 91.5 WHERE id = 'night-market'",
        "CREATE TRIGGER extra AFTER INSERT ON venues BEGIN SELECT 1; END",
        "UPDATE meta SET value = 'x' WHERE key = 'content_version'",
    ],
)
def test_the_child_refuses_with_the_very_line_vetting_in_process_gives(
    sql: str, make_pack: Callable[..., Path], mini_source: Path, tmp_path: Path
) -> None:
    db, manifest = _unpacked(make_pack(mini_source), tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute(sql)
    conn.close()
    with pytest.raises(PackError) as here:
        vet.vet_content_db(db, manifest)
    with pytest.raises(PackError) as there:
        vet_worker.VetChild().vet(db, manifest)
    assert str(there.value) == str(here.value) and str(here.value).startswith("refused: ")


def test_the_child_sanitises_the_file_as_vetting_in_process_does(
    make_pack: Callable[..., Path], mini_source: Path, tmp_path: Path
) -> None:
    db, manifest = _unpacked(make_pack(mini_source), tmp_path)
    hostile = {"en": "Hi <img src=x onerror=alert(1)>", "zh-Hans": "你好"}
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE venues SET summary = ? WHERE id = 'night-market'", (json.dumps(hostile),))
    conn.close()
    assert vet_worker.VetChild().vet(db, manifest) == 1
    with sqlite3.connect(db) as conn:
        (summary,) = conn.execute("SELECT summary FROM venues WHERE id = 'night-market'").fetchone()
    conn.close()
    assert "<" not in summary


def test_a_vetting_process_that_ends_without_an_answer_fails_the_install_plainly_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, make_pack: Callable[..., Path], mini_source: Path, tmp_path: Path,
    signing_key: SigningKey,
) -> None:  # fmt: skip
    data = DataDir(tmp_path / "kiosk")
    installer = Installer(data, [signing_key.public], "stable")
    installer.install(make_pack(mini_source, version=1))
    before = data.read_pointer()
    monkeypatch.setattr(vet_worker, "MODULE", "content_sync.no_such_module")  # python -m exits at once
    with pytest.raises(InstallError, match=r"^content\.db could not be vetted: the checking process ended"):
        installer.install(make_pack(mini_source, version=2))
    assert data.read_pointer() == before
    assert not [p for p in data.content.iterdir() if p.name.startswith(".staging-")]


def test_without_a_process_to_be_had_vetting_runs_in_the_installer_and_still_refuses(
    monkeypatch: pytest.MonkeyPatch, make_pack: Callable[..., Path], mini_source: Path, tmp_path: Path,
    signing_key: SigningKey,
) -> None:  # fmt: skip
    def no_process(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(vet_worker.subprocess, "Popen", no_process)
    data = DataDir(tmp_path / "kiosk")
    installer = Installer(data, [signing_key.public], "stable")
    result = installer.install(make_pack(mini_source, version=1))
    assert result.content_version == 1
    with ContentStore.open(data) as store:
        assert store.venue("night-market") is not None
