"""Open data v1 through the real site (gunicorn behind nginx): public daily counts by place, kiosk
and language, JSON and CSV, small counts left out, and nothing personal or row-level in any answer."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid

import requests

from kiosk_platform.feedback.models import Feedback
from kiosk_platform.ingest.models import UsageEvent

from .stats_data import add_daily, add_search_visits, make_world

DAY = dt.date(2026, 4, 30)  # the conftest's clock says 2 May: the default range ends 1 May


def fill():
    world = make_world()
    a1, a2, b1 = world.kiosk_a1, world.kiosk_a2, world.kiosk_b1
    add_daily(a1, DAY, "item_viewed", "venue:baita-shan-park", count=9)
    add_daily(b1, DAY, "item_viewed", "venue:baita-shan-park", count=4)  # 13 in all
    add_daily(a1, DAY, "item_viewed", "venue:quiet-corner", count=2)  # below 3: left out
    add_daily(a1, DAY, "item_viewed", "screen:home", count=40)  # not a place
    add_daily(a1, DAY - dt.timedelta(days=1), "item_viewed", "route:yellow-river-walk", count=3)
    add_daily(a1, DAY, "visit_ended", "", count=7, total=840)
    add_daily(a2, DAY, "visit_ended", "", count=1, total=30)  # one visit: left out
    add_daily(b1, DAY, "visit_ended", "", count=5, total=450)
    add_daily(a1, DAY, "language_chosen", "zh-Hans", count=6)
    add_daily(b1, DAY, "language_chosen", "en", count=3)
    add_daily(b1, DAY, "language_chosen", "ja", count=1)
    add_daily(a1, DAY, "search", "where is my hotel", count=40, total=0)
    add_search_visits(a1, DAY, "where is my hotel", 40)
    UsageEvent.objects.create(
        event_id="e" * 32,
        device=a1,
        type="item_viewed",
        subject="venue:baita-shan-park",
        at=dt.datetime(2026, 4, 30, 2, tzinfo=dt.UTC),
        data={},
    )
    Feedback.objects.create(
        event_id=uuid.uuid4().hex,
        organisation=a1.organisation,
        device=a1,
        subject="kiosk",
        rating=1,
        category="service",
        text="Rude guide at the gate",
        language="en",
        contact="13800000000",
        at=dt.datetime(2026, 4, 30, 2, tzinfo=dt.UTC),
        received_at=dt.datetime(2026, 4, 30, 2, tzinfo=dt.UTC),
    )
    return world


def test_daily_counts_by_place_kiosk_and_language_as_json(live_platform) -> None:
    world = fill()
    base = f"{live_platform.url}/open-data/v1/daily-counts.json"
    place = requests.get(base, params={"dimension": "place"}, timeout=10)
    assert place.status_code == 200
    assert place.headers["Content-Type"] == "application/json; charset=utf-8"
    assert place.headers["Cache-Control"] == "public, max-age=3600"
    assert place.headers["Access-Control-Allow-Origin"] == "*"
    body = place.json()
    assert {k: body[k] for k in ("version", "dimension", "from", "to", "organisation", "min_count", "fields")} == {
        "version": 1,
        "dimension": "place",
        "from": "2026-04-02",
        "to": "2026-05-01",
        "organisation": None,
        "min_count": 3,
        "fields": ["day", "place", "views"],
    }
    assert body["rows"] == [
        {"day": "2026-04-29", "place": "route:yellow-river-walk", "views": 3},
        {"day": "2026-04-30", "place": "venue:baita-shan-park", "views": 13},
    ]
    kiosk = requests.get(base, params={"dimension": "kiosk", "from": "2026-04-30", "to": "2026-04-30"}, timeout=10)
    assert kiosk.json()["rows"] == [
        {"day": "2026-04-30", "kiosk": "Qilihe hotel lobby", "group": "qilihe/hotel", "visits": 5},
        {"day": "2026-04-30", "kiosk": "白塔山 north gate", "group": "chengguan/scenic", "visits": 7},
    ]
    language = requests.get(base, params={"dimension": "language", "organisation": "chengguan"}, timeout=10).json()
    assert language["organisation"] == "chengguan"
    assert language["rows"] == [{"day": "2026-04-30", "language": "zh-Hans", "chosen": 6}]
    assert world.county_a.slug == "chengguan"


def test_csv_is_the_same_rows_with_a_bom(live_platform) -> None:
    fill()
    answer = requests.get(
        f"{live_platform.url}/open-data/v1/daily-counts.csv", params={"dimension": "kiosk"}, timeout=10
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == (
        'attachment; filename="daily-counts-kiosk-2026-04-02-2026-05-01.csv"'
    )
    assert answer.headers["Cache-Control"] == "public, max-age=3600"
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows == [
        ["day", "kiosk", "group", "visits"],
        ["2026-04-30", "Qilihe hotel lobby", "qilihe/hotel", "5"],
        ["2026-04-30", "白塔山 north gate", "chengguan/scenic", "7"],
    ]


def test_nothing_personal_or_row_level_ever_appears(live_platform) -> None:
    world = fill()
    secrets = [
        "where is my hotel",
        "Rude guide",
        "13800000000",
        "e" * 32,
        "quiet-corner",
        "Lanzhou station hall",
        world.kiosk_a1.device_id,
        world.kiosk_a1.token_hash,
        world.kiosk_b1.device_id,
        "screen:home",
        '"ja"',
    ]
    allowed_keys = {"day", "place", "kiosk", "group", "language", "views", "visits", "chosen"}
    for dimension in ("place", "kiosk", "language"):
        for fmt in ("json", "csv"):
            answer = requests.get(
                f"{live_platform.url}/open-data/v1/daily-counts.{fmt}",
                params={"dimension": dimension, "from": "2026-04-01", "to": "2026-05-01"},
                timeout=10,
            )
            assert answer.status_code == 200
            text = answer.content.decode("utf-8-sig")
            for secret in secrets:
                assert secret not in text, (dimension, fmt, secret)
            if fmt == "json":
                body = json.loads(text)
                assert set(body) == {
                    "version",
                    "dimension",
                    "from",
                    "to",
                    "organisation",
                    "min_count",
                    "fields",
                    "rows",
                }
                assert all(set(row) <= allowed_keys for row in body["rows"])
                assert all(row[body["fields"][-1]] >= 3 for row in body["rows"])
            else:
                assert set(next(csv.reader(io.StringIO(text)))) <= allowed_keys


def test_bad_requests_are_answered_400_in_json(live_platform) -> None:
    base = f"{live_platform.url}/open-data/v1/daily-counts.json"
    for params, words in (
        ({"dimension": "feedback"}, "dimension must be one of"),
        ({"from": "2026-13-01"}, "YYYY-MM-DD"),
        ({"from": "2026-01-01", "to": "2026-05-01"}, "at most 92 days"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "starts after it ends"),
    ):
        answer = requests.get(base, params=params, timeout=10)
        assert answer.status_code == 400, params
        assert words in answer.json()["error"], params
    missing = requests.get(base, params={"organisation": "nowhere"}, timeout=10)
    assert missing.status_code == 404 and missing.json() == {"error": "no organisation with that slug"}
    assert requests.post(base, timeout=10).status_code in (403, 405)


def test_the_documentation_page_is_public(live_platform) -> None:
    fill()
    page = requests.get(f"{live_platform.url}/open-data/", timeout=10)
    assert page.status_code == 200
    assert "/open-data/v1/daily-counts.json?dimension=place" in page.text
    assert "A count below <strong>3</strong>" in page.text
