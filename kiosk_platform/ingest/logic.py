"""Checking an ingest batch and writing what it says, idempotently, in one transaction.

``check_batch`` turns the parsed JSON into :class:`Event` objects (or a request-level problem in
plain words, answered 400); an event that is well-formed but cannot be kept (a subject too long, a
rating out of range, an unknown type) is *rejected* with a reason while the rest of the batch is
taken. ``store_batch`` then, in one transaction:

1. locks the device's row (``SELECT ... FOR UPDATE``): every aggregate row is keyed by device, so
   two batches of one kiosk (a re-send racing its lost original) never interleave or deadlock;
2. records every event id with one multi-row ``INSERT INTO ingest_receivedevent ... ON CONFLICT
   (event_id) DO NOTHING RETURNING event_id``: what comes back is new, the rest are duplicates;
3. writes only the new events' effects, each kind with one multi-row statement (aggregates summed
   per key first, then upserted with ``count = count + EXCLUDED.count``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from kiosk_platform.fleet.models import Device

EVENT_ID = re.compile(r"[0-9a-f]{32}")
DEVICE_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")  # as fleet.api.DEVICE_ID
KINDS = frozenset({"usage", "feedback", "heartbeat", "daily_count"})
USAGE_TYPES = frozenset(
    {
        "screen_shown",
        "item_viewed",
        "search",
        "narration_started",
        "narration_finished",
        "qr_shown",
        "language_chosen",
        "visit_ended",
    }
)
FEEDBACK_CATEGORIES = frozenset(
    {"wrong_information", "cleanliness", "prices", "service", "safety", "accessibility", "other"}
)
MAX_SUBJECT = 200
MAX_TERM = 64
MAX_VISIT_TOKEN = 64
MAX_FEEDBACK_TEXT = 2000
MAX_CONTACT = 200
MAX_LANGUAGE = 20
MAX_COUNT = 10**9  # per event; a kiosk's day never comes near it
MAX_TOTAL = 10**12
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 1, 1)


class BadBatch(Exception):
    """A request-level problem: answered 400 (or ``status``) with ``{"error": str(self)}``, nothing written."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Event:
    """One checked event; ``day``/``hour`` are the kiosk's local date and hour of ``at``."""

    id: str
    kind: str
    type: str
    subject: str
    at: dt.datetime | None
    day: dt.date
    hour: int | None
    data: dict[str, Any]
    contact: str | None = None


@dataclass
class Checked:
    device_id: str
    events: list[Event] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)  # an id a second time in the same batch


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise BadBatch("the body is not valid JSON (UTF-8)") from exc


MAX_DEPTH = 16


def _bad_text(value: Any) -> bool:
    """True when a string anywhere in ``value`` cannot be stored in PostgreSQL (NUL, lone surrogate),
    or when it nests deeper than ``MAX_DEPTH`` (no kiosk sends that; PostgreSQL's stack would)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, str):
            if "\x00" in item:
                return True
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def _int(value: Any, low: int, high: int) -> int | None:
    """An integer in [low, high] (a whole float is fine, a bool is not), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and low <= value <= high:
        return value
    return None


def _number(value: Any, low: float, high: float) -> int | None:
    """A number in [low, high], rounded (the kiosk sums seconds and results as floats)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    return round(value)


def _moment(text: Any) -> dt.datetime | None:
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or not EARLIEST <= moment.date() < LATEST:
        return None
    return moment


def check_batch(body: Any, *, max_events: int) -> Checked:
    """The batch's events, checked; :class:`BadBatch` for what makes the whole request wrong."""
    if not isinstance(body, dict):
        raise BadBatch("the body must be a JSON object with device_id, batch_id and events")
    device_id = body.get("device_id")
    if not isinstance(device_id, str) or not DEVICE_ID.fullmatch(device_id):
        raise BadBatch("device_id must be 1 to 32 letters, digits, dots, dashes or underscores")
    batch_id = body.get("batch_id")
    if batch_id is not None and (not isinstance(batch_id, str) or len(batch_id) > 64):
        raise BadBatch("batch_id must be text of at most 64 characters")
    events = body.get("events")
    if not isinstance(events, list):
        raise BadBatch("events must be a list")
    if len(events) > max_events:
        raise BadBatch(f"at most {max_events} events in a batch, got {len(events)}", status=413)
    checked = Checked(device_id)
    seen: set[str] = set()
    for index, raw in enumerate(events):
        if not isinstance(raw, dict):
            raise BadBatch(f"events[{index}] must be an object")
        event_id, kind = raw.get("id"), raw.get("kind")
        if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
            raise BadBatch(f"events[{index}].id must be 32 lowercase hex digits")
        if not isinstance(kind, str) or kind not in KINDS:
            raise BadBatch(f"events[{index}].kind must be one of {', '.join(sorted(KINDS))}")
        if event_id in seen:
            checked.repeated.append(event_id)
            continue
        seen.add(event_id)
        result = _check_event(event_id, kind, raw)
        if isinstance(result, str):
            checked.rejected.append({"id": event_id, "reason": result})
        else:
            checked.events.append(result)
    return checked


def _check_event(event_id: str, kind: str, raw: dict[str, Any]) -> Event | str:
    """One event, or why it cannot be kept (the kiosk marks it and does not send it again)."""
    if _bad_text(raw):
        return "text with a NUL character or invalid Unicode, or data nested too deep"
    type_, subject, data = raw.get("type"), raw.get("subject", ""), raw.get("data", {})
    if subject is None:
        subject = ""
    if data is None:
        data = {}
    if not isinstance(type_, str):
        return "type must be text"
    if not isinstance(subject, str):
        return "subject must be text"
    if len(subject) > MAX_SUBJECT:
        return f"subject too long (at most {MAX_SUBJECT} characters)"
    if not isinstance(data, dict):
        return "data must be an object"
    if kind == "daily_count":
        return _check_count(event_id, type_, subject, data)
    at = _moment(raw.get("at"))
    if at is None:
        return "at must be an ISO 8601 time with its offset (the kiosk's local time)"
    event = Event(event_id, kind, type_, subject, at, at.date(), at.hour, data)
    if kind == "usage":
        return _check_usage(event)
    if kind == "heartbeat":
        return _check_heartbeat(event)
    return _check_feedback(event, raw.get("contact"))


def _check_usage(event: Event) -> Event | str:
    if event.type not in USAGE_TYPES:
        return f"unknown usage type {event.type[:40]!r}"
    if event.type == "search":
        if len(event.subject) > MAX_TERM:
            return f"search term too long (at most {MAX_TERM} characters)"
        if _int(event.data.get("results", 0), 0, MAX_COUNT) is None:
            return "results must be a whole number of at least 0"
        visit = event.data.get("visit")
        if visit is not None and (not isinstance(visit, str) or len(visit) > MAX_VISIT_TOKEN):
            return f"visit must be a token of at most {MAX_VISIT_TOKEN} characters"
    if event.type == "visit_ended" and _number(event.data.get("seconds", 0), 0, 10**8) is None:
        return "seconds must be a number of at least 0"
    return event


def _check_count(event_id: str, type_: str, subject: str, data: dict[str, Any]) -> Event | str:
    if type_ not in USAGE_TYPES and type_ != "heartbeat":
        return f"unknown type {type_[:40]!r} for a daily count"
    day_text = data.get("day")
    try:
        day = dt.date.fromisoformat(day_text) if isinstance(day_text, str) and len(day_text) == 10 else None
    except ValueError:
        day = None
    if day is None or not EARLIEST <= day < LATEST:
        return "data.day must be a date (YYYY-MM-DD)"
    if type_ == "search" and len(subject) > MAX_TERM:
        return f"search term too long (at most {MAX_TERM} characters)"
    count = _int(data.get("count"), 1, MAX_COUNT)
    total = _number(data.get("total", 0), 0, MAX_TOTAL)
    visits = _int(data.get("visits", 0), 0, MAX_COUNT)
    if count is None or total is None or visits is None:
        return "count (at least 1), total and visits (at least 0) must be numbers"
    return Event(
        event_id, "daily_count", type_, subject, None, day, None, {"count": count, "total": total, "visits": visits}
    )


def _check_heartbeat(event: Event) -> Event | str:
    if event.type != "heartbeat":
        return "a heartbeat's type is heartbeat"
    data = event.data
    for key, high in (("content_version", 2**31 - 1), ("uptime_s", 10**12)):
        if data.get(key) is not None and _number(data.get(key), 0, high) is None:
            return f"{key} must be a number of at least 0 or null"
    for key in ("free_disk_bytes", "memory_rss_bytes"):
        if data.get(key) is not None and _int(data.get(key), 0, 2**62) is None:
            return f"{key} must be a whole number of at least 0 or null"
    for key in ("software_version", "last_error"):
        if data.get(key) is not None and not isinstance(data.get(key), str):
            return f"{key} must be text or null"
    sync = data.get("sync")
    if sync is not None and not isinstance(sync, dict):
        return "sync must be an object"
    return event


def _check_feedback(event: Event, contact: Any) -> Event | str:
    if event.type != "feedback":
        return "a feedback's type is feedback"
    data = event.data
    rating, category, text = data.get("rating"), data.get("category"), data.get("text", "")
    language = data.get("language", "")
    if rating is not None and _int(rating, 1, 5) is None:
        return "rating must be 1 to 5 or null"
    if category not in (None, "") and category not in FEEDBACK_CATEGORIES:
        return f"category must be one of {', '.join(sorted(FEEDBACK_CATEGORIES))} or null"
    if text is None:
        text = ""
    if not isinstance(text, str) or len(text) > MAX_FEEDBACK_TEXT:
        return f"text must be at most {MAX_FEEDBACK_TEXT} characters"
    if language is None:
        language = ""
    if not isinstance(language, str) or len(language) > MAX_LANGUAGE:
        return f"language must be a tag of at most {MAX_LANGUAGE} characters"
    if contact is not None and (not isinstance(contact, str) or len(contact) > MAX_CONTACT):
        return f"contact must be text of at most {MAX_CONTACT} characters"
    # A contact is kept only with the visitor's consent, whatever else arrives.
    event.contact = (contact or "").strip() or None if data.get("contact_given") is True else None
    event.data = {
        "rating": _int(rating, 1, 5) if rating is not None else None,
        "category": category or "",
        "text": text,
        "language": language,
    }
    return event


# -- writing -----------------------------------------------------------------------------------------
@dataclass
class Stored:
    accepted: list[str]
    duplicate: list[str]


def store_batch(device: Device, checked: Checked, now: dt.datetime) -> Stored:
    """Record the batch's ids and the new events' effects in one transaction (module docstring)."""
    events = checked.events
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM fleet_device WHERE id = %s FOR UPDATE", [device.pk])
        new: set[str] = set()
        if events:
            ordered = sorted(events, key=lambda e: e.id)  # one order for every writer: no deadlocks
            cursor.execute(
                "INSERT INTO ingest_receivedevent (event_id, device_id, kind, received_at) "
                "SELECT e, %s, k, %s FROM unnest(%s::varchar[], %s::varchar[]) AS t(e, k) "
                "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                [device.pk, now, [e.id for e in ordered], [e.kind for e in ordered]],
            )
            new = {row[0] for row in cursor.fetchall()}
        fresh = [e for e in events if e.id in new]
        _write_effects(cursor, device, fresh, now)
        cursor.execute("UPDATE fleet_device SET last_seen_at = %s WHERE id = %s", [now, device.pk])
    accepted = [e.id for e in events if e.id in new]
    duplicate = [e.id for e in events if e.id not in new] + checked.repeated
    return Stored(accepted, duplicate)


def _write_effects(cursor: Any, device: Device, events: list[Event], now: dt.datetime) -> None:
    org, group, dev = device.organisation_id, device.group, device.pk
    usage = [e for e in events if e.kind == "usage"]
    counts = [e for e in events if e.kind == "daily_count"]
    beats = [e for e in events if e.kind == "heartbeat"]
    feedback = [e for e in events if e.kind == "feedback"]

    daily: dict[tuple[dt.date, str, str], list[int]] = defaultdict(lambda: [0, 0])
    hourly: dict[tuple[dt.date, int], list[int]] = defaultdict(lambda: [0, 0])
    searches: dict[tuple[dt.date, str, str], int] = {}
    folded: dict[tuple[dt.date, str], int] = defaultdict(int)
    for e in usage:
        amount = 0
        if e.type == "visit_ended":
            amount = _number(e.data.get("seconds", 0), 0, 10**8) or 0
        elif e.type == "search":
            amount = _int(e.data.get("results", 0), 0, MAX_COUNT) or 0
            if e.data.get("visit"):
                searches[(e.day, e.subject, e.data["visit"])] = amount
        entry = daily[(e.day, e.type, e.subject)]
        entry[0] += 1
        entry[1] += amount
        assert e.hour is not None
        hour = hourly[(e.day, e.hour)]
        hour[0] += 1
        hour[1] += e.type == "visit_ended"
    for e in counts:
        entry = daily[(e.day, e.type, e.subject)]
        entry[0] += e.data["count"]
        entry[1] += e.data["total"]
        if e.type == "search" and e.data["visits"]:
            folded[(e.day, e.subject)] += e.data["visits"]

    if usage:
        cursor.execute(
            "INSERT INTO ingest_usageevent (event_id, device_id, type, subject, at, data) "
            "SELECT e, %s, t, s, a, d::jsonb FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], "
            "%s::timestamptz[], %s::text[]) AS x(e, t, s, a, d)",
            [
                dev,
                [e.id for e in usage],
                [e.type for e in usage],
                [e.subject for e in usage],
                [e.at for e in usage],
                [json.dumps(e.data, ensure_ascii=False) for e in usage],
            ],
        )
    if daily:
        keys = sorted(daily)
        cursor.execute(
            'INSERT INTO stats_dailycount (organisation_id, device_id, "group", day, type, subject, count, total) '
            "SELECT %s, %s, %s, d, t, s, c, n FROM unnest(%s::date[], %s::varchar[], %s::varchar[], "
            "%s::bigint[], %s::bigint[]) AS x(d, t, s, c, n) "
            "ON CONFLICT (device_id, day, type, subject) DO UPDATE SET "
            "count = stats_dailycount.count + EXCLUDED.count, total = stats_dailycount.total + EXCLUDED.total",
            [
                org,
                dev,
                group,
                [k[0] for k in keys],
                [k[1] for k in keys],
                [k[2] for k in keys],
                [daily[k][0] for k in keys],
                [daily[k][1] for k in keys],
            ],
        )
    if hourly:
        keys_h = sorted(hourly)
        cursor.execute(
            "INSERT INTO stats_hourlycount (organisation_id, device_id, day, hour, events, visits) "
            "SELECT %s, %s, d, h, e, v FROM unnest(%s::date[], %s::smallint[], %s::bigint[], %s::bigint[]) "
            "AS x(d, h, e, v) ON CONFLICT (device_id, day, hour) DO UPDATE SET "
            "events = stats_hourlycount.events + EXCLUDED.events, visits = stats_hourlycount.visits + EXCLUDED.visits",
            [
                org,
                dev,
                [k[0] for k in keys_h],
                [k[1] for k in keys_h],
                [hourly[k][0] for k in keys_h],
                [hourly[k][1] for k in keys_h],
            ],
        )
    if searches:
        keys_s = sorted(searches)
        cursor.execute(
            "INSERT INTO stats_searchtermvisit (organisation_id, device_id, day, term, visit, results) "
            "SELECT %s, %s, d, t, v, r FROM unnest(%s::date[], %s::varchar[], %s::varchar[], %s::int[]) "
            "AS x(d, t, v, r) ON CONFLICT (device_id, day, term, visit) DO UPDATE SET results = EXCLUDED.results",
            [
                org,
                dev,
                [k[0] for k in keys_s],
                [k[1] for k in keys_s],
                [k[2] for k in keys_s],
                [searches[k] for k in keys_s],
            ],
        )
    if folded:
        keys_f = sorted(folded)
        cursor.execute(
            "INSERT INTO stats_searchtermfolded (organisation_id, device_id, day, term, visits) "
            "SELECT %s, %s, d, t, v FROM unnest(%s::date[], %s::varchar[], %s::bigint[]) AS x(d, t, v) "
            "ON CONFLICT (device_id, day, term) DO UPDATE SET visits = stats_searchtermfolded.visits + EXCLUDED.visits",
            [org, dev, [k[0] for k in keys_f], [k[1] for k in keys_f], [folded[k] for k in keys_f]],
        )
    if beats:
        _write_heartbeats(cursor, device, beats, now)
    if feedback:
        cursor.execute(
            "INSERT INTO feedback_feedback (event_id, organisation_id, device_id, subject, rating, category, text, "
            "language, contact, at, received_at, status, reply) "
            "SELECT e, %s, %s, s, r, c, t, l, k, a, %s, 'new', '' FROM unnest(%s::varchar[], %s::varchar[], "
            "%s::smallint[], %s::varchar[], %s::text[], %s::varchar[], %s::varchar[], %s::timestamptz[]) "
            "AS x(e, s, r, c, t, l, k, a) ON CONFLICT (event_id) DO NOTHING",
            [
                org,
                dev,
                now,
                [e.id for e in feedback],
                [e.subject for e in feedback],
                [e.data["rating"] for e in feedback],
                [e.data["category"] for e in feedback],
                [e.data["text"] for e in feedback],
                [e.data["language"] for e in feedback],
                [e.contact for e in feedback],
                [e.at for e in feedback],
            ],
        )


def _write_heartbeats(cursor: Any, device: Device, beats: list[Event], now: dt.datetime) -> None:
    cursor.execute(
        "INSERT INTO fleet_heartbeat (event_id, device_id, at, received_at, data) "
        "SELECT e, %s, a, %s, d::jsonb FROM unnest(%s::varchar[], %s::timestamptz[], %s::text[]) AS x(e, a, d) "
        "ON CONFLICT (event_id) DO NOTHING",
        [
            device.pk,
            now,
            [e.id for e in beats],
            [e.at for e in beats],
            [json.dumps(e.data, ensure_ascii=False) for e in beats],
        ],
    )
    newest = max(beats, key=lambda e: e.at or now)
    data = newest.data
    sync = data.get("sync") or {}
    outcome = sync.get("last_outcome")
    content_version = data.get("content_version")
    # Only a heartbeat newer than the one the row repeats changes it (an old one re-sent late does not).
    cursor.execute(
        "UPDATE fleet_device SET last_heartbeat_at = %s, content_version = %s, software_version = %s, "
        "sync_outcome = %s, last_error = %s, free_disk_bytes = %s, memory_rss_bytes = %s, uptime_s = %s "
        "WHERE id = %s AND (last_heartbeat_at IS NULL OR last_heartbeat_at < %s)",
        [
            newest.at,
            _number(content_version, 0, 2**31 - 1) if content_version is not None else None,
            str(data.get("software_version") or "")[:40],
            (outcome if isinstance(outcome, str) else "")[:60],
            str(data.get("last_error") or "")[:2000],
            data.get("free_disk_bytes"),
            data.get("memory_rss_bytes"),
            _number(data.get("uptime_s"), 0, 10**12) if data.get("uptime_s") is not None else None,
            device.pk,
            newest.at,
        ],
    )


def limits() -> tuple[int, int, int]:
    """(max bytes, max events, batches per minute) from the settings."""
    return settings.INGEST_MAX_BYTES, settings.INGEST_MAX_EVENTS, settings.INGEST_RATE_PER_MINUTE
