"""The live feeds on the kiosk's screens: the status strip's weather and the transport page's notices, on an
injected clock (fresh, with their age, hidden past their limit), in the visitor's language with fallback,
and never a traceback on any stored value; the agent's own feed cycle against a real nginx; the
operator's channel card with each feed's age and last error.

PNGs of the strip and the transport page are written with KIOSK_FEED_SHOTS=folder, to look at.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import run_cycle
from content_sync.sync.feeds import publish_feed
from content_sync.sync.publish import publish_pack
from kiosk_app.strings import Translator
from kiosk_app.widgets.status import StatusStrip

from ..content_sync.sync import feed_samples as samples
from ..content_sync.sync.agent_harness import LANZHOU, make_channel
from ..content_sync.sync.agent_harness import fetcher as harness_fetcher
from ..content_sync.sync.nginx_server import NginxServer
from .support import DEMO_NOW
from .test_sync_agent import child, open_operator, use_channel_clock

ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(*DEMO_NOW, tzinfo=ZONE)
SHOTS = Path(os.environ["KIOSK_FEED_SHOTS"]) if os.environ.get("KIOSK_FEED_SHOTS") else None


def stored(feed: dict[str, Any]) -> dict[str, Any]:
    """A feed as the sync agent keeps it in ``sync_state`` (content_sync.sync.feeds)."""
    return {"kind": feed["kind"], "data": feed, "issued_at": feed["issued_at"], "fetched_at": feed["issued_at"]}


def shot(widget: QWidget, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        QApplication.sendPostedEvents()  # the layout a text change asked for, as the screen will show it
        QApplication.processEvents()
        widget.grab().save(str(SHOTS / f"{name}.png"))


# -- the status strip ---------------------------------------------------------------------------


def strip(
    qtbot: Any, record: Any, now: dt.datetime = NOW, max_age: dt.timedelta = dt.timedelta(hours=6)
) -> StatusStrip:
    widget = StatusStrip(lambda: now, lambda: record, max_age=max_age)
    qtbot.addWidget(widget)
    widget.resize(1200, 60)
    return widget


def test_the_strip_shows_fresh_weather_with_its_age_and_hides_it_past_the_limit(qtbot: Any) -> None:
    en, zh = Translator("en"), Translator("zh-Hans", ("en",))
    fresh = stored(samples.weather(NOW - dt.timedelta(minutes=20), temp=7.4))
    widget = strip(qtbot, fresh)
    widget.update_texts(en, 3)
    assert widget.forecast.text() == "7°C Sunny · updated 20 min ago"
    widget.update_texts(zh, 3)
    assert widget.forecast.text() == "7°C 晴 · 20 分钟前更新"
    shot(widget, "status-strip-zh-Hans")
    widget.update_texts(en, 3)
    shot(widget, "status-strip-en")

    older = strip(qtbot, stored(samples.weather(NOW - dt.timedelta(hours=5, minutes=59))))
    older.update_texts(en, 3)
    assert older.forecast.text().endswith("updated 5 h ago")
    hidden = strip(qtbot, stored(samples.weather(NOW - dt.timedelta(hours=6, minutes=1))))
    hidden.update_texts(en, 3)
    assert hidden.forecast.text() == en("status.weather_none")
    longer = strip(qtbot, hidden.weather(), max_age=dt.timedelta(hours=12))  # kiosk.toml feeds.weather_max_age_hours
    longer.update_texts(en, 3)
    assert longer.forecast.text().endswith("updated 6 h ago")
    expired = samples.weather(NOW - dt.timedelta(hours=1), valid_until=samples.iso(NOW - dt.timedelta(minutes=1)))
    gone = strip(qtbot, stored(expired))
    gone.update_texts(en, 3)
    assert gone.forecast.text() == en("status.weather_none")
    ahead = strip(qtbot, stored(samples.weather(NOW + dt.timedelta(minutes=3))))  # publisher's clock a bit ahead
    ahead.update_texts(en, 3)
    assert ahead.forecast.text().endswith("updated 0 min ago")


def test_the_strip_falls_back_to_another_language_for_the_condition(qtbot: Any) -> None:
    feed = samples.weather(NOW - dt.timedelta(minutes=5))
    feed["current"]["condition"] = {"zh-Hans": "小雪"}
    widget = strip(qtbot, stored(feed))
    widget.update_texts(Translator("ru", ("en", "zh-Hans")), 1)
    assert "小雪" in widget.forecast.text() and "5" in widget.forecast.text()


def _hostile_weather() -> list[Any]:
    good = samples.weather(NOW - dt.timedelta(minutes=5))
    values: list[Any] = [None, 3, "weather", [], {}, {"data": None}, {"data": []}, {"data": {"kind": "transport"}}]
    for change in (
        lambda f: f.update(issued_at=None),
        lambda f: f.update(issued_at="2026-11-21T10:00:00"),  # no offset
        lambda f: f.update(issued_at="0001-01-01T00:00:00+00:00"),
        lambda f: f.update(issued_at="9999-12-31T23:59:59+14:00"),
        lambda f: f.update(issued_at="x" * 10_000),
        lambda f: f.update(valid_until=12),
        lambda f: f.update(current=None),
        lambda f: f["current"].update(temp_c="7"),
        lambda f: f["current"].update(temp_c=float("nan")),
        lambda f: f["current"].update(temp_c=1e308),
        lambda f: f["current"].update(temp_c=True),
        lambda f: f["current"].update(condition={"en": 5}),
        lambda f: f["current"].update(condition=["Sunny"]),
        lambda f: f["current"].update(condition={"en": ""}),
    ):
        feed = dict(good, current=dict(good["current"]))
        change(feed)
        values.append(stored(feed))
    return values


@pytest.mark.parametrize("record", _hostile_weather())
def test_any_stored_weather_value_reads_as_no_weather_never_a_traceback(qtbot: Any, record: Any) -> None:
    widget = strip(qtbot, record)
    widget.update_texts(Translator("en"), 1)
    assert widget.forecast.text() == Translator("en")("status.weather_none")


def test_a_broken_reader_is_no_weather(qtbot: Any) -> None:
    def broken() -> Any:
        raise OSError("database is locked")

    widget = StatusStrip(lambda: NOW, broken)
    qtbot.addWidget(widget)
    widget.update_texts(Translator("en"), 1)
    assert widget.forecast.text() == "No weather data yet"


# -- the transport page -------------------------------------------------------------------------


def _notices() -> list[dict[str, Any]]:
    hour = dt.timedelta(hours=1)
    return [
        samples.notice("bus-info", NOW - 5 * hour, NOW + 48 * hour, severity="info", mode="bus"),
        samples.notice(
            "rail-delay", NOW - hour, NOW + 2 * hour, updated_at=samples.iso(NOW - dt.timedelta(minutes=20))
        ),
        samples.notice(
            "air-fog",
            NOW - 2 * hour,
            NOW + hour,
            severity="alert",
            mode="air",
            title={"en": "Fog at the airport", "zh-Hans": "机场大雾"},
        ),
        samples.notice("ended", NOW - 5 * hour, NOW - hour),
        samples.notice("tomorrow", NOW + 20 * hour, NOW + 30 * hour),
    ]


def open_transport(kiosk: Any, record: Any, now: dt.datetime = NOW, lang: str = "en") -> QWidget:
    """The transport page rendered with ``record`` as the stored feed, at ``now``, and painted."""
    from PySide6.QtTest import QTest

    kiosk.ctx.clock = lambda: now
    kiosk.ctx.feed = lambda kind: record if kind == "transport" else None
    kiosk.ctx.session.set_language(lang)
    kiosk.nav.go("home")
    kiosk.nav.go("transport")
    page = kiosk.nav.currentWidget()
    assert page.name == "transport"
    QTest.qWait(50)  # the first paint finishes a page whose rendering waited for it
    return page


def card_of(page: QWidget, ident: str) -> QWidget:
    """The notice's card on the page as rendered now (a card of an earlier render may await deletion)."""
    found = [w for w in page.findChildren(QWidget, f"transport-notice-{ident}") if w.isVisibleTo(page)]
    assert len(found) == 1, ident
    return found[0]


def visible(page: QWidget, name: str) -> list[QWidget]:
    return [w for w in page.findChildren(QWidget, name) if w.isVisibleTo(page)]


def shown(page: QWidget) -> list[str]:
    cards = [w for w in page.findChildren(QWidget) if w.objectName().startswith("transport-notice-")]
    cards = [w for w in cards if w.property("severity") is not None and w.isVisibleTo(page)]
    cards.sort(key=lambda w: w.mapTo(page, w.rect().topLeft()).y())
    return [w.objectName().removeprefix("transport-notice-") for w in cards]


def test_the_transport_page_shows_notices_in_force_by_severity_with_their_age(make_kiosk: Any) -> None:
    kiosk = make_kiosk()
    record = stored(samples.transport(NOW - dt.timedelta(minutes=40), _notices()))
    page = open_transport(kiosk, record)
    assert shown(page) == ["air-fog", "rail-delay", "bus-info"]  # alert, warning, info; ended and tomorrow hidden
    card = card_of(page, "rail-delay")
    assert child(card, QLabel, "transport-notice-kind").text() == "Warning · Rail"
    assert child(card, QLabel, "transport-notice-title").text() == "Notice rail-delay"
    assert child(card, QLabel, "transport-notice-age").text() == "until 12:30 · updated 20 min ago"
    bus = card_of(page, "bus-info")
    assert child(bus, QLabel, "transport-notice-age").text() == "until 2026-11-23 10:30 · updated 40 min ago"
    assert visible(page, "transport-notices")[0].text() == "Service notices"  # type: ignore[attr-defined]
    assert visible(page, f"transport-{kiosk.ctx.store.transport()[0]['id']}")  # the pack's stations follow
    shot(kiosk.shell, "transport-notices-en")

    page = open_transport(kiosk, record, lang="zh-Hans")
    card = card_of(page, "air-fog")
    assert child(card, QLabel, "transport-notice-kind").text() == "警报 · 航班"
    assert child(card, QLabel, "transport-notice-title").text() == "机场大雾"
    assert child(card, QLabel, "transport-notice-age").text() == "有效至 11:30 · 40 分钟前更新"
    shot(kiosk.shell, "transport-notices-zh-Hans")

    later = NOW + dt.timedelta(hours=21)  # the feed is 21 h old: past the 12 h default, every notice hidden
    page = open_transport(kiosk, record, now=later)
    assert shown(page) == [] and not visible(page, "transport-notices")
    assert visible(page, f"transport-{kiosk.ctx.store.transport()[0]['id']}")  # the stations and lines stay


def _hostile_transport() -> list[Any]:
    base = samples.transport(NOW - dt.timedelta(minutes=10), _notices()[:1])
    values: list[Any] = [None, "x", {"data": {"kind": "transport", "issued_at": "now"}}]
    for bad in (
        None, 5, "notice", [], {"id": 3}, {"id": "a", "severity": "panic"},
        dict(_notices()[1], valid_from="tomorrow"), dict(_notices()[1], valid_until=None),
        dict(_notices()[1], title={"en": None}), dict(_notices()[1], body=["text"]),
        dict(_notices()[1], updated_at=12), dict(_notices()[1], valid_from="2026-11-21T08:00:00"),
    ):  # fmt: skip
        values.append(stored(dict(base, notices=[*base["notices"], bad])))
    values.append(stored(dict(base, notices="all")))
    return values


@pytest.mark.parametrize("record", _hostile_transport())
def test_any_stored_transport_value_never_breaks_the_page(make_kiosk: Any, record: Any) -> None:
    kiosk = make_kiosk()
    page = open_transport(kiosk, record)
    assert set(shown(page)) <= {"bus-info", "rail-delay"}  # a bad notice is left out on its own
    assert visible(page, f"transport-{kiosk.ctx.store.transport()[0]['id']}")


# -- the agent's feed cycle and the operator's card --------------------------------------------------


def test_the_agent_fetches_feeds_on_their_own_interval_and_the_strip_follows(
    make_kiosk: Any, qtbot: Any, tmp_path: Path, mini_source: Path, make_pack: Any, signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    with NginxServer(channel.dir) as server:
        data = channel.kiosk("kiosk-f", server.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, make_pack(mini_source, version=1), [signing_key.public])
        assert run_cycle(data, clock=channel.clock, fetcher=harness_fetcher(channel.clock)).outcome == "installed"
        kiosk = make_kiosk(data=data)
        use_channel_clock(kiosk, channel, [])
        kiosk.ctx.clock = channel.clock  # the screens and the agent on one injected clock
        kiosk.ctx.session.set_language("en")
        kiosk.nav.go("home")
        forecast = kiosk.shell.status.forecast
        assert forecast.text() == "No weather data yet"

        source = samples.write(tmp_path / "w.json", samples.weather(channel.clock() - dt.timedelta(minutes=10)))
        publish_feed(channel.repo, LANZHOU, "weather", source, clock=channel.clock)
        kiosk.sync.start(delay_s=600)  # the content cycle far off: only the feed cycle runs here
        qtbot.waitUntil(lambda: kiosk.sync.provisioning is not None, timeout=10_000)
        assert kiosk.sync.feed_due == channel.clock() + dt.timedelta(minutes=5)  # sync.feed_interval_minutes
        with qtbot.waitSignal(kiosk.sync.feeds_updated, timeout=30_000) as got:
            assert kiosk.sync.refresh_feeds()
            assert not kiosk.sync.refresh_feeds()  # one at a time
        assert got.args[0].ok, got.args[0].message
        assert threading.get_ident() not in kiosk.sync.worker_threads
        assert forecast.text() == "7°C Sunny · updated 10 min ago"  # the strip follows at once

        channel.clock.advance(minutes=30)
        newer = samples.weather(channel.clock() - dt.timedelta(minutes=2), temp=-3, condition="Snow")
        publish_feed(channel.repo, LANZHOU, "weather", samples.write(tmp_path / "w2.json", newer), clock=channel.clock)
        with qtbot.waitSignal(kiosk.sync.feeds_updated, timeout=30_000):
            assert kiosk.sync.refresh_feeds()
        assert forecast.text() == "-3°C Snow · updated 2 min ago"
        assert kiosk.sync.last is None  # no content cycle ran

        # Notices: the transport page shown before the feed came shows them when it is next shown.
        kiosk.nav.go("transport")
        assert not visible(kiosk.nav.currentWidget(), "transport-notices")
        kiosk.nav.go("home")
        start = channel.clock() - dt.timedelta(hours=1)
        notices = [samples.notice("rail-delay", start, start + dt.timedelta(hours=4))]
        transport = samples.write(tmp_path / "t.json", samples.transport(channel.clock(), notices))
        publish_feed(channel.repo, LANZHOU, "transport", transport, clock=channel.clock)
        with qtbot.waitSignal(kiosk.sync.feeds_updated, timeout=30_000):
            assert kiosk.sync.refresh_feeds()
        kiosk.nav.go("transport")
        qtbot.wait(50)
        assert shown(kiosk.nav.currentWidget()) == ["rail-delay"]

        # The operator reads each feed's age and last error; the server gone, the error shows.
        page = open_operator(kiosk, qtbot)
        assert child(page, QLabel, "operator-feed-weather").text().startswith("updated 2 min ago (fetched ")
        assert child(page, QLabel, "operator-feed-transport").text().startswith("updated 0 min ago (fetched ")
        assert child(page, QLabel, "operator-sync-last-error").text() == "No errors"
    channel.clock.advance(minutes=5)
    with qtbot.waitSignal(kiosk.sync.feeds_updated, timeout=60_000) as down:
        assert kiosk.sync.refresh_feeds()
    assert not down.args[0].ok
    assert forecast.text() == "-3°C Snow · updated 7 min ago"  # the stored feed stays on screen
    page.render()
    qtbot.waitUntil(lambda: "Last error: channel unreachable" in child(page, QLabel, "operator-feed-weather").text(),
                    timeout=10_000)  # fmt: skip
    label = child(page, QLabel, "operator-feed-weather")
    assert label.property("role") == "closed"
    channel.clock.advance(hours=7)  # the weather is now older than feeds.weather_max_age_hours: the operator is told
    page.render()
    hidden = "Hidden from visitors: older than 6 h"
    qtbot.waitUntil(lambda: hidden in child(page, QLabel, "operator-feed-weather").text(), timeout=10_000)
    kiosk.shell.refresh_status()  # the strip's 20-second timer, at once
    assert forecast.text() == "No weather data yet"
    label = child(page, QLabel, "operator-feed-weather")
    shoot_channel_card(kiosk, qtbot, label, "en")
    kiosk.ctx.session.set_language("zh-Hans")
    page = kiosk.nav.currentWidget()
    qtbot.waitUntil(lambda: "上次错误" in child(page, QLabel, "operator-feed-weather").text(), timeout=10_000)
    assert "\n上次错误：" in child(page, QLabel, "operator-feed-transport").text()
    assert child(page, QLabel, "operator-sync-last-error").text() == "没有错误"
    assert "已对游客隐藏：超过 6 小时" in child(page, QLabel, "operator-feed-weather").text()
    shoot_channel_card(kiosk, qtbot, child(page, QLabel, "operator-feed-weather"), "zh-Hans")
    kiosk.sync.stop()


def shoot_channel_card(kiosk: Any, qtbot: Any, label: QLabel, lang: str) -> None:
    from kiosk_app.widgets.common import Card

    card: Any = label
    while not isinstance(card, Card):
        card = card.parentWidget()
    shot(card, f"operator-feeds-{lang}")
