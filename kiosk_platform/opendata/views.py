"""Open data, version 1: public daily counts by place, kiosk or language (JSON or CSV).

Public (no sign-in) and cacheable. Only aggregates of the pre-aggregated daily table leave here:
never a row-level event, an event id, a device id or token, a search term, feedback or a contact.
A (day, place|kiosk|language) count below ``MIN_COUNT`` is left out (small counts could single
out a visitor at a quiet kiosk). docs/open-data.md is the partner's contract; change the shape
only under a new version (``/open-data/v2/``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kiosk_platform.orgs.models import Organisation
from kiosk_platform.stats.csvfile import csv_response
from kiosk_platform.stats.daterange import BadRange, parse_range, today
from kiosk_platform.stats.queries import PLACE_PREFIXES

VERSION = 1
MIN_COUNT = 3  # counts below this are omitted (documented in docs/open-data.md)
DEFAULT_DAYS = 30
MAX_DAYS = 92
CACHE_SECONDS = 3600

# dimension → (the DailyCount type it counts, its columns after "day", what the count means)
DIMENSIONS: dict[str, tuple[str, list[str], str]] = {
    "place": ("item_viewed", ["place"], "views"),
    "kiosk": ("visit_ended", ["kiosk", "group"], "visits"),
    "language": ("language_chosen", ["language"], "chosen"),
}


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _rows(dimension: str, first: dt.date, last: dt.date, organisation: Organisation | None) -> list[tuple[Any, ...]]:
    type_ = DIMENSIONS[dimension][0]
    where = "dc.type = %s AND dc.day BETWEEN %s AND %s"
    params: list[Any] = [type_, first, last]
    if organisation is not None:
        where += " AND dc.organisation_id IN (SELECT id FROM orgs_organisation WHERE path LIKE %s)"
        params.append(organisation.path + "%")
    if dimension == "place":
        where += " AND (" + " OR ".join("dc.subject LIKE %s" for _ in PLACE_PREFIXES) + ")"
        params += [prefix + "%" for prefix in PLACE_PREFIXES]
        keys = "dc.subject"
    elif dimension == "kiosk":
        keys = 'd.name, dc."group"'
    else:
        keys = "dc.subject"
    sql = (
        f"SELECT dc.day, {keys}, SUM(dc.count) FROM stats_dailycount dc"
        + (" JOIN fleet_device d ON d.id = dc.device_id" if dimension == "kiosk" else "")
        + f" WHERE {where} GROUP BY dc.day, {keys} HAVING SUM(dc.count) >= %s ORDER BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, MIN_COUNT])
        return [(row[0].isoformat(), *row[1:-1], int(row[-1])) for row in cursor.fetchall()]


@require_GET
def daily_counts(request: HttpRequest, fmt: str) -> HttpResponse:
    """``/open-data/v1/daily-counts.json|.csv?from=&to=&dimension=&organisation=``."""
    dimension = request.GET.get("dimension", "place")
    if dimension not in DIMENSIONS:
        return _error(f"dimension must be one of: {', '.join(DIMENSIONS)}")
    try:
        first, last = parse_range(
            request.GET.get("from"),
            request.GET.get("to"),
            default_days=DEFAULT_DAYS,
            max_days=MAX_DAYS,
            default_last=today() - dt.timedelta(days=1),
        )
    except BadRange as exc:
        return _error(str(exc))
    organisation = None
    slug = request.GET.get("organisation", "").strip()
    if slug:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            return _error("no organisation with that slug", status=404)
    rows = _rows(dimension, first, last, organisation)
    _, keys, measure = DIMENSIONS[dimension]
    header = ["day", *keys, measure]
    if fmt == "csv":
        answer = csv_response(f"daily-counts-{dimension}-{first.isoformat()}-{last.isoformat()}.csv", header, rows)
    else:
        body = {
            "version": VERSION,
            "dimension": dimension,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "organisation": organisation.slug if organisation else None,
            "min_count": MIN_COUNT,
            "fields": header,
            "rows": [dict(zip(header, row, strict=True)) for row in rows],
        }
        answer = HttpResponse(
            json.dumps(body, ensure_ascii=False, separators=(",", ":")), content_type="application/json; charset=utf-8"
        )
    answer["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    answer["Access-Control-Allow-Origin"] = "*"
    return answer


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The page that documents the API for partners (public)."""
    last = today() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=6)
    return render(
        request,
        "opendata/index.html",
        {
            "nav": "open-data",
            "example_from": first.isoformat(),
            "example_to": last.isoformat(),
            "min_count": MIN_COUNT,
            "max_days": MAX_DAYS,
            "cache_seconds": CACHE_SECONDS,
            "organisations": Organisation.objects.order_by("path").values("slug", "name", "name_en"),
        },
    )
