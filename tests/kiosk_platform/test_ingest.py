"""The ingest API: every kind with its aggregates, replays, and refusals that write nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.test import Client, override_settings

from kiosk_platform.clock import now
from kiosk_platform.feedback.models import Feedback
from kiosk_platform.fleet.models import Device, Heartbeat
from kiosk_platform.fleet.provisioning import make_code
from kiosk_platform.ingest.models import ReceivedEvent, UsageEvent
from kiosk_platform.orgs.models import Organisation
from kiosk_platform.stats.models import DailyCount, HourlyCount, SearchTermFolded, SearchTermVisit

TABLES = (ReceivedEvent, UsageEvent, DailyCount, HourlyCount, SearchTermVisit, SearchTermFolded, Heartbeat, Feedback)


class _Settings:
    """Settings changed for one test (no pytest-django here): ``settings.NAME = value``."""

    def __init__(self) -> None:
        self._overrides: list[override_settings] = []

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            return super().__setattr__(name, value)
        override = override_settings(**{name: value})
        override.enable()
        self._overrides.append(override)

    def undo(self) -> None:
        for override in reversed(self._overrides):
            override.disable()


@pytest.fixture
def settings() -> Iterator[_Settings]:
    changed = _Settings()
    yield changed
    changed.undo()


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in TABLES}


def _client() -> Client:
    return Client(HTTP_HOST="localhost")


def _device(slug: str = "lanzhou", device_id: str | None = None) -> tuple[str, str]:
    """A registered kiosk through the real register view: (device_id, token)."""
    org = Organisation.objects.get_or_create(slug=slug, defaults={"name": slug, "kind": "city"})[0]
    code, _ = make_code(org, f"{slug}-station", "Hall", now=now())
    device_id = device_id or uuid.uuid4().hex
    body = {"code": code, "device_id": device_id}
    answer = _client().post("/api/v1/devices/register", body, content_type="application/json")
    assert answer.status_code == 201
    return device_id, answer.json()["token"]


def _id() -> str:
    return uuid.uuid4().hex


def _event(kind: str, type_: str, subject: str = "", data: dict | None = None, at: str = "2026-05-02T09:14:03+08:00"):
    return {"id": _id(), "kind": kind, "type": type_, "subject": subject, "at": at, "data": data or {}}


def _post(token: str, body: Any, client: Client | None = None, raw: bytes | None = None):
    payload = raw if raw is not None else json.dumps(body)
    return (client or _client()).post(
        "/api/v1/ingest", payload, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def _batch(device_id: str, events: list[dict]) -> dict:
    return {"device_id": device_id, "batch_id": _id(), "events": events}


def test_every_kind_lands_in_its_tables_and_aggregates() -> None:
    device_id, token = _device()
    visit = _id()
    events = [
        _event("usage", "screen_shown", "home"),
        _event("usage", "item_viewed", "venue:baita-shan-park", at="2026-05-02T09:50:00+08:00"),
        _event("usage", "search", "iron bridge", {"results": 3, "visit": visit}),
        _event("usage", "search", "iron bridge", {"results": 2, "visit": _id()}),
        _event("usage", "visit_ended", "", {"seconds": 95, "screens": 4}, at="2026-05-02T23:59:59+08:00"),
        {
            **_event("daily_count", "item_viewed", "venue:baita-shan-park", at="2026-05-01T00:00:00"),
            "data": {"day": "2026-05-01", "count": 41, "total": 0.0, "visits": 0},
        },
        {
            **_event("daily_count", "search", "white pagoda", at="2026-05-01T00:00:00"),
            "data": {"day": "2026-05-01", "count": 7, "total": 12.0, "visits": 6},
        },
        {
            **_event(
                "feedback",
                "feedback",
                "venue:zhongshan-iron-bridge",
                {
                    "rating": 2,
                    "category": "cleanliness",
                    "text": "Bins full",
                    "language": "zh-Hans",
                    "contact_given": True,
                },
            ),
            "contact": "138 0000 0000",
        },
        {
            **_event("feedback", "feedback", "kiosk", {"rating": 5, "text": "", "contact_given": False}),
            "contact": "never kept",
        },
        _event(
            "heartbeat",
            "heartbeat",
            "",
            {
                "device_id": device_id,
                "software_version": "0.1.1",
                "content_version": 7,
                "sync": {"last_outcome": "up-to-date"},
                "uptime_s": 86400,
                "free_disk_bytes": 51234567890,
                "memory_rss_bytes": 312000000,
                "last_error": None,
            },
            at="2026-05-02T09:20:00+08:00",
        ),
    ]
    answer = _post(token, _batch(device_id, events))
    assert answer.status_code == 200, answer.content
    assert sorted(answer.json()["accepted"]) == sorted(e["id"] for e in events)
    assert answer.json()["duplicate"] == [] and answer.json()["rejected"] == []
    device = Device.objects.get(device_id=device_id)
    daily = {(str(d.day), d.type, d.subject): (d.count, d.total) for d in DailyCount.objects.all()}
    assert daily == {
        ("2026-05-02", "screen_shown", "home"): (1, 0),
        ("2026-05-02", "item_viewed", "venue:baita-shan-park"): (1, 0),
        ("2026-05-02", "search", "iron bridge"): (2, 5),
        ("2026-05-02", "visit_ended", ""): (1, 95),  # the kiosk's local day, not UTC's
        ("2026-05-01", "item_viewed", "venue:baita-shan-park"): (41, 0),
        ("2026-05-01", "search", "white pagoda"): (7, 12),
    }
    assert all(
        d.organisation_id == device.organisation_id and d.group == "lanzhou-station" for d in DailyCount.objects.all()
    )
    hourly = {(str(h.day), h.hour): (h.events, h.visits) for h in HourlyCount.objects.all()}
    assert hourly == {("2026-05-02", 9): (4, 0), ("2026-05-02", 23): (1, 1)}
    assert SearchTermVisit.objects.filter(term="iron bridge").count() == 2
    assert SearchTermVisit.objects.get(visit=visit).results == 3
    assert SearchTermFolded.objects.get().visits == 6
    assert UsageEvent.objects.count() == 5
    given, withheld = Feedback.objects.get(rating=2), Feedback.objects.get(rating=5)
    assert given.contact == "138 0000 0000" and given.category == "cleanliness" and given.text == "Bins full"
    assert withheld.contact is None and given.organisation_id == device.organisation_id
    assert Heartbeat.objects.count() == 1
    assert (device.software_version, device.content_version, device.sync_outcome) == ("0.1.1", 7, "up-to-date")
    assert (device.uptime_s, device.free_disk_bytes, device.last_seen_at) == (86400, 51234567890, now())

    # The same batch again (its answer lost): all duplicate, nothing new, no aggregate moves.
    before = _counts()
    sums = [(d.count, d.total) for d in DailyCount.objects.order_by("id")]
    again = _post(token, _batch(device_id, events))
    assert again.status_code == 200
    assert again.json()["accepted"] == [] and sorted(again.json()["duplicate"]) == sorted(e["id"] for e in events)
    assert _counts() == before and [(d.count, d.total) for d in DailyCount.objects.order_by("id")] == sums


def test_an_older_heartbeat_sent_late_does_not_overwrite_the_newer() -> None:
    device_id, token = _device()
    new = _event("heartbeat", "heartbeat", "", {"content_version": 9}, at="2026-05-02T10:00:00+08:00")
    old = _event("heartbeat", "heartbeat", "", {"content_version": 3}, at="2026-05-02T08:00:00+08:00")
    assert _post(token, _batch(device_id, [new])).status_code == 200
    assert _post(token, _batch(device_id, [old])).status_code == 200
    device = Device.objects.get()
    assert device.content_version == 9 and Heartbeat.objects.count() == 2


def test_bad_events_are_rejected_one_by_one_and_the_rest_taken() -> None:
    device_id, token = _device()
    good = _event("usage", "screen_shown", "home")
    bad = [
        _event("usage", "screen_shown", "x" * 201),
        _event("usage", "teleported", "home"),
        _event("usage", "search", "t" * 65, {"results": 1}),
        _event("usage", "search", "ok", {"results": -1}),
        _event("usage", "screen_shown", "home", at="2026-05-02T09:14:03"),  # no offset
        _event("usage", "screen_shown", "home", at="yesterday"),
        _event("feedback", "feedback", "kiosk", {"rating": 6}),
        _event("feedback", "feedback", "kiosk", {"rating": True}),
        _event("feedback", "feedback", "kiosk", {"category": "noise"}),
        _event("feedback", "feedback", "kiosk", {"text": "x" * 2001}),
        _event("usage", "screen_shown", "nul\x00byte"),
        {**_event("daily_count", "item_viewed", "v"), "data": {"day": "2026-13-01", "count": 1}},
        {**_event("daily_count", "item_viewed", "v"), "data": {"day": "2026-05-01", "count": "many"}},
        {**_event("usage", "screen_shown", "home"), "data": []},
    ]
    answer = _post(token, _batch(device_id, [good, *bad]))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["accepted"] == [good["id"]] and body["duplicate"] == []
    assert [r["id"] for r in body["rejected"]] == [e["id"] for e in bad]
    assert all(r["reason"] for r in body["rejected"])
    assert ReceivedEvent.objects.count() == 1 and DailyCount.objects.get().count == 1 and Feedback.objects.count() == 0


def test_markup_and_sql_in_feedback_are_stored_verbatim() -> None:
    device_id, token = _device()
    text = "<script>alert(1)</script>'); DROP TABLE feedback_feedback; --"
    event = _event("feedback", "feedback", "kiosk", {"rating": 1, "category": "other", "text": text})
    assert _post(token, _batch(device_id, [event])).status_code == 200
    assert Feedback.objects.get().text == text


MALFORMED: list[tuple[str, bytes, int]] = [
    ("not JSON", b"{not json", 400),
    ("not UTF-8", b'{"device_id": "\xff"}', 400),
    ("a list", b"[]", 400),
    ("NaN", b"NaN", 400),
    ("deep nesting", b"[" * 100000 + b"]" * 100000, 413),
    ("events not a list", b'{"device_id": "%s", "events": {}}', 400),
    ("device_id a number", b'{"device_id": 5, "events": []}', 400),
    ("batch_id a list", b'{"device_id": "%s", "batch_id": [], "events": []}', 400),
    ("an event a string", b'{"device_id": "%s", "events": ["x"]}', 400),
    ("a bad event id", b'{"device_id": "%s", "events": [{"id": "XYZ", "kind": "usage"}]}', 400),
    ("an upper-case id", b'{"device_id": "%s", "events": [{"id": "' + b"A" * 32 + b'", "kind": "usage"}]}', 400),
    ("an unknown kind", b'{"device_id": "%s", "events": [{"id": "' + b"a" * 32 + b'", "kind": "x"}]}', 400),
    ("huge integer", b'{"device_id": "%s", "events": [' + b"9" * 5000 + b"]}", 400),
    ("empty body", b"", 411),
]


@pytest.mark.parametrize(("name", "raw", "status"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_requests_are_refused_and_write_nothing(name: str, raw: bytes, status: int, settings) -> None:
    settings.INGEST_MAX_BYTES = 150_000
    device_id, token = _device()
    before = _counts()
    answer = _post(token, None, raw=raw.replace(b"%s", device_id.encode()))
    assert answer.status_code == status, (name, answer.content)
    assert "error" in answer.json()
    assert _counts() == before and Device.objects.get().last_seen_at == now()  # registration's, unchanged


def test_refusals_by_token_device_and_size(settings) -> None:
    device_id, token = _device("a")
    _, other_token = _device("b")
    batch = _batch(device_id, [_event("usage", "screen_shown", "home")])
    before = _counts()
    assert _post("", batch).status_code == 401
    assert _post("not-a-token", batch).status_code == 401
    assert _post(other_token, batch).status_code == 403  # another device's token
    Device.objects.filter(device_id=device_id).update(revoked_at=now())
    revoked = _post(token, batch)
    assert revoked.status_code == 403 and "revoked" in revoked.json()["error"]
    Device.objects.filter(device_id=device_id).update(revoked_at=None)
    settings.INGEST_MAX_EVENTS = 3
    many = _batch(device_id, [_event("usage", "screen_shown", "home") for _ in range(4)])
    assert _post(token, many).status_code == 413
    settings.INGEST_MAX_BYTES = 500
    big = _batch(device_id, [_event("usage", "screen_shown", "h" * 150) for _ in range(3)])
    assert _post(token, big).status_code == 413
    assert _client().get("/api/v1/ingest", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405
    assert _counts() == before


def test_a_device_over_its_rate_gets_429_with_retry_after(settings) -> None:
    settings.INGEST_RATE_PER_MINUTE = 3
    device_id, token = _device()
    statuses = [_post(token, _batch(device_id, [_event("usage", "screen_shown", "home")])) for _ in range(4)]
    assert [a.status_code for a in statuses] == [200, 200, 200, 429]
    assert 1 <= int(statuses[3]["Retry-After"]) <= 60
    assert ReceivedEvent.objects.count() == 3


def test_the_kiosk_outbox_sends_through_nginx_and_gunicorn(live_platform, tmp_path) -> None:
    """The real Outbox and Sender, unchanged, against the real site."""
    import datetime as dt

    from content_sync.device.outbox import Feedback as KioskFeedback
    from content_sync.device.outbox import Outbox, Sender

    kiosk_now = dt.datetime(2026, 5, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with Outbox(tmp_path / "device.db", lambda: kiosk_now) as outbox:
        org = Organisation.objects.create(slug="z", name="z", kind="city")
        code, _ = make_code(org, "g", "n", now=now())
        reg = requests.post(
            f"{live_platform.url}/api/v1/devices/register",
            json={"code": code, "device_id": outbox.device_id},
            timeout=10,
        ).json()
        assert reg["ingest_url"] == f"{live_platform.url}/api/v1/ingest"
        for i in range(250):
            outbox.usage("item_viewed", f"venue:{i % 7}")
        outbox.feedback(KioskFeedback("kiosk", rating=4, text="<b>fine</b>"))
        sender = Sender(outbox, reg["ingest_url"], reg["token"])
        results = sender.send_due()
        assert [r.outcome for r in results][-1] in ("sent", "empty")
        assert sum(r.delivered for r in results) == 251 and outbox.pending() == []
    assert ReceivedEvent.objects.count() == 251 and sum(d.count for d in DailyCount.objects.all()) == 250
    requests_live = requests.post(f"{live_platform.url}/api/v1/ingest", data=b"x" * 2_000_000, timeout=10)
    assert requests_live.status_code in (401, 413)
