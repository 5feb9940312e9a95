"""Publishing packs into a channel: a pack is checked before a byte of it is offered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from content_sync.pack.signing import SigningKey
from content_sync.sync.layout import read_entry
from content_sync.sync.publish import (
    PublishError,
    add_pack_key,
    group_entries,
    pack_keys,
    pin_version,
    publish_pack,
)

from .agent_harness import LANZHOU, TIANSHUI, change_venue_text, make_channel


def served_files(channel_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(channel_dir)): p.read_bytes() for p in channel_dir.rglob("*") if p.is_file()}


def test_a_published_pack_is_a_signed_target_described_for_kiosks(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    v1 = make_pack(mini_source, version=1)
    result = publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
    assert result.path == f"{LANZHOU}/packs/mini-test-1.kpack" and not result.already
    assert result.length == v1.stat().st_size and result.signed_by == signing_key.public.key_id
    [entry] = group_entries(channel.repo, LANZHOU)
    custom = dict(entry.target.custom)
    # the release's content digest and the pack's expiry ride along for the delta path
    assert custom.pop("digest") == result.digest and len(str(result.digest)) == 64
    assert str(custom.pop("expires_at")).endswith("Z")
    assert custom == {"kind": "pack", "pack_id": "mini-test", "content_version": 1, "channel": "stable"}
    assert read_entry(entry.target.path, entry.target.custom) == entry.entry
    blob = channel.dir / entry.target.blob
    assert blob.read_bytes() == v1.read_bytes() and blob.name.startswith(result.sha256)
    assert group_entries(channel.repo, TIANSHUI) == []  # published to one group only


def test_a_pack_not_signed_by_a_trusted_key_or_damaged_is_never_offered(
    tmp_path: Path,
    mini_source: Path,
    make_pack: Callable[..., Path],
    signing_key: SigningKey,
    other_key: SigningKey,
) -> None:
    channel = make_channel(tmp_path)
    before = served_files(channel.dir)
    stranger = make_pack(mini_source, version=1, keys=[other_key])
    with pytest.raises(PublishError, match=r"^not published: "):
        publish_pack(channel.repo, LANZHOU, stranger, [signing_key.public])
    unsigned = make_pack(mini_source, version=1, keys=[])
    with pytest.raises(PublishError, match=r"^not published: "):
        publish_pack(channel.repo, LANZHOU, unsigned, [signing_key.public])
    damaged = make_pack(mini_source, version=1)
    raw = bytearray(damaged.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # a byte flipped inside a stored file
    damaged.write_bytes(bytes(raw))
    with pytest.raises(PublishError, match=r"^not published: "):
        publish_pack(channel.repo, LANZHOU, damaged, [signing_key.public])
    with pytest.raises(PublishError, match="no trusted pack key"):
        publish_pack(channel.repo, LANZHOU, make_pack(mini_source, version=1), [])
    with pytest.raises(PublishError, match="does not exist"):
        publish_pack(channel.repo, LANZHOU, tmp_path / "missing.kpack", [signing_key.public])
    assert served_files(channel.dir) == before  # not one metadata or blob byte changed


def test_one_version_names_one_content(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    v1 = make_pack(mini_source, version=1)
    publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
    timestamp = channel.repo.timestamp().version
    again = publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
    assert again.already and channel.repo.timestamp().version == timestamp  # nothing re-signed
    change_venue_text(mini_source)
    other_v1 = make_pack(mini_source, version=1)
    with pytest.raises(PublishError, match=r"already has content version 1 .* with other bytes"):
        publish_pack(channel.repo, LANZHOU, other_v1, [signing_key.public])
    publish_pack(channel.repo, TIANSHUI, other_v1, [signing_key.public])  # another group may differ
    assert channel.repo.timestamp().version == timestamp + 1


def test_pinning_a_group_to_a_version_and_clearing_it(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    for version in (1, 2, 3):
        publish_pack(channel.repo, LANZHOU, make_pack(mini_source, version=version), [signing_key.public])
    packs = [
        e.entry.content_version for e in group_entries(channel.repo, LANZHOU) if e.entry and e.entry.kind == "pack"
    ]
    assert packs == [1, 2, 3]
    assert pin_version(channel.repo, LANZHOU, 2) == f"{LANZHOU}/packs/mini-test-2.kpack"
    pinned = [e.entry.content_version for e in group_entries(channel.repo, LANZHOU) if e.entry and e.entry.pinned]
    assert pinned == [2]
    with pytest.raises(PublishError, match="no published pack of content version 7"):
        pin_version(channel.repo, LANZHOU, 7)
    assert pin_version(channel.repo, LANZHOU, None) is None
    assert not any(e.target.pinned for e in group_entries(channel.repo, LANZHOU))
    with pytest.raises(PublishError, match="not in this channel"):
        pin_version(channel.repo, "nowhere/else", 1)


def test_pack_keys_are_kept_beside_the_channel_keys(tmp_path: Path, signing_key: SigningKey) -> None:
    signing_key.save(tmp_path / "ops.key", tmp_path / "ops.pub")
    keys = tmp_path / "keys"
    assert pack_keys(keys) == []
    added = add_pack_key(keys, tmp_path / "ops.pub")
    assert added.key_id == signing_key.public.key_id
    assert [k.key_id for k in pack_keys(keys)] == [signing_key.public.key_id]
    assert not list(keys.glob("*.pem"))  # never mistaken for a channel signing key
