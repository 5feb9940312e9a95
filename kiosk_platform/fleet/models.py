"""Kiosks (devices), the one-time codes that register them, their tokens and their heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kiosk_platform.orgs.models import Organisation


class Device(models.Model):
    """One kiosk. ``device_id`` is the id the kiosk made for itself (32 hex digits, device.db).

    Only a SHA-256 of its bearer token is stored; a revoked token (``revoked_at``) is refused with
    403 on every request. The fields after ``last_heartbeat_at`` repeat the newest heartbeat so the
    fleet page reads one row per kiosk.
    """

    device_id = models.CharField(max_length=32, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="devices")
    group = models.CharField(max_length=64, db_index=True)  # the channel group, county/kind
    name = models.CharField(max_length=120)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    registered_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)  # any authenticated request
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)  # the newest heartbeat's own time
    content_version = models.IntegerField(null=True, blank=True)
    software_version = models.CharField(max_length=40, blank=True)
    sync_outcome = models.CharField(max_length=60, blank=True)
    last_error = models.TextField(blank=True)
    free_disk_bytes = models.BigIntegerField(null=True, blank=True)
    memory_rss_bytes = models.BigIntegerField(null=True, blank=True)
    uptime_s = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["group", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.device_id[:8]})"


class ProvisioningCode(models.Model):
    """A one-time code an operator makes for a kiosk to come: exchanged once for the kiosk's token."""

    code_hash = models.CharField(max_length=64, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="provisioning_codes")
    group = models.CharField(max_length=64)
    name = models.CharField(max_length=120)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    used_at = models.DateTimeField(null=True, blank=True)
    device = models.OneToOneField(Device, null=True, blank=True, on_delete=models.SET_NULL)


class Heartbeat(models.Model):
    """One heartbeat as the kiosk sent it (its event id keeps it once)."""

    event_id = models.CharField(max_length=32, unique=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="heartbeats")
    at = models.DateTimeField()
    received_at = models.DateTimeField()
    data = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["device", "-at"])]
        ordering = ["-at"]
