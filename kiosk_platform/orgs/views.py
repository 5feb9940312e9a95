"""The landing page after sign-in: what needs attention in the operator's organisation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .scope import membership, operator_required


@operator_required
def home(request: HttpRequest) -> HttpResponse:
    own = membership(request)
    return render(request, "home.html", {"organisation": own.organisation, "organisations": own.organisation.subtree()})


def healthz(request: HttpRequest) -> HttpResponse:
    """For nginx, the start scripts and monitoring: 200 when the database answers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")
