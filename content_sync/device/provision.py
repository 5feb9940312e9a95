"""Start-up provisioning: make sure a kiosk has content before the first screen.

A kiosk unpacked in a station with no network must show something: when nothing is
installed (or the bundled pack is newer than what is), the pack shipped with the
software is installed through the same checks as any other pack. A store a power cut
damaged is reported (never raised): the kiosk then shows its "please ask staff" page, and a
bundled pack of the same version or newer repairs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import KioskError
from ..pack.reader import PackReader
from .damage import CONTENT_WHAT, DEVICE_WHAT, store_damage, writable
from .install import Installer, install_lock, recover
from .layout import DataDir
from .state import open_device_state


@dataclass(frozen=True)
class ProvisionReport:
    installed_version: int | None
    action: str  # "kept", "installed-bundled", "repaired-bundled", "no-content", "damaged"
    message: str
    problems: tuple[str, ...] = ()  # damage and a read-only folder, in plain words (for the operator)
    read_only: bool = False

    @property
    def content_damage(self) -> str | None:
        """What is wrong with the installed content (its pointer or database), None if nothing is."""
        return next((p for p in self.problems if is_content_damage(p)), None)


def is_content_damage(problem: str) -> bool:
    """Whether one of a report's ``problems`` is about the content rather than the device database or folder."""
    return CONTENT_WHAT in problem or "content pointer" in problem


def ensure_content(
    data: DataDir, bundled_pack: Path | None, *, clock: Callable[[], dt.datetime] | None = None
) -> ProvisionReport:
    """Never raises for a damaged or read-only store: what is wrong is in the report's ``problems``."""
    read_only = not writable(data.root)
    try:
        data.content.mkdir(parents=True, exist_ok=True)
        with install_lock(data):
            recover(data)
    except (KioskError, OSError):
        pass  # an operator's install is running (it will leave things consistent), or nothing can be written
    problems = [str(d) for d in store_damage(data)]
    if read_only:
        problems.append(f"the data folder {data.root} is read-only: installs are impossible")
    pointer = data.read_pointer()
    content_damaged = any(is_content_damage(p) for p in problems)
    kept = "damaged" if content_damaged else "kept"
    version = pointer.content_version if pointer else None

    def report(action: str, message: str) -> ProvisionReport:
        return ProvisionReport(version, action, message, tuple(problems), read_only)

    if bundled_pack is None or not Path(bundled_pack).is_file():
        if pointer:
            return report(kept, "installed content kept" + (", but it is damaged" if content_damaged else ""))
        return report("no-content", "no content installed and no bundled pack found")
    try:
        with PackReader(Path(bundled_pack)) as reader:
            bundled_version = reader.manifest().content_version
    except KioskError as exc:
        return report(kept if pointer else "no-content", f"bundled pack unusable: {exc}")
    if pointer and (pointer.content_version > bundled_version or (
        pointer.content_version == bundled_version and not content_damaged
    )):  # fmt: skip
        return report(kept, "installed content is current")
    if read_only:
        return report(
            kept if pointer else "no-content", "the bundled pack cannot be installed: the folder is read-only"
        )
    try:
        device, note = open_device_state(data.device_db, aside_clock=clock)
    except KioskError as exc:
        return report(kept if pointer else "no-content", f"bundled pack not installed: {exc}")
    if note:  # the damaged device database was moved aside and made anew: say that instead
        problems = [p for p in problems if DEVICE_WHAT not in p] + [note]
    with device:
        now = clock or (lambda: dt.datetime.now(dt.UTC))
        installer = Installer(data, device.trusted_keys(), device.get("channel", "stable"), clock=now)
        try:
            result = installer.install(Path(bundled_pack), reinstall=content_damaged)
        except (KioskError, OSError) as exc:
            with suppress(KioskError):
                device.log_install(str(bundled_pack), None, None, False, str(exc))
            return report(kept if pointer else "no-content", f"bundled pack refused: {exc}")
        with suppress(KioskError):
            device.log_install(
                str(bundled_pack), result.pack_id, result.content_version, True, "installed bundled pack"
            )
    version = result.content_version
    problems = [str(d) for d in store_damage(data)] + ([note] if note else [])  # after the install
    action = "repaired-bundled" if content_damaged else "installed-bundled"
    return report(action, f"installed bundled content v{result.content_version}")
