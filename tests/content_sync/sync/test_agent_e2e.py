"""The kiosk's sync cycle end to end: packs published with publish.py, served by a real nginx
(the shipped rules) or ``python3 -m http.server``, synced by ``agent.run_cycle`` into real data
directories and installed by the real installer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import run_cycle
from content_sync.sync.publish import pin_version, publish_pack

from .agent_harness import (
    GONE,
    LANZHOU,
    NEW_TEXT,
    TIANSHUI,
    VENUE,
    change_venue_text,
    delete_venue,
    fetcher,
    installed,
    make_channel,
    sync_state,
)
from .faulty_proxy import FaultyProxy
from .nginx_server import NginxServer
from .serving_harness import served
from .test_fetch_faults import Waits


@pytest.mark.parametrize("server", ["nginx", "http.server"])
def test_v1_v2_v3_reach_a_kiosk_through_a_static_server(
    server: str, tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    v2 = make_pack(mini_source, version=2)
    delete_venue(mini_source)
    v3 = make_pack(mini_source, version=3)
    with served(server, channel.dir) as (url, _answers):
        kiosk = channel.kiosk("kiosk-a", url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        first = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert first.outcome == "installed", first.message
        version, venues = installed(kiosk)
        assert version == 1 and GONE in venues and NEW_TEXT not in venues[VENUE]
        assert first.bytes_moved >= v1.stat().st_size

        channel.clock.advance(minutes=20)
        again = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert again.outcome == "up-to-date", again.message
        assert again.bytes_moved < 20_000  # metadata only, never the pack again

        publish_pack(channel.repo, LANZHOU, v2, trusted)
        second = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert second.outcome == "installed" and second.previous_version == 1, second.message
        version, venues = installed(kiosk)
        assert version == 2 and NEW_TEXT in venues[VENUE]

        publish_pack(channel.repo, LANZHOU, v3, trusted)
        third = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert third.outcome == "installed", third.message
        version, venues = installed(kiosk)
        assert version == 3 and GONE not in venues and NEW_TEXT in venues[VENUE]

    state = sync_state(kiosk)
    assert state["installed_version"] == 3 and state["last_error"] is None
    assert state["channel_state"] == "current" and state["last_success"] == state["last_check"]
    assert state["bytes_total"] == sum(r.bytes_moved for r in (first, again, second, third))
    assert not any(kiosk.root.joinpath("sync", "staging").iterdir())  # installed packs leave staging


def test_a_kiosk_gets_only_its_own_groups_pack_and_stays_on_its_pin(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    v2 = make_pack(mini_source, version=2)
    v5 = make_pack(mini_source, version=5)
    with NginxServer(channel.dir) as nginx:
        station = channel.kiosk("station", nginx.url, LANZHOU, signing_key)
        hotel = channel.kiosk("hotel", nginx.url, TIANSHUI, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        publish_pack(channel.repo, TIANSHUI, v5, trusted)

        assert run_cycle(station, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        assert run_cycle(hotel, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        assert installed(station)[0] == 1  # tianshui's version 5 is not offered to lanzhou
        assert installed(hotel)[0] == 5
        blob_of_v5 = next(p for p in (channel.dir / "targets" / "tianshui").rglob("*.kpack"))
        station_asked = [r.uri for r in nginx.requests() if "/targets/" in r.uri]
        assert all("/targets/lanzhou/station/" in uri for uri in station_asked[:1])
        assert sum(blob_of_v5.name in uri for uri in station_asked) == 1  # the hotel's one download only

        publish_pack(channel.repo, LANZHOU, v2, trusted)
        assert pin_version(channel.repo, LANZHOU, 1) == f"{LANZHOU}/packs/mini-test-1.kpack"
        held = run_cycle(station, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert held.outcome == "up-to-date" and "pinned" in held.message
        assert installed(station)[0] == 1

        pin_version(channel.repo, LANZHOU, None)
        freed = run_cycle(station, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert freed.outcome == "installed" and installed(station)[0] == 2

        pin_version(channel.repo, LANZHOU, 1)  # a pin below the installed version: no silent downgrade
        below = run_cycle(station, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert below.outcome == "held" and "below the installed 2" in below.message
        assert installed(station)[0] == 2


def test_an_expired_timestamp_keeps_the_content_and_says_stale_since(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    v2 = make_pack(mini_source, version=2)
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        expires = channel.repo.timestamp().expires
        publish_pack(channel.repo, LANZHOU, v2, trusted)  # signed, but its timestamp will have run out
        channel.clock.advance(days=2)  # no cron re-signed the timestamp

        stale = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert stale.outcome == "stale" and stale.channel_state == "stale"
        assert "content is stale since" in stale.message and "showing content version 1" in stale.message
        assert installed(kiosk)[0] == 1  # the kiosk keeps its content, never v2 without a fresh timestamp
        state = sync_state(kiosk)
        assert state["channel_state"] == "stale" and state["last_error"] is None
        new_expiry = channel.repo.timestamp().expires
        assert state["stale_since"] == (new_expiry).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert new_expiry >= expires

        channel.repo.refresh_timestamp()  # the cron runs again
        channel.clock.advance(minutes=1)
        fresh = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert fresh.outcome == "installed" and installed(kiosk)[0] == 2
        assert sync_state(kiosk)["stale_since"] is None


def test_a_download_cut_by_the_link_resumes_in_the_next_cycle(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    pack = make_pack(mini_source, version=1)
    size = pack.stat().st_size
    with NginxServer(channel.dir) as nginx:
        proxy = FaultyProxy(nginx.url)
        try:
            kiosk = channel.kiosk("kiosk", proxy.url, LANZHOU, signing_key)
            publish_pack(channel.repo, LANZHOU, pack, [signing_key.public])
            proxy.cut_every = size // 3  # larger than any metadata file, a third of the pack
            waits = Waits()
            cut = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock, waits, max_attempts=1))
            assert cut.outcome == "failed" and "download of packs/mini-test-1.kpack failed" in cut.message
            assert installed(kiosk)[0] is None
            assert sync_state(kiosk)["last_error"] == cut.message and sync_state(kiosk)["failures"] == 1
            parts = list((kiosk.root / "sync" / "staging").glob("*.part"))
            assert len(parts) == 1 and parts[0].stat().st_size == size // 3

            proxy.cut_every = None
            channel.clock.advance(minutes=5)
            resumed = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock, waits))
            assert resumed.outcome == "installed" and resumed.resumed_from == size // 3, resumed.message
            assert installed(kiosk)[0] == 1
            ranged = [r for r in nginx.requests() if r.status == 206]
            assert ranged and ranged[-1].range == f"bytes={size // 3}-"
            assert sync_state(kiosk)["failures"] == 0
            # Everything the link carried in both cycles: the pack about once, plus each metadata file at most twice.
            metadata = sum(p.stat().st_size for p in (channel.dir / "metadata").iterdir())
            assert proxy.body_bytes_sent <= 1.1 * size + 2 * metadata
            assert proxy.body_bytes_sent >= size
        finally:
            proxy.close()


def test_an_unprovisioned_kiosk_says_to_run_sync_setup(tmp_path: Path) -> None:
    """A kiosk never provisioned reports its setup problem in plain words, content untouched."""
    channel = make_channel(tmp_path)
    from content_sync.device.layout import DataDir

    data = DataDir(tmp_path / "bare")
    data.root.mkdir()
    result = run_cycle(data, clock=channel.clock, fetcher=fetcher(channel.clock))
    assert result.outcome == "failed" and "sync-setup" in result.message
    assert sync_state(data)["last_error"] == result.message
    assert result.checked_at == channel.clock.now
