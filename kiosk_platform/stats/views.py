"""The statistics page and its CSV export, scoped to the operator's organisation subtree.

Everything comes from the pre-aggregated tables through ``queries.run`` (five grouped statements);
the raw events are never read per page view. An organisation, group or kiosk outside the operator's
subtree is answered 404, as every other page does (``kiosk_platform.orgs.scope``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html, format_html_join

from kiosk_platform.fleet.models import Device
from kiosk_platform.orgs.models import Organisation
from kiosk_platform.orgs.scope import get_scoped, membership, operator_required, scoped

from . import queries
from .csvfile import csv_response
from .daterange import BadRange, parse_range

DEFAULT_DAYS = 30
MAX_DAYS = 400
TOP = 15  # rows a chart shows; the table and the CSV have them all (tables: up to TABLE_ROWS)
TABLE_ROWS = 100
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Narrowing:
    """The operator's choice within their subtree (each already checked to be theirs)."""

    organisation: Organisation
    group: str | None
    device: Device | None

    def query(self) -> dict[str, str]:
        params = {"organisation": str(self.organisation.pk)}
        if self.group is not None:
            params["group"] = self.group
        if self.device is not None:
            params["kiosk"] = str(self.device.pk)
        return params


def _narrowing(request: HttpRequest) -> Narrowing:
    """The organisation, group and kiosk asked for; 404 for any that is not in the operator's subtree."""
    root = membership(request).organisation
    organisation = root
    org_param = request.GET.get("organisation", "").strip()
    if org_param:
        if not org_param.isdigit():
            raise Http404("no such organisation here")
        organisation = root.subtree().filter(pk=int(org_param)).first()
        if organisation is None:
            raise Http404("no such organisation here")
    devices = Device.objects.filter(organisation__path__startswith=organisation.path)
    group = request.GET.get("group", "").strip() or None
    if group is not None and not devices.filter(group=group).exists():
        raise Http404("no such group here")
    device = None
    kiosk_param = request.GET.get("kiosk", "").strip()
    if kiosk_param:
        if not kiosk_param.isdigit():
            raise Http404("no such kiosk here")
        device = get_scoped(request, devices, pk=int(kiosk_param))
    return Narrowing(organisation, group, device)


def _kiosk_names(pks: Iterable[int]) -> dict[int, str]:
    return dict(Device.objects.filter(pk__in=list(pks)).values_list("pk", "name"))


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.0f}%"


Rows = list[Sequence[object]]
Section = tuple[list[str], Rows]


def _sections(report: queries.Report, names: dict[int, str]) -> dict[str, Callable[[], Section]]:
    """Each section as a maker of (header, rows): what the CSV export writes and the tables show
    (made only when asked: the per-day, per-kiosk rows are only for the CSV)."""
    kiosks_ranked = sorted(report.kiosk_visits, key=lambda pk: (-report.kiosk_visits[pk], names.get(pk, "")))

    def visits_by_day() -> Section:
        rows = [
            (day.isoformat(), group, report.visits_by_day_group.get((day, group), 0))
            for day in report.days
            for group in report.groups
        ]
        return ["day", "group", "visits"], rows

    def visits_by_kiosk() -> Section:
        visits = report.visits_by_day_kiosk
        rows = [
            (day.isoformat(), names.get(pk, str(pk)), report.kiosk_group[pk], visits.get((day, pk), 0))
            for day in report.days
            for pk in kiosks_ranked
        ]
        return ["day", "kiosk", "group", "visits"], rows

    def kiosks() -> Section:
        rows = [
            (
                names.get(pk, str(pk)),
                report.kiosk_group[pk],
                report.kiosk_visits[pk],
                round(report.kiosk_seconds[pk] / report.kiosk_visits[pk]) if report.kiosk_visits[pk] else 0,
            )
            for pk in kiosks_ranked
        ]
        return ["kiosk", "group", "visits", "average_visit_seconds"], rows

    def narration() -> Section:
        rows = [
            (subject, started, finished, _percent(queries.completion_rate(started, finished)))
            for subject, started, finished in report.narration
        ]
        return ["subject", "started", "finished", "completion_rate"], rows

    def busy_hours() -> Section:
        rows = [(WEEKDAYS[weekday - 1], hour, *report.hours[(weekday, hour)]) for weekday, hour in sorted(report.hours)]
        return ["weekday", "hour", "events", "visits"], rows

    return {
        "visits-by-day": visits_by_day,
        "visits-by-kiosk": visits_by_kiosk,
        "kiosks": kiosks,
        "places": lambda: (["place", "views"], list(report.places)),
        "languages": lambda: (["language", "chosen"], list(report.languages)),
        "narration": narration,
        "qr": lambda: (["subject", "qr_codes_shown"], list(report.qr)),
        "search-terms": lambda: (["term", "visits", "visits_that_found_nothing"], list(report.search_terms)),
        "busy-hours": busy_hours,
    }


def _tbody(rows: Iterable[Sequence[object]], empty: str, columns: int) -> str:
    """Table body rows, the first cell a row header and numbers right-aligned; every cell escaped
    by format_html. Built here rather than in the template: a city's page has thousands of cells
    and Django's template loop costs ~15 us a cell, as much as the SQL for small ranges."""
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (
                format_html_join(
                    "",
                    "{}",
                    (
                        (
                            format_html('<th scope="row">{}</th>', cell)
                            if i == 0
                            else format_html('<td class="num">{}</td>', cell)
                            if isinstance(cell, int) or (isinstance(cell, str) and cell.endswith("%"))
                            else format_html("<td>{}</td>", cell),
                        )
                        for i, cell in enumerate(row)
                    ),
                ),
            )
            for row in rows
        ),
    )
    return body or format_html('<tr><td colspan="{}">{}</td></tr>', columns, empty)


SECTIONS = (
    "visits-by-day",
    "visits-by-kiosk",
    "kiosks",
    "places",
    "languages",
    "narration",
    "qr",
    "search-terms",
    "busy-hours",
)


def _chart_data(report: queries.Report, names: dict[int, str]) -> dict[str, Any]:
    """The series ECharts draws (passed with json_script; the tables carry the same numbers)."""
    days = [d.isoformat() for d in report.days]
    top_kiosks = sorted(report.kiosk_visits, key=lambda pk: -report.kiosk_visits[pk])[:10]
    return {
        "days": days,
        "groups": [
            {"name": g, "data": [report.visits_by_day_group.get((d, g), 0) for d in report.days]} for g in report.groups
        ],
        "kiosks": [
            {"name": names.get(pk, str(pk)), "data": [report.visits_by_day_kiosk.get((d, pk), 0) for d in report.days]}
            for pk in top_kiosks
        ],
        "places": report.places[:TOP],
        "languages": report.languages,
        "narration": [[s, a, b] for s, a, b in report.narration[:TOP]],
        "qr": report.qr[:TOP],
        "search": [[t, v] for t, v, _ in report.search_terms[:TOP]],
        "weekdays": list(WEEKDAYS),
        "hours": [[hour, weekday - 1, events] for (weekday, hour), (events, _) in sorted(report.hours.items())],
    }


@operator_required
def statistics(request: HttpRequest) -> HttpResponse:
    """The page (``?format=csv&section=NAME`` for one section as CSV)."""
    narrowing = _narrowing(request)
    wants_csv = request.GET.get("format") == "csv"
    section = request.GET.get("section", "")
    try:
        first_day, last_day = parse_range(
            request.GET.get("from"), request.GET.get("to"), default_days=DEFAULT_DAYS, max_days=MAX_DAYS
        )
    except BadRange as exc:
        if wants_csv:
            return HttpResponse(f"{exc}\n", status=400, content_type="text/plain; charset=utf-8")
        return render(
            request, "stats/statistics.html", _form_context(request, narrowing) | {"error": str(exc)}, status=400
        )
    if wants_csv and section not in SECTIONS:
        return HttpResponse(
            f"section must be one of: {', '.join(SECTIONS)}\n", status=400, content_type="text/plain; charset=utf-8"
        )
    organisation_ids = tuple(narrowing.organisation.subtree().values_list("pk", flat=True))
    flt = queries.Filter(
        organisation_ids, first_day, last_day, narrowing.group, narrowing.device.pk if narrowing.device else None
    )
    report = queries.run(flt, settings.SEARCH_TERM_MIN_VISITS)
    names = _kiosk_names(report.kiosk_visits)
    sections = _sections(report, names)
    if wants_csv:
        header, rows = sections[section]()
        filename = f"statistics-{section}-{first_day.isoformat()}-{last_day.isoformat()}.csv"
        return csv_response(filename, header, rows)
    query = narrowing.query() | {"from": first_day.isoformat(), "to": last_day.isoformat()}
    none = "None in this range."
    day_group_rows = [
        (
            d.isoformat(),
            *(report.visits_by_day_group.get((d, g), 0) for g in report.groups),
            sum(report.visits_by_day_group.get((d, g), 0) for g in report.groups),
        )
        for d in report.days
    ]
    hour_grid = [(WEEKDAYS[w - 1], *(report.hours.get((w, h), (0, 0))[0] for h in range(24))) for w in range(1, 8)]
    context = _form_context(request, narrowing) | {
        "first_day": first_day,
        "last_day": last_day,
        "report": report,
        "charts": _chart_data(report, names),
        "tbody": {
            "visits_by_day": _tbody(day_group_rows, none, 2),
            "kiosks": _tbody(sections["kiosks"]()[1][:TABLE_ROWS], "No visits in this range.", 4),
            "places": _tbody(report.places[:TABLE_ROWS], none, 2),
            "languages": _tbody(report.languages[:TABLE_ROWS], none, 2),
            "narration": _tbody(sections["narration"]()[1][:TABLE_ROWS], none, 4),
            "qr": _tbody(report.qr[:TABLE_ROWS], none, 2),
            "search_terms": _tbody(
                report.search_terms[:TABLE_ROWS],
                f"No term reached {settings.SEARCH_TERM_MIN_VISITS} visits in this range.",
                3,
            ),
            "busy_hours": _tbody(hour_grid, none, 25),
        },
        "kiosks_more": max(0, len(report.kiosk_visits) - TABLE_ROWS),
        "hours_header": list(range(24)),
        "completion": _percent(queries.completion_rate(report.narration_started, report.narration_finished)),
        "min_visits": settings.SEARCH_TERM_MIN_VISITS,
        "csv_links": {name.replace("-", "_"): _csv_link(query, name) for name in SECTIONS},
    }
    return render(request, "stats/statistics.html", context)


def _csv_link(query: dict[str, str], section: str) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(query | {"format": "csv", "section": section})


def _form_context(request: HttpRequest, narrowing: Narrowing) -> dict[str, Any]:
    """The narrowing form's choices: only what the operator may see."""
    root = membership(request).organisation
    devices = scoped(request, Device.objects.all())
    return {
        "nav": "statistics",
        "narrowing": narrowing,
        "organisations": list(root.subtree()),
        "groups": sorted(set(devices.values_list("group", flat=True))),
        "kiosks": list(devices.order_by("name").values("pk", "name", "group")),
        "from_value": request.GET.get("from", ""),
        "to_value": request.GET.get("to", ""),
    }
