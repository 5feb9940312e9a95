"""Publishing built packs into a channel: check the pack, then add it as a signed target of a group.

The channel adds freshness and per-group delegation on top of the pack's own Ed25519
signature; it never replaces it. So a pack is verified against the trusted pack keys
(signature and every file's hash, ``pack.reader.verify_pack``) before a single byte is
copied into the served folder: a channel never offers a pack a kiosk would refuse. Names
and descriptions of targets are :mod:`content_sync.sync.layout`'s; signing is
:mod:`content_sync.sync.repository`'s. See docs/sync.md, "Publishing".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from content_sync.core.errors import KioskError
from content_sync.pack import delta_format
from content_sync.pack.delta import make_delta
from content_sync.pack.digest import file_digest
from content_sync.pack.manifest import CONTENT_DB, Manifest
from content_sync.pack.reader import PackReader, verify_pack
from content_sync.pack.release import write_statement
from content_sync.pack.signing import PublicKey
from content_sync.sync.agent import ROLLBACK_FIELD, ROLLOUT_FIELD
from content_sync.sync.layout import (
    DELTA_KIND,
    MEDIA_KIND,
    PACK_KIND,
    Entry,
    delta_target_name,
    describe_delta,
    describe_media,
    describe_pack,
    describe_release,
    media_target_name,
    pack_target_name,
    read_entry,
    release_target_name,
)
from content_sync.sync.repository import PIN_FIELD, ChannelError, ChannelRepository, PublishedTarget, check_group

#: How many of a group's most recent published versions get a delta to each new version.
DELTA_BASES = 3

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
    digest: str | None = None  # the release's content digest, stated in the signed metadata
    deltas: list[dict[str, Any]] = field(default_factory=list)  # path, from_version, length
    media: list[str] = field(default_factory=list)  # media targets newly published for the deltas

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class GroupEntry:
    """One published target of a group, with what its signed metadata says it is."""

    target: PublishedTarget
    entry: Entry | None  # None: a target this version of the tool does not understand

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        custom = self.target.custom
        stated = custom.get("content_version")  # a release statement's version (media have none)
        return {
            "path": self.target.path,
            "kind": e.kind if e else (custom.get("kind") if isinstance(custom.get("kind"), str) else None),
            "pack_id": e.pack_id if e else None,
            "content_version": e.content_version if e else (stated if type(stated) is int else None),
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


def extract_content_db(pack: Path, dest: Path) -> Manifest:
    """The pack's content.db into ``dest`` (its hash checked as it is copied); returns the manifest."""
    with PackReader(pack) as reader:
        manifest = reader.manifest()
        reader.check_structure(manifest)
        with open(dest, "wb") as fh:
            reader.copy_verified(manifest.files[CONTENT_DB], fh)
    return manifest


def extract_pack_file(pack: Path, name: str, dest: Path) -> None:
    """One file of the pack (a media file) into ``dest``, its hash checked as it is copied."""
    with PackReader(pack) as reader:
        manifest = reader.manifest()
        with open(dest, "wb") as fh:
            reader.copy_verified(manifest.files[name], fh)


def _publish_deltas(
    repo: ChannelRepository,
    group: str,
    pack: Path,
    manifest: Manifest,
    earlier: list[GroupEntry],
    bases: int,
    work: Path,
) -> tuple[str, list[dict[str, Any]], list[str]]:
    """Deltas from the group's last ``bases`` versions to the new pack, and the media they add.

    Media go first, then deltas: a kiosk that sees a delta can always fetch what it needs.
    Returns the new release's content digest, the deltas and the media targets published.
    """
    new_db = work / "new.db"
    extract_content_db(pack, new_db)
    digest = file_digest(new_db).value
    if manifest.content_digest is not None and manifest.content_digest != digest:
        raise PublishError(
            "not published: the content digest the pack's signed manifest states is not its content.db's"
        )
    if manifest.content_digest is None:
        # Nothing the pack key signed says what a kiosk building this version from deltas
        # must reach: no deltas to it, kiosks take the full pack (docs/deltas.md).
        bases = 0
    olds = [
        g
        for g in earlier
        if g.entry is not None
        and g.entry.kind == PACK_KIND
        and g.entry.pack_id == manifest.pack_id
        and g.entry.content_version < manifest.content_version
    ]
    olds = sorted(olds, key=lambda g: g.entry.content_version if g.entry else 0)[-bases:] if bases > 0 else []
    have_media = {g.target.path for g in group_entries(repo, group) if g.target.custom.get("kind") == MEDIA_KIND}
    made: list[tuple[int, bytes, dict[str, Any]]] = []
    needed: dict[str, None] = {}
    for old in olds:
        assert old.entry is not None
        old_db = work / f"old-{old.entry.content_version}.db"
        extract_content_db(repo.dir / old.target.blob, old_db)
        a = sqlite3.connect(f"file:{old_db}?mode=ro", uri=True)
        b = sqlite3.connect(f"file:{new_db}?mode=ro", uri=True)
        try:
            delta = make_delta(a, b)
        finally:
            a.close()
            b.close()
        if old.entry.digest is not None and delta.from_digest != old.entry.digest:
            continue  # the published file is not the release its metadata states: no delta from it
        for m in delta.media:
            needed[str(m["path"])] = None
        custom = describe_delta(
            manifest.pack_id,
            old.entry.content_version,
            manifest.content_version,
            from_digest=delta.from_digest,
            to_digest=delta.to_digest,
            channel=manifest.channel,
        )
        made.append((old.entry.content_version, delta_format.dumps(delta), custom))
    media: list[str] = []
    for name in needed:
        target_name = media_target_name(name)
        if f"{group}/{target_name}" in have_media or name not in manifest.files:
            continue
        blob = work / name.rsplit("/", 1)[-1]
        extract_pack_file(pack, name, blob)
        repo.add_target(group, blob, target_name, describe_media())
        media.append(f"{group}/{target_name}")
    # Deltas that start before the oldest base are no longer offered: the group's signed
    # metadata stays K deltas per version long, and a kiosk further behind takes the full pack.
    oldest = min((g.entry.content_version for g in olds if g.entry), default=manifest.content_version)
    for g in earlier:
        e = g.entry
        if e is not None and e.kind == DELTA_KIND and e.pack_id == manifest.pack_id and (e.from_version or 0) < oldest:
            repo.remove_target(group, g.target.path.removeprefix(f"{group}/"))
    if made:  # the pack's own signed manifest, which a kiosk checks before switching to deltas' result
        statement = work / "release.zip"
        write_statement(pack, statement)
        name = release_target_name(manifest.pack_id, manifest.content_version)
        repo.add_target(group, statement, name, describe_release(manifest.pack_id, manifest.content_version))
    deltas: list[dict[str, Any]] = []
    for start, body, custom in made:
        file = work / f"delta-{start}.kdelta"
        file.write_bytes(body)
        name = delta_target_name(manifest.pack_id, start, manifest.content_version)
        target = repo.add_target(group, file, name, custom)
        deltas.append({"path": target.path, "from_version": start, "length": target.length})
    return digest, deltas, media


def publish_pack(
    repo: ChannelRepository,
    group: str,
    pack: Path,
    trusted: Sequence[PublicKey],
    *,
    delta_bases: int = DELTA_BASES,
    rollout: dict[str, Any] | None = None,
) -> PublishResult:
    """Verify ``pack`` against ``trusted`` pack keys, then offer it to ``group`` with deltas to it.

    Publishing the same file again is a no-op (``already``); another file under a version
    the group already has is refused: a kiosk that installed version N must be able to trust
    that N names one content. Deltas from the group's last ``delta_bases`` versions and the
    media they add are published before the pack (docs/sync.md, "Delta updates"), with the
    pack's signed manifest as a release statement (the pack key vouches for what the deltas
    build, docs/deltas.md); a pack whose manifest states no content digest gets no deltas.
    The pack's target states the release's content digest. ``rollout`` (:func:`check_rollout`)
    is signed with the pack's first appearance, so no kiosk outside the first wave ever sees
    it unstaged; a pack already published keeps its ``custom`` (use :func:`set_rollout`).
    """
    pack = Path(pack)
    staged = None if rollout is None else check_rollout(rollout)
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
    earlier = group_entries(repo, group)
    for existing in earlier:
        entry = existing.entry
        if entry is None or entry.kind != PACK_KIND or entry.content_version != manifest.content_version:
            continue
        if existing.target.sha256 == digest:
            return _result(group, existing.target, manifest, key, already=True)
        raise PublishError(
            f"group {group} already has content version {manifest.content_version} ({existing.target.path}) "
            "with other bytes; build the pack with a higher content_version"
        )
    with tempfile.TemporaryDirectory(prefix="kiosk-publish-") as tmp:
        try:
            release, deltas, media = _publish_deltas(repo, group, pack, manifest, earlier, delta_bases, Path(tmp))
        except PublishError:
            raise
        except (KioskError, sqlite3.Error, OSError) as exc:
            raise PublishError(f"not published: the deltas could not be made ({exc})") from None
    custom = describe_pack(manifest.pack_id, manifest.content_version, manifest.channel, release)
    if manifest.expires_at is not None:  # the delta path checks it as the installer checks a pack's
        custom["expires_at"] = manifest.expires_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if staged is not None:
        custom[ROLLOUT_FIELD] = staged
    target = repo.add_target(group, pack, name, custom)
    assert target.path == path
    result = _result(group, target, manifest, key, already=False)
    return PublishResult(**{**result.__dict__, "digest": release, "deltas": deltas, "media": media})


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


def _edit_customs(repo: ChannelRepository, group: str, edit: Callable[[str, dict[str, Any]], dict[str, Any]]) -> None:
    """Rewrite every target's ``custom`` of ``group`` with ``edit(path, custom)``, then sign group, snapshot, timestamp.

    One signing pass under the channel's writer lock, as ``ChannelRepository.pin`` does (the
    repository has no public "edit a target's custom" yet; its lock, role and publish steps are used as they are).
    """
    role = repo._group_role(group)
    repo._require_keys(role, "snapshot", "timestamp")
    with repo._writing():
        with repo.edit_targets(role) as targets:
            for path, target in targets.targets.items():
                custom = dict(target.custom) if isinstance(target.custom, dict) else {}
                custom = edit(path, custom)
                if custom:
                    target.unrecognized_fields["custom"] = custom
                else:
                    target.unrecognized_fields.pop("custom", None)
        repo._publish()


def _pack_path(repo: ChannelRepository, group: str, version: int) -> str:
    for existing in group_entries(repo, group):
        entry = existing.entry
        if entry is not None and entry.kind == PACK_KIND and entry.content_version == version:
            return existing.target.path
    raise PublishError(f"group {group} has no published pack of content version {version}")


def pin_version(repo: ChannelRepository, group: str, version: int | None, *, rollback: bool = False) -> str | None:
    """Pin ``group`` to the full pack of content ``version`` (None clears the pin); returns the pinned path.

    ``rollback``: the pin also says ``"rollback": true``, so kiosks running a higher version
    go back to the pinned one (when they still keep it; docs/sync.md, "Staged roll-outs").
    Without it a pin below a kiosk's version holds that kiosk where it is.
    """
    path = None if version is None else _pack_path(repo, group, version)
    if version is None:
        group_entries(repo, group)  # the group must exist

    def edit(target: str, custom: dict[str, Any]) -> dict[str, Any]:
        custom.pop(PIN_FIELD, None)
        custom.pop(ROLLBACK_FIELD, None)
        if target == path:
            custom[PIN_FIELD] = True
            if rollback:
                custom[ROLLBACK_FIELD] = True
        return custom

    _edit_customs(repo, group, edit)
    return path


_DEVICE_ID = re.compile(r"[0-9a-f]{32}")


def check_rollout(rollout: dict[str, Any]) -> dict[str, Any]:
    """A roll-out's ``custom`` as kiosks read it (:func:`content_sync.sync.agent.takes_rollout`), checked.

    ``id``: a short plain name; ``devices``: 32-hex device ids (the canaries); ``percent``: 0-100.
    """
    rollout_id, devices, percent = rollout.get("id"), rollout.get("devices", []), rollout.get("percent", 0)
    if not isinstance(rollout_id, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", rollout_id):
        raise PublishError("a roll-out id is 1 to 64 letters, digits, dots, dashes or underscores")
    if not isinstance(devices, list) or not all(isinstance(d, str) and _DEVICE_ID.fullmatch(d) for d in devices):
        raise PublishError("a roll-out's devices are device ids of 32 hexadecimal digits")
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100:
        raise PublishError("a roll-out's percent is a number from 0 to 100")
    return {"id": rollout_id, "devices": sorted(set(devices)), "percent": percent}


def set_rollout(repo: ChannelRepository, group: str, version: int, rollout: dict[str, Any] | None) -> str:
    """Offer the pack of content ``version`` only to a roll-out's devices (None: to every kiosk again).

    Re-signs the group, snapshot and timestamp; kiosks see the new wave at their next
    cycle. Returns the pack target's path. Kiosks older than roll-outs ignore the field and
    take the pack at once (docs/sync.md, "Staged roll-outs").
    """
    path = _pack_path(repo, group, version)
    value = None if rollout is None else check_rollout(rollout)

    def edit(target: str, custom: dict[str, Any]) -> dict[str, Any]:
        if target == path:
            custom.pop(ROLLOUT_FIELD, None)
            if value is not None:
                custom[ROLLOUT_FIELD] = value
        return custom

    _edit_customs(repo, group, edit)
    return path


def target_custom(repo: ChannelRepository, group: str, version: int) -> dict[str, Any]:
    """The signed ``custom`` of the pack of content ``version`` as the channel serves it now."""
    path = _pack_path(repo, group, version)
    return next(dict(g.target.custom) for g in group_entries(repo, group) if g.target.path == path)
