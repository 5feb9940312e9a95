"""What a channel leaves on the publisher's disk: modes a web server can read, blobs flushed before signing."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from content_sync.sync.repository import create, role_for_group
from tests.content_sync.sync.test_tuf_channel import LANZHOU, FakeClock


@pytest.fixture
def strict_umask() -> Iterator[None]:
    """A publisher whose umask lets nobody else read (a cron job under a locked-down account)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def test_every_served_file_is_world_readable_and_every_folder_listable(tmp_path: Path, strict_umask: None) -> None:
    # nginx runs as www-data, not as the publisher: a 0600 file is a 403 for every kiosk.
    repo = create(tmp_path / "channel", tmp_path / "keys", clock=FakeClock(), groups=(LANZHOU,))
    source = tmp_path / "pack-1.kpack"
    source.write_bytes(b"pack bytes" * 100)
    repo.add_target(LANZHOU, source, "packs/demo-1.kpack", {"kind": "pack"})
    repo.refresh_timestamp()
    files = [p for p in repo.dir.rglob("*") if p.is_file()]
    folders = [p for p in repo.dir.rglob("*") if p.is_dir()]
    assert any(p.parent == repo.metadata_dir for p in files)
    assert any(p.name.endswith(".demo-1.kpack") for p in files)
    wrong = {str(p.relative_to(repo.dir)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert {k: v for k, v in wrong.items() if v != "0o644"} == {}
    listed = {str(p.relative_to(repo.dir)): oct(stat.S_IMODE(p.stat().st_mode)) for p in folders}
    assert {k: v for k, v in listed.items() if v != "0o755"} == {}
    assert not [p for p in repo.dir.rglob(".tmp-*")]
    for key in (tmp_path / "keys").glob("*.pem"):  # private keys stay the publisher's own
        assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_blob_is_on_disk_before_the_metadata_naming_it_is_signed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A power cut between the two must never leave signed metadata naming a truncated blob:
    # the blob's bytes and its folder entry are flushed before the group's metadata is written.
    repo = create(tmp_path / "channel", tmp_path / "keys", clock=FakeClock(), groups=(LANZHOU,))
    flushed: list[int] = []  # inodes, in the order they were fsynced
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        flushed.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    source = tmp_path / "pack-2.kpack"
    source.write_bytes(b"new pack" * 1000)
    target = repo.add_target(LANZHOU, source, "packs/demo-2.kpack", {"kind": "pack"})
    blob = repo.dir / target.blob
    group_md = sorted(
        repo.metadata_dir.glob(f"*.{role_for_group(LANZHOU)}.json"), key=lambda p: int(p.name.split(".")[0])
    )
    newest_group = group_md[-1].stat().st_ino
    assert blob.stat().st_ino in flushed, "the blob was never flushed"
    assert blob.parent.stat().st_ino in flushed, "the blob's folder entry was never flushed"
    assert flushed.index(blob.stat().st_ino) < flushed.index(newest_group)
    assert flushed.index(blob.parent.stat().st_ino) < flushed.index(newest_group)
