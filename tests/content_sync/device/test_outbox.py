"""The outbox on real SQLite files, sent to a real local HTTP server standing in for the platform."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from content_sync.core.retry import parse_retry_after
from content_sync.device.outbox import (
    DEVICE_ID_SETTING,
    GROUP_SETTING,
    Feedback,
    Outbox,
    OutboxError,
    Sender,
    SendPolicy,
    heartbeat_data,
    normalise_term,
)
from content_sync.device.state import DeviceState

from ...platform_double import Platform

SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[3]


class FakeClock:
    """The kiosk's local time, moved by the test."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 5, 1, 9, 0, tzinfo=SH)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outbox(tmp_path: Path, clock: FakeClock) -> Iterator[Outbox]:
    with Outbox(tmp_path / "device.db", clock) as box:
        yield box


@pytest.fixture
def platform() -> Iterator[Platform]:
    server = Platform()
    yield server
    server.close()


def sender_for(outbox: Outbox, platform: Platform, **policy: Any) -> Sender:
    import random

    return Sender(
        outbox, platform.url, "device-token", policy=SendPolicy(timeout=(2.0, 5.0), **policy), rng=random.Random(7)
    )


# -- recording ---------------------------------------------------------------------------------------
def test_events_get_unique_ids_and_say_what_happened(outbox: Outbox, clock: FakeClock) -> None:
    ids = {outbox.usage("screen_shown", "home") for _ in range(50)}
    assert len(ids) == 50
    outbox.usage("search", "  ＩＲＯＮ   Bridge ", results=3, visit="v1")
    outbox.usage("item_viewed", "venue:zhongshan-iron-bridge")
    search = outbox.pending("usage")[50]
    assert search["subject"] == "iron bridge" and search["data"] == {"results": 3, "visit": "v1"}
    assert search["at"] == "2026-05-01T09:00:00+08:00"
    assert outbox.waiting() == 52
    with pytest.raises(OutboxError, match="not a usage event"):
        outbox.usage("visitor_photographed")
    assert normalise_term("Ｃａｆé\u3000 ") == "café"


def test_contact_is_kept_only_with_consent(outbox: Outbox) -> None:
    outbox.feedback(Feedback("venue:a", rating=2, category="prices", text="too dear", contact="138 0000 0000"))
    outbox.feedback(Feedback("kiosk", category="safety", contact="me@example.org", consent=True))
    without, with_consent = outbox.pending("feedback")
    assert "contact" not in without and without["data"]["contact_given"] is False
    assert with_consent["contact"] == "me@example.org"
    with pytest.raises(OutboxError, match="a rating is 1 to 5"):
        outbox.feedback(Feedback("kiosk", rating=6))
    with pytest.raises(OutboxError, match="empty feedback"):
        outbox.feedback(Feedback("kiosk", text="   "))
    with pytest.raises(OutboxError, match="not a feedback category"):
        outbox.feedback(Feedback("kiosk", category="the weather"))


CHILD = """
import datetime as dt, os, signal, sys
from zoneinfo import ZoneInfo
from content_sync.device.outbox import Feedback, Outbox
box = Outbox(sys.argv[1], lambda: dt.datetime(2026, 5, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai")))
for i in range(20):
    print(box.usage("screen_shown", f"s{i}"), flush=True)
said = Feedback("kiosk", rating=1, category="cleanliness", text="Bin full", consent=True, contact="x@y.z")
event = box.feedback(said)
print(event, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # right after record() returned: no close, no checkpoint
"""


def test_a_recorded_event_survives_a_kill_right_after_record_returns(tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    printed = done.stdout.split()
    assert len(printed) == 21
    with Outbox(path, FakeClock()) as box:
        kept = [event["id"] for event in box.pending()]
        assert kept == printed
        assert box.pending("feedback")[0]["contact"] == "x@y.z"


# -- the budget and folding ---------------------------------------------------------------------------
def test_old_usage_folds_into_daily_counts_within_the_budget(tmp_path: Path, clock: FakeClock) -> None:
    with Outbox(tmp_path / "device.db", clock, budget_bytes=20_000) as box:
        for day in range(30):  # a month offline
            for i in range(40):
                box.usage("item_viewed", f"venue:v{i % 4}")
                box.usage("visit_ended", seconds=60)
                clock.advance(minutes=10)
            box.usage("search", "Museum", results=2, visit=f"visit-{day}")
            box.heartbeat({"uptime_s": day})
            clock.advance(hours=24 - 40 / 6)
        assert box.stored_bytes() <= 20_000
        counts = box.daily_counts()
        assert counts and counts[0]["day"] == "2026-05-01"
        views = sum(c["count"] for c in counts if c["type"] == "item_viewed")
        views += sum(1 for e in box.pending("usage") if e["type"] == "item_viewed")
        assert views == 30 * 40  # folded, never lost
        seconds = sum(c["total"] for c in counts if c["type"] == "visit_ended")
        seconds += sum(e["data"]["seconds"] for e in box.pending("usage") if e["type"] == "visit_ended")
        assert seconds == 30 * 40 * 60
        searched = [c for c in counts if c["type"] == "search"]
        assert {c["subject"] for c in searched} == {"museum"} and all(c["visits"] == 1 for c in searched)
        # the newest events are kept as they are
        assert box.pending("usage")[-1]["type"] == "search"


def test_years_offline_keep_daily_counts_bounded_without_losing_a_count(tmp_path: Path, clock: FakeClock) -> None:
    with Outbox(tmp_path / "device.db", clock, budget_bytes=1, max_count_rows=50) as box:
        for _day in range(20):
            for i in range(10):
                box.usage("item_viewed", f"venue:v{i}")  # each folds at once (budget of one byte)
            clock.advance(days=1)
        counts = box.daily_counts()
        assert len(counts) <= 50
        assert sum(c["count"] for c in counts) == 200
        assert {c["subject"] for c in counts if c["day"] == "2026-05-01"} == {""}  # the oldest: how many, not which
        assert len({c["subject"] for c in counts if c["day"] == "2026-05-20"}) == 10  # the newest: by place


def test_feedback_is_never_folded_or_dropped(tmp_path: Path, clock: FakeClock) -> None:
    with Outbox(tmp_path / "device.db", clock, budget_bytes=4_000) as box:
        left = []
        for i in range(300):
            box.usage("screen_shown", "home")
            if i % 10 == 0:
                left.append(box.feedback(Feedback("kiosk", rating=1 + i % 5, text=f"note {i}")))
            clock.advance(minutes=7)
        assert box.stored_bytes() <= 4_000
        assert [e["id"] for e in box.pending("feedback")] == left


# -- sending ----------------------------------------------------------------------------------------
def test_a_lost_answer_sends_the_same_ids_again_and_nothing_is_counted_twice(
    outbox: Outbox, platform: Platform, clock: FakeClock
) -> None:
    recorded = [outbox.usage("screen_shown", f"s{i}") for i in range(25)]
    recorded.append(outbox.feedback(Feedback("venue:a", category="service", contact="c@d.e", consent=True)))
    sender = sender_for(outbox, platform, max_events=10)
    platform.lose_answers = 1
    first = sender.send_due()
    assert first[-1].outcome == "failed" and "could not be reached" in first[-1].message
    assert outbox.waiting() == 26  # nothing deleted without an answer
    assert sender.send_due()[0].outcome == "waiting"  # backing off
    clock.advance(seconds=sender.policy.backoff_base)
    results = sender.send_due()
    assert [r.outcome for r in results] == ["sent", "sent", "sent", "empty"]
    assert outbox.waiting() == 0
    assert set(platform.events) == set(recorded)
    resent = platform.requests[1]["body"]["events"]
    assert [e["id"] for e in resent] == [e["id"] for e in platform.requests[0]["body"]["events"]]
    assert platform.requests[0]["auth"] == "Bearer device-token"
    assert platform.requests[0]["body"]["device_id"] == outbox.device_id
    assert platform.events[recorded[-1]]["contact"] == "c@d.e"


def test_a_delivered_contact_leaves_the_kiosks_disk(tmp_path: Path, outbox: Outbox, platform: Platform) -> None:
    contact = "visitor-contact-13800138000@example.org"
    outbox.feedback(Feedback("kiosk", category="other", text="please call", contact=contact, consent=True))
    assert sender_for(outbox, platform).send_once().outcome == "sent"
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("device.db*"))
    assert contact.encode() not in on_disk
    assert platform.events[next(iter(platform.events))]["contact"] == contact


def test_daily_counts_go_up_sealed_so_a_resend_never_changes_a_count_under_its_id(
    tmp_path: Path, platform: Platform, clock: FakeClock
) -> None:
    with Outbox(tmp_path / "device.db", clock, budget_bytes=1) as box:
        for _ in range(5):
            box.usage("item_viewed", "venue:a")  # each folds at once
        sender = sender_for(box, platform)
        platform.lose_answers = 1
        assert sender.send_once().outcome == "failed"
        for _ in range(3):
            box.usage("item_viewed", "venue:a")  # folded into a new, unsealed row of the same day
        clock.advance(hours=2)
        assert [r.outcome for r in sender.send_due()] == ["sent", "empty"]
        assert box.waiting() == 0
    totals = [e["data"]["count"] for e in platform.events.values() if e["kind"] == "daily_count"]
    assert sorted(totals) == [3, 5]


def test_backoff_honours_retry_after_and_rejected_events_are_kept_not_resent(
    outbox: Outbox, platform: Platform, clock: FakeClock
) -> None:
    kept = outbox.feedback(Feedback("venue:gone", rating=4))
    outbox.usage("screen_shown", "home")
    sender = sender_for(outbox, platform)
    platform.refuse = [(503, {"Retry-After": "900"})]
    result = sender.send_once()
    assert result.outcome == "failed" and result.retry_in is not None and result.retry_in >= 900
    clock.advance(seconds=899)
    assert sender.send_due()[0].outcome == "waiting"
    clock.advance(seconds=2)
    platform.reject_ids = {kept}
    assert sender.send_due()[0].outcome == "sent"
    assert outbox.waiting() == 1  # the refused feedback stays, marked, and is not sent again
    assert sender.send_once().outcome == "empty"
    now = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    assert parse_retry_after("Fri, 01 May 2026 00:02:00 GMT", now) == 120
    assert parse_retry_after("soon", now) is None


def test_unreachable_platform_backs_off_exponentially_with_jitter(outbox: Outbox, clock: FakeClock) -> None:
    import random

    outbox.usage("screen_shown", "home")
    sender = Sender(outbox, "http://127.0.0.1:9/api/v1/ingest", "t", rng=random.Random(1))
    waits = []
    for _ in range(10):
        result = sender.send_once()
        assert result.outcome == "failed" and result.retry_in is not None
        waits.append(result.retry_in)
    base, cap = sender.policy.backoff_base, sender.policy.backoff_max
    for n, wait in enumerate(waits, start=1):
        delay = min(cap, base * 2 ** (n - 1))
        assert delay / 2 <= wait <= delay
    assert outbox.waiting() == 1


def test_heartbeat_says_what_the_platform_needs(tmp_path: Path, outbox: Outbox) -> None:
    outbox.state.set(GROUP_SETTING, "lanzhou-station")
    outbox.state.set_sync("last_outcome", "up-to-date")
    data = heartbeat_data(
        outbox.state, tmp_path, software_version="1.2.3", content_version=7, uptime_s=3600.4, last_error="boom"
    )
    assert data["device_id"] == outbox.device_id and data["group"] == "lanzhou-station"
    assert data["sync"] == {"last_outcome": "up-to-date"}
    assert data["uptime_s"] == 3600 and data["free_disk_bytes"] > 0 and data["memory_rss_bytes"] > 0
    outbox.heartbeat(data)
    assert outbox.pending("heartbeat")[0]["data"]["content_version"] == 7


def test_the_device_id_is_the_sync_agents(tmp_path: Path, clock: FakeClock) -> None:
    from content_sync.sync import agent

    assert (DEVICE_ID_SETTING, GROUP_SETTING) == (agent.DEVICE_ID_SETTING, agent.GROUP_SETTING)
    with DeviceState(tmp_path / "device.db") as state:
        state.set(DEVICE_ID_SETTING, "kiosk-42")
    with Outbox(tmp_path / "device.db", clock) as box:
        assert box.device_id == "kiosk-42"


def test_a_batch_too_large_for_the_platform_goes_again_in_halves(
    outbox: Outbox, platform: Platform, clock: FakeClock
) -> None:
    ids = [outbox.usage("screen_shown", f"s{i}") for i in range(8)]
    sender = sender_for(outbox, platform, max_events=8)
    platform.refuse = [(413, {}), (413, {})]
    assert [r.outcome for r in sender.send_due()] == ["failed"]
    assert sender.send_due()[0].outcome == "failed" and sender.max_events == 2
    assert [r.outcome for r in sender.send_due()] == ["sent"] * 4 + ["empty"]
    assert set(platform.events) == set(ids) and [len(r["body"]["events"]) for r in platform.requests[2:]] == [2] * 4


def test_the_documented_batch_and_answer_are_what_the_kiosk_sends_and_reads(outbox: Outbox) -> None:
    import re

    from content_sync.device.outbox import FEEDBACK_CATEGORIES, KINDS, USAGE_TYPES, Batch

    doc = (ROOT / "docs" / "outbox.md").read_text(encoding="utf-8")
    body, answer = (json.loads(block) for block in re.findall(r"```json\n(.*?)```", doc, re.S))
    assert set(body) == set(Batch("b", []).body("d"))
    for event in body["events"]:
        assert set(event) - {"contact"} == {"id", "kind", "type", "at", "subject", "data"}
        assert event["kind"] in (*KINDS, "daily_count")
        if event["kind"] == "usage":
            assert event["type"] in USAGE_TYPES
        if event["kind"] == "feedback":
            assert event["data"]["category"] in FEEDBACK_CATEGORIES
    outbox.usage("screen_shown", "home")
    assert set(outbox.pending()[0]) == {"id", "kind", "type", "at", "subject", "data"}
    assert set(answer) == {"accepted", "duplicate", "rejected"} and set(answer["rejected"][0]) == {"id", "reason"}
