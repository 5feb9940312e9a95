"""A screen never fails on content: an item whose value surprises is left out, the rest of its section shows.

The whole kiosk runs on the small test pack, installed for real, with one value written straight
into the installed database (as if a check at install had missed it). Every test fails on the
code before row-by-row reading and guarded items: there it was the error page, or a home screen
that silently lost a whole section.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from kiosk_app.screens.base import Screen
from kiosk_app.widgets.common import ScrollPage, grid, text_label
from tests.kiosk.support import finished
from tests.support import edit_installed

MUSEUM = "gansu-provincial-museum"
Statement = tuple[str, Sequence[object]]


@pytest.fixture
def mini_kiosk(make_kiosk, installer: Installer, make_pack, mini_source: Path, data_dir: DataDir) -> Callable[..., Any]:
    """The kiosk on the test pack with every venue featured and ``statements`` written into its database."""

    def make(*statements: Statement, **options: Any) -> Any:
        installer.install(make_pack(mini_source))
        edit_installed(data_dir, ("UPDATE venues SET featured = 1", ()), *statements)
        return make_kiosk(data=data_dir, **options)

    return make


def show(kiosk, qtbot, name: str, **params: object) -> QWidget:  # type: ignore[no-untyped-def]
    kiosk.nav.go(name, **params)
    finished(kiosk, qtbot)
    assert kiosk.nav.current_name == name, "the error page was shown"
    return kiosk.nav.currentWidget()


def names(screen: QWidget, prefix: str) -> set[str]:
    return {w.objectName() for w in screen.findChildren(QWidget) if w.objectName().startswith(prefix)}


def screen_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("kiosk_app")]


VENUE_VALUES = {
    "hours of the wrong shape": ("hours", '{"weekly": [{"days": "every day", "open": "09:00", "close": "17:00"}]}'),
    "an unknown time zone": ("timezone", "Gansu/Nowhere"),
    "an infinite longitude": ("lon", float("inf")),
    "tickets of the wrong shape": ("tickets", '{"label": "free"}'),
    "a ticket price that is text": ("tickets", '[{"label": {"en": "Adult"}, "price_cny": "ten"}]'),
}


@pytest.mark.parametrize("case", VENUE_VALUES)
def test_a_venue_that_surprises_is_left_out_of_home_and_lists_and_the_others_show(
    case: str, mini_kiosk, qtbot, caplog: pytest.LogCaptureFixture
) -> None:
    column, value = VENUE_VALUES[case]
    kiosk = mini_kiosk((f"UPDATE venues SET {column} = ? WHERE id = ?", (value, MUSEUM)))
    with caplog.at_level(logging.WARNING):
        home = show(kiosk, qtbot, "home")
        assert names(home, "venue-") == {"venue-zhongshan-iron-bridge", "venue-night-market"}
        assert names(home, "home-event-")  # the other sections are all there
        assert names(show(kiosk, qtbot, "venues"), "venue-") == {"venue-zhongshan-iron-bridge", "venue-night-market"}
        show(kiosk, qtbot, "venues", open_now=True)
        show(kiosk, qtbot, "hotel_room")
        stops = show(kiosk, qtbot, "route", id="river-walk")
        cards = [w for w in stops.findChildren(QWidget) if re.fullmatch(r"stop-\d+", w.objectName())]
        assert {w.property("venue_id") for w in cards} == {"zhongshan-iron-bridge", "night-market"}
    assert screen_errors(caplog) == []
    left_out = [r.getMessage() for r in caplog.records if "content left out" in r.getMessage()]
    assert len(left_out) == 1 and MUSEUM in left_out[0] and f"field {column}" in left_out[0]


def test_an_event_session_that_is_not_a_date_leaves_the_weekly_shows_on_home_and_events(
    mini_kiosk, qtbot, caplog: pytest.LogCaptureFixture
) -> None:
    kiosk = mini_kiosk(("UPDATE event_sessions SET starts_at = 'New Year''s Eve'", ()))
    with caplog.at_level(logging.WARNING):
        assert names(show(kiosk, qtbot, "home"), "home-event-") == {"home-event-drum-show"}
        assert names(show(kiosk, qtbot, "events", span="week"), "event-drum-show-") == {
            "event-drum-show-20261121T1000", "event-drum-show-20261122T1000"}  # fmt: skip
        show(kiosk, qtbot, "attract")
        show(kiosk, qtbot, "hotel_room")
    assert screen_errors(caplog) == []


def test_an_event_whose_weekly_time_is_not_a_time_leaves_the_other_events(
    mini_kiosk, qtbot, caplog: pytest.LogCaptureFixture
) -> None:
    kiosk = mini_kiosk(
        ("INSERT INTO events SELECT 'tea-talk', title, summary, description, kind, venue_id, heritage_id, price, 2 "
         "FROM events WHERE id = 'drum-show'", ()),
        ("INSERT INTO event_weekly SELECT 'tea-talk', seq, days, '14:00', '15:00', from_date, until_date "
         "FROM event_weekly WHERE event_id = 'drum-show'", ()),
        ("UPDATE event_weekly SET start_time = '10 am' WHERE event_id = 'drum-show'", ()),
    )  # fmt: skip
    with caplog.at_level(logging.WARNING):
        assert names(show(kiosk, qtbot, "home"), "home-event-") == {"home-event-tea-talk"}
        assert names(show(kiosk, qtbot, "events"), "event-") >= {"event-tea-talk-20261121T1400"}
        assert not names(kiosk.nav.currentWidget(), "event-drum-show")
    assert screen_errors(caplog) == []


def test_a_notice_whose_date_is_not_a_date_leaves_the_other_notices_on_home(
    mini_kiosk, qtbot, caplog: pytest.LogCaptureFixture
) -> None:
    kiosk = mini_kiosk(
        ("INSERT INTO notices VALUES ('broken', '{\"en\": \"Broken\"}', '{\"en\": \"x\"}', 'info', 'soon', NULL)", ()),
    )
    kiosk.ctx.session.set_language("en")
    with caplog.at_level(logging.WARNING):
        home = show(kiosk, qtbot, "home")
    notices = [w.text() for w in home.findChildren(QLabel) if w.property("role") == "notice"]
    assert notices == ["Winter opening hours: Some sites close earlier in winter."]
    assert screen_errors(caplog) == []


def test_a_station_with_half_its_coordinates_is_left_out_of_the_hotel_room_and_transport(
    mini_kiosk, qtbot, caplog: pytest.LogCaptureFixture
) -> None:
    kiosk = mini_kiosk(
        ("INSERT INTO transport SELECT 'west-station', kind, name, description, city, 36.07, NULL, to_city_centre, 2 "
         "FROM transport", ()),
    )  # fmt: skip
    with caplog.at_level(logging.WARNING):
        assert names(show(kiosk, qtbot, "hotel_room"), "hub-") - {"hub-hint"} == {"hub-lanzhou-station"}
        assert names(show(kiosk, qtbot, "transport"), "transport-lanzhou") == {"transport-lanzhou-station"}
        assert not names(kiosk.nav.currentWidget(), "transport-west")
    assert screen_errors(caplog) == []


def test_a_page_without_an_id_is_not_offered(mini_kiosk, qtbot, caplog: pytest.LogCaptureFixture) -> None:
    """Before, its card led to the error page."""
    kiosk = mini_kiosk(("INSERT INTO pages SELECT NULL, 'practical', title, body, 2 FROM pages", ()))
    with caplog.at_level(logging.WARNING):
        assert names(show(kiosk, qtbot, "practical"), "page-") == set()
        show(kiosk, qtbot, "hotel_room")
    assert screen_errors(caplog) == []


class ListOfThree(Screen):
    """A list whose middle item raises while it is drawn, whatever the store checked."""

    name = "three"

    def render(self) -> None:
        self.clear_body()
        page = ScrollPage(10, 10)

        def label(n: int) -> QWidget:
            if n == 2:
                raise ValueError("a value the store let through")
            widget = text_label(str(n))
            widget.setObjectName(f"item-{n}")
            return widget

        page.add(grid(self.items("number", [1, 2, 3], label), 3, 10))
        self.section("footer", lambda: 1 / 0)
        page.add(QPushButton("after the footer")).setObjectName("after")
        page.finish()
        self.body.addWidget(page)


def test_an_item_that_raises_while_drawn_is_left_out_not_the_page(
    make_kiosk, qtbot, caplog: pytest.LogCaptureFixture
) -> None:
    kiosk = make_kiosk(extra_screens=(ListOfThree,))
    with caplog.at_level(logging.WARNING):
        screen = show(kiosk, qtbot, "three")
        kiosk.nav.go("home")
        show(kiosk, qtbot, "three")
    assert names(screen, "item-") == {"item-1", "item-3"}
    assert screen.findChild(QPushButton, "after") is not None
    item_lines = [r for r in caplog.records if "left out number 2" in r.getMessage()]
    assert len(item_lines) == 1 and item_lines[0].levelno == logging.WARNING  # once, however often it is drawn
    footer = [r for r in caplog.records if "footer section" in r.getMessage()]
    assert footer and footer[0].levelno == logging.ERROR  # a whole section failing is a bug, said as one
