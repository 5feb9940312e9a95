"""Packs signed by a trusted key with arbitrary values in any column: refused with one line, or shown everywhere.

A signature says who made a pack, not that its values make sense. Hypothesis rewrites cells of
the small test pack's ``content.db`` (any column of any content table, one row or all of them)
with arbitrary values and values that are nearly right (JSON of another shape, dates that are not
dates, hours, bounds, time zones), signs the result with a key the kiosk trusts and installs it
with the real installer. Each pack must either be refused with one clear line (no traceback) or
be installed and then drawn on every screen (attract, home, lists, details, search, map, events,
routes, transport, practical pages, hotel room, operator), in Chinese, English or Arabic, without
the error page and without a screen logging an error.

The kiosk is built once and each pack is switched in as at an idle reset, so a few hundred
examples run in CI; ``HYPOTHESIS_PROFILE=nightly`` runs many more, not derandomised:

    HYPOTHESIS_PROFILE=nightly .venv/bin/python -m pytest -p no:cacheprovider tests/kiosk/test_hostile_values.py
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QLabel, QPushButton

from content_sync.core.errors import KioskError
from content_sync.device.install import Installer
from content_sync.device.layout import DataDir
from content_sync.device.state import DeviceState
from content_sync.pack import schema
from content_sync.pack.signing import SigningKey
from content_sync.store.content_store import ContentStore
from tests.kiosk.support import finished
from tests.support import INSTALLED_AT, MINI_SOURCE, HostilePacks

_COMMON = {
    "database": None,
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
}
PROFILES = {
    "ci": settings(max_examples=300, derandomize=True, **_COMMON),  # type: ignore[arg-type]
    "nightly": settings(max_examples=5000, derandomize=False, **_COMMON),  # type: ignore[arg-type]
}
PROFILE = PROFILES.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), PROFILES["ci"])


# -- the columns: every column of every content table (the derived full-text tables aside) -------


def _columns() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(table, column, declared type, primary key) for every column a pack carries."""
    conn = sqlite3.connect(":memory:")
    conn.executescript(schema.CONTENT_SCHEMA)
    out = []
    for table in (*schema.CONTENT_TABLES, "search_docs"):
        key = tuple(schema.primary_key(conn, table))
        for _cid, name, declared, *_ in conn.execute(f"PRAGMA table_info({table})"):
            out.append((table, name, declared.upper(), key))
    conn.close()
    return out


COLUMNS = _columns()

# -- values ------------------------------------------------------------------------------------

SURPRISES = [
    "", " ", "null", "true", "0", "-1", "{}", "[]", '""', "[1,", "{oops", '{"en": 5}', '{"en": ["a"]}', '{"": ""}',
    "2026-13-45", "2026-11-21", "2026-11-21T10:00:00", "2026-11-21T10:00:00+08:00", "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00", "2026-11-21T10:00:00Z", "24:00", "00:00", "25:99", "9am", "10:5", "mon",
    "Mars/Olympus", "Asia/Shanghai", "UTC", "EST5EDT", "../../etc/passwd", "Asia/", "#zzzzzz", "#1F6FB2", "red",
    "\u202e\u200b\u2066", "<b>x</b>", "&amp;", "a\x00b", "\x1b[2J", "\u0000", "NaN", "Infinity", "1e999",
    '{"en": ' + "[" * 5000 + "]" * 5000 + "}", "[" * 5000 + "]" * 5000,
]  # fmt: skip

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=12),
    st.sampled_from(["mon", "sun", "09:00", "24:00", "25:00", "2026-11-21", "en", "zh-Hans", "Asia/Shanghai"]),
)  # fmt: skip
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
texts = st.one_of(st.text(max_size=16), st.sampled_from(SURPRISES))
tags = st.sampled_from(["en", "zh-Hans", "zh", "ar", "xx-Yyyy-ZZ", "", "EN"]) | st.text(max_size=6)
i18n_values = st.dictionaries(tags, texts | json_values, max_size=3)
day_names = st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun", "Mon", ""]) | json_scalars,
                     max_size=8)  # fmt: skip
times = st.sampled_from(["00:00", "09:00", "17:30", "23:59", "24:00", "25:00", "9:00", "09-00", ""]) | json_scalars
rules = st.fixed_dictionaries(
    {"days": day_names | json_values, "open": times, "close": times},
    optional={"last_entry": times, "extra": json_values},
)
month_days = st.sampled_from(["01-01", "02-29", "13-01", "11-01", "12-31", "03-31"]) | json_scalars
seasons = st.fixed_dictionaries(
    {"from": month_days, "to": month_days, "weekly": st.lists(rules, max_size=2) | json_values},
    optional={"name": i18n_values | json_values},
)
hours_values = st.fixed_dictionaries(
    {},
    optional={
        "always_open": st.booleans() | json_scalars, "weekly": st.lists(rules, max_size=3) | json_values,
        "seasons": st.lists(seasons, max_size=2) | json_values,
        "closed_dates": st.lists(st.sampled_from(["2026-11-21", "2026-02-30"]) | json_scalars, max_size=2),
        "note": i18n_values | json_values,
    },
)  # fmt: skip
numbers = st.one_of(st.integers(-(2**63), 2**63 - 1), st.floats(), st.floats(-200, 200))
JSON_SHAPES: dict[str, st.SearchStrategy[Any]] = {
    "hours": hours_values,
    "tickets": st.lists(st.fixed_dictionaries({}, optional={"label": i18n_values | json_values,
                                                            "price_cny": numbers | json_scalars,
                                                            "note": i18n_values | json_values}), max_size=3),
    "accessibility": st.dictionaries(st.sampled_from(["step_free", "lift", "note", "x"]), json_values | i18n_values),
    "contact": st.dictionaries(st.sampled_from(["phone", "website"]), json_values),
    "aliases": st.dictionaries(st.sampled_from(["en", "zh-Hans", "x"]), st.lists(texts) | json_values),
    "tags": st.lists(texts | json_scalars, max_size=3),
    "days": day_names,
    "bounds": st.lists(numbers | json_scalars, max_size=6),
}  # fmt: skip


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


@st.composite
def cell_values(draw: st.DrawFn, table: str, column: str, declared: str) -> object:
    """Mostly a value of the column's kind but wrong in content; sometimes anything at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(
            st.one_of(st.none(), numbers, st.text(max_size=20), st.binary(max_size=8), st.sampled_from(SURPRISES))
        )
    if column in schema.I18N_COLUMNS.get(table, ()):
        return dumps(draw(i18n_values | st.dictionaries(st.text(max_size=8), json_values, max_size=3)))
    if column in schema.JSON_COLUMNS.get(table, ()):
        return draw(st.one_of(JSON_SHAPES[column].map(dumps), json_values.map(dumps), st.sampled_from(SURPRISES)))
    if declared == "INTEGER":
        return draw(st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-5, 100_000), st.none()))
    if declared == "REAL":
        return draw(st.one_of(numbers, st.none()))
    return draw(st.one_of(texts, st.none()))


@st.composite
def edits(draw: st.DrawFn) -> list[tuple[str, tuple[object, ...]]]:
    """One to four cells rewritten, each in one row (by key order) or in every row of its table."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        table, column, declared, key = draw(st.sampled_from(COLUMNS))
        value = draw(cell_values(table, column, declared))
        which = draw(st.sampled_from(["all", 0, 1, 2]))
        sql = f"UPDATE {table} SET {column} = ?"
        if which != "all":
            cols = ", ".join(key)
            sql += f" WHERE ({cols}) IN (SELECT {cols} FROM {table} ORDER BY {cols} LIMIT 1 OFFSET {which})"
        out.append((sql, (value,)))
    return out


def apply(conn: sqlite3.Connection, statements: list[tuple[str, tuple[object, ...]]]) -> None:
    """As a publisher's tool would write them; what SQLite itself cannot store is not a pack."""
    for sql, params in statements:
        with contextlib.suppress(sqlite3.IntegrityError, sqlite3.ProgrammingError, OverflowError, UnicodeEncodeError):
            conn.execute(sql, params)


# -- the kiosk, built once ---------------------------------------------------------------------


@pytest.fixture
def hostile(tmp_path: Path, make_kiosk, signing_key: SigningKey) -> Iterator[tuple[Any, Installer, HostilePacks]]:
    """A kiosk trusting ``signing_key``, built once on the test pack; each example installs a new version."""
    data = DataDir(tmp_path / "kiosk-data")
    data.root.mkdir()
    with DeviceState(data.device_db) as device:
        device.trust(signing_key.public)
    packs = HostilePacks.from_source(MINI_SOURCE, signing_key, tmp_path / "packs")
    installer = Installer(data, [signing_key.public], "stable", clock=lambda: INSTALLED_AT)
    installer.install(packs.make())
    kiosk = make_kiosk(data=data)
    yield kiosk, installer, packs


def live() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def visit(kiosk, qtbot, name: str, **params: object) -> None:  # type: ignore[no-untyped-def]
    kiosk.nav.go(name, **params)
    finished(kiosk, qtbot)
    assert kiosk.nav.current == (name, params), f"{name} {params} showed the error page"


def every_screen(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Every screen a visitor (and staff) can reach, on whatever content is installed."""
    store: ContentStore = kiosk.ctx.store
    qtbot.waitUntil(lambda: kiosk.nav.current_name == "attract", timeout=5000)
    attract = kiosk.nav.currentWidget()
    while attract._build_next():  # every slide of the loop, not only the first
        pass
    visit(kiosk, qtbot, "home")
    visit(kiosk, qtbot, "venues")
    visit(kiosk, qtbot, "venues", open_now=True)
    for theme in kiosk.ctx.content.themes[:2]:
        visit(kiosk, qtbot, "venues", theme=theme["id"])
    for venue in store.venues()[:3]:
        visit(kiosk, qtbot, "venue", id=venue.id)
    visit(kiosk, qtbot, "routes")
    for route in store.routes()[:2]:
        visit(kiosk, qtbot, "route", id=route.id)
    visit(kiosk, qtbot, "events")
    visit(kiosk, qtbot, "events", span="week")
    visit(kiosk, qtbot, "transport")
    visit(kiosk, qtbot, "practical")
    for page in store.pages()[:2]:
        visit(kiosk, qtbot, "page", id=page["id"])
    visit(kiosk, qtbot, "hotel_room")
    visit(kiosk, qtbot, "map")
    visit(kiosk, qtbot, "search")
    search = kiosk.nav.currentWidget()
    for key in "lan":
        live()
        qtbot.mouseClick(search.findChild(QPushButton, f"key-{key}"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: search.results_for == "lan", timeout=5000)
    kiosk.ctx.session.staff_access = True
    visit(kiosk, qtbot, "operator")
    operator = kiosk.nav.currentWidget()
    qtbot.waitUntil(lambda: operator.findChild(QLabel, "operator-outbox").text() != "…", timeout=5000)
    visit(kiosk, qtbot, "home")


def test_the_first_pack_is_shown_on_every_screen(hostile, qtbot, caplog: pytest.LogCaptureFixture) -> None:
    """The walk itself, on content nobody tampered with: it reaches every screen."""
    kiosk, _, _ = hostile
    with caplog.at_level(logging.WARNING):
        every_screen(kiosk, qtbot)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@PROFILE
@given(statements=edits(), language=st.sampled_from(["zh-Hans", "en", "ar"]))
def test_a_trusted_pack_with_any_values_is_refused_in_one_line_or_shown_on_every_screen(
    hostile, qtbot, caplog: pytest.LogCaptureFixture, statements: list[tuple[str, tuple[object, ...]]], language: str
) -> None:
    kiosk, installer, packs = hostile
    pack = packs.make(edit=lambda conn: apply(conn, statements))
    try:
        installer.install(pack)
    except KioskError as exc:
        event("refused at install")
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        assert message.isprintable(), message  # nothing from the pack reaches a terminal raw
        return
    event("installed and shown")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        kiosk.shell.reset_session()  # the new content is switched in between visitors
        assert kiosk.ctx.store.content_version == packs.version
        kiosk.ctx.session.set_language(language)  # Arabic: right to left, and a language the pack lacks
        every_screen(kiosk, qtbot)
    # No error from any screen; and nothing the store let through needed a screen's own guard
    # (``Screen.items``): what a screen cannot draw, the store has already left out.
    problems = [f"{r.name}: {r.getMessage()}" for r in caplog.records
                if r.levelno >= logging.ERROR or "could not be drawn" in r.getMessage()]  # fmt: skip
    assert problems == []
