"""Automatic return to the last good content when a newly switched-in version fails to open.

An install proves and vets a version before switching to it, yet the kiosk may still fail
to open it (the disk damaged it after the switch, or this software cannot read what it
holds). The kiosk then must not stay on a "please ask staff" page, nor keep the new version
only until the next restart: :func:`return_to_last_good` switches ``current.json`` back to the
previous version kept on disk (the installer keeps it for a rollback), after checking every
page of it, and records why:

* in the install log (what the operator screen lists), one plain line, marked failed;
* in the device setting ``content_failed`` (pack id, version, why, when), which the sync
  agent reads so it does not fetch and switch to the same version again: the kiosk waits for
  a newer version, or an operator installs one by hand (``kiosk-pack install``).

The failed version stops being "previous" (an operator's rollback must not lead to it), so
the next install's clean-up removes its folder. Called by the kiosk when reloading content
between visitors fails, and at start when the installed content cannot be opened.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from ..core.errors import KioskError
from .damage import CONTENT_WHAT, inspect_database
from .layout import DataDir, Pointer
from .state import DeviceState

#: Device setting: the version that failed to open here, so sync does not switch to it again.
FAILED_SETTING = "content_failed"
#: The install log's ``source`` for a return (what the operator screen shows beside the line).
SOURCE = "automatic return to the previous version"


@dataclass(frozen=True)
class Fallback:
    """A return that was made: from which version to which, and why, in plain words."""

    pack_id: str
    failed_version: int
    restored_version: int
    why: str

    @property
    def message(self) -> str:
        return (
            f"content version {self.failed_version} could not be opened ({self.why}); "
            f"the kiosk went back to version {self.restored_version}"
        )


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _version_of(data: DataDir, name: str) -> tuple[str | None, int | None]:
    """The pack id and content version a version folder's database states (None when unreadable)."""
    conn = sqlite3.connect(f"file:{data.version_db(name)}?mode=ro&immutable=1", uri=True)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    finally:
        conn.close()
    version = meta.get("content_version")
    return meta.get("pack_id"), int(str(version)) if str(version).isdigit() else None


def previous_problem(data: DataDir, pointer: Pointer | None) -> str | None:
    """Why the kiosk cannot go back to its previous version (None: it can), in plain words."""
    if pointer is None or not pointer.previous:
        return "no previous content version is kept on this kiosk"
    db = data.version_db(pointer.previous)
    if not os.path.lexists(db):
        return "the previous content version is missing"
    damage = inspect_database(db, CONTENT_WHAT, thorough=True, immutable=True)
    return f"the previous content version is damaged too: {damage}" if damage is not None else None


def return_to_last_good(
    data: DataDir, why: str, *, failed: str | None = None, clock: Callable[[], dt.datetime] = _utcnow
) -> Fallback | None:
    """Switch back to the previous version because the current one failed to open; None if impossible.

    ``why``: what went wrong, one line. ``failed``: the version folder that failed; when the
    pointer no longer names it (an install or a return happened meanwhile) nothing is done.
    Reads every page of the previous version first (it is only switched to if intact). Raises
    :class:`KioskError` (one line) when the data folder cannot be written or an install runs.
    """
    # The installer (signing, vetting, readers) loads only when a version fails: the kiosk's start
    # path imports this module and stays light.
    from .install import install_lock

    with install_lock(data):
        pointer = data.read_pointer()
        if pointer is None or (failed is not None and pointer.current != failed):
            return None
        if previous_problem(data, pointer) is not None:
            return None
        assert pointer.previous is not None
        try:
            pack_id, version = _version_of(data, pointer.previous)
        except sqlite3.Error:
            return None
        if version is None:
            return None
        now = clock().astimezone(dt.UTC).replace(microsecond=0)
        data.write_pointer(
            Pointer(
                current=pointer.previous,
                previous=None,  # never back to the version that failed
                pack_id=pack_id or pointer.pack_id,
                content_version=version,
                installed_at=now.isoformat(),
            )
        )
    done = Fallback(pointer.pack_id, pointer.content_version, version, " ".join(why.split()))
    _record(data, done, now)
    return done


def _record(data: DataDir, done: Fallback, now: dt.datetime) -> None:
    """The return into the install log and the device state (best effort: the switch is what matters)."""
    with suppress(KioskError), DeviceState(data.device_db, lambda: now.isoformat()) as device:
        device.log_install(SOURCE, done.pack_id, done.failed_version, False, done.message)
        device.set(
            FAILED_SETTING,
            {
                "pack_id": done.pack_id,
                "content_version": done.failed_version,
                "restored_version": done.restored_version,
                "why": done.why,
                "at": now.isoformat(),
            },
        )


def failed_version(device: DeviceState) -> dict[str, Any] | None:
    """The version that failed to open here (as :func:`return_to_last_good` recorded it), or None."""
    value = device.get(FAILED_SETTING)
    return value if isinstance(value, dict) else None
