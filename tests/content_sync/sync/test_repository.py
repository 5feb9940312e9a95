"""The channel repository on disk: layout, publishing, pins, the cron re-sign, key rotation, typed errors."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import timedelta
from hashlib import sha256
from pathlib import Path

import pytest
from tuf.api.metadata import Metadata, Root, Snapshot, Targets, Timestamp

from content_sync.sync.repository import (
    SIGNED_AT_FIELD,
    ChannelError,
    ChannelKeyError,
    ChannelRepository,
    ChannelSetupError,
    Expiries,
    GroupError,
    TargetError,
    create,
    open_repository,
    role_for_group,
)
from tests.content_sync.sync.test_tuf_channel import LANZHOU, T0, TIANSHUI, Channel, FakeClock, open_channel, tree


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[Channel]:
    with open_channel(tmp_path) as ch:
        yield ch


def _md(path: Path) -> Metadata:
    return Metadata.from_bytes(path.read_bytes())


def test_create_lays_out_a_static_channel_with_keys_outside_it(tmp_path: Path) -> None:
    clock = FakeClock()
    repo = create(tmp_path / "channel", tmp_path / "keys", clock=clock, groups=(LANZHOU,))
    names = sorted(p.name for p in repo.metadata_dir.iterdir())
    assert names == [
        "1.lanzhou.station.json",
        "1.root.json",
        "1.snapshot.json",
        "1.targets.json",
        "2.snapshot.json",
        "2.targets.json",
        "timestamp.json",
    ]
    root = _md(repo.metadata_dir / "1.root.json").signed
    assert isinstance(root, Root)
    assert root.consistent_snapshot is True
    assert (len(root.roles["root"].keyids), root.roles["root"].threshold) == (2, 2)
    assert root.expires == T0 + timedelta(days=365)
    assert _md(repo.metadata_dir / "timestamp.json").signed.expires == T0 + timedelta(days=1)
    assert _md(repo.metadata_dir / "2.snapshot.json").signed.expires == T0 + timedelta(days=7)
    assert root.unrecognized_fields[SIGNED_AT_FIELD] == "2026-03-01T08:00:00Z"
    keys = sorted(p.name for p in (tmp_path / "keys").iterdir())
    assert keys == ["county-lanzhou.pem", "root-1.pem", "root-2.pem", "snapshot.pem", "targets.pem", "timestamp.pem"]
    for key in (tmp_path / "keys").iterdir():
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    served = b"".join(p.read_bytes() for p in (tmp_path / "channel").rglob("*") if p.is_file())
    assert b"PRIVATE KEY" not in served


def test_a_key_folder_inside_the_served_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ChannelSetupError, match=r"^key folder .* is inside the served folder .*; keep keys apart$"):
        create(tmp_path / "channel", tmp_path / "channel" / "keys", clock=FakeClock())
    assert not (tmp_path / "channel" / "keys").exists()


def test_creating_over_an_existing_channel_is_refused(channel: Channel) -> None:
    before = tree(channel.repo.dir)
    with pytest.raises(ChannelSetupError, match=r"already holds a channel$"):
        create(channel.repo.dir, channel.tmp / "other-keys", clock=channel.clock)
    assert tree(channel.repo.dir) == before


def test_open_refuses_a_folder_that_is_not_a_channel(tmp_path: Path) -> None:
    with pytest.raises(ChannelSetupError, match=r"is not a channel repository"):
        open_repository(tmp_path / "nothing", tmp_path / "keys", clock=FakeClock())


def test_adding_a_target_writes_a_hash_named_immutable_blob_and_new_versions(channel: Channel) -> None:
    repo = channel.repo
    versions = {r: repo._current_version(r) for r in ("lanzhou.station", "targets", "snapshot", "timestamp")}
    first = channel.publish(LANZHOU, "pack-2.kpack", b"first bytes", version="2")
    digest = sha256(b"first bytes").hexdigest()
    assert first.blob == f"targets/lanzhou/station/{digest}.pack-2.kpack"
    assert (repo.dir / first.blob).read_bytes() == b"first bytes"
    assert (first.length, first.sha256, first.custom) == (11, digest, {"version": "2"})
    after = {r: repo._current_version(r) for r in versions}
    assert after == {
        "lanzhou.station": versions["lanzhou.station"] + 1,
        "targets": versions["targets"],
        "snapshot": versions["snapshot"] + 1,
        "timestamp": versions["timestamp"] + 1,
    }
    timestamp = _md(repo.metadata_dir / "timestamp.json").signed
    assert isinstance(timestamp, Timestamp)
    snapshot_file = repo.metadata_dir / f"{timestamp.snapshot_meta.version}.snapshot.json"
    timestamp.snapshot_meta.verify_length_and_hashes(snapshot_file.read_bytes())
    # Publishing the same name again: a new entry, the old blob untouched (caches keep it a year).
    second = channel.publish(LANZHOU, "pack-2.kpack", b"second bytes", version="2b")
    assert (repo.dir / first.blob).read_bytes() == b"first bytes"
    assert (repo.dir / second.blob).read_bytes() == b"second bytes"
    listed = {t.path: t.sha256 for t in repo.listing().groups[LANZHOU]}
    assert listed["lanzhou/station/pack-2.kpack"] == sha256(b"second bytes").hexdigest()


def test_a_target_one_folder_deep_is_allowed_deeper_is_not(channel: Channel) -> None:
    source = channel.tmp / "photo.jpg"
    source.write_bytes(b"jpeg")
    published = channel.repo.add_target(LANZHOU, source, "media/photo.jpg")
    assert published.blob.startswith("targets/lanzhou/station/media/") and published.blob.endswith(".photo.jpg")
    for bad in ("a/b/c.jpg", "../escape.jpg", "/abs.jpg", "sp ace.jpg", "media/"):
        with pytest.raises(TargetError, match=r"^target name .* is not one or two plain file names$"):
            channel.repo.add_target(LANZHOU, source, bad)


def test_a_group_key_missing_is_refused_before_anything_is_written(channel: Channel) -> None:
    (channel.repo.keys.path / "county-lanzhou.pem").unlink()
    channel.repo.keys._signers = None
    source = channel.tmp / "pack-9.kpack"
    source.write_bytes(b"new")
    before = tree(channel.repo.dir)
    with pytest.raises(ChannelKeyError) as refused:
        channel.repo.add_target(LANZHOU, source)
    assert (
        str(refused.value) == f"cannot sign lanzhou.station: 0 of the 1 keys it needs are in {channel.repo.keys.path}"
    )
    assert tree(channel.repo.dir) == before
    channel.repo.add_target(TIANSHUI, source)  # the other county's key still publishes


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda r, f: r.add_target("lanzhou/museum", f), GroupError, "group lanzhou/museum is not in this channel"),
        (
            lambda r, f: r.add_target("Lanzhou/Station", f),
            GroupError,
            "group name 'Lanzhou/Station' is not county/kind",
        ),
        (lambda r, f: r.add_group("lanzhou"), GroupError, "group name 'lanzhou' is not county/kind"),
        (lambda r, f: r.add_group(LANZHOU), GroupError, "group lanzhou/station already exists"),
        (lambda r, f: r.add_group("x/y", threshold=2), GroupError, "group threshold 2 must be between 1 and 1 keys"),
        (lambda r, f: r.add_target(LANZHOU, f.with_name("missing")), TargetError, "target file"),
        (lambda r, f: r.pin(LANZHOU, "nothing.kpack"), TargetError, "group lanzhou/station has no target nothing"),
        (lambda r, f: r.remove_target(LANZHOU, "nothing"), TargetError, "group lanzhou/station has no target nothing"),
        (lambda r, f: r.rotate_key("nokey"), ChannelKeyError, "key file"),
    ],
)
def test_every_refusal_is_a_typed_one_line_error_and_changes_nothing(
    channel: Channel, call, error: type[Exception], message: str
) -> None:
    source = channel.tmp / "file.kpack"
    source.write_bytes(b"x")
    before = tree(channel.repo.dir)
    with pytest.raises(error) as refused:
        call(channel.repo, source)
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)
    assert tree(channel.repo.dir) == before


def test_a_key_that_signs_nothing_cannot_be_rotated(channel: Channel) -> None:
    channel.repo.keys.generate("spare")
    with pytest.raises(ChannelKeyError, match=r"^key spare signs nothing in this channel$"):
        channel.repo.rotate_key("spare")
    assert channel.repo.keys.exists("spare")


def test_pin_marks_exactly_one_target_of_the_group(channel: Channel) -> None:
    channel.publish(LANZHOU, "pack-2.kpack", b"two", version="2")
    channel.repo.pin(LANZHOU, "pack-1.kpack")
    pins = {t.path: t.pinned for t in channel.repo.listing().groups[LANZHOU]}
    assert pins == {"lanzhou/station/pack-1.kpack": True, "lanzhou/station/pack-2.kpack": False}
    channel.repo.pin(LANZHOU, "pack-2.kpack")
    targets = {t.path: t for t in channel.repo.listing().groups[LANZHOU]}
    assert targets["lanzhou/station/pack-2.kpack"].custom == {"version": "2", "pinned": True}
    assert targets["lanzhou/station/pack-1.kpack"].custom == {"version": "1"}
    channel.repo.pin(LANZHOU, None)
    assert not any(t.pinned for t in channel.repo.listing().groups[LANZHOU])
    assert not any(t.pinned for t in channel.repo.listing().groups[TIANSHUI])


def test_remove_target_keeps_the_blob(channel: Channel) -> None:
    (published,) = channel.repo.listing().groups[LANZHOU]
    channel.repo.remove_target(LANZHOU, "pack-1.kpack")
    assert channel.repo.listing().groups[LANZHOU] == ()
    assert (channel.repo.dir / published.blob).exists()


def test_refresh_timestamp_renews_the_timestamp_and_the_snapshot_near_its_expiry(channel: Channel) -> None:
    repo = channel.repo
    snapshot_version = repo._current_version(Snapshot.type)
    version = repo.timestamp().version
    channel.clock.advance(hours=20)
    assert repo.refresh_timestamp() == version + 1
    assert repo.timestamp().expires == channel.clock() + timedelta(days=1)
    assert repo._current_version(Snapshot.type) == snapshot_version  # 7-day snapshot still young
    channel.clock.advance(days=4)
    repo.refresh_timestamp()
    assert repo._current_version(Snapshot.type) == snapshot_version + 1
    assert repo.snapshot().expires == channel.clock() + timedelta(days=7)
    assert repo.timestamp().snapshot_meta.version == snapshot_version + 1


def test_expiries_are_configurable(tmp_path: Path) -> None:
    clock = FakeClock()
    expiries = Expiries(timestamp=timedelta(hours=6), snapshot=timedelta(days=2))
    repo = create(tmp_path / "c", tmp_path / "k", clock=clock, expiries=expiries)
    assert repo.timestamp().expires == T0 + timedelta(hours=6)
    assert repo.snapshot().expires == T0 + timedelta(days=2)


def test_rotating_a_root_key_signs_the_new_root_with_old_and_new_thresholds(channel: Channel) -> None:
    repo = channel.repo
    old_root = repo.root()
    old_id = repo.keys.load("root-1").public_key.keyid
    new_id = repo.rotate_key("root-1")
    new_md = _md(repo.metadata_dir / "2.root.json")
    new_root = new_md.signed
    assert isinstance(new_root, Root)
    assert old_id not in new_root.roles["root"].keyids and new_id in new_root.roles["root"].keyids
    old_root.verify_delegate(Root.type, new_md.signed_bytes, new_md.signatures)
    new_root.verify_delegate(Root.type, new_md.signed_bytes, new_md.signatures)
    assert set(new_md.signatures) == {old_id, new_id, repo.keys.load("root-2").public_key.keyid}
    (retired,) = (repo.keys.path / "retired").iterdir()
    assert retired.name == f"root-1-{old_id[:8]}.pem"


def test_rotating_an_online_key_moves_it_in_root_and_resigns_the_role(channel: Channel) -> None:
    repo = channel.repo
    new_id = repo.rotate_key("timestamp")
    assert repo.root().roles["timestamp"].keyids == [new_id]
    md = _md(repo.metadata_dir / "timestamp.json")
    assert list(md.signatures) == [new_id]
    repo.root().verify_delegate(Timestamp.type, md.signed_bytes, md.signatures)


def test_rotating_a_county_key_redelegates_all_its_groups(channel: Channel) -> None:
    repo = channel.repo
    repo.add_group("lanzhou/museum")
    new_id = repo.rotate_key("county-lanzhou")
    top = repo.targets()
    assert top.delegations is not None and top.delegations.roles is not None
    for group in ("lanzhou/station", "lanzhou/museum"):
        role = role_for_group(group)
        assert top.delegations.roles[role].keyids == [new_id]
        md = _md(repo._file(role, repo._current_version(role)))
        top.verify_delegate(role, md.signed_bytes, md.signatures)
    assert new_id not in top.delegations.roles["tianshui.hotel-room"].keyids


def test_listing_names_every_role_and_group(channel: Channel) -> None:
    listing = channel.repo.listing()
    assert [r.name for r in listing.roles] == [
        "root",
        "targets",
        "snapshot",
        "timestamp",
        "lanzhou.station",
        "tianshui.hotel-room",
    ]
    assert listing.root_file == "metadata/1.root.json"
    assert sorted(listing.groups) == [LANZHOU, TIANSHUI]
    assert [t.path for t in listing.groups[LANZHOU]] == ["lanzhou/station/pack-1.kpack"]
    assert channel.repo.groups() == [LANZHOU, TIANSHUI]


def test_reopened_repository_continues_the_versions(channel: Channel) -> None:
    again = ChannelRepository.open_existing(channel.repo.dir, channel.repo.keys.path, clock=channel.clock)
    version = again.timestamp().version
    assert again.refresh_timestamp() == version + 1
    assert _md(again.metadata_dir / f"{again._current_version(Targets.type)}.targets.json").signed.version >= 1


def test_the_served_folder_holds_no_lock_and_no_temporary_files(channel: Channel) -> None:
    channel.publish(LANZHOU, "pack-2.kpack", b"two")
    channel.repo.refresh_timestamp()
    channel.repo.rotate_key("county-lanzhou")
    hidden = [p for p in channel.repo.dir.rglob(".*")]
    assert hidden == []
    assert (channel.repo.dir.parent / ".channel.lock").exists()


def test_two_writers_on_one_channel_never_reuse_a_version(channel: Channel) -> None:
    """The publisher and the timestamp cron are separate processes; each rereads the folder under the lock."""
    cron = open_repository(channel.repo.dir, channel.repo.keys.path, clock=channel.clock)
    cron.listing()  # cron has read (and cached) the channel as it was
    seen = [channel.repo.timestamp().version]
    for step in range(3):
        channel.publish(LANZHOU, f"pack-{step + 2}.kpack", bytes([step]) * 10)
        seen.append(channel.repo.timestamp().version)
        seen.append(cron.refresh_timestamp())
    assert seen == sorted(set(seen)) and len(seen) == 7
    view = channel.kiosk().refresh()
    assert len(view.targets) == 4


def test_many_groups_are_delegated_in_one_version_of_targets(tmp_path: Path) -> None:
    repo = create(tmp_path / "c", tmp_path / "k", clock=FakeClock())
    before = repo._current_version(Targets.type)
    groups = [f"county{i}/kind{j}" for i in range(5) for j in range(4)]
    repo.add_groups(groups)
    assert repo._current_version(Targets.type) == before + 1
    assert repo.groups() == sorted(groups)
    assert sorted(p.name for p in (tmp_path / "k").glob("county*.pem")) == [f"county-county{i}.pem" for i in range(5)]
    with pytest.raises(GroupError, match=r"^a group is named twice$"):
        repo.add_groups(["x/y", "x/y"])


def test_a_rotation_that_cannot_be_signed_changes_no_key_and_no_metadata(channel: Channel) -> None:
    (channel.repo.keys.path / "root-2.pem").unlink()  # the second root key is in the safe, not here
    channel.repo.keys._signers = None
    keys_before = tree(channel.repo.keys.path)
    served_before = tree(channel.repo.dir)
    with pytest.raises(ChannelKeyError, match=r"^cannot sign root: 1 of the 2 keys it needs are in "):
        channel.repo.rotate_key("timestamp")
    assert tree(channel.repo.keys.path) == keys_before
    assert tree(channel.repo.dir) == served_before


def test_a_rotation_failing_after_the_new_root_keeps_key_files_matching_the_metadata(
    channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ChannelRepository, "do_snapshot", broken)
    with pytest.raises(ChannelError, match=r"^cannot write the channel .*: No space left on device$"):
        channel.repo.rotate_key("timestamp")
    named = channel.repo.root().roles["timestamp"].keyids
    assert named == [channel.repo.keys.load("timestamp").public_key.keyid]
    assert not list(channel.repo.keys.path.glob("*.next.pem"))
    monkeypatch.undo()
    channel.repo.refresh_timestamp()
    assert channel.kiosk().refresh().state == "current"


def test_renew_expiring_resigns_long_lived_roles_whose_keys_are_here(channel: Channel) -> None:
    repo = channel.repo
    (repo.keys.path / "county-tianshui.pem").unlink()  # that county keeps its key at home
    repo.keys._signers = None
    assert repo.renew_expiring(timedelta(days=30)) == ([], [])
    channel.clock.advance(days=340)
    renewed, missing = repo.renew_expiring(timedelta(days=30))
    assert renewed == ["root", "targets", "lanzhou.station"]
    assert missing == ["tianshui.hotel-room"]
    assert repo.root().expires == channel.clock() + timedelta(days=365)
    assert repo.root().version == 2
    kiosk = channel.kiosk()
    channel.clock.advance(days=30)  # past the old expiry of root, targets and lanzhou's role
    repo.refresh_timestamp()
    assert kiosk.refresh().state == "current"


def test_prune_keeps_what_recent_snapshots_name_and_every_root(channel: Channel) -> None:
    repo = channel.repo
    repo.rotate_key("timestamp")  # root v2
    behind = channel.kiosk("behind")
    behind.refresh()
    for step in range(6):
        channel.publish(LANZHOU, f"pack-{step + 2}.kpack", bytes([step]) * 10)
    removed = repo.prune(keep_snapshots=2)
    names = {p.name for p in repo.metadata_dir.iterdir()}
    assert {"1.root.json", "2.root.json", "timestamp.json"} <= names
    newest = repo._current_version("snapshot")
    assert sorted(n for n in names if n.endswith(".snapshot.json")) == [
        f"{newest - 1}.snapshot.json",
        f"{newest}.snapshot.json",
    ]
    assert "1.lanzhou.station.json" in removed and f"{newest - 2}.snapshot.json" in removed
    assert any(n.endswith(".tianshui.hotel-room.json") for n in names)  # unchanged group: its only version stays
    assert behind.refresh().state == "current"
    assert channel.kiosk("new").refresh().state == "current"
    with pytest.raises(ChannelError, match=r"^keep at least one snapshot$"):
        repo.prune(keep_snapshots=0)


def test_create_uses_key_files_the_caller_brings_and_refuses_unreadable_ones(tmp_path: Path) -> None:
    from content_sync.sync.repository import KeyFolder

    keys = KeyFolder(tmp_path / "keys")
    brought = keys.generate("root-1")
    repo = create(tmp_path / "c", tmp_path / "keys", clock=FakeClock())
    assert brought.public_key.keyid in repo.root().roles["root"].keyids
    (tmp_path / "bad-keys").mkdir()
    (tmp_path / "bad-keys" / "root-1.pem").write_text("not a key")
    with pytest.raises(ChannelKeyError, match=r"^key file .*root-1.pem is unreadable: "):
        create(tmp_path / "c2", tmp_path / "bad-keys", clock=FakeClock())
    assert not (tmp_path / "c2" / "metadata").exists()
