"""A row whose value surprises the store is left out and logged, never the whole list.

The values are written straight into the installed database, as if a check at install had
missed them: the store is the last line before a screen, whatever the installer accepts.
Each class of surprising value has its test; each shows the row left out, one log line naming
table, id and field, and the rest of the list still there.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.store.content_store import ContentStore

from ...support import edit_installed

SH = ZoneInfo("Asia/Shanghai")
SATURDAY = dt.datetime(2026, 11, 21, 10, 30, tzinfo=SH)
Statement = tuple[str, Sequence[object]]

MUSEUM = "gansu-provincial-museum"
OTHER_VENUES = {"zhongshan-iron-bridge", "night-market"}


@pytest.fixture
def installed(installer: Installer, make_pack, mini_source: Path, data_dir: DataDir) -> Callable[..., ContentStore]:
    """The mini pack installed for real, then ``statements`` written into its database; the store on it."""
    opened: list[ContentStore] = []

    def make(*statements: Statement) -> ContentStore:
        installer.install(make_pack(mini_source))
        edit_installed(data_dir, *statements)
        store = ContentStore.open(data_dir)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def left_out_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "content_sync.store.content_store"]


def venue_value(column: str, value: object) -> Statement:
    return (f"UPDATE venues SET {column} = ? WHERE id = ?", (value, MUSEUM))


VENUE_CASES = {
    "bad JSON": ("tickets", "[{oops"),
    "JSON of the wrong shape": ("tickets", '{"label": "free"}'),
    "a ticket price that is text": ("tickets", '[{"label": {"en": "Adult"}, "price_cny": "ten"}]'),
    "an accessibility note that is not text": ("accessibility", '{"note": 5}'),
    "JSON nested too deeply": ("aliases", '{"en": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    "hours of the wrong shape": ("hours", '{"weekly": "always"}'),
    "hours with a time that is not a time": ("hours", '{"weekly": [{"days": ["mon"], "open": "9am", "close": "5pm"}]}'),
    "hours whose seasons are a number": ("hours", '{"always_open": true, "seasons": 3}'),
    "an unknown time zone": ("timezone", "Mars/Olympus_Mons"),
    "a latitude off the globe": ("lat", 123.0),
    "an infinite longitude": ("lon", float("inf")),
    "coordinates that are text": ("lat", "north"),
    "a NULL id": ("id", None),
    "tags that are not texts": ("tags", "[1, 2]"),
    # The store reads with the content schema's own checks (the one description install vets with):
    "a ticket with a key the schema does not know": ("tickets", '[{"label": {"en": "Adult"}, "fee": "secret"}]'),
    "a ticket price beyond the schema's range": ("tickets", '[{"label": {"en": "Adult"}, "price_cny": 500000}]'),
    "aliases under something that is not a language tag": ("aliases", '{"not a tag!": ["Museum"]}'),
}  # fmt: skip


@pytest.mark.parametrize("case", VENUE_CASES)
def test_a_venue_with_a_surprising_value_is_left_out_and_the_others_show(
    case: str, installed, caplog: pytest.LogCaptureFixture
) -> None:
    column, value = VENUE_CASES[case]
    statements = [venue_value(column, value)]
    if column == "id":  # nothing may point at a venue without an id
        statements = [("PRAGMA foreign_keys = OFF", ()), *statements]
    store = installed(*statements)
    with caplog.at_level(logging.WARNING):
        assert {v.id for v in store.venues()} == OTHER_VENUES
        assert {v.id for v in store.venues(with_media=True, open_at=SATURDAY, near=(36.06, 103.8))} <= OTHER_VENUES
        assert {v.id for v in store.venues(featured=True)} == {"zhongshan-iron-bridge"}
        assert store.venue(MUSEUM) is None
        assert store.venue("zhongshan-iron-bridge") is not None
    lines = left_out_lines(caplog)
    assert len(lines) == 1, lines  # once per row, however often screens read the list
    field = "id" if column == "id" else column
    assert "venues" in lines[0] and f"field {field}" in lines[0]
    if column != "id":
        assert MUSEUM in lines[0]
    assert "\n" not in lines[0]


def test_an_event_session_that_is_not_a_date_is_left_out_and_the_weekly_show_stays(
    installed, caplog: pytest.LogCaptureFixture
) -> None:
    store = installed(
        ("UPDATE event_sessions SET starts_at = ? WHERE event_id = ?", ("2027-13-45T19:00:00+08:00", "drum-show")),
    )
    with caplog.at_level(logging.WARNING):
        week = store.events_between(dt.datetime(2026, 12, 28, tzinfo=SH), dt.datetime(2027, 1, 4, tzinfo=SH))
    assert [o.starts_at for o in week] == [
        dt.datetime(2027, 1, 2, 10, 0, tzinfo=SH),
        dt.datetime(2027, 1, 3, 10, 0, tzinfo=SH),
    ]
    (line,) = left_out_lines(caplog)
    assert "event_sessions" in line and "drum-show" in line and "field starts_at" in line


@pytest.mark.parametrize(
    ("column", "value"),
    [("start_time", "25:99"), ("from_date", "soon"), ("days", '"sat"'), ("until_date", "9999-12-31")],
)
def test_a_weekly_rule_that_surprises_is_left_out_and_the_other_events_show(
    column: str, value: str, installed, caplog: pytest.LogCaptureFixture
) -> None:
    # A second event with its own rule: it must still show when the first one's rule is bad.
    store = installed(
        ("INSERT INTO events SELECT 'tea-talk', title, summary, description, kind, venue_id, heritage_id, price, 2 "
         "FROM events WHERE id = 'drum-show'", ()),
        ("INSERT INTO event_weekly SELECT 'tea-talk', seq, days, '14:00', '15:00', from_date, until_date "
         "FROM event_weekly WHERE event_id = 'drum-show'", ()),
        (f"UPDATE event_weekly SET {column} = ? WHERE event_id = 'drum-show'", (value,)),
    )  # fmt: skip
    with caplog.at_level(logging.WARNING):
        today = store.events_between(SATURDAY, SATURDAY + dt.timedelta(days=1))
    if column == "until_date":  # far in the future but a real date: kept
        assert {o.event_id for o in today} == {"drum-show", "tea-talk"}
        return
    assert [o.event_id for o in today] == ["tea-talk"]
    (line,) = left_out_lines(caplog)
    assert "event_weekly" in line and "drum-show" in line and f"field {column}" in line


def test_a_notice_whose_dates_are_not_dates_is_left_out(installed, caplog: pytest.LogCaptureFixture) -> None:
    store = installed(
        ("INSERT INTO notices SELECT 'bad-dates', title, body, severity, 'tomorrow', NULL FROM notices", ()),
        ("INSERT INTO notices SELECT 'no-zone', title, body, severity, '2026-01-01T00:00:00', NULL "
         "FROM notices WHERE id = 'winter-hours'", ()),
    )  # fmt: skip
    with caplog.at_level(logging.WARNING):
        assert [n["id"] for n in store.notices(SATURDAY)] == ["winter-hours"]
    lines = left_out_lines(caplog)
    assert len(lines) == 2 and all("notices" in line and "field starts_at" in line for line in lines)


def test_a_transport_stop_off_the_globe_or_half_located_is_left_out(
    installed, caplog: pytest.LogCaptureFixture
) -> None:
    store = installed(
        ("INSERT INTO transport SELECT 'far-away', kind, name, description, city, 36.0, 500.0, to_city_centre, 2 "
         "FROM transport", ()),
        ("INSERT INTO transport SELECT 'half-there', kind, name, description, city, 36.0, NULL, to_city_centre, 3 "
         "FROM transport WHERE id = 'lanzhou-station'", ()),
    )  # fmt: skip
    with caplog.at_level(logging.WARNING):
        assert [t["id"] for t in store.transport()] == ["lanzhou-station"]
    lines = left_out_lines(caplog)
    assert {line.split("field ")[1].split()[0] for line in lines} == {"lon"}


def test_a_route_stop_with_an_impossible_stay_is_left_out_and_the_route_shows(
    installed, caplog: pytest.LogCaptureFixture
) -> None:
    store = installed(("UPDATE route_stops SET stay_minutes = -30 WHERE venue_id = 'night-market'", ()))
    with caplog.at_level(logging.WARNING):
        (route,) = store.routes()
    assert [s.venue_id for s in route.stops] == ["zhongshan-iron-bridge"]
    (line,) = left_out_lines(caplog)
    assert "route_stops" in line and "river-walk" in line and "field stay_minutes" in line


def test_a_theme_whose_colour_is_not_a_colour_is_left_out(installed, caplog: pytest.LogCaptureFixture) -> None:
    store = installed(("UPDATE themes SET color = ? WHERE id = 'silk-road'", ("red; background: url(x)",)))
    with caplog.at_level(logging.WARNING):
        themes = [t["id"] for t in store.themes()]
    assert "silk-road" not in themes and len(themes) == 4
    (line,) = left_out_lines(caplog)
    assert "themes" in line and "silk-road" in line and "field color" in line


def test_a_page_without_an_id_is_left_out(installed, caplog: pytest.LogCaptureFixture) -> None:
    """Tapping a page without an id led to the error page; now it is not offered at all."""
    store = installed(
        ("INSERT INTO pages SELECT NULL, kind, title, body, 2 FROM pages", ()),
    )
    with caplog.at_level(logging.WARNING):
        pages = store.pages("hotel_room")
    assert [p["id"] for p in pages] == ["hotel-room-guide"]
    (line,) = left_out_lines(caplog)
    assert "pages" in line and "field id" in line


@pytest.mark.parametrize(
    ("bounds", "zooms"),
    [('{"west": 103}', (0, 5)), ("[103, 36, 104]", (0, 5)), ('[103, 36, 104, "north"]', (0, 5)),
     ("[103, 36, 104, 37]", (9, 3)), ("[103, 36, 104, 137]", (0, 5))],
)  # fmt: skip
def test_a_basemap_whose_bounds_or_zooms_are_of_the_wrong_shape_is_left_out(
    bounds: str, zooms: tuple[int, int], installed, caplog: pytest.LogCaptureFixture
) -> None:
    insert = "INSERT INTO basemaps SELECT ?, sha256, 'png', ?, ?, ? FROM media LIMIT 1"
    store = installed((insert, ("good", 0, 5, "[103, 36, 104, 37]")), (insert, ("bad", *zooms, bounds)))
    with caplog.at_level(logging.WARNING):
        assert [b.id for b in store.basemaps()] == ["good"]
    (line,) = left_out_lines(caplog)
    assert "basemaps" in line and "'bad'" in line


def test_meta_language_lists_of_the_wrong_type_fall_back(installed, caplog: pytest.LogCaptureFixture) -> None:
    store = installed(
        ("UPDATE meta SET value = ? WHERE key = 'fallback'", ("[1, 2]",)),
        ("UPDATE meta SET value = ? WHERE key = 'languages'", ('{"en": true}',)),
        ("UPDATE meta SET value = ? WHERE key = 'timezone'", ("Nowhere/Else",)),
    )
    with caplog.at_level(logging.WARNING):
        assert store.fallback() == ["en", "zh-Hans"]
        assert store.languages() == []
        assert store.events_between(SATURDAY, SATURDAY + dt.timedelta(days=1))  # in the kiosk's own zone
    assert {line.split("field ")[1].split()[0] for line in left_out_lines(caplog)} == {
        "fallback",
        "languages",
        "timezone",
    }
