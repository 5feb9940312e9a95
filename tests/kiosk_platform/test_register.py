"""Registration: a one-time code exchanged once for a device token (real PostgreSQL, real HTTP)."""

from __future__ import annotations

import datetime as dt
import json
import threading

import requests
from django.test import Client

from kiosk_platform.clock import now
from kiosk_platform.fleet.models import Device, ProvisioningCode
from kiosk_platform.fleet.provisioning import digest, make_code
from kiosk_platform.orgs.models import Organisation

DEVICE = "3f0c5b6e0b7c4b1d9c1f8d0e2a4b6c8d"


def _org(slug: str = "lanzhou") -> Organisation:
    return Organisation.objects.create(slug=slug, name=slug, kind=Organisation.Kind.CITY)


def _register(client: Client, code: str, device_id: str = DEVICE):
    return client.post(
        "/api/v1/devices/register",
        {"code": code, "device_id": device_id, "software_version": "0.1.0"},
        content_type="application/json",
    )


def test_a_code_registers_a_kiosk_once(clock) -> None:
    code, record = make_code(_org(), "lanzhou-station", "Station hall", now=now())
    answer = _register(Client(HTTP_HOST="localhost"), code.lower().replace("-", " "))  # typed loosely: normalised
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["device_id"] == DEVICE and body["group"] == "lanzhou-station" and body["name"] == "Station hall"
    assert body["ingest_url"] == "http://localhost/api/v1/ingest"
    device = Device.objects.get(device_id=DEVICE)
    assert device.token_hash == digest(body["token"]) and device.software_version == "0.1.0"
    record.refresh_from_db()
    assert record.used_at == now() and record.device == device
    again = _register(Client(HTTP_HOST="localhost"), code, "a" * 32)
    assert again.status_code == 403 and again.json() == {"error": "this code is unknown, used or expired"}
    assert Device.objects.count() == 1


def test_expired_and_unknown_codes_are_refused(clock) -> None:
    code, _ = make_code(_org(), "g", "n", now=now(), lifetime=dt.timedelta(days=1))
    clock.advance(days=1)
    assert _register(Client(HTTP_HOST="localhost"), code).status_code == 403
    assert _register(Client(HTTP_HOST="localhost"), "AAAA-BBBB-CCCC").status_code == 403
    assert Device.objects.count() == 0 and ProvisioningCode.objects.filter(used_at__isnull=False).count() == 0


def test_bad_requests_are_400_and_write_nothing() -> None:
    code, _ = make_code(_org(), "g", "n", now=now())
    client = Client(HTTP_HOST="localhost")
    for body in ['{"code": 1}', "[]", "not json", json.dumps({"code": code, "device_id": "X Y"}), "NaN"]:
        answer = client.post("/api/v1/devices/register", body, content_type="application/json")
        assert answer.status_code == 400 and "error" in answer.json(), body
    assert Device.objects.count() == 0


def test_registering_again_replaces_the_token_and_moves_the_kiosk() -> None:
    first, _ = make_code(_org("a"), "group-a", "Kiosk", now=now())
    second, _ = make_code(_org("b"), "group-b", "Kiosk moved", now=now())
    old = _register(Client(HTTP_HOST="localhost"), first).json()["token"]
    new = _register(Client(HTTP_HOST="localhost"), second).json()
    device = Device.objects.get(device_id=DEVICE)
    assert device.group == "group-b" and device.organisation.slug == "b" and new["token"] != old
    assert device.token_hash == digest(new["token"])
    refused = Client(HTTP_HOST="localhost").post(
        "/api/v1/ingest", "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {old}"
    )
    assert refused.status_code == 401


def test_two_kiosks_racing_with_one_code_one_wins(live_platform) -> None:
    code, _ = make_code(_org(), "g", "n", now=now())
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def go(i: int) -> None:
        barrier.wait()
        answer = requests.post(
            f"{live_platform.url}/api/v1/devices/register",
            json={"code": code, "device_id": f"{i:032x}"},
            timeout=30,
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 403, 403, 403, 403, 403]
    assert Device.objects.count() == 1


def test_guessing_codes_is_rate_limited(live_platform) -> None:
    statuses = [
        requests.post(
            f"{live_platform.url}/api/v1/devices/register",
            json={"code": f"AAAA-AAAA-{i:04d}", "device_id": DEVICE},
            timeout=10,
        )
        for i in range(32)
    ]
    assert [a.status_code for a in statuses[:30]] == [403] * 30
    assert statuses[30].status_code == 429 and int(statuses[30].headers["Retry-After"]) >= 1
    assert Device.objects.count() == 0


def test_the_answer_brings_the_channel_and_its_newest_root(tmp_path) -> None:
    from django.test import override_settings

    (tmp_path / "metadata").mkdir()
    (tmp_path / "metadata" / "1.root.json").write_text('{"signed": {"version": 1}}')
    (tmp_path / "metadata" / "2.root.json").write_text('{"signed": {"version": 2}}')
    code, _ = make_code(_org(), "g", "n", now=now())
    with override_settings(CHANNEL_URL="https://channel.example.org", CHANNEL_DIR=tmp_path):
        body = _register(Client(HTTP_HOST="localhost"), code).json()
    assert body["channel_url"] == "https://channel.example.org" and body["root"] == {"signed": {"version": 2}}


def test_an_operators_own_device_id_registers_and_a_hostile_one_is_refused(clock) -> None:
    """``kiosk-pack sync-setup --device-id K-0042`` gives a kiosk a readable id; ids with markup, spaces
    or past 32 characters are refused and write nothing."""
    code, _ = make_code(_org(), "lanzhou/station", "Station hall", now=now())
    for bad in ("K 0042", "<b>K</b>", "x" * 33, "-K", ""):
        assert _register(Client(HTTP_HOST="localhost"), code, bad).status_code == 400
    assert Device.objects.count() == 0
    answer = _register(Client(HTTP_HOST="localhost"), code, "K-0042")
    assert answer.status_code == 201, answer.content
    assert Device.objects.get().device_id == "K-0042"
