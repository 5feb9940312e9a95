"""The live feeds' JSON formats (weather, transport and emergency notices) and their strict check (docs/feeds.md).

A feed is a small JSON file an operator provides; ``kiosk-pack feed publish`` checks it and
signs it as a target of a kiosk group, and a kiosk checks it again after its download
(the same :func:`check_feed`), so a file either side would refuse never reaches a screen.
Text is made plain the way pack text is (:func:`content_sync.pack.content_schema.clean_text`,
which runs :mod:`content_sync.pack.sanitize`); types, ranges, lengths and unknown keys are
refused with one line naming the field::

    weather feed: current.temp_c: not a number from -90 to 60: '7 degrees'

The check is about the file alone; what depends on the time (an expired feed, a notice not
yet valid) is decided by the publisher's clock at publish time and by the kiosk's clock when
it shows the feed, never here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Literal

from content_sync.core.errors import KioskError
from content_sync.pack.content_schema import (
    Invalid,
    Real,
    check_date,
    check_i18n_object,
    check_timestamp,
)

FeedKind = Literal["weather", "transport", "emergency"]
FEED_KINDS: tuple[FeedKind, ...] = ("weather", "transport", "emergency")
FEED_FORMAT = 1
#: The largest feed file accepted (bytes): a feed is a few kilobytes; the kiosk downloads it every few minutes.
MAX_FEED_BYTES = 64 * 1024
MAX_FORECAST_DAYS = 10
MAX_NOTICES = 50
SEVERITIES = ("alert", "warning", "info")  # most urgent first: the order the kiosk shows notices in
MODES = ("air", "rail", "metro", "bus", "ferry")
#: Emergency notices (docs/feeds.md "Emergency notices"): few, always with an end, in both required languages.
MAX_EMERGENCY_NOTICES = 10
EMERGENCY_SEVERITIES = ("emergency", "warning")  # most urgent first
EMERGENCY_LANGUAGES = ("zh-Hans", "en")  # a visitor who has not chosen a language reads one of these
MAX_EMERGENCY_DURATION = dt.timedelta(days=7)
NOTICE_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
# Text limits (characters per language, after sanitising).
LOCATION_LEN = 60
CONDITION_LEN = 40
TITLE_LEN = 120
BODY_LEN = 1000


class FeedError(KioskError):
    """A feed file is not what its format says; the message is one line naming the field."""


def feed_target_name(kind: str) -> str:
    """A feed's target name inside its group: ``feeds/<kind>.json``."""
    if kind not in FEED_KINDS:
        raise FeedError(f"feed kind {kind!r} is not one of {', '.join(FEED_KINDS)}")
    return f"feeds/{kind}.json"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:56] + "...'"


def _object(data: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid(f"{where}: not a JSON object" if where else "not a JSON object")
    prefix = f"{where}." if where else ""
    unknown = sorted(str(k) for k in set(data) - set(required) - set(optional))
    if unknown:
        raise Invalid(f"{prefix}{unknown[0]}: not a field of this format (allowed: {', '.join(required + optional)})")
    for key in required:
        if key not in data:
            raise Invalid(f"{prefix}{key}: missing")
    return data


def _at(where: str, key: str, check: Any, value: Any) -> Any:
    try:
        return check(value)
    except Invalid as exc:
        raise Invalid(f"{where}{key}: {exc}") from None


def _text(where: str, key: str, value: Any, max_len: int, *, multiline: bool = False) -> dict[str, str]:
    """Multilingual text (``{"en": ..., "zh-Hans": ...}``), at least one language, sanitised."""
    clean = _at(where, key, lambda v: check_i18n_object(v, max_len, multiline, True), value)
    if any(not text for text in clean.values()):
        raise Invalid(f"{where}{key}: a language with empty text")
    return dict(clean)


def _moment(where: str, key: str, value: Any) -> dt.datetime:
    return _at(where, key, check_timestamp, value)


def _number(where: str, key: str, value: Any, lo: float, hi: float) -> float:
    return _at(where, key, Real(lo=lo, hi=hi).check, value)


def _common(data: dict[str, Any], kind: str) -> tuple[dt.datetime, dt.datetime | None]:
    if data["kind"] != kind:
        raise Invalid(f"kind: {_shown(data['kind'])}, but the feed is published as {kind!r}")
    if data["format"] != FEED_FORMAT or isinstance(data["format"], bool):
        raise Invalid(f"format: {_shown(data['format'])} is not a format this tool reads ({FEED_FORMAT})")
    issued = _moment("", "issued_at", data["issued_at"])
    until = _moment("", "valid_until", data["valid_until"]) if "valid_until" in data else None
    if until is not None and until <= issued:
        raise Invalid("valid_until: not after issued_at")
    return issued, until


def _weather(data: dict[str, Any]) -> dict[str, Any]:
    _object(data, "", ("kind", "format", "issued_at", "current"), ("valid_until", "location", "forecast"))
    _common(data, "weather")
    out: dict[str, Any] = {k: data[k] for k in ("kind", "format", "issued_at")}
    if "valid_until" in data:
        out["valid_until"] = data["valid_until"]
    if "location" in data:
        out["location"] = _text("", "location", data["location"], LOCATION_LEN)
    current = _object(data["current"], "current", ("temp_c", "condition"))
    out["current"] = {
        "temp_c": _number("current.", "temp_c", current["temp_c"], -90, 60),
        "condition": _text("current.", "condition", current["condition"], CONDITION_LEN),
    }
    days = data.get("forecast", [])
    if not isinstance(days, list) or len(days) > MAX_FORECAST_DAYS:
        raise Invalid(f"forecast: not a list of at most {MAX_FORECAST_DAYS} days")
    forecast: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, day in enumerate(days):
        at = f"forecast[{i}]."
        _object(day, at[:-1], ("date", "low_c", "high_c", "condition"))
        _at(at, "date", check_date, day["date"])
        if day["date"] in seen:
            raise Invalid(f"{at}date: {day['date']} is listed twice")
        seen.add(day["date"])
        low = _number(at, "low_c", day["low_c"], -90, 60)
        high = _number(at, "high_c", day["high_c"], -90, 60)
        if low > high:
            raise Invalid(f"{at}low_c: {low:g} is above high_c {high:g}")
        condition = _text(at, "condition", day["condition"], CONDITION_LEN)
        forecast.append({"date": day["date"], "low_c": low, "high_c": high, "condition": condition})
    out["forecast"] = sorted(forecast, key=lambda d: str(d["date"]))
    return out


def _transport(data: dict[str, Any]) -> dict[str, Any]:
    _object(data, "", ("kind", "format", "issued_at", "notices"), ("valid_until",))
    _common(data, "transport")
    out: dict[str, Any] = {k: data[k] for k in ("kind", "format", "issued_at")}
    if "valid_until" in data:
        out["valid_until"] = data["valid_until"]
    notices = data["notices"]
    if not isinstance(notices, list) or len(notices) > MAX_NOTICES:
        raise Invalid(f"notices: not a list of at most {MAX_NOTICES} notices")
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for i, notice in enumerate(notices):
        at = f"notices[{i}]."
        _object(
            notice, at[:-1], ("id", "severity", "mode", "title", "valid_from", "valid_until"), ("body", "updated_at")
        )
        ident = notice["id"]
        if not isinstance(ident, str) or not NOTICE_ID_RE.fullmatch(ident):
            raise Invalid(f"{at}id: not an id (a-z, 0-9 and '-', up to 80): {_shown(ident)}")
        if ident in seen:
            raise Invalid(f"{at}id: {ident!r} is used twice")
        seen.add(ident)
        if notice["severity"] not in SEVERITIES or not isinstance(notice["severity"], str):
            raise Invalid(f"{at}severity: not one of {', '.join(SEVERITIES)}: {_shown(notice['severity'])}")
        if notice["mode"] not in MODES or not isinstance(notice["mode"], str):
            raise Invalid(f"{at}mode: not one of {', '.join(MODES)}: {_shown(notice['mode'])}")
        start = _moment(at, "valid_from", notice["valid_from"])
        end = _moment(at, "valid_until", notice["valid_until"])
        if end <= start:
            raise Invalid(f"{at}valid_until: not after valid_from")
        item: dict[str, Any] = {
            "id": ident,
            "severity": notice["severity"],
            "mode": notice["mode"],
            "title": _text(at, "title", notice["title"], TITLE_LEN),
            "valid_from": notice["valid_from"],
            "valid_until": notice["valid_until"],
        }
        if "body" in notice:
            item["body"] = _text(at, "body", notice["body"], BODY_LEN, multiline=True)
        if "updated_at" in notice:
            _moment(at, "updated_at", notice["updated_at"])
            item["updated_at"] = notice["updated_at"]
        clean.append(item)
    out["notices"] = clean
    return out


def _emergency(data: dict[str, Any]) -> dict[str, Any]:
    """Emergency notices: each with both required languages and an end no later than 7 days after its start."""
    _object(data, "", ("kind", "format", "issued_at", "notices"), ("valid_until",))
    _common(data, "emergency")
    out: dict[str, Any] = {k: data[k] for k in ("kind", "format", "issued_at")}
    if "valid_until" in data:
        out["valid_until"] = data["valid_until"]
    notices = data["notices"]
    if not isinstance(notices, list) or len(notices) > MAX_EMERGENCY_NOTICES:
        raise Invalid(f"notices: not a list of at most {MAX_EMERGENCY_NOTICES} notices")
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for i, notice in enumerate(notices):
        at = f"notices[{i}]."
        _object(notice, at[:-1], ("id", "severity", "title", "body", "starts_at", "ends_at", "issued_at"))
        ident = notice["id"]
        if not isinstance(ident, str) or not NOTICE_ID_RE.fullmatch(ident):
            raise Invalid(f"{at}id: not an id (a-z, 0-9 and '-', up to 80): {_shown(ident)}")
        if ident in seen:
            raise Invalid(f"{at}id: {ident!r} is used twice")
        seen.add(ident)
        severity = notice["severity"]
        if not isinstance(severity, str) or severity not in EMERGENCY_SEVERITIES:
            raise Invalid(f"{at}severity: not one of {', '.join(EMERGENCY_SEVERITIES)}: {_shown(severity)}")
        start = _moment(at, "starts_at", notice["starts_at"])
        end = _moment(at, "ends_at", notice["ends_at"])
        if end <= start:
            raise Invalid(f"{at}ends_at: not after starts_at")
        if end - start > MAX_EMERGENCY_DURATION:
            raise Invalid(f"{at}ends_at: more than {MAX_EMERGENCY_DURATION.days} days after starts_at")
        _moment(at, "issued_at", notice["issued_at"])
        title = _text(at, "title", notice["title"], TITLE_LEN)
        body = _text(at, "body", notice["body"], BODY_LEN, multiline=True)
        for key, text in (("title", title), ("body", body)):
            missing = [lang for lang in EMERGENCY_LANGUAGES if lang not in text]
            if missing:
                raise Invalid(f"{at}{key}: no {missing[0]} text (zh-Hans and en are both required)")
        clean.append(
            {
                "id": ident,
                "severity": severity,
                "title": title,
                "body": body,
                "starts_at": notice["starts_at"],
                "ends_at": notice["ends_at"],
                "issued_at": notice["issued_at"],
            }
        )
    out["notices"] = clean
    return out


def _no_constant(name: str) -> Any:
    raise Invalid(f"JSON with {name}, which is not a number")


def check_feed(kind: str, raw: bytes) -> dict[str, Any]:
    """The feed in ``raw`` checked and cleaned (plain text), or :class:`FeedError` with one line."""
    if kind not in FEED_KINDS:
        raise FeedError(f"feed kind {kind!r} is not one of {', '.join(FEED_KINDS)}")
    label = f"{kind} feed"
    if len(raw) > MAX_FEED_BYTES:
        raise FeedError(f"{label}: {len(raw)} bytes, more than the {MAX_FEED_BYTES} a feed may have")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FeedError(f"{label}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise FeedError(f"{label}: JSON nested too deeply") from None
    except Invalid as exc:
        raise FeedError(f"{label}: {exc}") from None
    except ValueError as exc:
        raise FeedError(f"{label}: not valid JSON ({' '.join(str(exc).split())})") from None
    try:
        if not isinstance(data, dict):
            raise Invalid("not a JSON object")
        if "kind" in data and data["kind"] != kind:  # first: a file given the wrong --kind says so, not a field
            raise Invalid(f"kind: {_shown(data['kind'])}, but the feed is published as {kind!r}")
        checks = {"weather": _weather, "transport": _transport, "emergency": _emergency}
        return checks[kind](data)
    except Invalid as exc:
        raise FeedError(f"{label}: {exc}") from None


def issued_at(feed: dict[str, Any]) -> dt.datetime:
    """When a checked feed was issued (an aware datetime)."""
    return check_timestamp(feed["issued_at"])


def valid_until(feed: dict[str, Any]) -> dt.datetime | None:
    """Until when a checked feed is valid, when it says so."""
    value = feed.get("valid_until")
    return check_timestamp(value) if value is not None else None


def dumps(feed: dict[str, Any]) -> bytes:
    """The bytes a checked feed is published as: compact, sorted keys, UTF-8."""
    return json.dumps(feed, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
