"""Generated bodies (hypothesis): the ingest API never answers 5xx, and a refusal writes nothing."""

from __future__ import annotations

import json
import uuid

from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from .test_ingest import _client, _counts, _device

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["", "\x00", "\ud800", "a" * 300, "2026-05-02T09:14:03+08:00", "2026-05-01", "search"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
HEX = st.one_of(
    st.just(None),
    st.just("use-mine"),
    st.uuids().map(lambda u: u.hex),
    st.text(alphabet="0123456789abcdefABCDEF", max_size=33),
)
TYPES = ["screen_shown", "search", "visit_ended", "feedback", "heartbeat", "item_viewed", "x"]
TIMES = ["2026-05-02T09:14:03+08:00", "2026-05-02T09:14:03", "9999-12-31T23:59:59+14:00", "x"]
EVENT = st.fixed_dictionaries(
    {
        "id": st.uuids().map(lambda u: u.hex),
        "kind": st.sampled_from(["usage", "feedback", "heartbeat", "daily_count"]),
        "type": st.one_of(st.sampled_from(TYPES), JSON),
        "subject": st.one_of(st.text(max_size=80), JSON),
        "at": st.one_of(st.sampled_from(TIMES), JSON),
        "data": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "results": JSON, "visit": JSON, "seconds": JSON, "rating": JSON, "category": JSON, "text": JSON,
                    "contact_given": JSON, "day": st.one_of(st.just("2026-05-01"), JSON), "count": JSON, "total": JSON,
                    "visits": JSON, "content_version": JSON, "uptime_s": JSON, "free_disk_bytes": JSON, "sync": JSON,
                },
            ),
            JSON,
        ),
    },
    optional={"contact": JSON},
)  # fmt: skip


@override_settings(INGEST_RATE_PER_MINUTE=10**6)
@hsettings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.one_of(
        JSON,
        st.fixed_dictionaries(
            {"device_id": HEX, "batch_id": JSON, "events": st.one_of(JSON, st.lists(EVENT, max_size=6))}
        ),
    )
)
def test_generated_bodies_never_cause_a_5xx(body: object) -> None:
    device_id, token = _cached_device()
    if isinstance(body, dict) and body.get("device_id") == "use-mine":
        body["device_id"] = device_id
    before = _counts()
    try:
        raw = json.dumps(body)
    except (ValueError, UnicodeEncodeError):
        return
    answer = _client().post(
        "/api/v1/ingest", raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert answer.status_code < 500, answer.content
    assert "error" in answer.json() or answer.status_code == 200
    if answer.status_code != 200:
        assert _counts() == before


@override_settings(INGEST_RATE_PER_MINUTE=10**6)
@hsettings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(events=st.lists(EVENT, min_size=1, max_size=8))
def test_generated_events_of_the_right_device_are_taken_or_rejected_never_5xx(events: list[dict]) -> None:
    device_id, token = _cached_device()
    body = {"device_id": device_id, "batch_id": uuid.uuid4().hex, "events": events}
    answer = _client().post(
        "/api/v1/ingest", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert answer.status_code in (200, 400), answer.content
    if answer.status_code == 200:
        result = answer.json()
        listed = set(result["accepted"]) | set(result["duplicate"]) | {r["id"] for r in result["rejected"]}
        assert listed == {e["id"] for e in events}


_DEVICE: dict[str, tuple[str, str]] = {}


def _cached_device() -> tuple[str, str]:
    """One kiosk for all examples of a test (the tables are emptied after each test, not each example)."""
    from kiosk_platform.fleet.models import Device

    found = _DEVICE.get("device")
    if found is None or not Device.objects.filter(device_id=found[0]).exists():
        found = _DEVICE["device"] = _device()
    return found
