"""``kiosk-pack trust | channel | install | rollback | info``: one kiosk's data directory."""

from __future__ import annotations

import sqlite3
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any

import click

from ..core import i18n
from ..core.errors import KioskError
from ..device.damage import DEVICE_WHAT, REPAIR_ADVICE, store_damage, writable
from ..device.install import READ_ONLY_ERRNOS, Installer, read_only_error, rollback
from ..device.layout import DataDir
from ..device.media_check import MediaCheck, check_media
from ..device.state import DEVICE_ADVICE, DeviceState, open_device_state
from ..pack.manifest import shown_text
from ..pack.signing import PublicKey
from ..store.content_store import ContentStore
from .common import EXIT_REFUSED, command_clock, data_dir_option, echo, echo_json, fail


@click.group()
def trust() -> None:
    """Manage the signing keys a kiosk trusts."""


@trust.command("add")
@click.argument("public_key", type=click.Path(dir_okay=False, path_type=Path))
@data_dir_option
def trust_add(public_key: Path, data_dir: Path) -> None:
    """Trust packs signed by PUBLIC_KEY (a .pub file from 'kiosk-pack keygen')."""
    key = PublicKey.load(public_key)
    device, note = open_device_state(DataDir(data_dir).device_db)
    if note:
        echo(f"kiosk-pack: {note}", err=True)
    with device:
        device.trust(key)
    echo(f"trusted key {key.key_id} ({key.label or 'no label'})")


@trust.command("list")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
def trust_list(data_dir: Path, as_json: bool) -> None:
    """List trusted keys."""
    with DeviceState(DataDir(data_dir).device_db) as device:
        keys = device.trusted_keys()
    if as_json:
        echo_json([{"key_id": k.key_id, "label": k.label} for k in keys])
    else:
        for k in keys:
            echo(f"{k.key_id}  {k.label}")


@trust.command("remove")
@click.argument("key_id")
@data_dir_option
def trust_remove(key_id: str, data_dir: Path) -> None:
    """Stop trusting KEY_ID."""
    with DeviceState(DataDir(data_dir).device_db) as device:
        if not device.distrust(key_id):
            fail(f"key {key_id} is not trusted here")
    echo(f"removed key {key_id}")


@click.command()
@data_dir_option
@click.argument("name", required=False)
def channel(data_dir: Path, name: str | None) -> None:
    """Show the channel this kiosk follows, or set it to NAME."""
    with DeviceState(DataDir(data_dir).device_db) as device:
        if name:
            device.set("channel", name)
        echo(device.get("channel", "stable"))


@click.command()
@click.argument("pack", type=click.Path(dir_okay=False, path_type=Path))
@data_dir_option
@click.option("--reinstall", is_flag=True, help="Install the same content version again (repairs damaged media).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def install(pack: Path, data_dir: Path, reinstall: bool, as_json: bool) -> None:
    """Verify PACK and switch this kiosk to it atomically (sideload from USB).

    Also the repair of a damaged kiosk: a damaged device database is moved aside and made
    anew (keys that can be read are kept), and a damaged content database is replaced even
    by the same content version.
    """
    data = DataDir(data_dir)
    try:
        data.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno not in READ_ONLY_ERRNOS:
            raise
    if not writable(data.root):
        raise read_only_error(data)
    clock = command_clock()
    device, note = open_device_state(data.device_db, aside_clock=clock)
    if note:
        echo(f"kiosk-pack: {note}", err=True)
    with device:
        installer = Installer(data, device.trusted_keys(), device.get("channel", "stable"), clock=clock)
        try:
            result = installer.install(pack, reinstall=reinstall)
        except KioskError as exc:
            with suppress(KioskError):  # a full disk must not hide the reason the install failed
                device.log_install(str(pack), None, None, False, str(exc))
            raise
        message = "installed" + (f"; the damaged file was moved aside to {installer.moved_aside}"
                                 if installer.moved_aside else "")  # fmt: skip
        try:
            device.log_install(str(pack), result.pack_id, result.content_version, True, message)
        except KioskError as exc:
            echo(f"kiosk-pack: installed, but the install log could not be written: {exc}", err=True)
    if installer.moved_aside:
        echo(f"kiosk-pack: the damaged file was moved aside to {installer.moved_aside}", err=True)
    if as_json:
        echo_json(result.__dict__)
        return
    before = f" (was {result.previous_version})" if result.previous_version else ""
    echo(
        f"installed {result.pack_id} content version {result.content_version}{before}: "
        f"{result.files_written} files written, {result.media_reused} media reused"
        + (f", {result.texts_sanitised} texts had markup removed" if result.texts_sanitised else "")
        + (f", {result.media_repaired} damaged media replaced" if result.media_repaired else "")
    )


@click.command("rollback")
@data_dir_option
def rollback_command(data_dir: Path) -> None:
    """Switch back to the previously installed content version."""
    pointer = rollback(DataDir(data_dir), command_clock())
    echo(f"now showing {pointer.pack_id} content version {pointer.content_version}")


@click.command()
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option(
    "--verify", is_flag=True, help="Also hash every media file against its name (exit status 1 if one is damaged)."
)
def info(data_dir: Path, as_json: bool, verify: bool) -> None:
    """What content this kiosk has: version, counts, languages, health, recent installs.

    Damage (a database a power cut broke, a read-only data folder) is reported in plain words
    with what to do, and the exit code is 1; what can still be read is shown.
    """
    data = DataDir(data_dir)
    problems = [f"{d}; {DEVICE_ADVICE if d.what == DEVICE_WHAT else REPAIR_ADVICE}" for d in store_damage(data)]
    result: dict[str, Any] = {}
    try:
        with ContentStore.open(data) as store:
            meta = store.meta()
            result.update({
                "pack_id": store.pointer.pack_id,
                "title": i18n.loads(meta.get("title")),
                "content_version": store.content_version,
                "channel": meta.get("channel"),
                "created_at": meta.get("created_at"),
                "installed_at": store.pointer.installed_at,
                "previous_version_available": bool(store.pointer.previous),
                "languages": store.languages(),
                "counts": store.counts(),
                "media_bytes": store.media_bytes(),
                "media_missing": store.check_media(),
            })  # fmt: skip
    except (KioskError, sqlite3.Error) as exc:
        text = str(exc) if isinstance(exc, KioskError) else f"the content database cannot be read ({exc})"
        if not any(text.startswith(p) or p.startswith(text) for p in problems):
            problems.append(text)
    if data.device_db.exists() or not problems:
        try:
            with DeviceState(data.device_db, readonly=True) as device:
                result.update({
                    "kiosk_channel": device.get("channel", "stable"),
                    "trusted_keys": [k.key_id for k in device.trusted_keys()],
                    "outbox": device.outbox_count(),
                    "recent_installs": [r.__dict__ for r in device.install_log(5)],
                })  # fmt: skip
        except (KioskError, sqlite3.Error) as exc:
            text = str(exc) if isinstance(exc, KioskError) else f"the device database cannot be read ({exc})"
            if not any(text.startswith(p) or p.startswith(text) for p in problems):
                problems.append(text)
    checked = check_media(data) if verify and "pack_id" in result else None
    if checked is not None:
        result["media_verify"] = {
            "total": checked.total, "checked": checked.checked,
            "damaged": list(checked.damaged), "missing": list(checked.missing),
        }  # fmt: skip
    if not writable(data.root):
        problems.append(f"the data folder {data.root} is read-only: installs are impossible")
    result["problems"] = problems
    if as_json:
        echo_json(result)
    else:
        _print_info(result)
        if checked is not None:
            for line in media_check_lines(checked):
                echo(line)
    if problems or (checked is not None and not checked.ok):
        sys.exit(EXIT_REFUSED)


def _print_info(result: dict[str, Any]) -> None:
    if "pack_id" in result:
        missing = result["media_missing"]
        echo(f"{i18n.text(result['title'], 'en')}")
        echo(f"pack {result['pack_id']}, content version {result['content_version']}, channel {result['channel']}")
        echo(f"built {result['created_at']}, installed {result['installed_at']}")
        echo(f"languages: {', '.join(result['languages'])}")
        echo("counts: " + ", ".join(f"{k} {v}" for k, v in result["counts"].items()))
        echo(
            f"media: {result['media_bytes'] / 2**20:.1f} MB, "
            + (f"{len(missing)} MISSING" if missing else "all present")
        )
    for rec in result.get("recent_installs", []):
        echo(f"  {rec['at']}  {'ok     ' if rec['ok'] else 'REFUSED'}  {rec['message']}")
    for problem in result["problems"]:
        echo(f"kiosk-pack: {problem}", err=True)


def media_check_lines(checked: MediaCheck) -> list[str]:
    """``info --verify`` in plain words: the counts, then each failing file (quoted and escaped) on its own line."""
    damaged, missing = len(checked.damaged), len(checked.missing)
    verdict = "all match their hashes" if checked.ok else f"{damaged} DAMAGED, {missing} MISSING"
    lines = [f"media check: {checked.checked} of {checked.total} files hashed, {verdict}"]
    lines += [f"  damaged: {shown_text(name, 100)}" for name in checked.damaged]
    lines += [f"  missing: {shown_text(name, 100)}" for name in checked.missing]
    if not checked.ok:
        lines.append("  the next install replaces them (the same version again: kiosk-pack install --reinstall PACK)")
    return lines
