"""The sync agent's decisions and its poll schedule, and cycles that go wrong without harming the content."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import (
    PollPolicy,
    PollSchedule,
    SyncPaths,
    choose,
    device_offset,
    run_cycle,
    run_forever,
)
from content_sync.sync.layout import Entry, describe_delta, describe_pack, read_entry
from content_sync.sync.publish import publish_pack

from .agent_harness import LANZHOU, fetcher, installed, make_channel, sync_state
from .faulty_proxy import Fault, FaultyProxy
from .test_fetch_faults import Waits
from .test_tuf_channel import serve

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def pack(version: int, *, pinned: bool = False, channel: str | None = "stable") -> Entry:
    return Entry(f"{LANZHOU}/packs/p-{version}.kpack", "pack", "p", version, channel=channel, pinned=pinned)


# --- which target -----------------------------------------------------------------------------


def test_the_newest_version_is_chosen_and_never_one_below_the_installed() -> None:
    offers = [pack(1), pack(3), pack(2)]
    assert choose(offers, None, "stable").entry == pack(3)
    assert choose(offers, 2, "stable").entry == pack(3)
    kept = choose(offers, 3, "stable")
    assert kept.entry is None and kept.outcome == "up-to-date"
    newer_here = choose(offers, 4, "stable")  # a USB stick brought version 4: the channel's 3 is not a downgrade
    assert newer_here.entry is None and newer_here.outcome == "up-to-date"


def test_a_pin_wins_over_newer_versions_but_never_takes_a_kiosk_back() -> None:
    offers = [pack(1), pack(2, pinned=True), pack(3)]
    assert choose(offers, 1, "stable").entry == pack(2, pinned=True)
    assert choose(offers, None, "stable").entry == pack(2, pinned=True)
    same = choose(offers, 2, "stable")
    assert same.entry is None and same.outcome == "up-to-date" and "pinned" in same.message
    below = choose(offers, 3, "stable")
    assert below.entry is None and below.outcome == "held"
    assert "pinned to content version 2, below the installed 3" in below.message


def test_deltas_and_other_pack_channels_are_not_chosen() -> None:
    delta = read_entry(f"{LANZHOU}/deltas/p-3-to-4.kdelta", describe_delta("p", 3, 4))
    assert delta is not None and delta.kind == "delta" and delta.from_version == 3 and delta.content_version == 4
    beta = pack(9, channel="beta")
    assert choose([pack(3), delta, beta], 3, "stable").entry is None
    only_beta = choose([beta], None, "stable")
    assert only_beta.entry is None and "pack channel stable" in only_beta.message
    assert choose([pack(3), delta, beta], 2, "stable").entry == pack(3)


def test_target_descriptions_round_trip_and_unknown_ones_are_skipped() -> None:
    entry = read_entry(f"{LANZHOU}/packs/p-4.kpack", {**describe_pack("p", 4, "stable"), "pinned": True})
    assert entry == Entry(f"{LANZHOU}/packs/p-4.kpack", "pack", "p", 4, channel="stable", pinned=True)
    assert read_entry("x", {"kind": "feed", "pack_id": "p"}) is None  # a kind from a newer publisher
    assert read_entry("x", {"kind": "pack", "pack_id": "p", "content_version": True}) is None
    assert read_entry("x", {"kind": "pack", "pack_id": "p", "content_version": "4"}) is None
    assert read_entry("x", {"kind": "delta", "pack_id": "p", "from_version": 4, "to_version": 4}) is None
    assert read_entry("x", {"version": "3"}) is None


# --- when ---------------------------------------------------------------------------------------


def test_each_device_has_a_fixed_slot_in_the_interval() -> None:
    policy = PollPolicy(interval=900.0)
    offsets = {device_offset(f"kiosk-{i}", 900.0) for i in range(500)}
    assert len(offsets) == 500 and all(0 <= o < 900 for o in offsets)
    assert max(offsets) - min(offsets) > 800  # a fleet spreads over the whole interval
    schedule = PollSchedule("kiosk-7", policy)
    now = datetime(2026, 5, 1, 10, 3, 7, tzinfo=UTC)
    due = schedule.next_check(now)
    assert now < due <= now + timedelta(seconds=900)
    since = (due - EPOCH).total_seconds()
    assert since % 900 == pytest.approx(schedule.offset, abs=1e-3)
    # Any moment before the slot gives the same slot; the slot itself gives the next one.
    assert schedule.next_check(due - timedelta(seconds=899)) == due
    assert schedule.next_check(due) == due + timedelta(seconds=900)
    assert PollSchedule("kiosk-7", policy).offset == schedule.offset  # the same across restarts


def test_failures_back_off_exponentially_with_jitter_and_a_retry_hint_is_a_floor() -> None:
    policy = PollPolicy(interval=900.0, backoff_base=60.0, backoff_max=3600.0, max_retry_after=7200.0)
    schedule = PollSchedule("kiosk-7", policy, rng=random.Random(11))
    now = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    for failures, full in ((1, 60), (2, 120), (3, 240), (6, 1920), (7, 3600), (40, 3600)):
        waits = [(schedule.next_check(now, failures=failures) - now).total_seconds() for _ in range(50)]
        assert all(full / 2 <= w <= full for w in waits), (failures, waits)
        assert len(set(waits)) > 40  # jitter: a fleet that failed together does not come back together
    assert (schedule.next_check(now, failures=1, retry_after=1000) - now).total_seconds() == 1000
    assert (schedule.next_check(now, retry_after=100000) - now).total_seconds() == 7200  # capped
    assert schedule.next_check(now, failures=0, retry_after=1) == schedule.next_check(now)


def test_run_forever_sleeps_by_the_schedule_and_records_the_next_check(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "kiosk")
    data.root.mkdir()
    with DeviceState(data.device_db) as device:
        device.set("device_id", "kiosk-7")
    now = [datetime(2026, 5, 1, 10, 0, tzinfo=UTC)]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += timedelta(seconds=seconds)

    seen: list[str] = []
    run_forever(
        data,
        clock=lambda: now[0],
        sleep=sleep,
        report=lambda r: seen.append(r.outcome),
        cycles=3,
        policy=PollPolicy(backoff_base=60.0),
        rng=random.Random(5),
        fetcher=fetcher(lambda: now[0]),
    )
    assert seen == ["failed"] * 3  # not set up: every cycle fails in plain words, and backs off
    assert 30 <= slept[0] <= 60 and 60 <= slept[1] <= 120 and len(slept) == 2
    state = sync_state(data)
    assert state["failures"] == 3
    assert state["next_check"] > state["last_check"]


# --- cycles that go wrong -------------------------------------------------------------------


def test_a_pack_the_kiosk_does_not_trust_is_refused_once_not_in_a_loop(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey, other_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    publish_pack(channel.repo, LANZHOU, make_pack(mini_source, version=1), [signing_key.public])
    with serve(channel.dir) as url:
        kiosk = channel.kiosk("kiosk", url, LANZHOU, other_key)  # trusts only another key
        result = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert result.outcome == "failed" and result.message.startswith("content version 1 was not installed: ")
        assert installed(kiosk)[0] is None
        assert not any(SyncPaths(kiosk).staging.iterdir())
        with DeviceState(kiosk.device_db) as device:
            log = device.install_log()
        assert log[0].ok is False and log[0].source == f"channel {LANZHOU}: packs/mini-test-1.kpack"
        assert sync_state(kiosk)["last_error"] == result.message

        # The same file is not fetched again to be refused again (no download loop)...
        again = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert again.outcome == "failed" and again.message == result.message
        assert again.bytes_moved < result.bytes_moved / 5
        # ...until an operator trusts the key the pack is signed with.
        with DeviceState(kiosk.device_db) as device:
            device.trust(signing_key.public)
        trusted = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        assert trusted.outcome == "installed" and installed(kiosk)[0] == 1


def test_an_unreachable_channel_changes_nothing_and_is_said_plainly(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    publish_pack(channel.repo, LANZHOU, make_pack(mini_source, version=1), [signing_key.public])
    with serve(channel.dir) as url:
        kiosk = channel.kiosk("kiosk", url, LANZHOU, signing_key)
        assert run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock)).outcome == "installed"
    trusted = {p.name: p.read_bytes() for p in SyncPaths(kiosk).metadata.glob("*.json")}
    waits = Waits()
    channel.clock.advance(minutes=10)
    down = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock, waits, max_failures=2))
    assert down.outcome == "failed" and down.message.startswith("channel unreachable"), down.message
    assert "\n" not in down.message and installed(kiosk)[0] == 1
    assert {p.name: p.read_bytes() for p in SyncPaths(kiosk).metadata.glob("*.json")} == trusted
    state = sync_state(kiosk)
    assert state["last_error"] == down.message and state["last_success"] < state["last_check"]
    assert state["installed_version"] == 1 and state["failures"] == 1


def test_a_servers_retry_after_is_remembered_for_the_next_cycle(tmp_path: Path, signing_key: SigningKey) -> None:
    channel = make_channel(tmp_path)
    with serve(channel.dir) as url:
        proxy = FaultyProxy(url)
        try:
            kiosk = channel.kiosk("kiosk", proxy.url, LANZHOU, signing_key)
            proxy.plan = [Fault("status", status=429, headers={"Retry-After": "3600"})]
            busy = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
        finally:
            proxy.close()
    assert busy.outcome == "failed" and busy.retry_after == 3600
    assert sync_state(kiosk)["retry_after"] == 3600
    due = PollSchedule("kiosk", PollPolicy()).next_check(channel.clock.now, failures=1, retry_after=busy.retry_after)
    assert due - channel.clock.now >= timedelta(hours=1)


def test_a_kiosk_with_a_1970_clock_still_updates_and_reports_its_clock(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    publish_pack(channel.repo, LANZHOU, make_pack(mini_source, version=1), [signing_key.public])
    with serve(channel.dir) as url:
        kiosk = channel.kiosk("kiosk", url, LANZHOU, signing_key)

        def no_rtc() -> datetime:
            return datetime(1970, 1, 1, 0, 5, tzinfo=UTC)

        result = run_cycle(kiosk, clock=no_rtc, fetcher=fetcher(channel.clock))
    assert result.outcome == "installed", result.message
    assert installed(kiosk)[0] == 1
    assert result.clock_problem and "1970-01-01" in result.clock_problem
    assert sync_state(kiosk)["clock_problem"] == result.clock_problem


def test_a_sync_folder_that_cannot_be_written_is_one_plain_failure(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    publish_pack(channel.repo, LANZHOU, make_pack(mini_source, version=1), [signing_key.public])
    with serve(channel.dir) as url:
        kiosk = channel.kiosk("kiosk", url, LANZHOU, signing_key)
        SyncPaths(kiosk).staging.write_bytes(b"")  # a file where the staging folder belongs
        result = run_cycle(kiosk, clock=channel.clock, fetcher=fetcher(channel.clock))
    assert result.outcome == "failed" and result.message.startswith("cannot write the kiosk's sync folder")
    assert str(SyncPaths(kiosk).staging) in result.message and "\n" not in result.message
    assert installed(kiosk)[0] is None and sync_state(kiosk)["last_error"] == result.message


def test_a_failed_cycle_keeps_the_last_word_on_the_clock(
    tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    with serve(channel.dir) as url:
        kiosk = channel.kiosk("kiosk", url, LANZHOU, signing_key)
        year_2099 = datetime(2099, 6, 1, tzinfo=UTC)
        seen = run_cycle(kiosk, clock=lambda: year_2099, fetcher=fetcher(channel.clock))
    assert seen.outcome == "up-to-date" and seen.clock_problem and "2099-06-01" in seen.clock_problem
    down = run_cycle(kiosk, clock=lambda: year_2099, fetcher=fetcher(channel.clock, max_failures=1))
    assert down.outcome == "failed"
    assert sync_state(kiosk)["clock_problem"] == seen.clock_problem  # not forgotten because the server was down
