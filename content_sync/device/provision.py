"""Start-up provisioning: make sure a kiosk has content before the first screen.

A kiosk unpacked in a station with no network must show something: when nothing is
installed (or the bundled pack is newer than what is), the pack shipped with the
software is installed through the same checks as any other pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.errors import KioskError
from ..pack.reader import PackReader
from .install import Installer, install_lock, recover
from .layout import DataDir
from .state import DeviceState


@dataclass(frozen=True)
class ProvisionReport:
    installed_version: int | None
    action: str  # "kept", "installed-bundled", "no-content"
    message: str


def ensure_content(data: DataDir, bundled_pack: Path | None) -> ProvisionReport:
    data.content.mkdir(parents=True, exist_ok=True)
    try:
        with install_lock(data):
            recover(data)
    except KioskError:
        pass  # an operator's install is running; it will leave things consistent
    pointer = data.read_pointer()
    if bundled_pack is None or not Path(bundled_pack).is_file():
        if pointer:
            return ProvisionReport(pointer.content_version, "kept", "installed content kept")
        return ProvisionReport(None, "no-content", "no content installed and no bundled pack found")
    try:
        with PackReader(Path(bundled_pack)) as reader:
            bundled_version = reader.manifest().content_version
    except KioskError as exc:
        version = pointer.content_version if pointer else None
        return ProvisionReport(version, "kept" if pointer else "no-content", f"bundled pack unusable: {exc}")
    if pointer and pointer.content_version >= bundled_version:
        return ProvisionReport(pointer.content_version, "kept", "installed content is current")
    with DeviceState(data.device_db) as device:
        installer = Installer(data, device.trusted_keys(), device.get("channel", "stable"))
        try:
            result = installer.install(Path(bundled_pack))
        except (KioskError, OSError) as exc:
            device.log_install(str(bundled_pack), None, None, False, str(exc))
            version = pointer.content_version if pointer else None
            return ProvisionReport(version, "kept" if pointer else "no-content", f"bundled pack refused: {exc}")
        device.log_install(str(bundled_pack), result.pack_id, result.content_version, True, "installed bundled pack")
    return ProvisionReport(
        result.content_version, "installed-bundled", f"installed bundled content v{result.content_version}"
    )
