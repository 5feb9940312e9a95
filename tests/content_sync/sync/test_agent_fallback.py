"""After the kiosk went back from a version that failed to open, sync does not switch to it again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from content_sync.device.fallback import return_to_last_good
from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import run_cycle
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
