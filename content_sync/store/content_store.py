"""Read-only access to the installed content: what every screen and operator tool reads.

A store is opened on whatever ``current.json`` names at that moment and keeps reading
that version (its file is never modified, only replaced), so a screen is never half old
and half new. Call :meth:`ContentStore.is_stale` to learn that a newer version is in.

Rows are read one by one and tolerantly: a signature says who made a pack, not that every
value in it makes sense, so a row whose value surprises the reader (JSON of the wrong shape,
a date that is not a date, hours a screen cannot use, a missing id, coordinates off the
globe, an unknown time zone) is left out of what screens get and logged once, naming its
table, id and field. One bad row never costs a whole list, section or page. Where the store
re-checks a declared value (time zones, moments, coordinates, tickets, aliases, accessibility,
language lists) it uses the content schema's own checks (``pack.content_schema``), the one
description the builder and installer vet with.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import math
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from ..core import hours as hours_mod
from ..core import i18n
from ..core.errors import StoreError
from ..device.damage import CONTENT_WHAT, REPAIR_ADVICE, Damage, inspect_file, plain_sqlite_error
from ..device.layout import DataDir, Pointer
from ..maps.basemap import Basemap
from ..pack import content_schema as schema
from ..pack.schema import schema_version_problem

log = logging.getLogger(__name__)

I18n = dict[str, str]
T = TypeVar("T")


@dataclass(frozen=True)
class Image:
    path: Path
    caption: I18n
    # Who made it: a name the same in every language is under "und" (undetermined language).
    credit: I18n
    licence: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Venue:
    id: str
    name: I18n
    aliases: dict[str, list[str]]
    category: str
    themes: tuple[str, ...]
    city: str
    district: str | None
    address: I18n
    lat: float
    lon: float
    timezone: str
    summary: I18n
    description: I18n
    hours: dict[str, Any] | None
    tickets: list[dict[str, Any]]
    tickets_note: I18n
    contact: dict[str, str]
    accessibility: dict[str, Any]
    getting_there: I18n
    tags: tuple[str, ...]
    featured: bool
    narration: I18n
    images: tuple[Image, ...] = ()
    audio: dict[str, Path] = field(default_factory=dict)

    def open_status(self, when: dt.datetime) -> hours_mod.OpenStatus | None:
        return hours_mod.open_status(self.hours, when, self.timezone)


@dataclass(frozen=True)
class RouteStop:
    venue_id: str
    stay_minutes: int
    note: I18n


@dataclass(frozen=True)
class Route:
    id: str
    name: I18n
    summary: I18n
    description: I18n
    city: str
    duration_minutes: int
    distance_km: float | None
    mode: str
    featured: bool
    themes: tuple[str, ...]
    stops: tuple[RouteStop, ...]
    narration: I18n
    images: tuple[Image, ...] = ()
    audio: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Heritage:
    """One item of intangible heritage: a craft, a dance, a ceremony, and the places that show it."""

    id: str
    name: I18n
    summary: I18n
    description: I18n
    kind: str
    level: str
    inscribed: int | None
    city: str
    narration: I18n
    themes: tuple[str, ...]
    venues: tuple[str, ...]  # ids of the places where it can be seen
    images: tuple[Image, ...] = ()
    audio: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class EventOccurrence:
    event_id: str
    title: I18n
    summary: I18n
    kind: str
    venue_id: str | None
    heritage_id: str | None
    price: I18n
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class SearchResult:
    kind: str
    id: str
    title: I18n
    subtitle: I18n
    in_name: bool


#: How far from its nearest place a kiosk still counts as in that place's city (``city_at``).
CITY_RADIUS_KM = 60.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; plenty for sorting venues by how far they are from a kiosk."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0088 * 2 * math.asin(math.sqrt(a))


# -- reading one value: each reader returns what screens can use or raises BadValue -----------


class BadValue(ValueError):
    """A stored value a screen could not use; ``field`` names the column (and the part of it)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


MAX_MINUTES = 100_000  # a stay or a route of more than ten weeks is not a value, it is a typo


def _ident(value: Any, field: str = "id") -> str:
    if not isinstance(value, str) or not value:
        raise BadValue(field, "expected a non-empty text id")
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise BadValue(field, "expected text")
    return value


def _opt_text(value: Any, field: str) -> str | None:
    return None if value is None else _text(value, field)


def _i18n(value: Any, field: str) -> I18n:
    """A multilingual column; text that is not a JSON object of strings reads as empty (as before)."""
    if value is not None and not isinstance(value, str):
        raise BadValue(field, "expected multilingual text")
    try:
        return i18n.loads(value)
    except RecursionError:
        raise BadValue(field, "nested too deeply") from None


def _i18n_node(node: Any, field: str) -> I18n:
    """Multilingual text inside a JSON value: an object of language tag to text."""
    if not isinstance(node, dict) or not all(isinstance(v, str) for v in node.values()):
        raise BadValue(field, "expected multilingual text (an object of language: text)")
    return node


def _json(value: Any, field: str, kind: type) -> Any:
    if not isinstance(value, str):
        raise BadValue(field, "expected JSON text")
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise BadValue(field, "is not valid JSON") from None
    if not isinstance(data, kind):
        raise BadValue(field, f"expected a JSON {'object' if kind is dict else 'list'}")
    return data


def _number(value: Any, field: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (lo <= value <= hi):
        raise BadValue(field, f"expected a number from {lo:g} to {hi:g}")
    return value


def _integer(value: Any, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (lo <= value <= hi):
        raise BadValue(field, f"expected a whole number from {lo} to {hi}")
    return value


def _declared(check: Callable[[Any], T], value: Any, field: str) -> T:
    """``value`` read by the content schema's own check (what install vetted it with), or BadValue.

    One description of every value (``pack.content_schema``): the store re-checks with it rather
    than with rules of its own, for a database that did not come through an install (or an older one).
    """
    try:
        return check(value)
    except schema.Invalid as exc:
        raise BadValue(field, str(exc)) from None
    except (TypeError, ValueError, RecursionError):  # a part of the wrong type where a check iterates
        raise BadValue(field, "has parts of the wrong type") from None


def _lat_lon(lat: Any, lon: Any) -> tuple[float, float]:
    return float(_declared(schema.LAT.check, lat, "lat")), float(_declared(schema.LON.check, lon, "lon"))


@functools.lru_cache(maxsize=512)
def _known_zone(name: str) -> bool:
    try:
        schema.check_time_zone(name)
    except schema.Invalid:
        return False
    return True


def _zone_name(value: Any, field: str = "timezone") -> str:
    return _declared(schema.check_time_zone, value, field)


def _moment(value: Any, field: str) -> dt.datetime:
    """An ISO date and time with its UTC offset, within the schema's years (screens compute with it)."""
    return _declared(schema.check_timestamp, value, field)


def _opt_moment(value: Any, field: str) -> dt.datetime | None:
    return None if value is None or value == "" else _moment(value, field)


def _opt_date(value: Any, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadValue(field, "is not a date") from None
    return day  # only ever compared with days, so any real date will do (wider than the schema's years)


@functools.lru_cache(maxsize=4096)
def _hours(value: str) -> dict[str, Any]:
    """Opening hours a screen can compute and print (many venues share one text: read once)."""
    data = _json(value, "hours", dict)
    try:
        problems = hours_mod.validate_hours(data)
    except Exception:  # a part of the wrong type where the checker iterates
        problems = ["hours: has parts of the wrong type"]
    if problems:
        raise BadValue("hours", problems[0].split(": ", 1)[-1])
    if "note" in data:
        _i18n_node(data["note"], "hours.note")
    for i, season in enumerate(data.get("seasons") or []):
        if season.get("name") is not None:
            _i18n_node(season["name"], f"hours.seasons[{i}].name")
    return data


def _tickets(value: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _declared(schema.tickets_shape, _json(value, "tickets", list), "tickets")
    return result


def _string_map(value: Any, field: str) -> dict[str, str]:
    data = _json(value, field, dict)
    if not all(isinstance(v, str) for v in data.values()):
        raise BadValue(field, "expected an object of texts")
    return data


def _aliases(value: Any) -> dict[str, list[str]]:
    result: dict[str, list[str]] = _declared(schema.aliases_shape, _json(value, "aliases", dict), "aliases")
    return result


def _credit(value: Any) -> I18n:
    """An image credit: translated text (a JSON object), or a name that reads the same in every
    language, kept under "und" so the language fallback shows it to everyone."""
    if isinstance(value, str) and value.startswith("{"):
        return _i18n(value, "credit")
    return {"und": _text(value, "credit")}


def _accessibility(value: Any) -> dict[str, Any]:
    data = _json(value, "accessibility", dict)
    result: dict[str, Any] = _declared(schema.accessibility_shape, data, "accessibility")
    return result


def _texts(value: Any, field: str) -> list[str]:
    data = _json(value, field, list)
    if not all(isinstance(v, str) for v in data):
        raise BadValue(field, "expected a list of texts")
    return data


def _language_list(value: Any, field: str) -> list[str]:
    result: list[str] = _declared(schema.language_list, _json(value, field, list), field)
    return result


def _shown(value: Any) -> str:
    """A value from a pack made safe for one log line: quoted, escaped, bounded."""
    text = repr(value)
    return text if len(text) <= 80 else text[:76] + "...'"


class ContentStore:
    def __init__(self, data: DataDir, pointer: Pointer, conn: sqlite3.Connection) -> None:
        self.data = data
        self.pointer = pointer
        self.conn = conn
        # Rows already reported as left out: screens read the same lists again and again.
        self._reported: set[tuple[str, str]] = set()

    @classmethod
    def open(cls, data_dir: Path | DataDir) -> ContentStore:
        data = data_dir if isinstance(data_dir, DataDir) else DataDir(Path(data_dir))
        pointer = data.read_pointer()
        if pointer is None:
            raise StoreError(f"no content is installed in {data.root}; install a pack with 'kiosk-pack install'")
        db = data.version_db(pointer.current)
        if not os.path.lexists(db):
            raise StoreError(f"the installed content {pointer.current} is missing from {data.root}")
        # A damaged file (power cut, bad disk) is said in plain words, never as sqlite3.DatabaseError.
        damage = inspect_file(db, CONTENT_WHAT)
        if damage is not None:
            raise damage.error(REPAIR_ADVICE)
        try:
            # immutable: the file is never written after install, so no locks and no journal.
            conn = sqlite3.connect(f"file:{db.as_posix()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            raise Damage(db, CONTENT_WHAT, plain_sqlite_error(exc)).error(REPAIR_ADVICE) from None
        try:
            conn.execute("PRAGMA trusted_schema = OFF")
            conn.execute("SELECT key, value FROM meta LIMIT 1").fetchall()
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error as exc:
            conn.close()
            raise Damage(db, CONTENT_WHAT, plain_sqlite_error(exc)).error(REPAIR_ADVICE) from None
        # Whole but for another schema (the software was updated over old content): every later query
        # would fail on a missing column, so say it now.
        problem = schema_version_problem(version)
        if problem is not None:
            conn.close()
            raise StoreError(f"{problem}; install a current pack with 'kiosk-pack install'")
        return cls(data, pointer, conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ContentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def is_stale(self) -> bool:
        now = self.data.read_pointer()
        return now is not None and now.current != self.pointer.current

    # -- rows read one by one ---------------------------------------------------------------
    def left_out(self, table: str, ident: Any, exc: Exception) -> None:
        """Log (once per row) that a row is not shown, naming its table, id and field."""
        key = (table, _shown(ident))
        if key in self._reported:
            return
        self._reported.add(key)
        if isinstance(exc, BadValue):
            field, problem = exc.field, exc.problem
        else:  # a surprise no reader foresaw: still only this row
            field, problem = "?", f"unreadable ({type(exc).__name__})"
        log.warning("content left out: %s row %s, field %s %s", table, key[1], field, problem)

    def _rows(self, table: str, rows: Iterable[Sequence[Any]], parse: Callable[[Sequence[Any]], T]) -> list[T]:
        """``parse`` every row; a row it cannot read is left out (and logged), the others are kept."""
        out: list[T] = []
        for row in rows:
            try:
                out.append(parse(row))
            except Exception as exc:
                self.left_out(table, row[0] if row else None, exc)
        return out

    def _one(self, table: str, row: Sequence[Any] | None, parse: Callable[[Sequence[Any]], T]) -> T | None:
        found = self._rows(table, [row] if row is not None else [], parse)
        return found[0] if found else None

    # -- pack-level facts ---------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return {k: v for k, v in self.conn.execute("SELECT key, value FROM meta") if isinstance(k, str)}

    @property
    def content_version(self) -> int:
        return self.pointer.content_version

    def _meta_value(self, key: str, read: Callable[[Any, str], T], default: T) -> T:
        value = self.meta().get(key)
        if value is None:
            return default
        try:
            return read(value, key)
        except Exception as exc:
            self.left_out("meta", key, exc)
            return default

    def fallback(self) -> list[str]:
        return list(self._meta_value("fallback", _language_list, list(i18n.DEFAULT_FALLBACK)))

    def languages(self) -> list[str]:
        none: list[str] = []
        return list(self._meta_value("languages", _language_list, none))

    def counts(self) -> dict[str, int]:
        tables = ("venues", "routes", "events", "heritage", "transport", "pages", "notices", "themes", "media")
        return {t: self.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}

    def media_bytes(self) -> int:
        return self.conn.execute("SELECT COALESCE(SUM(size), 0) FROM media").fetchone()[0]

    def media_path(self, sha256: str) -> Path | None:
        row = self.conn.execute("SELECT path FROM media WHERE sha256 = ?", (sha256,)).fetchone()
        return self.data.media_path(row[0]) if row and isinstance(row[0], str) else None

    def check_media(self) -> list[str]:
        """Media this version needs that are missing or the wrong size (for operators)."""
        missing = []
        for path, size in self.conn.execute("SELECT path, size FROM media"):
            local = self.data.media_path(str(path))
            if not local.exists() or local.stat().st_size != size:
                missing.append(str(path))
        return missing

    # -- reference lists -------------------------------------------------------------------
    def themes(self) -> list[dict[str, Any]]:
        def parse(row: Sequence[Any]) -> dict[str, Any]:
            i, n, d, c = row
            if not isinstance(c, str) or not schema.COLOR_RE.fullmatch(c):
                raise BadValue("color", 'expected a colour like "#1F6FB2"')
            return {"id": _ident(i), "name": _i18n(n, "name"), "description": _i18n(d, "description"), "color": c}

        rows = self.conn.execute("SELECT id, name, description, color FROM themes ORDER BY sort, id")
        return self._rows("themes", rows, parse)

    def categories(self) -> list[dict[str, Any]]:
        def parse(row: Sequence[Any]) -> dict[str, Any]:
            i, n, icon = row
            return {"id": _ident(i), "name": _i18n(n, "name"), "icon": _text(icon, "icon")}

        rows = self.conn.execute("SELECT id, name, icon FROM categories ORDER BY sort, id")
        return self._rows("categories", rows, parse)

    def districts(self) -> list[dict[str, Any]]:
        def parse(row: Sequence[Any]) -> dict[str, Any]:
            c, city, n = row
            return {"code": _ident(c, "code"), "city": _text(city, "city"), "name": _i18n(n, "name")}

        rows = self.conn.execute("SELECT code, city, name FROM districts ORDER BY code")
        return self._rows("districts", rows, parse)

    def basemaps(self) -> list[Basemap]:
        """Installed basemaps, most detailed first (highest max zoom), then by id."""

        def parse(row: Sequence[Any]) -> Basemap:
            bid, path, fmt, zmin, zmax, bounds = row
            box = _json(bounds, "bounds", list)
            if len(box) != 4:
                raise BadValue("bounds", "expected [west, south, east, north]")
            w, s, e, n = (float(_number(x, "bounds", -180, 180)) for x in box)
            if not (-90 <= s < n <= 90 and w < e):
                raise BadValue("bounds", "expected [west, south, east, north] of a real area")
            low = _integer(zmin, "minzoom", 0, 30)
            return Basemap(_ident(bid), self.data.media_path(_text(path, "media")), _text(fmt, "format"), low,
                           _integer(zmax, "maxzoom", low, 30), (w, s, e, n))  # fmt: skip

        rows = self.conn.execute(
            "SELECT b.id, m.path, b.format, b.minzoom, b.maxzoom, b.bounds FROM basemaps b "
            "JOIN media m ON m.sha256 = b.media ORDER BY b.maxzoom DESC, b.id"
        )
        return self._rows("basemaps", rows, parse)

    # -- venues --------------------------------------------------------------------------
    _VENUE_COLS = (
        "id, name, aliases, category, city, district, address, lat, lon, timezone, summary, description, "
        "hours, tickets, tickets_note, contact, accessibility, getting_there, tags, featured, narration"
    )

    def _images(self, kind: str, owner: str) -> tuple[Image, ...]:
        def parse(row: Sequence[Any]) -> Image:
            _id, p, c, cr, lic, w, h = row
            return Image(self.data.media_path(_text(p, "media")), _i18n(c, "caption"), _credit(cr),
                         _text(lic, "licence"), None if w is None else _integer(w, "width", 1, 100_000),
                         None if h is None else _integer(h, "height", 1, 100_000))  # fmt: skip

        rows = self.conn.execute(
            "SELECT i.id, m.path, i.caption, i.credit, i.licence, m.width, m.height FROM images i "
            "JOIN media m ON m.sha256 = i.media WHERE i.owner_kind = ? AND i.owner_id = ? ORDER BY i.sort",
            (kind, owner),
        )
        return tuple(self._rows("images", rows, parse))

    def _audio(self, kind: str, owner: str) -> dict[str, Path]:
        """Narration audio per language (recorded, or synthesised when the pack was built)."""
        rows = self.conn.execute(
            "SELECT a.id, a.lang, m.path FROM audio a JOIN media m ON m.sha256 = a.media "
            "WHERE a.owner_kind = ? AND a.owner_id = ?",
            (kind, owner),
        )
        pairs = self._rows("audio", rows, lambda r: (_ident(r[1], "lang"), self.data.media_path(_text(r[2], "media"))))
        return dict(pairs)

    def _venue(self, row: Sequence[Any], with_media: bool) -> Venue:
        (vid, name, aliases, category, city, district, address, lat, lon, tz, summary, description, hours,
         tickets, tickets_note, contact, access, getting_there, tags, featured, narration) = row  # fmt: skip
        vid = _ident(vid)
        lat, lon = _lat_lon(lat, lon)
        themes = tuple(t for (t,) in self.conn.execute(
            "SELECT theme_id FROM venue_themes WHERE venue_id = ? ORDER BY theme_id", (vid,)
        ) if isinstance(t, str))  # fmt: skip
        audio: dict[str, Path] = {}
        images: tuple[Image, ...] = ()
        if with_media:
            images = self._images("venue", vid)
            audio = self._audio("venue", vid)
        return Venue(
            id=vid, name=_i18n(name, "name"), aliases=_aliases(aliases), category=_text(category, "category"),
            themes=themes, city=_text(city, "city"), district=_opt_text(district, "district"),
            address=_i18n(address, "address"), lat=lat, lon=lon, timezone=_zone_name(tz),
            summary=_i18n(summary, "summary"), description=_i18n(description, "description"),
            hours=None if hours is None else _hours(_text(hours, "hours")), tickets=_tickets(tickets),
            tickets_note=_i18n(tickets_note, "tickets_note"), contact=_string_map(contact, "contact"),
            accessibility=_accessibility(access), getting_there=_i18n(getting_there, "getting_there"),
            tags=tuple(_texts(tags, "tags")), featured=bool(featured), narration=_i18n(narration, "narration"),
            images=images, audio=audio,
        )  # fmt: skip

    def venue(self, venue_id: str) -> Venue | None:
        """One venue; ``None`` when there is none with this id or its row cannot be shown."""
        row = self.conn.execute(f"SELECT {self._VENUE_COLS} FROM venues WHERE id = ?", (venue_id,)).fetchone()
        return self._one("venues", row, lambda r: self._venue(r, with_media=True))

    def venues(
        self,
        *,
        theme: str | None = None,
        category: str | None = None,
        district: str | None = None,
        city: str | None = None,
        featured: bool | None = None,
        open_at: dt.datetime | None = None,
        near: tuple[float, float] | None = None,
        with_media: bool = False,
        step_free: bool = False,
    ) -> list[Venue]:
        """Filtered venues; sorted by distance from ``near`` when given, else editorial order.

        ``step_free`` keeps only places whose content says they are step-free (true, not unknown).
        """
        where: list[str] = []
        args: list[object] = []
        if theme:
            where.append("id IN (SELECT venue_id FROM venue_themes WHERE theme_id = ?)")
            args.append(theme)
        for column, value in (("category", category), ("district", district), ("city", city)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if featured is not None:
            where.append("featured = ?")
            args.append(int(featured))
        sql = f"SELECT {self._VENUE_COLS} FROM venues"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY sort, id"
        venues = self._rows("venues", self.conn.execute(sql, args), lambda row: self._venue(row, with_media))
        if step_free:
            venues = [v for v in venues if v.accessibility.get("step_free") is True]
        if open_at is not None:
            venues = [v for v in venues if self._is_open(v, open_at)]
        if near is not None:
            venues.sort(key=lambda v: distance_km(near[0], near[1], v.lat, v.lon))
        return venues

    def _is_open(self, venue: Venue, when: dt.datetime) -> bool:
        try:
            status = venue.open_status(when)
        except Exception as exc:  # hours were checked when read; a surprise still only costs this venue
            self.left_out("venues", venue.id, BadValue("hours", f"cannot say if it is open ({type(exc).__name__})"))
            return False
        return status is not None and status.is_open

    # -- routes, heritage, events, transport, pages, notices -----------------------------
    def routes(self) -> list[Route]:
        ids = [rid for (rid,) in self.conn.execute("SELECT id FROM routes ORDER BY sort, id")]
        return [r for rid in ids if (r := self.route(rid)) is not None]

    def route(self, route_id: str) -> Route | None:
        """One route with its stops; ``None`` when there is none or its row cannot be shown."""
        row = self.conn.execute(
            "SELECT id, name, summary, description, city, duration_minutes, distance_km, mode, featured, narration "
            "FROM routes WHERE id IS ?", (route_id,)
        ).fetchone()  # fmt: skip
        return self._one("routes", row, self._route)

    def _route(self, row: Sequence[Any]) -> Route:
        rid, name, summary, description, city, duration, distance, mode, featured, narration = row
        rid = _ident(rid)

        def stop(r: Sequence[Any]) -> RouteStop:
            _key, v, s, n = r
            return RouteStop(_ident(v, "venue_id"), _integer(s, "stay_minutes", 0, MAX_MINUTES), _i18n(n, "note"))

        stops = tuple(self._rows("route_stops", self.conn.execute(
            "SELECT route_id || ' #' || seq, venue_id, stay_minutes, note FROM route_stops "
            "WHERE route_id = ? ORDER BY seq", (rid,)), stop))  # fmt: skip
        themes = tuple(t for (t,) in self.conn.execute("SELECT theme_id FROM route_themes WHERE route_id = ?", (rid,))
                       if isinstance(t, str))  # fmt: skip
        km = None if distance is None else float(_number(distance, "distance_km", 0, 100_000))
        return Route(
            rid, _i18n(name, "name"), _i18n(summary, "summary"), _i18n(description, "description"), _text(city, "city"),
            _integer(duration, "duration_minutes", 0, MAX_MINUTES), km, _text(mode, "mode"), bool(featured), themes,
            stops, _i18n(narration, "narration"), self._images("route", rid), self._audio("route", rid),
        )  # fmt: skip

    _HERITAGE_COLS = "id, name, summary, description, kind, level, inscribed, city, narration"

    def heritage(self) -> list[dict[str, Any]]:
        """Every heritage item as a plain dict (for tools and tests; screens read :meth:`heritage_items`)."""
        return [
            {"id": h.id, "name": h.name, "summary": h.summary, "description": h.description, "kind": h.kind,
             "level": h.level, "inscribed": h.inscribed, "city": h.city, "narration": h.narration,
             "venues": list(h.venues)}
            for h in self.heritage_items()
        ]  # fmt: skip

    def _heritage(self, row: Sequence[Any], with_media: bool) -> Heritage:
        hid, name, summary, description, kind, level, inscribed, city, narration = row
        hid = _ident(hid)
        venues = tuple(v for (v,) in self.conn.execute(
            "SELECT venue_id FROM heritage_venues WHERE heritage_id = ? ORDER BY venue_id", (hid,)
        ) if isinstance(v, str))  # fmt: skip
        themes = tuple(t for (t,) in self.conn.execute(
            "SELECT theme_id FROM heritage_themes WHERE heritage_id = ? ORDER BY theme_id", (hid,)
        ) if isinstance(t, str))  # fmt: skip
        return Heritage(
            id=hid, name=_i18n(name, "name"), summary=_i18n(summary, "summary"),
            description=_i18n(description, "description"), kind=_text(kind, "kind"), level=_text(level, "level"),
            inscribed=None if inscribed is None else _integer(inscribed, "inscribed", 0, 9999),
            city=_text(city, "city"), narration=_i18n(narration, "narration"), themes=themes, venues=venues,
            images=self._images("heritage", hid) if with_media else (),
            audio=self._audio("heritage", hid) if with_media else {},
        )  # fmt: skip

    def heritage_item(self, heritage_id: str) -> Heritage | None:
        """One heritage item with its pictures and audio; ``None`` when there is none or it cannot be shown."""
        row = self.conn.execute(f"SELECT {self._HERITAGE_COLS} FROM heritage WHERE id IS ?", (heritage_id,)).fetchone()
        return self._one("heritage", row, lambda r: self._heritage(r, with_media=True))

    def heritage_items(
        self, *, theme: str | None = None, venue: str | None = None, with_media: bool = False
    ) -> list[Heritage]:
        """Heritage items in editorial order: all, those tagged with ``theme``, or those shown at ``venue``."""
        where: list[str] = []
        args: list[object] = []
        if theme:
            where.append("id IN (SELECT heritage_id FROM heritage_themes WHERE theme_id = ?)")
            args.append(theme)
        if venue:
            where.append("id IN (SELECT heritage_id FROM heritage_venues WHERE venue_id = ?)")
            args.append(venue)
        sql = f"SELECT {self._HERITAGE_COLS} FROM heritage"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.conn.execute(sql + " ORDER BY sort, id", args).fetchall()
        return self._rows("heritage", rows, lambda r: self._heritage(r, with_media))

    def heritage_events(
        self, heritage_id: str, start: dt.datetime, end: dt.datetime, tz_name: str | None = None
    ) -> list[EventOccurrence]:
        """The occurrences in [start, end) of events that show this heritage item (``events.heritage_id``)."""
        return [o for o in self.events_between(start, end, tz_name) if o.heritage_id == heritage_id]

    def events_between(
        self, start: dt.datetime, end: dt.datetime, tz_name: str | None = None, near: tuple[float, float] | None = None
    ) -> list[EventOccurrence]:
        """Every occurrence overlapping [start, end): one-off sessions and weekly schedules.

        Weekly rules are in ``tz_name``, else the pack's time zone, else (when the pack names
        none a kiosk knows) the zone of ``start``, the kiosk's own clock. In time order; with
        ``near`` (where the kiosk stands), what is on in the kiosk's own city comes first (see
        ``nearby_first``).
        """
        name = tz_name if tz_name is not None and _known_zone(tz_name) else self._meta_value("timezone", _zone_name, "")
        tz: dt.tzinfo = hours_mod.zone(name) if name else (start.tzinfo or dt.UTC)

        def event(row: Sequence[Any]) -> tuple[str, tuple[I18n, I18n, str, str | None, str | None, I18n]]:
            eid, t, s, kind, venue, heritage, price = row
            return _ident(eid), (
                _i18n(t, "title"), _i18n(s, "summary"), _text(kind, "kind"), _opt_text(venue, "venue_id"),
                _opt_text(heritage, "heritage_id"), _i18n(price, "price"),
            )  # fmt: skip

        events = dict(self._rows("events", self.conn.execute(
            "SELECT id, title, summary, kind, venue_id, heritage_id, price FROM events"), event))  # fmt: skip
        out: list[EventOccurrence] = []

        def session(row: Sequence[Any]) -> None:
            _key, eid, starts, ends = row
            s, e = _moment(starts, "starts_at"), _moment(ends, "ends_at")
            if s < end and e > start and eid in events:
                out.append(EventOccurrence(eid, *events[eid], starts_at=s, ends_at=e))

        self._rows("event_sessions", self.conn.execute(
            "SELECT event_id || ' #' || seq, event_id, starts_at, ends_at FROM event_sessions"), session)  # fmt: skip

        def weekly(row: Sequence[Any]) -> None:
            _key, eid, days_json, st, et, from_date, until_date = row
            days = set(_texts(days_json, "days"))
            first, last_day = _opt_date(from_date, "from_date"), _opt_date(until_date, "until_date")
            start_time, end_time = hours_mod.parse_hhmm(st, "start_time"), hours_mod.parse_hhmm(et, "end_time")
            if eid not in events:
                return
            day = start.astimezone(tz).date() - dt.timedelta(days=1)
            last = end.astimezone(tz).date()
            while day <= last:
                in_range = (first is None or day >= first) and (last_day is None or day <= last_day)
                if in_range and hours_mod.DAYS[day.weekday()] in days:
                    s = dt.datetime.combine(day, start_time, tz)
                    e = dt.datetime.combine(day, end_time, tz)
                    if e <= s:
                        e += dt.timedelta(days=1)
                    if s < end and e > start:
                        out.append(EventOccurrence(eid, *events[eid], starts_at=s, ends_at=e))
                day += dt.timedelta(days=1)

        rules = self.conn.execute(
            "SELECT event_id || ' #' || seq, event_id, days, start_time, end_time, from_date, until_date "
            "FROM event_weekly"
        ).fetchall()
        self._rows("event_weekly", rules, _hours_errors_named(weekly))
        out.sort(key=lambda o: (o.starts_at, o.event_id))
        return out if near is None else self.nearby_first(out, near)

    def city_at(self, lat: float, lon: float) -> str | None:
        """The city a point is in, in the pack's own terms: that of the nearest place within
        ``CITY_RADIUS_KM``; ``None`` when the pack has no place that close."""
        best: tuple[float, str] | None = None
        for city, vlat, vlon in self.conn.execute("SELECT city, lat, lon FROM venues"):
            try:
                la, lo = _lat_lon(vlat, vlon)
            except BadValue:
                continue  # a row the venue reader leaves out is no guide to where the kiosk is
            km = distance_km(lat, lon, la, lo)
            if isinstance(city, str) and km <= CITY_RADIUS_KM and (best is None or km < best[0]):
                best = (km, city)
        return None if best is None else best[1]

    def nearby_first(self, occurrences: list[EventOccurrence], near: tuple[float, float]) -> list[EventOccurrence]:
        """Occurrences in the kiosk's own city first, then those that name no place, then the
        rest, each group in its given order: a station kiosk in Lanzhou leads with Lanzhou, not
        with a museum 234 km away that happens to open earlier."""
        here = self.city_at(*near)
        if here is None:
            return occurrences
        venue_city = {v: c for v, c in self.conn.execute("SELECT id, city FROM venues")}
        heritage_city = {h: c for h, c in self.conn.execute("SELECT id, city FROM heritage")}

        def rank(occ: EventOccurrence) -> int:
            city = venue_city.get(occ.venue_id) if occ.venue_id else None
            if city is None and occ.heritage_id:
                city = heritage_city.get(occ.heritage_id)
            return 1 if city is None else 0 if city == here else 2

        return sorted(occurrences, key=rank)  # stable: time order within each group

    def transport(self) -> list[dict[str, Any]]:
        def parse(row: Sequence[Any]) -> dict[str, Any]:
            i, k, n, d, c, la, lo, t = row
            if (la is None) != (lo is None):
                raise BadValue("lat" if la is None else "lon", "give both coordinates or neither")
            lat, lon = (None, None) if la is None else _lat_lon(la, lo)
            return {"id": _ident(i), "kind": _text(k, "kind"), "name": _i18n(n, "name"),
                    "description": _i18n(d, "description"), "city": _text(c, "city"), "lat": lat, "lon": lon,
                    "to_city_centre": _i18n(t, "to_city_centre")}  # fmt: skip

        rows = self.conn.execute(
            "SELECT id, kind, name, description, city, lat, lon, to_city_centre FROM transport ORDER BY sort, id"
        )
        return self._rows("transport", rows, parse)

    def pages(self, kind: str | None = None) -> list[dict[str, Any]]:
        def parse(row: Sequence[Any]) -> dict[str, Any]:
            i, k, t, b = row
            return {"id": _ident(i), "kind": _text(k, "kind"), "title": _i18n(t, "title"), "body": _i18n(b, "body")}

        sql = "SELECT id, kind, title, body FROM pages"
        args: tuple[Any, ...] = ()
        if kind:
            sql += " WHERE kind = ?"
            args = (kind,)
        return self._rows("pages", self.conn.execute(sql + " ORDER BY sort, id", args), parse)

    def notices(self, now: dt.datetime) -> list[dict[str, Any]]:
        def parse(row: Sequence[Any]) -> dict[str, Any] | None:
            nid, title, body, severity, starts, ends = row
            first, last = _opt_moment(starts, "starts_at"), _opt_moment(ends, "ends_at")
            notice = {"id": _ident(nid), "title": _i18n(title, "title"), "body": _i18n(body, "body"),
                      "severity": _text(severity, "severity")}  # fmt: skip
            if (first is not None and first > now) or (last is not None and last <= now):
                return None
            return notice

        rows = self.conn.execute("SELECT id, title, body, severity, starts_at, ends_at FROM notices ORDER BY id")
        return [n for n in self._rows("notices", rows, parse) if n is not None]

    # -- search ----------------------------------------------------------------------------
    _TITLES: ClassVar[dict[str, tuple[str, str, str]]] = {
        "venue": ("venues", "name", "summary"),
        "route": ("routes", "name", "summary"),
        "event": ("events", "title", "summary"),
        "heritage": ("heritage", "name", "summary"),
        "transport": ("transport", "name", "description"),
        "page": ("pages", "title", "body"),
    }

    def search(self, query: str, *, limit: int | None = 30, kinds: Sequence[str] | None = None) -> list[SearchResult]:
        try:
            from . import search as full_text  # the search screen only: not on the way to home

            hits = full_text.search(self.conn, query, limit=limit, kinds=kinds)
        except sqlite3.DatabaseError:
            return []  # a damaged index must not take the screen down; operators see it in logs
        out = []
        for hit in hits:
            result = self._search_result(hit.kind, hit.ref_id, hit.in_name)
            if result is not None:
                out.append(result)
        return out

    def suggest(self, query: str) -> SearchResult | None:
        """ "Did you mean": the item whose name or alias is closest to ``query`` (for a search that found nothing)."""
        try:
            from . import search as full_text

            found = full_text.suggest(self.conn, query)
        except sqlite3.DatabaseError:
            return None
        return None if found is None else self._search_result(found.kind, found.ref_id, True)

    def _search_result(self, kind: str, ref_id: str, in_name: bool) -> SearchResult | None:
        if kind not in self._TITLES:
            return None
        # A result leads to its page: one whose row cannot be shown is not offered.
        if kind == "venue" and self.venue(ref_id) is None:
            return None
        if kind == "route" and self.route(ref_id) is None:
            return None
        if kind == "heritage" and self.heritage_item(ref_id) is None:
            return None
        table, title_col, sub_col = self._TITLES[kind]
        row = self.conn.execute(f"SELECT id, {title_col}, {sub_col} FROM {table} WHERE id = ?", (ref_id,)).fetchone()
        return self._one(table, row, functools.partial(_search_result, kind, in_name, title_col, sub_col))


def _search_result(kind: str, in_name: bool, title_col: str, sub_col: str, row: Sequence[Any]) -> SearchResult:
    return SearchResult(kind, _ident(row[0]), _i18n(row[1], title_col), _i18n(row[2], sub_col), in_name)


def _hours_errors_named(parse: Callable[[Sequence[Any]], None]) -> Callable[[Sequence[Any]], None]:
    """Times of day refused by the hours parser become BadValue (its message names the field)."""

    def run(row: Sequence[Any]) -> None:
        try:
            parse(row)
        except hours_mod.HoursError as exc:
            raise BadValue(str(exc).split(":", 1)[0], "is not a time of day") from None

    return run
