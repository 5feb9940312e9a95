"""The live feeds' format check (publish and kiosk run the same one): clean feeds pass cleaned, the rest is
refused with one line naming the field."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from content_sync.sync.feed_format import FeedError, check_feed, dumps, feed_target_name

from . import feed_samples as samples

T = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
EXAMPLES = Path(__file__).resolve().parents[3] / "assets" / "demo-feeds"


def _check(kind: str, feed: Any) -> dict[str, Any]:
    return check_feed(kind, json.dumps(feed, ensure_ascii=False).encode())


def _refused(kind: str, feed: Any) -> str:
    with pytest.raises(FeedError) as caught:
        _check(kind, feed)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{kind} feed: ")
    return message


def test_a_good_feed_passes_and_its_text_is_made_plain() -> None:
    feed = samples.weather(T)
    feed["current"]["condition"] = {"en": "<b>Sunny</b>\u202e  ", "zh-Hans": "晴\u200b"}
    clean = _check("weather", feed)
    assert clean["current"]["condition"] == {"en": "Sunny", "zh-Hans": "晴"}
    assert [d["date"] for d in clean["forecast"]] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert check_feed("weather", dumps(clean)) == clean  # what is published passes the kiosk's check unchanged
    notices = [samples.notice("a", T, T + dt.timedelta(hours=1), body={"en": "Line one\r\nline two"})]
    assert _check("transport", samples.transport(T, notices))["notices"][0]["body"]["en"] == "Line one\nline two"


def test_the_example_feeds_in_the_demo_folder_pass() -> None:
    for kind in ("weather", "transport"):
        check_feed(kind, (EXAMPLES / f"{kind}.json").read_bytes())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f.pop("issued_at"), "issued_at: missing"),
        (lambda f: f.update(issued_at="2026-03-01T08:00:00"), "issued_at: not a date-time with a UTC offset"),
        (lambda f: f.update(valid_until=f["issued_at"]), "valid_until: not after issued_at"),
        (lambda f: f["current"].update(temp_c=True), "current.temp_c: not a number"),
        (lambda f: f["current"].update(temp_c=61), "current.temp_c: not a number from -90 to 60: 61"),
        (lambda f: f["current"].update(condition={}), "current.condition: empty"),
        (lambda f: f["current"].update(condition={"en": "  "}), "current.condition: a language with empty text"),
        (lambda f: f["current"].update(condition={"xx-!!": "Sun"}), "current.condition: not a language tag"),
        (lambda f: f["current"].update(condition="Sunny"), "current.condition: not multilingual text"),
        (lambda f: f["current"].update(icon="sun"), "current.icon: not a field of this format"),
        (lambda f: f["forecast"][0].update(low_c=20), "forecast[0].low_c: 20 is above high_c 10"),
        (lambda f: f["forecast"][1].update(date=f["forecast"][0]["date"]), "forecast[1].date: 2026-03-02 is listed"),
        (lambda f: f["forecast"][0].update(date="2026-02-30"), "forecast[0].date: not a date"),
        (lambda f: f.update(forecast=f["forecast"] * 4), "forecast: not a list of at most 10 days"),
        (lambda f: f.update(location={"en": "x" * 61}), "location: [en] text of 61 characters, more than 60"),
    ],
)  # fmt: skip
def test_a_bad_weather_feed_is_refused_naming_the_field(change: Any, expected: str) -> None:
    feed = samples.weather(T)
    change(feed)
    assert expected in _refused("weather", feed)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda n: n.update(id="Bad Id"), "notices[0].id: not an id"),
        (lambda n: n.update(severity="panic"), "notices[0].severity: not one of alert, warning, info: 'panic'"),
        (lambda n: n.update(mode="rocket"), "notices[0].mode: not one of air, rail, metro, bus, ferry"),
        (lambda n: n.update(valid_until=n["valid_from"]), "notices[0].valid_until: not after valid_from"),
        (lambda n: n.update(title={"en": "t" * 121}), "notices[0].title: [en] text of 121 characters, more than 120"),
        (lambda n: n.update(body={"en": "b" * 1001}), "notices[0].body: [en] text of 1001 characters"),
        (lambda n: n.update(updated_at="soon"), "notices[0].updated_at: not a date-time"),
        (lambda n: n.pop("title"), "notices[0].title: missing"),
    ],
)  # fmt: skip
def test_a_bad_transport_feed_is_refused_naming_the_field(change: Any, expected: str) -> None:
    notice = samples.notice("rail-1", T, T + dt.timedelta(hours=2))
    change(notice)
    assert expected in _refused("transport", samples.transport(T, [notice]))


def test_notice_ids_are_unique_and_the_list_is_bounded() -> None:
    one = samples.notice("same", T, T + dt.timedelta(hours=1))
    assert "notices[1].id: 'same' is used twice" in _refused("transport", samples.transport(T, [one, dict(one)]))
    many = [samples.notice(f"n{i}", T, T + dt.timedelta(hours=1)) for i in range(51)]
    assert "notices: not a list of at most 50 notices" in _refused("transport", samples.transport(T, many))
    assert "notices: not a list" in _refused("transport", samples.transport(T, {"a": 1}))  # type: ignore[arg-type]


def test_deeply_nested_json_and_unknown_kinds_are_one_line() -> None:
    with pytest.raises(FeedError, match="weather feed: "):
        check_feed("weather", b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(FeedError, match="feed kind 'tides' is not one of weather, transport"):
        check_feed("tides", b"{}")
    with pytest.raises(FeedError, match="feed kind"):
        feed_target_name("../../etc")
    assert feed_target_name("transport") == "feeds/transport.json"
