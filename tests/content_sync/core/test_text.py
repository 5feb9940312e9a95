"""Multilingual fallback, plain-text sanitising and opening hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from content_sync.core import hours, i18n
from content_sync.pack.sanitize import sanitize_text

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("texts", "lang", "expected"),
    [
        ({"zh-Hans": "铁桥", "en": "Iron bridge"}, "zh-Hans", ("铁桥", "zh-Hans")),
        ({"zh-Hans": "铁桥", "en": "Iron bridge"}, "zh-Hans-CN", ("铁桥", "zh-Hans")),
        ({"zh-Hans": "铁桥", "en": "Iron bridge"}, "zh", ("铁桥", "zh-Hans")),
        ({"zh-Hans": "铁桥", "en": "Iron bridge"}, "ja", ("Iron bridge", "en")),
        ({"zh-Hans": "铁桥"}, "en", ("铁桥", "zh-Hans")),
        ({"ja": "鉄橋"}, "en", ("鉄橋", "ja")),
        ({"zh-Hans": "铁桥", "en": ""}, "en", ("铁桥", "zh-Hans")),
        ({}, "en", ("", None)),
        ({"EN": "Bridge"}, "en", ("Bridge", "en")),
    ],
)
def test_fallback(texts: dict[str, str], lang: str, expected: tuple[str, str | None]) -> None:
    assert i18n.pick(texts, lang) == expected


def test_tags_and_rtl() -> None:
    assert i18n.canonical_tag("zh_hans_cn") == "zh-Hans-CN"
    assert all(i18n.is_language_tag(t) for t in ("en", "zh-Hans", "zh-Hant-TW", "ar", "sr-Latn-RS", "es-419"))
    assert not any(i18n.is_language_tag(t) for t in ("english", "", "zh-", "<b>", "e"))
    assert i18n.is_rtl("ar") and i18n.is_rtl("ar-EG") and not i18n.is_rtl("en")
    assert i18n.loads('["not", "a", "mapping"]') == {} and i18n.loads("{bad json") == {}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<script>alert(1)</script>Hello", "Hello"),
        ("<img src=x onerror=alert(1)>中山铁桥", "中山铁桥"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;Hi", "Hi"),
        ('<a href="javascript:alert(1)">link</a>', "link"),
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("Tom & Jerry", "Tom & Jerry"),
        ("5 < 6 and 7 > 3", "5 ‹ 6 and 7 › 3"),
        ("text\u202eevil", "textevil"),
        ("a\x00b\x07c", "abc"),
        ("<svg onload=alert(1)><text>x</text></svg>ok", "ok"),
        ("<iframe src=//evil></iframe>ok", "ok"),
        ("<sty<script>le>", "le›"),
    ],
)
def test_sanitize_leaves_no_markup(raw: str, clean: str) -> None:
    out = sanitize_text(raw)
    assert out == clean
    assert "<" not in out and ">" not in out
    assert sanitize_text(out) == out


MUSEUM = {
    "weekly": [{"days": ["tue", "wed", "thu", "fri", "sat", "sun"], "open": "09:00", "close": "17:00",
                "last_entry": "16:00"}],
    "seasons": [{"from": "11-01", "to": "03-31",
                 "weekly": [{"days": ["tue", "wed", "thu", "fri", "sat", "sun"], "open": "09:30", "close": "16:30"}]}],
    "closed_dates": ["2027-02-06"],
}  # fmt: skip
NIGHT_MARKET = {
    "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "open": "18:00", "close": "01:00"}]
}


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def test_open_now_weekly_and_seasons() -> None:
    assert hours.validate_hours(MUSEUM) == []
    summer_tue = hours.open_status(MUSEUM, at(2027, 6, 1, 10, 0), "Asia/Shanghai")
    assert summer_tue.is_open and summer_tue.changes_at == at(2027, 6, 1, 17, 0)
    assert summer_tue.last_entry == at(2027, 6, 1, 16, 0)
    winter_tue = hours.open_status(MUSEUM, at(2026, 11, 24, 16, 45), "Asia/Shanghai")
    assert not winter_tue.is_open  # winter closes at 16:30
    monday = hours.open_status(MUSEUM, at(2026, 11, 23, 12, 0), "Asia/Shanghai")
    assert not monday.is_open and monday.changes_at == at(2026, 11, 24, 9, 30)
    holiday = hours.open_status(MUSEUM, at(2027, 2, 6, 12, 0), "Asia/Shanghai")
    assert not holiday.is_open


def test_open_past_midnight_and_in_another_zone() -> None:
    late = hours.open_status(NIGHT_MARKET, at(2026, 11, 22, 0, 30), "Asia/Shanghai")
    assert late.is_open and late.changes_at == at(2026, 11, 22, 1, 0)
    # 17:30 UTC is 01:30 in Lanzhou: closed, opens at 18:00 local.
    utc = dt.datetime(2026, 11, 21, 17, 30, tzinfo=dt.UTC)
    status = hours.open_status(NIGHT_MARKET, utc, "Asia/Shanghai")
    assert not status.is_open and status.changes_at == at(2026, 11, 22, 18, 0)
    assert hours.open_status({"always_open": True}, utc, "Asia/Shanghai").always_open
    assert hours.open_status(None, utc, "Asia/Shanghai") is None


def test_hours_validation_names_the_field() -> None:
    problems = hours.validate_hours({"weekly": [{"days": ["mon", "funday"], "open": "9am", "close": "25:00"}]})
    assert any("hours.weekly[0].days" in p for p in problems)
    assert any("hours.weekly[0].open" in p for p in problems)
    assert any("hours.weekly[0].close" in p for p in problems)
    assert hours.validate_hours({"always_open": True, "weekly": []})
    assert hours.validate_hours("24/7")
