"""Publishing built packs into a channel: check the pack, then add it as a signed target of a group.

The channel adds freshness and per-group delegation on top of the pack's own Ed25519
signature; it never replaces it. So a pack is verified against the trusted pack keys
(signature and every file's hash, ``pack.reader.verify_pack``) before a single byte is
copied into the served folder: a channel never offers a pack a kiosk would refuse. Names
and descriptions of targets are :mod:`content_sync.sync.layout`'s; signing is
:mod:`content_sync.sync.repository`'s. See docs/sync.md, "Publishing".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from content_sync.core.errors import KioskError
from content_sync.pack.manifest import Manifest
from content_sync.pack.reader import verify_pack
from content_sync.pack.signing import PublicKey
from content_sync.sync.layout import PACK_KIND, Entry, describe_pack, pack_target_name, read_entry
from content_sync.sync.repository import ChannelError, ChannelRepository, PublishedTarget, check_group

#: Where ``repo init --trust`` keeps the public keys packs must be signed with (inside KEYDIR).
PACK_KEYS_FOLDER = "pack-keys"


class PublishError(ChannelError):
    """A pack was not published (unsigned, damaged, a version already taken); the channel is unchanged."""


@dataclass(frozen=True)
class PublishResult:
    """What ``publish`` did: the target's name and size, and whether it was already there."""

    group: str
    path: str
    pack_id: str
    content_version: int
    length: int
    sha256: str
    signed_by: str
    already: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class GroupEntry:
    """One published target of a group, with what its signed metadata says it is."""

    target: PublishedTarget
    entry: Entry | None  # None: a target this version of the tool does not understand

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {
            "path": self.target.path,
            "kind": e.kind if e else None,
            "pack_id": e.pack_id if e else None,
            "content_version": e.content_version if e else None,
            "from_version": e.from_version if e else None,
            "pinned": self.target.pinned,
            "length": self.target.length,
            "sha256": self.target.sha256,
            "blob": self.target.blob,
        }


def pack_keys(key_dir: Path) -> list[PublicKey]:
    """The trusted pack-signing public keys kept in ``KEYDIR/pack-keys/*.pub``."""
    folder = Path(key_dir) / PACK_KEYS_FOLDER
    return [PublicKey.load(p) for p in sorted(folder.glob("*.pub"))] if folder.is_dir() else []


def add_pack_key(key_dir: Path, public_key: Path) -> PublicKey:
    """Keep a copy of a pack-signing public key in ``KEYDIR/pack-keys/`` (named by its key id)."""
    key = PublicKey.load(public_key)
    folder = Path(key_dir) / PACK_KEYS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{key.key_id}.pub").write_bytes(Path(public_key).read_bytes())
    return key


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def group_entries(repo: ChannelRepository, group: str) -> list[GroupEntry]:
    """Every target a group has, oldest version first (targets of unknown kinds last)."""
    check_group(group)
    listing = repo.listing()
    if group not in listing.groups:
        raise PublishError(f"group {group} is not in this channel (add it with 'kiosk-pack repo add-group')")
    prefix = f"{group}/"
    found = [GroupEntry(t, read_entry(t.path, t.custom)) for t in listing.groups[group] if t.path.startswith(prefix)]
    return sorted(found, key=lambda g: (g.entry is None, g.entry.content_version if g.entry else 0, g.target.path))


def publish_pack(repo: ChannelRepository, group: str, pack: Path, trusted: Sequence[PublicKey]) -> PublishResult:
    """Verify ``pack`` against ``trusted`` pack keys, then offer it to ``group``.

    Publishing the same file again is a no-op (``already``); another file under a version
    the group already has is refused: a kiosk that installed version N must be able to trust
    that N names one content.
    """
    pack = Path(pack)
    if not trusted:
        raise PublishError(
            "no trusted pack key: give --trust KEY.pub, or keep it in KEYDIR/pack-keys/"
            " ('kiosk-pack repo init --trust')"
        )
    if not pack.is_file():
        raise PublishError(f"pack file {pack} does not exist")
    try:
        manifest, key = verify_pack(pack, list(trusted))
    except KioskError as exc:
        raise PublishError(f"not published: {exc}") from None
    name = pack_target_name(manifest.pack_id, manifest.content_version)
    path = f"{group}/{name}"
    digest = _sha256(pack)
    for existing in group_entries(repo, group):
        entry = existing.entry
        if entry is None or entry.kind != PACK_KIND or entry.content_version != manifest.content_version:
            continue
        if existing.target.sha256 == digest:
            return _result(group, existing.target, manifest, key, already=True)
        raise PublishError(
            f"group {group} already has content version {manifest.content_version} ({existing.target.path}) "
            "with other bytes; build the pack with a higher content_version"
        )
    target = repo.add_target(
        group, pack, name, describe_pack(manifest.pack_id, manifest.content_version, manifest.channel)
    )
    assert target.path == path
    return _result(group, target, manifest, key, already=False)


def _result(group: str, target: PublishedTarget, manifest: Manifest, key: PublicKey, *, already: bool) -> PublishResult:
    return PublishResult(
        group=group,
        path=target.path,
        pack_id=manifest.pack_id,
        content_version=manifest.content_version,
        length=target.length,
        sha256=target.sha256,
        signed_by=key.key_id,
        already=already,
    )


def pin_version(repo: ChannelRepository, group: str, version: int | None) -> str | None:
    """Pin ``group`` to the full pack of content ``version`` (None clears the pin); returns the pinned path."""
    if version is None:
        group_entries(repo, group)  # the group must exist
        repo.pin(group, None)
        return None
    for existing in group_entries(repo, group):
        entry = existing.entry
        if entry is not None and entry.kind == PACK_KIND and entry.content_version == version:
            repo.pin(group, existing.target.path.removeprefix(f"{group}/"))
            return existing.target.path
    raise PublishError(f"group {group} has no published pack of content version {version}")
