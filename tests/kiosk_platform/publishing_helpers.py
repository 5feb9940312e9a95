"""Shared by the publishing tests: an organisation tree, kiosks of a group, packs the platform trusts,
heartbeats as the ingest API stores them, and the channel's signed metadata read back."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from content_sync.pack.signing import SigningKey
from content_sync.sync.publish import PACK_KEYS_FOLDER
from content_sync.sync.repository import role_for_group
from kiosk_platform import clock
from kiosk_platform.fleet.models import Device, Heartbeat
from kiosk_platform.orgs.models import Membership, Organisation

GROUP = "lanzhou/station"
PASSWORD = "correct horse battery staple"


@dataclass
class Tree:
    province: Organisation
    lanzhou: Organisation
    chengguan: Organisation  # a county of Lanzhou
    tianshui: Organisation


def make_tree() -> Tree:
    province = Organisation.objects.create(slug="gansu", name="甘肃省", name_en="Gansu", kind="province")
    lanzhou = Organisation.objects.create(
        slug="lanzhou", name="兰州市", name_en="Lanzhou", kind="city", parent=province
    )
    chengguan = Organisation.objects.create(
        slug="chengguan", name="城关区", name_en="Chengguan", kind="county", parent=lanzhou
    )
    tianshui = Organisation.objects.create(
        slug="tianshui", name="天水市", name_en="Tianshui", kind="city", parent=province
    )
    return Tree(province, lanzhou, chengguan, tianshui)


def operator(name: str, organisation: Organisation, role: str) -> User:
    user = User.objects.create_user(name, password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def device_id(n: int) -> str:
    return hashlib.sha256(f"kiosk-{n}".encode()).hexdigest()[:32]


def kiosks(organisation: Organisation, count: int, *, group: str = GROUP, start: int = 0) -> list[Device]:
    now = clock.now()
    return [
        Device.objects.create(
            device_id=device_id(n),
            organisation=organisation,
            group=group,
            name=f"Kiosk {n}",
            registered_at=now,
            content_version=1,
        )
        for n in range(start, start + count)
    ]


_beats = iter(range(10**9))


def heartbeat(
    device: Device, version: int, *, failed_install: int | None = None, fell_back_from: int | None = None
) -> None:
    """A heartbeat as content_sync.device.outbox.heartbeat_data makes it, stored as the ingest API stores it."""
    sync: dict[str, Any] = {"last_outcome": "installed" if failed_install is None else "failed"}
    if failed_install is not None:
        sync["failed_install"] = {"content_version": failed_install, "message": "refused: the pack is malformed"}
    if fell_back_from is not None:
        sync["fell_back_from"] = fell_back_from
    now = clock.now()
    Heartbeat.objects.create(
        event_id=f"{next(_beats):032x}",
        device=device,
        at=now,
        received_at=now,
        data={"device_id": device.device_id, "group": device.group, "content_version": version, "sync": sync},
    )
    Device.objects.filter(pk=device.pk).update(content_version=version, last_heartbeat_at=now)


def trust_pack_key(signing_key: SigningKey) -> None:
    """The platform's trusted pack key, kept where ``kiosk-pack repo init --trust`` keeps it."""
    folder = Path(settings.CHANNEL_KEYS) / PACK_KEYS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{signing_key.public.key_id}.pub").write_text(signing_key.public.to_line(), encoding="utf-8")


def two_versions(mini_source: Path, make_pack: Callable[..., Path]) -> tuple[Path, Path]:
    from tests.content_sync.sync.agent_harness import change_venue_text

    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    return v1, make_pack(mini_source, version=2)


def signed_pack_custom(version: int, group: str = GROUP) -> dict[str, Any]:
    """The group's signed metadata for the pack of ``version``, read back from the channel's files."""
    import json

    metadata = Path(settings.CHANNEL_DIR) / "metadata"
    role = role_for_group(group)
    newest = max(metadata.glob(f"*.{role}.json"), key=lambda p: int(p.name.split(".", 1)[0]))
    targets = json.loads(newest.read_text(encoding="utf-8"))["signed"]["targets"]
    return next(t["custom"] for path, t in targets.items() if path.endswith(f"-{version}.kpack"))


def later(minutes: float) -> dt.timedelta:
    return dt.timedelta(minutes=minutes)


def wipe_publishing_dirs() -> None:
    """The channel, its keys and the uploads are folders shared by the session: each test starts without them."""
    import shutil

    for folder in (settings.CHANNEL_DIR, settings.CHANNEL_KEYS, settings.UPLOAD_DIR):
        shutil.rmtree(folder, ignore_errors=True)
