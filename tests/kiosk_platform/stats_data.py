"""Rows for the statistics and open data tests: a small organisation tree, operators, kiosks, and
aggregate rows written straight into the tables ingest fills (stats.models), as ingest would.

    world = make_world()          # Lanzhou city → Chengguan (county A), Qilihe (county B)
    add_daily(world.kiosk_a1, day, "visit_ended", "", count=4, total=600)
"""

from __future__ import annotations

import datetime as dt
import html.parser
import itertools
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import User

from kiosk_platform import clock
from kiosk_platform.fleet.models import Device
from kiosk_platform.orgs.models import Membership, Organisation
from kiosk_platform.stats.models import DailyCount, HourlyCount, SearchTermFolded, SearchTermVisit

PASSWORD = "stats-test-password-1"
_serial = itertools.count(1)


@dataclass(frozen=True)
class World:
    city: Organisation
    county_a: Organisation
    county_b: Organisation
    park: Organisation  # a scenic area in county A
    kiosk_a1: Device  # in the park (county A), group chengguan/scenic
    kiosk_a2: Device  # county A, group chengguan/station
    kiosk_b1: Device  # county B, group qilihe/hotel


def make_org(name: str, kind: str, parent: Organisation | None, slug: str, name_en: str = "") -> Organisation:
    return Organisation.objects.create(slug=slug, name=name, name_en=name_en, kind=kind, parent=parent)


def make_device(organisation: Organisation, group: str, name: str) -> Device:
    return Device.objects.create(
        device_id=uuid.uuid4().hex,
        organisation=organisation,
        group=group,
        name=name,
        token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
        registered_at=clock.now(),
    )


def make_operator(organisation: Organisation, role: str = "viewer") -> User:
    user = User.objects.create_user(f"{role}-{organisation.slug}-{next(_serial)}", password=PASSWORD)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def make_world() -> World:
    city = make_org("兰州市", "city", None, "lanzhou", "Lanzhou")
    county_a = make_org("城关区", "county", city, "chengguan", "Chengguan District")
    county_b = make_org("七里河区", "county", city, "qilihe", "Qilihe District")
    park = make_org("白塔山公园", "scenic_area", county_a, "baitashan", "Baita Shan Park")
    return World(
        city,
        county_a,
        county_b,
        park,
        make_device(park, "chengguan/scenic", "白塔山 north gate"),
        make_device(county_a, "chengguan/station", "Lanzhou station hall"),
        make_device(county_b, "qilihe/hotel", "Qilihe hotel lobby"),
    )


def add_daily(device: Device, day: dt.date, type_: str, subject: str, count: int, total: int = 0) -> None:
    """Add to the (device, day, type, subject) aggregate as ingest does (adds up)."""
    row, _ = DailyCount.objects.get_or_create(
        device=device,
        day=day,
        type=type_,
        subject=subject,
        defaults={"organisation": device.organisation, "group": device.group},
    )
    row.count += count
    row.total += total
    row.save()


def add_hourly(device: Device, day: dt.date, hour: int, events: int, visits: int = 0) -> None:
    HourlyCount.objects.create(
        organisation=device.organisation, device=device, day=day, hour=hour, events=events, visits=visits
    )


def add_search_visits(device: Device, day: dt.date, term: str, visits: int, results: int = 3) -> None:
    """``visits`` separate visits that searched ``term`` (each with its own random visit token)."""
    for _ in range(visits):
        SearchTermVisit.objects.create(
            organisation=device.organisation, device=device, day=day, term=term, visit=uuid.uuid4().hex, results=results
        )


def add_search_folded(device: Device, day: dt.date, term: str, visits: int) -> None:
    SearchTermFolded.objects.create(organisation=device.organisation, device=device, day=day, term=term, visits=visits)


class _Tables(html.parser.HTMLParser):
    """Every <table id=...> of a page as rows of cell texts (header row included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def body_rows(page: str, table_id: str) -> dict[str, list[str]]:
    """A table's body rows keyed by their first cell."""
    rows = tables(page)[table_id][1:]
    return {row[0]: row[1:] for row in rows}
