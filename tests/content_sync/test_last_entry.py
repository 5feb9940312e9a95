"""Honest "open now" (last entry), step-free places, near events first, translated credits, and
demo notices that agree with the venues' hours: the library's side of issue 14 items 4 and 10.

Every moment is given (no wall clock): the demo's Saturday 21 November 2026 in Lanzhou.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from content_sync.core import hours
from content_sync.device.layout import DataDir
from content_sync.store.content_store import ContentStore

SH = ZoneInfo("Asia/Shanghai")
DEMO = Path(__file__).resolve().parents[2] / "assets" / "demo-pack"
MUSEUM = "gansu-provincial-museum"  # Tue-Sun 09:00-17:00, last entry 16:00
LANZHOU_STATION = (36.0325, 103.8460)  # the kiosk's default location
TIANSHUI_STATION = (34.5685, 105.8940)  # Tianshui Railway Station, from the demo's transport


def saturday(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 21, hour, minute, tzinfo=SH)


@pytest.fixture
def store(demo_data: DataDir) -> Iterator[ContentStore]:
    with ContentStore.open(demo_data) as opened:
        yield opened


# -- last entry ---------------------------------------------------------------------------------


def test_past_last_entry_is_closed_and_says_when_entry_ended(store: ContentStore) -> None:
    museum = store.venue(MUSEUM)
    assert museum is not None
    at_last_entry = museum.open_status(saturday(16, 0))
    assert at_last_entry is not None and at_last_entry.is_open  # 16:00 itself still lets you in
    late = museum.open_status(saturday(16, 30))
    assert late is not None and not late.is_open and late.entry_closed
    assert late.last_entry == saturday(16, 0) and late.closes_at == saturday(17, 0)
    assert late.changes_at == dt.datetime(2026, 11, 22, 9, 0, tzinfo=SH)  # opens again Sunday
    after_close = museum.open_status(saturday(17, 30))
    assert after_close is not None and not after_close.is_open and not after_close.entry_closed


def test_last_entry_is_read_in_the_venues_zone_whatever_the_callers() -> None:
    rules = {"weekly": [{"days": ["sat"], "open": "09:00", "close": "17:00", "last_entry": "16:00"}]}
    # 08:30 UTC is 16:30 in Lanzhou; the same instant seen from Los Angeles is Saturday 00:30 there.
    instant = dt.datetime(2026, 11, 21, 8, 30, tzinfo=dt.UTC).astimezone(ZoneInfo("America/Los_Angeles"))
    status = hours.open_status(rules, instant, "Asia/Shanghai")
    assert status is not None and not status.is_open and status.entry_closed


def test_open_now_filter_leaves_out_a_place_past_its_last_entry(store: ContentStore) -> None:
    assert MUSEUM in {v.id for v in store.venues(open_at=saturday(15, 30))}
    assert MUSEUM not in {v.id for v in store.venues(open_at=saturday(16, 30))}


# -- step-free ----------------------------------------------------------------------------------


def test_every_demo_place_says_whether_it_is_step_free(store: ContentStore) -> None:
    venues = store.venues()
    assert len(venues) == 44
    unknown = [v.id for v in venues if not isinstance(v.accessibility.get("step_free"), bool)]
    assert unknown == []
    assert all(v.accessibility.get("note") for v in venues)  # and what a visitor needs to know


def test_step_free_filter_keeps_only_step_free_places(store: ContentStore) -> None:
    step_free = store.venues(step_free=True)
    assert step_free and all(v.accessibility["step_free"] is True for v in step_free)
    assert {v.id for v in step_free} == {v.id for v in store.venues() if v.accessibility.get("step_free") is True}
    assert len(step_free) < len(store.venues())


# -- events near the kiosk first ---------------------------------------------------------------


def _cities(store: ContentStore, near: tuple[float, float] | None) -> list[str | None]:
    venue_city = {v.id: v.city for v in store.venues()}
    occurrences = store.events_between(saturday(10, 30), saturday(23, 59), near=near)
    return [venue_city.get(o.venue_id) if o.venue_id else None for o in occurrences]


def test_a_tianshui_station_kiosk_leads_with_tianshui_events(store: ContentStore) -> None:
    assert store.city_at(*TIANSHUI_STATION) == "tianshui" and store.city_at(*LANZHOU_STATION) == "lanzhou"
    cities = _cities(store, TIANSHUI_STATION)
    assert "lanzhou" in cities and cities[0] == "tianshui"
    assert cities.index("lanzhou") > max(i for i, c in enumerate(cities) if c == "tianshui")


def test_a_lanzhou_kiosk_leads_with_lanzhou_events(store: ContentStore) -> None:
    # Earliest first, wherever: a Lanzhou kiosk used to lead with an exhibition 234 km away.
    assert _cities(store, None)[0] == "tianshui"
    cities = _cities(store, LANZHOU_STATION)
    assert cities[0] == "lanzhou" and "tianshui" in cities
    assert cities.index("tianshui") > max(i for i, c in enumerate(cities) if c == "lanzhou")


def test_a_kiosk_far_from_every_place_keeps_time_order(store: ContentStore) -> None:
    far = store.events_between(saturday(10, 30), saturday(23, 59), near=(0.0, 0.0))
    assert far == store.events_between(saturday(10, 30), saturday(23, 59))


# -- credits --------------------------------------------------------------------------------------


def test_demo_image_credits_are_translated(store: ContentStore) -> None:
    museum = store.venue(MUSEUM)
    assert museum is not None and museum.images
    credit = museum.images[0].credit
    assert credit["zh-Hans"] == "为本项目绘制的插画" and credit["en"] == "Illustration drawn for this project"


# -- the demo's notices agree with its venues' hours --------------------------------------------

MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december")  # fmt: skip


def _demo(folder: str) -> list[dict]:
    records: list[dict] = []
    for path in sorted((DEMO / folder).glob("*.yaml")):
        records += yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return records


def _months(text: str, lang: str) -> list[int]:
    if lang == "en":
        return [MONTHS_EN.index(m.lower()) + 1 for m in re.findall(r"\b(" + "|".join(MONTHS_EN) + r")\b", text, re.I)]
    return [int(m) for m in re.findall(r"([0-9]{1,2})月", text)]


def _spans(text: str) -> set[tuple[str, str]]:
    """Every "08:30-17:00" (or "8:30—17:00") span, as zero-padded times."""
    found = re.findall(r"([0-9]{1,2}:[0-9]{2})\s*[-–—~至]\s*([0-9]{1,2}:[0-9]{2})", text)
    return {(a.zfill(5), b.zfill(5)) for a, b in found}


def test_demo_notices_and_pages_agree_with_the_venues_hours() -> None:
    """A notice or page that names a place and states a season's first month or hours says what
    that place's structured hours say (a home notice once put winter in November while
    Maijishan's data starts it on 1 December)."""
    venues = _demo("venues")
    texts = [(n["id"], n.get("body") or {}) for n in _demo("notices")]
    texts += [(p["id"], p.get("body") or {}) for p in _demo("pages")]
    checked = 0
    for ident, body in texts:
        for lang in ("en", "zh-Hans"):
            text = body.get(lang, "")
            for venue in venues:
                name = venue["name"][lang]
                short = name.removesuffix(" Grottoes").removesuffix("石窟")
                if short not in text:
                    continue
                schedule = venue.get("hours") or {}
                seasons = schedule.get("seasons") or []
                intervals = {(r["open"], r["close"]) for s in [schedule, *seasons] for r in s.get("weekly", [])}
                for span in _spans(text):
                    assert span in intervals, f"{ident} [{lang}] says {venue['id']} opens {span}; data: {intervals}"
                    checked += 1
                months = _months(text, lang)
                if seasons and months:
                    starts = {int(s["from"][:2]) for s in seasons}
                    assert months[0] in starts, (
                        f"{ident} [{lang}] starts the season in month {months[0]}; {venue['id']} in {starts}"
                    )
                    checked += 1
    assert checked >= 4  # the winter notice, in both languages, was read
    # And a place's own hours note that spells out times ("08:30-17:30 from December") gives
    # times its structured hours have.
    for venue in venues:
        schedule = venue.get("hours") or {}
        intervals = {(r["open"], r["close"]) for s in [schedule, *(schedule.get("seasons") or [])]
                     for r in s.get("weekly", [])}  # fmt: skip
        for lang, text in (schedule.get("note") or {}).items():
            for span in _spans(text):
                assert span in intervals, f"{venue['id']} note [{lang}] says {span}; data: {intervals}"
