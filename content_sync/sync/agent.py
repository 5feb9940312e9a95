"""One sync cycle of a kiosk, and when to run the next one (see docs/sync.md, "The kiosk's sync cycle").

A cycle: refresh the channel's signed metadata (python-tuf through :class:`ChannelClient`,
every file through the kiosk's resumable :class:`Fetcher`), pick the target for the kiosk's
group, download it into ``DATA_DIR/sync/staging/`` (a cut download resumes in the next
cycle), install it with the same :class:`Installer` a USB stick uses (pack signature,
vetting, atomic switch), and write what happened into the device state's ``sync_state``
table in plain words. Nothing in a cycle ever removes or damages the installed content: a
refused, stale or unreachable channel leaves the kiosk showing what it has.

Which target (:func:`choose`): the group's pinned pack when the channel pins one, otherwise
the newest content version; never a version below the installed one (a pin below it holds
the kiosk where it is and says so, because the installer refuses downgrades) unless the pin
says ``rollback``: then a kiosk that still keeps the pinned version as its previous one goes
back to it. A pack in a staged roll-out (``custom.rollout``) is offered only to the kiosks
the roll-out names or draws (:func:`takes_rollout`); the others see the channel without it.

The same :func:`run_cycle` serves ``kiosk-pack sync --once`` and the kiosk's background
agent; :class:`PollSchedule` says when the next cycle is due (a fixed per-device offset
within the interval, exponential backoff with jitter after failures, a server's
``Retry-After`` honoured). Clocks and randomness are injected.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import random
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import urlsplit

from tuf.api import exceptions as tuf_exceptions

from content_sync.core.errors import KioskError, PackError
from content_sync.core.retry import backoff_seconds, floor_retry_after
from content_sync.device.damage import CONTENT_WHAT, REPAIR_ADVICE, content_schema_problem, inspect_database
from content_sync.device.fallback import failed_version
from content_sync.device.install import Installer, Release, media_kept, rollback
from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack import delta_format
from content_sync.pack.delta import Delta, DeltaError
from content_sync.pack.digest import ContentDigest, installed_digest
from content_sync.pack.release import vouched_manifest
from content_sync.sync.feeds import FeedCycleResult, FeedOutcome, feed_status, record_feed_failure, refresh_feeds
from content_sync.sync.fetch import Fetcher, FetchError, FetchRefused, ServerBusyError, TufFetcher
from content_sync.sync.layout import (
    DELTA_KIND,
    PACK_KIND,
    Entry,
    media_target_name,
    read_entry,
    release_target_name,
)
from content_sync.sync.repository import PIN_FIELD, check_group
from content_sync.sync.trust import ChannelClient, ChannelConfigError, OfferedTarget, TrustError, provision

Clock = Callable[[], dt.datetime]
Outcome = Literal["installed", "up-to-date", "held", "stale", "failed", "rolled-back"]
SyncPath = Literal["delta", "full", "delta-then-full"]

#: A delta chain (deltas plus the media the kiosk lacks) is used only below this share of the full pack.
DELTA_SHARE = 0.5

#: Settings (device state) a provisioned kiosk has.
URL_SETTING = "sync_url"
GROUP_SETTING = "sync_group"
DEVICE_ID_SETTING = "device_id"

#: Keys of the ``sync_state`` table this module writes (the operator screen reads them).
STATE_KEYS = (
    "last_check",
    "last_success",
    "last_outcome",
    "last_message",
    "last_error",
    "channel_state",
    "stale_since",
    "clock_problem",
    "bytes_last",
    "bytes_total",
    "installed_version",
    "last_path",
    "delta_bytes",
    "delta_refused",
    "failures",
    "retry_after",
    "next_check",
)


class SyncSetupError(KioskError):
    """The kiosk is not (or cannot be) set up for a channel: URL, group or root metadata."""


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


@dataclass(frozen=True)
class SyncPaths:
    """Where sync keeps its files in a data directory (beside ``content/``, never served to visitors)."""

    data: DataDir

    @property
    def root(self) -> Path:
        return self.data.root / "sync"

    @property
    def metadata(self) -> Path:
        """The channel's trusted TUF metadata (``root.json`` from provisioning, then refreshed)."""
        return self.root / "metadata"

    @property
    def staging(self) -> Path:
        """Downloads in progress (``*.part`` resumes) and complete packs waiting to be installed."""
        return self.root / "staging"

    @property
    def feeds(self) -> Path:
        """Where a live feed is downloaded before its check (it is then kept in the device database)."""
        return self.root / "feeds"


# --- provisioning ---------------------------------------------------------------------------


def check_url(url: str) -> str:
    """A channel base URL: http or https with a host, no query (one line when not)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SyncSetupError(f"channel URL {url!r} is not an http:// or https:// address of a channel folder")
    return url.rstrip("/")


def setup(
    data: DataDir,
    url: str,
    group: str,
    root_file: Path,
    *,
    device_id: str | None = None,
    replace: bool = False,
    clock: Clock | None = None,
) -> dict[str, Any]:
    """Provision a kiosk for a channel: URL and group in the device state, the root metadata in the data dir.

    ``replace`` forgets the channel metadata trusted so far (a kiosk moved to another channel).
    The device id (for the poll offset) is kept once set; a new kiosk gets a random one.
    """
    url = check_url(url)
    try:
        check_group(group)
    except KioskError as exc:
        raise SyncSetupError(str(exc)) from None
    paths = SyncPaths(data)
    if replace:
        for folder in (paths.metadata, paths.staging):  # the old channel's metadata and downloads
            if folder.exists():
                shutil.rmtree(folder)
    try:
        provision(paths.metadata, Path(root_file))
    except ChannelConfigError as exc:
        raise SyncSetupError(f"{exc} (give --replace to trust a new root)") from None
    with _device(data, clock) as device:
        device.set(URL_SETTING, url)
        device.set(GROUP_SETTING, group)
        if device_id or not device.get(DEVICE_ID_SETTING):
            device.set(DEVICE_ID_SETTING, device_id or uuid.uuid4().hex)
        return {
            "url": url,
            "group": group,
            "device_id": device.get(DEVICE_ID_SETTING),
            "root": str(paths.metadata / "root.json"),
        }


@contextlib.contextmanager
def _device(data: DataDir, clock: Clock | None) -> Iterator[DeviceState]:
    data.root.mkdir(parents=True, exist_ok=True)
    if clock is None:
        state = DeviceState(data.device_db)
    else:
        state = DeviceState(data.device_db, lambda: clock().astimezone(dt.UTC).replace(microsecond=0).isoformat())
    with state:
        yield state


# --- staged roll-outs and rollback pins ------------------------------------------------------

#: ``custom`` of a pack target in a staged roll-out: ``{"id": ..., "devices": [...], "percent": 0-100}``.
ROLLOUT_FIELD = "rollout"
#: ``custom`` of a pinned pack target: kiosks above the pinned version go back to it.
ROLLBACK_FIELD = "rollback"
#: A roll-out's percentage is drawn in 1/100 of a percent: a device's bucket is one of these.
ROLLOUT_BUCKETS = 10_000


def rollout_bucket(rollout_id: str, device_id: str) -> int:
    """The device's fixed draw (0..9999) for one roll-out; the platform computes the same number.

    Hashing the roll-out id with the device id gives every roll-out another tenth of the
    fleet first, and a kiosk in a wave of 10 % stays in the 50 % wave that follows.
    """
    return int(hashlib.sha256(f"{rollout_id}:{device_id}".encode()).hexdigest()[:8], 16) % ROLLOUT_BUCKETS


def takes_rollout(rollout: object, device_id: str | None) -> bool:
    """True when a pack target with this ``custom.rollout`` (None: no roll-out) is for this device.

    Listed devices (the canaries) take it, and devices whose :func:`rollout_bucket` is below
    ``percent * 100``. A roll-out this kiosk cannot read (signed, so a newer publisher) is not
    taken: a staged pack must never spread further than its publisher meant. A kiosk without
    a device id takes only a roll-out at 100 %.
    """
    if rollout is None:
        return True
    if not isinstance(rollout, dict):
        return False
    devices = rollout.get("devices", [])
    if device_id and isinstance(devices, list) and device_id in devices:
        return True
    rollout_id, percent = rollout.get("id"), rollout.get("percent", 0)
    if not isinstance(rollout_id, str) or not rollout_id:
        return False
    if isinstance(percent, bool) or not isinstance(percent, int | float):
        return False
    if percent >= 100:
        return True
    if not device_id:
        return False
    return rollout_bucket(rollout_id, device_id) < percent * (ROLLOUT_BUCKETS // 100)


def offered_entries(targets: Sequence[OfferedTarget], device_id: str | None) -> list[Entry]:
    """The entries this device may choose from: packs of roll-outs it is not in are left out."""
    out: list[Entry] = []
    for t in targets:
        if not takes_rollout(t.custom.get(ROLLOUT_FIELD), device_id):
            continue
        entry = read_entry(t.path, t.custom)
        if entry is not None:
            out.append(entry)
    return out


def rollback_paths(targets: Sequence[OfferedTarget]) -> frozenset[str]:
    """Paths of pinned targets whose pin says ``rollback`` (at most one per group)."""
    return frozenset(
        t.path for t in targets if t.custom.get(PIN_FIELD) is True and t.custom.get(ROLLBACK_FIELD) is True
    )


# --- choosing a target -----------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What the cycle should do with the offers: fetch ``entry``, or nothing and why."""

    entry: Entry | None
    outcome: Outcome  # "installed" means "fetch and install entry"
    message: str


def choose(
    entries: list[Entry], installed: int | None, channel: str, *, rollbacks: frozenset[str] = frozenset()
) -> Choice:
    """Pick the pack for this kiosk: the pin if any, else the newest; never below ``installed``...

    ...unless the pin's path is in ``rollbacks`` (:func:`rollback_paths`): then the choice
    is ``"rolled-back"`` and the cycle switches back to the kept previous version (its result
    then says ``"installed"``, since the content changed).
    Only full packs of this pack channel are candidates: deltas are a way to reach the chosen
    pack (:func:`plan_deltas`), media and other kinds are what deltas need or newer publishers offer.
    Packs of roll-outs this device is not in are already left out (:func:`offered_entries`).
    """
    packs = [e for e in entries if e.kind == PACK_KIND and (e.channel is None or e.channel == channel)]
    pinned = next((e for e in packs if e.pinned), None)
    if pinned is not None:
        if installed is None or pinned.content_version > installed:
            return Choice(pinned, "installed", f"pinned to content version {pinned.content_version}")
        if pinned.content_version == installed:
            return Choice(None, "up-to-date", f"content version {installed} is installed (the group is pinned to it)")
        if pinned.path in rollbacks:
            return Choice(
                pinned,
                "rolled-back",
                f"the group is rolled back to content version {pinned.content_version} (installed: {installed})",
            )
        return Choice(
            None,
            "held",
            f"the group is pinned to content version {pinned.content_version}, below the installed {installed};"
            " this kiosk stays on its version (a kiosk never goes back by itself: 'kiosk-pack rollback')",
        )
    if not packs:
        other = [e for e in entries if e.kind == PACK_KIND]
        if other:
            return Choice(None, "up-to-date", f"the channel offers no pack for pack channel {channel}")
        return Choice(None, "up-to-date", "the channel offers no pack for this group yet")
    newest = max(packs, key=lambda e: (e.content_version, e.path))
    if installed is not None and newest.content_version <= installed:
        return Choice(
            None,
            "up-to-date",
            f"content version {installed} is installed; the channel's newest is {newest.content_version}",
        )
    return Choice(newest, "installed", f"content version {newest.content_version} is the newest")


# --- one cycle ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleResult:
    """What one cycle did, in plain words and figures (``--json`` prints :meth:`to_json`)."""

    outcome: Outcome
    message: str
    channel_state: Literal["current", "stale"] | None = None
    installed_version: int | None = None
    previous_version: int | None = None
    target: str | None = None
    bytes_moved: int = 0
    resumed_from: int = 0
    retry_after: float | None = None
    stale_since: dt.datetime | None = None
    clock_problem: str | None = None
    checked_at: dt.datetime | None = None
    path: SyncPath | None = None  # how new content came: row deltas, the full pack, or deltas refused then full
    delta_bytes: int = 0  # bytes moved for deltas and media (part of bytes_moved)
    delta_refused: str | None = None  # why a delta chain was not used after it was tried
    feeds: tuple[FeedOutcome, ...] = ()  # the live feeds refreshed with the channel (content_sync.sync.feeds)

    @property
    def ok(self) -> bool:
        return self.outcome in ("installed", "up-to-date", "held", "rolled-back")

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["stale_since"] = _iso(self.stale_since)
        out["checked_at"] = _iso(self.checked_at)
        out["feeds"] = [f.to_json() for f in self.feeds]
        out["ok"] = self.ok
        return out


class _HintingTufFetcher(TufFetcher):
    """The kiosk's TufFetcher, remembering a server's last ``Retry-After`` (python-tuf drops it)."""

    retry_in: float | None = None

    @contextlib.contextmanager
    def download_file(self, url: str, max_length: int) -> Iterator[IO[bytes]]:
        try:
            with super().download_file(url, max_length) as fh:
                yield fh
        except tuf_exceptions.DownloadError as exc:
            if isinstance(exc.__cause__, ServerBusyError):
                self.retry_in = exc.__cause__.retry_in
            raise


def _staged_name(target: OfferedTarget) -> str:
    """Staging file of a target: its hash in the name, so a resume never mixes two files."""
    return f"{target.sha256[:16]}-{target.path.rsplit('/', 1)[-1]}"


def _clean_staging(staging: Path, keep: str | None, *more: str) -> None:
    """Drop downloads of targets no longer wanted (an older pack's half-download)."""
    if not staging.is_dir():
        return
    keeps = tuple(k for k in (keep, *more) if k)
    for path in staging.iterdir():
        if not keeps or not path.name.startswith(keeps):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def run_cycle(
    data: DataDir, *, clock: Clock, fetcher: Fetcher | None = None, delta_share: float = DELTA_SHARE
) -> CycleResult:
    """Run one sync cycle for the kiosk in ``data`` and record it in ``sync_state``; never raises a KioskError.

    ``fetcher`` is the kiosk's downloader (the background agent keeps one; tests inject a
    fetcher with recorded sleeps); by default a fresh one with the kiosk's policy.
    ``delta_share``: deltas plus media are used only below this share of the full pack.
    """
    paths = SyncPaths(data)
    now = clock().astimezone(dt.UTC)
    own = fetcher is None
    fetch = fetcher if fetcher is not None else Fetcher(now=clock)
    start_bytes = fetch.bytes_received
    tuf = _HintingTufFetcher(fetch)
    try:
        with _device(data, clock) as device:
            try:
                result = _cycle(data, paths, device, fetch, tuf, now, clock, delta_share)
            except OSError as exc:  # the kiosk's own disk: the sync folder cannot be written
                where = f" ({exc.filename})" if exc.filename else ""
                result = CycleResult(
                    "failed",
                    f"cannot write the kiosk's sync folder{where}: {exc.strerror or exc}; the content is unchanged",
                    installed_version=(p.content_version if (p := data.read_pointer()) else None),
                )
            moved = fetch.bytes_received - start_bytes
            result = _with(result, bytes_moved=moved, checked_at=now)
            _record(device, result)
            return result
    except KioskError as exc:  # the device database itself cannot be opened or written
        return CycleResult(
            "failed",
            f"sync state cannot be written: {exc}",
            checked_at=now,
            bytes_moved=fetch.bytes_received - start_bytes,
        )
    finally:
        if own:
            fetch.close()


_DELTA_FIELDS = ("outcome", "message", "target", "retry_after", "path", "delta_bytes", "delta_refused")


def _merge(base: CycleResult, delta: CycleResult) -> CycleResult:
    """``base`` (the channel's verdict, the installed version) with what the delta path did."""
    changes = {k: getattr(delta, k) for k in _DELTA_FIELDS}
    if delta.outcome == "installed":
        changes.update(installed_version=delta.installed_version, previous_version=delta.previous_version)
    return _with(base, **changes)


def installed_problem(data: DataDir) -> str | None:
    """Why the installed content cannot be shown although a version is installed (None: it can).

    A damaged database, or one made for another content schema (kiosk software updated over
    old content). The channel's pack of the same version then repairs it, so a cycle fetches
    it like a newer one: a kiosk recovers by itself instead of waiting for an operator.
    Reads every page (about 1.5 ms a MB, on the sync thread).
    """
    pointer = data.read_pointer()
    if pointer is None:
        return None
    damage = inspect_database(data.version_db(pointer.current), CONTENT_WHAT, thorough=True, immutable=True)
    if damage is not None:
        return damage.reason
    return content_schema_problem(data)


def _with(result: CycleResult, **changes: Any) -> CycleResult:
    values = dict(result.__dict__)
    values.update(changes)
    return CycleResult(**values)


def _cycle(
    data: DataDir,
    paths: SyncPaths,
    device: DeviceState,
    fetch: Fetcher,
    tuf: _HintingTufFetcher,
    now: dt.datetime,
    clock: Clock,
    delta_share: float = DELTA_SHARE,
) -> CycleResult:
    pointer = data.read_pointer()
    installed = pointer.content_version if pointer else None
    url, group = device.get(URL_SETTING), device.get(GROUP_SETTING)
    if not url or not group:
        return CycleResult(
            "failed", "this kiosk is not set up for a channel: run 'kiosk-pack sync-setup'", installed_version=installed
        )
    try:
        client = ChannelClient(paths.metadata, url, group, clock=clock, fetcher=tuf)
        view = client.refresh()
    except TrustError as exc:
        record_feed_failure(device, str(exc), now)
        return CycleResult("failed", str(exc), installed_version=installed, retry_after=tuf.retry_in)
    except KioskError as exc:
        record_feed_failure(device, str(exc), now)
        return CycleResult("failed", str(exc), installed_version=installed)
    # The live feeds first: small, and fresh even while a long pack download follows.
    feeds = tuple(refresh_feeds(device, client, view, paths.feeds, now))
    base = CycleResult(
        "up-to-date",
        view.message,
        channel_state=view.state,
        installed_version=installed,
        clock_problem=view.clock_problem,
        stale_since=view.expires if view.state == "stale" else None,
        feeds=feeds,
    )
    if view.state == "stale":
        return _with(
            base,
            outcome="stale",
            message=f"{view.message}; showing content version {installed}" if installed is not None else view.message,
        )
    device_id = device.get(DEVICE_ID_SETTING)
    offered = offered_entries(view.targets, str(device_id) if device_id else None)
    # Installed but unusable: the same version from the channel repairs it (the installer takes it again).
    broken = installed_problem(data) if installed is not None else None
    floor = installed - 1 if broken is not None and installed is not None else installed
    choice = choose(offered, floor, str(device.get("channel", "stable")), rollbacks=rollback_paths(view.targets))
    if broken is not None and choice.entry is None:
        choice = Choice(
            None,
            "failed",
            f"the installed content version {installed} cannot be shown ({broken}), and the channel offers"
            f" no pack of version {installed} or newer to replace it ({choice.message}); {REPAIR_ADVICE}",
        )
    if choice.entry is None:
        _clean_staging(paths.staging, None)
        return _with(base, outcome=choice.outcome, message=choice.message)
    if choice.outcome == "rolled-back":
        _clean_staging(paths.staging, None)
        return _with(base, **_roll_back(data, device, choice.entry, installed, group, clock))
    failed = failed_version(device)
    if failed and (failed.get("pack_id"), failed.get("content_version")) == (
        choice.entry.pack_id,
        choice.entry.content_version,
    ):  # this kiosk went back from that version: switching to it again would fail again
        _clean_staging(paths.staging, None)
        return _with(
            base,
            outcome="held",
            message=f"content version {choice.entry.content_version} could not be opened on this kiosk"
            f" ({failed.get('why')}); it stays on version {installed} until a newer version is published"
            " (or an operator installs one with 'kiosk-pack install')",
        )
    target = next(t for t in view.targets if t.path == choice.entry.path)
    channel = str(device.get("channel", "stable"))
    keys = device.trusted_keys()
    # The file this kiosk refused last time, with the same keys and channel, would be refused
    # again: say so without downloading it every cycle (until the channel offers another file
    # or an operator trusts another key).
    refusal = {"sha256": target.sha256, "keys": sorted(k.key_id for k in keys), "channel": channel}
    refused = _sync_value(device, "refused")
    if isinstance(refused, dict) and {k: refused.get(k) for k in refusal} == refusal:
        return _with(base, outcome="failed", message=str(refused.get("message")), target=target.path)
    installer = Installer(data, keys, channel, clock=clock)
    tried: CycleResult | None = None
    offers = {t.path: t for t in view.targets}
    plan = plan_deltas(
        offered,
        offers,
        pointer.content_version if pointer and broken is None else None,  # no delta onto content that cannot be read
        pointer.pack_id if pointer else None,
        choice.entry,
        target.length,
        channel,
        share=delta_share,
    )
    if plan is not None:
        delta_start = fetch.bytes_received
        tried = _delta_update(data, paths, client, fetch, installer, plan, choice.entry, target, channel, group, offers)
        tried = _with(tried, delta_bytes=fetch.bytes_received - delta_start)
        if tried.outcome == "installed":
            with contextlib.suppress(KioskError):
                device.log_install(
                    f"channel {group}: deltas", choice.entry.pack_id, choice.entry.content_version, True,
                    "installed from the channel's deltas",
                )  # fmt: skip
            _clean_staging(paths.staging, None)
            return _merge(base, tried)
        if tried.delta_refused is None:  # a download cut or paused: resume the deltas next cycle
            return _merge(base, tried)
    staged = _staged_name(target)
    _clean_staging(paths.staging, staged)
    paths.staging.mkdir(parents=True, exist_ok=True)
    dest = paths.staging / staged
    try:
        download = fetch.download(
            client.url_of(target), dest, expected_length=target.length, expected_sha256=target.sha256
        )
    except ServerBusyError as exc:
        return _with(
            base,
            outcome="failed",
            message=f"download of {target.name} paused: {exc}",
            target=target.path,
            retry_after=exc.retry_in,
        )
    except FetchError as exc:
        return _with(base, outcome="failed", message=f"download of {target.name} failed: {exc}", target=target.path)
    if tried is not None:
        base = _with(base, path="delta-then-full", delta_bytes=tried.delta_bytes, delta_refused=tried.delta_refused)
    else:
        base = _with(base, path="full")
    source = f"channel {group}: {target.name}"
    try:
        done = installer.install(dest)
    except KioskError as exc:
        with contextlib.suppress(KioskError):
            device.log_install(source, choice.entry.pack_id, choice.entry.content_version, False, str(exc))
        # A pack the installer refused will be refused again: drop it. A full disk or a busy
        # installer is the kiosk's state, not the pack's: keep the download for the next cycle.
        message = f"content version {choice.entry.content_version} was not installed: {exc}"
        if isinstance(exc, PackError):
            dest.unlink(missing_ok=True)
            device.set_sync("refused", {**refusal, "message": message})
        return _with(base, outcome="failed", message=message, target=target.path)
    dest.unlink(missing_ok=True)
    with contextlib.suppress(KioskError):
        device.log_install(source, done.pack_id, done.content_version, True, "installed from the channel")
    before = f" (was {done.previous_version})" if done.previous_version else ""
    message = f"installed content version {done.content_version}{before} from {target.name}"
    if broken is not None:
        again = " again" if done.content_version == installed else before
        message = (
            f"installed content version {done.content_version}{again} from {target.name}:"
            f" the installed content could not be shown ({broken})"
        )
    return _with(
        base,
        outcome="installed",
        installed_version=done.content_version,
        previous_version=done.previous_version,
        target=target.path,
        resumed_from=download.resumed_from,
        message=message,
    )


def _roll_back(
    data: DataDir, device: DeviceState, goal: Entry, installed: int | None, group: str, clock: Clock
) -> dict[str, Any]:
    """Go back to the kept previous version when it is the pinned one (the installer refuses older packs).

    The switch is the operator's ``kiosk-pack rollback`` (one atomic pointer write; the
    newer version stays kept as "previous", so its media survive the tidy-up and clearing
    the pin brings it back). A kiosk that no longer keeps the pinned version is held where
    it is, and says so.
    """
    pointer = data.read_pointer()
    kept = _kept_release(data, pointer.previous) if pointer is not None and pointer.previous else None
    if pointer is None or kept != (goal.pack_id, goal.content_version):
        return {
            "outcome": "held",
            "message": f"the group is rolled back to content version {goal.content_version}, which this kiosk no"
            f" longer keeps; it stays on version {installed} (install version {goal.content_version} by hand"
            " with 'kiosk-pack install' to go back)",
        }
    try:
        new = rollback(data, clock)
    except KioskError as exc:
        return {"outcome": "failed", "message": f"could not go back to content version {goal.content_version}: {exc}"}
    with contextlib.suppress(KioskError):
        device.log_install(
            f"channel {group}: rollback", new.pack_id, new.content_version, True, "rolled back by the channel's pin"
        )
    return {  # "installed": the pointer switched, so the kiosk app reloads at its next idle moment as after any install
        "outcome": "installed",
        "installed_version": new.content_version,
        "previous_version": installed,
        "target": goal.path,
        "message": f"rolled back to content version {new.content_version} (was {installed}): the group is pinned"
        " back to it",
    }


def _kept_release(data: DataDir, version_name: str) -> tuple[str, int] | None:
    """The pack id and content version a kept version folder holds (its database's meta), or None."""
    db = data.version_db(version_name)
    if not db.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('pack_id', 'content_version')"))
        finally:
            conn.close()
        return str(meta["pack_id"]), int(meta["content_version"])
    except (sqlite3.Error, KeyError, ValueError):
        return None


# --- the delta path ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeltaPlan:
    """The deltas that lead from the installed version to the chosen one, smallest total first."""

    deltas: list[tuple[Entry, OfferedTarget]]
    size: int  # the deltas' bytes (media come on top once the deltas say which)
    budget: int  # at most this many bytes of deltas plus media, else the full pack


def plan_deltas(
    entries: list[Entry],
    targets: dict[str, OfferedTarget],
    installed: int | None,
    installed_pack: str | None,
    goal: Entry,
    full_length: int,
    channel: str,
    *,
    share: float = DELTA_SHARE,
) -> DeltaPlan | None:
    """The cheapest chain of deltas from ``installed`` to ``goal``, or None (no chain, or too big).

    Only deltas of the goal's pack and pack channel count; the last one must state the
    goal's release digest, so the result can be proven to be what the channel published.
    """
    if installed is None or installed_pack != goal.pack_id or goal.digest is None or installed >= goal.content_version:
        return None
    edges: dict[int, list[tuple[Entry, OfferedTarget]]] = {}
    for e in entries:
        t = targets.get(e.path)
        if e.kind != DELTA_KIND or e.from_version is None or t is None or e.pack_id != goal.pack_id:
            continue
        if e.channel is not None and e.channel != channel:
            continue
        if e.content_version > goal.content_version or e.digest is None:
            continue
        if e.content_version == goal.content_version and e.digest != goal.digest:
            continue  # a delta to another content than the release states
        edges.setdefault(e.from_version, []).append((e, t))
    # Dijkstra over versions (a handful of nodes): bytes are the cost.
    best: dict[int, tuple[int, list[tuple[Entry, OfferedTarget]]]] = {installed: (0, [])}
    todo = {installed}
    done: set[int] = set()
    while todo:
        here = min(todo, key=lambda v: best[v][0])
        todo.discard(here)
        done.add(here)
        cost, chain = best[here]
        for e, t in edges.get(here, []):
            nxt = e.content_version
            if nxt in done:
                continue
            if nxt not in best or cost + t.length < best[nxt][0]:
                best[nxt] = (cost + t.length, [*chain, (e, t)])
                todo.add(nxt)
    if goal.content_version not in best:
        return None
    size, chain = best[goal.content_version]
    budget = int(full_length * share)
    if size >= budget:
        return None
    return DeltaPlan(chain, size, budget)


def _delta_update(
    data: DataDir,
    paths: SyncPaths,
    client: ChannelClient,
    fetch: Fetcher,
    installer: Installer,
    plan: DeltaPlan,
    goal: Entry,
    full: OfferedTarget,
    channel: str,
    group: str,
    offers: dict[str, OfferedTarget],
) -> CycleResult:
    """Download the deltas and the media the kiosk lacks, then build, prove, vet and switch.

    Returns ``installed``; or ``failed`` with ``delta_refused`` set when the full pack should be
    used instead (the chain is too big once media are counted, a file was refused, a delta
    did not lead to the release); or ``failed`` without it when a download was only cut
    (the next cycle resumes it).
    """
    paths.staging.mkdir(parents=True, exist_ok=True)
    first = plan.deltas[0][0].from_version
    fail = CycleResult("failed", "", target=full.path, path="delta")

    def refused(why: str) -> CycleResult:
        return _with(fail, message=why, delta_refused=why)

    start = plan.deltas[0][0].from_digest
    pointer = data.read_pointer()
    known: tuple[str, ContentDigest] | None = None
    if start is not None and pointer is not None:
        # A kiosk whose content is not exactly the release it names (repaired, damaged) would
        # download deltas only to have them refused: the full pack straight away. The digest is
        # handed to the installer, which reuses it while that version is still the current one.
        try:
            have = installed_digest(data.version_db(pointer.current))
        except sqlite3.Error:
            return refused("the installed content cannot be read to start from")
        if have.value != start:
            return refused("the installed content is not the release the deltas start from")
        known = (pointer.current, have)
    # What the pack key signed for the goal: checked before a delta is downloaded (and again by
    # the installer before switching), so a channel key alone can never decide the content.
    statement_target = offers.get(f"{group}/{release_target_name(goal.pack_id, goal.content_version)}")
    if statement_target is None:
        return refused(f"the channel offers no signed release statement for content version {goal.content_version}")
    statement_file = paths.staging / _staged_name(statement_target)
    try:
        fetch.download(
            client.url_of(statement_target),
            statement_file,
            expected_length=statement_target.length,
            expected_sha256=statement_target.sha256,
        )
        vouched_manifest(
            statement_file,
            installer.trusted_keys,
            pack_id=goal.pack_id,
            content_version=goal.content_version,
            channel=installer.channel,
            now=installer.clock(),
        )
    except ServerBusyError as exc:
        return _with(fail, message=f"download of a delta paused: {exc}", retry_after=exc.retry_in)
    except FetchRefused as exc:
        return refused(f"the release statement was refused: {exc}")
    except FetchError as exc:
        return _with(fail, message=f"download of a delta failed: {exc}")
    except PackError as exc:
        statement_file.unlink(missing_ok=True)
        return refused(f"the deltas' release is not vouched for by a trusted pack key: {exc}")
    deltas: list[Delta] = []
    staged: list[Path] = [statement_file]
    try:
        for _entry, t in plan.deltas:
            dest = paths.staging / _staged_name(t)
            fetch.download(client.url_of(t), dest, expected_length=t.length, expected_sha256=t.sha256)
            staged.append(dest)
            deltas.append(delta_format.loads(dest.read_bytes()))
        wanted: dict[str, OfferedTarget] = {}
        # Only media a kept version refers to stay in the store through the install's tidy-up: a
        # file an interrupted install left there is deleted by the next one, so it is fetched again.
        kept = media_kept(data)
        for d in deltas:
            for m in d.media:
                name = str(m.get("path"))
                stored = data.media_path(name)
                if name in wanted or (stored.is_file() and (kept is None or stored.name in kept)):
                    continue
                offered = offers.get(f"{group}/{media_target_name(name)}")
                if offered is None:
                    return refused(f"the channel does not offer {name}, which the deltas need")
                wanted[name] = offered
        total = plan.size + statement_target.length + sum(t.length for t in wanted.values())
        if total >= plan.budget:
            return refused(f"deltas and media ({total} bytes) are not below the share allowed of the full pack")
        media: dict[str, Path] = {}
        for name, t in wanted.items():
            dest = paths.staging / _staged_name(t)
            fetch.download(client.url_of(t), dest, expected_length=t.length, expected_sha256=t.sha256)
            staged.append(dest)
            media[name] = dest
    except ServerBusyError as exc:
        return _with(fail, message=f"download of a delta paused: {exc}", retry_after=exc.retry_in)
    except FetchRefused as exc:
        return refused(f"a delta was refused: {exc}")
    except FetchError as exc:
        return _with(fail, message=f"download of a delta failed: {exc}")
    except DeltaError as exc:
        return refused(f"a delta was refused: {exc}")
    release = Release(
        goal.pack_id, goal.content_version, goal.channel or channel, str(goal.digest), _expiry(full), statement_file
    )
    try:
        done = installer.install_deltas(deltas, media, release, base=known)
    except (DeltaError, PackError) as exc:
        for path in staged:
            path.unlink(missing_ok=True)
        return refused(f"the deltas were refused: {exc}")
    except KioskError as exc:  # the kiosk's own state (disk full, busy): try again next cycle
        return _with(fail, message=f"content version {goal.content_version} was not installed: {exc}")
    before = f" (was {done.previous_version})"
    steps = "delta" if len(deltas) == 1 else f"{len(deltas)} deltas"
    return _with(
        fail,
        outcome="installed",
        installed_version=done.content_version,
        previous_version=done.previous_version,
        target=plan.deltas[-1][1].path,
        message=f"installed content version {done.content_version}{before} from {steps} (from version {first})",
    )


def _expiry(target: OfferedTarget) -> dt.datetime | None:
    value = target.custom.get("expires_at")
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # signed but unreadable: treat as expired
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _record(device: DeviceState, result: CycleResult) -> None:
    """The cycle's outcome into ``sync_state`` (JSON values; the operator screen shows them as they are)."""
    checked = _iso(result.checked_at)
    failures = 0 if result.ok else int(_sync_value(device, "failures") or 0) + 1
    total = (_sync_value(device, "bytes_total") or 0) + result.bytes_moved
    values: dict[str, Any] = {
        "last_check": checked,
        "last_outcome": result.outcome,
        "last_message": result.message,
        "channel_state": result.channel_state or _sync_value(device, "channel_state"),
        "bytes_last": result.bytes_moved,
        "bytes_total": total,
        "installed_version": result.installed_version,
        "last_path": result.path,
        "delta_bytes": result.delta_bytes,
        "delta_refused": result.delta_refused,
        "failures": failures,
        "retry_after": result.retry_after,
    }
    if result.ok:
        values["last_success"] = checked
        values["last_error"] = None
    elif result.outcome == "failed":
        values["last_error"] = result.message
    if result.channel_state is not None:  # the channel was read: its verdict on the clock is fresh
        values["clock_problem"] = result.clock_problem
    if result.channel_state == "stale":
        values["stale_since"] = _iso(result.stale_since)
    elif result.channel_state == "current":
        values["stale_since"] = None
    for key, value in values.items():
        device.set_sync(key, value)


def _sync_value(device: DeviceState, key: str) -> Any:
    row = device.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def sync_status(data: DataDir) -> dict[str, Any]:
    """Everything ``sync_state`` holds plus the channel settings, for the operator (read-only)."""
    if not data.device_db.exists():
        return {}
    with DeviceState(data.device_db, readonly=True) as device:
        out: dict[str, Any] = {"url": device.get(URL_SETTING), "group": device.get(GROUP_SETTING)}
        for key in STATE_KEYS:
            out[key] = _sync_value(device, key)
    out["feeds"] = feed_status(data)
    return out


# --- the live feeds' own cycle ------------------------------------------------------------


def run_feed_cycle(data: DataDir, *, clock: Clock, fetcher: Fetcher | None = None) -> FeedCycleResult:
    """Refresh the channel's metadata and the feeds only (the kiosk's short feed interval); never raises a KioskError.

    ``fetcher`` is the kiosk's :class:`~content_sync.sync.fetch.Fetcher` (one session for
    every cycle); by default a fresh one.
    """
    now = clock().astimezone(dt.UTC)
    own = fetcher is None
    fetch = fetcher if fetcher is not None else Fetcher(now=clock)
    start = fetch.bytes_received
    try:
        result = _feed_cycle(data, fetch, clock, now)
    except KioskError as exc:  # the device database cannot be opened or written
        result = FeedCycleResult(False, f"sync state cannot be written: {exc}", checked_at=now)
    finally:
        if own:
            fetch.close()
    return FeedCycleResult(result.ok, result.message, result.feeds, now, fetch.bytes_received - start)


def _feed_cycle(data: DataDir, fetch: Fetcher, clock: Clock, now: dt.datetime) -> FeedCycleResult:
    with _device(data, clock) as device:
        url, group = device.get(URL_SETTING), device.get(GROUP_SETTING)
        if not url or not group:
            return FeedCycleResult(False, "this kiosk is not set up for a channel", checked_at=now)
        paths = SyncPaths(data)
        try:
            client = ChannelClient(paths.metadata, str(url), str(group), clock=clock, fetcher=TufFetcher(fetch))
            view = client.refresh()
        except KioskError as exc:
            record_feed_failure(device, str(exc), now)
            return FeedCycleResult(False, str(exc), checked_at=now)
        except OSError as exc:
            message = f"cannot write the kiosk's sync folder: {exc.strerror or exc}"
            record_feed_failure(device, message, now)
            return FeedCycleResult(False, message, checked_at=now)
        feeds = refresh_feeds(device, client, view, paths.feeds, now)
        ok = all(f.outcome != "failed" for f in feeds)
        return FeedCycleResult(ok, "; ".join(f.message for f in feeds), feeds, now)


# --- when to run the next cycle ---------------------------------------------------------------


@dataclass(frozen=True)
class PollPolicy:
    """How often a kiosk checks its channel (seconds)."""

    interval: float = 15 * 60.0
    backoff_base: float = 60.0
    backoff_max: float = 4 * 3600.0
    max_retry_after: float = 24 * 3600.0


def device_offset(device_id: str, interval: float) -> float:
    """A fixed offset within ``interval`` from the device id: a fleet spreads over the interval."""
    digest = hashlib.sha256(device_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * interval


class PollSchedule:
    """When the next cycle is due: the device's own slot when all is well, backoff after failures.

    Slots are ``epoch + offset + k * interval`` (UTC), so a kiosk keeps its slot across
    restarts and two kiosks with different ids rarely share a second. After ``n`` failures in
    a row the wait is ``min(max, base * 2**(n-1))`` with "equal jitter" (half fixed, half
    random); a server's ``Retry-After`` is a floor (capped at ``max_retry_after``).
    """

    def __init__(self, device_id: str, policy: PollPolicy | None = None, *, rng: random.Random | None = None) -> None:
        self.policy = policy or PollPolicy()
        self.offset = device_offset(device_id, self.policy.interval)
        self.rng = rng or random.Random()

    def next_check(self, now: dt.datetime, *, failures: int = 0, retry_after: float | None = None) -> dt.datetime:
        p = self.policy
        now = now.astimezone(dt.UTC)
        if failures <= 0:
            since = (now - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds() - self.offset
            slots = int(since // p.interval) + 1
            due = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=self.offset + slots * p.interval)
            wait = (due - now).total_seconds()
        else:
            wait = backoff_seconds(failures, p.backoff_base, p.backoff_max, self.rng)
        return now + dt.timedelta(seconds=floor_retry_after(wait, retry_after, p.max_retry_after))


def schedule_after(
    data: DataDir,
    result: CycleResult,
    *,
    policy: PollPolicy | None = None,
    rng: random.Random | None = None,
    clock: Clock | None = None,
) -> dt.datetime:
    """The next cycle's moment after ``result``, also written to ``sync_state.next_check``."""
    assert result.checked_at is not None
    with _device(data, clock) as device:
        device_id = str(device.get(DEVICE_ID_SETTING) or "")
        failures = int(_sync_value(device, "failures") or 0)
        due = PollSchedule(device_id, policy, rng=rng).next_check(
            result.checked_at, failures=failures, retry_after=result.retry_after
        )
        device.set_sync("next_check", _iso(due))
    return due


def run_forever(
    data: DataDir,
    *,
    clock: Clock,
    sleep: Callable[[float], None],
    report: Callable[[CycleResult], None] | None = None,
    policy: PollPolicy | None = None,
    rng: random.Random | None = None,
    fetcher: Fetcher | None = None,
    cycles: int | None = None,
) -> None:
    """Cycle, then sleep until the schedule says (``kiosk-pack sync`` without ``--once``; ``cycles`` bounds it).

    One fetcher serves every cycle (one keep-alive session); the first cycle runs at once.
    """
    fetch = fetcher if fetcher is not None else Fetcher(now=clock)
    schedule_rng = rng or random.Random()
    done = 0
    try:
        while cycles is None or done < cycles:
            result = run_cycle(data, clock=clock, fetcher=fetch)
            done += 1
            if report is not None:
                report(result)
            try:
                due = schedule_after(data, result, policy=policy, rng=schedule_rng, clock=clock)
            except KioskError:  # the device database cannot be written: try again after a long pause
                due = clock() + dt.timedelta(seconds=(policy or PollPolicy()).backoff_max)
            if cycles is not None and done >= cycles:
                break
            wait = (due - clock()).total_seconds()
            if wait > 0:
                sleep(wait)
    finally:
        if fetcher is None:
            fetch.close()
