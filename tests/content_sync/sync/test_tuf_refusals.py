"""TUF's attack classes against a kiosk: every forged channel is refused with one line, trust unchanged.

Each case starts from a channel served on loopback and a kiosk that trusts it, then changes
the served folder the way an attacker (or a broken mirror) would, signing with the channel's
own, retired or foreign keys through python-tuf's Metadata API. The kiosk's refresh must
raise a one-line error naming the problem, and its metadata folder must be byte-for-byte
what it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Key, Metadata, Root, TargetFile

from content_sync.sync.trust import ChannelClient, ChannelConfigError, MetadataRefused, TrustError
from tests.content_sync.sync.test_tuf_channel import LANZHOU, TIANSHUI, Channel, open_channel, tree


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[Channel]:
    with open_channel(tmp_path) as ch:
        yield ch


Attack = Callable[[Channel, ChannelClient], None]


def _noop(_: Any) -> None:
    pass


def _later(ch: Channel, hours: float = -1) -> Callable[[Any], None]:
    def mutate(signed: Any) -> None:
        signed.expires = ch.clock() + timedelta(hours=hours)

    return mutate


def _add_target(path: str) -> Callable[[Any], None]:
    def mutate(signed: Any) -> None:
        signed.targets[path] = TargetFile.from_data(path, b"not what the county published", ["sha256"])

    return mutate


def _one_second_earlier(signed: Any) -> None:
    """Changes the signed bytes but not their length (so the hash, not the length, gives it away)."""
    signed.expires = signed.expires - timedelta(seconds=1)


def _raw_sign(doc: dict[str, Any], *signers: CryptoSigner) -> bytes:
    """Sign a hand-broken document the way TUF does (canonical JSON of ``signed``): only for malformed cases."""
    payload = encode_canonical(doc["signed"]).encode()  # type: ignore[union-attr]
    doc["signatures"] = [signer.sign(payload).to_dict() for signer in signers]
    return json.dumps(doc).encode()


# -- rollback ---------------------------------------------------------------------------------


def rollback_timestamp(ch: Channel, kiosk: ChannelClient) -> None:
    old = (ch.meta_dir / "timestamp.json").read_bytes()
    ch.publish()
    kiosk.refresh()
    (ch.meta_dir / "timestamp.json").write_bytes(old)


def rollback_snapshot_version_in_timestamp(ch: Channel, kiosk: ChannelClient) -> None:
    old_snapshot = ch.current("snapshot")
    ch.publish()
    kiosk.refresh()
    ch.retimestamp(old_snapshot)


def rollback_targets_version_in_snapshot(ch: Channel, kiosk: ChannelClient) -> None:
    old_targets = ch.current("targets")
    ch.repo.add_group("lanzhou/museum")
    kiosk.refresh()
    ch.relist("targets", old_targets)


def rollback_group_version_in_snapshot(ch: Channel, kiosk: ChannelClient) -> None:
    old_group = ch.current("lanzhou.station")
    ch.publish()
    kiosk.refresh()
    ch.relist("lanzhou.station", old_group)


def rollback_root(ch: Channel, kiosk: ChannelClient) -> None:
    ch.repo.rotate_key("timestamp")  # root v2, signed by the same root keys as v1
    kiosk.refresh()
    (ch.meta_dir / "3.root.json").write_bytes((ch.meta_dir / "1.root.json").read_bytes())


def snapshot_drops_a_role(ch: Channel, kiosk: ChannelClient) -> None:
    snapshot = ch.forge("snapshot", lambda s: s.meta.pop("tianshui.hotel-room.json"))
    ch.retimestamp(snapshot)


def group_file_older_than_listed(ch: Channel, kiosk: ChannelClient) -> None:
    current = ch.current("lanzhou.station")
    version = ch.load(current).signed.version
    replay = ch.repo._file("lanzhou.station", version + 1)
    replay.write_bytes(current.read_bytes())
    ch.relist("lanzhou.station", replay, version=version + 1)


# -- freeze (expired metadata behind a fresh timestamp) ------------------------------------------


def expired_snapshot(ch: Channel, kiosk: ChannelClient) -> None:
    ch.clock.advance(days=8)
    ch.retimestamp(ch.current("snapshot"))


def expired_targets(ch: Channel, kiosk: ChannelClient) -> None:
    ch.relist("targets", ch.forge("targets", _later(ch)))


def expired_group_role(ch: Channel, kiosk: ChannelClient) -> None:
    ch.relist("lanzhou.station", ch.forge("lanzhou.station", _later(ch)))


def expired_root(ch: Channel, kiosk: ChannelClient) -> None:
    ch.clock.advance(days=366)
    ch.repo.refresh_timestamp()


# -- mix and match -------------------------------------------------------------------------------


def snapshot_swapped_same_version(ch: Channel, kiosk: ChannelClient) -> None:
    ch.publish()
    ch.forge("snapshot", _one_second_earlier, new_version=False)


def group_role_swapped_same_version(ch: Channel, kiosk: ChannelClient) -> None:
    ch.publish()
    ch.forge("lanzhou.station", _one_second_earlier, new_version=False)


def targets_swapped_same_version(ch: Channel, kiosk: ChannelClient) -> None:
    ch.repo.add_group("lanzhou/museum")
    ch.forge("targets", _one_second_earlier, new_version=False)


# -- fast-forward --------------------------------------------------------------------------------


def fast_forward_with_rotated_out_timestamp_key(ch: Channel, kiosk: ChannelClient) -> None:
    ch.repo.rotate_key("timestamp")
    kiosk.refresh()
    ch.forge("timestamp", lambda t: setattr(t, "version", 10**6), ch.key("retired:timestamp"))


def fast_forward_snapshot_with_rotated_out_key(ch: Channel, kiosk: ChannelClient) -> None:
    ch.repo.rotate_key("snapshot")
    kiosk.refresh()
    snapshot = ch.forge("snapshot", lambda s: setattr(s, "version", 10**6), ch.key("retired:snapshot"))
    ch.retimestamp(snapshot)


# -- endless data --------------------------------------------------------------------------------


def huge_timestamp(ch: Channel, kiosk: ChannelClient) -> None:
    path = ch.meta_dir / "timestamp.json"
    path.write_bytes(path.read_bytes() + b" " * 20_000)


def huge_next_root(ch: Channel, kiosk: ChannelClient) -> None:
    (ch.meta_dir / "2.root.json").write_bytes(b"{" + b" " * 600_000 + b"}")


def snapshot_longer_than_signed(ch: Channel, kiosk: ChannelClient) -> None:
    ch.publish()
    path = ch.current("snapshot")
    path.write_bytes(path.read_bytes() + b" " * 100)


def group_role_longer_than_signed(ch: Channel, kiosk: ChannelClient) -> None:
    ch.publish()
    path = ch.current("lanzhou.station")
    path.write_bytes(path.read_bytes() + b" " * 100)


# -- signatures ----------------------------------------------------------------------------------


def timestamp_by_unknown_key(ch: Channel, kiosk: ChannelClient) -> None:
    ch.forge("timestamp", _noop, CryptoSigner.generate_ed25519())


def snapshot_by_timestamp_key(ch: Channel, kiosk: ChannelClient) -> None:
    ch.retimestamp(ch.forge("snapshot", _noop, ch.key("timestamp")))


def targets_by_county_key(ch: Channel, kiosk: ChannelClient) -> None:
    ch.relist("targets", ch.forge("targets", _noop, ch.key("county-lanzhou")))


def group_by_another_countys_key(ch: Channel, kiosk: ChannelClient) -> None:
    path = ch.forge("lanzhou.station", _add_target("lanzhou/station/evil.kpack"), ch.key("county-tianshui"))
    ch.relist("lanzhou.station", path)


def group_by_rotated_out_key(ch: Channel, kiosk: ChannelClient) -> None:
    ch.repo.rotate_key("county-lanzhou")
    kiosk.refresh()
    path = ch.forge("lanzhou.station", _add_target("lanzhou/station/evil.kpack"), ch.key("retired:county-lanzhou"))
    ch.relist("lanzhou.station", path)


def signature_bytes_altered(ch: Channel, kiosk: ChannelClient) -> None:
    path = ch.forge("timestamp", _noop)
    md = ch.load(path)
    for signature in md.signatures.values():
        last = signature.signature[-1]
        signature.signature = signature.signature[:-1] + ("0" if last != "0" else "1")
    path.write_bytes(md.to_bytes())


def payload_changed_after_signing(ch: Channel, kiosk: ChannelClient) -> None:
    path = ch.forge("timestamp", _noop)
    md = ch.load(path)
    md.signed.version += 1
    path.write_bytes(md.to_bytes())


def root_below_old_threshold(ch: Channel, kiosk: ChannelClient) -> None:
    md = ch.load(ch.meta_dir / "1.root.json")
    md.signed.version = 2
    ch.write(md, ch.meta_dir / "2.root.json", ch.key("root-1"))


def root_not_signed_by_its_new_keys(ch: Channel, kiosk: ChannelClient) -> None:
    md: Metadata[Root] = ch.load(ch.meta_dir / "1.root.json")
    root = md.signed
    root.version = 2
    for keyid in list(root.roles["root"].keyids):
        root.revoke_key(keyid, "root")
    for _ in range(2):
        root.add_key(CryptoSigner.generate_ed25519().public_key, "root")
    ch.write(md, ch.meta_dir / "2.root.json", ch.key("root-1"), ch.key("root-2"))


def root_one_key_signing_twice(ch: Channel, kiosk: ChannelClient) -> None:
    md = ch.load(ch.meta_dir / "1.root.json")
    md.signed.version = 2
    doc = md.to_dict()
    data = _raw_sign(doc, ch.key("root-1"), ch.key("root-1"))
    (ch.meta_dir / "2.root.json").write_bytes(data)


def root_by_rotated_out_root_key(ch: Channel, kiosk: ChannelClient) -> None:
    ch.repo.rotate_key("root-1")
    kiosk.refresh()
    md = ch.load(ch.meta_dir / "2.root.json")
    md.signed.version = 3
    ch.write(md, ch.meta_dir / "3.root.json", ch.key("retired:root-1"), ch.key("root-2"))


def root_adding_attacker_key_without_root_keys(ch: Channel, kiosk: ChannelClient) -> None:
    md: Metadata[Root] = ch.load(ch.meta_dir / "1.root.json")
    attacker = CryptoSigner.generate_ed25519()
    md.signed.version = 2
    md.signed.add_key(Key.from_dict(attacker.public_key.keyid, attacker.public_key.to_dict()), "timestamp")
    ch.write(md, ch.meta_dir / "2.root.json", ch.key("timestamp"), ch.key("targets"))


# -- a delegation overreaching its group ---------------------------------------------------------


def group_lists_another_groups_target(ch: Channel, kiosk: ChannelClient) -> None:
    path = ch.forge("lanzhou.station", _add_target("tianshui/hotel-room/evil.kpack"))
    ch.relist("lanzhou.station", path)


def group_lists_a_path_deeper_than_delegated(ch: Channel, kiosk: ChannelClient) -> None:
    path = ch.forge("lanzhou.station", _add_target("lanzhou/station/a/b/evil.kpack"))
    ch.relist("lanzhou.station", path)


# -- malformed ------------------------------------------------------------------------------------


def timestamp_not_json(ch: Channel, kiosk: ChannelClient) -> None:
    (ch.meta_dir / "timestamp.json").write_bytes(b'{"signed": {"_type": "timestamp", ')


def snapshot_served_as_timestamp(ch: Channel, kiosk: ChannelClient) -> None:
    md = ch.load(ch.current("snapshot"))
    md.signed.version = 99
    ch.write(md, ch.meta_dir / "timestamp.json", ch.key("timestamp"))


def unknown_role_type(ch: Channel, kiosk: ChannelClient) -> None:
    doc = json.loads((ch.meta_dir / "timestamp.json").read_bytes())
    doc["signed"]["_type"] = "mirrors"
    doc["signed"]["version"] += 1
    (ch.meta_dir / "timestamp.json").write_bytes(_raw_sign(doc, ch.key("timestamp")))


def unsupported_spec_version(ch: Channel, kiosk: ChannelClient) -> None:
    ch.forge("timestamp", lambda t: setattr(t, "spec_version", "2.0.0"))


def negative_version(ch: Channel, kiosk: ChannelClient) -> None:
    doc = json.loads((ch.meta_dir / "timestamp.json").read_bytes())
    doc["signed"]["version"] = -1
    (ch.meta_dir / "timestamp.json").write_bytes(_raw_sign(doc, ch.key("timestamp")))


def expiry_not_a_date(ch: Channel, kiosk: ChannelClient) -> None:
    doc = json.loads((ch.meta_dir / "timestamp.json").read_bytes())
    doc["signed"]["version"] += 1
    doc["signed"]["expires"] = "tomorrow"
    (ch.meta_dir / "timestamp.json").write_bytes(_raw_sign(doc, ch.key("timestamp")))


def group_targets_field_malformed(ch: Channel, kiosk: ChannelClient) -> None:
    current = ch.current("lanzhou.station")
    doc = json.loads(current.read_bytes())
    version = doc["signed"]["version"] + 1
    doc["signed"]["version"] = version
    doc["signed"]["targets"] = ["lanzhou/station/pack-1.kpack"]
    path = ch.repo._file("lanzhou.station", version)
    path.write_bytes(_raw_sign(doc, ch.key("county-lanzhou")))
    ch.relist("lanzhou.station", path, version=version)


CASES: list[tuple[Attack, str]] = [
    (rollback_timestamp, "wrong version"),
    (rollback_snapshot_version_in_timestamp, "snapshot version must be >="),
    (rollback_targets_version_in_snapshot, "wrong version"),
    (rollback_group_version_in_snapshot, "wrong version"),
    (rollback_root, "Expected root version 3 instead got version 1"),
    (snapshot_drops_a_role, "missing info for 'tianshui.hotel-room.json'"),
    (group_file_older_than_listed, "Expected lanzhou.station v"),
    (expired_snapshot, "snapshot.json is expired"),
    (expired_targets, "targets is expired"),
    (expired_group_role, "lanzhou.station is expired"),
    (expired_root, "root.json is expired"),
    (snapshot_swapped_same_version, "length or hash differs"),
    (group_role_swapped_same_version, "length or hash differs"),
    (targets_swapped_same_version, "length or hash differs"),
    (fast_forward_with_rotated_out_timestamp_key, "not signed by enough trusted keys"),
    (fast_forward_snapshot_with_rotated_out_key, "not signed by enough trusted keys"),
    (huge_timestamp, "more bytes than allowed"),
    (huge_next_root, "more bytes than allowed"),
    (snapshot_longer_than_signed, "more bytes than allowed"),
    (group_role_longer_than_signed, "more bytes than allowed"),
    (timestamp_by_unknown_key, "not signed by enough trusted keys"),
    (snapshot_by_timestamp_key, "not signed by enough trusted keys"),
    (targets_by_county_key, "not signed by enough trusted keys"),
    (group_by_another_countys_key, "not signed by enough trusted keys"),
    (group_by_rotated_out_key, "not signed by enough trusted keys"),
    (signature_bytes_altered, "not signed by enough trusted keys"),
    (payload_changed_after_signing, "not signed by enough trusted keys"),
    (root_below_old_threshold, "not signed by enough trusted keys"),
    (root_not_signed_by_its_new_keys, "not signed by enough trusted keys"),
    (root_one_key_signing_twice, "malformed metadata (Multiple signatures found for keyid"),
    (root_by_rotated_out_root_key, "not signed by enough trusted keys"),
    (root_adding_attacker_key_without_root_keys, "not signed by enough trusted keys"),
    (group_lists_another_groups_target, "lists tianshui/hotel-room/evil.kpack, outside the group"),
    (group_lists_a_path_deeper_than_delegated, "lists lanzhou/station/a/b/evil.kpack, outside the group"),
    (timestamp_not_json, "malformed metadata (Expecting property name"),
    (snapshot_served_as_timestamp, "Expected 'timestamp', got 'snapshot'"),
    (unknown_role_type, 'malformed metadata (unrecognized metadata type "mirrors")'),
    (unsupported_spec_version, "malformed metadata (Unsupported spec_version 2.0.0)"),
    (negative_version, "malformed metadata (version must be > 0, got -1)"),
    (expiry_not_a_date, "malformed metadata (time data 'tomorrow'"),
    (group_targets_field_malformed, "malformed metadata"),
]


@pytest.mark.parametrize(("attack", "expected"), CASES, ids=[attack.__name__ for attack, _ in CASES])
def test_forged_channel_is_refused_and_trust_is_unchanged(channel: Channel, attack: Attack, expected: str) -> None:
    kiosk = channel.kiosk()
    kiosk.refresh()
    attack(channel, kiosk)
    before = tree(kiosk.metadata_dir)
    with pytest.raises(MetadataRefused) as refused:
        kiosk.refresh()
    message = str(refused.value)
    assert "\n" not in message and message.startswith("channel metadata refused")
    assert expected in message
    assert tree(kiosk.metadata_dir) == before
    assert not (kiosk.metadata_dir.parent / ".metadata.new").exists()
    assert not (kiosk.metadata_dir.parent / ".metadata.old").exists()


def test_there_are_at_least_thirty_refused_cases() -> None:
    assert len(CASES) >= 30
    assert len({attack.__name__ for attack, _ in CASES}) == len(CASES)


# -- freeze: an expired timestamp is a state, not a failure --------------------------------------


def test_expired_timestamp_is_stale_state_with_no_offers(channel: Channel) -> None:
    kiosk = channel.kiosk()
    fresh = kiosk.refresh()
    assert fresh.state == "current" and fresh.targets
    channel.clock.advance(days=2)
    before = tree(kiosk.metadata_dir)
    stale = kiosk.refresh()
    assert stale.state == "stale"
    assert stale.targets == ()
    assert stale.expires == fresh.expires
    assert stale.message == "content is stale since 2026-03-02 08:00 UTC: the channel's timestamp has expired"
    assert tree(kiosk.metadata_dir) == before
    channel.repo.refresh_timestamp()
    again = kiosk.refresh()
    assert again.state == "current" and [t.path for t in again.targets] == [t.path for t in fresh.targets]


def test_withheld_timestamp_is_a_freeze_the_kiosk_reports_as_stale(channel: Channel) -> None:
    kiosk = channel.kiosk()
    kiosk.refresh()
    frozen = (channel.meta_dir / "timestamp.json").read_bytes()
    channel.clock.advance(days=3)
    channel.publish(name="pack-2.kpack")  # the channel moves on; the mirror keeps serving the old timestamp
    (channel.meta_dir / "timestamp.json").write_bytes(frozen)
    view = kiosk.refresh()
    assert view.state == "stale" and view.targets == ()
    assert "content is stale since 2026-03-02 08:00 UTC" in view.message


# -- targets whose bytes do not match -----------------------------------------------------------


def _served_blob(channel: Channel, view_path: str) -> Path:
    (blob,) = (channel.repo.targets_dir / view_path.rsplit("/", 1)[0]).glob(f"*.{view_path.rsplit('/', 1)[1]}")
    return blob


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda data: bytes([data[0] ^ 1]) + data[1:], "its bytes differ from the signed hash or length"),
        (lambda data: data + b"more", "more bytes than signed"),
        (lambda data: data[:-1], "its bytes differ from the signed hash or length"),
    ],
    ids=["same-length-other-bytes", "longer", "shorter"],
)
def test_target_bytes_not_matching_are_refused(
    channel: Channel, tmp_path: Path, change: Callable[[bytes], bytes], expected: str
) -> None:
    kiosk = channel.kiosk()
    view = kiosk.refresh()
    (target,) = view.targets
    blob = _served_blob(channel, target.path)
    blob.write_bytes(change(blob.read_bytes()))
    dest = tmp_path / "incoming" / "pack.kpack"
    with pytest.raises(MetadataRefused) as refused:
        kiosk.download(target, dest)
    assert str(refused.value).startswith(f"target {target.path} refused: ")
    assert expected in str(refused.value) and "\n" not in str(refused.value)
    assert not dest.exists()


def test_a_group_the_channel_lacks_is_a_config_error(channel: Channel) -> None:
    kiosk = channel.kiosk(group="lanzhou/museum")
    with pytest.raises(ChannelConfigError, match=r"^group lanzhou/museum is not in this channel$"):
        kiosk.refresh()


def test_kiosk_of_the_other_group_never_sees_an_overreaching_target(channel: Channel) -> None:
    other = channel.kiosk("tianshui", group=TIANSHUI)
    other.refresh()
    path = channel.forge("lanzhou.station", _add_target("tianshui/hotel-room/evil.kpack"))
    channel.relist("lanzhou.station", path)
    view = other.refresh()
    assert [t.path for t in view.targets] == ["tianshui/hotel-room/pack-1.kpack"]
    with pytest.raises(TrustError):
        channel.kiosk("lanzhou", group=LANZHOU).refresh()
