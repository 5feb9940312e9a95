"""Packs uploaded to the platform and their staged roll-outs to a channel group (docs/platform-publishing.md).

A pack is kept as its signed file under ``settings.UPLOAD_DIR`` and described by what its own
signed manifest says (pack id, content version) and by its SHA-256. A roll-out offers one pack
to one group in waves: the canary devices first, then growing percentages of the group's
kiosks (the same hash rule the kiosk applies, ``content_sync.sync.agent.takes_rollout``).
Every change of a roll-out is also a :class:`RolloutEvent`, the page's log.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from kiosk_platform.orgs.models import Organisation


class Pack(models.Model):
    """One uploaded .kpack, verified against the channel's trusted pack keys before it was kept."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="packs")
    pack_id = models.CharField(max_length=100)
    content_version = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)  # SHA-256 of the file
    file_name = models.CharField(max_length=200)  # inside settings.UPLOAD_DIR
    size = models.BigIntegerField()
    signed_by = models.CharField(max_length=100)  # the pack key's id
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "pack_id", "content_version"], name="one_pack_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.pack_id} v{self.content_version}"


class Rollout(models.Model):
    """A pack offered to a group wave by wave; it halts by itself when too many kiosks fail."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        HALTED = "halted", "Halted"
        COMPLETED = "completed", "Completed"
        ROLLED_BACK = "rolled_back", "Rolled back"

    pack = models.ForeignKey(Pack, on_delete=models.PROTECT, related_name="rollouts")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="rollouts")
    group = models.CharField(max_length=64)
    canaries = models.JSONField(default=list)  # device ids of the first wave (may be empty)
    percentages = models.JSONField(default=list)  # the waves after the canaries, growing, ending at 100
    current_wave = models.PositiveIntegerField(default=0)  # index into :attr:`waves`
    state = models.CharField(max_length=12, choices=State.choices, default=State.RUNNING)
    failure_threshold = models.PositiveIntegerField(default=20)  # percent of reporting kiosks
    min_devices = models.PositiveIntegerField(default=1)  # reports needed before a wave is judged
    wave_wait_s = models.PositiveIntegerField(default=3600)  # a wave lasts at least this long
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField()
    wave_started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    halted_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.pack} to {self.group}"

    @property
    def rollout_id(self) -> str:
        """The id kiosks hash with their device id (``custom.rollout.id``)."""
        return f"rollout-{self.pk}"

    @property
    def waves(self) -> list[Any]:
        """``[canary ids, 10, 50, 100]``: the canary wave only when there are canaries."""
        return ([list(self.canaries)] if self.canaries else []) + [int(p) for p in self.percentages]

    def wave_percent(self, index: int | None = None) -> int:
        """The percentage reached at wave ``index`` (the canary wave: 0)."""
        waves = self.waves
        index = self.current_wave if index is None else index
        return max([0, *(w for w in waves[: index + 1] if isinstance(w, int))])

    def wave_label(self, index: int | None = None) -> str:
        index = self.current_wave if index is None else index
        wave = self.waves[index]
        return f"canaries ({len(wave)})" if isinstance(wave, list) else f"{wave} %"

    @property
    def is_last_wave(self) -> bool:
        return self.current_wave >= len(self.waves) - 1


class RolloutEvent(models.Model):
    """What happened to a roll-out, when and by whom (the roll-out page's log)."""

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20)  # started, advanced, halted, resumed, completed, rolled_back, pinned
    message = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-at", "-pk"]
