"""Pre-aggregated statistics: what the pages and the open data read (never the raw events).

Ingest adds to these in the same transaction that records an event id as received. Each row
carries the kiosk's organisation and group at ingest time, so a page scoped to an organisation's
subtree filters on an indexed column. ``day`` and ``hour`` are the kiosk's local day and hour.
"""

from __future__ import annotations

from django.db import models

from kiosk_platform.fleet.models import Device
from kiosk_platform.orgs.models import Organisation


class DailyCount(models.Model):
    """Events of (kiosk, day, type, subject): ``count`` events; ``total`` the sum of their
    ``seconds`` (visits) or ``results`` (searches). Daily counts a kiosk folded add in too."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=64)
    day = models.DateField()
    type = models.CharField(max_length=32)
    subject = models.CharField(max_length=200)
    count = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "day", "type", "subject"], name="daily_count_key"),
        ]
        indexes = [
            models.Index(fields=["organisation", "day", "type"]),
            # open data reads one type over all organisations (kiosk_platform/opendata)
            models.Index(fields=["type", "day"], name="daily_count_type_day"),
        ]


class HourlyCount(models.Model):
    """Busy hours: usage events and ended visits per (kiosk, day, local hour)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    hour = models.SmallIntegerField()
    events = models.BigIntegerField(default=0)
    visits = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "day", "hour"], name="hourly_count_key")]
        indexes = [models.Index(fields=["organisation", "day"])]


class SearchTermVisit(models.Model):
    """One visit's search for a normalised term (the visit token is random per visit).

    A term reaches a report only when the visits that searched it (rows here plus the ``visits`` of
    folded daily counts in ``SearchTermFolded``) reach ``settings.SEARCH_TERM_MIN_VISITS``.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    term = models.CharField(max_length=64)
    visit = models.CharField(max_length=64)
    results = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "day", "term", "visit"], name="search_visit_key")]
        indexes = [models.Index(fields=["organisation", "day"])]


class SearchTermFolded(models.Model):
    """Visits a kiosk counted for a term before folding its searches into a daily count."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    term = models.CharField(max_length=64)
    visits = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "day", "term"], name="search_folded_key")]
        indexes = [models.Index(fields=["organisation", "day"])]
