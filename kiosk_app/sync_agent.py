"""The kiosk's sync agent: ``run_cycle`` on the poll schedule, always off the GUI thread.

The agent starts after the first frame (``Navigator.after_first_paint``) and never delays
the start: a kiosk with no network, or not set up for a channel, starts and runs exactly
as without it. Every cycle, and the look at whether the kiosk is provisioned, runs on the
agent's own one-thread :class:`BackgroundTasks` (a download may take minutes; it must not
hold a thread the photos and the PIN check need). The library (``content_sync.sync``,
with python-tuf and requests) is imported there too, on the first cycle, not on the way
to the first screen.

The live feeds (weather, transport notices) have their own, shorter interval
(``sync.feed_interval_minutes``): a feed cycle refreshes the channel's metadata and the feeds
only (``run_feed_cycle``), on the same worker, so it never runs beside a content cycle; a
content cycle refreshes the feeds too and restarts the feed interval.

A newly installed version is only *installed* by a cycle: the screens go on reading the
version they opened until the next idle moment (the idle reset, or at once while the
attract loop shows and nobody is at the screen), where :class:`ContentHolder` swaps it in.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from content_sync.device.layout import DataDir

from .background import BackgroundTasks
from .config import KioskConfig

if TYPE_CHECKING:
    from content_sync.sync.agent import CycleResult, PollPolicy
    from content_sync.sync.feeds import FeedCycleResult
    from content_sync.sync.fetch import Fetcher

log = logging.getLogger(__name__)

#: The longest single timer wait: the schedule is looked at again after this, so a device
#: clock corrected by hours (NTP arriving late) does not leave the agent asleep for long.
MAX_TIMER_WAIT_S = 600.0
#: The problem of a kiosk nobody set up for a channel (the operator page says how to, without repeating it).
NOT_SET_UP = "this kiosk is not set up for a channel"
#: How soon after the first frame the first cycle runs (the kiosk settles first).
FIRST_CYCLE_DELAY_S = 5.0


@dataclass(frozen=True)
class Provisioning:
    """Whether the kiosk syncs, read off the GUI thread; ``problem`` says why not in one line."""

    url: str | None
    group: str | None
    problem: str | None = None

    @property
    def ready(self) -> bool:
        return self.problem is None and bool(self.url and self.group)


def apply_config(data: DataDir, config: KioskConfig, clock: Callable[[], dt.datetime]) -> Provisioning:
    """Bring the device state in line with ``kiosk.toml``'s ``[sync]`` and say whether the kiosk syncs.

    ``sync.url`` and ``sync.group`` in kiosk.toml win over what ``kiosk-pack sync-setup`` stored;
    the root metadata comes from ``sync.root`` for a kiosk that trusts none yet, else the one
    stored. Runs in a worker: it opens the device database and may copy the root metadata.
    """
    from content_sync.core.errors import KioskError
    from content_sync.device.state import DeviceState
    from content_sync.sync import agent
    from content_sync.sync.repository import check_group

    if not config["sync.enabled"]:
        return Provisioning(None, None, "sync is switched off in kiosk.toml (sync.enabled = false)")
    url, group, root = config["sync.url"], config["sync.group"], config["sync.root"]
    paths = agent.SyncPaths(data)
    trusted_root = paths.metadata / "root.json"
    try:
        if url and group:
            url = agent.check_url(url)  # as sync-setup stores it (no trailing slash)
            check_group(group)
            if not trusted_root.exists():
                if not root:
                    return Provisioning(url, group, "kiosk.toml names a channel but no root metadata (sync.root)")
                agent.setup(data, url, group, root, clock=clock)
            else:
                with DeviceState(data.device_db) as device:
                    if device.get(agent.URL_SETTING) != url or device.get(agent.GROUP_SETTING) != group:
                        device.set(agent.URL_SETTING, url)
                        device.set(agent.GROUP_SETTING, group)
                        if not device.get(agent.DEVICE_ID_SETTING):
                            import uuid

                            device.set(agent.DEVICE_ID_SETTING, uuid.uuid4().hex)
        if not data.device_db.exists():
            return Provisioning(None, None, NOT_SET_UP)
        with DeviceState(data.device_db, readonly=True) as device:
            stored_url, stored_group = device.get(agent.URL_SETTING), device.get(agent.GROUP_SETTING)
    except (KioskError, OSError) as exc:
        return Provisioning(url or None, group or None, f"the channel settings cannot be applied: {exc}")
    if not stored_url or not stored_group or not trusted_root.exists():
        return Provisioning(stored_url, stored_group, NOT_SET_UP)
    return Provisioning(str(stored_url), str(stored_group))


class SyncAgent(QObject):
    """Runs sync cycles in the background on the poll schedule; tells the GUI thread what happened.

    ``started`` when a cycle begins, ``finished(CycleResult)`` when it ends, ``installed`` when
    it installed a newer version (to be switched in at the next idle moment), ``feeds_updated``
    after every cycle that looked at the feeds (a content cycle, or a feed cycle with its
    ``FeedCycleResult``).
    """

    started = Signal()
    finished = Signal(object)
    installed = Signal()
    feeds_updated = Signal(object)

    def __init__(
        self,
        data: DataDir,
        config: KioskConfig,
        *,
        clock: Callable[[], dt.datetime],
        policy: PollPolicy | None = None,
        make_fetcher: Callable[[], Fetcher] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data = data
        self.config = config
        self.clock = clock
        self.policy = policy
        self.make_fetcher = make_fetcher
        self.tasks = BackgroundTasks(threads=1)  # its own worker: a long download never blocks a photo
        self.provisioning: Provisioning | None = None
        self.running = False
        self.last: CycleResult | None = None
        self.due: dt.datetime | None = None
        self.worker_threads: set[int] = set()  # where cycles ran (tests check it is never the GUI thread)
        self._fetcher: Fetcher | None = None
        self._stopped = False
        self._recheck = False  # the armed timer looks at the settings again instead of running a cycle
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self.feeds_running = False
        self.last_feeds: FeedCycleResult | None = None
        self.feed_due: dt.datetime | None = None
        self._feed_timer = QTimer(self)
        self._feed_timer.setSingleShot(True)
        self._feed_timer.timeout.connect(self._feed_tick)

    # -- life cycle -------------------------------------------------------------------------------
    def start(self, delay_s: float = FIRST_CYCLE_DELAY_S) -> None:
        """Look whether the kiosk is provisioned (in the worker), then run the first cycle after ``delay_s``."""
        if self._stopped:
            return
        data, config, clock = self.data, self.config, self.clock
        self.tasks.run(lambda: apply_config(data, config, clock), lambda p: self._provisioned(p, delay_s))

    def stop(self, wait_ms: int = 5000) -> None:
        """No further cycles; wait for one in flight (shutdown and tests)."""
        self._stopped = True
        self._timer.stop()
        self._feed_timer.stop()
        idle = self.tasks.wait(wait_ms)
        if idle and self._fetcher is not None:  # a download still running keeps its session
            self._fetcher.close()
            self._fetcher = None

    def _provisioned(self, provisioning: Provisioning, delay_s: float) -> None:
        self.provisioning = provisioning
        if provisioning.ready:
            log.info("sync: channel %s, group %s", provisioning.url, provisioning.group)
            self._arm(delay_s)
            self._arm_feeds(self.feed_interval())  # the first content cycle brings the feeds
        else:
            log.info("sync: %s", provisioning.problem)
            # sync-setup may be run while the kiosk runs: look again once an interval.
            self._arm(self._interval(), recheck=True)

    def _interval(self) -> float:
        return self.policy.interval if self.policy is not None else 15 * 60.0

    def feed_interval(self) -> float:
        """Seconds between feed cycles (kiosk.toml ``sync.feed_interval_minutes``)."""
        return 60.0 * float(self.config.values.get("sync.feed_interval_minutes", 5))

    def _arm_feeds(self, seconds: float) -> None:
        if self._stopped:
            return
        self.feed_due = self.clock() + dt.timedelta(seconds=seconds)
        self._feed_timer.start(int(max(0.0, min(seconds, MAX_TIMER_WAIT_S)) * 1000))

    def _feed_tick(self) -> None:
        if self.feed_due is not None:
            left = (self.feed_due - self.clock()).total_seconds()
            if left > 0.5:  # woke early (timer cap) or the clock moved: wait the rest
                self._arm_feeds(left)
                return
        if not self.refresh_feeds():
            self._arm_feeds(self.feed_interval())

    def refresh_feeds(self) -> bool:
        """Run a feed cycle now, in the background; False while any cycle runs, unprovisioned or stopped."""
        if self._stopped or self.running or self.feeds_running:
            return False
        if self.provisioning is None or not self.provisioning.ready:
            return False
        self.feeds_running = True
        self._feed_timer.stop()
        self.tasks.run(self._feed_cycle, self._feeds_done, self._feeds_failed)
        return True

    def _feed_cycle(self) -> FeedCycleResult:
        """The feeds only (worker thread): the channel's metadata and the feed files, a few kilobytes."""
        from content_sync.sync.agent import run_feed_cycle
        from content_sync.sync.fetch import Fetcher

        self.worker_threads.add(threading.get_ident())
        if self._fetcher is None:
            self._fetcher = self.make_fetcher() if self.make_fetcher is not None else Fetcher(now=self.clock)
        return run_feed_cycle(self.data, clock=self.clock, fetcher=self._fetcher)

    def _feeds_done(self, result: FeedCycleResult) -> None:
        self.feeds_running = False
        self.last_feeds = result
        log.info("sync: feeds: %s", result.message)
        self.feeds_updated.emit(result)
        self._arm_feeds(self.feed_interval())

    def _feeds_failed(self, exc: Exception) -> None:
        """A bug, not a network problem (run_feed_cycle says those in words): log it, try again later."""
        self.feeds_running = False
        log.error("feed cycle failed: %s", exc, exc_info=exc)
        self._arm_feeds(self.feed_interval())

    def _arm(self, seconds: float, *, recheck: bool = False) -> None:
        if self._stopped:
            return
        self._recheck = recheck
        self._timer.start(int(max(0.0, min(seconds, MAX_TIMER_WAIT_S)) * 1000))

    def _tick(self) -> None:
        if self._recheck:
            self.start(delay_s=0)
            return
        if self.due is not None:
            left = (self.due - self.clock()).total_seconds()
            if left > 0.5:  # woke early (timer cap) or the clock moved: wait the rest
                self._arm(left)
                return
        self.sync_now()

    # -- cycles -----------------------------------------------------------------------------------
    def sync_now(self) -> bool:
        """Run a cycle now, in the background; False if one is already running (or the agent stopped)."""
        if self.running or self._stopped:
            return False
        self.running = True
        self._timer.stop()
        self.started.emit()
        self.tasks.run(self._cycle, self._done, self._failed)
        return True

    def _cycle(self) -> tuple[CycleResult, dt.datetime | None]:
        """One cycle and its next moment (worker thread)."""
        from content_sync.core.errors import KioskError
        from content_sync.sync.agent import run_cycle, schedule_after
        from content_sync.sync.fetch import Fetcher

        self.worker_threads.add(threading.get_ident())
        if self.provisioning is None or not self.provisioning.ready:
            self.provisioning = apply_config(self.data, self.config, self.clock)  # "sync now" after sync-setup
        if self._fetcher is None:  # one fetcher for every cycle: one keep-alive session
            self._fetcher = self.make_fetcher() if self.make_fetcher is not None else Fetcher(now=self.clock)
        result = run_cycle(self.data, clock=self.clock, fetcher=self._fetcher)
        try:
            due: dt.datetime | None = schedule_after(self.data, result, policy=self.policy, clock=self.clock)
        except KioskError:
            due = None
        return result, due

    def _done(self, value: Any) -> None:
        result, due = value
        self.running = False
        self.last = result
        self.due = due
        log.info("sync: %s: %s", result.outcome, result.message)
        self.finished.emit(result)
        if result.feeds:  # the content cycle refreshed the feeds: their interval starts again
            self.feeds_updated.emit(result)
            self._arm_feeds(self.feed_interval())
        if result.outcome == "installed":
            self.installed.emit()
        if self.provisioning is not None and self.provisioning.ready:
            wait = (due - self.clock()).total_seconds() if due is not None else self._interval()
            self._arm(wait)
        else:
            self._arm(self._interval(), recheck=True)

    def _failed(self, exc: Exception) -> None:
        """A bug, not a network problem (run_cycle says those in words): log it, try again later."""
        self.running = False
        log.error("sync cycle failed: %s", exc, exc_info=exc)
        self.finished.emit(None)
        self._arm(self._interval())


def status(data: DataDir) -> dict[str, Any]:
    """The sync state for the operator screen (worker thread; imports the library there)."""
    from content_sync.sync.agent import sync_status

    return sync_status(data)
