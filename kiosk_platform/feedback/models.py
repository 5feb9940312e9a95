"""Visitor feedback and complaints, and the queue operators work through.

A contact arrives only with the visitor's consent (the kiosk's contract) and is erased
``settings.CONTACT_RETENTION_DAYS`` after the complaint is closed (``contact_erase_after``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kiosk_platform.fleet.models import Device
from kiosk_platform.orgs.models import Organisation


class Feedback(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        ASSIGNED = "assigned", "Assigned"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    event_id = models.CharField(max_length=32, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="feedback")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="feedback")
    subject = models.CharField(max_length=200)  # "kiosk" or "venue:<id>"
    rating = models.SmallIntegerField(null=True, blank=True)  # 1 very unhappy … 5 very happy
    category = models.CharField(max_length=32, blank=True)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=20, blank=True)
    contact = models.CharField(max_length=200, null=True, blank=True)
    contact_erase_after = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField()  # when the visitor gave it (kiosk's clock)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["organisation", "status", "received_at"])]


class FeedbackNote(models.Model):
    """An operator's note on a feedback entry (who did what, never shown to the visitor)."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    text = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
