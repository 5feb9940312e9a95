"""Fleet status at its boundaries, the units people read, and the shared factories' rows."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk_platform.fleet.models import Device
from kiosk_platform.fleet.status import Status, human_age, human_bytes, status_of
from tests.kiosk_platform.conftest import START
from tests.kiosk_platform.factories import make_device, make_feedback, make_heartbeat, make_operator, make_org_tree

NOW = dt.datetime(2026, 5, 2, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("minutes_ago", "expected"),
    [
        (-5, Status.ONLINE),  # the kiosk's clock a little ahead
        (0, Status.ONLINE),
        (35, Status.ONLINE),
        (35.01, Status.LATE),
        (120, Status.LATE),
        (120.01, Status.OFFLINE),
        (60 * 24 * 30, Status.OFFLINE),
    ],
)
def test_status_boundaries(minutes_ago: float, expected: Status) -> None:
    beat = NOW - dt.timedelta(minutes=minutes_ago)
    assert status_of(beat, NOW, late_minutes=35, offline_minutes=120) is expected


def test_never_without_a_heartbeat() -> None:
    assert status_of(None, NOW, late_minutes=35, offline_minutes=120) is Status.NEVER


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "—"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KB"),
        (512 * 1024**2, "512 MB"),
        (51_234_567_890, "47.7 GB"),
    ],
)
def test_human_bytes(size: int | None, text: str) -> None:
    assert human_bytes(size) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(seconds=59), "just now"),
        (dt.timedelta(minutes=12), "12 min"),
        (dt.timedelta(hours=3, minutes=59), "3 h"),
        (dt.timedelta(days=2, hours=5), "2 d"),
    ],
)
def test_human_age(delta: dt.timedelta, text: str) -> None:
    assert human_age(delta) == text


def test_factories_make_a_consistent_tree() -> None:
    tree = make_org_tree()
    assert tree.baitashan.is_within(tree.chengguan) and tree.baitashan.is_within(tree.city)
    assert not tree.hotel.is_within(tree.chengguan)
    editor = make_operator(tree.chengguan, "editor")
    assert editor.membership.can_edit and editor.check_password("kiosk-test-password-1")
    kiosk = make_device(tree.baitashan, group="chengguan/scenic")
    assert kiosk.token and Device.objects.get(pk=kiosk.pk).token_hash != kiosk.token
    make_heartbeat(kiosk, at=START, free_disk_bytes=1024)
    stored = Device.objects.get(pk=kiosk.pk)
    assert stored.last_heartbeat_at == START and stored.free_disk_bytes == 1024
    entry = make_feedback(kiosk, contact="138 0000 0000")
    assert entry.organisation == tree.baitashan and entry.status == "new"
