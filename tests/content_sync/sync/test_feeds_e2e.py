"""Live feeds end to end: published with ``publish_feed`` into a real channel, served by a real nginx
(the shipped rules), fetched by ``run_cycle`` (what ``kiosk-pack sync --once`` runs) and by the
agent's own ``run_feed_cycle``, kept in the kiosk's real device database, and shown (or hidden)
by the kiosk's reader ``kiosk_app.feeds`` on the injected clock."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import TargetFile

from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import run_cycle, run_feed_cycle
from content_sync.sync.feeds import publish_feed
from content_sync.sync.publish import publish_pack
from kiosk_app.feeds import current_notices, current_weather

from . import feed_samples as samples
from .agent_harness import LANZHOU, TIANSHUI, Channel, fetcher, installed, make_channel, sync_state
from .nginx_server import NginxServer
from .test_tuf_channel import Channel as TufChannel

SIX_HOURS = dt.timedelta(hours=6)


def _publish(channel: Channel, group: str, kind: str, feed: dict[str, Any], name: str) -> None:
    path = samples.write(channel.tmp / "feeds-src" / f"{name}.json", feed)
    publish_feed(channel.repo, group, kind, path, clock=channel.clock)


def _stored(kiosk: Any, kind: str) -> Any:
    return sync_state(kiosk).get(f"feed.{kind}")


def _status(kiosk: Any, kind: str) -> dict[str, Any]:
    value = sync_state(kiosk).get(f"feed.{kind}.status")
    assert isinstance(value, dict)
    return value


def _feed_requests(nginx: NginxServer) -> list[str]:
    return [r.uri for r in nginx.requests() if "/targets/" in r.uri and "/feeds/" in r.uri]


def test_a_feed_reaches_the_kiosk_with_content_and_on_its_own_and_a_newer_one_replaces_it(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    v1 = make_pack(mini_source, version=1)
    t0 = channel.clock()
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
        _publish(channel, LANZHOU, "weather", samples.weather(t0 - dt.timedelta(minutes=10)), "w1")
        start, end = t0 - dt.timedelta(hours=1), t0 + dt.timedelta(hours=3)
        notices = [samples.notice("rail-delay", start, end), samples.notice("later", end, end + dt.timedelta(hours=1))]
        _publish(channel, LANZHOU, "transport", samples.transport(t0, notices), "t1")

        # `kiosk-pack sync --once` and the agent's content cycle: the pack and the feeds together.
        first = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert first.outcome == "installed", first.message
        assert {f.kind: f.outcome for f in first.feeds} == {
            "weather": "updated",
            "transport": "updated",
            "emergency": "absent",
        }
        weather = _stored(kiosk, "weather")
        assert weather["data"]["current"]["temp_c"] == 7.4
        assert weather["issued_at"] == samples.iso(t0 - dt.timedelta(minutes=10))
        assert weather["fetched_at"] == samples.iso(t0)
        assert weather["target"] == f"{LANZHOU}/feeds/weather.json"
        shown = current_weather(weather, channel.clock(), SIX_HOURS)
        assert shown is not None and shown.condition["en"] == "Sunny"
        in_force = current_notices(_stored(kiosk, "transport"), channel.clock(), dt.timedelta(hours=12))
        assert [n.id for n in in_force] == ["rail-delay"]  # "later" is not valid yet
        assert len(_feed_requests(nginx)) == 2

        # The feed cycle: metadata only while the feeds are unchanged.
        channel.clock.advance(minutes=5)
        same = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert same.ok and [f.outcome for f in same.feeds] == ["unchanged", "unchanged", "absent"], same.message
        assert len(_feed_requests(nginx)) == 2
        assert 0 < same.bytes_moved < 10_000  # timestamp, snapshot and the group's role: a few kilobytes
        assert _status(kiosk, "weather")["checked_at"] == samples.iso(channel.clock())

        # A newer forecast replaces the stored one at the next feed cycle; the content stays.
        _publish(channel, LANZHOU, "weather", samples.weather(channel.clock(), temp=-2, condition="Snow"), "w2")
        newer = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert newer.ok and newer.feeds[0].outcome == "updated", newer.message
        assert _stored(kiosk, "weather")["data"]["current"]["temp_c"] == -2
        assert installed(kiosk)[0] == 1

        # The notice that starts later is shown once its time comes; a stale feed hides everything.
        channel.clock.now = end + dt.timedelta(minutes=1)
        assert [
            n.id for n in current_notices(_stored(kiosk, "transport"), channel.clock(), dt.timedelta(hours=12))
        ] == ["later"]
        assert current_weather(_stored(kiosk, "weather"), channel.clock(), SIX_HOURS) is not None  # 2 h 56 min old
        channel.clock.advance(hours=4)
        assert current_weather(_stored(kiosk, "weather"), channel.clock(), SIX_HOURS) is None  # 6 h 56 min: hidden
        assert current_weather(_stored(kiosk, "weather"), channel.clock(), dt.timedelta(hours=8)) is not None

        # Withdrawn by the channel: the kiosk drops it (a wrong forecast must be able to disappear).
        channel.repo.remove_target(LANZHOU, "feeds/transport.json")
        gone = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert {f.kind: f.outcome for f in gone.feeds}["transport"] == "absent"
        assert _stored(kiosk, "transport") is None


def test_forged_unsigned_and_other_group_feeds_are_refused_and_nothing_changes(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    v1 = make_pack(mini_source, version=1)
    t0 = channel.clock()
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
        _publish(channel, LANZHOU, "weather", samples.weather(t0), "good")
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
        good = _stored(kiosk, "weather")
        assert good["data"]["current"]["temp_c"] == 7.4

        # Another county's feed is not offered to this kiosk at all.
        _publish(channel, TIANSHUI, "weather", samples.weather(t0, temp=30, condition="Hot"), "tianshui")
        other = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert other.ok and other.feeds[0].outcome == "unchanged", other.message
        assert _stored(kiosk, "weather") == good

        # The blob swapped on the server (same length, other bytes): python-tuf's hash check refuses it.
        channel.clock.advance(minutes=5)
        _publish(channel, LANZHOU, "weather", samples.weather(channel.clock(), temp=-5.5), "next")
        blob = next(
            p for p in (channel.dir / "targets" / "lanzhou" / "station" / "feeds").iterdir() if "-5.5" in p.read_text()
        )
        blob.write_bytes(blob.read_bytes().replace(b"-5.5", b"45.5"))
        forged = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert not forged.ok and forged.feeds[0].outcome == "failed"
        assert "hash" in forged.feeds[0].message, forged.feeds[0].message
        assert _stored(kiosk, "weather") == good
        assert _status(kiosk, "weather")["error"] == forged.feeds[0].message
        assert installed(kiosk)[0] == 1

        # A blob longer than signed: the download stops at the signed length and is refused.
        channel.clock.advance(minutes=5)
        _publish(channel, LANZHOU, "weather", samples.weather(channel.clock(), temp=-6.5), "longer")
        feeds_dir = channel.dir / "targets" / "lanzhou" / "station" / "feeds"
        blob = next(p for p in feeds_dir.iterdir() if "-6.5" in p.read_text())
        blob.write_bytes(blob.read_bytes() + b" " * 50_000)
        longer = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert longer.feeds[0].outcome == "failed", longer.message
        assert "more bytes than signed" in longer.feeds[0].message, longer.message
        assert longer.bytes_moved < 20_000  # not the 50 kB added
        assert _stored(kiosk, "weather") == good

        # A feed target added to the group's role without the county's key: the metadata is refused.
        tuf = TufChannel(tmp_path, channel.repo, channel.clock, nginx.url)
        trusted_before = (kiosk.root / "sync" / "metadata" / "timestamp.json").read_bytes()

        def add_feed(signed: Any) -> None:
            path = f"{LANZHOU}/feeds/weather.json"
            signed.targets[path] = TargetFile.from_data(path, b'{"kind":"weather"}', ["sha256"])

        tuf.relist("lanzhou.station", tuf.forge("lanzhou.station", add_feed, CryptoSigner.generate_ed25519()))
        unsigned = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert not unsigned.ok and "not signed by enough trusted keys" in unsigned.message, unsigned.message
        assert _stored(kiosk, "weather") == good
        assert (kiosk.root / "sync" / "metadata" / "timestamp.json").read_bytes() == trusted_before
        assert "not signed" in _status(kiosk, "transport")["error"]

        # The county's own key listing a feed in another county's group: refused as outside its group.
        def foreign_feed(signed: Any) -> None:
            path = f"{TIANSHUI}/feeds/weather.json"
            signed.targets[path] = TargetFile.from_data(path, b'{"kind":"weather"}', ["sha256"])

        tuf.relist("lanzhou.station", tuf.forge("lanzhou.station", foreign_feed))
        foreign = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert foreign.outcome == "failed" and "outside the group" in foreign.message, foreign.message
        assert _stored(kiosk, "weather") == good and installed(kiosk)[0] == 1


def test_a_malformed_feed_signed_by_the_county_is_refused_by_the_kiosk_too(
    tmp_path: Path, signing_key: SigningKey
) -> None:
    """A publisher that skipped ``feed publish`` (or an older tool): the kiosk's own check refuses it."""
    channel = make_channel(tmp_path)
    t0 = channel.clock()
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        _publish(channel, LANZHOU, "weather", samples.weather(t0), "good")
        assert run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).ok
        bad = samples.weather(t0, temp=7)
        bad["current"]["condition"] = {"en": "<script>x</script>" + "Sunny" * 20}
        source = samples.write(tmp_path / "bad.json", bad)
        channel.repo.add_target(LANZHOU, source, name="feeds/weather.json", custom={"kind": "feed", "feed": "weather"})
        refused = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert refused.feeds[0].outcome == "failed"
        assert "current.condition: [en] text of 100 characters, more than 40" in refused.feeds[0].message
        assert _stored(kiosk, "weather")["data"]["current"]["temp_c"] == 7.4

        # A signed feed older than the one kept (a replay, bypassing feed publish): the newer stays.
        replay = samples.write(tmp_path / "replay.json", samples.weather(t0 - dt.timedelta(hours=1), temp=-20))
        channel.repo.add_target(LANZHOU, replay, name="feeds/weather.json", custom={"kind": "feed", "feed": "weather"})
        replayed = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert "older than the one kept" in replayed.feeds[0].message, replayed.feeds[0].message
        assert _stored(kiosk, "weather")["data"]["current"]["temp_c"] == 7.4

        # A signed feed larger than a feed may be is not even downloaded.
        huge = tmp_path / "huge.json"
        huge.write_bytes(b" " * (64 * 1024 + 1))
        channel.repo.add_target(LANZHOU, huge, name="feeds/weather.json", custom={"kind": "feed", "feed": "weather"})
        asked = len(_feed_requests(nginx))
        big = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert "65537 bytes signed, more than the 65536 a feed may have" in big.feeds[0].message
        assert len(_feed_requests(nginx)) == asked
        assert _stored(kiosk, "weather")["data"]["current"]["temp_c"] == 7.4

        # A feed issued a day ahead (a publisher's wrong clock) is kept but does not block the next one.
        ahead = samples.write(tmp_path / "ahead.json", samples.weather(t0 + dt.timedelta(days=1), temp=1))
        channel.repo.add_target(LANZHOU, ahead, name="feeds/weather.json", custom={"kind": "feed", "feed": "weather"})
        assert run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).ok
        assert current_weather(_stored(kiosk, "weather"), channel.clock(), SIX_HOURS) is None  # its age cannot be told
        _publish(channel, LANZHOU, "weather", samples.weather(t0 + dt.timedelta(minutes=1), temp=2), "fixed")
        assert run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).ok
        assert _stored(kiosk, "weather")["data"]["current"]["temp_c"] == 2


def test_a_stale_channel_keeps_the_stored_feeds_and_says_why(tmp_path: Path, signing_key: SigningKey) -> None:
    channel = make_channel(tmp_path)
    with NginxServer(channel.dir) as nginx:
        kiosk = channel.kiosk("kiosk-a", nginx.url, LANZHOU, signing_key)
        _publish(channel, LANZHOU, "weather", samples.weather(channel.clock()), "good")
        assert run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).ok
        channel.clock.advance(days=2)  # nobody re-signed the timestamp
        stale = run_feed_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert not stale.ok and "stale" in stale.feeds[0].message
        stored = _stored(kiosk, "weather")
        assert stored is not None
        assert current_weather(stored, channel.clock(), SIX_HOURS) is None  # two days old: hidden on screen
        assert json.loads(json.dumps(stored))["data"]["kind"] == "weather"
