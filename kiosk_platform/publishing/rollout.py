"""Publishing and staged roll-outs: the platform's side of the channel (docs/platform-publishing.md).

Everything a kiosk sees goes through ``content_sync.sync.publish``: the pack is published with
its first wave signed in (``custom.rollout``), each new wave re-signs that field, a halt leaves
it where it is (no further spread), a rollback pins the group to the previous version with
``rollback``. Which kiosks a wave holds is computed here with the kiosk's own rule
(``content_sync.sync.agent.takes_rollout``) over the group's registered devices, and judged
from their heartbeats since the wave began.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from content_sync.core.errors import KioskError
from content_sync.pack.reader import verify_pack
from content_sync.sync.agent import takes_rollout
from content_sync.sync.publish import (
    PublishError,
    group_entries,
    pack_keys,
    pin_version,
    publish_pack,
    set_rollout,
)
from content_sync.sync.repository import ChannelError, ChannelRepository, create, open_repository
from kiosk_platform import clock
from kiosk_platform.fleet.models import Device, Heartbeat
from kiosk_platform.orgs.models import Organisation

from .models import Pack, Rollout, RolloutEvent


class RolloutError(Exception):
    """A publishing step was refused; the message is for the operator, nothing was changed."""


# --- the channel ---------------------------------------------------------------------------


def channel() -> ChannelRepository:
    """The platform's channel (``settings.CHANNEL_DIR``), made with its keys on first use."""
    repo_dir, key_dir = Path(settings.CHANNEL_DIR), Path(settings.CHANNEL_KEYS)
    try:
        if (repo_dir / "metadata").is_dir() and any((repo_dir / "metadata").iterdir()):
            return open_repository(repo_dir, key_dir, clock=clock.now)
        return create(repo_dir, key_dir, clock=clock.now, root_keys=1, root_threshold=1)
    except (ChannelError, KioskError) as exc:
        raise RolloutError(f"the channel cannot be opened: {exc}") from None


def _with_group(repo: ChannelRepository, group: str) -> ChannelRepository:
    try:
        if group not in repo.groups():
            repo.add_group(group)
    except (ChannelError, KioskError) as exc:
        raise RolloutError(f"group {group!r} cannot be used: {exc}") from None
    return repo


def trusted_keys() -> list[Any]:
    """The pack-signing keys packs must be signed with (``CHANNEL_KEYS/pack-keys/*.pub``, as the CLI keeps them)."""
    return pack_keys(Path(settings.CHANNEL_KEYS))


# --- packs ---------------------------------------------------------------------------------


def store_pack(upload: Path, organisation: Organisation, user: Any) -> Pack:
    """Verify an uploaded file and keep it; refused (RolloutError) when a trusted key did not sign it."""
    keys = trusted_keys()
    if not keys:
        raise RolloutError("no trusted pack key: an administrator must add one (kiosk-pack repo init --trust)")
    try:
        manifest, key = verify_pack(upload, keys)
    except KioskError as exc:
        raise RolloutError(f"the pack was refused: {exc}") from None
    except Exception:  # a file that is not a pack at all must read as such, never a 500
        raise RolloutError("the pack was refused: this file is not a readable .kpack") from None
    digest = hashlib.sha256()
    with open(upload, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    sha = digest.hexdigest()
    existing = Pack.objects.filter(
        organisation=organisation, pack_id=manifest.pack_id, content_version=manifest.content_version
    ).first()
    if existing is not None:
        if existing.digest == sha:
            return existing
        raise RolloutError(
            f"{manifest.pack_id} content version {manifest.content_version} was already uploaded with other"
            " bytes; build the pack with a higher content_version"
        )
    folder = Path(settings.UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{manifest.pack_id}-{manifest.content_version}-{uuid.uuid4().hex[:8]}.kpack"
    shutil.copyfile(upload, folder / name)
    return Pack.objects.create(
        organisation=organisation,
        pack_id=manifest.pack_id,
        content_version=manifest.content_version,
        digest=sha,
        file_name=name,
        size=(folder / name).stat().st_size,
        signed_by=key.key_id,
        uploaded_by=user,
        uploaded_at=clock.now(),
    )


def pack_file(pack: Pack) -> Path:
    return Path(settings.UPLOAD_DIR) / pack.file_name


# --- who is in a wave, and how they fare ----------------------------------------------------


def group_devices(rollout: Rollout) -> list[Device]:
    """The group's registered, unrevoked kiosks within the roll-out's organisation subtree."""
    return list(
        Device.objects.filter(
            group=rollout.group,
            organisation__path__startswith=rollout.organisation.path,
            revoked_at__isnull=True,
        ).order_by("device_id")
    )


def rollout_custom(rollout: Rollout, wave: int | None = None) -> dict[str, Any]:
    """``custom.rollout`` for wave ``wave`` (waves are cumulative: the canaries stay in)."""
    return {"id": rollout.rollout_id, "devices": list(rollout.canaries), "percent": rollout.wave_percent(wave)}


def wave_devices(rollout: Rollout, wave: int | None = None) -> list[Device]:
    """The kiosks that take the pack at wave ``wave``, by the kiosk's own rule."""
    custom = rollout_custom(rollout, wave)
    return [d for d in group_devices(rollout) if takes_rollout(custom, d.device_id)]


@dataclass
class WaveCounts:
    """How the kiosks of the current wave fare since it began."""

    devices: int = 0
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def reported(self) -> int:
        return len(self.succeeded) + len(self.failed)

    @property
    def pending(self) -> int:
        return self.devices - self.reported

    @property
    def failure_rate(self) -> float:
        return 100.0 * len(self.failed) / self.reported if self.reported else 0.0


def failure_of(data: dict[str, Any], version: int) -> str | None:
    """Why a heartbeat says the kiosk could not take ``version`` (content_sync.device.outbox), or None."""
    sync = data.get("sync") if isinstance(data.get("sync"), dict) else {}
    assert isinstance(sync, dict)
    failed = sync.get("failed_install")
    if isinstance(failed, dict) and failed.get("content_version") == version:
        return f"install failed: {str(failed.get('message') or '')[:200]}"
    if sync.get("fell_back_from") == version:
        return "the version failed to open and the kiosk went back (crash loop)"
    return None


def wave_counts(rollout: Rollout, wave: int | None = None) -> WaveCounts:
    """Each kiosk's newest heartbeat since the wave began: it runs the target (succeeded) or names it failed."""
    devices = wave_devices(rollout, wave)
    counts = WaveCounts(devices=len(devices))
    target = rollout.pack.content_version
    # Each kiosk's newest heartbeat only (PostgreSQL's DISTINCT ON, served by the (device, -at) index).
    beats = (
        Heartbeat.objects.filter(device__in=[d.pk for d in devices], at__gte=rollout.wave_started_at)
        .order_by("device_id", "-at", "-pk")
        .distinct("device_id")
    )
    latest: dict[int, tuple[bool, str | None]] = {}
    for beat in beats.only("device_id", "data"):
        data = beat.data if isinstance(beat.data, dict) else {}
        runs = data.get("content_version") == target
        latest[beat.device_id] = (runs, None if runs else failure_of(data, target))
    by_pk = {d.pk: d for d in devices}
    for pk, (runs, why) in latest.items():
        name = str(by_pk[pk])
        if why is not None:
            counts.failed.append(name)
            counts.reasons.append(f"{name}: {why}")
        elif runs:
            counts.succeeded.append(name)
    return counts


# --- changes ----------------------------------------------------------------------------------


def _event(rollout: Rollout, kind: str, message: str, by: Any = None) -> None:
    RolloutEvent.objects.create(rollout=rollout, at=clock.now(), kind=kind, message=message, by=by)


def start_rollout(
    pack: Pack,
    organisation: Organisation,
    group: str,
    *,
    canaries: list[str],
    percentages: list[int],
    failure_threshold: int = 20,
    min_devices: int = 1,
    wave_wait_s: int = 3600,
    user: Any = None,
) -> Rollout:
    """Publish ``pack`` to ``group`` with its first wave signed in, and record the roll-out."""
    if not percentages or percentages[-1] != 100 or any(b <= a for a, b in itertools.pairwise(percentages)):
        raise RolloutError("the waves' percentages must grow and end at 100 (for example 10, 50, 100)")
    if any(not 0 < p <= 100 for p in percentages):
        raise RolloutError("a wave's percentage is from 1 to 100")
    if not 0 <= failure_threshold <= 100:
        raise RolloutError("the failure threshold is a percentage from 0 to 100")
    known = {d.device_id for d in Device.objects.filter(group=group, organisation__path__startswith=organisation.path)}
    strangers = [c for c in canaries if c not in known]
    if strangers:
        raise RolloutError(f"canary {strangers[0]} is not a kiosk of group {group} in {organisation}")
    if Rollout.objects.filter(group=group, state__in=[Rollout.State.RUNNING, Rollout.State.HALTED]).exists():
        raise RolloutError(f"group {group} already has a roll-out in progress: complete or roll it back first")
    now = clock.now()
    with transaction.atomic():
        rollout = Rollout.objects.create(
            pack=pack,
            organisation=organisation,
            group=group,
            canaries=sorted(set(canaries)),
            percentages=percentages,
            failure_threshold=failure_threshold,
            min_devices=min_devices,
            wave_wait_s=wave_wait_s,
            started_by=user,
            started_at=now,
            wave_started_at=now,
        )
        repo = _with_group(channel(), group)
        try:
            result = publish_pack(repo, group, pack_file(pack), trusted_keys(), rollout=rollout_custom(rollout, 0))
            if result.already:  # published before (an earlier roll-out): stage it again
                set_rollout(repo, group, pack.content_version, rollout_custom(rollout, 0))
        except (PublishError, ChannelError, KioskError) as exc:
            raise RolloutError(str(exc)) from None
        _event(rollout, "started", f"published to {group}; wave 1: {rollout.wave_label(0)}", user)
    return rollout


def _sign_wave(rollout: Rollout) -> None:
    repo = channel()
    try:
        set_rollout(repo, rollout.group, rollout.pack.content_version, rollout_custom(rollout))
    except (PublishError, ChannelError, KioskError) as exc:
        raise RolloutError(str(exc)) from None


def advance(rollout: Rollout, now: dt.datetime | None = None) -> str:
    """Judge the current wave: halt on failures, move to the next wave, complete, or wait. Returns what it did."""
    if rollout.state != Rollout.State.RUNNING:
        return f"nothing to do: the roll-out is {rollout.get_state_display().lower()}"
    now = now or clock.now()
    counts = wave_counts(rollout)
    needed = min(rollout.min_devices, counts.devices)
    if counts.failed and counts.reported >= max(needed, 1) and counts.failure_rate > rollout.failure_threshold:
        rollout.state = Rollout.State.HALTED
        rollout.halted_reason = (
            f"{len(counts.failed)} of {counts.reported} kiosks that reported in wave {rollout.current_wave + 1}"
            f" ({rollout.wave_label()}) could not take version {rollout.pack.content_version}"
            f" ({counts.failure_rate:.0f} % > {rollout.failure_threshold} %): " + "; ".join(counts.reasons[:5])
        )
        rollout.save(update_fields=["state", "halted_reason"])
        _event(rollout, "halted", rollout.halted_reason)
        return "halted"
    waited = now >= rollout.wave_started_at + dt.timedelta(seconds=rollout.wave_wait_s)
    all_good = len(counts.succeeded) == counts.devices and counts.reported >= needed
    if not (waited and all_good):
        return f"waiting: {len(counts.succeeded)} of {counts.devices} kiosks run the new version"
    if rollout.is_last_wave:
        with transaction.atomic():
            rollout.state = Rollout.State.COMPLETED
            rollout.finished_at = now
            rollout.save(update_fields=["state", "finished_at"])
            try:
                set_rollout(channel(), rollout.group, rollout.pack.content_version, None)  # for every kiosk now
            except (PublishError, ChannelError, KioskError) as exc:
                raise RolloutError(str(exc)) from None
            _event(rollout, "completed", f"every kiosk of {rollout.group} runs version {rollout.pack.content_version}")
        return "completed"
    with transaction.atomic():
        rollout.current_wave += 1
        rollout.wave_started_at = now
        rollout.save(update_fields=["current_wave", "wave_started_at"])
        _sign_wave(rollout)
        _event(rollout, "advanced", f"wave {rollout.current_wave + 1}: {rollout.wave_label()}")
    return "advanced"


def advance_all(now: dt.datetime | None = None) -> dict[int, str]:
    """Every running roll-out judged once (the ``advance_rollouts`` timer)."""
    return {r.pk: advance(r, now) for r in Rollout.objects.filter(state=Rollout.State.RUNNING).select_related("pack")}


def halt(rollout: Rollout, user: Any, reason: str = "halted by an operator") -> None:
    """Stop the spread where it is: the signed wave stays, no next wave."""
    if rollout.state != Rollout.State.RUNNING:
        raise RolloutError("only a running roll-out can be halted")
    rollout.state = Rollout.State.HALTED
    rollout.halted_reason = reason
    rollout.save(update_fields=["state", "halted_reason"])
    _event(rollout, "halted", reason, user)


def resume(rollout: Rollout, user: Any) -> None:
    """Run a halted roll-out again; the current wave is judged afresh from now."""
    if rollout.state != Rollout.State.HALTED:
        raise RolloutError("only a halted roll-out can be resumed")
    rollout.state = Rollout.State.RUNNING
    rollout.wave_started_at = clock.now()
    rollout.halted_reason = ""
    rollout.save(update_fields=["state", "wave_started_at", "halted_reason"])
    _event(rollout, "resumed", f"wave {rollout.current_wave + 1} ({rollout.wave_label()}) is judged again", user)


def previous_version(rollout: Rollout) -> int | None:
    """The group's newest published pack version below the roll-out's (what a rollback returns to)."""
    try:
        entries = group_entries(channel(), rollout.group)
    except (PublishError, ChannelError, KioskError):
        return None
    versions = [
        g.entry.content_version
        for g in entries
        if g.entry is not None
        and g.entry.kind == "pack"
        and g.entry.pack_id == rollout.pack.pack_id
        and g.entry.content_version < rollout.pack.content_version
    ]
    return max(versions, default=None)


def roll_back(rollout: Rollout, user: Any, *, go_back: bool = True) -> int:
    """Pin the group to the previous version: ``go_back`` also moves kiosks that took the new one back.

    Without ``go_back`` (the "pin" button) the spread stops and new kiosks get the previous
    version, while kiosks already on the new one stay (a kiosk never goes back by itself).
    """
    if rollout.state == Rollout.State.ROLLED_BACK:
        raise RolloutError("this roll-out is already rolled back")
    version = previous_version(rollout)
    if version is None:
        raise RolloutError(f"group {rollout.group} has no earlier version of {rollout.pack.pack_id} to go back to")
    try:
        pin_version(channel(), rollout.group, version, rollback=go_back)
    except (PublishError, ChannelError, KioskError) as exc:
        raise RolloutError(str(exc)) from None
    rollout.state = Rollout.State.ROLLED_BACK
    rollout.finished_at = clock.now()
    rollout.save(update_fields=["state", "finished_at"])
    what = "rolled back (kiosks on the new version go back)" if go_back else "pinned (no kiosk goes back)"
    _event(rollout, "rolled_back" if go_back else "pinned", f"group {rollout.group} {what} to version {version}", user)
    return version
