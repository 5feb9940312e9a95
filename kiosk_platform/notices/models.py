"""Emergency notices an editor sends to kiosk groups: shown full screen on their attract loop and above home.

A notice is published as the group's ``emergency`` live feed (docs/feeds.md, docs/platform-notices.md):
every publish rewrites the group's whole feed from the notices here that have not ended, so
"end now" is one more publish without it, and a kiosk that missed it still stops at ``ends_at``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from kiosk_platform.orgs.models import Organisation


class Notice(models.Model):
    class Severity(models.TextChoices):
        EMERGENCY = "emergency", "Emergency"
        WARNING = "warning", "Important"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="notices")
    groups = models.JSONField(default=list)  # channel groups ("county/kind") of devices in the subtree
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.EMERGENCY)
    title_zh = models.CharField(max_length=120)
    title_en = models.CharField(max_length=120)
    body_zh = models.TextField(max_length=1000)
    body_en = models.TextField(max_length=1000)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    ended_at = models.DateTimeField(null=True, blank=True)  # "end now": before ends_at
    published_version = models.IntegerField(
        null=True, blank=True
    )  # the channel's timestamp version after the last publish

    class Meta:
        ordering = ["-starts_at", "-pk"]

    def __str__(self) -> str:
        return self.title_en

    @property
    def feed_id(self) -> str:
        """The notice's id in the feed (a-z, 0-9, '-')."""
        return f"notice-{self.pk}"

    @property
    def ends(self) -> dt.datetime:
        """When it stops being shown: its end, or when it was ended early."""
        return min(self.ends_at, self.ended_at) if self.ended_at else self.ends_at

    def status(self, now: dt.datetime) -> str:
        """``active``, ``scheduled`` or ``ended`` at ``now``."""
        if now >= self.ends:
            return "ended"
        return "scheduled" if now < self.starts_at else "active"
