"""The kiosk side of a channel: refresh the signed metadata with python-tuf and say what it offers a group.

``tuf.ngclient.Updater`` does every check of the TUF client workflow (root chain, thresholds,
versions, expiry, lengths and hashes of each file it fetches, delegations); this module adds
what a kiosk needs around it:

- **all or nothing on disk**: the Updater works on a copy of the device's metadata folder, and
  the copy replaces the folder only when the whole refresh succeeded, so a refused file never
  changes what the kiosk trusts;
- **one plain line** for every refusal (:class:`MetadataRefused`, :class:`ChannelUnreachable`,
  :class:`ChannelConfigError`), never a python-tuf traceback;
- **staleness as a state**: an expired timestamp gives a :class:`ChannelView` in the state
  ``stale`` with no offers (new content is blocked) and the moment it went stale, so the kiosk
  keeps showing what it has and the operator reads "content is stale since ...";
- **a clock check**: a device clock before the channel's own signing time (or in 1970, or
  2099) is reported, and expiry is then judged against the newest signed time the kiosk has
  verified instead, so a kiosk without a real-time clock still updates (it cannot then tell
  a frozen channel from an idle one; rollback protection stays whole);
- **the group's targets**: the group's delegated role is listed in full (python-tuf looks up
  one path at a time), and a role that lists a target outside its own group is refused.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import Metadata, Root, TargetFile, Targets, Timestamp
from tuf.api.serialization import DeserializationError
from tuf.ngclient import FetcherInterface, Updater, UpdaterConfig
from tuf.ngclient.requests_fetcher import RequestsFetcher

from content_sync.core.errors import KioskError
from content_sync.core.fsio import fsync_dir
from content_sync.sync.repository import PIN_FIELD, check_group, role_for_group, signed_at

try:
    import fcntl
except ImportError:  # Windows: the kiosk's single sync agent serialises refreshes
    fcntl = None  # type: ignore[assignment]

Clock = Callable[[], datetime]

#: Before this a device clock is certainly wrong (no RTC, a drained battery: 1970, 2000).
PLAUSIBLE_FROM = datetime(2025, 1, 1, tzinfo=UTC)
#: From this on a device clock is certainly wrong (a corrupted RTC: 2099, 2106).
PLAUSIBLE_UNTIL = datetime(2090, 1, 1, tzinfo=UTC)
#: How far a device clock may trail the channel's signing time before it counts as wrong.
CLOCK_SKEW = timedelta(minutes=10)
#: Default timeout of one network read (seconds).
SOCKET_TIMEOUT = 30


class TrustError(KioskError):
    """The channel could not be refreshed; the kiosk's trusted metadata is unchanged."""


class MetadataRefused(TrustError):
    """A metadata or target file failed a TUF check (signature, version, expiry, length, hash, delegation)."""


class ChannelUnreachable(TrustError):
    """The channel could not be read (network, HTTP status, timeout)."""


class ChannelConfigError(TrustError):
    """The kiosk is not set up for this channel (no root metadata, a group the channel lacks)."""


@dataclass(frozen=True)
class OfferedTarget:
    """One file the channel offers this kiosk's group, as its signed metadata states it."""

    path: str
    length: int
    sha256: str
    custom: dict[str, Any]

    @property
    def name(self) -> str:
        """The name inside the group (``packs/demo-3.kpack`` for ``lanzhou/station/packs/demo-3.kpack``)."""
        return self.path.split("/", 2)[2]

    @property
    def pinned(self) -> bool:
        return bool(self.custom.get(PIN_FIELD))

    @property
    def blob(self) -> str:
        """Where the file lies under the channel's ``targets/``: its SHA-256 before its name (immutable)."""
        folder, _, name = self.path.rpartition("/")
        return f"{folder}/{self.sha256}.{name}"


@dataclass(frozen=True)
class ChannelView:
    """What one refresh found: the group's offers, or a stale state, and the clock's verdict."""

    group: str
    state: Literal["current", "stale"]
    targets: tuple[OfferedTarget, ...] = ()
    timestamp_version: int = 0
    expires: datetime | None = None  # the signed timestamp's expiry: content is stale after this
    signed: datetime | None = None  # when the channel last signed its timestamp
    clock_problem: str | None = None  # one line when the device clock is clearly wrong
    message: str = ""

    @property
    def pinned(self) -> OfferedTarget | None:
        """The target the group must run, when the channel pins one."""
        return next((t for t in self.targets if t.pinned), None)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (for ``--json`` output): times as ISO 8601 UTC strings or null."""

        def iso(moment: datetime | None) -> str | None:
            return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None

        return {
            "group": self.group,
            "state": self.state,
            "targets": [
                {"path": t.path, "length": t.length, "sha256": t.sha256, "custom": t.custom} for t in self.targets
            ],
            "pinned": self.pinned.path if self.pinned else None,
            "timestamp_version": self.timestamp_version,
            "expires": iso(self.expires),
            "signed": iso(self.signed),
            "clock_problem": self.clock_problem,
            "message": self.message,
        }


@dataclass(frozen=True)
class TrustedState:
    """What the device's metadata folder trusts now (read without the network)."""

    root_version: int
    timestamp_version: int
    expires: datetime | None
    signed: datetime | None


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _read_unverified(path: Path) -> Metadata | None:
    """A metadata file from the device's own folder (it was verified before it was stored)."""
    try:
        return Metadata.from_bytes(path.read_bytes())
    except (OSError, tuf_errors.RepositoryError):
        return None


def last_trusted(metadata_dir: Path) -> TrustedState:
    """The trusted root and timestamp on the device, for the status strip when offline."""
    metadata_dir = Path(metadata_dir)
    _recover(metadata_dir)
    root = _read_unverified(metadata_dir / "root.json")
    if root is None:
        raise ChannelConfigError(f"no readable root.json in {metadata_dir}: provision the kiosk with the channel root")
    ts = _read_unverified(metadata_dir / "timestamp.json")
    return TrustedState(
        root_version=root.signed.version,
        timestamp_version=ts.signed.version if ts else 0,
        expires=ts.signed.expires if ts else None,
        signed=signed_at(ts.signed) if ts else None,
    )


def _siblings(metadata_dir: Path) -> tuple[Path, Path]:
    return (
        metadata_dir.with_name(f".{metadata_dir.name}.new"),
        metadata_dir.with_name(f".{metadata_dir.name}.old"),
    )


def _recover(metadata_dir: Path) -> None:
    """Finish or undo a metadata swap a power cut interrupted."""
    new, old = _siblings(metadata_dir)
    if not metadata_dir.exists() and old.exists():
        os.replace(old, metadata_dir)
    if old.exists():
        shutil.rmtree(old)
    if new.exists():
        shutil.rmtree(new)


def _commit(staging: Path, metadata_dir: Path) -> None:
    """Swap the refreshed copy in: the folder is the old one or the new one, never a mix."""
    _, old = _siblings(metadata_dir)
    os.replace(metadata_dir, old)
    os.replace(staging, metadata_dir)
    fsync_dir(metadata_dir.parent)
    shutil.rmtree(old)


def _refusal(exc: BaseException) -> TrustError:
    """One plain line for any exception python-tuf raises during a refresh."""
    detail = _one_line(exc) or type(exc).__name__
    if isinstance(exc, DeserializationError):
        cause = exc.__cause__
        reason = (_one_line(cause) or type(cause).__name__) if cause is not None else detail
        return MetadataRefused(f"channel metadata refused: malformed metadata ({reason})")
    if isinstance(exc, tuf_errors.DownloadLengthMismatchError):
        return MetadataRefused(f"channel metadata refused: more bytes than allowed ({detail})")
    if isinstance(exc, tuf_errors.DownloadHTTPError):
        return ChannelUnreachable(f"channel unreachable: HTTP {exc.status_code} ({detail})")
    if isinstance(exc, tuf_errors.SlowRetrievalError):
        return ChannelUnreachable(f"channel unreachable: too slow ({detail})")
    if isinstance(exc, tuf_errors.DownloadError):
        return ChannelUnreachable(f"channel unreachable: {detail}")
    if isinstance(exc, tuf_errors.UnsignedMetadataError):
        return MetadataRefused(f"channel metadata refused: not signed by enough trusted keys ({detail})")
    if isinstance(exc, tuf_errors.BadVersionNumberError):
        return MetadataRefused(f"channel metadata refused: wrong version, a rollback or a mix of versions ({detail})")
    if isinstance(exc, tuf_errors.ExpiredMetadataError):
        return MetadataRefused(f"channel metadata refused: expired ({detail})")
    if isinstance(exc, tuf_errors.LengthOrHashMismatchError):
        return MetadataRefused(f"channel metadata refused: length or hash differs from the signed listing ({detail})")
    if isinstance(exc, tuf_errors.RepositoryError):
        return MetadataRefused(f"channel metadata refused: {detail}")
    if isinstance(exc, OSError):
        return TrustError(f"cannot write the kiosk's channel metadata: {exc.strerror or detail}")
    return MetadataRefused(f"channel metadata refused: {type(exc).__name__}: {detail}")


class ChannelClient:
    """One kiosk's view of one channel and group; ``refresh`` then ``download`` what it offers."""

    def __init__(
        self,
        metadata_dir: Path,
        channel_url: str,
        group: str,
        *,
        clock: Clock,
        fetcher: FetcherInterface | None = None,
        config: UpdaterConfig | None = None,
    ) -> None:
        check_group(group)
        self.metadata_dir = Path(metadata_dir)
        base = channel_url.rstrip("/")
        self.metadata_url = f"{base}/metadata/"
        self.targets_url = f"{base}/targets/"
        self.group = group
        self.role = role_for_group(group)
        self.clock = clock
        self.fetcher = fetcher if fetcher is not None else RequestsFetcher(socket_timeout=SOCKET_TIMEOUT)
        self.config = config or UpdaterConfig()
        self._updater: Updater | None = None
        self._targets: dict[str, TargetFile] = {}

    # -- the clock -------------------------------------------------------------------------

    def _clock_check(self, folder: Path, now: datetime) -> tuple[datetime, str | None]:
        """The time to judge expiry by, and a line when the device clock is clearly wrong."""
        known = [
            moment
            for name in ("root.json", "timestamp.json")
            if (md := _read_unverified(folder / name)) is not None and (moment := signed_at(md.signed)) is not None
        ]
        newest = max(known, default=None)
        if now < PLAUSIBLE_FROM or now >= PLAUSIBLE_UNTIL:
            fallback = max(newest or PLAUSIBLE_FROM, PLAUSIBLE_FROM)
            return fallback, (
                f"device clock reads {_fmt(now)}, which cannot be right; expiry is checked against"
                f" the channel's signed time {_fmt(fallback)} instead"
            )
        if newest is not None and now < newest - CLOCK_SKEW:
            return newest, (
                f"device clock reads {_fmt(now)}, before the channel signed its metadata at {_fmt(newest)};"
                " expiry is checked against the signed time instead"
            )
        return now, None

    # -- refreshing ------------------------------------------------------------------------

    def refresh(self) -> ChannelView:
        """Fetch and check the channel's metadata; commit it only if everything passed.

        Returns a ``current`` view with the group's targets, or a ``stale`` view (no targets)
        when the channel's timestamp has expired. Raises a :class:`TrustError` with one line
        for everything else; the device's metadata folder is then unchanged.
        """
        self.metadata_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.metadata_dir.with_name(f".{self.metadata_dir.name}.lock"), "a+b") as lock:
            if fcntl is not None:
                try:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise TrustError("another sync is refreshing this kiosk's channel metadata; try again") from None
            return self._refresh()

    def _refresh(self) -> ChannelView:
        now = self.clock().astimezone(UTC)
        _recover(self.metadata_dir)
        if not (self.metadata_dir / "root.json").exists():
            raise ChannelConfigError(
                f"no root.json in {self.metadata_dir}: provision the kiosk with the channel's root metadata"
            )
        staging, _ = _siblings(self.metadata_dir)
        shutil.copytree(self.metadata_dir, staging, symlinks=True)
        committed = False
        try:
            reference, clock_problem = self._clock_check(staging, now)
            try:
                updater = Updater(
                    str(staging),
                    self.metadata_url,
                    target_base_url=self.targets_url,
                    fetcher=self.fetcher,
                    config=self.config,
                    bootstrap=None,
                )
            except Exception as exc:  # a stored root python-tuf cannot load
                raise _refusal(exc) from None
            # python-tuf reads the wall clock when the Updater is made; the kiosk's clock is injected
            # (tests, and the wrong-clock fallback above). Pinned by the clock tests in test_tuf_client.
            updater._trusted_set.reference_time = reference
            try:
                updater.refresh()
            except tuf_errors.ExpiredMetadataError as exc:
                stale = self._stale_view(updater, clock_problem)
                if stale is not None:
                    return stale
                raise _refusal(exc) from None
            except Exception as exc:  # python-tuf's whole range of refusals, mapped to one line
                raise _refusal(exc) from None
            try:
                offers = self._group_targets(updater)
            except TrustError:
                raise
            except Exception as exc:
                raise _refusal(exc) from None
            timestamp = updater._trusted_set.timestamp
            moment = signed_at(timestamp)
            if clock_problem is None and moment is not None and now < moment - CLOCK_SKEW:
                clock_problem = (
                    f"device clock reads {_fmt(now)}, before the channel signed its metadata at {_fmt(moment)}"
                )
            _commit(staging, self.metadata_dir)
            committed = True
            self._updater = updater
            self._targets = {t.path: t for t in offers}
            return ChannelView(
                group=self.group,
                state="current",
                targets=tuple(_offered(t) for t in offers),
                timestamp_version=timestamp.version,
                expires=timestamp.expires,
                signed=moment,
                clock_problem=clock_problem,
                message=f"channel current until {_fmt(timestamp.expires)}: {len(offers)} target(s) for {self.group}",
            )
        finally:
            if not committed and staging.exists():
                shutil.rmtree(staging)

    def _stale_view(self, updater: Updater, clock_problem: str | None) -> ChannelView | None:
        """An expired timestamp is a state (new content blocked), not a failure; other expiries are refusals."""
        if Timestamp.type not in updater._trusted_set:
            return None
        timestamp = updater._trusted_set.timestamp
        if not timestamp.is_expired(updater._trusted_set.reference_time):
            return None
        return ChannelView(
            group=self.group,
            state="stale",
            timestamp_version=timestamp.version,
            expires=timestamp.expires,
            signed=signed_at(timestamp),
            clock_problem=clock_problem,
            message=f"content is stale since {_fmt(timestamp.expires)}: the channel's timestamp has expired",
        )

    def _group_targets(self, updater: Updater) -> list[TargetFile]:
        """Every target of the group's role, after python-tuf loaded and verified that role."""
        trusted = updater._trusted_set
        top = trusted[Targets.type]
        assert isinstance(top, Targets)
        delegations = top.delegations
        if delegations is None or delegations.roles is None or self.role not in delegations.roles:
            raise ChannelConfigError(f"group {self.group} is not in this channel")
        delegated = delegations.roles[self.role]
        # Walking to a path inside the group makes python-tuf load and verify the group's role.
        updater.get_targetinfo(f"{self.group}/.group")
        role = trusted.get(self.role)
        if not isinstance(role, Targets):
            raise ChannelConfigError(f"group {self.group} is not reachable through the channel's delegations")
        for path in role.targets:
            if not path.startswith(f"{self.group}/") or not delegated.is_delegated_path(path):
                raise MetadataRefused(
                    f"channel metadata refused: role {self.role} lists {path}, outside the group it is trusted for"
                )
        return [role.targets[p] for p in sorted(role.targets)]

    # -- downloading -------------------------------------------------------------------------

    def url_of(self, target: OfferedTarget) -> str:
        """The blob's URL, for a downloader of its own (resuming, capped at ``target.length``,
        checked against ``target.sha256`` before use)."""
        return f"{self.targets_url}{target.blob}"

    def download(self, target: OfferedTarget, dest: Path) -> Path:
        """Fetch a target the last refresh offered; ``dest`` is written only after its length and hash checked."""
        if self._updater is None or target.path not in self._targets:
            raise TrustError(f"{target.path} is not offered by the last refresh of {self.group}")
        info = self._targets[target.path]
        try:
            return Path(self._updater.download_target(info, str(dest)))
        except tuf_errors.LengthOrHashMismatchError as exc:
            raise MetadataRefused(
                f"target {target.path} refused: its bytes differ from the signed hash or length ({_one_line(exc)})"
            ) from None
        except tuf_errors.DownloadLengthMismatchError as exc:
            raise MetadataRefused(f"target {target.path} refused: more bytes than signed ({_one_line(exc)})") from None
        except Exception as exc:
            raise _refusal(exc) from None


def _offered(target: TargetFile) -> OfferedTarget:
    custom = target.custom if isinstance(target.custom, dict) else {}
    return OfferedTarget(
        path=target.path, length=target.length, sha256=target.hashes.get("sha256", ""), custom=dict(custom)
    )


def provision(metadata_dir: Path, root_file: Path) -> None:
    """Give a kiosk its trust anchor: the channel's root metadata as ``root.json`` (checked it parses as a root)."""
    md = _read_unverified(Path(root_file))
    if md is None or not isinstance(md.signed, Root):
        raise ChannelConfigError(f"{root_file} is not a channel's root metadata")
    metadata_dir = Path(metadata_dir)
    metadata_dir.mkdir(parents=True, exist_ok=True)
    target = metadata_dir / "root.json"
    if target.is_symlink() or target.exists():
        raise ChannelConfigError(f"{metadata_dir} already trusts a channel root; use a fresh folder")
    shutil.copyfile(root_file, target)
