"""The kiosk's sync agent against a real nginx channel: cycles in the background, the switch at
the next idle moment, the operator's channel card and "sync now", and a kiosk whose server is
down starting and showing its content anyway.

Channels, packs and provisioned data directories come from the sync wing's harness
(``tests/content_sync/sync/agent_harness.py``); the kiosk is the whole app (``make_kiosk``).
The agent keeps the kiosk's wiring; only its clock (the channel's fake clock) and downloader
(recorded sleeps) are the test's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QPushButton

from content_sync.device.install import Installer
from content_sync.pack.signing import SigningKey
from content_sync.sync.agent import run_cycle
from content_sync.sync.fetch import Fetcher, FetchPolicy
from content_sync.sync.publish import publish_pack
from kiosk_app.config import load_config
from kiosk_app.strings import Translator
from kiosk_app.sync_agent import MAX_TIMER_WAIT_S, apply_config

from ..content_sync.sync.agent_harness import LANZHOU, NEW_TEXT, VENUE, change_venue_text, installed, make_channel
from ..content_sync.sync.agent_harness import fetcher as harness_fetcher
from ..content_sync.sync.nginx_server import NginxServer, _free_port
from ..content_sync.sync.test_fetch_faults import Waits

NONE = Translator("en")("operator.none")
SHOTS = Path(os.environ.get("KIOSK_SYNC_SHOTS", "")) if os.environ.get("KIOSK_SYNC_SHOTS") else None


class ThreadRecordingFetcher(Fetcher):
    """The kiosk's downloader, noting the thread of every request (the tests assert it is never the GUI's)."""

    threads: set[int]

    def fetch_into(self, url: str, fh: Any, *, max_length: int) -> Any:
        self.threads.add(threading.get_ident())
        return super().fetch_into(url, fh, max_length=max_length)

    def download(self, url: str, dest: Path, **kwargs: Any) -> Any:  # type: ignore[override]
        self.threads.add(threading.get_ident())
        return super().download(url, dest, **kwargs)


def recording_fetcher(clock: Callable[[], Any]) -> ThreadRecordingFetcher:
    import random

    fetch = ThreadRecordingFetcher(
        FetchPolicy(stall_timeout=5.0, connect_timeout=5.0), sleep=Waits(), rng=random.Random(3), now=clock
    )
    fetch.threads = set()
    return fetch


def child(widget: Any, cls: type, name: str) -> Any:
    return widget.findChild(cls, name)


def use_channel_clock(kiosk: Any, channel: Any, made: list[ThreadRecordingFetcher]) -> None:
    """The wired agent, on the channel's fake clock and a downloader with recorded sleeps."""

    def make() -> ThreadRecordingFetcher:
        fetch = recording_fetcher(channel.clock)
        made.append(fetch)
        return fetch

    kiosk.sync.clock = channel.clock
    kiosk.sync.make_fetcher = make


def open_operator(kiosk: Any, qtbot: Any) -> Any:
    kiosk.ctx.session.staff_access = True  # as the PIN pad does after a correct PIN
    kiosk.nav.go("operator", remember=False)
    page = kiosk.nav.currentWidget()
    # The sync state is read off the GUI thread; the values replace "…" when it arrives.
    qtbot.waitUntil(lambda: child(page, QLabel, "operator-sync-url").text() != "…", timeout=10_000)
    return page


def read(page: Any) -> bool:
    """The channel card is built and its values have arrived from the worker."""
    url = child(page, QLabel, "operator-sync-url")
    return url is not None and url.text() != "…"


def shoot(kiosk: Any, qtbot: Any, page: Any, stem: str) -> None:
    """The channel card as PNG in English and Chinese (only with KIOSK_SYNC_SHOTS=folder), to look at."""
    if SHOTS is None:
        return
    from kiosk_app.widgets.common import Card

    SHOTS.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "zh-Hans"):
        kiosk.ctx.session.set_language(lang)
        page = kiosk.nav.currentWidget()
        qtbot.waitUntil(lambda page=page: read(page), timeout=10_000)
        kiosk.ctx.tasks.wait(5000)
        qtbot.wait(50)
        card = child(page, QLabel, "operator-sync-url")
        while card is not None and not isinstance(card, Card):
            card = card.parentWidget()
        assert card is not None
        card.grab().save(str(SHOTS / f"{stem}-{lang}.png"))
    kiosk.ctx.session.set_language("en")


@pytest.fixture
def v1_v2(mini_source: Path, make_pack: Callable[..., Path]) -> tuple[Path, Path]:
    v1 = make_pack(mini_source, version=1)
    change_venue_text(mini_source)
    return v1, make_pack(mini_source, version=2)


def test_a_provisioned_kiosk_syncs_v2_behind_a_visitor_and_switches_it_in_at_the_idle_reset(
    make_kiosk: Any, qtbot: Any, tmp_path: Path, v1_v2: tuple[Path, Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    v1, v2 = v1_v2
    with NginxServer(channel.dir) as server:
        data = channel.kiosk("kiosk-a", server.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
        assert run_cycle(data, clock=channel.clock, fetcher=harness_fetcher(channel.clock)).outcome == "installed"
        kiosk = make_kiosk(data=data)
        made: list[ThreadRecordingFetcher] = []
        use_channel_clock(kiosk, channel, made)
        kiosk.ctx.session.set_language("en")
        kiosk.nav.go("venue", id=VENUE)  # a visitor reads the bridge's page
        page = kiosk.nav.currentWidget()
        before = [label.text() for label in page.findChildren(QLabel)]
        assert NEW_TEXT not in " ".join(before)

        publish_pack(channel.repo, LANZHOU, v2, [signing_key.public])
        channel.clock.advance(minutes=20)
        with qtbot.waitSignal(kiosk.sync.finished, timeout=60_000) as done:
            kiosk.sync.start(delay_s=0)
        result = done.args[0]
        assert result.outcome == "installed", result.message
        assert installed(data)[0] == 2  # on disk: the new version is installed ...
        # ... but the visitor's screen is untouched: same page, same version, same words.
        assert kiosk.nav.current_name == "venue" and kiosk.nav.currentWidget() is page
        assert kiosk.ctx.store.content_version == 1
        assert [label.text() for label in page.findChildren(QLabel)] == before

        # Every request and the cycle itself ran on the agent's worker, never on the GUI thread.
        gui = threading.get_ident()
        assert made and all(f.threads for f in made)
        assert gui not in set().union(*(f.threads for f in made))
        assert kiosk.sync.worker_threads and gui not in kiosk.sync.worker_threads
        # The next cycle is armed on the schedule (not now: all is well, the device's own slot).
        assert kiosk.sync.due is not None and kiosk.sync.due > channel.clock()
        timer = kiosk.sync._timer  # one wait is capped, so a corrected device clock is noticed within minutes
        assert timer.isActive() and 0 < timer.interval() <= MAX_TIMER_WAIT_S * 1000

        kiosk.idle.expire_now()  # the visitor walked away: the idle reset
        assert kiosk.ctx.store.content_version == 2
        assert kiosk.nav.current_name == "attract"
        kiosk.ctx.session.set_language("en")  # the next visitor reads English
        kiosk.nav.go("venue", id=VENUE)
        qtbot.waitUntil(
            lambda: NEW_TEXT in " ".join(lb.text() for lb in kiosk.nav.currentWidget().findChildren(QLabel)),
            timeout=5000,
        )
        kiosk.sync.stop()


def test_a_version_installed_while_the_attract_loop_shows_is_switched_in_at_once(
    make_kiosk: Any, qtbot: Any, tmp_path: Path, v1_v2: tuple[Path, Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    v1, v2 = v1_v2
    with NginxServer(channel.dir) as server:
        data = channel.kiosk("kiosk-b", server.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
        assert run_cycle(data, clock=channel.clock, fetcher=harness_fetcher(channel.clock)).outcome == "installed"
        kiosk = make_kiosk(data=data)
        use_channel_clock(kiosk, channel, [])
        assert kiosk.nav.current_name == "attract"  # nobody at the screen
        publish_pack(channel.repo, LANZHOU, v2, [signing_key.public])
        with qtbot.waitSignal(kiosk.sync.finished, timeout=60_000):
            assert kiosk.sync.sync_now()
            assert not kiosk.sync.sync_now()  # one cycle at a time
        assert kiosk.ctx.store.content_version == 2 and kiosk.nav.current_name == "attract"
        kiosk.sync.stop()


def test_the_operator_sees_the_channel_and_sync_now_installs_the_new_version(
    make_kiosk: Any, qtbot: Any, tmp_path: Path, v1_v2: tuple[Path, Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    v1, v2 = v1_v2
    with NginxServer(channel.dir) as server:
        data = channel.kiosk("kiosk-c", server.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
        first = run_cycle(data, clock=channel.clock, fetcher=harness_fetcher(channel.clock))
        assert first.outcome == "installed"
        kiosk = make_kiosk(data=data)
        use_channel_clock(kiosk, channel, [])
        kiosk.ctx.session.set_language("en")
        page = open_operator(kiosk, qtbot)
        assert child(page, QLabel, "operator-sync-url").text() == server.url
        assert child(page, QLabel, "operator-sync-group").text() == LANZHOU
        assert child(page, QLabel, "operator-sync-last-error").text() == "No errors"  # not the word "None"
        assert child(page, QLabel, "operator-sync-last-check").text() != "never"
        assert child(page, QLabel, "operator-sync-bytes").text().endswith("in all")

        publish_pack(channel.repo, LANZHOU, v2, [signing_key.public])
        channel.clock.advance(minutes=5)
        sync_now = child(page, QPushButton, "operator-sync-now")
        with qtbot.waitSignal(kiosk.sync.finished, timeout=60_000):
            sync_now.click()
            assert not sync_now.isEnabled()  # running: no second cycle from a second tap
            assert child(page, QLabel, "operator-sync-progress").text() == "Checking the channel…"
        progress = child(page, QLabel, "operator-sync-progress").text()
        assert progress.startswith("Done: installed content version 2"), progress
        assert sync_now.isEnabled()
        # The card is read again: the new version waits for the idle reset, bytes moved are counted.
        qtbot.waitUntil(lambda: child(page, QLabel, "operator-sync-pending") is not None, timeout=10_000)
        assert "Content version 2 is installed" in child(page, QLabel, "operator-sync-pending").text()
        bytes_text = child(page, QLabel, "operator-sync-bytes").text()
        assert " kB last check" in bytes_text or " MB last check" in bytes_text, bytes_text
        assert kiosk.ctx.store.content_version == 1  # the operator's page is not an idle moment
        shoot(kiosk, qtbot, page, "operator-sync-installed")
        kiosk.sync.stop()


def test_with_the_server_down_the_kiosk_starts_shows_content_and_the_operator_reads_the_error(
    make_kiosk: Any, qtbot: Any, tmp_path: Path, v1_v2: tuple[Path, Path], signing_key: SigningKey
) -> None:
    channel = make_channel(tmp_path)
    v1, _ = v1_v2
    dead = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    data = channel.kiosk("kiosk-d", dead, LANZHOU, signing_key)
    Installer(data, [signing_key.public], "stable", clock=channel.clock).install(v1)
    kiosk = make_kiosk(data=data)
    use_channel_clock(kiosk, channel, [])
    kiosk.ctx.session.set_language("en")
    # The kiosk is up and shows its content before the agent has even looked at the channel.
    assert kiosk.sync.last is None and not kiosk.sync.running
    kiosk.nav.go("venue", id=VENUE)
    assert kiosk.ctx.store.venue(VENUE) is not None and kiosk.nav.current_name == "venue"

    with qtbot.waitSignal(kiosk.sync.finished, timeout=60_000) as done:
        kiosk.sync.start(delay_s=0)
    result = done.args[0]
    assert result.outcome == "failed" and result.message.startswith("channel unreachable"), result.message
    assert kiosk.ctx.store.content_version == 1 and kiosk.nav.current_name == "venue"
    # After a failure the agent backs off instead of trying again at once.
    assert kiosk.sync.due is not None and (kiosk.sync.due - channel.clock()).total_seconds() >= 30

    page = open_operator(kiosk, qtbot)
    error = child(page, QLabel, "operator-sync-last-error").text()
    assert error.startswith("channel unreachable") and "\n" not in error and "Traceback" not in error
    assert child(page, QLabel, "operator-sync-last-success").text() == "never"
    shoot(kiosk, qtbot, page, "operator-sync-server-down")
    kiosk.sync.stop()


def test_the_operator_sees_stale_since_and_a_wrong_device_clock_in_words(
    make_kiosk: Any, qtbot: Any, tmp_path: Path, v1_v2: tuple[Path, Path], signing_key: SigningKey
) -> None:
    import datetime as dt

    channel = make_channel(tmp_path)
    v1, v2 = v1_v2
    with NginxServer(channel.dir) as server:
        data = channel.kiosk("kiosk-s", server.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
        assert run_cycle(data, clock=channel.clock, fetcher=harness_fetcher(channel.clock)).outcome == "installed"
        publish_pack(channel.repo, LANZHOU, v2, [signing_key.public])
        expiry = channel.repo.timestamp().expires
        channel.clock.advance(days=2)  # no cron re-signed the timestamp
        kiosk = make_kiosk(data=data)
        use_channel_clock(kiosk, channel, [])
        kiosk.ctx.session.set_language("en")
        page = open_operator(kiosk, qtbot)
        with qtbot.waitSignal(kiosk.sync.finished, timeout=60_000) as done:
            child(page, QPushButton, "operator-sync-now").click()
        assert done.args[0].outcome == "stale"
        qtbot.waitUntil(lambda: child(page, QLabel, "operator-sync-stale") is not None, timeout=10_000)
        local = expiry.astimezone(kiosk.ctx.now().tzinfo)
        notice = child(page, QLabel, "operator-sync-stale").text()
        assert notice.startswith(f"Content is stale since {local:%Y-%m-%d %H:%M}"), notice
        assert installed(data)[0] == 1 and kiosk.ctx.store.content_version == 1  # it keeps showing what it has
        shoot(kiosk, qtbot, page, "operator-sync-stale")

        # A kiosk whose clock lost its battery (1970): the operator is told, updates still work.
        channel.repo.refresh_timestamp()
        kiosk.sync.clock = lambda: dt.datetime(1970, 1, 1, 0, 5, tzinfo=dt.UTC)
        with qtbot.waitSignal(kiosk.sync.finished, timeout=60_000) as done:
            child(page, QPushButton, "operator-sync-now").click()
        assert done.args[0].clock_problem, done.args[0]
        qtbot.waitUntil(lambda: child(page, QLabel, "operator-sync-clock") is not None, timeout=10_000)
        assert (
            child(page, QLabel, "operator-sync-clock").text().startswith("Clock warning: device clock reads 1970-01-01")
        )
        shoot(kiosk, qtbot, page, "operator-sync-clock")
        kiosk.sync.stop()


def test_a_kiosk_not_set_up_for_a_channel_runs_no_cycle_and_says_how_to_set_it_up(
    make_kiosk: Any, qtbot: Any, tmp_path: Path, mini_source: Path, make_pack: Callable[..., Path],
    signing_key: SigningKey,
) -> None:  # fmt: skip
    from content_sync.device.layout import DataDir

    data = DataDir(tmp_path / "plain")
    Installer(data, [signing_key.public], "stable", clock=make_channel(tmp_path).clock).install(
        make_pack(mini_source, version=1)
    )
    kiosk = make_kiosk(data=data)
    kiosk.ctx.session.set_language("en")
    kiosk.sync.start(delay_s=0)
    qtbot.waitUntil(lambda: kiosk.sync.provisioning is not None, timeout=10_000)
    assert not kiosk.sync.provisioning.ready and "not set up" in (kiosk.sync.provisioning.problem or "")
    qtbot.wait(100)
    assert kiosk.sync.last is None and not kiosk.sync.running  # no cycle was started
    page = open_operator(kiosk, qtbot)
    qtbot.waitUntil(lambda: child(page, QLabel, "operator-sync-not-set-up") is not None, timeout=10_000)
    assert "kiosk-pack sync-setup" in child(page, QLabel, "operator-sync-not-set-up").text()
    assert child(page, QLabel, "operator-sync-url").text() == NONE
    kiosk.sync.stop()


def test_kiosk_toml_sync_section_provisions_a_fresh_kiosk(tmp_path: Path, signing_key: SigningKey) -> None:
    channel = make_channel(tmp_path)
    data = channel.kiosk("kiosk-e", "http://127.0.0.1:9/", LANZHOU, signing_key)
    toml = tmp_path / "kiosk.toml"
    toml.write_text('[sync]\nurl = "http://cdn.example.org/channel"\ngroup = "tianshui/hotel-room"\n')
    config = load_config(toml)
    assert config.problems == ()
    ready = apply_config(data, config, channel.clock)
    assert ready.ready and ready.url == "http://cdn.example.org/channel" and ready.group == "tianshui/hotel-room"

    fresh = tmp_path / "fresh"
    from content_sync.device.layout import DataDir

    fresh_data = DataDir(fresh)
    toml.write_text(f'[sync]\nurl = "http://cdn.example.org/c"\ngroup = "{LANZHOU}"\nroot = "{channel.root_file}"\n')
    assert apply_config(fresh_data, load_config(toml), channel.clock).ready
    assert (fresh / "sync" / "metadata" / "root.json").read_bytes() == channel.root_file.read_bytes()

    toml.write_text('[sync]\nurl = "http://cdn.example.org/channel/"\ngroup = "lanzhou"\n')
    bad_group = load_config(toml)
    assert [p.split(":")[0] for p in bad_group.problems] == ["sync.group"]  # listed on the operator page
    kept = apply_config(data, bad_group, channel.clock)  # the group stays the one stored
    assert kept.ready and kept.group == "tianshui/hotel-room"

    toml.write_text('[sync]\nurl = "ftp://x"\nenabled = false\n')
    off = load_config(toml)
    assert [p.split(":")[0] for p in off.problems] == ["sync.url"]
    assert not apply_config(data, off, channel.clock).ready


def test_the_start_path_does_not_load_the_sync_library(demo_data: Any) -> None:
    """python-tuf, requests and the sync wing load in the agent's worker, after the first frame."""
    script = (
        "import sys\nfrom pathlib import Path\nfrom PySide6.QtWidgets import QApplication\n"
        "from content_sync.device.layout import DataDir\nfrom kiosk_app.app import build_kiosk\n"
        "from kiosk_app.config import load_config\napp = QApplication([])\n"
        "kiosk = build_kiosk(load_config(None), DataDir(Path(sys.argv[1])))\nkiosk.shell.show()\n"
        "kiosk.nav.go('home')\nprint(' '.join(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", script, str(demo_data.root)], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout.split()  # fmt: skip
    assert "kiosk_app.sync_agent" in out
    assert [m for m in ("tuf", "requests", "content_sync.sync.agent", "securesystemslib") if m in out] == []


def test_a_new_kiosk_waiting_for_content_gets_its_first_pack_from_the_channel(
    qtbot: Any, tmp_path: Path, v1_v2: tuple[Path, Path], signing_key: SigningKey
) -> None:
    """As ``kiosk`` wires it with no content: the "please ask staff" window, and an agent whose
    install makes the window's check say the kiosk can start."""
    from kiosk_app.no_content import ContentLook, NoContentWindow
    from kiosk_app.sync_agent import SyncAgent

    channel = make_channel(tmp_path)
    v1, _ = v1_v2
    with NginxServer(channel.dir) as server:
        data = channel.kiosk("kiosk-new", server.url, LANZHOU, signing_key)
        publish_pack(channel.repo, LANZHOU, v1, [signing_key.public])
        assert data.read_pointer() is None
        waiting = NoContentWindow(lambda: ContentLook(data.read_pointer() is not None), interval_ms=3_600_000)
        qtbot.addWidget(waiting)
        agent = SyncAgent(data, load_config(None), clock=channel.clock, parent=waiting,
                          make_fetcher=lambda: recording_fetcher(channel.clock))  # fmt: skip
        agent.installed.connect(waiting.check)
        with qtbot.waitSignal(waiting.ready, timeout=60_000):
            agent.start(delay_s=0)
        assert installed(data)[0] == 1 and agent.last is not None and agent.last.outcome == "installed"
        agent.stop()


def test_screenshots_show_the_status_page_and_its_channel_card(
    demo_data: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kiosk --screenshots`` renders the status page itself (not the PIN pad) and the channel card below the fold."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from PySide6.QtGui import QImage

    from kiosk_app import screenshots
    from kiosk_app.app import build_kiosk

    from .support import DEMO_NOW

    plan = screenshots.screen_plan
    monkeypatch.setattr(screenshots, "screen_plan", lambda kiosk: [p for p in plan(kiosk) if p[1] == "operator"])
    moment = dt.datetime(*DEMO_NOW, tzinfo=ZoneInfo("Asia/Shanghai"))
    made: list[Any] = []

    def build(config: Any, data: Any) -> Any:
        kiosk = build_kiosk(config, data, clock=lambda: moment)
        made.append(kiosk)
        return kiosk

    out = tmp_path / "shots"
    # per layout: the status page, its channel card, and home and a place's page at night
    assert screenshots.render_all(demo_data, out, load_config(None), build=build, languages=["en"]) == 12
    for layout in ("landscape", "portrait", "compact"):
        night = QImage(str(out / layout / "en" / "home-night.png")).scaled(32, 32)
        assert QImage(str(out / layout / "en" / "venue-night.png")).width() > 0
        assert sum(night.pixelColor(x, y).lightness() for x in range(32) for y in range(32)) / 1024 < 80
        channel = QImage(str(out / layout / "en" / "operator-channel.png"))
        status = QImage(str(out / layout / "en" / "operator.png"))
        assert not channel.isNull() and channel.size() == status.size() and channel != status
    for kiosk in made:
        kiosk.ctx.tasks.wait(5000)
