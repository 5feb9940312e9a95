"""The landing page after sign-in: what needs attention in the operator's organisation."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kiosk_platform.feedback.models import Feedback
from kiosk_platform.fleet.models import Device
from kiosk_platform.fleet.status import Status, status_now

from .scope import membership, operator_required, scoped


@operator_required
def home(request: HttpRequest) -> HttpResponse:
    """Per organisation of the subtree: kiosks late or offline, and new feedback waiting."""
    own = membership(request)
    organisations = list(own.organisation.subtree())
    late: Counter[int] = Counter()
    offline: Counter[int] = Counter()
    kiosks: Counter[int] = Counter()
    for org_id, beat in scoped(request, Device.objects.filter(revoked_at__isnull=True)).values_list(
        "organisation_id", "last_heartbeat_at"
    ):
        kiosks[org_id] += 1
        status = status_now(beat)
        if status is Status.LATE:
            late[org_id] += 1
        elif status in (Status.OFFLINE, Status.NEVER):
            offline[org_id] += 1
    new_feedback = Counter(
        scoped(request, Feedback.objects.filter(status=Feedback.Status.NEW)).values_list("organisation_id", flat=True)
    )
    rows: list[dict[str, Any]] = [
        {
            "organisation": org,
            "indent": org.depth - own.organisation.depth,
            "kiosks": kiosks[org.pk],
            "late": late[org.pk],
            "offline": offline[org.pk],
            "new_feedback": new_feedback[org.pk],
        }
        for org in organisations
    ]
    totals = {
        "kiosks": sum(kiosks.values()),
        "late": sum(late.values()),
        "offline": sum(offline.values()),
        "new_feedback": sum(new_feedback.values()),
    }
    return render(
        request,
        "home.html",
        {"nav": "home", "organisation": own.organisation, "rows": rows, "totals": totals},
    )


def healthz(request: HttpRequest) -> HttpResponse:
    """For nginx, the start scripts and monitoring: 200 when the database answers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")
