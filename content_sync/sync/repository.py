"""A channel repository: a static folder of TUF metadata and hash-named blobs, written with python-tuf.

A channel is what a web server (nginx, a CDN, ``python3 -m http.server``) serves to kiosks:
``metadata/`` holds the signed roles, ``targets/`` the content-addressed files. Everything
cryptographic is python-tuf's Metadata API (``tuf.api.metadata``) and its ``Repository``
base class (``tuf.repository``), which does the snapshot and timestamp bookkeeping; this
module only decides where files and keys live, how long each role lives, and which key
signs what. Private keys are PEM files in a key folder the caller names, never inside the
served folder. See docs/sync.md, "Channel layout" and "Metadata".

Roles: ``root`` (a threshold of offline keys), ``targets`` (delegates one role per kiosk
group), ``snapshot`` and ``timestamp`` (online keys, short lives), and one delegated targets
role per group (``lanzhou/station`` is the role ``lanzhou.station`` with the paths
``lanzhou/station/*`` and ``lanzhou/station/*/*``), signed by its county's key, so a county
can publish only to its own groups.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib import parse

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner, Signer
from tuf.api.exceptions import UnsignedMetadataError
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Signed,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization import DeserializationError
from tuf.repository import Repository

from content_sync.core.errors import KioskError
from content_sync.core.fsio import fsync_dir, fsync_file

try:
    import fcntl
except ImportError:  # Windows: one publisher at a time is the operator's care
    fcntl = None  # type: ignore[assignment]

Clock = Callable[[], datetime]

#: An extension field python-tuf keeps (``unrecognized_fields``) and signs with the rest:
#: when the role was signed. Kiosks use it to notice a device clock that is clearly wrong.
SIGNED_AT_FIELD = "x-kiosk-signed-at"
#: The custom field of a target that marks the version a group must run.
PIN_FIELD = "pinned"

TOP_LEVEL_ROLES = (Root.type, Targets.type, Snapshot.type, Timestamp.type)
_GROUP_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}/[a-z0-9][a-z0-9-]{0,39}$")
_TARGET_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}(/[A-Za-z0-9][A-Za-z0-9._-]{0,119})?$")
_KEY_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
_HASH = "sha256"


class ChannelError(KioskError):
    """A channel repository operation was refused or failed; the served folder is unchanged or consistent."""


class ChannelSetupError(ChannelError):
    """The repository or key folder is missing, misplaced or already exists."""


class ChannelKeyError(ChannelError):
    """A key needed to sign is not in the key folder, or a key file is unreadable."""


class GroupError(ChannelError):
    """A kiosk group name is malformed, unknown or already present."""


class TargetError(ChannelError):
    """A target file or name is missing, malformed or unknown."""


@dataclass(frozen=True)
class Expiries:
    """How long each role's signature stays valid (the timestamp is re-signed by a cron job)."""

    root: timedelta = timedelta(days=365)
    targets: timedelta = timedelta(days=365)
    groups: timedelta = timedelta(days=365)
    snapshot: timedelta = timedelta(days=7)
    timestamp: timedelta = timedelta(days=1)

    def of(self, role: str) -> timedelta:
        """The lifetime of ``role`` (any delegated role counts as a group)."""
        if role in TOP_LEVEL_ROLES:
            value: timedelta = getattr(self, role)
            return value
        return self.groups


@dataclass(frozen=True)
class PublishedTarget:
    """One target file of a group as the metadata states it."""

    group: str
    path: str
    length: int
    sha256: str
    custom: dict[str, Any]
    blob: str  # the hash-named file under targets/, relative to the repository folder

    @property
    def pinned(self) -> bool:
        return bool(self.custom.get(PIN_FIELD))


@dataclass(frozen=True)
class RoleInfo:
    """A role's current version, expiry and signing keys."""

    name: str
    version: int
    expires: datetime
    keyids: tuple[str, ...]
    threshold: int


@dataclass(frozen=True)
class ChannelListing:
    """What a repository holds: its roles and every group's targets."""

    roles: tuple[RoleInfo, ...]
    groups: dict[str, tuple[PublishedTarget, ...]] = field(default_factory=dict)
    root_file: str = ""  # relative path of the newest root, what kiosks are provisioned with

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (for ``--json`` output): times as ISO 8601 UTC strings."""
        return {
            "root_file": self.root_file,
            "roles": [
                {
                    "name": r.name,
                    "version": r.version,
                    "expires": _iso(r.expires),
                    "keyids": list(r.keyids),
                    "threshold": r.threshold,
                }
                for r in self.roles
            ],
            "groups": {
                group: [
                    {"path": t.path, "length": t.length, "sha256": t.sha256, "custom": t.custom, "blob": t.blob}
                    for t in targets
                ]
                for group, targets in self.groups.items()
            },
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def role_for_group(group: str) -> str:
    """The delegated role name of a kiosk group (``lanzhou/station`` -> ``lanzhou.station``).

    Role names must not hold ``/``: python-tuf puts the name into a metadata URL, and static
    servers decode ``%2F`` into a folder separator.
    """
    check_group(group)
    return group.replace("/", ".")


def group_paths(group: str) -> list[str]:
    """The target path patterns a group's role may sign (one or two levels below the group)."""
    return [f"{group}/*", f"{group}/*/*"]


def check_group(group: str) -> None:
    """Refuse a malformed group name with one line."""
    if not _GROUP_RE.match(group):
        raise GroupError(f"group name {group!r} is not county/kind in lower-case letters, digits and '-'")


def signed_at(signed: Signed) -> datetime | None:
    """When ``signed`` was signed, from the extension field (None when absent or unreadable)."""
    value = signed.unrecognized_fields.get(SIGNED_AT_FIELD)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _utc(clock: Clock) -> datetime:
    now = clock()
    if now.tzinfo is None:
        raise ChannelError("the clock must give an aware datetime")
    return now.astimezone(UTC).replace(microsecond=0)


#: Modes of everything in the served folder: a web server running as another user (nginx as
#: ``www-data``) must read every file and list every folder. Set explicitly, whatever the umask.
SERVED_FILE_MODE = 0o644
SERVED_DIR_MODE = 0o755


def served_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) as world-readable folders of the served tree."""
    missing = []
    here = path
    while not here.exists():
        missing.append(here)
        here = here.parent
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        os.chmod(folder, SERVED_DIR_MODE)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a served file so a web server never serves half of it (world-readable, flushed)."""
    served_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fchmod(out.fileno(), SERVED_FILE_MODE)
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _copy_blob(source: Path, blob: Path) -> None:
    """Copy a target's file to its served blob, flushed to disk with its folder entry.

    Done before the metadata that names the blob is signed: after a power cut on the
    publisher, signed metadata never names a truncated or missing blob.
    """
    served_dir(blob.parent)
    tmp = blob.with_name(f".tmp-{blob.name}")
    shutil.copyfile(source, tmp)
    os.chmod(tmp, SERVED_FILE_MODE)
    fsync_file(tmp)
    os.replace(tmp, blob)
    fsync_dir(blob.parent)


def _is_inside(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True


class KeyFolder:
    """Private keys as PEM (PKCS#8) files, ``NAME.pem``; rotated-out keys move to ``retired/``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._signers: dict[str, CryptoSigner] | None = None

    def file(self, name: str) -> Path:
        if not _KEY_NAME_RE.match(name):
            raise ChannelKeyError(f"key name {name!r} is not lower-case letters, digits and '-'")
        return self.path / f"{name}.pem"

    def exists(self, name: str) -> bool:
        return self.file(name).is_file()

    def load(self, name: str) -> CryptoSigner:
        """The signer in ``NAME.pem``."""
        return self._load_file(self.file(name))

    @staticmethod
    def _load_file(path: Path) -> CryptoSigner:
        try:
            private = load_pem_private_key(path.read_bytes(), None)
            return CryptoSigner(private)
        except FileNotFoundError:
            raise ChannelKeyError(f"key file {path} does not exist") from None
        except (OSError, ValueError, TypeError) as exc:
            raise ChannelKeyError(f"key file {path} is unreadable: {_one_line(exc)}") from None

    def generate(self, name: str) -> CryptoSigner:
        """Make a new Ed25519 key and store it (owner-only permissions); refuse to overwrite one."""
        return self._generate_into(self.file(name))

    def generate_next(self, name: str) -> CryptoSigner:
        """A successor for ``NAME`` in ``NAME.next.pem``: on disk before any metadata names it."""
        path = self.file(name).with_suffix(".next.pem")
        path.unlink(missing_ok=True)  # a successor left by an interrupted rotation that never got used
        return self._generate_into(path)

    def promote_next(self, name: str, old_keyid: str) -> None:
        """After a rotation: the old key to ``retired/``, the successor becomes ``NAME.pem``."""
        self.retire(name, old_keyid)
        os.replace(self.file(name).with_suffix(".next.pem"), self.file(name))
        self._signers = None

    def _generate_into(self, path: Path) -> CryptoSigner:
        if path.exists():
            raise ChannelKeyError(f"key file {path} already exists")
        signer = CryptoSigner.generate_ed25519()
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(signer.private_bytes)
            out.flush()
            os.fsync(out.fileno())
        self._signers = None
        return signer

    def load_or_generate(self, name: str) -> CryptoSigner:
        return self.load(name) if self.exists(name) else self.generate(name)

    def retire(self, name: str, keyid: str) -> Path:
        """Move a rotated-out key to ``retired/NAME-KEYID8.pem`` (kept for audits, never used to sign)."""
        retired = self.path / "retired"
        retired.mkdir(exist_ok=True)
        target = retired / f"{name}-{keyid[:8]}.pem"
        os.replace(self.file(name), target)
        self._signers = None
        return target

    def signers(self) -> dict[str, CryptoSigner]:
        """Every usable key by key id (files in ``retired/`` are not loaded)."""
        if self._signers is None:
            found: dict[str, CryptoSigner] = {}
            for path in sorted(self.path.glob("*.pem")):
                signer = self._load_file(path)
                found[signer.public_key.keyid] = signer
            self._signers = found
        return self._signers

    def name_of(self, keyid: str) -> str | None:
        for path in sorted(self.path.glob("*.pem")):
            if self._load_file(path).public_key.keyid == keyid:
                return path.stem
        return None


class ChannelRepository(Repository):
    """A channel folder on disk; every change writes new signed versions, timestamp last.

    Implements python-tuf's ``Repository`` (``open``/``close`` plus the two infos) so that
    ``edit_*``, ``do_snapshot`` and ``do_timestamp`` come from the library.
    """

    def __init__(self, repo_dir: Path, key_dir: Path, *, clock: Clock, expiries: Expiries | None = None) -> None:
        self.dir = Path(repo_dir)
        self.metadata_dir = self.dir / "metadata"
        self.targets_dir = self.dir / "targets"
        self.keys = KeyFolder(Path(key_dir))
        self.clock = clock
        self.expiries = expiries or Expiries()
        self._extra_signers: list[Signer] = []
        self._version_cache: dict[str, int] | None = None
        self._parsed: dict[tuple[str, int], Signed] = {}
        if _is_inside(self.keys.path, self.dir):
            raise ChannelSetupError(f"key folder {key_dir} is inside the served folder {repo_dir}; keep keys apart")

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open_existing(
        cls, repo_dir: Path, key_dir: Path, *, clock: Clock, expiries: Expiries | None = None
    ) -> ChannelRepository:
        """Open a repository made by :func:`create`."""
        repo = cls(repo_dir, key_dir, clock=clock, expiries=expiries)
        if repo._current_version(Root.type) == 0:
            raise ChannelSetupError(f"{repo_dir} is not a channel repository (no metadata/N.root.json)")
        return repo

    # -- python-tuf Repository interface ---------------------------------------------------

    def _file(self, role: str, version: int) -> Path:
        name = parse.quote(role, "")
        if role == Timestamp.type:
            return self.metadata_dir / "timestamp.json"
        return self.metadata_dir / f"{version}.{name}.json"

    def _versions(self) -> dict[str, int]:
        """The newest version of every role on disk, from one listing of ``metadata/`` (cached until a write)."""
        if self._version_cache is None:
            found: dict[str, int] = {}
            if self.metadata_dir.is_dir():
                for path in self.metadata_dir.iterdir():
                    prefix, dot, rest = path.name.partition(".")
                    if dot and prefix.isdigit() and rest.endswith(".json"):
                        role = parse.unquote(rest[: -len(".json")])
                        found[role] = max(found.get(role, 0), int(prefix))
            timestamp = self.metadata_dir / "timestamp.json"
            if timestamp.exists():
                found[Timestamp.type] = Metadata.from_bytes(timestamp.read_bytes()).signed.version
            self._version_cache = found
        return self._version_cache

    def _current_version(self, role: str) -> int:
        return self._versions().get(role, 0)

    def _forget(self) -> None:
        """Drop what was cached from disk: another process (the cron, a county) may have written since."""
        self._version_cache = None
        self._parsed.clear()

    def _read(self, role: str) -> Metadata | None:
        version = self._current_version(role)
        if version == 0:
            return None
        path = self._file(role, version)
        try:
            return Metadata.from_bytes(path.read_bytes())
        except (OSError, DeserializationError) as exc:
            raise ChannelError(f"cannot read {path}: {_one_line(exc)}") from None

    def _signed(self, role: str) -> Signed | None:
        """A role's current ``signed``, parsed once per version: for reading only, never to edit."""
        version = self._current_version(role)
        key = (role, version)
        if key not in self._parsed:
            md = self._read(role)
            if md is None:
                return None
            self._parsed[key] = md.signed
        return self._parsed[key]

    def open(self, role: str) -> Metadata:
        """The current metadata of ``role``, or a fresh one at version 0 (``close`` makes it 1)."""
        md = self._read(role)
        if md is not None:
            return md
        signed: Signed
        if role == Root.type:
            signed = Root(consistent_snapshot=True)
        elif role == Timestamp.type:
            signed = Timestamp()
        elif role == Snapshot.type:
            signed = Snapshot()
        else:
            signed = Targets()
        signed.version = 0
        return Metadata(signed)

    def close(self, role: str, md: Metadata) -> None:
        """Bump the version, set the expiry and signing time, sign with every key the role needs, write."""
        now = _utc(self.clock)
        md.signed.version += 1
        md.signed.expires = now + self.expiries.of(role)
        md.signed.unrecognized_fields[SIGNED_AT_FIELD] = _iso(now)
        md.signatures.clear()
        for signer in self._signers_for(role, md):
            md.sign(signer, append=True)
        self._check_signed(role, md)
        _write_atomic(self._file(role, md.signed.version), md.to_bytes())
        self._versions()[role] = md.signed.version

    def _delegator(self, role: str, md: Metadata) -> Root | Targets:
        if role == Root.type:
            assert isinstance(md.signed, Root)
            return md.signed
        delegator = self._signed(Root.type if role in TOP_LEVEL_ROLES else Targets.type)
        if not isinstance(delegator, Root | Targets):
            raise ChannelSetupError(f"{self.dir} has no root and targets metadata to delegate {role}")
        return delegator

    def _signers_for(self, role: str, md: Metadata) -> list[Signer]:
        keyids = set(self._delegator(role, md).get_delegated_role(role).keyids)
        if role == Root.type and md.signed.version > 1:
            previous = self._signed(Root.type)
            if isinstance(previous, Root):
                keyids |= set(previous.roles[Root.type].keyids)
        available: dict[str, Signer] = dict(self.keys.signers())
        for extra in self._extra_signers:
            available[extra.public_key.keyid] = extra
        return [available[k] for k in sorted(keyids) if k in available]

    def _require_keys(self, *roles: str) -> None:
        """Refuse before writing anything when a role to be re-signed lacks its keys here."""
        available = self.keys.signers()
        for role in roles:
            delegation = self._delegator(role, self.open(role)).get_delegated_role(role)
            have = sum(1 for keyid in delegation.keyids if keyid in available)
            if have < delegation.threshold:
                raise ChannelKeyError(
                    f"cannot sign {role}: {have} of the {delegation.threshold} keys it needs are in {self.keys.path}"
                )

    def _check_signed(self, role: str, md: Metadata) -> None:
        """Refuse to write metadata that kiosks would refuse (too few signatures), naming the keys missing."""
        checks: list[Root | Targets] = [self._delegator(role, md)]
        if role == Root.type and md.signed.version > 1:
            previous = self._signed(Root.type)
            if isinstance(previous, Root):
                checks.append(previous)
        for delegator in checks:
            try:
                delegator.verify_delegate(role, md.signed_bytes, md.signatures)
            except UnsignedMetadataError:
                wanted = delegator.get_delegated_role(role)
                raise ChannelKeyError(
                    f"cannot sign {role}: {len(md.signatures)} of the {wanted.threshold} keys it needs"
                    f" are in {self.keys.path}"
                ) from None

    @property
    def targets_infos(self) -> dict[str, MetaFile]:
        """The targets metadata files snapshot lists: top-level targets and every group's role.

        A role whose version the current snapshot already lists keeps that entry (its file is
        immutable), so a publish hashes only the files it wrote.
        """
        roles = [Targets.type, *self._group_roles()]
        snapshot = self._signed(Snapshot.type)
        listed = snapshot.meta if isinstance(snapshot, Snapshot) else {}
        infos: dict[str, MetaFile] = {}
        for role in roles:
            version = self._current_version(role)
            if not version:
                continue
            name = f"{role}.json"
            known = listed.get(name)
            if known is not None and known.version == version:
                infos[name] = known
            else:
                data = self._file(role, version).read_bytes()
                infos[name] = MetaFile.from_data(version, data, [_HASH])
        return infos

    @property
    def snapshot_info(self) -> MetaFile:
        version = self._current_version(Snapshot.type)
        data = self._file(Snapshot.type, version).read_bytes()
        return MetaFile.from_data(version, data, [_HASH])

    # -- publishing ------------------------------------------------------------------------

    def _publish(self) -> None:
        """Snapshot then timestamp: the timestamp is written last, so a client sees all or nothing new."""
        self.do_snapshot()
        self.do_timestamp()

    def add_group(self, group: str, key_names: tuple[str, ...] = (), *, threshold: int = 1) -> str:
        """Delegate a group to its keys (default: the county's key ``county-COUNTY``, made if missing).

        Several groups of one county share its key by default; ``threshold`` of ``key_names``
        must sign the group's role.
        """
        return self.add_groups([group], key_names, threshold=threshold)[0]

    def add_groups(self, groups: list[str], key_names: tuple[str, ...] = (), *, threshold: int = 1) -> list[str]:
        """Delegate several groups in one new version of targets (a province's hundreds at once)."""
        roles = [role_for_group(group) for group in groups]
        existing = self._group_roles()
        if len(set(roles)) != len(roles):
            raise GroupError("a group is named twice")
        for group, role in zip(groups, roles, strict=True):
            names = key_names or (f"county-{group.split('/')[0]}",)
            if not 1 <= threshold <= len(names):
                raise GroupError(f"group threshold {threshold} must be between 1 and {len(names)} keys")
            if role in existing:
                raise GroupError(f"group {group} already exists")
        self._require_keys(Targets.type, Snapshot.type, Timestamp.type)
        signers = {
            role: [self.keys.load_or_generate(name) for name in (key_names or (f"county-{group.split('/')[0]}",))]
            for group, role in zip(groups, roles, strict=True)
        }
        with self._writing():
            with self.edit_targets() as targets:
                if targets.delegations is None:
                    targets.delegations = Delegations(keys={}, roles={})
                delegations = targets.delegations
                assert delegations.roles is not None
                for group, role in zip(groups, roles, strict=True):
                    delegations.roles[role] = DelegatedRole(
                        name=role, keyids=[], threshold=threshold, terminating=True, paths=group_paths(group)
                    )
                    for signer in signers[role]:
                        targets.add_key(signer.public_key, role)
            for role in roles:
                with self.edit_targets(role):
                    pass
            self._publish()
        return roles

    def _group_roles(self) -> dict[str, DelegatedRole]:
        top = self._signed(Targets.type)
        if not isinstance(top, Targets) or top.delegations is None or top.delegations.roles is None:
            return {}
        return dict(top.delegations.roles)

    def groups(self) -> list[str]:
        """The groups this channel delegates, sorted."""
        return sorted(role.paths[0].rsplit("/", 1)[0] for role in self._group_roles().values() if role.paths)

    def _group_role(self, group: str) -> str:
        role = role_for_group(group)
        if role not in self._group_roles():
            raise GroupError(f"group {group} is not in this channel (add it first)")
        return role

    def add_target(
        self, group: str, source: Path, name: str | None = None, custom: dict[str, Any] | None = None
    ) -> PublishedTarget:
        """Publish a file to a group: copy it to its hash-named blob, then sign group, snapshot, timestamp.

        ``name`` is the target's name inside the group (default: the file's name), at most one
        folder deep; publishing the same name again replaces the entry (the old blob stays,
        blobs are immutable).
        """
        role = self._group_role(group)
        name = name or Path(source).name
        if not _TARGET_NAME_RE.match(name) or ".." in name.split("/"):
            raise TargetError(f"target name {name!r} is not one or two plain file names")
        path = f"{group}/{name}"
        source = Path(source)
        if not source.is_file():
            raise TargetError(f"target file {source} does not exist")
        try:
            target = TargetFile.from_file(path, str(source), [_HASH])
        except OSError as exc:
            raise TargetError(f"cannot read {source}: {exc.strerror}") from None
        if custom:
            target.unrecognized_fields["custom"] = dict(custom)
        blob = self._blob_path(target)
        self._require_keys(role, Snapshot.type, Timestamp.type)
        with self._writing():
            if not blob.exists():
                _copy_blob(source, blob)
            with self.edit_targets(role) as targets:
                targets.targets[path] = target
            self._publish()
        return self._published(group, target)

    def _blob_path(self, target: TargetFile) -> Path:
        """``targets/GROUP/[DIR/]SHA256.NAME``: the name python-tuf clients ask for with consistent snapshots."""
        return self.targets_dir / target.get_prefixed_paths()[0]

    def _published(self, group: str, target: TargetFile) -> PublishedTarget:
        return PublishedTarget(
            group=group,
            path=target.path,
            length=target.length,
            sha256=target.hashes[_HASH],
            custom=dict(target.custom) if isinstance(target.custom, dict) else {},
            blob=str(self._blob_path(target).relative_to(self.dir)),
        )

    def remove_target(self, group: str, name: str) -> None:
        """Stop offering a target (its blob stays: clients in the middle of a download may need it)."""
        role = self._group_role(group)
        path = f"{group}/{name}"
        self._require_keys(role, Snapshot.type, Timestamp.type)
        with self._writing():
            with self.edit_targets(role) as targets:
                if path not in targets.targets:
                    raise TargetError(f"group {group} has no target {name}")
                del targets.targets[path]
            self._publish()

    def pin(self, group: str, name: str | None) -> None:
        """Mark the one target a group must run (``custom.pinned``), or clear the pin with ``None``."""
        role = self._group_role(group)
        self._require_keys(role, Snapshot.type, Timestamp.type)
        with self._writing():
            with self.edit_targets(role) as targets:
                if name is not None and f"{group}/{name}" not in targets.targets:
                    raise TargetError(f"group {group} has no target {name}")
                for path, target in targets.targets.items():
                    custom = dict(target.custom) if isinstance(target.custom, dict) else {}
                    custom.pop(PIN_FIELD, None)
                    if path == f"{group}/{name}":
                        custom[PIN_FIELD] = True
                    if custom:
                        target.unrecognized_fields["custom"] = custom
                    else:
                        target.unrecognized_fields.pop("custom", None)
            self._publish()

    def refresh_timestamp(self) -> int:
        """Re-sign the timestamp (a cron job, more often than its lifetime); renew the snapshot near its expiry.

        Returns the new timestamp version.
        """
        now = _utc(self.clock)
        self._require_keys(Timestamp.type)
        with self._writing():
            if self.snapshot().expires <= now + self.expiries.snapshot / 2:
                self.do_snapshot(force=True)
            self.do_timestamp(force=True)
        return self.timestamp().version

    def renew_expiring(self, within: timedelta) -> tuple[list[str], list[str]]:
        """Re-sign root, targets and group roles that expire within ``within`` (a monthly job).

        Returns the roles renewed and the roles expiring whose keys are not in the key folder
        (root's offline keys, a county's key): an operator must bring those keys. Snapshot and
        timestamp follow whenever something was renewed.
        """
        deadline = _utc(self.clock) + within
        available = self.keys.signers()
        renewed: list[str] = []
        missing: list[str] = []
        candidates = [Root.type, Targets.type, *sorted(self._group_roles())]
        with self._writing():
            for role in candidates:
                signed = self._signed(role)
                if signed is None or signed.expires > deadline:
                    continue
                delegation = self._delegator(role, self.open(role)).get_delegated_role(role)
                if sum(1 for k in delegation.keyids if k in available) < delegation.threshold:
                    missing.append(role)
                    continue
                with self.edit(role):
                    pass
                renewed.append(role)
            if renewed:
                self.do_snapshot(force=True)
                self.do_timestamp(force=True)
        return renewed, missing

    def prune(self, keep_snapshots: int = 10) -> list[str]:
        """Delete metadata versions no kiosk can still ask for; returns the file names removed.

        Kept: every root (kiosks walk the chain from any of them), the newest ``keep_snapshots``
        snapshots, and every targets or group version those snapshots name or that is newer.
        A kiosk that read an older timestamp finishes its update within a few publishes; blobs
        are never pruned here (deltas and rollbacks may name them).
        """
        if keep_snapshots < 1:
            raise ChannelError("keep at least one snapshot")
        removed: list[str] = []
        with self._writing():
            newest = self._current_version(Snapshot.type)
            oldest_kept = max(1, newest - keep_snapshots + 1)
            floor: dict[str, int] = {}
            for version in range(oldest_kept, newest + 1):
                path = self._file(Snapshot.type, version)
                if not path.exists():
                    continue
                snapshot = Metadata.from_bytes(path.read_bytes()).signed
                assert isinstance(snapshot, Snapshot)
                for name, meta in snapshot.meta.items():
                    role = name[: -len(".json")]
                    floor[role] = min(floor.get(role, meta.version), meta.version)
            for path in sorted(self.metadata_dir.iterdir()):
                prefix, dot, rest = path.name.partition(".")
                if not (dot and prefix.isdigit() and rest.endswith(".json")):
                    continue
                role, version = parse.unquote(rest[: -len(".json")]), int(prefix)
                if role == Root.type:
                    continue
                limit = oldest_kept if role == Snapshot.type else floor.get(role)
                if limit is not None and version < limit:
                    path.unlink()
                    removed.append(path.name)
        return removed

    def rotate_key(self, key_name: str) -> str:
        """Replace the key in ``KEYDIR/NAME.pem`` everywhere it signs; returns the new key id.

        Root keys: the new root is signed by the old root's threshold and the new one's.
        Timestamp, snapshot, targets keys: a new root names the new key, then the role is
        re-signed. A county's key: the top-level targets re-delegates each of its groups,
        which are re-signed with the new key. The old key file moves to ``retired/``.
        """
        old = self.keys.load(key_name)
        old_id = old.public_key.keyid
        root = self.root()
        top_roles = [r for r in TOP_LEVEL_ROLES if old_id in root.roles[r].keyids]
        group_roles = [name for name, role in self._group_roles().items() if old_id in role.keyids]
        if not top_roles and not group_roles:
            raise ChannelKeyError(f"key {key_name} signs nothing in this channel")
        # Every role re-signed with a key other than the one rotated must have its keys here.
        needed = {Snapshot.type, Timestamp.type} | ({Root.type} if top_roles else set())
        if group_roles:
            needed.add(Targets.type)
        self._require_keys(*sorted(needed - (set(top_roles) - {Root.type})))
        new = self.keys.generate_next(key_name)
        try:
            with self._writing():
                if top_roles:
                    self._extra_signers = [old]  # the old root's threshold signs the new root
                    with self.edit_root() as new_root:
                        for role in top_roles:
                            new_root.revoke_key(old_id, role)
                            new_root.add_key(new.public_key, role)
                    self._extra_signers = []
                    if Targets.type in top_roles:
                        with self.edit_targets():
                            pass
                if group_roles:
                    with self.edit_targets() as targets:
                        for role in group_roles:
                            targets.revoke_key(old_id, role)
                            targets.add_key(new.public_key, role)
                    for role in group_roles:
                        with self.edit_targets(role):
                            pass
                self.do_snapshot(force=True)
                self.do_timestamp(force=True)
        except BaseException:
            # Key files must match what the metadata on disk names, whatever step failed.
            if self._names_key(new.public_key.keyid):
                self.keys.promote_next(key_name, old_id)
            else:
                self.keys.file(key_name).with_suffix(".next.pem").unlink(missing_ok=True)
            raise
        finally:
            self._extra_signers = []
        self.keys.promote_next(key_name, old_id)
        return new.public_key.keyid

    def _names_key(self, keyid: str) -> bool:
        """Whether the root or a delegation on disk now names ``keyid``."""
        self._forget()
        root = self._signed(Root.type)
        if isinstance(root, Root) and any(keyid in role.keyids for role in root.roles.values()):
            return True
        return any(keyid in role.keyids for role in self._group_roles().values())

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time (a publish and the timestamp cron), and I/O failures as one line.

        The lock file sits beside the channel folder, not in it, so no web server serves it.
        """
        lock_path = self.dir.parent / f".{self.dir.name}.lock"
        try:
            with open(lock_path, "a+b") as lock:
                if fcntl is not None:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                self._forget()
                yield
        except OSError as exc:
            raise ChannelError(f"cannot write the channel {self.dir}: {exc.strerror or exc}") from None
        except ValueError as exc:  # python-tuf refuses a version rollback in do_snapshot/do_timestamp
            raise ChannelError(f"channel metadata is inconsistent: {_one_line(exc)}") from None

    # -- reading -----------------------------------------------------------------------------

    def listing(self) -> ChannelListing:
        """Every role's version, expiry and keys, and every group's targets."""
        self._forget()
        roles: list[RoleInfo] = []
        root = self.root()
        for name in TOP_LEVEL_ROLES:
            md = self._read(name)
            if md is None:
                continue
            delegation = root.roles[name]
            roles.append(
                RoleInfo(name, md.signed.version, md.signed.expires, tuple(delegation.keyids), delegation.threshold)
            )
        groups: dict[str, tuple[PublishedTarget, ...]] = {}
        for role_name, role in sorted(self._group_roles().items()):
            md = self._read(role_name)
            if md is None or not role.paths:
                continue
            assert isinstance(md.signed, Targets)
            group = role.paths[0].rsplit("/", 1)[0]
            roles.append(RoleInfo(role_name, md.signed.version, md.signed.expires, tuple(role.keyids), role.threshold))
            groups[group] = tuple(self._published(group, t) for _, t in sorted(md.signed.targets.items()))
        newest_root = self._file(Root.type, root.version)
        return ChannelListing(tuple(roles), groups, str(newest_root.relative_to(self.dir)))


def create(
    repo_dir: Path,
    key_dir: Path,
    *,
    clock: Clock,
    root_keys: int = 2,
    root_threshold: int = 2,
    groups: tuple[str, ...] = (),
    expiries: Expiries | None = None,
) -> ChannelRepository:
    """Make a new channel: keys (kept if already in ``key_dir``), root v1, targets, snapshot, timestamp.

    Keys: ``root-1.pem`` .. ``root-N.pem`` (offline: keep them off the publishing machine
    once the channel exists), ``targets.pem``, ``snapshot.pem``, ``timestamp.pem`` (online,
    for cron), one ``county-COUNTY.pem`` per county of ``groups``.
    """
    repo_dir, key_dir = Path(repo_dir), Path(key_dir)
    if not 1 <= root_threshold <= root_keys:
        raise ChannelSetupError(f"root threshold {root_threshold} must be between 1 and {root_keys} keys")
    if (repo_dir / "metadata").exists() and any((repo_dir / "metadata").iterdir()):
        raise ChannelSetupError(f"{repo_dir} already holds a channel")
    for group in groups:
        check_group(group)
    repo = ChannelRepository(repo_dir, key_dir, clock=clock, expiries=expiries)
    keys = repo.keys
    try:
        root_signers = [keys.load_or_generate(f"root-{i}") for i in range(1, root_keys + 1)]
        online = {role: keys.load_or_generate(role) for role in (Targets.type, Snapshot.type, Timestamp.type)}
        served_dir(repo.metadata_dir)
        served_dir(repo.targets_dir)
        with repo._writing():
            with repo.edit_root() as root:
                for signer in root_signers:
                    root.add_key(signer.public_key, Root.type)
                root.roles[Root.type].threshold = root_threshold
                for role, signer in online.items():
                    root.add_key(signer.public_key, role)
            with repo.edit_targets():
                pass
            repo._publish()
    except OSError as exc:
        raise ChannelSetupError(f"cannot create the channel in {repo_dir}: {exc.strerror or exc}") from None
    if groups:
        repo.add_groups(list(groups))
    return repo


def open_repository(
    repo_dir: Path, key_dir: Path, *, clock: Clock, expiries: Expiries | None = None
) -> ChannelRepository:
    """Open an existing channel folder with its key folder."""
    return ChannelRepository.open_existing(Path(repo_dir), Path(key_dir), clock=clock, expiries=expiries)


def now_utc() -> datetime:
    """The real clock, for callers outside tests (the CLI)."""
    return datetime.now(UTC)
