"""The statistics page's SQL: a handful of grouped reads of the pre-aggregated tables.

Nothing here reads ``ingest_usageevent`` (the raw events): a page view costs what these four
statements cost on ``stats_dailycount``, ``stats_hourlycount`` and the search-term tables, each
narrowed by ``organisation_id = ANY(...)`` and a day range (the ``(organisation, day, ...)``
indexes). The benchmark (``benchmarks/bench_platform_stats.py``) runs exactly these statements
bare, beside the page, so both sides do the same work.

``day`` and ``hour`` are the kiosk's local day and hour (as the kiosk recorded them).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

# Subjects of item_viewed that are places (docs/outbox.md: venue:<id>, route:<id>, heritage:<id>).
PLACE_PREFIXES = ("venue:", "route:", "heritage:")
# DailyCount types the page reports besides visits (one grouped read for all of them).
COUNTED_TYPES = ("item_viewed", "language_chosen", "narration_started", "narration_finished", "qr_shown", "search")


# Set for the page's transaction: the grouped reads sort/hash a city's month (~0.9 M daily rows in the
# benchmark); with the default 4 MB they spill to disk, and PostgreSQL's JIT compiles each
# statement anew (tens of ms) for a query that runs in a few hundred. Measured: 650 → 350 ms.
READ_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")


@dataclass(frozen=True)
class Filter:
    """What one page view reads: the organisations (a subtree, already scoped), the days, and an
    optional group (the kiosks' channel group) or one kiosk (Device primary key)."""

    organisation_ids: tuple[int, ...]
    first_day: dt.date
    last_day: dt.date
    group: str | None = None
    device_pk: int | None = None

    def where(self, *, has_group_column: bool) -> tuple[str, list[Any]]:
        """The WHERE clause shared by every statement (tables without a ``group`` column narrow by
        the kiosks currently in that group)."""
        sql = "organisation_id = ANY(%s) AND day BETWEEN %s AND %s"
        params: list[Any] = [list(self.organisation_ids), self.first_day, self.last_day]
        if self.group is not None:
            if has_group_column:
                sql += ' AND "group" = %s'
            else:
                sql += ' AND device_id IN (SELECT id FROM fleet_device WHERE "group" = %s)'
            params.append(self.group)
        if self.device_pk is not None:
            sql += " AND device_id = %s"
            params.append(self.device_pk)
        return sql, params


def statements(flt: Filter, min_visits: int) -> dict[str, tuple[str, list[Any]]]:
    """The page's SQL, by name (the benchmark times these same strings)."""
    daily_where, daily_params = flt.where(has_group_column=True)
    other_where, other_params = flt.where(has_group_column=False)
    return {
        "visits": (
            'SELECT day, device_id, "group", SUM(count), SUM(total) FROM stats_dailycount'
            f" WHERE {daily_where} AND type = 'visit_ended' GROUP BY day, device_id, \"group\"",
            daily_params,
        ),
        "counts": (
            "SELECT type, CASE WHEN type = 'search' THEN '' ELSE subject END, SUM(count), SUM(total)"
            f" FROM stats_dailycount WHERE {daily_where} AND type = ANY(%s) GROUP BY 1, 2",
            [*daily_params, list(COUNTED_TYPES)],
        ),
        "search": (
            # visits per term: distinct (kiosk, visit token) rows plus the visits of folded counts;
            # "found nothing": distinct visits whose search for the term had no result.
            "WITH named AS ("
            " SELECT term, COUNT(DISTINCT (device_id, visit)) AS visits,"
            " COUNT(DISTINCT (device_id, visit)) FILTER (WHERE results = 0) AS empty"
            f" FROM stats_searchtermvisit WHERE {other_where} GROUP BY term"
            "), folded AS ("
            f" SELECT term, SUM(visits) AS visits FROM stats_searchtermfolded WHERE {other_where} GROUP BY term"
            ") SELECT COALESCE(n.term, f.term), COALESCE(n.visits, 0) + COALESCE(f.visits, 0), COALESCE(n.empty, 0)"
            " FROM named n FULL JOIN folded f ON f.term = n.term"
            " WHERE COALESCE(n.term, f.term) <> ''"
            " AND COALESCE(n.visits, 0) + COALESCE(f.visits, 0) >= %s"
            " ORDER BY 2 DESC, 1",
            [*other_params, *other_params, min_visits],
        ),
        "search_empty": (
            f"SELECT COUNT(*) FROM stats_searchtermvisit WHERE {other_where} AND results = 0",
            other_params,
        ),
        "hours": (
            "SELECT EXTRACT(ISODOW FROM day)::int, hour, SUM(events), SUM(visits) FROM stats_hourlycount"
            f" WHERE {other_where} GROUP BY 1, 2",
            other_params,
        ),
    }


@dataclass
class Report:
    """Everything the page and the CSV export show, already summed."""

    days: list[dt.date]
    visits_by_day_group: dict[tuple[dt.date, str], int] = field(default_factory=dict)
    visits_by_day_kiosk: dict[tuple[dt.date, int], int] = field(default_factory=dict)
    kiosk_visits: dict[int, int] = field(default_factory=dict)
    kiosk_seconds: dict[int, int] = field(default_factory=dict)
    kiosk_group: dict[int, str] = field(default_factory=dict)
    places: list[tuple[str, int]] = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    narration: list[tuple[str, int, int]] = field(default_factory=list)  # subject, started, finished
    qr: list[tuple[str, int]] = field(default_factory=list)
    searches: int = 0
    search_terms: list[tuple[str, int, int]] = field(default_factory=list)  # term, visits, found nothing
    searches_found_nothing: int = 0
    hours: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)  # (isodow, hour) → events, visits

    @property
    def groups(self) -> list[str]:
        return sorted({g for _, g in self.visits_by_day_group})

    @property
    def total_visits(self) -> int:
        return sum(self.kiosk_visits.values())

    @property
    def narration_started(self) -> int:
        return sum(s for _, s, _ in self.narration)

    @property
    def narration_finished(self) -> int:
        return sum(f for _, _, f in self.narration)


def completion_rate(started: int, finished: int) -> float | None:
    """Finished ÷ started (None when nothing started); above 1 only when a play started before the range."""
    return finished / started if started else None


def _ranked(counter: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def run(flt: Filter, min_visits: int) -> Report:
    """Read the whole report (five statements, one read-only transaction) for ``flt``."""
    days = [flt.first_day + dt.timedelta(days=i) for i in range((flt.last_day - flt.first_day).days + 1)]
    report = Report(days=days)
    sql = statements(flt, min_visits)
    by_type: dict[str, dict[str, int]] = defaultdict(dict)
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in READ_SETTINGS:
            cursor.execute(setting)
        cursor.execute(*sql["visits"])
        for day, device_pk, group, count, seconds in cursor.fetchall():
            key = (day, group)
            report.visits_by_day_group[key] = report.visits_by_day_group.get(key, 0) + int(count)
            report.visits_by_day_kiosk[(day, device_pk)] = report.visits_by_day_kiosk.get((day, device_pk), 0) + int(
                count
            )
            report.kiosk_visits[device_pk] = report.kiosk_visits.get(device_pk, 0) + int(count)
            report.kiosk_seconds[device_pk] = report.kiosk_seconds.get(device_pk, 0) + int(seconds)
            report.kiosk_group.setdefault(device_pk, group)
        cursor.execute(*sql["counts"])
        for type_, subject, count, _total in cursor.fetchall():
            by_type[type_][subject] = int(count)
        cursor.execute(*sql["search"])
        report.search_terms = [(term, int(visits), int(empty)) for term, visits, empty in cursor.fetchall()]
        cursor.execute(*sql["search_empty"])
        report.searches_found_nothing = int(cursor.fetchone()[0])
        cursor.execute(*sql["hours"])
        for weekday, hour, events, visits in cursor.fetchall():
            report.hours[(int(weekday), int(hour))] = (int(events), int(visits))
    report.places = _ranked({s: c for s, c in by_type["item_viewed"].items() if s.startswith(PLACE_PREFIXES)})
    report.languages = _ranked(by_type["language_chosen"])
    report.qr = _ranked(by_type["qr_shown"])
    started, finished = by_type["narration_started"], by_type["narration_finished"]
    report.narration = sorted(
        ((s, started.get(s, 0), finished.get(s, 0)) for s in set(started) | set(finished)),
        key=lambda row: (-row[1], -row[2], row[0]),
    )
    report.searches = sum(by_type["search"].values())
    return report
