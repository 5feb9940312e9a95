"""An organisation tree with operators and kiosks for the notices tests (real PostgreSQL rows)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from kiosk_platform import clock

PASSWORD = "correct horse battery"
CHENGGUAN = "chengguan/station"
CHENGGUAN_MUSEUM = "chengguan/museum"
MAIJI = "maiji/station"


@dataclass
class Tree:
    province: Any
    chengguan: Any
    maiji: Any
    editor: Any  # Chengguan's editor
    viewer: Any  # Chengguan's viewer
    other_editor: Any  # Maiji's editor (another county)


def make_tree() -> Tree:
    from django.contrib.auth.models import User

    from kiosk_platform.fleet.models import Device
    from kiosk_platform.orgs.models import Membership, Organisation

    province = Organisation.objects.create(slug="gansu", name="甘肃省", name_en="Gansu", kind="province")
    lanzhou = Organisation.objects.create(
        slug="lanzhou", name="兰州市", name_en="Lanzhou", kind="city", parent=province
    )
    chengguan = Organisation.objects.create(slug="chengguan", name="城关区", name_en="Chengguan", kind="county",
                                            parent=lanzhou)  # fmt: skip
    tianshui = Organisation.objects.create(slug="tianshui", name="天水市", name_en="Tianshui", kind="city",
                                           parent=province)  # fmt: skip
    maiji = Organisation.objects.create(slug="maiji", name="麦积区", name_en="Maiji", kind="county", parent=tianshui)

    def operator(name: str, org: Any, role: str) -> Any:
        user = User.objects.create_user(name, password=PASSWORD)
        Membership.objects.create(user=user, organisation=org, role=role)
        return user

    now = clock.now()
    for i, (org, group) in enumerate([(chengguan, CHENGGUAN), (chengguan, CHENGGUAN_MUSEUM), (maiji, MAIJI)]):
        Device.objects.create(device_id=f"{i:032x}", organisation=org, group=group, name=f"Kiosk {i}",
                              registered_at=now)  # fmt: skip
    editor, viewer = operator("cg-editor", chengguan, "editor"), operator("cg-viewer", chengguan, "viewer")
    return Tree(province, chengguan, maiji, editor, viewer, operator("mj-editor", maiji, "editor"))


def local(moment: dt.datetime) -> str:
    """A moment as the form's datetime-local field sends it (the platform's time zone)."""
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def form(groups: list[str], ends: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {
        "groups": groups,
        "severity": "emergency",
        "title_zh": "暴雪红色预警：景区暂停开放",
        "title_en": "Red blizzard warning: scenic areas closed",
        "body_zh": "请留在室内，听从工作人员指引。",
        "body_en": "Stay indoors and follow the staff's directions.",
        "start": "now",
        "starts_at": "",
        "ends_at": local(ends),
        "action": "publish",
        **extra,
    }


def published_feed(group: str) -> dict[str, Any] | None:
    """The group's emergency feed as signed in the platform's channel (None when it has none)."""
    from content_sync.sync.repository import open_repository, role_for_group

    metadata = settings.CHANNEL_DIR / "metadata"
    if not (metadata / "1.root.json").exists():
        return None
    repo = open_repository(settings.CHANNEL_DIR, settings.CHANNEL_KEYS, clock=clock.now)
    if group not in repo.groups():
        return None
    targets = repo.open(role_for_group(group)).signed.targets  # type: ignore[attr-defined]
    target = targets.get(f"{group}/feeds/emergency.json")
    if target is None:
        return None
    blob = settings.CHANNEL_DIR / "targets" / target.get_prefixed_paths()[0]
    return json.loads(blob.read_bytes())


def channel_files() -> list[str]:
    """Every file of the channel (to show a refusal wrote nothing)."""
    if not settings.CHANNEL_DIR.exists():
        return []
    return sorted(str(p.relative_to(settings.CHANNEL_DIR)) for p in settings.CHANNEL_DIR.rglob("*"))
