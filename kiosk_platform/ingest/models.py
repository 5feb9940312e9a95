"""Every event id the platform has taken, and the row-level usage events (never published).

``ReceivedEvent`` is the idempotency key: ``INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING``
tells new ids from re-sent ones in the same transaction that writes their effects (aggregates,
heartbeats, feedback), so a batch whose answer was lost and that comes again counts nothing twice.
"""

from __future__ import annotations

from django.db import models

from kiosk_platform.fleet.models import Device


class ReceivedEvent(models.Model):
    event_id = models.CharField(max_length=32, primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=16)
    received_at = models.DateTimeField()


class UsageEvent(models.Model):
    """A usage event as sent (no personal data by the kiosk's contract); for audits and re-aggregation."""

    event_id = models.CharField(max_length=32, primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+", db_index=False)
    type = models.CharField(max_length=32)
    subject = models.CharField(max_length=200)
    at = models.DateTimeField()
    data = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["device", "at"])]


class RateWindow(models.Model):
    """Requests of one key (``device:<id>``, ``register:<ip>``) in one minute, shared by all workers.

    One ``INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count`` per request: the
    row lock it takes lasts one statement, every gunicorn worker (and every host) sees the same
    count, and nothing lives in a process's memory. A key keeps at most two rows (older windows are
    deleted when a new one starts).
    """

    key = models.CharField(max_length=80)
    window = models.DateTimeField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="rate_window_key")]
