"""The kiosk side: offers per group, downloads, following key rotations, the clock, an unreachable channel."""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from content_sync.sync.trust import (
    ChannelClient,
    ChannelConfigError,
    ChannelUnreachable,
    MetadataRefused,
    TrustError,
    last_trusted,
    provision,
)
from tests.content_sync.sync.test_tuf_channel import LANZHOU, T0, TIANSHUI, Channel, FakeClock, open_channel, tree


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[Channel]:
    with open_channel(tmp_path) as ch:
        yield ch


def test_a_kiosk_sees_only_its_groups_targets_and_downloads_them_verified(channel: Channel, tmp_path: Path) -> None:
    channel.publish(LANZHOU, "pack-2.kpack", b"lanzhou v2" * 50, version="2", kind="pack")
    kiosk = channel.kiosk()
    view = kiosk.refresh()
    assert view.state == "current" and view.clock_problem is None
    assert [(t.path, t.name, t.custom) for t in view.targets] == [
        ("lanzhou/station/pack-1.kpack", "pack-1.kpack", {"version": "1"}),
        ("lanzhou/station/pack-2.kpack", "pack-2.kpack", {"version": "2", "kind": "pack"}),
    ]
    second = view.targets[1]
    assert second.length == 500
    dest = kiosk.download(second, tmp_path / "got" / "pack.kpack")
    assert dest.read_bytes() == b"lanzhou v2" * 50
    with urllib.request.urlopen(kiosk.url_of(second)) as answer:  # the URL a resuming downloader uses
        assert answer.read() == b"lanzhou v2" * 50
    assert kiosk.url_of(second).endswith(f"/targets/lanzhou/station/{second.sha256}.pack-2.kpack")
    assert view.expires == T0 + timedelta(days=1) and view.signed == T0
    assert view.message == "channel current until 2026-03-02 08:00 UTC: 2 target(s) for lanzhou/station"
    other = channel.kiosk("hotel", group=TIANSHUI).refresh()
    assert [t.path for t in other.targets] == ["tianshui/hotel-room/pack-1.kpack"]


def test_the_pinned_target_reaches_the_kiosk(channel: Channel) -> None:
    channel.publish(LANZHOU, "pack-2.kpack", b"two", version="2")
    channel.repo.pin(LANZHOU, "pack-1.kpack")
    view = channel.kiosk().refresh()
    assert view.pinned is not None and view.pinned.path == "lanzhou/station/pack-1.kpack"
    assert channel.kiosk("hotel", group=TIANSHUI).refresh().pinned is None


def test_a_kiosk_provisioned_long_ago_follows_every_key_rotation(channel: Channel) -> None:
    early = channel.kiosk("early")  # provisioned with root v1, offline through all the rotations
    steady = channel.kiosk("steady")
    early.refresh()
    steady.refresh()
    for key in ("root-1", "timestamp", "snapshot", "root-2", "targets", "county-lanzhou"):
        channel.repo.rotate_key(key)
        channel.publish(LANZHOU, f"after-{key}.kpack", key.encode(), version=key)
        assert f"lanzhou/station/after-{key}.kpack" in [t.path for t in steady.refresh().targets]
    view = early.refresh()
    assert view.state == "current"
    assert len(view.targets) == 7
    assert last_trusted(early.metadata_dir).root_version == channel.repo.root().version == 6
    late = channel.kiosk("late", root_version=1)  # a kiosk provisioned today from an old root file
    assert len(late.refresh().targets) == 7


def test_a_kiosk_recovers_from_a_fast_forward_once_the_timestamp_key_is_rotated(channel: Channel) -> None:
    kiosk = channel.kiosk()
    kiosk.refresh()
    # The timestamp key leaks; a mirror serves a timestamp far ahead, which the kiosk must accept.
    genuine = (channel.meta_dir / "timestamp.json").read_bytes()
    channel.forge("timestamp", lambda t: setattr(t, "version", 10**6))
    assert kiosk.refresh().timestamp_version == 10**6
    (channel.meta_dir / "timestamp.json").write_bytes(genuine)  # the platform's own copy never had it
    channel.repo.rotate_key("timestamp")  # the operator's answer: a new root with a new timestamp key
    channel.publish(LANZHOU, "pack-2.kpack", b"after the incident")
    view = kiosk.refresh()
    assert view.state == "current" and view.timestamp_version < 100
    assert "lanzhou/station/pack-2.kpack" in [t.path for t in view.targets]


def test_expiry_is_judged_by_the_injected_clock_not_the_wall_clock(tmp_path: Path) -> None:
    """python-tuf reads the wall clock when an Updater is made; trust.py replaces that reference time."""
    far = FakeClock(datetime(2031, 6, 1, 8, 0, tzinfo=UTC))
    with open_channel(tmp_path, far) as channel:
        kiosk = channel.kiosk()
        assert kiosk.refresh().state == "current"
        far.advance(days=1, minutes=1)
        assert kiosk.refresh().state == "stale"
    near = FakeClock(datetime(2025, 6, 1, 8, 0, tzinfo=UTC))
    with open_channel(tmp_path / "near", near) as channel:
        channel.clock.now = datetime(2025, 6, 1, 8, 0, tzinfo=UTC) + timedelta(hours=23)
        assert channel.kiosk().refresh().state == "current"


@pytest.mark.parametrize(
    ("device_time", "says"),
    [
        (datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC), "device clock reads 1970-01-01 00:00 UTC, which cannot be right"),
        (datetime(2099, 12, 31, 23, 0, tzinfo=UTC), "device clock reads 2099-12-31 23:00 UTC, which cannot be right"),
        (T0 - timedelta(days=30), "device clock reads 2026-01-30 08:00 UTC, before the channel signed its metadata"),
    ],
    ids=["no-rtc-1970", "corrupt-2099", "a-month-behind"],
)
def test_a_clearly_wrong_device_clock_is_reported_and_does_not_brick_updates(
    channel: Channel, device_time: datetime, says: str
) -> None:
    kiosk = channel.kiosk()
    kiosk.refresh()  # the kiosk has seen the channel's signed time once
    channel.publish(LANZHOU, "pack-2.kpack", b"two")
    kiosk.clock = lambda: device_time
    view = kiosk.refresh()
    assert view.state == "current"
    assert "lanzhou/station/pack-2.kpack" in [t.path for t in view.targets]
    assert view.clock_problem is not None and view.clock_problem.startswith(says)
    assert "\n" not in view.clock_problem


def test_a_fresh_kiosk_with_a_1970_clock_still_gets_its_first_content(channel: Channel) -> None:
    kiosk = channel.kiosk()
    kiosk.clock = lambda: datetime(1970, 1, 1, tzinfo=UTC)
    view = kiosk.refresh()
    assert view.state == "current" and len(view.targets) == 1
    assert view.clock_problem is not None and "2026-03-01 08:00 UTC" in view.clock_problem


def test_with_a_wrong_clock_rollback_is_still_refused(channel: Channel) -> None:
    """A broken clock weakens only freeze detection (expiry is judged at the newest signed time
    the kiosk verified); versions still only go forward."""
    kiosk = channel.kiosk()
    old_timestamp = (channel.meta_dir / "timestamp.json").read_bytes()
    channel.clock.advance(days=3)
    channel.repo.refresh_timestamp()
    kiosk.refresh()
    (channel.meta_dir / "timestamp.json").write_bytes(old_timestamp)
    kiosk.clock = lambda: datetime(2099, 1, 1, tzinfo=UTC)
    before = tree(kiosk.metadata_dir)
    with pytest.raises(MetadataRefused, match="wrong version, a rollback"):
        kiosk.refresh()
    assert tree(kiosk.metadata_dir) == before


def test_an_unreachable_channel_is_one_line_and_changes_nothing(channel: Channel, tmp_path: Path) -> None:
    kiosk = channel.kiosk()
    kiosk.refresh()
    before = tree(kiosk.metadata_dir)
    lost = ChannelClient(kiosk.metadata_dir, channel.url + "/no-such-channel", LANZHOU, clock=channel.clock)
    with pytest.raises(ChannelUnreachable, match=r"^channel unreachable: HTTP 404 \(") as refused:
        lost.refresh()
    assert "\n" not in str(refused.value)
    closed = ChannelClient(kiosk.metadata_dir, "http://127.0.0.1:9", LANZHOU, clock=channel.clock)
    with pytest.raises(ChannelUnreachable, match=r"^channel unreachable: "):
        closed.refresh()
    assert tree(kiosk.metadata_dir) == before


def test_a_kiosk_without_root_metadata_is_told_to_provision(tmp_path: Path) -> None:
    client = ChannelClient(tmp_path / "metadata", "http://127.0.0.1:9", LANZHOU, clock=FakeClock())
    with pytest.raises(ChannelConfigError, match=r"^no root.json in .*: provision the kiosk"):
        client.refresh()


def test_provisioning_refuses_a_non_root_file_and_a_second_root(channel: Channel, tmp_path: Path) -> None:
    with pytest.raises(ChannelConfigError, match=r"is not a channel's root metadata$"):
        provision(tmp_path / "k1", channel.meta_dir / "timestamp.json")
    provision(tmp_path / "k2", channel.meta_dir / "1.root.json")
    with pytest.raises(ChannelConfigError, match=r"already trusts a channel root"):
        provision(tmp_path / "k2", channel.meta_dir / "1.root.json")


def test_a_swap_cut_by_power_loss_is_recovered(channel: Channel) -> None:
    kiosk = channel.kiosk()
    kiosk.refresh()
    folder = kiosk.metadata_dir
    old = folder.with_name(".metadata.old")
    new = folder.with_name(".metadata.new")
    shutil.copytree(folder, new, symlinks=True)
    folder.rename(old)  # the cut: the old folder moved aside, the new one not yet in place
    assert last_trusted(folder).timestamp_version >= 1
    assert folder.is_dir() and not old.exists() and not new.exists()
    assert kiosk.refresh().state == "current"


def test_last_trusted_reads_the_device_without_the_network(channel: Channel) -> None:
    kiosk = channel.kiosk()
    assert last_trusted(kiosk.metadata_dir).timestamp_version == 0
    view = kiosk.refresh()
    state = last_trusted(kiosk.metadata_dir)
    assert (state.root_version, state.timestamp_version, state.expires, state.signed) == (
        1,
        view.timestamp_version,
        T0 + timedelta(days=1),
        T0,
    )


def test_a_second_refresh_at_the_same_time_is_refused_not_interleaved(channel: Channel) -> None:
    import fcntl

    kiosk = channel.kiosk()
    kiosk.refresh()
    before = tree(kiosk.metadata_dir)
    with open(kiosk.metadata_dir.with_name(".metadata.lock"), "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(TrustError, match=r"^another sync is refreshing this kiosk's channel metadata; try again$"):
            kiosk.refresh()
    assert tree(kiosk.metadata_dir) == before
    assert kiosk.refresh().state == "current"


def test_the_view_and_the_listing_serialise_to_json_for_operators(channel: Channel) -> None:
    import json

    channel.repo.pin(LANZHOU, "pack-1.kpack")
    view = json.loads(json.dumps(channel.kiosk().refresh().to_json()))
    assert view["state"] == "current" and view["pinned"] == "lanzhou/station/pack-1.kpack"
    assert view["expires"] == "2026-03-02T08:00:00Z" and view["signed"] == "2026-03-01T08:00:00Z"
    assert view["targets"][0]["custom"] == {"version": "1", "pinned": True}
    listing = json.loads(json.dumps(channel.repo.listing().to_json()))
    assert listing["root_file"] == "metadata/1.root.json"
    assert [r["name"] for r in listing["roles"]][:4] == ["root", "targets", "snapshot", "timestamp"]
    assert listing["groups"]["tianshui/hotel-room"][0]["path"] == "tianshui/hotel-room/pack-1.kpack"
