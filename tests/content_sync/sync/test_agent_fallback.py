"""Sync and content that failed: a version that failed to open is not switched to again, and
content that cannot be shown is fetched again by itself."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from content_sync.device.fallback import return_to_last_good
from content_sync.device.install import Installer
from content_sync.pack.schema import CONTENT_SCHEMA_VERSION
from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import installed_problem, run_cycle
from content_sync.sync.publish import publish_pack
from tests import damaging

from .agent_harness import LANZHOU, change_venue_text, delete_venue, fetcher, installed, make_channel, sync_state
from .nginx_server import NginxServer


def test_the_version_that_failed_to_open_is_held_until_a_newer_one_comes(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    v2 = make_pack(mini_source, version=2)
    delete_venue(mini_source)
    v3 = make_pack(mini_source, version=3)
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        publish_pack(channel.repo, LANZHOU, v2, trusted)
        channel.clock.advance(minutes=20)
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).installed_version == 2
        pointer = kiosk.read_pointer()
        assert pointer is not None
        damaging.truncate(kiosk.version_db(pointer.current))  # v2 fails to open on this kiosk
        done = return_to_last_good(kiosk, "the content database is damaged", clock=channel.clock)
        assert done is not None and done.restored_version == 1

        channel.clock.advance(minutes=20)
        held = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert held.outcome == "held" and held.bytes_moved < 20_000, held.message  # metadata only
        assert held.message == (
            "content version 2 could not be opened on this kiosk (the content database is damaged); it stays on"
            " version 1 until a newer version is published (or an operator installs one with 'kiosk-pack install')"
        )
        assert installed(kiosk)[0] == 1 and sync_state(kiosk)["last_message"] == held.message

        publish_pack(channel.repo, LANZHOU, v3, trusted)
        channel.clock.advance(minutes=20)
        newer = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert newer.outcome == "installed" and newer.installed_version == 3, newer.message
        assert installed(kiosk)[0] == 3


def _old_schema(db: Path) -> None:
    """The installed database as older kiosk software made it (the schema before heritage aliases)."""
    db.chmod(0o644)
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE heritage DROP COLUMN aliases")
    conn.execute(f"PRAGMA user_version = {CONTENT_SCHEMA_VERSION - 1}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("harm", ["old-schema", "zero_middle_page", "truncate"])
def test_content_that_cannot_be_shown_is_fetched_again_by_itself(
    harm: str, tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    """Kiosk software updated over old content, or a damaged database with no previous version kept:
    the channel's pack of the same version repairs it in the next cycle, without an operator."""
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    publish_pack(channel.repo, LANZHOU, make_pack(mini_source, version=1), trusted)
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        pointer = kiosk.read_pointer()
        assert pointer is not None
        db = kiosk.version_db(pointer.current)
        if harm == "old-schema":
            _old_schema(db)
        else:
            getattr(damaging, harm)(db)
        assert installed_problem(kiosk) is not None

        channel.clock.advance(minutes=20)
        repaired = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert repaired.outcome == "installed" and repaired.installed_version == 1, repaired.message
        assert repaired.message.startswith(
            "installed content version 1 again from packs/mini-test-1.kpack: the installed content could not be shown ("
        ), repaired.message
        assert installed_problem(kiosk) is None
        assert installed(kiosk)[0] == 1 and installed(kiosk)[1]  # readable, every venue there
        pointer = kiosk.read_pointer()
        assert pointer is not None
        conn = sqlite3.connect(f"file:{kiosk.version_db(pointer.current)}?mode=ro", uri=True)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == CONTENT_SCHEMA_VERSION
        conn.close()

        channel.clock.advance(minutes=20)
        again = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert again.outcome == "up-to-date" and again.bytes_moved < 20_000, again.message  # no loop


def test_content_that_cannot_be_shown_and_nothing_to_replace_it_is_said_plainly(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    """Sideloaded version 2 is damaged while the channel still offers only version 1 (older: refused)."""
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    publish_pack(channel.repo, LANZHOU, make_pack(mini_source, version=1), trusted)
    change_venue_text(mini_source)
    sideloaded = make_pack(mini_source, version=2)
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        Installer(kiosk, trusted, "stable", clock=channel.clock).install(sideloaded)
        pointer = kiosk.read_pointer()
        assert pointer is not None and pointer.content_version == 2
        damaging.truncate(kiosk.version_db(pointer.current))

        channel.clock.advance(minutes=20)
        stuck = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert stuck.outcome == "failed" and stuck.bytes_moved < 20_000, stuck.message
        assert stuck.message.startswith("the installed content version 2 cannot be shown (")
        assert "the channel offers no pack of version 2 or newer to replace it" in stuck.message
        assert stuck.message.endswith("install a good pack with 'kiosk-pack install' to repair it")
        assert sync_state(kiosk)["last_message"] == stuck.message
        assert kiosk.read_pointer() == pointer  # nothing went back by itself here: that is the kiosk's fallback
