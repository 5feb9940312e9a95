"""The fleet pages through Django's request handling on the real database: scoping to the
operator's subtree (404 outside it), roles (403), revoking a token and adding a kiosk."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk_platform.fleet.models import Device, ProvisioningCode
from kiosk_platform.fleet.provisioning import digest, normalise_code
from tests.kiosk_platform.conftest import START
from tests.kiosk_platform.factories import OrgTree, make_device, make_heartbeat, make_operator, make_org_tree
from tests.kiosk_platform.pages import client_for, test_environment  # noqa: F401 (fixture)


@pytest.fixture
def tree() -> OrgTree:
    return make_org_tree()


def test_list_shows_only_the_subtree_with_statuses_and_counts(tree: OrgTree, clock) -> None:
    online = make_device(tree.baitashan, group="chengguan/scenic", name="Baita gate")
    make_heartbeat(online, at=START, free_disk_bytes=51_234_567_890)
    late = make_device(tree.chengguan, group="chengguan/station", name="Station hall")
    make_heartbeat(late, at=START - dt.timedelta(minutes=50), last_error="sync: disk full")
    make_device(tree.chengguan, group="chengguan/station", name="Bus stop")  # never
    make_device(tree.hotel, group="qilihe/hotel", name="Hotel lobby")  # another county
    page = client_for(make_operator(tree.chengguan, "viewer")).get("/fleet/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Baita gate" in html and "Station hall" in html and "Bus stop" in html
    assert "Hotel lobby" not in html and "qilihe/hotel" not in html
    assert "47.7 GB" in html and "sync: disk full" in html
    statuses = {row["device"].name: row["status"] for _, rows in page.context["grouped"] for row in rows}
    assert statuses == {"Baita gate": "online", "Station hall": "late", "Bus stop": "never"}
    assert dict(page.context["counts"]) == {"online": 1, "late": 1, "offline": 0, "never": 1}
    assert [name for name, _ in page.context["grouped"]] == ["chengguan/scenic", "chengguan/station"]
    # filters
    only_late = client_for(make_operator(tree.chengguan, "viewer")).get("/fleet/?status=late")
    assert [r["device"].name for _, rows in only_late.context["grouped"] for r in rows] == ["Station hall"]
    by_group = client_for(make_operator(tree.city, "viewer")).get("/fleet/?group=qilihe/hotel")
    assert [r["device"].name for _, rows in by_group.context["grouped"] for r in rows] == ["Hotel lobby"]
    # the clock moves: the online kiosk goes late, the late one offline
    clock.set(START + dt.timedelta(minutes=80))
    later = client_for(make_operator(tree.chengguan, "viewer")).get("/fleet/")
    assert dict(later.context["counts"]) == {"online": 0, "late": 1, "offline": 1, "never": 1}


def test_kiosk_page_and_cross_county_404(tree: OrgTree) -> None:
    mine = make_device(tree.baitashan, group="chengguan/scenic", name="Baita gate")
    theirs = make_device(tree.hotel, group="qilihe/hotel", name="Hotel lobby")
    for minutes in range(0, 150, 15):
        make_heartbeat(mine, at=START - dt.timedelta(minutes=minutes), memory_rss_bytes=300_000_000 + minutes)
    viewer = client_for(make_operator(tree.chengguan, "viewer"))
    page = viewer.get(f"/fleet/{mine.device_id}/")
    assert page.status_code == 200 and len(page.context["history"]) == 10
    assert 'id="kiosk-chart-data"' in page.content.decode()
    assert "Revoke token" not in page.content.decode()  # a viewer is not offered it
    assert viewer.get(f"/fleet/{theirs.device_id}/").status_code == 404
    assert viewer.get("/fleet/not-a-device/").status_code == 404


def test_revoke_admin_only_and_within_the_subtree(tree: OrgTree, clock) -> None:
    mine = make_device(tree.baitashan, group="chengguan/scenic")
    theirs = make_device(tree.hotel, group="qilihe/hotel")
    admin = client_for(make_operator(tree.chengguan, "admin"))
    editor = client_for(make_operator(tree.chengguan, "editor"))
    assert editor.post(f"/fleet/{mine.device_id}/revoke/").status_code == 403
    assert admin.post(f"/fleet/{theirs.device_id}/revoke/").status_code == 404
    assert Device.objects.filter(revoked_at__isnull=False).count() == 0
    confirm = admin.get(f"/fleet/{mine.device_id}/revoke/")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    assert Device.objects.get(pk=mine.pk).revoked_at is None  # GET only asks
    clock.advance(minutes=5)
    done = admin.post(f"/fleet/{mine.device_id}/revoke/", follow=True)
    assert done.status_code == 200 and "revoked" in done.content.decode()
    assert Device.objects.get(pk=mine.pk).revoked_at == START + dt.timedelta(minutes=5)
    assert Device.objects.get(pk=theirs.pk).revoked_at is None


def test_add_kiosk_shows_the_code_once_and_refuses_bad_input(tree: OrgTree) -> None:
    admin_user = make_operator(tree.chengguan, "admin")
    admin = client_for(admin_user)
    form = {"organisation": tree.baitashan.pk, "group": "chengguan/scenic", "name": "North gate", "latitude": "36.07"}
    half = admin.post("/fleet/add/", form)
    assert half.status_code == 200 and "both latitude and longitude" in half.content.decode()
    bad_group = admin.post("/fleet/add/", {**form, "group": "Chengguan Scenic", "longitude": "103.82"})
    assert "county/kind" in bad_group.content.decode()
    outside = admin.post("/fleet/add/", {**form, "organisation": tree.hotel.pk, "longitude": "103.82"})
    assert outside.status_code == 200 and outside.context["form"].errors.get("organisation")
    assert ProvisioningCode.objects.count() == 0
    made = admin.post("/fleet/add/", {**form, "longitude": "103.82"})
    code = made.context["code"]
    html = made.content.decode()
    assert code in html and f"/join/{code}" in html and 'platform.join = "http://127.0.0.1/join/' in html
    record = ProvisioningCode.objects.get()
    assert record.code_hash == digest(normalise_code(code)) and record.created_by == admin_user
    assert (record.organisation, record.group, record.latitude, record.longitude) == (
        tree.baitashan,
        "chengguan/scenic",
        36.07,
        103.82,
    )
    assert code not in admin.get("/fleet/").content.decode()
    assert client_for(make_operator(tree.chengguan, "editor")).get("/fleet/add/").status_code == 403
