"""``kiosk-pack feed publish``: a feed file checked, signed into a channel and fetched by ``sync --once``; every
refusal one plain line with the channel unchanged.

The CLI signs with the real clock (``now_utc``), so the feeds here are issued relative to it: the
tests hold under any date the suite runs at (faketime included), never at a fixed one.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from content_sync.device.layout import DataDir
from content_sync.sync.repository import open_repository

from ..sync import feed_samples as samples
from ..sync.nginx_server import NginxServer
from .test_cli_sync import GROUP, OTHER, one_line_error, run


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
def channel(tmp_path: Path) -> tuple[Path, Path]:
    repo, keys = tmp_path / "channel", tmp_path / "keys"
    made = run("repo", "init", repo, "--keys", keys, "--group", GROUP, "--group", OTHER)
    assert made.exit_code == 0, made.output
    return repo, keys


def _publish(channel: tuple[Path, Path], source: Path, kind: str = "weather", *more: object) -> Result:
    repo, keys = channel
    return run("feed", "publish", source, "--repo", repo, "--keys", keys, "--group", GROUP, "--kind", kind, *more)


def _snapshot(repo: Path) -> dict[str, bytes]:
    return {str(p.relative_to(repo)): p.read_bytes() for p in sorted(repo.rglob("*")) if p.is_file()}


def test_an_operator_publishes_feeds_and_a_kiosk_gets_them_with_sync_once(
    tmp_path: Path, channel: tuple[Path, Path]
) -> None:
    repo, keys = channel
    now = _now()
    weather = samples.write(tmp_path / "weather.json", samples.weather(now - dt.timedelta(minutes=3)))
    published = _publish(channel, weather, "weather", "--json")
    assert published.exit_code == 0, published.output
    out = json.loads(published.output)
    assert out["path"] == f"{GROUP}/feeds/weather.json" and out["kind"] == "weather"
    notices = [samples.notice("rail-works", now - dt.timedelta(hours=1), now + dt.timedelta(days=1))]
    transport = samples.write(tmp_path / "transport.json", samples.transport(now, notices))
    line = _publish(channel, transport, "transport")
    assert line.exit_code == 0 and line.output.startswith("transport feed issued "), line.output
    listed = open_repository(repo, keys, clock=_now).listing().groups[GROUP]
    assert {t.path for t in listed} == {f"{GROUP}/feeds/weather.json", f"{GROUP}/feeds/transport.json"}
    assert "feeds/weather.json  feed  " in run("repo", "list", repo).output

    data = DataDir(tmp_path / "kiosk")
    data.root.mkdir()
    with NginxServer(repo) as nginx:
        setup = run("sync-setup", "--data-dir", data.root, "--url", nginx.url, "--group", GROUP,
                    "--root", repo / "metadata" / "1.root.json")  # fmt: skip
        assert setup.exit_code == 0, setup.output
        synced = run("sync", "--data-dir", data.root, "--once")
        assert synced.exit_code == 0, synced.output
        assert "feeds: weather feed issued" in synced.output and "transport feed issued" in synced.output
        as_json = json.loads(run("sync", "--data-dir", data.root, "--once", "--json").output)
        assert [f["outcome"] for f in as_json["feeds"]] == ["unchanged", "unchanged", "absent"]
    status = run("sync-status", "--data-dir", data.root)
    assert status.exit_code == 0
    weather_line = next(line for line in status.output.splitlines() if line.startswith("feed weather"))
    assert "issued " + samples.iso(now - dt.timedelta(minutes=3)) in weather_line and "last error -" in weather_line


def _bad_weather(**changes: Any) -> dict[str, Any]:
    feed = samples.weather(_now() - dt.timedelta(minutes=1))
    feed.update(changes)
    return feed


@pytest.mark.parametrize(
    ("make", "kind", "expected"),
    [
        (lambda p: p / "missing.json", "weather", "does not exist"),
        (lambda p: p, "weather", "is a folder, not a feed file"),
        (lambda p: _raw(p, b"\xff\xfe not utf-8"), "weather", "weather feed: not UTF-8 text"),
        (lambda p: _raw(p, b'{"kind": "weather", '), "weather", "weather feed: not valid JSON"),
        (lambda p: _raw(p, b"[1, 2]"), "weather", "weather feed: not a JSON object"),
        (lambda p: _raw(p, b'{"temp": NaN}'), "weather", "JSON with NaN, which is not a number"),
        (lambda p: _raw(p, b" " * (64 * 1024 + 1)), "weather", "more than the 65536 a feed may have"),
        (lambda p: _feed(p, _bad_weather()), "transport", "kind: 'weather', but the feed is published as 'transport'"),
        (lambda p: _feed(p, _bad_weather(format=2)), "weather", "format: 2 is not a format this tool reads"),
        (lambda p: _feed(p, _bad_weather(wind=3)), "weather", "wind: not a field of this format"),
        (lambda p: _feed(p, _bad_weather(issued_at="yesterday")), "weather", "issued_at: not a date-time"),
        (lambda p: _feed(p, _bad_weather(current={"temp_c": "7", "condition": {"en": "Sun"}})), "weather",
         "current.temp_c: not a number from -90 to 60: '7'"),
        (lambda p: _feed(p, _bad_weather(current={"temp_c": 7})), "weather", "current.condition: missing"),
        (lambda p: _feed(p, _bad_weather(issued_at=samples.iso(_now() + dt.timedelta(hours=2)))), "weather",
         "is in the future"),
        (lambda p: _feed(p, _bad_weather(issued_at=samples.iso(_now() - dt.timedelta(days=2)),
                                         valid_until=samples.iso(_now() - dt.timedelta(days=1)))), "weather",
         "has passed"),
        (lambda p: _feed(p, samples.transport(_now(), [{"id": "x"}])), "transport", "notices[0].severity: missing"),
    ],
)  # fmt: skip
def test_feed_publish_refuses_with_one_line_and_the_channel_unchanged(
    tmp_path: Path, channel: tuple[Path, Path], make: Any, kind: str, expected: str
) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    before = _snapshot(channel[0])
    line = one_line_error(_publish(channel, make(folder), kind))
    assert expected in line, line
    assert _snapshot(channel[0]) == before


def _raw(folder: Path, data: bytes) -> Path:
    path = folder / "feed.json"
    path.write_bytes(data)
    return path


def _feed(folder: Path, feed: dict[str, Any]) -> Path:
    return samples.write(folder / "feed.json", feed)


def test_feed_publish_refuses_an_unknown_group_a_missing_key_folder_and_an_unknown_kind(
    tmp_path: Path, channel: tuple[Path, Path]
) -> None:
    repo, keys = channel
    source = samples.write(tmp_path / "w.json", samples.weather(_now()))
    unknown = run(
        "feed", "publish", source, "--repo", repo, "--keys", keys, "--group", "nowhere/x", "--kind", "weather"
    )
    assert "group nowhere/x is not in this channel" in one_line_error(unknown)
    no_keys = run("feed", "publish", source, "--repo", repo, "--keys", tmp_path / "nokeys", "--group", GROUP,
                  "--kind", "weather")  # fmt: skip
    assert "cannot sign" in one_line_error(no_keys)
    bad_kind = run("feed", "publish", source, "--repo", repo, "--keys", keys, "--group", GROUP, "--kind", "tides")
    assert bad_kind.exit_code == 2 and "'tides' is not one of 'weather', 'transport'" in bad_kind.output
    assert "Traceback" not in bad_kind.output


def test_feed_publish_refuses_a_feed_older_than_the_one_published(tmp_path: Path, channel: tuple[Path, Path]) -> None:
    now = _now()
    newer = samples.write(tmp_path / "newer.json", samples.weather(now - dt.timedelta(minutes=1)))
    older = samples.write(tmp_path / "older.json", samples.weather(now - dt.timedelta(minutes=30)))
    assert _publish(channel, newer).exit_code == 0
    before = _snapshot(channel[0])
    line = one_line_error(_publish(channel, older))
    assert "is older than the feed already published" in line, line
    assert _snapshot(channel[0]) == before
    assert _publish(channel, newer).exit_code == 0  # the same issue again is fine (a correction)
