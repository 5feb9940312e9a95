"""Emergency notices as a live feed: the strict format, publishing (with its refusals), and a kiosk fetching
it from a real nginx, keeping the last good one when a malformed one arrives, and dropping it when withdrawn."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from content_sync.sync.agent import run_feed_cycle
from content_sync.sync.feed_format import FeedError, check_feed, dumps
from content_sync.sync.feeds import publish_feed, publish_feed_bytes
from kiosk_app.feeds import current_emergencies

from . import feed_samples as samples
from .agent_harness import LANZHOU, TIANSHUI, make_channel, sync_state
from .nginx_server import NginxServer

T = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def notice(ident: str, start: dt.datetime, end: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "severity": "emergency",
        "title": {"zh-Hans": "暴雪预警：景区关闭", "en": "Blizzard warning: scenic area closed"},
        "body": {"zh-Hans": "请留在室内，听从工作人员指引。", "en": "Stay indoors and follow the staff's directions."},
        "starts_at": samples.iso(start),
        "ends_at": samples.iso(end),
        "issued_at": samples.iso(start),
        **extra,
    }


def emergency(issued: dt.datetime, notices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"kind": "emergency", "format": 1, "issued_at": samples.iso(issued), "notices": notices, **extra}


def _check(feed: Any) -> dict[str, Any]:
    return check_feed("emergency", json.dumps(feed, ensure_ascii=False).encode())


def _refused(feed: Any) -> str:
    with pytest.raises(FeedError) as caught:
        _check(feed)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("emergency feed: ")
    return message


def test_a_good_emergency_feed_passes_cleaned_and_an_empty_list_is_a_feed_too() -> None:
    item = notice("snow-1", T, T + HOUR, title={"zh-Hans": "<b>暴雪</b>", "en": "Snow\u202e", "ar": "ثلج"})
    clean = _check(emergency(T, [item]))
    assert clean["notices"][0]["title"] == {"zh-Hans": "暴雪", "en": "Snow", "ar": "ثلج"}
    assert check_feed("emergency", dumps(clean)) == clean
    assert _check(emergency(T, []))["notices"] == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda n: n.pop("ends_at"), "notices[0].ends_at: missing"),
        (lambda n: n.update(ends_at=n["starts_at"]), "notices[0].ends_at: not after starts_at"),
        (lambda n: n.update(ends_at=samples.iso(T + dt.timedelta(days=8))), "more than 7 days after starts_at"),
        (lambda n: n.update(severity="alert"), "notices[0].severity: not one of emergency, warning"),
        (lambda n: n.update(title={"en": "Snow"}), "notices[0].title: no zh-Hans text"),
        (lambda n: n.update(body={"zh-Hans": "雪"}), "notices[0].body: no en text"),
        (lambda n: n.update(body={"zh-Hans": "雪", "en": " "}), "notices[0].body: a language with empty text"),
        (lambda n: n.update(id="Snow!"), "notices[0].id: not an id"),
        (lambda n: n.update(mode="rail"), "notices[0].mode: not a field of this format"),
        (lambda n: n.pop("issued_at"), "notices[0].issued_at: missing"),
        (lambda n: n.update(starts_at="2026-03-01T08:00:00"), "notices[0].starts_at: not a date-time"),
    ],
)
def test_a_bad_notice_is_refused_naming_the_field(change: Any, expected: str) -> None:
    item = notice("snow-1", T, T + HOUR)
    change(item)
    assert expected in _refused(emergency(T, [item]))


def test_bad_feeds_are_refused() -> None:
    assert "id: 'a' is used twice" in _refused(emergency(T, [notice("a", T, T + HOUR), notice("a", T, T + HOUR)]))
    assert "notices: not a list of at most 10" in _refused(
        emergency(T, [notice(f"n{i}", T, T + HOUR) for i in range(11)])
    )
    assert "kind: 'transport'" in _refused({**emergency(T, []), "kind": "transport"})


def _publish(channel: Any, group: str, feed: dict[str, Any]) -> None:
    publish_feed_bytes(channel.repo, group, "emergency", json.dumps(feed).encode(), clock=channel.clock)


def test_publishing_refuses_an_ended_notice_and_an_older_feed_leaving_the_channel_as_it_was(tmp_path: Path) -> None:
    channel = make_channel(tmp_path)
    now = channel.clock()
    _publish(channel, LANZHOU, emergency(now, [notice("snow-1", now - HOUR, now + HOUR)]))
    before = sorted(p.name for p in (channel.dir / "metadata").iterdir())
    with pytest.raises(FeedError, match=r"notices\[0\].ends_at .* has passed"):
        _publish(channel, LANZHOU, emergency(now, [notice("old", now - 2 * HOUR, now)]))
    with pytest.raises(FeedError, match="older than the feed already published"):
        _publish(channel, LANZHOU, emergency(now - HOUR, []))
    assert sorted(p.name for p in (channel.dir / "metadata").iterdir()) == before
    source = samples.write(tmp_path / "e.json", emergency(now, []))  # the file route (kiosk-pack feed publish)
    assert publish_feed(channel.repo, TIANSHUI, "emergency", source, clock=channel.clock).kind == "emergency"


def test_a_kiosk_gets_the_notice_keeps_it_over_a_malformed_one_and_drops_it_when_withdrawn(
    tmp_path: Path, signing_key: Any
) -> None:
    channel = make_channel(tmp_path)
    now = channel.clock()
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        _publish(channel, LANZHOU, emergency(now, [notice("snow-1", now, now + 2 * HOUR)]))
        result = run_feed_cycle(kiosk, clock=channel.clock)
        assert {f.kind: f.outcome for f in result.feeds}["emergency"] == "updated", result.message
        stored = sync_state(kiosk)["feed.emergency"]
        assert [n.id for n in current_emergencies(stored, channel.clock())] == ["snow-1"]

        # A malformed feed signed by the county (a hand-made file that went around the check): refused.
        issued = now + dt.timedelta(minutes=2)
        bad = emergency(issued, [notice("snow-2", now, now + HOUR, title={"en": "English only"})])
        path = samples.write(tmp_path / "bad.json", bad)
        custom = {"kind": "feed", "feed": "emergency", "issued_at": samples.iso(issued)}
        channel.repo.add_target(LANZHOU, path, name="feeds/emergency.json", custom=custom)
        channel.clock.advance(minutes=5)
        result = run_feed_cycle(kiosk, clock=channel.clock)
        outcome = {f.kind: f for f in result.feeds}["emergency"]
        assert outcome.outcome == "failed" and "title: no zh-Hans text" in outcome.message
        assert sync_state(kiosk)["feed.emergency"] == stored  # the last good one is kept

        channel.clock.advance(minutes=5)
        _publish(channel, LANZHOU, emergency(channel.clock(), []))  # "end now": an empty list withdraws
        run_feed_cycle(kiosk, clock=channel.clock)
        assert current_emergencies(sync_state(kiosk)["feed.emergency"], channel.clock()) == []
