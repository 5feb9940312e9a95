"""The statistics page and its CSV export, through Django on the real PostgreSQL: the numbers are
the ones written into the aggregate tables, the range and the narrowing are honoured, another
county's numbers never show, search terms below k stay hidden, and the raw events are never read."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from .stats_data import (
    World,
    add_daily,
    add_hourly,
    add_search_folded,
    add_search_visits,
    body_rows,
    make_operator,
    make_world,
)

TODAY = dt.date(2026, 5, 2)  # the conftest's START (10:00 in Lanzhou), a Saturday
DAY = TODAY - dt.timedelta(days=2)  # Thursday 30 April


@pytest.fixture
def world() -> World:
    return make_world()


def signed_in(user) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def fill(world: World) -> None:
    """A few days of two counties' aggregates."""
    a1, a2, b1 = world.kiosk_a1, world.kiosk_a2, world.kiosk_b1
    add_daily(a1, DAY, "visit_ended", "", count=7, total=7 * 120)
    add_daily(a1, DAY - dt.timedelta(days=1), "visit_ended", "", count=3, total=3 * 60)
    add_daily(a2, DAY, "visit_ended", "", count=5, total=5 * 30)
    add_daily(b1, DAY, "visit_ended", "", count=11, total=11 * 90)
    add_daily(a1, DAY, "item_viewed", "venue:baita-shan-park", count=9)
    add_daily(a2, DAY, "item_viewed", "venue:baita-shan-park", count=4)
    add_daily(a1, DAY, "item_viewed", "route:yellow-river-walk", count=2)
    add_daily(a1, DAY, "item_viewed", "screen-not-a-place", count=50)
    add_daily(b1, DAY, "item_viewed", "venue:qilihe-secret-garden", count=21)
    add_daily(a1, DAY, "language_chosen", "en", count=6)
    add_daily(a2, DAY, "language_chosen", "zh-Hans", count=8)
    add_daily(b1, DAY, "language_chosen", "ja", count=30)
    add_daily(a1, DAY, "narration_started", "venue:baita-shan-park", count=10)
    add_daily(a1, DAY, "narration_finished", "venue:baita-shan-park", count=4)
    add_daily(a1, DAY, "qr_shown", "venue:baita-shan-park", count=12)
    add_daily(a1, DAY, "search", "iron bridge", count=5, total=15)
    add_hourly(a1, DAY, 9, events=40, visits=4)
    add_hourly(a1, DAY, 14, events=25, visits=3)
    add_hourly(b1, DAY, 9, events=900, visits=90)


def test_page_shows_the_numbers_written_for_the_operators_county(world: World) -> None:
    fill(world)
    page = signed_in(make_operator(world.county_a)).get("/statistics/")
    assert page.status_code == 200
    text = page.content.decode()
    # visits per day by group (county A's two groups), and the totals
    by_day = body_rows(text, "table-visits-by-day")
    assert by_day[DAY.isoformat()] == ["7", "5", "12"]
    assert by_day[(DAY - dt.timedelta(days=1)).isoformat()] == ["3", "0", "3"]
    assert len(by_day) == 30 and min(by_day) == "2026-04-03" and max(by_day) == "2026-05-02"
    kiosks = body_rows(text, "table-kiosks")
    assert kiosks == {
        "白塔山 north gate": ["chengguan/scenic", "10", str((7 * 120 + 3 * 60) // 10)],
        "Lanzhou station hall": ["chengguan/station", "5", "30"],
    }
    assert body_rows(text, "table-places") == {"venue:baita-shan-park": ["13"], "route:yellow-river-walk": ["2"]}
    assert body_rows(text, "table-languages") == {"zh-Hans": ["8"], "en": ["6"]}
    assert body_rows(text, "table-narration") == {"venue:baita-shan-park": ["10", "4", "40%"]}
    assert body_rows(text, "table-qr") == {"venue:baita-shan-park": ["12"]}
    hours = body_rows(text, "table-busy-hours")
    assert hours["Thu"][9] == "40" and hours["Thu"][14] == "25" and sum(map(int, hours["Thu"])) == 65
    assert all(set(cells) == {"0"} for day, cells in hours.items() if day != "Thu")
    assert 'id="total-visits">15<' in text and 'id="narration-rate">40%<' in text
    # the county B figures appear nowhere
    for secret in ("Qilihe hotel lobby", "qilihe-secret-garden", "qilihe/hotel", ">ja<", ">900<"):
        assert secret not in text
    # charts get their data through json_script and draw with the local ECharts
    assert '<script id="stats-data" type="application/json">' in text
    assert "/static/vendor/echarts/echarts.min.js" in text


def test_city_operator_sees_both_counties_and_can_narrow(world: World) -> None:
    fill(world)
    client = signed_in(make_operator(world.city))
    text = client.get("/statistics/").content.decode()
    assert body_rows(text, "table-visits-by-day")[DAY.isoformat()] == ["7", "5", "11", "23"]
    assert body_rows(text, "table-places")["venue:qilihe-secret-garden"] == ["21"]
    narrowed = client.get(f"/statistics/?organisation={world.county_b.pk}").content.decode()
    assert body_rows(narrowed, "table-kiosks") == {"Qilihe hotel lobby": ["qilihe/hotel", "11", "90"]}
    one_group = client.get("/statistics/?group=chengguan/station").content.decode()
    assert body_rows(one_group, "table-visits-by-day")[DAY.isoformat()] == ["5", "5"]
    assert body_rows(one_group, "table-busy-hours")["Thu"][9] == "0"  # hourly rows of the group's kiosks only
    one_kiosk = client.get(f"/statistics/?kiosk={world.kiosk_a1.pk}").content.decode()
    assert body_rows(one_kiosk, "table-places") == {"venue:baita-shan-park": ["9"], "route:yellow-river-walk": ["2"]}
    park = client.get(f"/statistics/?organisation={world.park.pk}").content.decode()
    assert list(body_rows(park, "table-kiosks")) == ["白塔山 north gate"]


def test_another_countys_organisation_group_and_kiosk_are_not_found(world: World) -> None:
    fill(world)
    client = signed_in(make_operator(world.county_a))
    for query in (
        f"organisation={world.county_b.pk}",
        f"organisation={world.city.pk}",  # a parent is outside the subtree too
        "group=qilihe/hotel",
        f"kiosk={world.kiosk_b1.pk}",
        "organisation=abc",
        "kiosk=1%20OR%201=1",
    ):
        page = client.get(f"/statistics/?{query}")
        csv_answer = client.get(f"/statistics/?{query}&format=csv&section=kiosks")
        assert page.status_code == 404, query
        assert csv_answer.status_code == 404, query
    # a kiosk of county B with county A's organisation still answers 404
    assert client.get(f"/statistics/?organisation={world.county_a.pk}&kiosk={world.kiosk_b1.pk}").status_code == 404
    csv_a = client.get("/statistics/?format=csv&section=visits-by-kiosk").content.decode("utf-8-sig")
    assert "Qilihe" not in csv_a and "白塔山 north gate" in csv_a


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    answer = Client(HTTP_HOST="localhost").get("/statistics/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/")


def test_date_range_is_honoured_and_bad_ranges_refused_in_plain_words(world: World, clock) -> None:
    fill(world)
    client = signed_in(make_operator(world.county_a))
    old = DAY - dt.timedelta(days=40)
    add_daily(world.kiosk_a1, old, "visit_ended", "", count=100)
    default = client.get("/statistics/").content.decode()
    assert 'id="total-visits">15<' in default  # 40 days ago is outside the default 30 days
    wide = client.get(f"/statistics/?from={old.isoformat()}&to={DAY.isoformat()}").content.decode()
    assert 'id="total-visits">115<' in wide
    only_old = client.get(f"/statistics/?from={old.isoformat()}&to={old.isoformat()}").content.decode()
    assert body_rows(only_old, "table-kiosks") == {"白塔山 north gate": ["chengguan/scenic", "100", "0"]}
    # the default range follows the platform's clock, in Lanzhou's time zone: 16:30 UTC is already tomorrow there
    clock.set(dt.datetime(2026, 6, 1, 16, 30, tzinfo=dt.UTC))
    moved = body_rows(client.get("/statistics/").content.decode(), "table-visits-by-day")
    assert max(moved) == "2026-06-02" and min(moved) == "2026-05-04"
    for query, words in (
        ("from=2026-05-03&to=2026-05-01", "starts after it ends"),
        ("from=2025-01-01&to=2026-05-01", "at most 400 days"),
        ("from=yesterday", "YYYY-MM-DD"),
        ("to=2026-02-30", "YYYY-MM-DD"),
    ):
        answer = client.get(f"/statistics/?{query}")
        assert answer.status_code == 400, query
        assert words in answer.content.decode(), query
        assert client.get(f"/statistics/?{query}&format=csv&section=places").status_code == 400
    assert client.get("/statistics/?from=2025-04-01&to=2026-05-04").status_code == 200  # exactly 400 days


@override_settings(SEARCH_TERM_MIN_VISITS=5)
def test_search_terms_reach_the_page_only_in_k_separate_visits(world: World) -> None:
    a1, a2 = world.kiosk_a1, world.kiosk_a2
    add_search_visits(a1, DAY, "yellow river", 4)  # 4 visits: hidden
    add_search_visits(a1, DAY, "iron bridge", 3, results=0)
    add_search_visits(a2, DAY - dt.timedelta(days=1), "iron bridge", 2)  # 5 visits over two kiosks: shown
    add_search_visits(a1, DAY, "water wheel", 3, results=0)
    add_search_folded(a2, DAY, "water wheel", 2)  # 3 + 2 folded = 5: shown
    add_search_visits(a1, DAY, "secret spot", 1, results=0)
    add_search_folded(a1, DAY, "", 40)  # the kiosk's overflow count has no term: never a row
    add_search_visits(world.kiosk_b1, DAY, "yellow river", 1)  # county B's visit does not lift county A's term
    client = signed_in(make_operator(world.county_a))
    text = client.get("/statistics/").content.decode()
    assert body_rows(text, "table-search-terms") == {"iron bridge": ["5", "3"], "water wheel": ["5", "3"]}
    assert "yellow river" not in text and "secret spot" not in text
    assert 'id="searches-found-nothing">7<' in text  # 3 + 3 + 1 visits, listed or not
    exported = client.get("/statistics/?format=csv&section=search-terms").content.decode("utf-8-sig")
    assert "yellow river" not in exported and "secret spot" not in exported
    # the city sees both counties: 4 + 1 visits reach k
    city = signed_in(make_operator(world.city)).get("/statistics/").content.decode()
    assert body_rows(city, "table-search-terms")["yellow river"] == ["5", "0"]


def test_csv_export_is_excel_ready_and_guards_formulas(world: World) -> None:
    fill(world)
    world.kiosk_a2.name = '=HYPERLINK("http://evil","x")'
    world.kiosk_a2.save()
    add_daily(world.kiosk_a1, DAY, "language_chosen", "+cmd|' /C calc'!A0", count=2)
    add_daily(world.kiosk_a1, DAY, "language_chosen", "-1", count=1)
    add_daily(world.kiosk_a1, DAY, "language_chosen", "@SUM(A1)", count=1)
    client = signed_in(make_operator(world.county_a))
    answer = client.get(f"/statistics/?format=csv&section=kiosks&from={DAY.isoformat()}&to={DAY.isoformat()}")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["Content-Disposition"] == f'attachment; filename="statistics-kiosks-{DAY}-{DAY}.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["kiosk", "group", "visits", "average_visit_seconds"]
    assert rows[1] == ["白塔山 north gate", "chengguan/scenic", "7", "120"]
    assert rows[2] == ['\'=HYPERLINK("http://evil","x")', "chengguan/station", "5", "30"]
    languages = client.get("/statistics/?format=csv&section=languages").content.decode("utf-8-sig")
    got = dict(row for row in csv.reader(io.StringIO(languages)))
    assert got == {
        "language": "chosen",
        "zh-Hans": "8",
        "en": "6",
        "'+cmd|' /C calc'!A0": "2",
        "'-1": "1",
        "'@SUM(A1)": "1",
    }
    per_day = list(
        csv.reader(io.StringIO(client.get("/statistics/?format=csv&section=visits-by-day").content.decode("utf-8-sig")))
    )
    assert per_day[0] == ["day", "group", "visits"] and len(per_day) == 1 + 30 * 2
    assert [DAY.isoformat(), "chengguan/scenic", "7"] in per_day
    assert client.get("/statistics/?format=csv&section=nope").status_code == 400
    # every section exports
    for section in ("visits-by-kiosk", "places", "narration", "qr", "search-terms", "busy-hours"):
        assert client.get(f"/statistics/?format=csv&section={section}").status_code == 200, section


def test_a_page_view_reads_only_the_aggregate_tables(world: World) -> None:
    fill(world)
    client = signed_in(make_operator(world.city))
    with CaptureQueriesContext(connection) as seen:
        assert client.get("/statistics/").status_code == 200
    sql = " ".join(q["sql"] for q in seen.captured_queries)
    assert "stats_dailycount" in sql and "stats_hourlycount" in sql
    assert "ingest_usageevent" not in sql
    assert (
        len(seen.captured_queries) <= 20
    )  # a fixed handful (BEGIN, two SET LOCAL, five reads ...), not one per kiosk or day
