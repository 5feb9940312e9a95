"""The visitor feedback screen: real taps on the real widgets, recorded in the real outbox."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from content_sync.device.layout import DataDir
from kiosk_app.recorder import Recorder
from kiosk_app.screens.feedback import FeedbackScreen
from kiosk_app.strings import Translator

BRIDGE = "zhongshan-iron-bridge"
PHONE = "13800138000"


def live() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def find(parent: QWidget, name: str, kind: type = QPushButton) -> Any:
    live()
    widget = parent.findChild(kind, name)
    assert widget is not None, name
    return widget


def tap(qtbot, parent: QWidget, name: str) -> None:  # type: ignore[no-untyped-def]
    widget = find(parent, name, QWidget)
    qtbot.waitUntil(widget.isVisible, timeout=2000)  # a widget added to a shown page shows on the next turn
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_keys(qtbot, screen: QWidget, text: str) -> None:  # type: ignore[no-untyped-def]
    for ch in text:
        tap(qtbot, screen, "key-space" if ch == " " else f"key-{ch}")


def feedback_rows(data: DataDir, since: int = 0) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(data.device_db)
    try:
        return conn.execute(
            "SELECT payload, contact FROM outbox WHERE kind = 'feedback' AND id > ? ORDER BY id", (since,)
        ).fetchall()
    finally:
        conn.close()


def last_row(data: DataDir) -> int:
    if not data.device_db.exists():
        return 0
    conn = sqlite3.connect(data.device_db)
    try:
        return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def open_from_venue(kiosk, qtbot) -> FeedbackScreen:  # type: ignore[no-untyped-def]
    kiosk.ctx.session.set_language("en")
    kiosk.nav.go("venue", id=BRIDGE)
    tap(qtbot, kiosk.nav.currentWidget(), "venue-feedback")
    screen = kiosk.nav.currentWidget()
    assert isinstance(screen, FeedbackScreen) and screen.about == f"venue:{BRIDGE}"
    return screen


def test_rating_category_words_and_consented_contact_are_recorded(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    data = kiosk.ctx.content.data
    kiosk.ctx.recorder.wait()
    since = last_row(data)
    screen = open_from_venue(kiosk, qtbot)
    assert "Zhongshan" in find(screen, "feedback-about", QLabel).text()
    tap(qtbot, screen, "feedback-rating-2")
    tap(qtbot, screen, "feedback-category-cleanliness")
    tap(qtbot, screen, "feedback-text")
    type_keys(qtbot, screen, "bins full")
    tap(qtbot, screen, "feedback-consent")  # the phone field appears only now, and takes the keys
    type_keys(qtbot, screen, PHONE)
    assert find(screen, "feedback-rating-2").isChecked() and find(screen, "feedback-category-cleanliness").isChecked()
    tap(qtbot, screen, "feedback-send")
    # "thank you" waits for the commit: not shown while the write is queued
    assert screen.state == "saving" and screen.findChild(QLabel, "feedback-thanks") is None
    qtbot.waitUntil(lambda: screen.findChild(QLabel, "feedback-thanks") is not None, timeout=10_000)
    rows = feedback_rows(data, since)
    assert len(rows) == 1  # on disk by the time the visitor reads "thank you"
    import json

    event, contact = json.loads(rows[0][0]), rows[0][1]
    assert event["id"] == screen.saved_id
    assert event["subject"] == f"venue:{BRIDGE}"
    assert event["data"] == {"rating": 2, "category": "cleanliness", "text": "bins full", "language": "en",
                             "contact_given": True}  # fmt: skip
    assert contact == PHONE and PHONE not in rows[0][0]  # the contact apart from the event
    tap(qtbot, screen, "feedback-done")
    assert kiosk.nav.current_name == "venue"
    kiosk.nav.go("feedback", about=f"venue:{BRIDGE}")  # a fresh form next time
    assert (
        screen.rating is None
        and screen.text == ""
        and find(screen, "feedback-text", QWidget).label.text() != "bins full"
    )


def test_no_contact_is_kept_without_consent(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    data = kiosk.ctx.content.data
    kiosk.ctx.recorder.wait()
    since = last_row(data)
    screen = open_from_venue(kiosk, qtbot)
    assert not find(screen, "feedback-contact", QWidget).isVisible()
    tap(qtbot, screen, "feedback-consent")
    type_keys(qtbot, screen, "0931")
    tap(qtbot, screen, "feedback-consent")  # changed their mind: the number goes with the consent
    assert not find(screen, "feedback-contact", QWidget).isVisible() and screen.contact == ""
    tap(qtbot, screen, "feedback-rating-5")
    tap(qtbot, screen, "feedback-send")
    qtbot.waitUntil(lambda: screen.state == "thanks", timeout=10_000)
    ((payload, contact),) = feedback_rows(data, since)
    assert contact is None and "0931" not in payload


def test_an_empty_form_or_a_missing_number_says_what_is_needed(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    data = kiosk.ctx.content.data
    kiosk.ctx.recorder.wait()
    since = last_row(data)
    screen = open_from_venue(kiosk, qtbot)
    tap(qtbot, screen, "feedback-send")
    message = find(screen, "feedback-message", QLabel)
    assert message.isVisible() and message.text() == Translator("en")("feedback.need_something")
    tap(qtbot, screen, "feedback-category-safety")
    tap(qtbot, screen, "feedback-consent")
    tap(qtbot, screen, "feedback-send")
    assert message.text() == Translator("en")("feedback.contact_missing")
    kiosk.ctx.recorder.wait()
    assert feedback_rows(data, since) == []


def test_idle_reset_forgets_a_half_written_form(kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    screen = open_from_venue(kiosk, qtbot)
    tap(qtbot, screen, "feedback-rating-1")
    tap(qtbot, screen, "feedback-text")
    type_keys(qtbot, screen, "dirty")
    tap(qtbot, screen, "feedback-consent")
    type_keys(qtbot, screen, "12345")
    kiosk.idle.expire_now()
    kiosk.nav.go("feedback", about=f"venue:{BRIDGE}")
    assert (screen.rating, screen.text, screen.contact, screen.consent) == (None, "", "", False)
    assert not find(screen, "feedback-rating-1").isChecked()
    assert find(screen, "feedback-text", QWidget).label.text() == Translator(kiosk.ctx.lang)("feedback.text_hint")


def test_a_failed_write_keeps_the_form_and_never_says_thank_you(kiosk, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "not-a-folder").write_text("a file where the data folder should be")
    moment = dt.datetime(2026, 11, 21, 10, 30, tzinfo=dt.UTC)
    kiosk.ctx.recorder = Recorder(DataDir(tmp_path / "not-a-folder" / "data"), lambda: moment)
    screen = open_from_venue(kiosk, qtbot)
    tap(qtbot, screen, "feedback-rating-3")
    tap(qtbot, screen, "feedback-send")
    qtbot.waitUntil(lambda: screen.state == "form", timeout=10_000)
    assert find(screen, "feedback-message", QLabel).text() == Translator("en")("feedback.failed")
    assert screen.findChild(QLabel, "feedback-thanks") is None and screen.rating == 3
    kiosk.ctx.recorder.close()


@pytest.mark.parametrize(
    ("size", "profile"),
    [
        ((1920, 1080), "station"),
        ((1080, 1920), "scenic_spot"),
        ((1280, 800), "hotel_room"),
        ((1920, 1080), "hotel_lobby"),
    ],
)
def test_feedback_is_reachable_from_home_in_every_layout(make_kiosk, qtbot, tmp_path: Path, size, profile) -> None:  # type: ignore[no-untyped-def]
    from kiosk_app.config import load_config

    (tmp_path / "kiosk.toml").write_text(f'[kiosk]\nprofile = "{profile}"\n', encoding="utf-8")
    kiosk = make_kiosk(size=size, config=load_config(tmp_path / "kiosk.toml"))
    kiosk.nav.go("home")
    tap(qtbot, kiosk.nav.currentWidget(), "home-feedback")
    screen = kiosk.nav.currentWidget()
    assert isinstance(screen, FeedbackScreen) and screen.about == "kiosk"
    for level in range(1, 6):
        face = find(screen, f"feedback-rating-{level}")
        assert face.isVisible() and face.height() >= 72 and face.width() >= 72  # large touch targets
        assert face.word.text()  # a word under each face, not colour alone
    keyboard = find(screen, "keyboard", QWidget)
    assert keyboard.isVisible() and keyboard.geometry().bottom() <= screen.height()


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_the_form_renders_complete_in_english_and_chinese(kiosk, qtbot, tmp_path: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    kiosk.ctx.session.set_language(lang)
    kiosk.nav.go("feedback", about=f"venue:{BRIDGE}")
    screen = kiosk.nav.currentWidget()
    tr = Translator(lang)
    live()
    words = {label.text() for label in screen.findChildren(QLabel)}
    assert {tr("feedback.rating"), tr("feedback.category"), tr("feedback.text"), tr("feedback.rating_5")} <= words
    assert {b.text() for b in screen.findChildren(QPushButton)} >= {tr("feedback.send"), tr("feedback.category_safety")}
    image = kiosk.shell.grab().toImage()
    image.save(str(tmp_path / f"feedback-{lang}.png"))
    assert (tmp_path / f"feedback-{lang}.png").stat().st_size > 20_000
    assert len({image.pixel(x, 300) for x in range(0, image.width(), 8)}) > 3  # drawn, not a blank page
