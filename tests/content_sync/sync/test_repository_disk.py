"""What a channel leaves on the publisher's disk: modes a web server can read."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from content_sync.sync.repository import create
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
