"""Rows for the platform's tests, made through the ORM: an organisation tree, operators, kiosks,
heartbeats and feedback. Shared by every part's tests; keep the API small and stable.

    tree = make_org_tree()                       # Lanzhou → Chengguan (+ Baita Shan park), Qilihe (+ hotel)
    editor = make_operator(tree.chengguan, "editor")   # password: PASSWORD
    kiosk = make_device(tree.baitashan, group="chengguan/scenic")
    make_heartbeat(kiosk, at=START)              # also updates the kiosk's "last_*" fields
    entry = make_feedback(kiosk, text="Bins full", rating=2, category="cleanliness")

Times default to the platform's clock (``kiosk_platform.clock.now()``), which the ``clock`` fixture moves.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from kiosk_platform import clock
from kiosk_platform.feedback.models import Feedback
from kiosk_platform.fleet.models import Device, Heartbeat
from kiosk_platform.fleet.provisioning import new_token
from kiosk_platform.orgs.models import Membership, Organisation

# Long enough for the password validators; the same for every test operator.
PASSWORD = "kiosk-test-password-1"
_serial = itertools.count(1)


@dataclass(frozen=True)
class OrgTree:
    """City → two counties, each with one place of its own (county A: a scenic area, county B: a hotel)."""

    city: Organisation  # 兰州市 Lanzhou
    chengguan: Organisation  # county A: 城关区 Chengguan District
    qilihe: Organisation  # county B: 七里河区 Qilihe District
    baitashan: Organisation  # scenic area in Chengguan: 白塔山公园
    hotel: Organisation  # hotel in Qilihe

    @property
    def county_a(self) -> Organisation:
        return self.chengguan

    @property
    def county_b(self) -> Organisation:
        return self.qilihe


def make_org(
    name: str, kind: str, parent: Organisation | None = None, *, name_en: str = "", slug: str = ""
) -> Organisation:
    return Organisation.objects.create(
        slug=slug or f"org-{next(_serial)}", name=name, name_en=name_en, kind=kind, parent=parent
    )


def make_org_tree() -> OrgTree:
    """The Lanzhou tree most tests need (names and codes from the NBS division list)."""
    city = make_org("兰州市", "city", name_en="Lanzhou", slug="lanzhou")
    chengguan = make_org("城关区", "county", city, name_en="Chengguan District", slug="chengguan")
    qilihe = make_org("七里河区", "county", city, name_en="Qilihe District", slug="qilihe")
    baitashan = make_org("白塔山公园", "scenic_area", chengguan, name_en="Baita Shan Park", slug="baitashan")
    hotel = make_org("七里河饭店", "hotel", qilihe, name_en="Qilihe Hotel", slug="qilihe-hotel")
    return OrgTree(city, chengguan, qilihe, baitashan, hotel)


def make_operator(
    organisation: Organisation, role: str = "editor", *, username: str = "", password: str = PASSWORD
) -> User:
    """A user with a membership (role: "admin", "editor" or "viewer") and the given password."""
    user = User.objects.create_user(username or f"{role}-{organisation.slug}-{next(_serial)}", password=password)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def make_device(
    organisation: Organisation,
    *,
    group: str = "chengguan/station",
    name: str = "",
    device_id: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    registered_at: dt.datetime | None = None,
    **fields: Any,
) -> Device:
    """A registered kiosk with a token; the plain token is on ``device.token`` (only its hash is stored)."""
    token, token_hash = new_token()
    device = Device.objects.create(
        device_id=device_id or uuid.uuid4().hex,
        organisation=organisation,
        group=group,
        name=name or f"Kiosk {next(_serial)}",
        latitude=latitude,
        longitude=longitude,
        token_hash=token_hash,
        registered_at=registered_at or clock.now(),
        **fields,
    )
    device.token = token  # type: ignore[attr-defined]
    return device


def heartbeat_data(device: Device, **overrides: Any) -> dict[str, Any]:
    """A heartbeat's ``data`` as the kiosk sends it (docs/outbox.md)."""
    data: dict[str, Any] = {
        "device_id": device.device_id,
        "group": device.group,
        "software_version": "0.1.0",
        "content_version": 7,
        "sync": {"last_outcome": "up-to-date", "last_success": None},
        "uptime_s": 3600,
        "free_disk_bytes": 51_234_567_890,
        "memory_rss_bytes": 312_000_000,
        "last_error": None,
    }
    data.update(overrides)
    return data


def make_heartbeat(device: Device, at: dt.datetime | None = None, **data: Any) -> Heartbeat:
    """A stored heartbeat at ``at`` (default now); the device's "last_*" fields follow the newest one."""
    moment = at or clock.now()
    payload = heartbeat_data(device, **data)
    beat = Heartbeat.objects.create(
        event_id=uuid.uuid4().hex, device=device, at=moment, received_at=clock.now(), data=payload
    )
    if device.last_heartbeat_at is None or moment >= device.last_heartbeat_at:
        device.last_heartbeat_at = moment
        device.last_seen_at = moment
        device.content_version = payload.get("content_version")
        device.software_version = payload.get("software_version") or ""
        device.sync_outcome = (payload.get("sync") or {}).get("last_outcome") or ""
        device.last_error = payload.get("last_error") or ""
        device.free_disk_bytes = payload.get("free_disk_bytes")
        device.memory_rss_bytes = payload.get("memory_rss_bytes")
        device.uptime_s = payload.get("uptime_s")
        device.save()
    return beat


def make_feedback(
    device: Device,
    *,
    text: str = "The bins by the gate are full.",
    rating: int | None = 2,
    category: str = "cleanliness",
    subject: str = "kiosk",
    language: str = "zh-Hans",
    contact: str | None = None,
    at: dt.datetime | None = None,
    status: str = Feedback.Status.NEW,
    **fields: Any,
) -> Feedback:
    """A visitor's feedback from ``device`` (its organisation is the kiosk's)."""
    moment = at or clock.now()
    return Feedback.objects.create(
        event_id=uuid.uuid4().hex,
        organisation=device.organisation,
        device=device,
        subject=subject,
        rating=rating,
        category=category,
        text=text,
        language=language,
        contact=contact,
        at=moment,
        received_at=fields.pop("received_at", moment),
        status=status,
        **fields,
    )
