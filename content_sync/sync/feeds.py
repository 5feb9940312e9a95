"""Live feeds through the channel: publish a checked feed as a signed target; fetch and keep it on a kiosk.

A feed (weather, transport notices; formats in :mod:`content_sync.sync.feed_format`) is the
target ``GROUP/feeds/<kind>.json`` of the group's delegated role, so it has everything a
pack target has: only the group's county key can sign it, the snapshot and timestamp give
it freshness and rollback protection, and python-tuf caps its download at the signed length
and checks its hash (``ChannelClient.download``). It is small and changes often, so kiosks
fetch it on their own, shorter interval (:func:`run_feed_cycle`); a content cycle refreshes
it too, with the same :func:`refresh_feeds`.

On the kiosk a feed lives in the device database's ``sync_state`` table, which survives
every content pack:

- ``feed.<kind>``: the last good feed, ``{"kind", "data", "sha256", "target", "issued_at",
  "fetched_at"}`` (``data`` is the checked, sanitised feed);
- ``feed.<kind>.status``: ``{"checked_at", "error", "error_at"}``, the last look and the
  last error (cleared by the next success).

A feed that fails any check leaves the stored one as it was; the screens hide a stored feed
once it is older than their limit (kiosk.toml ``[feeds]``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuf.api.metadata import Targets

from content_sync.core.errors import KioskError
from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack.content_schema import check_timestamp
from content_sync.sync.feed_format import (
    FEED_KINDS,
    MAX_FEED_BYTES,
    FeedError,
    check_feed,
    dumps,
    feed_target_name,
    issued_at,
    valid_until,
)
from content_sync.sync.repository import ChannelRepository, PublishedTarget, role_for_group
from content_sync.sync.trust import ChannelClient, ChannelView, OfferedTarget, TrustError

Clock = Callable[[], dt.datetime]
FEED_KIND_FIELD = "feed"  # the signed custom metadata of a feed target: {"kind": "feed", "feed": KIND, ...}
#: How far in the future a feed's issued_at may lie at publish time (a publisher's clock a little ahead).
FUTURE_SKEW = dt.timedelta(minutes=10)
#: A kept feed issued further ahead of the kiosk's clock than this does not block an older one.
STORED_AHEAD = dt.timedelta(hours=1)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_key(kind: str) -> str:
    """The ``sync_state`` key of a kind's last good feed."""
    return f"feed.{kind}"


def status_key(kind: str) -> str:
    """The ``sync_state`` key of a kind's last check and last error."""
    return f"feed.{kind}.status"


# --- publishing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedPublished:
    """What ``kiosk-pack feed publish`` did."""

    group: str
    kind: str
    path: str
    length: int
    sha256: str
    issued_at: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_feed_file(source: Path, kind: str) -> dict[str, Any]:
    """A feed file checked (one line when unreadable or not the format)."""
    try:
        with open(source, "rb") as fh:
            raw = fh.read(MAX_FEED_BYTES + 1)
    except FileNotFoundError:
        raise FeedError(f"feed file {source} does not exist") from None
    except IsADirectoryError:
        raise FeedError(f"{source} is a folder, not a feed file") from None
    except OSError as exc:
        raise FeedError(f"cannot read {source}: {exc.strerror or exc}") from None
    return check_feed(kind, raw)


def publish_feed(repo: ChannelRepository, group: str, kind: str, source: Path, *, clock: Clock) -> FeedPublished:
    """Check the feed in ``source`` and sign it as ``GROUP/feeds/KIND.json`` (replacing the previous one).

    Refused (channel unchanged): a file that fails the format, an ``issued_at`` in the
    future or older than the published feed's (a cron replaying an old file), a feed already
    past its ``valid_until``, an emergency notice already ended.
    """
    feed_target_name(kind)
    return _publish_checked(repo, group, kind, read_feed_file(Path(source), kind), clock=clock)


def publish_feed_bytes(repo: ChannelRepository, group: str, kind: str, raw: bytes, *, clock: Clock) -> FeedPublished:
    """:func:`publish_feed` for a feed made in memory (the platform's notices page): the same checks."""
    return _publish_checked(repo, group, kind, check_feed(kind, raw), clock=clock)


def _publish_checked(
    repo: ChannelRepository, group: str, kind: str, feed: dict[str, Any], *, clock: Clock
) -> FeedPublished:
    name = feed_target_name(kind)
    now = clock().astimezone(dt.UTC)
    issued = issued_at(feed)
    if issued > now + FUTURE_SKEW:
        raise FeedError(f"{kind} feed: issued_at {feed['issued_at']} is in the future (now {_iso(now)})")
    until = valid_until(feed)
    if until is not None and until <= now:
        raise FeedError(f"{kind} feed: valid_until {feed['valid_until']} has passed (now {_iso(now)})")
    if kind == "emergency":
        for i, notice in enumerate(feed["notices"]):
            if check_timestamp(notice["ends_at"]) <= now:
                raise FeedError(
                    f"emergency feed: notices[{i}].ends_at {notice['ends_at']} has passed (now {_iso(now)})"
                )
    published = _published_issued_at(repo, group, name)
    if published is not None and issued < published:
        raise FeedError(
            f"{kind} feed: issued_at {feed['issued_at']} is older than the feed already published"
            f" (issued {_iso(published)}); a feed is only ever replaced by a newer one"
        )
    custom = {"kind": FEED_KIND_FIELD, FEED_KIND_FIELD: kind, "issued_at": _iso(issued)}
    with tempfile.TemporaryDirectory(prefix="kiosk-feed-") as tmp:
        path = Path(tmp) / f"{kind}.json"
        path.write_bytes(dumps(feed))
        target: PublishedTarget = repo.add_target(group, path, name=name, custom=custom)
    return FeedPublished(group, kind, target.path, target.length, target.sha256, _iso(issued))


def _published_issued_at(repo: ChannelRepository, group: str, name: str) -> dt.datetime | None:
    """When the group's current feed of this name was issued, from its signed custom metadata."""
    if group not in repo.groups():
        return None  # add_target says so in its own words
    signed = repo.open(role_for_group(group)).signed
    target = signed.targets.get(f"{group}/{name}") if isinstance(signed, Targets) else None
    custom = target.custom if target is not None and isinstance(target.custom, dict) else {}
    try:
        return dt.datetime.strptime(str(custom.get("issued_at")), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


# --- the kiosk side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedOutcome:
    """What one look at one feed did: ``updated``, ``unchanged``, ``absent`` (none offered), ``failed``."""

    kind: str
    outcome: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _sync_value(device: DeviceState, key: str) -> Any:
    row = device.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    try:
        return json.loads(row[0]) if row else None
    except ValueError:
        return None


def _mark(device: DeviceState, kind: str, now: dt.datetime, error: str | None) -> None:
    status = {"checked_at": _iso(now), "error": error, "error_at": _iso(now) if error else None}
    device.set_sync(status_key(kind), status)


def record_feed_failure(device: DeviceState, message: str, now: dt.datetime) -> None:
    """The channel could not be read: every feed's status says why (the stored feeds stay)."""
    for kind in FEED_KINDS:
        _mark(device, kind, now, message)


def refresh_feeds(
    device: DeviceState, client: ChannelClient, view: ChannelView, work_dir: Path, now: dt.datetime
) -> list[FeedOutcome]:
    """Fetch every feed the refreshed ``view`` offers this group and keep the good ones; never raises KioskError.

    A feed whose signed hash equals the stored one is not downloaded again. A stale channel
    (expired timestamp) offers nothing: the stored feeds stay and age out on screen.
    """
    outcomes: list[FeedOutcome] = []
    offers = {t.path: t for t in view.targets}
    for kind in FEED_KINDS:
        path = f"{view.group}/{feed_target_name(kind)}"
        try:
            outcome = _refresh_one(device, client, view, offers.get(path), kind, work_dir, now)
        except KioskError as exc:  # the device database itself
            outcome = FeedOutcome(kind, "failed", f"{kind} feed not stored: {exc}")
        outcomes.append(outcome)
    return outcomes


def _refresh_one(
    device: DeviceState,
    client: ChannelClient,
    view: ChannelView,
    target: OfferedTarget | None,
    kind: str,
    work_dir: Path,
    now: dt.datetime,
) -> FeedOutcome:
    if view.state == "stale":
        message = f"{kind} feed not refreshed: {view.message}"
        _mark(device, kind, now, message)
        return FeedOutcome(kind, "failed", message)
    if target is None:
        had = _sync_value(device, feed_key(kind)) is not None
        if had:  # the channel withdrew it: a wrong forecast must be able to disappear
            device.conn.execute("DELETE FROM sync_state WHERE key = ?", (feed_key(kind),))
        _mark(device, kind, now, None)
        return FeedOutcome(kind, "absent", f"the channel offers no {kind} feed" + (" any more" if had else ""))
    stored = _sync_value(device, feed_key(kind))
    if isinstance(stored, dict) and stored.get("sha256") == target.sha256:
        _mark(device, kind, now, None)
        return FeedOutcome(kind, "unchanged", f"{kind} feed unchanged (issued {stored.get('issued_at')})")
    try:
        feed = _download(client, target, kind, work_dir)
    except (TrustError, FeedError) as exc:
        if isinstance(exc, FeedError):
            message = f"{kind} feed refused: {str(exc).removeprefix(f'{kind} feed: ')}"
        else:
            message = f"{kind} feed: {exc}"
        _mark(device, kind, now, message)
        return FeedOutcome(kind, "failed", message)
    issued = _iso(issued_at(feed))
    kept = stored.get("issued_at") if isinstance(stored, dict) else None
    if isinstance(kept, str) and issued < kept <= _iso(now + STORED_AHEAD):
        # Both are UTC "...Z" strings, so they compare as times. A signed feed older than the
        # one shown is a replay or a publisher's mistake: keep the newer one (unless the kept
        # one claims a time far ahead of this kiosk: it must not block every feed after it).
        message = f"{kind} feed refused: issued {issued}, older than the one kept (issued {kept})"
        _mark(device, kind, now, message)
        return FeedOutcome(kind, "failed", message)
    device.set_sync(
        feed_key(kind),
        {
            "kind": kind,
            "data": feed,
            "sha256": target.sha256,
            "target": target.path,
            "issued_at": issued,
            "fetched_at": _iso(now),
        },
    )
    _mark(device, kind, now, None)
    return FeedOutcome(kind, "updated", f"{kind} feed issued {issued} stored")


def _download(client: ChannelClient, target: OfferedTarget, kind: str, work_dir: Path) -> dict[str, Any]:
    """The feed's bytes through python-tuf (capped at the signed length, hash-checked), then the format check."""
    if target.length > MAX_FEED_BYTES:
        raise FeedError(f"{target.length} bytes signed, more than the {MAX_FEED_BYTES} a feed may have")
    work_dir.mkdir(parents=True, exist_ok=True)
    dest = work_dir / f"{kind}.json"
    try:
        client.download(target, dest)
        try:
            raw = dest.read_bytes()
        except OSError as exc:
            raise FeedError(f"cannot read the downloaded feed: {exc.strerror or exc}") from None
        if hashlib.sha256(raw).hexdigest() != target.sha256:  # python-tuf checked it; a second look costs nothing
            raise FeedError("its bytes differ from the signed hash")
        return check_feed(kind, raw)
    finally:
        dest.unlink(missing_ok=True)


# --- a cycle of its own ----------------------------------------------------------------------


@dataclass(frozen=True)
class FeedCycleResult:
    """One feed cycle: whether the channel was read, and each feed's outcome."""

    ok: bool
    message: str
    feeds: list[FeedOutcome] = field(default_factory=list)
    checked_at: dt.datetime | None = None
    bytes_moved: int = 0  # metadata and feed files together

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "feeds": [f.to_json() for f in self.feeds],
            "checked_at": _iso(self.checked_at) if self.checked_at else None,
            "bytes_moved": self.bytes_moved,
        }


def feed_status(data: DataDir) -> dict[str, Any]:
    """Each kind's stored feed (without its data) and status, for ``sync-status`` and the operator."""
    if not data.device_db.exists():
        return {}
    out: dict[str, Any] = {}
    with DeviceState(data.device_db, readonly=True) as device:
        for kind in FEED_KINDS:
            stored = _sync_value(device, feed_key(kind))
            status = _sync_value(device, status_key(kind))
            summary = None
            if isinstance(stored, dict):
                summary = {k: stored.get(k) for k in ("issued_at", "fetched_at", "target")}
            out[kind] = {"feed": summary, "status": status if isinstance(status, dict) else None}
    return out
