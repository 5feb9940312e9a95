"""The kiosk records what visitors use into the outbox: real taps, real widgets, a real device database."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from content_sync.device.layout import DataDir
from kiosk_app.narration import NarrationItem
from kiosk_app.recorder import Recorder
from kiosk_app.screens.search import SearchScreen

from .support import DEMO_NOW

BRIDGE = "zhongshan-iron-bridge"


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


def recorded_since(kiosk, since: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The events the kiosk wrote after row ``since`` (the demo data is shared by the session's tests)."""
    assert kiosk.ctx.recorder.wait(10_000)
    conn = sqlite3.connect(kiosk.ctx.content.data.device_db)
    try:
        rows = conn.execute("SELECT payload FROM outbox WHERE id > ? ORDER BY id", (since,)).fetchall()
    finally:
        conn.close()
    return [json.loads(payload) for (payload,) in rows]


def test_a_visit_is_recorded_screen_by_screen(make_kiosk, qtbot) -> None:  # type: ignore[no-untyped-def]
    kiosk = make_kiosk(extra_screens=(SearchScreen,))
    since = last_row(kiosk.ctx.content.data)
    kiosk.nav.go("home")
    kiosk.ctx.session.set_language("en")  # as the header's language button does
    kiosk.nav.go("venue", id=BRIDGE)
    kiosk.nav.currentWidget().complete()  # the QR codes are a later part of the page
    kiosk.nav.go("search")
    screen = kiosk.nav.currentWidget()
    for letter in "bridge":
        qtbot.mouseClick(screen.findChild(QPushButton, f"key-{letter}"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.results_for == "bridge", timeout=10_000)
    found = len(screen.results or [])
    kiosk.nav.go("home")  # leaving the search counts it, once, with its result count
    events = recorded_since(kiosk, since)
    said = [(e["type"], e["subject"]) for e in events]
    assert ("screen_shown", "home") in said
    assert ("language_chosen", "en") in said
    assert ("item_viewed", f"venue:{BRIDGE}") in said
    assert ("qr_shown", f"venue:{BRIDGE}") in said
    searches = [e for e in events if e["type"] == "search"]
    assert [(e["subject"], e["data"]["results"]) for e in searches] == [("bridge", found)] and found > 0
    assert all(e["kind"] == "usage" and len(e["id"]) == 32 for e in events)
    assert len({e["id"] for e in events}) == len(events)
    # the idle reset ends the visit; the return to the default language is not a visitor's choice
    since = last_row(kiosk.ctx.content.data)
    kiosk.idle.expire_now()
    after_reset = recorded_since(kiosk, since)
    assert [(e["type"], e["subject"]) for e in after_reset] == [("visit_ended", "")]
    assert after_reset[0]["data"]["screens"] >= 4


def test_writes_happen_off_the_gui_thread_in_order(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    now = [dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))]
    recorder = Recorder(DataDir(tmp_path), lambda: now[0], idle_s=100)
    threads: set[int] = set()
    original = recorder.outbox

    def outbox():  # type: ignore[no-untyped-def]
        threads.add(threading.get_ident())
        return original()

    recorder.outbox = outbox  # type: ignore[method-assign]
    recorder.screen_shown("home", {})
    now[0] += dt.timedelta(minutes=5)
    recorder.screen_shown("venue", {"id": "a"})
    now[0] += dt.timedelta(minutes=3)
    recorder.visit_ended()
    assert recorder.wait()
    assert threading.get_ident() not in threads and threads
    events = recorder.outbox().pending()
    assert [e["type"] for e in events] == ["screen_shown", "screen_shown", "item_viewed", "visit_ended"]
    assert events[0]["at"] < events[1]["at"]  # each keeps the moment it happened
    assert events[-1]["data"] == {"seconds": 8 * 60 - 100, "screens": 2}
    recorder.close()


def test_a_heartbeat_says_how_the_kiosk_is(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    moment = dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))
    recorder = Recorder(DataDir(tmp_path), lambda: moment, content_version=lambda: 7)
    recorder.beat()
    assert recorder.wait()
    (beat,) = recorder.outbox().pending("heartbeat")
    assert beat["data"]["content_version"] == 7 and beat["data"]["software_version"]
    assert beat["data"]["device_id"] == recorder.outbox().device_id
    recorder.close()


def test_a_kiosk_with_a_platform_sends_at_each_heartbeat(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from ..platform_double import Platform

    platform = Platform()
    try:
        moment = dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))
        recorder = Recorder(DataDir(tmp_path), lambda: moment, send_url=platform.url, send_token="kiosk-7-token")
        recorder.screen_shown("home", {})
        recorder.beat()
        assert recorder.wait()
        assert recorder.outbox().waiting() == 0
        kinds = sorted(e["kind"] for e in platform.events.values())
        assert kinds == ["heartbeat", "usage"]
        assert platform.requests[0]["auth"] == "Bearer kiosk-7-token"
        recorder.close()
    finally:
        platform.close()


def test_a_narration_played_to_its_end_is_counted_started_and_finished(kiosk, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from .test_narration import WAIT, espeak_wav

    since = last_row(kiosk.ctx.content.data)
    recording = espeak_wav(tmp_path / "bridge.wav", "The iron bridge.")
    player = kiosk.ctx.narration
    player.play(NarrationItem(f"venue:{BRIDGE}", "Bridge", "The iron bridge.", "en", recording))
    qtbot.waitUntil(lambda: player.media.position() > 0, timeout=WAIT)
    qtbot.waitUntil(lambda: player.current is None, timeout=WAIT)  # the end of the file
    said = [(e["type"], e["subject"], e["data"]) for e in recorded_since(kiosk, since)]
    assert said == [
        ("narration_started", f"venue:{BRIDGE}", {"language": "en"}),
        ("narration_finished", f"venue:{BRIDGE}", {"language": "en"}),
    ]
