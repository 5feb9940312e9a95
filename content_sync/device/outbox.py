"""The kiosk's outbox: usage events, visitor feedback and heartbeats waiting for the platform.

Why it is shaped like this (docs/outbox.md has the wire format):

- **Nothing lost.** :meth:`Outbox.record` returns only after the event is committed in the
  device database (WAL, ``synchronous = FULL``), so a power cut right after the visitor sees
  "thank you" keeps the feedback. A row leaves the kiosk only when the platform's answer names
  its id as accepted or duplicate.
- **Nothing counted twice.** Every event has a random id (uuid4) made when it is recorded; a
  lost answer means the same ids go up again and the platform keeps each id once.
- **Months offline never fill the disk.** Usage events and heartbeats have a storage budget;
  past it the oldest fold into ``daily_counts`` (day, type, subject → count), which go up as
  aggregate events of their own. Feedback is outside the budget and never folded or dropped.
- **No personal data in statistics.** Usage events carry no visitor identity; a search carries
  its term only normalised (NFKC, casefolded, trimmed) and a random per-visit token, so the
  platform can report a term only when k separate visits searched it. A visitor's contact is
  kept only with explicit consent, apart from the event, and erased with the row once delivered.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import sqlite3
import threading
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import KioskError
from ..core.retry import backoff_seconds, parse_retry_after
from .fallback import FAILED_SETTING
from .state import DeviceState

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

#: What a usage event says happened (``type``); anything else is refused when recorded.
USAGE_TYPES = frozenset(
    {
        "screen_shown",  # subject: the screen's name
        "item_viewed",  # subject: "venue:<id>", "route:<id>", "heritage:<id>"
        "search",  # subject: the normalised term; data: results, visit
        "narration_started",  # subject: the item narrated
        "narration_finished",
        "qr_shown",  # subject: what the code hands over
        "language_chosen",  # subject: the language tag
        "visit_ended",  # data: seconds (the daily count sums them)
    }
)
FEEDBACK_CATEGORIES = ("wrong_information", "cleanliness", "prices", "service", "safety", "accessibility", "other")
KINDS = ("usage", "feedback", "heartbeat")
#: The device-state settings the sync agent writes (content_sync.sync.agent); read here too.
DEVICE_ID_SETTING = "device_id"
GROUP_SETTING = "sync_group"
MAX_SUBJECT = 120
MAX_SEARCH_TERM = 64
MAX_FEEDBACK_TEXT = 2000
MAX_CONTACT = 200
#: Usage events and heartbeats may take this much of the device database before folding.
DEFAULT_BUDGET_BYTES = 8 * 1024 * 1024
#: Folding goes down to this share of the budget, so it does not run again at the next event.
FOLD_TO = 0.75
#: At most this many search terms a day are kept by name in daily counts; the rest count as "".
MAX_TERMS_PER_DAY = 200
#: Daily counts kept before the oldest days lose their subjects (one row per day and type remains).
MAX_COUNT_ROWS = 20_000


class OutboxError(KioskError):
    """An event that cannot be recorded as given (a wrong type, a rating out of range)."""


def normalise_term(text: str) -> str:
    """A search term as statistics keep it: NFKC, casefolded, spaces collapsed, trimmed, capped."""
    term = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", term).strip()[:MAX_SEARCH_TERM]


def _subject(value: object) -> str:
    return str(value or "").strip()[:MAX_SUBJECT]


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise OutboxError("the outbox's clock must give an aware time (with its time zone)")
    return moment.replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Feedback:
    """What a visitor left on the feedback screen; ``contact`` only with ``consent``."""

    about: str  # "kiosk" or "venue:<id>"
    rating: int | None = None  # 1 (very unhappy) .. 5 (very happy)
    category: str | None = None  # one of FEEDBACK_CATEGORIES, for a complaint
    text: str = ""
    language: str = ""
    contact: str | None = None
    consent: bool = False

    def checked(self) -> Feedback:
        """The same feedback, trimmed; an :class:`OutboxError` in plain words if it cannot be kept."""
        if self.rating is not None and not (isinstance(self.rating, int) and 1 <= self.rating <= 5):
            raise OutboxError(f"a rating is 1 to 5, not {self.rating!r}")
        if self.category is not None and self.category not in FEEDBACK_CATEGORIES:
            raise OutboxError(f"{self.category!r} is not a feedback category ({', '.join(FEEDBACK_CATEGORIES)})")
        text = self.text.strip()[:MAX_FEEDBACK_TEXT]
        if self.rating is None and self.category is None and not text:
            raise OutboxError("empty feedback: give a rating, a category or a few words")
        contact = (self.contact or "").strip()[:MAX_CONTACT] or None
        if contact and not self.consent:
            contact = None  # never stored without the visitor's explicit consent
        consent = self.consent and contact is not None
        about = _subject(self.about) or "kiosk"
        return Feedback(about, self.rating, self.category, text, self.language, contact, consent)


@dataclass(frozen=True)
class Batch:
    """One upload: the wire events and which rows they came from."""

    batch_id: str
    events: list[dict[str, Any]]
    row_ids: dict[str, int] = field(default_factory=dict)  # event id -> outbox row
    count_ids: set[str] = field(default_factory=set)  # event ids of daily counts

    def body(self, device_id: str) -> dict[str, Any]:
        return {"device_id": device_id, "batch_id": self.batch_id, "events": self.events}


@dataclass(frozen=True)
class Applied:
    """What an answer did to the outbox."""

    delivered: int
    rejected: int
    unknown: int  # ids in the answer this batch did not send (ignored)


class Outbox:
    """The outbox in one kiosk's device database; safe to share between threads.

    ``clock`` gives the kiosk's local time (aware): events carry it, daily counts use its date.
    """

    def __init__(
        self,
        path: Path,
        clock: Clock,
        *,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        max_count_rows: int = MAX_COUNT_ROWS,
        make_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.clock = clock
        self.budget_bytes = budget_bytes
        self.max_count_rows = max_count_rows
        self.make_id = make_id
        self._lock = threading.Lock()
        self.state = DeviceState(path, lambda: _iso(clock()))
        self._budget_used: int | None = None  # bytes of foldable rows, kept up to date after the first look
        with self._lock:
            self.device_id = self._device_id()

    def close(self) -> None:
        with self._lock:
            self.state.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _device_id(self) -> str:
        device_id = self.state.get(DEVICE_ID_SETTING)
        if not device_id:  # not set up for a channel yet: the kiosk still needs one stable id
            device_id = uuid.uuid4().hex
            self.state.set(DEVICE_ID_SETTING, device_id)
        return str(device_id)

    # -- recording ---------------------------------------------------------------------------------
    def record(
        self,
        kind: str,
        type_: str,
        subject: str = "",
        data: Mapping[str, Any] | None = None,
        *,
        at: dt.datetime | None = None,
    ) -> str:
        """Commit one event durably and return its id (feedback goes through :meth:`feedback`).

        ``at`` is when it happened, when that was before this call (a queued write); else now.
        """
        if kind == "usage" and type_ not in USAGE_TYPES:
            raise OutboxError(f"{type_!r} is not a usage event ({', '.join(sorted(USAGE_TYPES))})")
        if kind not in KINDS:
            raise OutboxError(f"{kind!r} is not an outbox kind ({', '.join(KINDS)})")
        subject = normalise_term(subject) if type_ == "search" else _subject(subject)
        return self._insert(kind, type_, subject, dict(data or {}), None, at)

    def usage(self, type_: str, subject: str = "", *, at: dt.datetime | None = None, **data: Any) -> str:
        return self.record("usage", type_, subject, data, at=at)

    def heartbeat(self, data: Mapping[str, Any]) -> str:
        return self.record("heartbeat", "heartbeat", "", data)

    def beat(self, data_root: Path, **facts: Any) -> str:
        """Record a heartbeat made from the device state now (``facts``: see :func:`heartbeat_data`)."""
        with self._lock:
            data = heartbeat_data(self.state, data_root, **facts)
        return self.heartbeat(data)

    def feedback(self, feedback: Feedback, *, at: dt.datetime | None = None) -> str:
        """Commit a visitor's feedback durably; only then may the screen say "thank you"."""
        fb = feedback.checked()
        data = {"rating": fb.rating, "category": fb.category, "text": fb.text, "language": fb.language}
        data["contact_given"] = fb.contact is not None
        return self._insert("feedback", "feedback", fb.about, data, fb.contact, at)

    def _insert(
        self, kind: str, type_: str, subject: str, data: dict[str, Any], contact: str | None, when: dt.datetime | None
    ) -> str:
        event_id = self.make_id()
        at = _iso(when or self.clock())
        event = {"id": event_id, "kind": kind, "type": type_, "at": at, "subject": subject, "data": data}
        text = json.dumps(event, ensure_ascii=False, sort_keys=True)
        size = len(text.encode())
        with self._lock, self.state._tx() as conn:
            conn.execute(
                "INSERT INTO outbox (kind, payload, created_at, event_id, size, contact) VALUES (?, ?, ?, ?, ?, ?)",
                (kind, text, event["at"], event_id, size, contact),
            )
        if kind != "feedback" and self._over_budget(size):
            self.fold()
        return event_id

    def _over_budget(self, added: int) -> bool:
        with self._lock:
            if self._budget_used is None:
                self._budget_used = self._foldable_bytes()
            else:
                self._budget_used += added
            return self._budget_used > self.budget_bytes

    def _foldable_bytes(self) -> int:
        row = self.state.conn.execute("SELECT total(size) FROM outbox WHERE kind != 'feedback'").fetchone()
        return int(row[0])

    # -- folding -----------------------------------------------------------------------------------
    def fold(self, target_bytes: int | None = None) -> int:
        """Fold the oldest usage events and heartbeats into daily counts until under ``target_bytes``.

        Returns how many events were folded. Feedback is never folded. Runs in one transaction:
        a power cut leaves either the events or their counts, never both or neither.
        """
        target = int(self.budget_bytes * FOLD_TO) if target_bytes is None else target_bytes
        with self._lock, self.state._tx() as conn:
            used = int(conn.execute("SELECT total(size) FROM outbox WHERE kind != 'feedback'").fetchone()[0])
            rows: list[tuple[int, str, int]] = []
            cursor = conn.execute("SELECT id, payload, size FROM outbox WHERE kind != 'feedback' ORDER BY id")
            for row_id, payload, size in cursor:
                if used <= target:
                    break
                rows.append((row_id, payload, size))
                used -= size
            cursor.close()
            counts: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, 0.0, set()])
            for _, payload, _ in rows:
                event = json.loads(payload)
                day = str(event["at"])[:10]
                data = event.get("data") or {}
                entry = counts[(day, event["type"], event.get("subject") or "")]
                entry[0] += 1
                if event["type"] == "visit_ended":
                    entry[1] += float(data.get("seconds") or 0)
                elif event["type"] == "search":
                    entry[1] += float(data.get("results") or 0)
                    if data.get("visit"):
                        entry[2].add(data["visit"])
            for (day, type_, subject), (count, total, visits) in counts.items():
                if type_ == "search" and subject and not self._term_kept(conn, day, subject):
                    subject = ""  # too many different terms that day: counted, not named
                conn.execute(
                    "INSERT INTO daily_counts (event_id, day, type, subject, count, total, visits) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, type, subject) WHERE sealed = 0 DO UPDATE SET "
                    "count = count + excluded.count, total = total + excluded.total, visits = visits + excluded.visits",
                    (self.make_id(), day, type_, subject, count, total, len(visits)),
                )
            conn.executemany("DELETE FROM outbox WHERE id = ?", [(r[0],) for r in rows])
            self._cap_counts(conn)
            self._budget_used = used
        if rows:
            log.info("outbox: folded %d old events into daily counts", len(rows))
        return len(rows)

    def _cap_counts(self, conn: sqlite3.Connection) -> None:
        """Past ``max_count_rows``, the oldest days keep one count per type, without subjects.

        So years offline stay bounded too: what is lost is which place or term, never how many.
        Sealed rows (in a batch whose answer is awaited) are left as they are.
        """
        while int(conn.execute("SELECT COUNT(*) FROM daily_counts").fetchone()[0]) > self.max_count_rows:
            (day,) = conn.execute("SELECT MIN(day) FROM daily_counts WHERE sealed = 0 AND subject != ''").fetchone()
            if day is None:
                return
            merged = conn.execute(
                "SELECT type, SUM(count), SUM(total), SUM(visits) FROM daily_counts "
                "WHERE day = ? AND sealed = 0 AND subject != '' GROUP BY type",
                (day,),
            ).fetchall()
            conn.execute("DELETE FROM daily_counts WHERE day = ? AND sealed = 0 AND subject != ''", (day,))
            for type_, count, total, visits in merged:
                conn.execute(
                    "INSERT INTO daily_counts (event_id, day, type, subject, count, total, visits) "
                    "VALUES (?, ?, ?, '', ?, ?, ?) ON CONFLICT (day, type, subject) WHERE sealed = 0 DO UPDATE SET "
                    "count = count + excluded.count, total = total + excluded.total, visits = visits + excluded.visits",
                    (self.make_id(), day, type_, count, total, visits),
                )

    @staticmethod
    def _term_kept(conn: sqlite3.Connection, day: str, term: str) -> bool:
        named = conn.execute(
            "SELECT COUNT(DISTINCT subject), MAX(subject = ?) FROM daily_counts WHERE day = ? AND type = 'search'",
            (term, day),
        ).fetchone()
        return bool(named[1]) or int(named[0]) < MAX_TERMS_PER_DAY

    # -- reading -----------------------------------------------------------------------------------
    def waiting(self) -> int:
        """Events and daily counts not yet delivered (what the operator page shows)."""
        with self._lock:
            return self.state.outbox_count()

    def pending(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The events waiting, oldest first, as they would be sent (contact included)."""
        sql = "SELECT payload, contact FROM outbox" + (" WHERE kind = ?" if kind else "") + " ORDER BY id"
        with self._lock:
            rows = self.state.conn.execute(sql, (kind,) if kind else ()).fetchall()
        return [_wire(payload, contact) for payload, contact in rows]

    def daily_counts(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self.state.conn.execute(
                "SELECT event_id, day, type, subject, count, total, visits, sealed FROM daily_counts ORDER BY day, type"
            ).fetchall()
        keys = ("event_id", "day", "type", "subject", "count", "total", "visits", "sealed")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def stored_bytes(self) -> int:
        """Bytes of usage events and heartbeats (what the budget limits)."""
        with self._lock:
            return self._foldable_bytes()

    # -- sending -----------------------------------------------------------------------------------
    def take_batch(self, max_events: int = 200, max_bytes: int = 256_000) -> Batch | None:
        """The oldest waiting events, daily counts first, up to the caps; None when nothing waits.

        Daily counts put in a batch are sealed: later folding of the same day goes to a new row
        with its own id, so a count re-sent after a lost answer is never changed under its id.
        """
        events: list[dict[str, Any]] = []
        row_ids: dict[str, int] = {}
        count_ids: set[str] = set()
        used = 0
        with self._lock, self.state._tx() as conn:
            counts = conn.execute(
                "SELECT event_id, day, type, subject, count, total, visits FROM daily_counts "
                "ORDER BY day, rowid LIMIT ?",
                (max_events,),
            ).fetchall()
            for event_id, day, type_, subject, count, total, visits in counts:
                event = {
                    "id": event_id, "kind": "daily_count", "type": type_, "at": f"{day}T00:00:00",
                    "subject": subject, "data": {"day": day, "count": count, "total": total, "visits": visits},
                }  # fmt: skip
                size = len(json.dumps(event, ensure_ascii=False))
                if events and used + size > max_bytes:
                    break
                events.append(event)
                count_ids.add(event_id)
                used += size
            conn.executemany("UPDATE daily_counts SET sealed = 1 WHERE event_id = ?", [(i,) for i in count_ids])
            if len(events) < max_events and (not events or used < max_bytes):
                cursor = conn.execute(
                    "SELECT id, event_id, payload, contact, size FROM outbox "
                    "WHERE rejected IS NULL ORDER BY id LIMIT ?",
                    (max_events - len(events),),
                )
                for row_id, event_id, payload, contact, size in cursor:
                    if events and used + size > max_bytes:
                        break
                    events.append(_wire(payload, contact))
                    row_ids[event_id] = row_id
                    used += size
                cursor.close()
        if not events:
            return None
        return Batch(uuid.uuid4().hex, events, row_ids, count_ids)

    def apply_answer(self, batch: Batch, answer: Mapping[str, Any]) -> Applied:
        """Delete what the platform accepted or already had; mark what it refused (never re-sent)."""
        done = {str(i) for i in _ids(answer.get("accepted"))} | {str(i) for i in _ids(answer.get("duplicate"))}
        refused: dict[str, str] = {}
        for item in answer.get("rejected") or []:
            if isinstance(item, Mapping) and "id" in item:
                refused[str(item["id"])] = str(item.get("reason") or "refused")[:300]
        sent = set(batch.row_ids) | batch.count_ids
        unknown = len((done | set(refused)) - sent)
        done &= sent
        with self._lock:
            applied = self._apply(batch, done, refused)
            if applied[1]:
                # A delivered contact leaves the disk, not only the table: secure_delete zeroed the
                # row in its page; the write-ahead log that still holds older copies is emptied.
                with suppress(sqlite3.Error):
                    self.state.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Applied(len(done), applied[0], unknown)

    def _apply(self, batch: Batch, done: set[str], refused: dict[str, str]) -> tuple[int, int]:
        """(rejected, contacts erased), in one transaction; the caller holds the lock."""
        sent = set(batch.row_ids) | batch.count_ids
        with self.state._tx() as conn:
            delivered_rows = [(i,) for i in done if i in batch.row_ids]
            contacts = 0
            for (event_id,) in delivered_rows:
                row = conn.execute("SELECT contact FROM outbox WHERE event_id = ?", (event_id,)).fetchone()
                contacts += bool(row and row[0])
            conn.executemany("DELETE FROM outbox WHERE event_id = ?", delivered_rows)
            conn.executemany("DELETE FROM daily_counts WHERE event_id = ?", [(i,) for i in done & batch.count_ids])
            for event_id, reason in refused.items():
                if event_id in batch.row_ids and event_id not in done:
                    conn.execute("UPDATE outbox SET rejected = ? WHERE event_id = ?", (reason, event_id))
                elif event_id in batch.count_ids and event_id not in done:
                    log.warning("outbox: the platform refused daily count %s: %s", event_id, reason)
                    conn.execute("DELETE FROM daily_counts WHERE event_id = ?", (event_id,))
            self._budget_used = None
        return len(set(refused) & sent - done), contacts


def _ids(value: object) -> Iterable[object]:
    return value if isinstance(value, list) else []


def _wire(payload: str, contact: str | None) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(payload)
    if contact:
        event["contact"] = contact
    return event


# -- the sender -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SendPolicy:
    """How the outbox goes up: batch caps, timeouts (connect, read) and backoff, in seconds."""

    max_events: int = 200
    max_bytes: int = 256_000
    timeout: tuple[float, float] = (5.0, 20.0)
    backoff_base: float = 30.0
    backoff_max: float = 3600.0
    max_retry_after: float = 24 * 3600.0
    max_batches: int = 50  # per call of send_due: a long backlog goes up over several calls


@dataclass(frozen=True)
class SendResult:
    outcome: str  # "sent", "empty", "waiting" (backing off), "failed"
    message: str
    delivered: int = 0
    rejected: int = 0
    retry_in: float | None = None


class Sender:
    """Posts batches to the platform's ingest API and deletes rows only on its answer.

    After a failure the next attempt waits ``min(max, base * 2**(n-1))`` with equal jitter (half
    fixed, half random), or longer when the server's ``Retry-After`` says so. ``clock`` and
    ``rng`` are injected; nothing sleeps: :meth:`send_due` returns ``waiting`` until it is time.
    """

    def __init__(
        self,
        outbox: Outbox,
        url: str,
        token: str,
        *,
        session: requests.Session | None = None,
        policy: SendPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        import requests  # only a kiosk that sends needs it

        self.outbox = outbox
        self.url = url
        self.token = token
        self.session = session or requests.Session()
        self.policy = policy or SendPolicy()
        self.rng = rng or random.Random()
        self.failures = 0
        self.not_before: dt.datetime | None = None
        self.last_error: str | None = None
        self.max_events = self.policy.max_events

    def _backoff(self, message: str, retry_after: float | None = None) -> SendResult:
        self.failures += 1
        p = self.policy
        wait = backoff_seconds(
            self.failures, p.backoff_base, p.backoff_max, self.rng,
            retry_after=retry_after, max_retry_after=p.max_retry_after,
        )  # fmt: skip
        self.not_before = self.outbox.clock() + dt.timedelta(seconds=wait)
        self.last_error = message
        log.info("outbox: %s; next try in %.0f s", message, wait)
        return SendResult("failed", message, retry_in=wait)

    def send_once(self) -> SendResult:
        """One batch up and its answer applied (or the failure noted for backoff)."""
        import requests

        batch = self.outbox.take_batch(self.max_events, self.policy.max_bytes)
        if batch is None:
            return SendResult("empty", "nothing waiting")
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": batch.batch_id}
        try:
            response = self.session.post(
                self.url, json=batch.body(self.outbox.device_id), headers=headers, timeout=self.policy.timeout
            )
        except requests.RequestException as exc:
            return self._backoff(f"the platform could not be reached ({type(exc).__name__})")
        now = self.outbox.clock()
        if response.status_code == 413 and self.max_events > 1:
            self.max_events = max(1, self.max_events // 2)  # the platform's cap is lower: smaller batches
            return SendResult("failed", f"batch too large; now at most {self.max_events} events", retry_in=0)
        if response.status_code != 200:
            return self._backoff(
                f"the platform answered HTTP {response.status_code}",
                parse_retry_after(response.headers.get("Retry-After"), now),
            )
        try:
            answer = response.json()
            if not isinstance(answer, dict):
                raise ValueError("not an object")
        except ValueError:
            return self._backoff("the platform's answer was not JSON")  # as if lost: the same ids go again
        applied = self.outbox.apply_answer(batch, answer)
        self.failures, self.not_before, self.last_error = 0, None, None
        return SendResult("sent", f"{applied.delivered} delivered", applied.delivered, applied.rejected)

    def send_due(self) -> list[SendResult]:
        """Send batches until nothing waits, a failure, or ``max_batches``; nothing before the backoff ends."""
        if self.not_before is not None and self.outbox.clock() < self.not_before:
            left = (self.not_before - self.outbox.clock()).total_seconds()
            return [SendResult("waiting", "backing off after a failure", retry_in=left)]
        results: list[SendResult] = []
        for _ in range(self.policy.max_batches):
            result = self.send_once()
            results.append(result)
            if result.outcome != "sent" or result.delivered == 0:
                break
        return results


# -- heartbeats -------------------------------------------------------------------------------------
def heartbeat_data(
    state: DeviceState,
    data_root: Path,
    *,
    software_version: str,
    content_version: int | None,
    uptime_s: float,
    last_error: str | None = None,
) -> dict[str, Any]:
    """What a heartbeat says about the kiosk: ids, versions, sync state, uptime, disk, memory, last error."""
    import shutil

    sync: dict[str, Any] = {}
    for key in ("last_outcome", "last_success", "last_check", "channel_state", "last_error"):
        row = state.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        if row:
            try:
                sync[key] = json.loads(row[0])
            except ValueError:
                sync[key] = None
    sync.update(_failure_signal(state))
    try:
        free_disk: int | None = shutil.disk_usage(data_root).free
    except OSError:
        free_disk = None
    return {
        "device_id": state.get(DEVICE_ID_SETTING),
        "group": state.get(GROUP_SETTING),
        "software_version": software_version,
        "content_version": content_version,
        "sync": sync,
        "uptime_s": round(uptime_s),
        "free_disk_bytes": free_disk,
        "memory_rss_bytes": _rss_bytes(),
        "last_error": (last_error or "")[:500] or None,
    }


def _failure_signal(state: DeviceState) -> dict[str, Any]:
    """A version this kiosk could not take, for a platform's staged roll-out (present only when there is one).

    ``failed_install``: the newest install attempt was refused or failed (its version and
    words); ``fell_back_from``: the version that failed to open and was left by the
    automatic return to the previous one (a crash loop). A cut download is neither.
    """
    out: dict[str, Any] = {}
    with suppress(KioskError, sqlite3.Error):
        newest = state.install_log(1)
        if newest and not newest[0].ok and newest[0].content_version is not None:
            out["failed_install"] = {"content_version": newest[0].content_version, "message": newest[0].message[:300]}
    failed = state.get(FAILED_SETTING)
    if isinstance(failed, dict) and isinstance(failed.get("content_version"), int):
        out["fell_back_from"] = failed["content_version"]
    return out


def _rss_bytes() -> int | None:
    """The process's resident memory now (Linux /proc), else its peak (getrusage), else None."""
    try:
        with open("/proc/self/statm") as fh:
            import os

            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
    except (ImportError, OSError):
        return None
