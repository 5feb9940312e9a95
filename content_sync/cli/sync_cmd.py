"""``kiosk-pack repo | publish | sync-setup | sync | sync-status``: channels, publishing, and a kiosk's sync.

Platform side: ``repo init`` makes a channel folder and its keys, ``publish`` offers a built
pack to a group, ``feed publish`` a live feed (weather, transport notices; docs/feeds.md),
``repo timestamp`` re-signs the timestamp (cron), ``repo renew`` re-signs roles near their
expiry (monthly cron), ``repo prune`` deletes old metadata versions, ``repo pin``, ``repo list``,
``repo add-group`` and ``repo rotate-key``. Kiosk side: ``sync-setup`` provisions a data
directory (URL, group, root metadata), ``sync --once`` runs one cycle (the same code as the
kiosk's agent), ``sync-status`` shows what the last cycles recorded. Every command takes
``--json``; every failure is one plain line. See docs/sync.md.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from ..device.layout import DataDir
from ..sync.agent import run_cycle, run_forever, setup, sync_status
from ..sync.feed_format import FEED_KINDS
from ..sync.feeds import publish_feed
from ..sync.publish import add_pack_key, group_entries, pack_keys, pin_version, publish_pack
from ..sync.repository import ChannelRepository, create, now_utc, open_repository
from .common import data_dir_option, echo, echo_json, fail

KEYS_ENV = "KIOSK_CHANNEL_KEYS"

json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
keys_option = click.option(
    "--keys",
    "key_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get(KEYS_ENV),
    required=True,
    help=f"The channel's key folder, never inside the served folder (default: ${KEYS_ENV}).",
)


def _open(repo_dir: Path, key_dir: Path) -> ChannelRepository:
    return open_repository(repo_dir, key_dir, clock=now_utc)


def _without_keys(repo_dir: Path) -> ChannelRepository:
    """For commands that sign nothing: a key folder that does not exist stands in (outside the channel folder)."""
    return open_repository(repo_dir, Path(repo_dir).resolve().parent / f".{Path(repo_dir).name}-no-keys", clock=now_utc)


def _done(as_json: bool, data: dict[str, Any], line: str) -> None:
    if as_json:
        echo_json(data)
    else:
        echo(line)


@click.group("repo")
def repo_group() -> None:
    """Make and keep a channel folder (what nginx or any static server serves to kiosks)."""


@repo_group.command("init")
@click.argument("repo_dir", type=click.Path(file_okay=False, path_type=Path))
@keys_option
@click.option("--group", "groups", multiple=True, required=True, help="A kiosk group, county/kind (repeatable).")
@click.option(
    "--trust",
    "trust",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A pack-signing public key publish accepts (repeatable; kept in KEYDIR/pack-keys/).",
)
@click.option("--root-keys", type=int, default=2, show_default=True, help="Number of offline root keys.")
@click.option("--root-threshold", type=int, default=2, show_default=True, help="Root keys needed to sign a root.")
@json_option
def repo_init(
    repo_dir: Path,
    key_dir: Path,
    groups: tuple[str, ...],
    trust: tuple[Path, ...],
    root_keys: int,
    root_threshold: int,
    as_json: bool,
) -> None:
    """Create a channel in REPO_DIR with its keys in KEYDIR and one delegated role per --group."""
    repo = create(repo_dir, key_dir, clock=now_utc, root_keys=root_keys, root_threshold=root_threshold, groups=groups)
    trusted = [add_pack_key(key_dir, p).key_id for p in trust]
    listing = repo.listing()
    data = {
        "repo": str(repo.dir),
        "keys": str(key_dir),
        "groups": list(repo.groups()),
        "root_file": listing.root_file,
        "pack_keys": trusted,
    }
    _done(
        as_json,
        data,
        f"created channel {repo.dir} with groups {', '.join(repo.groups())}; kiosks are provisioned"
        f" with {repo.dir / listing.root_file}; keep the root keys in {key_dir} offline",
    )


@repo_group.command("add-group")
@click.argument("repo_dir", type=click.Path(file_okay=False, path_type=Path))
@keys_option
@click.option("--group", "groups", multiple=True, required=True, help="A kiosk group, county/kind (repeatable).")
@json_option
def repo_add_group(repo_dir: Path, key_dir: Path, groups: tuple[str, ...], as_json: bool) -> None:
    """Delegate new kiosk groups (each to its county's key, made if missing)."""
    repo = _open(repo_dir, key_dir)
    roles = repo.add_groups(list(groups))
    _done(as_json, {"groups": list(groups), "roles": roles}, f"added {', '.join(groups)} to {repo_dir}")


@repo_group.command("timestamp")
@click.argument("repo_dir", type=click.Path(file_okay=False, path_type=Path))
@keys_option
@json_option
def repo_timestamp(repo_dir: Path, key_dir: Path, as_json: bool) -> None:
    """Re-sign the timestamp (run from cron, well within its one-day life)."""
    repo = _open(repo_dir, key_dir)
    version = repo.refresh_timestamp()
    expires = repo.timestamp().expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    _done(
        as_json,
        {"timestamp_version": version, "expires": expires},
        f"timestamp version {version} signed, valid until {expires}",
    )


@repo_group.command("renew")
@click.argument("repo_dir", type=click.Path(file_okay=False, path_type=Path))
@keys_option
@click.option(
    "--within-days",
    "within_days",
    type=click.IntRange(min=0, max=3650),
    default=30,
    show_default=True,
    help="Re-sign every role that expires within this many days.",
)
@json_option
def repo_renew(repo_dir: Path, key_dir: Path, within_days: int, as_json: bool) -> None:
    """Re-sign root, targets and group roles that expire soon (a monthly cron job).

    Roles whose keys are not in KEYDIR (root's offline keys, a county's key) are named and
    the command fails, so cron reports it: an operator must bring those keys.
    """
    renewed, missing = _open(repo_dir, key_dir).renew_expiring(timedelta(days=within_days))
    done = (
        f"renewed {', '.join(renewed)}" if renewed else f"no role with its keys here expires within {within_days} days"
    )
    if as_json:
        echo_json({"renewed": renewed, "missing_keys": missing, "within_days": within_days})
    elif not missing:
        echo(done)
    if missing:
        why = f"{', '.join(missing)} expire within {within_days} days but their keys are not in {key_dir}"
        fail(f"{why} (see the JSON above)" if as_json else f"{done}; {why}: bring those keys and run it again")


@repo_group.command("prune")
@click.argument("repo_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--keep",
    "keep_snapshots",
    type=int,
    default=10,
    show_default=True,
    help="How many of the newest snapshots (and the metadata they name) to keep.",
)
@json_option
def repo_prune(repo_dir: Path, keep_snapshots: int, as_json: bool) -> None:
    """Delete old metadata versions no kiosk can still ask for (every root and every blob stay)."""
    removed = _without_keys(repo_dir).prune(keep_snapshots)  # signs nothing
    _done(
        as_json,
        {"removed": removed, "keep_snapshots": keep_snapshots},
        f"removed {len(removed)} old metadata file(s); the newest {keep_snapshots} snapshot(s) are kept",
    )


@repo_group.command("pin")
@click.argument("repo_dir", type=click.Path(file_okay=False, path_type=Path))
@keys_option
@click.option("--group", required=True, help="The kiosk group to pin.")
@click.option("--version", "version", type=int, default=None, help="The content version the group must run.")
@click.option("--clear", is_flag=True, help="Remove the group's pin (kiosks follow the newest version again).")
@json_option
def repo_pin(repo_dir: Path, key_dir: Path, group: str, version: int | None, clear: bool, as_json: bool) -> None:
    """Pin GROUP's kiosks to one published content version (or --clear the pin)."""
    if (version is None) == (not clear):
        fail("give --version N or --clear")
    path = pin_version(_open(repo_dir, key_dir), group, None if clear else version)
    line = f"group {group} is pinned to {path}" if path else f"group {group} follows the newest version"
    _done(as_json, {"group": group, "pinned": path, "version": version}, line)


@repo_group.command("list")
@click.argument("repo_dir", type=click.Path(file_okay=False, path_type=Path))
@json_option
def repo_list(repo_dir: Path, as_json: bool) -> None:
    """What a channel holds: every group's published versions and pins, every role's version and expiry."""
    repo = _without_keys(repo_dir)
    listing = repo.listing()
    groups = {g: [e.to_json() for e in group_entries(repo, g)] for g in sorted(listing.groups)}
    if as_json:
        echo_json({**listing.to_json(), "groups": groups})
        return
    for role in listing.roles:
        echo(f"{role.name:<28} version {role.version:<5} expires {role.expires:%Y-%m-%d %H:%M} UTC")
    for group, entries in groups.items():
        echo(f"{group}: {len(entries)} target(s)")
        for e in entries:
            pin = "  PINNED" if e["pinned"] else ""
            version = f" v{e['content_version']}" if e["content_version"] is not None else ""
            if e["kind"]:
                what = f"{e['kind']}{version}"
            elif e["path"].split("/")[2:3] == ["feeds"]:
                what = "live feed (docs/feeds.md)"
            else:
                what = "unknown kind"
            echo(f"  {e['path']}  {what}  {e['length']} bytes{pin}")


@repo_group.command("rotate-key")
@click.argument("repo_dir", type=click.Path(file_okay=False, path_type=Path))
@keys_option
@click.option("--key", "key_name", required=True, help="The key file's name in KEYDIR without .pem (e.g. timestamp).")
@json_option
def repo_rotate_key(repo_dir: Path, key_dir: Path, key_name: str, as_json: bool) -> None:
    """Replace a key everywhere it signs; the old one moves to KEYDIR/retired/."""
    keyid = _open(repo_dir, key_dir).rotate_key(key_name)
    _done(as_json, {"key": key_name, "keyid": keyid}, f"key {key_name} rotated; new key id {keyid}")


@click.command("publish")
@click.argument("pack", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--repo", "repo_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="The channel folder."
)
@keys_option
@click.option("--group", required=True, help="The kiosk group to offer the pack to.")
@click.option(
    "--trust",
    "trust",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A pack-signing public key (besides those in KEYDIR/pack-keys/).",
)
@json_option
def publish(pack: Path, repo_dir: Path, key_dir: Path, group: str, trust: tuple[Path, ...], as_json: bool) -> None:
    """Check PACK's signature and offer it to GROUP's kiosks in the channel REPO."""
    from ..pack.signing import PublicKey

    keys = pack_keys(key_dir) + [PublicKey.load(p) for p in trust]
    result = publish_pack(_open(repo_dir, key_dir), group, pack, keys)
    verb = "was already published as" if result.already else "published as"
    _done(
        as_json,
        result.to_json(),
        f"{result.pack_id} content version {result.content_version} {verb}"
        f" {result.path} ({result.length} bytes, pack signed by {result.signed_by})",
    )


@click.command("sync-setup")
@data_dir_option
@click.option("--url", required=True, help="The channel's base URL (the folder holding metadata/ and targets/).")
@click.option("--group", required=True, help="This kiosk's group, county/kind.")
@click.option(
    "--root",
    "root_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    required=True,
    help="The channel's root metadata (N.root.json from 'kiosk-pack repo list').",
)
@click.option("--device-id", default=None, help="This kiosk's id (spreads polls over the interval; default: random).")
@click.option("--replace", is_flag=True, help="Forget the channel trusted so far and trust this root.")
@json_option
def sync_setup(
    data_dir: Path, url: str, group: str, root_file: Path, device_id: str | None, replace: bool, as_json: bool
) -> None:
    """Provision this kiosk for a channel: URL and group in its device state, the root metadata in its data dir."""
    data = setup(DataDir(data_dir), url, group, root_file, device_id=device_id, replace=replace)
    _done(as_json, data, f"this kiosk follows {data['url']} as {data['group']}")


@click.command("sync")
@data_dir_option
@click.option("--once", is_flag=True, help="Run one cycle and exit (otherwise keep polling on the kiosk's schedule).")
@json_option
def sync(data_dir: Path, once: bool, as_json: bool) -> None:
    """Check the channel, download and install what it offers this kiosk's group (the kiosk's own agent code)."""
    data = DataDir(data_dir)
    if not once:
        report: Callable[[Any], None] = (
            (lambda r: echo_json(r.to_json(), indent=None))
            if as_json
            else (lambda r: echo(f"{r.checked_at:%Y-%m-%d %H:%M:%S} {r.outcome}: {r.message}"))
        )
        run_forever(data, clock=now_utc, sleep=time.sleep, report=report)
        return
    result = run_cycle(data, clock=now_utc)
    if as_json:
        echo_json(result.to_json())
    elif result.ok or result.outcome == "stale":
        echo(f"{result.outcome}: {result.message}")
    if result.feeds and not as_json:
        echo("feeds: " + "; ".join(f.message for f in result.feeds))
    if not result.ok and result.outcome != "stale":
        fail("sync failed (see the JSON above)" if as_json else result.message)


@click.command("sync-status")
@data_dir_option
@json_option
def sync_status_command(data_dir: Path, as_json: bool) -> None:
    """What this kiosk's sync cycles recorded: channel, group, last check and success, bytes, last error."""
    status = sync_status(DataDir(data_dir))
    if not status or not status.get("url"):
        fail("this kiosk is not set up for a channel: run 'kiosk-pack sync-setup'")
    if as_json:
        echo_json(status)
        return
    feeds = status.pop("feeds", None) or {}
    for key, value in status.items():
        echo(f"{key:<18} {'-' if value is None else value}")
    for kind, feed in feeds.items():
        stored, checked = feed.get("feed") or {}, feed.get("status") or {}
        echo(
            f"{'feed ' + kind:<18} issued {stored.get('issued_at') or '-'}, fetched {stored.get('fetched_at') or '-'},"
            f" checked {checked.get('checked_at') or '-'}, last error {checked.get('error') or '-'}"
        )


@click.group("feed")
def feed_group() -> None:
    """Live feeds (weather, transport notices): small signed files kiosks fetch more often than content."""


@feed_group.command("publish")
@click.argument("feed_file", metavar="FILE", type=click.Path(path_type=Path))
@click.option(
    "--repo", "repo_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="The channel folder."
)
@keys_option
@click.option("--group", required=True, help="The kiosk group to offer the feed to.")
@click.option("--kind", required=True, type=click.Choice(FEED_KINDS), help="What the feed is (docs/feeds.md).")
@json_option
def feed_publish(feed_file: Path, repo_dir: Path, key_dir: Path, group: str, kind: str, as_json: bool) -> None:
    """Check FILE (the documented JSON of its kind) and sign it as GROUP's KIND feed, replacing the previous one."""
    result = publish_feed(_open(repo_dir, key_dir), group, kind, feed_file, clock=now_utc)
    _done(
        as_json,
        result.to_json(),
        f"{kind} feed issued {result.issued_at} published as {result.path} ({result.length} bytes)",
    )


COMMANDS = (repo_group, publish, feed_group, sync_setup, sync, sync_status_command)
