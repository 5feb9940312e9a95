"""What the kiosk records for the platform: usage, visitor feedback, heartbeats (docs/outbox.md).

One :class:`Recorder` per kiosk, made in ``app.build_kiosk`` and handed to screens in the
``AppContext`` (never a global). Every write goes to the recorder's own one-thread worker,
in the order asked: the GUI thread never waits for an ``fsync``, and the outbox
(``content_sync.device.outbox``) is opened there on the first event, not on the way to the
first screen. An event keeps the moment it happened, not the moment it was written.

Usage recording never disturbs a visitor: a failure is logged, once. Feedback is different:
its screen says "thank you" only in ``on_done``, after the commit, and shows ``on_error``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from content_sync.device.layout import DataDir

from .background import BackgroundTasks

if TYPE_CHECKING:
    from content_sync.device.outbox import Feedback, Outbox, Sender, SendResult

    from .session import Session

log = logging.getLogger(__name__)

#: The first heartbeat this long after the first frame (the kiosk settles first), then every interval.
FIRST_BEAT_DELAY_S = 60.0


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("culture-kiosk")
    except PackageNotFoundError:
        return "unknown"


class Recorder(QObject):
    """Records events into the device database's outbox, off the GUI thread, in order.

    ``start_name`` is the screen a visit ends on (the attract loop): a visit starts at the first
    other screen and ends at the idle reset (:meth:`visit_ended`); its length leaves out the
    idle time that led to the reset (``idle_s``).
    """

    def __init__(
        self,
        data: DataDir,
        clock: Callable[[], dt.datetime],
        *,
        start_name: str = "attract",
        idle_s: float = 0.0,
        budget_bytes: int | None = None,
        heartbeat_s: float = 15 * 60.0,
        send_url: str = "",
        send_token: str = "",
        join_url: str = "",
        content_version: Callable[[], int | None] = lambda: None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.data = data
        self.clock = clock
        self.start_name = start_name
        self.idle_s = idle_s
        self.budget_bytes = budget_bytes
        self.send_url = send_url
        self.send_token = send_token
        self.join_url = join_url
        self._join_failures = 0
        self._join_not_before: dt.datetime | None = None
        self.content_version = content_version
        self.tasks = BackgroundTasks(threads=1)  # one writer, in order; never the photos' threads
        self._outbox: Outbox | None = None
        self._sender: Sender | None = None
        self.started_at = time.monotonic()
        self.last_error: str | None = None
        self.visit_started: dt.datetime | None = None
        self.visit_token = ""
        self.screens_in_visit = 0
        self._language: str | None = None
        self._resetting = False
        self._last_shown: tuple[str, dict[str, Any]] | None = None
        self.beat_timer = QTimer(self)
        self.beat_timer.setInterval(int(heartbeat_s * 1000))
        self.beat_timer.timeout.connect(self.beat)

    # -- the writer ----------------------------------------------------------------------------
    def outbox(self) -> Outbox:
        """The outbox, opened on first use (worker thread only)."""
        if self._outbox is None:
            from content_sync.device.outbox import DEFAULT_BUDGET_BYTES, Outbox

            self._outbox = Outbox(
                self.data.device_db, self.clock, budget_bytes=self.budget_bytes or DEFAULT_BUDGET_BYTES
            )
        return self._outbox

    def _failed(self, what: str) -> Callable[[Exception], None]:
        def failed(exc: Exception) -> None:
            message = f"recording {what} failed: {exc}"
            if message != self.last_error:  # a full disk says so once, not at every tap
                log.error("%s", message)
            self.last_error = message

        return failed

    def usage(self, type_: str, subject: str = "", **data: Any) -> None:
        """Queue one usage event (returns at once; the write happens on the recorder's worker)."""
        at = self.clock()
        self.tasks.run(lambda: self.outbox().usage(type_, subject, at=at, **data), _ignore, self._failed(type_))

    def feedback(
        self, feedback: Feedback, on_done: Callable[[str], None], on_error: Callable[[Exception], None]
    ) -> None:
        """Commit the visitor's feedback; ``on_done(event id)`` only once it is on disk."""
        at = self.clock()
        self.tasks.run(lambda: self.outbox().feedback(feedback, at=at), on_done, on_error)

    def waiting(self, on_done: Callable[[int], None]) -> None:
        """How many events wait for upload, once the writes queued before are done."""
        self.tasks.run(lambda: self.outbox().waiting(), on_done, self._failed("the count"))

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until every queued write is committed (tests and shutdown)."""
        return self.tasks.wait(msecs)

    def close(self) -> None:
        self.beat_timer.stop()
        self.tasks.wait()
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None

    # -- heartbeats and sending ----------------------------------------------------------------
    def start(self, first_beat_s: float = FIRST_BEAT_DELAY_S) -> None:
        """Heartbeats from now on (the app calls this after the first frame)."""
        QTimer.singleShot(int(first_beat_s * 1000), self, self.beat)
        self.beat_timer.start()

    def beat(self) -> None:
        """Write a heartbeat, then send what waits when the kiosk has a platform to send to."""
        uptime = time.monotonic() - self.started_at
        try:
            content_version = self.content_version()
        except Exception:  # no content installed: the heartbeat says so with null
            content_version = None
        facts = {
            "software_version": software_version(),
            "content_version": content_version,
            "uptime_s": uptime,
            "last_error": self.last_error,
        }

        def work() -> list[SendResult]:
            self.outbox().beat(self.data.root, **facts)
            return self.send_due()

        self.tasks.run(work, _ignore, self._failed("a heartbeat"))

    def _credentials(self) -> tuple[str, str] | None:
        """Where to send and with which token: ``outbox.url``/``outbox.token``, or what joining
        the platform (``platform.join``) gave, joining first if needed (worker thread)."""
        if self.send_url and self.send_token:
            return self.send_url, self.send_token
        if not self.join_url:
            return None
        from content_sync.sync.join import JoinError, join

        now = self.clock()
        if self._join_not_before is not None and now < self._join_not_before:
            return None
        try:
            joined = join(self.data, self.outbox().state, self.join_url, software_version=software_version())
        except JoinError as exc:
            import random

            from content_sync.core.retry import backoff_seconds

            self._join_failures += 1
            wait = backoff_seconds(self._join_failures, 30.0, 3600.0, random.Random())
            self._join_not_before = now + dt.timedelta(seconds=wait)
            self.last_error = str(exc)
            log.warning("platform: %s; next try in %.0f s", exc, wait)
            return None
        self._join_failures, self._join_not_before = 0, None
        return joined.ingest_url, joined.token

    def send_due(self) -> list[SendResult]:
        """Send what waits (worker thread); nothing when no platform is configured or joined."""
        credentials = self._credentials()
        if credentials is None:
            return []
        if self._sender is None:
            from content_sync.device.outbox import Sender

            self._sender = Sender(self.outbox(), *credentials)
        results = self._sender.send_due()
        for result in results:
            if result.outcome == "failed":
                log.info("outbox: %s", result.message)
        return results

    # -- what the kiosk tells it ---------------------------------------------------------------
    def screen_shown(self, name: str, params: dict[str, Any]) -> None:
        """The navigator showed ``name``: a screen, an item viewed, and the start of a visit."""
        if name == self.start_name:
            self._resetting, self._last_shown = False, None
            return
        if self._resetting or (name, params) == self._last_shown:
            return  # the reset re-rendering the last page, or a page re-rendered in another language
        self._last_shown = (name, dict(params))
        if self.visit_started is None:
            self.visit_started = self.clock()
            self.visit_token = uuid.uuid4().hex  # links this visit's searches, nothing else
            self.screens_in_visit = 0
        self.screens_in_visit += 1
        self.usage("screen_shown", name)
        ident = params.get("id")
        if ident and name in ("venue", "route", "heritage", "page"):
            self.usage("item_viewed", f"{name}:{ident}")

    def search(self, term: str, results: int) -> None:
        if term.strip():
            self.usage("search", term, results=results, visit=self.visit_token)

    def session_changed(self, session: Session) -> None:
        """A language chosen by the visitor (not the idle reset's return to the default)."""
        if session.language != self._language and self._language is not None and not self._resetting:
            self.usage("language_chosen", session.language)
        self._language = session.language

    def narration_started(self, item: object) -> None:
        if item is not None:
            self.usage("narration_started", str(getattr(item, "key", "")), language=str(getattr(item, "lang", "")))

    def narration_finished(self, item: object) -> None:
        if item is not None:
            self.usage("narration_finished", str(getattr(item, "key", "")), language=str(getattr(item, "lang", "")))

    def qr_shown(self, subject: str) -> None:
        self.usage("qr_shown", subject)

    def visit_ended(self) -> None:
        """The idle reset: the visit's length, without the quiet time that ended it."""
        self._resetting = True
        if self.visit_started is None:
            return
        seconds = max(0, round((self.clock() - self.visit_started).total_seconds() - self.idle_s))
        self.usage("visit_ended", seconds=seconds, screens=self.screens_in_visit)
        self.visit_started = None


def _ignore(_value: object) -> None:
    pass
