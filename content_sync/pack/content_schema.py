"""The declared type of every value the kiosk interprets: one description for builder, installer and docs.

``schema.py`` says which tables and columns a content database has (SQL); this module says
what each value must *be*: an id of a given pattern and length, an ISO date, an ``HH:MM``
time, an IANA time zone of the tzdata the kiosk ships, a number in a range, a JSON value of
a given shape, an https address, multilingual text of a bounded length. The builder checks
every row against it before writing (``content_db.py``), the installer checks every row of
every pack and later every delta (``vet.py``), and the limits table in
``docs/pack-source-format.md`` is generated from it (``python -m content_sync.pack.content_schema``;
a test keeps the two equal).

A value that fails is reported in one line naming table, row and field::

    venues row 'gansu-museum' field 'timezone': not an IANA time zone: 'Mars/Olympus'

Text is never refused for what it contains: every text value passes through
:func:`~content_sync.pack.sanitize.sanitize_text` (one-line or paragraph mode, per field), and
a check returns the cleaned value when it differs, which the installer writes back.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ..core import hours as hours_mod
from ..core import i18n
from ..core.vocabulary import ACCESSIBILITY_FACTS
from .sanitize import _SUSPECT_CHAR_RE, needs_sanitising, sanitize_text

INT64_MAX = 2**63 - 1
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
TAG_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
DISTRICT_RE = re.compile(r"[0-9]{6}")
COLOR_RE = re.compile(r"#[0-9A-Fa-f]{6}")
ICON_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIMESTAMP_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
PHONE_RE = re.compile(r"\+?[0-9 ()-]{3,24}")
HTTPS_RE = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/?#-]*)?")
MAX_URL = 200
MEDIA_PATH_RE = re.compile(r"media/([0-9a-f]{64})\.(png|jpg|jpeg|webp|mp3|ogg|wav|mbtiles)")
YEARS = (1900, 2200)  # dates outside are typing errors, and keep date arithmetic far from its limits

EVENT_KINDS = ("performance", "festival", "exhibition", "ceremony", "market", "tour")
HERITAGE_KINDS = ("performance", "craft", "ritual", "music", "dance", "drama", "literature", "custom")
HERITAGE_LEVELS = ("world", "national", "provincial", "municipal", "county")
TRANSPORT_KINDS = ("airport", "rail_station", "bus_station", "metro", "brt", "bus", "tram", "ferry")
PAGE_KINDS = ("hotel_room", "station", "practical", "about")
ROUTE_MODES = ("walk", "bus", "car", "mixed", "rail")
SEVERITIES = ("info", "warning", "alert")
IMAGE_OWNERS = ("venue", "route", "heritage", "event")
AUDIO_OWNERS = ("venue", "route", "heritage")
SEARCH_KINDS = ("venue", "route", "event", "heritage", "transport", "page")
MIME_TYPES = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
    "mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav", "mbtiles": "application/vnd.mbtiles",
}  # fmt: skip
BASEMAP_FORMATS = ("png", "jpg", "webp")
MAX_LANGUAGES = 40  # language entries in one multilingual value
MAX_LIST = 200  # entries in a JSON list (tickets, tags, aliases per language, hours rules)
MAX_JSON = 65_536  # characters of one JSON value (opening hours, tickets, ...)
_CACHED_JSON = 4096  # longer JSON values are not kept in the cache of checked values


class Invalid(ValueError):
    """A value that is not of its declared type; the message says what it is not."""


def _shown(value: object, limit: int = 60) -> str:
    """A value quoted and escaped for a one-line message (never raw control characters)."""
    text = repr(value)  # escapes control, format (bidi) and unpaired surrogate characters
    return text if len(text) <= limit else text[: limit - 4] + "...'"


# --- the types --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Type:
    """One declared type. ``check`` returns the value to store (the same object when unchanged)."""

    doc: str = ""
    nullable: bool = False

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def batch_ok(self, values: list[Any]) -> bool:
        """True only if ``check`` accepts every value (none NULL) and returns it unchanged.

        The installer's fast path for a whole column at once: False sends the rows to the
        per-row check, which names the first failing field or cleans the value. The default
        checks each distinct text once; subclasses test a column in a few C-level passes.
        """
        if not values or not _all_str(values):
            return not values
        check = self.check
        try:
            return all(check(v) is v for v in set(values))  # equal texts check alike
        except Exception:  # the per-row check raises it again, naming the row
            return False

    def describe(self) -> str:
        return self.doc + ("; may be NULL" if self.nullable else "")


@dataclass(frozen=True)
class Pattern(Type):
    regex: re.Pattern[str] = SLUG_RE
    what: str = "an id"

    def check(self, value: Any) -> Any:
        if not isinstance(value, str) or not self.regex.fullmatch(value):
            raise Invalid(f"not {self.what}: {_shown(value)}")
        return value

    def batch_ok(self, values: list[Any]) -> bool:
        return _all_str(values) and all(map(self.regex.fullmatch, values))


@dataclass(frozen=True)
class Choice(Type):
    options: tuple[str, ...] = ()

    def check(self, value: Any) -> Any:
        if value not in self.options or not isinstance(value, str):
            raise Invalid(f"not one of {', '.join(self.options)}: {_shown(value)}")
        return value

    def batch_ok(self, values: list[Any]) -> bool:
        # Only a str equals a str option (SQLite hands back str, bytes, int, float).
        return _all_str(values) and set(values) <= set(self.options)

    def describe(self) -> str:
        return "one of " + ", ".join(f"`{o}`" for o in self.options) + ("; may be NULL" if self.nullable else "")


@dataclass(frozen=True)
class Integer(Type):
    lo: int = 0
    hi: int = 10**9

    def check(self, value: Any) -> Any:
        if not isinstance(value, int) or isinstance(value, bool) or not self.lo <= value <= self.hi:
            raise Invalid(f"not a whole number from {self.lo} to {self.hi}: {_shown(value)}")
        return value

    def batch_ok(self, values: list[Any]) -> bool:
        if not values:
            return True
        return set(map(type, values)) == {int} and self.lo <= min(values) and max(values) <= self.hi

    def describe(self) -> str:
        return f"whole number {self.lo} to {self.hi}" + ("; may be NULL" if self.nullable else "")


@dataclass(frozen=True)
class Real(Type):
    lo: float = 0.0
    hi: float = 0.0

    def check(self, value: Any) -> Any:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if not ok or not self.lo <= value <= self.hi:
            raise Invalid(f"not a number from {self.lo:g} to {self.hi:g}: {_shown(value)}")
        return value

    def batch_ok(self, values: list[Any]) -> bool:
        if not values:
            return True
        if not set(map(type, values)) <= {int, float} or not all(map(math.isfinite, values)):
            return False
        return self.lo <= min(values) and max(values) <= self.hi

    def describe(self) -> str:
        return f"number {self.lo:g} to {self.hi:g}" + ("; may be NULL" if self.nullable else "")


@functools.cache
def shipped_time_zones() -> frozenset[str]:
    """The zone names of the tzdata package the kiosk ships (the same list on every kiosk)."""
    names = importlib.resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return frozenset(n for n in names if n != "Factory")


@functools.cache
def _loads_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, OSError):
        return False
    return True


def check_time_zone(value: Any) -> str:
    """An IANA zone name of the shipped tzdata that zoneinfo also loads; raises Invalid."""
    if not isinstance(value, str) or value not in shipped_time_zones() or not _loads_zone(value):
        raise Invalid(f"not an IANA time zone: {_shown(value)}")
    return value


@dataclass(frozen=True)
class TimeZone(Type):
    doc: str = "IANA time zone of the shipped tzdata (`Asia/Shanghai`)"

    def check(self, value: Any) -> Any:
        return check_time_zone(value)

    def batch_ok(self, values: list[Any]) -> bool:
        zones = set(values)
        return _all_str(values) and zones <= shipped_time_zones() and all(map(_loads_zone, zones))


def check_date(value: Any) -> dt.date:
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        raise Invalid(f"not a date (YYYY-MM-DD): {_shown(value)}")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"not a date (YYYY-MM-DD): {_shown(value)}") from None
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise Invalid(f"not a date from {YEARS[0]} to {YEARS[1]}: {_shown(value)}")
    return day


@dataclass(frozen=True)
class Date(Type):
    doc: str = f"ISO date `YYYY-MM-DD`, years {YEARS[0]}-{YEARS[1]}"

    def check(self, value: Any) -> Any:
        check_date(value)
        return value


def check_timestamp(value: Any) -> dt.datetime:
    if not isinstance(value, str) or not TIMESTAMP_RE.fullmatch(value):
        raise Invalid(f"not a date-time with a UTC offset (2027-06-22T09:00:00+08:00): {_shown(value)}")
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"not a date-time with a UTC offset (2027-06-22T09:00:00+08:00): {_shown(value)}") from None
    if not YEARS[0] <= stamp.year <= YEARS[1]:
        raise Invalid(f"not a date-time from {YEARS[0]} to {YEARS[1]}: {_shown(value)}")
    return stamp


@dataclass(frozen=True)
class Timestamp(Type):
    doc: str = f"ISO 8601 date-time with UTC offset (`2027-06-22T09:00:00+08:00`), years {YEARS[0]}-{YEARS[1]}"

    def check(self, value: Any) -> Any:
        check_timestamp(value)
        return value


def check_hhmm(value: Any) -> dt.time:
    try:
        return hours_mod.parse_hhmm(value, "time")
    except hours_mod.HoursError:
        raise Invalid(f"not a time of day (HH:MM): {_shown(value)}") from None


@dataclass(frozen=True)
class Time(Type):
    doc: str = "time of day `HH:MM` (00:00 to 24:00)"

    def check(self, value: Any) -> Any:
        check_hhmm(value)
        return value


def clean_text(value: Any, max_len: int, multiline: bool) -> str:
    """Sanitised text of at most ``max_len`` characters (checked after sanitising)."""
    if not isinstance(value, str):
        raise Invalid(f"not text: {_shown(value)}")
    clean = sanitize_text(value, multiline=multiline) if needs_sanitising(value, multiline=multiline) else value
    if len(clean) > max_len:
        raise Invalid(f"text of {len(clean)} characters, more than {max_len}")
    return clean if clean != value else value


@dataclass(frozen=True)
class Text(Type):
    max_len: int = 200
    multiline: bool = False

    def check(self, value: Any) -> Any:
        return clean_text(value, self.max_len, self.multiline)

    def describe(self) -> str:
        lines = "paragraphs" if self.multiline else "one line"
        return f"plain text, {lines}, up to {self.max_len} characters"


def check_i18n_object(data: Any, max_len: int, multiline: bool, required: bool) -> dict[str, str]:
    """A mapping of language tag to sanitised text; returns a new dict only when something changed."""
    if not isinstance(data, dict):
        raise Invalid("not multilingual text (a JSON object of language: text)")
    if len(data) > MAX_LANGUAGES:
        raise Invalid(f"more than {MAX_LANGUAGES} languages")
    if required and not data:
        raise Invalid("empty: text in at least one language is required")
    out: dict[str, str] = {}
    changed = False
    for tag, text in data.items():
        if not _is_tag(tag):
            raise Invalid(f"not a language tag: {_shown(tag)}")
        try:
            clean = clean_text(text, max_len, multiline)
        except Invalid as exc:
            raise Invalid(f"[{tag}] {exc}") from None
        changed = changed or clean is not text
        out[tag] = clean
    return out if changed else data


@dataclass(frozen=True)
class I18n(Type):
    """A JSON object of BCP-47 tag -> text, stored as a JSON string."""

    max_len: int = 200
    multiline: bool = False
    required: bool = True

    def check(self, value: Any) -> Any:
        if not isinstance(value, str) or not value.startswith("{"):
            raise Invalid("not multilingual text (a JSON object of language: text)")
        structure = _i18n_json_re(self.max_len, self.multiline, self.required)
        if _clean_i18n_json(value, structure, self.max_len, self.multiline):
            return value  # the full check below would find nothing to refuse or change
        data = _json(value)
        clean = check_i18n_object(data, self.max_len, self.multiline, self.required)
        return value if clean is data else i18n.dumps(clean)

    def batch_ok(self, values: list[Any]) -> bool:
        """The fast path of :meth:`check` (:func:`_clean_i18n_json`) over a column, one C-level pass per test."""
        if not values:
            return True
        if not _all_str(values) or max(map(len, values)) > self.max_len:
            return False
        plain = _plain_i18n_json_re(self.multiline, self.required)
        return all(map(plain.fullmatch, values)) and all(map(_IS_NFC, values))

    def describe(self) -> str:
        lines = "paragraphs" if self.multiline else "one line"
        need = "required" if self.required else "optional"
        return f"multilingual text ({need}), {lines}, up to {self.max_len} characters per language"


@dataclass(frozen=True)
class TextOrI18n(Type):
    """A name that reads the same in every language (plain text) or a phrase translated per
    language (a JSON object of language: text): image credits are either."""

    max_len: int = 200

    def check(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("{"):
            return I18n(max_len=self.max_len).check(value)
        return clean_text(value, self.max_len, multiline=False)

    def describe(self) -> str:
        return (f"plain text, one line, up to {self.max_len} characters, or multilingual text "
                f"(a JSON object of language: text) up to {self.max_len} characters per language")  # fmt: skip


# The fast path for multilingual text as the builder writes it (compact JSON, no escapes but
# "\n"): one regular expression for its structure, tags and lengths, one character class for
# anything the sanitiser would change, substring tests for whitespace at the ends of a text or
# a line. Anything else, including any other JSON spelling, takes the full check.
_TAG = i18n._TAG_RE.pattern.removeprefix("^").removesuffix("\\Z")
# What the sanitiser would change, or whitespace other than the space character, in one class
# (one scan of the text). Every whitespace character is below U+3001.
_OTHER_SPACES = "".join(re.escape(chr(c)) for c in range(0x3001) if chr(c).isspace() and c != 0x20)
_RAW_SUSPECT_RE = re.compile(_SUSPECT_CHAR_RE.pattern[:-1] + _OTHER_SPACES + "]")
_LINE_EDGES = (" \\n", "\\n ", '"\\n', '\\n"', "\\n\\n\\n")  # JSON-escaped: spaces at line ends, 3 newlines


@functools.cache
def _i18n_json_re(max_len: int, multiline: bool, required: bool) -> re.Pattern[str]:
    run = r'[^"\\\x00-\x1f]*'  # runs of plain characters (a class, not an alternative per character)
    text = rf"{run}(?:\\n{run})*" if multiline else run
    item = rf'"(?=[^"]{{2,35}}"){_TAG}":"{text}"'
    items = rf"{item}(?:,{item}){{0,{MAX_LANGUAGES - 1}}}"
    return re.compile(rf"\{{(?:{items}){'' if required else '?'}\}}")


_IS_NFC = functools.partial(unicodedata.is_normalized, "NFC")


@functools.cache
def _plain_i18n_json_re(multiline: bool, required: bool) -> re.Pattern[str]:
    """:func:`_i18n_json_re` narrowed to what :func:`_clean_i18n_json` passes, in one scan of the value.

    Its text runs exclude every character ``_RAW_SUSPECT_RE`` flags, and each line of a text
    starts and ends with a character other than a space, lines being separated by one or two
    ``\\n`` (so no ``" ``, `` "`` and no line edge of ``_LINE_EDGES``): whatever it matches,
    the structure regex matches and the other tests pass. Lengths and NFC are tested apart.
    """
    suspects = _RAW_SUSPECT_RE.pattern[1:-1]
    char = f'[^"\\\\\x00-\x1f{suspects}]'
    solid = f'[^ "\\\\\x00-\x1f{suspects}]'
    line = f"{solid}(?:{char}*{solid})?"
    text = rf"(?:{line}(?:\\n(?:\\n)?{line})*)?" if multiline else f"(?:{line})?"
    item = rf'"(?=[^"]{{2,35}}"){_TAG}":"{text}"'
    items = rf"{item}(?:,{item}){{0,{MAX_LANGUAGES - 1}}}"
    return re.compile(rf"\{{(?:{items}){'' if required else '?'}\}}")


def _all_str(values: list[Any]) -> bool:
    """Every value is text (SQLite hands back exactly str, bytes, int, float or None)."""
    return not values or set(map(type, values)) == {str}


def _clean_i18n_json(value: str, structure: re.Pattern[str], max_len: int, multiline: bool) -> bool:
    # No text is longer than the whole value: only values that short are decided here.
    if len(value) > max_len or not structure.fullmatch(value):
        return False
    if _RAW_SUSPECT_RE.search(value) or '" ' in value or ' "' in value:
        return False
    if multiline and "\\n" in value and any(s in value for s in _LINE_EDGES):
        return False
    return unicodedata.is_normalized("NFC", value)


def _json(value: str) -> Any:
    try:
        return _DECODER.decode(value)
    except RecursionError:
        raise Invalid("JSON nested too deeply") from None
    except (ValueError, TypeError) as exc:
        if isinstance(exc, Invalid):
            raise
        raise Invalid("not valid JSON") from None


def _no_constant(name: str) -> Any:
    raise Invalid(f"JSON with {name}, which is not a number")


# One decoder for every value (json.loads with an option builds a new one per call).
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


@functools.lru_cache(maxsize=1024)
def _is_tag(tag: str) -> bool:
    return len(tag) <= 35 and i18n.is_language_tag(tag)


@dataclass(frozen=True)
class Json(Type):
    """A JSON value stored as a string; ``shape`` checks and cleans the decoded value."""

    shape: Callable[[Any], Any] = lambda data: data

    def check(self, value: Any) -> Any:
        if not isinstance(value, str) or value[:1] not in ("{", "["):
            raise Invalid("not a JSON object or list")
        if len(value) > MAX_JSON:
            raise Invalid(f"JSON of more than {MAX_JSON} characters")
        if len(value) > _CACHED_JSON:
            return _unique_json(self.shape, value)
        clean = _checked_json(self.shape, value)
        return value if clean == value else clean  # the cache hands back an equal, other object

    def describe(self) -> str:
        return super().describe() + f" (JSON, up to {MAX_JSON} characters)"


@functools.lru_cache(maxsize=4096)
def _checked_json(shape: Callable[[Any], Any], value: str) -> str:
    """A JSON value checked by ``shape``, cleaned; cached, as many rows share one (hours, tickets, contact)."""
    return _unique_json(shape, value)


def _unique_json(shape: Callable[[Any], Any], value: str) -> str:
    data = _json(value)
    clean = shape(data)
    if clean is data:
        return value
    return json.dumps(clean, ensure_ascii=False, sort_keys=True)


# --- JSON shapes ------------------------------------------------------------------------------


def _mapping(data: Any, what: str, allowed: Iterable[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise Invalid(f"not {what}")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise Invalid(f"{what} with an unknown key {_shown(unknown[0])}")
    return data


def _list(data: Any, what: str, max_len: int = MAX_LIST) -> list[Any]:
    if not isinstance(data, list):
        raise Invalid(f"not {what}")
    if len(data) > max_len:
        raise Invalid(f"{what} of more than {max_len} entries")
    return data


def _sub(data: dict[str, Any], key: str, clean: Any, out: dict[str, Any] | None) -> dict[str, Any] | None:
    """Record a cleaned sub-value; returns the copy being built (None while nothing changed)."""
    if clean is data[key]:
        return out
    out = dict(data) if out is None else out
    out[key] = clean
    return out


def _i18n_in(data: dict[str, Any], key: str, where: str, out: dict[str, Any] | None, max_len: int = 300,
             multiline: bool = False) -> dict[str, Any] | None:  # fmt: skip
    if key not in data:
        return out
    try:
        clean = check_i18n_object(data[key], max_len, multiline, required=False)
    except Invalid as exc:
        raise Invalid(f"{where}{key}: {exc}") from None
    return _sub(data, key, clean, out)


def _weekly_rules(data: Any, where: str, keys: tuple[str, ...]) -> None:
    for i, rule in enumerate(_list(data, f"{where} (a list of rules)")):
        at = f"{where}[{i}]"
        _mapping(rule, f"{at} (a rule)", (*keys, "days"))
        _days(rule.get("days"), f"{at}.days")
        for key in keys:
            if key in rule or key != "last_entry":
                try:
                    check_hhmm(rule.get(key))
                except Invalid as exc:
                    raise Invalid(f"{at}.{key}: {exc}") from None


def _days(data: Any, where: str) -> list[str]:
    days = _list(data, f"{where} (a list of mon..sun)", 7)
    if not days or any(d not in hours_mod.DAYS or not isinstance(d, str) for d in days) or len(set(days)) != len(days):
        raise Invalid(f"{where}: not a list of different days from {', '.join(hours_mod.DAYS)}")
    return days


def hours_shape(data: Any) -> Any:
    """Opening hours as ``core/hours.py`` reads them (see docs/pack-source-format.md)."""
    _mapping(data, "opening hours (an object)", ("always_open", "weekly", "seasons", "closed_dates", "note"))
    if "always_open" in data and not isinstance(data["always_open"], bool):
        raise Invalid("always_open: not true or false")
    if data.get("always_open") is True:
        if "weekly" in data or "seasons" in data:
            raise Invalid("always_open together with weekly or seasons")
    elif "weekly" not in data:
        raise Invalid("neither always_open nor weekly")
    else:
        if not data["weekly"]:
            raise Invalid("weekly: an empty list")
        _weekly_rules(data["weekly"], "weekly", ("open", "close", "last_entry"))
    out: dict[str, Any] | None = None
    seasons = data.get("seasons") or []  # null reads as none, as core/hours.py reads it
    new_seasons: list[Any] = []
    for i, season in enumerate(_list(seasons, "seasons (a list)")):
        at = f"seasons[{i}]"
        _mapping(season, f"{at} (a season)", ("name", "from", "to", "weekly"))
        for key in ("from", "to"):
            try:
                hours_mod.parse_month_day(season.get(key), key)
            except hours_mod.HoursError:
                raise Invalid(f"{at}.{key}: not a month and day (MM-DD): {_shown(season.get(key))}") from None
        if not season.get("weekly"):
            raise Invalid(f"{at}.weekly: missing or empty")
        _weekly_rules(season["weekly"], f"{at}.weekly", ("open", "close", "last_entry"))
        new_seasons.append(_i18n_in(season, "name", f"{at}.", None) or season)
    if any(a is not b for a, b in zip(new_seasons, seasons, strict=True)):
        out = {**data, "seasons": new_seasons}
    for i, day in enumerate(_list(data.get("closed_dates") or [], "closed_dates (a list of dates)", 1000)):
        try:
            check_date(day)
        except Invalid as exc:
            raise Invalid(f"closed_dates[{i}]: {exc}") from None
    out = _i18n_in(data, "note", "", out, 500, multiline=True)
    return data if out is None else out


def tickets_shape(data: Any) -> Any:
    tickets = _list(data, "a list of tickets", 50)
    new: list[Any] = []
    for i, ticket in enumerate(tickets):
        at = f"[{i}]"
        _mapping(ticket, f"ticket {at} (an object)", ("label", "price_cny", "note"))
        if "label" not in ticket:
            raise Invalid(f"{at}: no label")
        price = ticket.get("price_cny")
        try:
            Real(lo=0, hi=100_000).check(price)
        except Invalid as exc:
            raise Invalid(f"{at}.price_cny: {exc}") from None
        out = _i18n_in(ticket, "label", f"{at}.", None, 120)
        new.append(_i18n_in(ticket, "note", f"{at}.", out, 300) or ticket)
    return tickets if all(a is b for a, b in zip(new, tickets, strict=True)) else new


def contact_shape(data: Any) -> Any:
    _mapping(data, "contact details (an object)", ("phone", "website"))
    if "phone" in data and (not isinstance(data["phone"], str) or not PHONE_RE.fullmatch(data["phone"])):
        raise Invalid(f"phone: not a phone number: {_shown(data['phone'])}")
    if "website" in data:
        check_https(data["website"], "website: ")
    return data


def check_https(value: Any, where: str = "") -> str:
    """An https address a visitor may be shown (as a QR code): no other scheme, no spaces or quotes."""
    if not isinstance(value, str) or len(value) > MAX_URL or not HTTPS_RE.fullmatch(value):
        raise Invalid(f"{where}not an https:// address: {_shown(value)}")
    return value


def accessibility_shape(data: Any) -> Any:
    _mapping(data, "accessibility facts (an object)", (*ACCESSIBILITY_FACTS, "note"))
    for fact in ACCESSIBILITY_FACTS:
        if fact in data and not isinstance(data[fact], bool):
            raise Invalid(f"{fact}: not true or false")
    return _i18n_in(data, "note", "", None, 500, multiline=True) or data


def aliases_shape(data: Any) -> Any:
    if not isinstance(data, dict):
        raise Invalid("not a JSON object of language: list of names")
    if len(data) > MAX_LANGUAGES:
        raise Invalid(f"more than {MAX_LANGUAGES} languages")
    out: dict[str, Any] | None = None
    for tag, names in data.items():
        if not i18n.is_language_tag(tag) or len(tag) > 35:
            raise Invalid(f"not a language tag: {_shown(tag)}")
        names = _list(names, f"[{tag}] (a list of names)", 50)
        clean = []
        for name in names:
            try:
                clean.append(clean_text(name, 120, multiline=False))
            except Invalid as exc:
                raise Invalid(f"[{tag}] {exc}") from None
        if any(a is not b for a, b in zip(clean, names, strict=True)):
            out = dict(data) if out is None else out
            out[tag] = clean
    return data if out is None else out


def tags_shape(data: Any) -> Any:
    for tag in _list(data, "a list of tags", 50):
        if not isinstance(tag, str) or not TAG_SLUG_RE.fullmatch(tag):
            raise Invalid(f"not a tag (lowercase letters, digits and '-', up to 40): {_shown(tag)}")
    return data


def days_shape(data: Any) -> Any:
    return _days(data, "days")


def bounds_shape(data: Any) -> Any:
    """[west, south, east, north] in degrees, inside the world, west < east and south < north."""
    if not isinstance(data, list) or len(data) != 4:
        raise Invalid("not [west, south, east, north]")
    for value in data:
        Real(lo=-180, hi=180).check(value)
    w, s, e, n = data
    if not (-90 <= s < n <= 90 and w < e):
        raise Invalid(f"not [west, south, east, north] with west < east and south < north: {_shown(data)}")
    return data


def language_list(data: Any) -> Any:
    tags = _list(data, "a list of language tags", MAX_LANGUAGES)
    if not all(isinstance(t, str) and i18n.is_language_tag(t) and len(t) <= 35 for t in tags):
        raise Invalid(f"not a list of language tags: {_shown(tags)}")
    return data


# --- the tables ---------------------------------------------------------------------------------

ID = Pattern(
    doc="id: lowercase letters, digits and `-`, up to 80",
    regex=SLUG_RE,
    what="an id (lowercase letters, digits and '-', up to 80)",
)
SORT = Integer(lo=0, hi=10**9)
BOOL = Integer(doc="0 or 1", lo=0, hi=1)
SHA256 = Pattern(doc="SHA-256 of a media file (64 hex digits)", regex=SHA256_RE, what="a SHA-256")
DISTRICT = Pattern(doc="6-digit division code", regex=DISTRICT_RE, what="a 6-digit division code")
LAT = Real(lo=-90, hi=90)
LON = Real(lo=-180, hi=180)
NAME = I18n(max_len=120)
SUMMARY = I18n(max_len=400)
DESCRIPTION = I18n(max_len=10_000, multiline=True)
NARRATION = I18n(max_len=10_000, multiline=True)


def _opt(t: Type) -> Type:
    return type(t)(**{**t.__dict__, "nullable": True})


@dataclass(frozen=True)
class Table:
    """Every column of one table with its type; ``row_check`` compares fields of one row."""

    name: str
    key: tuple[str, ...]
    columns: dict[str, Type]
    row_check: Callable[[dict[str, Any]], tuple[str, str] | None] | None = None
    derived: bool = False  # the search index: rebuilt by the builder, checked for what it points at
    extra: dict[str, str] = field(default_factory=dict)


def _after(first: str, second: str, parse: Callable[[Any], Any]) -> Callable[[dict[str, Any]], tuple[str, str] | None]:
    def check(row: dict[str, Any]) -> tuple[str, str] | None:
        a, b = row.get(first), row.get(second)
        if a is not None and b is not None and parse(b) < parse(a):
            return second, f"before {first}"
        return None

    return check


def _session_order(row: dict[str, Any]) -> tuple[str, str] | None:
    if check_timestamp(row["ends_at"]) <= check_timestamp(row["starts_at"]):
        return "ends_at", "not after starts_at"
    return None


def _zoom_order(row: dict[str, Any]) -> tuple[str, str] | None:
    return ("maxzoom", "less than minzoom") if row["maxzoom"] < row["minzoom"] else None


def _both_or_neither(row: dict[str, Any]) -> tuple[str, str] | None:
    return ("lon", "given without lat, or lat without lon") if (row["lat"] is None) != (row["lon"] is None) else None


def _media_row(row: dict[str, Any]) -> tuple[str, str] | None:
    match = MEDIA_PATH_RE.fullmatch(row["path"])
    if not match or match.group(1) != row["sha256"]:
        return "path", f"not media/<sha256>.<ext> of this row's SHA-256: {_shown(row['path'])}"
    if MIME_TYPES[match.group(2)] != row["mime"]:
        return "mime", f"not the type of a .{match.group(2)} file: {_shown(row['mime'])}"
    return None


def _owned_id(kinds: tuple[str, ...], last: str) -> Pattern:
    regex = re.compile(rf"({'|'.join(kinds)}):[a-z0-9][a-z0-9-]{{0,79}}:{last}")
    return Pattern(doc="`kind:owner-id:" + ("n`" if last == "[0-9]{1,4}" else "lang`"), regex=regex, what="an id")


LANG_TAG = Pattern(doc="BCP-47 language tag", regex=re.compile(r"[a-zA-Z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}"),
                   what="a language tag")  # fmt: skip

# fmt: off
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("media", ("sha256",), {
            "sha256": SHA256,
            "path": Pattern(doc="`media/<sha256>.<ext>`", regex=MEDIA_PATH_RE, what="a media file name"),
            "mime": Choice(options=tuple(sorted(set(MIME_TYPES.values())))),
            "size": Integer(lo=0, hi=INT64_MAX), "width": _opt(Integer(lo=1, hi=100_000)),
            "height": _opt(Integer(lo=1, hi=100_000)),
        }, _media_row),
        Table("themes", ("id",), {
            "id": ID, "name": NAME, "description": I18n(max_len=2000, multiline=True),
            "color": Pattern(doc="colour `#RRGGBB`", regex=COLOR_RE, what="a colour like #1F6FB2"), "sort": SORT,
        }),
        Table("categories", ("id",), {
            "id": ID, "name": NAME,
            "icon": Pattern(doc="symbol name: lowercase letters, digits, `_`, `-`, up to 40", regex=ICON_RE,
                            what="a symbol name"),
            "sort": SORT,
        }),
        Table("districts", ("code",), {"code": DISTRICT, "city": ID, "name": NAME}),
        Table("venues", ("id",), {
            "id": ID, "name": NAME,
            "aliases": Json(doc="object: language tag -> list of up to 50 names (one line, up to 120)",
                            shape=aliases_shape),
            "category": ID, "city": ID, "district": _opt(DISTRICT), "address": I18n(max_len=300), "lat": LAT,
            "lon": LON, "timezone": TimeZone(), "summary": SUMMARY, "description": DESCRIPTION,
            "hours": _opt(Json(doc="opening hours object (see Opening hours)", shape=hours_shape)),
            "tickets": Json(doc="list of up to 50 {label, price_cny 0-100000, note}", shape=tickets_shape),
            "tickets_note": I18n(max_len=1000, multiline=True, required=False),
            "contact": Json(doc=f"{{phone, website: https:// up to {MAX_URL}}}", shape=contact_shape),
            "accessibility": Json(doc="{facts: true/false, note}", shape=accessibility_shape),
            "getting_there": I18n(max_len=2000, multiline=True), "tags": Json(doc="list of up to 50 tags",
                                                                               shape=tags_shape),
            "featured": BOOL, "narration": NARRATION, "sort": SORT,
        }),
        Table("venue_themes", ("venue_id", "theme_id"), {"venue_id": ID, "theme_id": ID}),
        Table("images", ("id",), {
            "id": _owned_id(IMAGE_OWNERS, "[0-9]{1,4}"), "owner_kind": Choice(options=IMAGE_OWNERS),
            "owner_id": ID, "media": SHA256, "caption": I18n(max_len=300, required=False),
            "credit": TextOrI18n(max_len=200), "licence": Text(max_len=100), "sort": Integer(lo=0, hi=9999),
        }),
        Table("audio", ("id",), {
            "id": _owned_id(AUDIO_OWNERS, "[A-Za-z0-9-]{2,35}"), "owner_kind": Choice(options=AUDIO_OWNERS),
            "owner_id": ID, "lang": LANG_TAG, "media": SHA256,
        }),
        Table("routes", ("id",), {
            "id": ID, "name": NAME, "summary": SUMMARY, "description": DESCRIPTION, "city": ID,
            "duration_minutes": Integer(lo=1, hi=7 * 24 * 60), "distance_km": _opt(Real(lo=0, hi=5000)),
            "mode": Choice(options=ROUTE_MODES), "featured": BOOL,
            "narration": I18n(max_len=10_000, multiline=True, required=False), "sort": SORT,
        }),
        Table("route_themes", ("route_id", "theme_id"), {"route_id": ID, "theme_id": ID}),
        Table("route_stops", ("route_id", "seq"), {
            "route_id": ID, "seq": Integer(lo=0, hi=999), "venue_id": ID, "stay_minutes": Integer(lo=0, hi=24 * 60),
            "note": I18n(max_len=500, multiline=True, required=False),
        }),
        Table("heritage", ("id",), {
            "id": ID, "name": NAME,
            "aliases": Json(doc="object: language tag -> list of up to 50 names (one line, up to 120)",
                            shape=aliases_shape),
            "summary": SUMMARY, "description": DESCRIPTION,
            "kind": Choice(options=HERITAGE_KINDS), "level": Choice(options=HERITAGE_LEVELS),
            "inscribed": _opt(Integer(lo=1900, hi=2100)), "city": ID,
            "narration": I18n(max_len=10_000, multiline=True, required=False), "sort": SORT,
        }),
        Table("heritage_themes", ("heritage_id", "theme_id"), {"heritage_id": ID, "theme_id": ID}),
        Table("heritage_venues", ("heritage_id", "venue_id"), {"heritage_id": ID, "venue_id": ID}),
        Table("events", ("id",), {
            "id": ID, "title": NAME, "summary": SUMMARY,
            "description": I18n(max_len=10_000, multiline=True, required=False),
            "kind": Choice(options=EVENT_KINDS), "venue_id": _opt(ID), "heritage_id": _opt(ID),
            "price": I18n(max_len=120, required=False), "sort": SORT,
        }),
        Table("event_themes", ("event_id", "theme_id"), {"event_id": ID, "theme_id": ID}),
        Table("event_sessions", ("event_id", "seq"), {
            "event_id": ID, "seq": Integer(lo=0, hi=9999), "starts_at": Timestamp(), "ends_at": Timestamp(),
        }, _session_order),
        Table("event_weekly", ("event_id", "seq"), {
            "event_id": ID, "seq": Integer(lo=0, hi=999),
            "days": Json(doc="list of different days `mon`..`sun`", shape=days_shape),
            "start_time": Time(), "end_time": Time(), "from_date": _opt(Date()), "until_date": _opt(Date()),
        }, _after("from_date", "until_date", check_date)),
        Table("transport", ("id",), {
            "id": ID, "kind": Choice(options=TRANSPORT_KINDS), "name": NAME, "description": DESCRIPTION,
            "city": ID, "lat": _opt(LAT), "lon": _opt(LON),
            "to_city_centre": I18n(max_len=2000, multiline=True, required=False), "sort": SORT,
        }, _both_or_neither),
        Table("pages", ("id",), {
            "id": ID, "kind": Choice(options=PAGE_KINDS), "title": NAME,
            "body": I18n(max_len=20_000, multiline=True), "sort": SORT,
        }),
        Table("notices", ("id",), {
            "id": ID, "title": NAME, "body": I18n(max_len=2000, multiline=True),
            "severity": Choice(options=SEVERITIES), "starts_at": _opt(Timestamp()), "ends_at": _opt(Timestamp()),
        }, _after("starts_at", "ends_at", check_timestamp)),
        Table("basemaps", ("id",), {
            "id": ID, "media": SHA256, "format": Choice(options=BASEMAP_FORMATS),
            "minzoom": Integer(lo=0, hi=24), "maxzoom": Integer(lo=0, hi=24),
            "bounds": Json(doc="[west, south, east, north] degrees, west < east, south < north", shape=bounds_shape),
        }, _zoom_order),
        Table("search_docs", ("rowid",), {
            "rowid": Integer(lo=1, hi=INT64_MAX), "kind": Choice(options=SEARCH_KINDS), "ref_id": ID,
            "name_len": Integer(lo=0, hi=10**6), "boost": Integer(lo=-(10**6), hi=10**6),
        }, derived=True),
    )
}
# fmt: on


# --- meta: one row per key --------------------------------------------------------------------

# The manifest allows 1 to 2^53 (an integer every JSON reader holds exactly); meta must agree with it.
MAX_CONTENT_VERSION = 2**53
CONTENT_VERSION = Integer(doc=f"whole number 1 to {MAX_CONTENT_VERSION} (2^53)", lo=1, hi=MAX_CONTENT_VERSION)


def _decimal(inner: Integer) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"[1-9][0-9]{0,39}|0", value):
            raise Invalid(f"not a whole number written in digits: {_shown(value)}")
        inner.check(int(value))
        return value

    return check


@dataclass(frozen=True)
class MetaValue(Type):
    """A meta value (always TEXT) checked by ``parse``."""

    parse: Callable[[Any], Any] = lambda v: v

    def check(self, value: Any) -> Any:
        return self.parse(value)


META: dict[str, Type] = {
    "pack_id": ID,
    "title": I18n(max_len=120),
    "content_version": MetaValue(doc=CONTENT_VERSION.doc + ", in digits", parse=_decimal(CONTENT_VERSION)),
    "channel": Pattern(doc="channel: lowercase letters, digits and `-`, up to 80", regex=SLUG_RE,
                       what="a channel name (lowercase letters, digits and '-', up to 80)"),
    "languages": Json(doc=f"list of up to {MAX_LANGUAGES} language tags", shape=language_list),
    "fallback": Json(doc=f"list of up to {MAX_LANGUAGES} language tags", shape=language_list),
    "timezone": TimeZone(),
    "created_at": Timestamp(),
    "schema_version": MetaValue(doc="whole number in digits", parse=_decimal(Integer(lo=1, hi=10**6))),
}  # fmt: skip


# --- checking rows ---------------------------------------------------------------------------------


def row_label(key: Sequence[Any]) -> str:
    """How a row is named in a message: its id, or its composite key."""
    if len(key) == 1:
        return _shown(key[0], 90)
    return "(" + ", ".join(_shown(k, 90) for k in key) + ")"


@dataclass(frozen=True)
class Violation:
    """A value that is not of its declared type: one line naming table, row and field."""

    table: str
    row: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row} field {_shown(self.field)}: {self.reason}"


class SchemaError(ValueError):
    def __init__(self, violation: Violation) -> None:
        super().__init__(str(violation))
        self.violation = violation


def check_row(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Check one row (column -> stored value); returns only the columns whose value was cleaned.

    Raises :class:`SchemaError` naming the first field that is not of its type.
    """
    return check_values(table, tuple(row.get(c) for c in table.columns))


_Plan = tuple[tuple[str, Callable[[Any], Any], bool], ...]
_PLANS: dict[int, tuple[Table, _Plan]] = {}


def _plan(table: Table) -> _Plan:
    """Each column's name, check and nullability, worked out once per table."""
    found = _PLANS.get(id(table))
    if found is None or found[0] is not table:
        found = _PLANS[id(table)] = (table, tuple((c, k.check, k.nullable) for c, k in table.columns.items()))
    return found[1]


def check_values(table: Table, values: Sequence[Any]) -> dict[str, Any]:
    """:func:`check_row` for values in column order, as a table scan reads them (the installer's loop)."""
    changes: dict[str, Any] = {}
    for (column, check, nullable), value in zip(_plan(table), values, strict=True):
        if value is None:
            if nullable:
                continue
            raise SchemaError(Violation(table.name, _label(table, values), column, "missing (NULL)"))
        try:
            clean = check(value)
        except Invalid as exc:
            raise SchemaError(Violation(table.name, _label(table, values), column, str(exc))) from None
        if clean is not value:
            changes[column] = clean
    if table.row_check is not None:
        found = table.row_check({**dict(zip(table.columns, values, strict=True)), **changes})
        if found:
            raise SchemaError(Violation(table.name, _label(table, values), *found))
    return changes


def _suspects(kind: Type, nullable: bool, column: list[Any], at: range) -> Iterable[int]:
    """Positions in ``at`` of ``column`` whose value may fail or change: halving where a batch fails."""
    values = [column[i] for i in at]
    present = [v for v in values if v is not None] if nullable else values
    if None not in present and kind.batch_ok(present):
        return ()
    if len(at) <= 8:
        return at
    half = len(at) // 2
    return [*_suspects(kind, nullable, column, at[:half]), *_suspects(kind, nullable, column, at[half:])]


def check_batch(table: Table, rows: Sequence[Sequence[Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`check_values` for many rows, column by column: (position, changes) of each row that changed.

    Each column is tested whole with its type's :meth:`Type.batch_ok`; only the rows of a
    column that fails it (found by halving) take the per-row check, in row order, so a
    refusal names the same first row and field as checking row by row would. Clean packs
    thus cost a few C-level passes per column instead of a Python call per value.
    """
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    everything = range(len(rows))
    suspects: set[int] = set()
    for (_, check, nullable), column in zip(_plan(table), columns, strict=True):
        kind = getattr(check, "__self__", None)
        if not isinstance(kind, Type):
            suspects.update(everything)
            break
        suspects.update(_suspects(kind, nullable, list(column), everything))
    row_check = table.row_check
    names = list(table.columns)
    for i in sorted(suspects) if row_check is None else everything:
        if i in suspects:
            changes = check_values(table, rows[i])
            if changes:
                yield i, changes
        elif row_check is not None:
            found = row_check(dict(zip(names, rows[i], strict=True)))
            if found:
                raise SchemaError(Violation(table.name, _label(table, rows[i]), *found))


def _label(table: Table, values: Sequence[Any]) -> str:
    columns = list(table.columns)
    return row_label([values[columns.index(k)] for k in table.key])


def check_meta(rows: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """Check the meta table's (key, value) rows; returns cleaned values by key."""
    seen: set[str] = set()
    changes: dict[str, Any] = {}
    for key, value in rows:
        kind = META.get(key) if isinstance(key, str) else None
        if kind is None:
            raise SchemaError(Violation("meta", row_label([key]), "key", "not a key this kiosk reads"))
        seen.add(key)
        try:
            clean = kind.check(value)
        except Invalid as exc:
            raise SchemaError(Violation("meta", row_label([key]), "value", str(exc))) from None
        if clean is not value:
            changes[key] = clean
    missing = sorted(set(META) - seen)
    if missing:
        raise SchemaError(Violation("meta", row_label([missing[0]]), "value", "missing"))
    return changes


# --- the limits table in docs/pack-source-format.md ---------------------------------------------------

DOC_BEGIN = "<!-- limits table: generated by `python -m content_sync.pack.content_schema`; do not edit -->"
DOC_END = "<!-- end of limits table -->"


def limits_table() -> str:
    """The markdown table of every column's declared type, as docs/pack-source-format.md shows it."""
    lines = [DOC_BEGIN, "", "| table | column | type and limits |", "| --- | --- | --- |"]
    for key, kind in META.items():
        lines.append(f"| meta | `{key}` | {kind.describe()} |")
    for table in TABLES.values():
        if table.derived:
            continue
        for column, kind in table.columns.items():
            lines.append(f"| {table.name} | `{column}` | {kind.describe()} |")
    lines += ["", DOC_END]
    return "\n".join(lines)


def main() -> None:
    """Rewrite the limits table in docs/pack-source-format.md from this module."""
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "pack-source-format.md"
    text = doc.read_text(encoding="utf-8")
    start, end = text.index(DOC_BEGIN), text.index(DOC_END) + len(DOC_END)
    doc.write_text(text[:start] + limits_table() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
