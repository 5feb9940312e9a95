"""Roll-outs on the real database and the real channel: a canary wave that succeeds moves on, a wave
in which 2 of 5 kiosks report an install failure halts by itself and the channel stops spreading
(the signed metadata read back from the channel's files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command

from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import takes_rollout
from kiosk_platform.publishing.models import Rollout, RolloutEvent
from kiosk_platform.publishing.rollout import (
    RolloutError,
    advance,
    halt,
    resume,
    roll_back,
    start_rollout,
    store_pack,
    wave_counts,
    wave_devices,
)

from .publishing_helpers import (
    GROUP,
    heartbeat,
    kiosks,
    make_tree,
    operator,
    signed_pack_custom,
    trust_pack_key,
    two_versions,
    wipe_publishing_dirs,
)


@pytest.fixture(autouse=True)
def fresh_channel() -> None:
    wipe_publishing_dirs()


@pytest.fixture
def packs(mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey) -> tuple[Path, Path]:
    trust_pack_key(signing_key)
    return two_versions(mini_source, make_pack)


def test_a_failing_wave_halts_by_itself_and_the_channel_stops_spreading(packs: tuple[Path, Path], clock) -> None:
    tree = make_tree()
    editor = operator("ed", tree.lanzhou, "editor")
    fleet = kiosks(tree.chengguan, 20)
    v1_file, v2_file = packs
    v1, v2 = store_pack(v1_file, tree.lanzhou, editor), store_pack(v2_file, tree.lanzhou, editor)
    assert (v2.pack_id, v2.content_version) == ("mini-test", 2)
    first = start_rollout(v1, tree.lanzhou, GROUP, canaries=[], percentages=[100], wave_wait_s=0, user=editor)
    for k in fleet:
        heartbeat(k, 1)
    assert advance(first) == "completed" and "rollout" not in signed_pack_custom(1)

    canaries = [fleet[0].device_id, fleet[1].device_id]
    rollout = start_rollout(
        v2, tree.lanzhou, GROUP, canaries=canaries, percentages=[40, 100], failure_threshold=20,
        min_devices=2, wave_wait_s=1800, user=editor,
    )  # fmt: skip
    signed = signed_pack_custom(2)["rollout"]
    assert signed == {"id": rollout.rollout_id, "devices": sorted(canaries), "percent": 0}
    assert [d.device_id for d in wave_devices(rollout)] == sorted(canaries)

    clock.advance(minutes=10)
    heartbeat(fleet[0], 2)
    assert advance(rollout).startswith("waiting: 1 of 2")  # one canary has not reported yet
    heartbeat(fleet[1], 2)
    assert advance(rollout).startswith("waiting")  # all good, but the wave lasts 30 minutes
    clock.advance(minutes=25)
    assert advance(rollout) == "advanced"
    rollout.refresh_from_db()
    assert rollout.current_wave == 1 and signed_pack_custom(2)["rollout"]["percent"] == 40

    wave = wave_devices(rollout)
    drawn = [d for d in wave if d.device_id not in canaries]
    assert len(drawn) >= 5, "the hash draws 5 of the 18 other ids at 40 % for rollout-2"
    outside = [d for d in fleet if d not in wave]
    clock.advance(minutes=10)
    for k in drawn[:3]:
        heartbeat(k, 2)
    for k in drawn[3:5]:
        heartbeat(k, 1, failed_install=2)  # 2 of 5 report the install failure
    counts = wave_counts(rollout)
    assert len(counts.failed) == 2 and counts.failure_rate > 20
    assert call_command("advance_rollouts") is None  # the timer's command does the judging
    rollout.refresh_from_db()
    assert rollout.state == Rollout.State.HALTED
    assert "2 of " in rollout.halted_reason and "could not take version 2" in rollout.halted_reason
    assert RolloutEvent.objects.filter(rollout=rollout, kind="halted").count() == 1

    # The channel is frozen at that wave: the kiosks outside it still do not take version 2.
    frozen = signed_pack_custom(2)["rollout"]
    assert frozen["percent"] == 40
    assert outside and not any(takes_rollout(frozen, d.device_id) for d in outside)
    clock.advance(hours=5)
    for k in fleet:
        heartbeat(k, 2 if k in drawn[:3] or k.device_id in canaries else 1)
    assert advance(rollout).startswith("nothing to do")  # halted: no further wave, whatever happens
    assert signed_pack_custom(2)["rollout"]["percent"] == 40

    assert roll_back(rollout, editor) == 1
    pin = signed_pack_custom(1)
    assert pin["pinned"] is True and pin["rollback"] is True
    rollout.refresh_from_db()
    assert rollout.state == Rollout.State.ROLLED_BACK


def test_a_pack_not_signed_by_a_trusted_key_is_refused_and_nothing_is_kept(
    mini_source: Path, make_pack: Callable[..., Path], signing_key: SigningKey, other_key: SigningKey, tmp_path: Path
) -> None:
    from django.conf import settings

    from kiosk_platform.publishing.models import Pack

    trust_pack_key(signing_key)
    tree = make_tree()
    stranger = make_pack(mini_source, version=3, keys=[other_key])
    with pytest.raises(RolloutError, match="refused"):
        store_pack(stranger, tree.lanzhou, None)
    garbage = tmp_path / "garbage.kpack"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(RolloutError, match="refused"):
        store_pack(garbage, tree.lanzhou, None)
    assert Pack.objects.count() == 0
    assert not list(Path(settings.UPLOAD_DIR).glob("*.kpack"))


def test_bad_waves_and_strange_canaries_are_refused(packs: tuple[Path, Path]) -> None:
    tree = make_tree()
    kiosks(tree.chengguan, 2)
    others = kiosks(tree.tianshui, 1, start=50)
    pack = store_pack(packs[0], tree.lanzhou, None)
    for waves in ([10, 50], [50, 10, 100], [0, 100], []):
        with pytest.raises(RolloutError, match="percentage"):
            start_rollout(pack, tree.lanzhou, GROUP, canaries=[], percentages=waves)
    with pytest.raises(RolloutError, match="not a kiosk of group"):  # another city's kiosk is no canary here
        start_rollout(pack, tree.lanzhou, GROUP, canaries=[others[0].device_id], percentages=[100])
    assert Rollout.objects.count() == 0


def test_halt_resume_and_pin_by_hand(packs: tuple[Path, Path], clock) -> None:
    tree = make_tree()
    editor = operator("ed", tree.lanzhou, "editor")
    fleet = kiosks(tree.chengguan, 4)
    first = start_rollout(store_pack(packs[0], tree.lanzhou, editor), tree.lanzhou, GROUP, canaries=[],
                          percentages=[100], wave_wait_s=0)  # fmt: skip
    for k in fleet:
        heartbeat(k, 1)
    assert advance(first) == "completed"
    rollout = start_rollout(store_pack(packs[1], tree.lanzhou, editor), tree.lanzhou, GROUP,
                            canaries=[fleet[0].device_id], percentages=[50, 100])  # fmt: skip
    halt(rollout, editor)
    with pytest.raises(RolloutError, match="only a running"):
        halt(rollout, editor)
    clock.advance(hours=2)
    resume(rollout, editor)
    rollout.refresh_from_db()
    assert rollout.state == Rollout.State.RUNNING and rollout.wave_started_at == clock.now
    clock.advance(minutes=5)
    heartbeat(fleet[0], 1, failed_install=2)
    clock.advance(minutes=5)
    heartbeat(fleet[0], 2)  # it tried again and took it: the newest heartbeat counts
    counts = wave_counts(rollout)
    assert counts.failed == [] and counts.succeeded == [str(fleet[0])]
    assert roll_back(rollout, editor, go_back=False) == 1
    pin = signed_pack_custom(1)
    assert pin["pinned"] is True and "rollback" not in pin  # a plain pin: kiosks on version 2 stay
    assert [e.kind for e in rollout.events.order_by("at", "pk")] == ["started", "halted", "resumed", "pinned"]
    with pytest.raises(RolloutError, match="already rolled back"):
        roll_back(rollout, editor)
