"""Staged roll-outs and rollback pins, end to end: packs published with publish.py, the signed
``custom.rollout`` set and moved with ``set_rollout``, served by a real nginx, synced by real
kiosk data directories with ``agent.run_cycle`` and installed by the real installer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import rollout_bucket, run_cycle, setup, takes_rollout
from content_sync.sync.layout import read_entry
from content_sync.sync.publish import PublishError, pin_version, publish_pack, set_rollout, target_custom

from .agent_harness import LANZHOU, Channel, change_venue_text, fetcher, installed, make_channel
from .nginx_server import NginxServer


def _device_id(n: int) -> str:
    return hashlib.sha256(f"kiosk-{n}".encode()).hexdigest()[:32]


def _kiosk(channel: Channel, device_id: str, url: str, signing_key: SigningKey) -> DataDir:
    """A provisioned kiosk whose device id (device.db) is ``device_id``, as a platform registers it."""
    data = DataDir(channel.tmp / device_id)
    data.root.mkdir()
    with DeviceState(data.device_db) as device:
        device.trust(signing_key.public)
    setup(data, url, LANZHOU, channel.root_file, device_id=device_id, clock=channel.clock)
    return data


def test_the_rule_is_the_one_the_platform_computes() -> None:
    rid, dev = "r-7", _device_id(1)
    bucket = int(hashlib.sha256(f"{rid}:{dev}".encode()).hexdigest()[:8], 16) % 10000
    assert rollout_bucket(rid, dev) == bucket
    assert takes_rollout({"id": rid, "devices": [], "percent": bucket / 100 + 0.01}, dev)
    assert not takes_rollout({"id": rid, "devices": [], "percent": bucket / 100}, dev)
    assert takes_rollout({"id": rid, "devices": [dev], "percent": 0}, dev)
    assert takes_rollout(None, dev) and takes_rollout({"id": rid, "percent": 100}, None)
    assert not takes_rollout({"id": rid, "percent": 50}, None)  # no device id: only a full roll-out
    for unreadable in ("all", {"percent": 100, "id": ""}, {"id": rid, "percent": True}, {"id": rid, "percent": "50"}):
        assert not takes_rollout(unreadable, dev)  # a staged pack never spreads further than meant


def test_an_old_kiosk_reads_a_rollout_pack_as_an_ordinary_pack() -> None:
    """Kiosks from before roll-outs ignore unknown ``custom`` keys: they take the pack at once."""
    custom = {"kind": "pack", "pack_id": "p", "content_version": 3, "channel": "stable", "rollout": {"id": "r"}}
    entry = read_entry("g/packs/p-3.kpack", custom)
    assert entry is not None and entry.content_version == 3


def test_kiosks_in_the_wave_take_the_pack_and_the_others_ignore_it(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    v2 = make_pack(mini_source, version=2)
    rid = "lanzhou-2"
    canary, *others = (_device_id(n) for n in range(4))
    early, late, last = sorted(others, key=lambda d: rollout_bucket(rid, d))
    wave_percent = rollout_bucket(rid, early) // 100 + 1  # draws ``early``
    assert rollout_bucket(rid, late) >= wave_percent * 100, "pick other ids: late must fall outside the wave"
    with NginxServer(channel.dir) as nginx:
        kiosks = {d: _kiosk(channel, d, nginx.url, signing_key) for d in (canary, early, late, last)}
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        for data in kiosks.values():
            assert run_cycle(data, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"

        publish_pack(channel.repo, LANZHOU, v2, trusted)
        set_rollout(channel.repo, LANZHOU, 2, {"id": rid, "devices": [canary], "percent": 0})
        assert target_custom(channel.repo, LANZHOU, 2)["rollout"] == {"id": rid, "devices": [canary], "percent": 0}
        results = {d: run_cycle(k, clock=channel.clock, fetcher=fetcher(channel.clock)) for d, k in kiosks.items()}
        assert results[canary].outcome == "installed" and installed(kiosks[canary])[0] == 2
        for d in (early, late, last):
            assert results[d].outcome == "up-to-date", results[d].message
            assert installed(kiosks[d])[0] == 1  # as if version 2 were not there

        set_rollout(channel.repo, LANZHOU, 2, {"id": rid, "devices": [canary], "percent": wave_percent})
        results = {d: run_cycle(k, clock=channel.clock, fetcher=fetcher(channel.clock)) for d, k in kiosks.items()}
        assert results[early].outcome == "installed" and installed(kiosks[early])[0] == 2
        assert results[canary].outcome == "up-to-date"
        assert installed(kiosks[late])[0] == 1 and installed(kiosks[last])[0] == 1
        fetched = [r.uri for r in nginx.requests() if r.uri.endswith(("mini-test-2.kpack", "-1-to-2.kdelta"))]
        assert len(fetched) == 2, fetched  # the canary's and the drawn kiosk's downloads (a delta) only

        set_rollout(channel.repo, LANZHOU, 2, None)  # the last wave: everyone
        assert "rollout" not in target_custom(channel.repo, LANZHOU, 2)
        for data in kiosks.values():
            run_cycle(data, clock=channel.clock, fetcher=fetcher(channel.clock))
            assert installed(data)[0] == 2


def test_a_rollback_pin_moves_a_kiosk_back_and_clearing_it_moves_it_forward(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    trusted = [signing_key.public]
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    v2 = make_pack(mini_source, version=2)
    with NginxServer(channel.dir) as nginx:
        old_hand = _kiosk(channel, _device_id(10), nginx.url, signing_key)
        newcomer = _kiosk(channel, _device_id(11), nginx.url, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, trusted)
        assert run_cycle(old_hand, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        publish_pack(channel.repo, LANZHOU, v2, trusted)
        for data in (old_hand, newcomer):
            assert run_cycle(data, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
            assert installed(data)[0] == 2

        pin_version(channel.repo, LANZHOU, 1, rollback=True)
        custom = target_custom(channel.repo, LANZHOU, 1)
        assert custom["pinned"] is True and custom["rollback"] is True
        back = run_cycle(old_hand, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert back.outcome == "installed" and "rolled back to content version 1" in back.message, back.message
        assert back.installed_version == 1 and back.previous_version == 2
        version, venues = installed(old_hand)
        assert version == 1 and "repainted" not in " ".join(venues.values())
        with DeviceState(old_hand.device_db, readonly=True) as device:
            assert device.install_log(1)[0].message == "rolled back by the channel's pin"
        again = run_cycle(old_hand, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert again.outcome == "up-to-date" and "pinned" in again.message

        # A kiosk that never kept version 1 cannot go back by itself (the installer refuses older packs).
        held = run_cycle(newcomer, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert held.outcome == "held" and "no longer keeps" in held.message
        assert installed(newcomer)[0] == 2

        pin_version(channel.repo, LANZHOU, None)
        assert "rollback" not in target_custom(channel.repo, LANZHOU, 1)
        forward = run_cycle(old_hand, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert forward.outcome == "installed", forward.message
        assert installed(old_hand)[0] == 2


def test_a_plain_pin_still_holds_and_bad_rollouts_are_refused(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    publish_pack(channel.repo, LANZHOU, make_pack(mini_source, version=1), [signing_key.public])
    pin_version(channel.repo, LANZHOU, 1)
    assert "rollback" not in target_custom(channel.repo, LANZHOU, 1)
    before = (channel.dir / "metadata" / "timestamp.json").read_bytes()
    for bad in ({"id": "x y"}, {"id": "r", "devices": ["kiosk-a"]}, {"id": "r", "percent": 101}):
        with pytest.raises(PublishError):
            set_rollout(channel.repo, LANZHOU, 1, bad)
    with pytest.raises(PublishError, match="no published pack of content version 9"):
        set_rollout(channel.repo, LANZHOU, 9, {"id": "r"})
    assert (channel.dir / "metadata" / "timestamp.json").read_bytes() == before  # nothing signed on refusal


def test_a_heartbeat_names_the_version_a_kiosk_could_not_take(tmp_path: Path) -> None:
    """What a platform's roll-out counts as a failure: a failed install, or a return from a version that crashed."""
    from content_sync.device.fallback import FAILED_SETTING
    from content_sync.device.outbox import heartbeat_data

    with DeviceState(tmp_path / "device.db") as state:
        state.set_sync("last_outcome", "up-to-date")
        assert "failed_install" not in heartbeat_data(state, tmp_path, software_version="1", content_version=1,
                                                      uptime_s=1)["sync"]  # fmt: skip
        state.log_install("channel g: packs/p-2.kpack", "p", 2, False, "refused: the pack is malformed (KeyError)")
        state.set(FAILED_SETTING, {"pack_id": "p", "content_version": 3, "why": "the content database is damaged"})
        sync = heartbeat_data(state, tmp_path, software_version="1", content_version=1, uptime_s=1)["sync"]
        assert sync["failed_install"] == {"content_version": 2, "message": "refused: the pack is malformed (KeyError)"}
        assert sync["fell_back_from"] == 3
        state.log_install("channel g: packs/p-4.kpack", "p", 4, True, "installed from the channel")
        sync = heartbeat_data(state, tmp_path, software_version="1", content_version=4, uptime_s=1)["sync"]
        assert "failed_install" not in sync  # the newest attempt worked


def test_a_pack_published_with_a_rollout_never_appears_unstaged(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    canary = _device_id(20)
    result = publish_pack(
        channel.repo, LANZHOU, make_pack(mini_source, version=1), [signing_key.public],
        rollout={"id": "first", "devices": [canary], "percent": 0},
    )  # fmt: skip
    assert result.content_version == 1
    custom = target_custom(channel.repo, LANZHOU, 1)
    assert custom["rollout"] == {"id": "first", "devices": [canary], "percent": 0}
    assert custom["kind"] == "pack" and custom["content_version"] == 1  # the rest as before
    with pytest.raises(PublishError, match="percent"):
        publish_pack(
            channel.repo, LANZHOU, make_pack(mini_source, version=2), [signing_key.public],
            rollout={"id": "second", "percent": 150},
        )  # fmt: skip
    with pytest.raises(PublishError, match="no published pack of content version 2"):
        target_custom(channel.repo, LANZHOU, 2)  # refused before anything was signed
