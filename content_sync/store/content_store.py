"""Read-only access to the installed content: what every screen and operator tool reads.

A store is opened on whatever ``current.json`` names at that moment and keeps reading
that version (its file is never modified, only replaced), so a screen is never half old
and half new. Call :meth:`ContentStore.is_stale` to learn that a newer version is in.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..core import hours as hours_mod
from ..core import i18n
from ..core.errors import StoreError
from ..device.damage import CONTENT_WHAT, REPAIR_ADVICE, Damage, inspect_file, plain_sqlite_error
from ..device.layout import DataDir, Pointer
from ..maps.basemap import Basemap

I18n = dict[str, str]


@dataclass(frozen=True)
class Image:
    path: Path
    caption: I18n
    credit: str
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


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; plenty for sorting venues by how far they are from a kiosk."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0088 * 2 * math.asin(math.sqrt(a))


def _j(value: str | None, default: Any) -> Any:
    if value is None:
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default


class ContentStore:
    def __init__(self, data: DataDir, pointer: Pointer, conn: sqlite3.Connection) -> None:
        self.data = data
        self.pointer = pointer
        self.conn = conn

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
        except sqlite3.Error as exc:
            conn.close()
            raise Damage(db, CONTENT_WHAT, plain_sqlite_error(exc)).error(REPAIR_ADVICE) from None
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

    # -- pack-level facts ---------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM meta"))

    @property
    def content_version(self) -> int:
        return self.pointer.content_version

    def fallback(self) -> list[str]:
        return list(_j(self.meta().get("fallback"), list(i18n.DEFAULT_FALLBACK)))

    def languages(self) -> list[str]:
        return list(_j(self.meta().get("languages"), []))

    def counts(self) -> dict[str, int]:
        tables = ("venues", "routes", "events", "heritage", "transport", "pages", "notices", "themes", "media")
        return {t: self.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}

    def media_bytes(self) -> int:
        return self.conn.execute("SELECT COALESCE(SUM(size), 0) FROM media").fetchone()[0]

    def media_path(self, sha256: str) -> Path | None:
        row = self.conn.execute("SELECT path FROM media WHERE sha256 = ?", (sha256,)).fetchone()
        return self.data.media_path(row[0]) if row else None

    def check_media(self) -> list[str]:
        """Media this version needs that are missing or the wrong size (for operators)."""
        missing = []
        for path, size in self.conn.execute("SELECT path, size FROM media"):
            local = self.data.media_path(path)
            if not local.exists() or local.stat().st_size != size:
                missing.append(path)
        return missing

    # -- reference lists -------------------------------------------------------------------
    def themes(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT id, name, description, color FROM themes ORDER BY sort, id")
        return [{"id": i, "name": i18n.loads(n), "description": i18n.loads(d), "color": c} for i, n, d, c in rows]

    def categories(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT id, name, icon FROM categories ORDER BY sort, id")
        return [{"id": i, "name": i18n.loads(n), "icon": icon} for i, n, icon in rows]

    def districts(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT code, city, name FROM districts ORDER BY code")
        return [{"code": c, "city": city, "name": i18n.loads(n)} for c, city, n in rows]

    def basemaps(self) -> list[Basemap]:
        """Installed basemaps, most detailed first (highest max zoom), then by id."""
        rows = self.conn.execute(
            "SELECT b.id, m.path, b.format, b.minzoom, b.maxzoom, b.bounds FROM basemaps b "
            "JOIN media m ON m.sha256 = b.media ORDER BY b.maxzoom DESC, b.id"
        )
        return [
            Basemap(bid, self.data.media_path(path), fmt, zmin, zmax, tuple(_j(bounds, [-180, -85.0511, 180, 85.0511])))
            for bid, path, fmt, zmin, zmax, bounds in rows
        ]

    # -- venues --------------------------------------------------------------------------
    _VENUE_COLS = (
        "id, name, aliases, category, city, district, address, lat, lon, timezone, summary, description, "
        "hours, tickets, tickets_note, contact, accessibility, getting_there, tags, featured, narration"
    )

    def _images(self, kind: str, owner: str) -> tuple[Image, ...]:
        rows = self.conn.execute(
            "SELECT m.path, i.caption, i.credit, i.licence, m.width, m.height FROM images i "
            "JOIN media m ON m.sha256 = i.media WHERE i.owner_kind = ? AND i.owner_id = ? ORDER BY i.sort",
            (kind, owner),
        )
        return tuple(Image(self.data.media_path(p), i18n.loads(c), cr, lic, w, h) for p, c, cr, lic, w, h in rows)

    def _audio(self, kind: str, owner: str) -> dict[str, Path]:
        """Narration audio per language (recorded, or synthesised when the pack was built)."""
        rows = self.conn.execute(
            "SELECT a.lang, m.path FROM audio a JOIN media m ON m.sha256 = a.media "
            "WHERE a.owner_kind = ? AND a.owner_id = ?",
            (kind, owner),
        )
        return {lang: self.data.media_path(path) for lang, path in rows}

    def _venue(self, row: Sequence[Any], with_media: bool) -> Venue:
        (vid, name, aliases, category, city, district, address, lat, lon, tz, summary, description, hours,
         tickets, tickets_note, contact, access, getting_there, tags, featured, narration) = row  # fmt: skip
        themes = tuple(t for (t,) in self.conn.execute(
            "SELECT theme_id FROM venue_themes WHERE venue_id = ? ORDER BY theme_id", (vid,)))  # fmt: skip
        audio: dict[str, Path] = {}
        images: tuple[Image, ...] = ()
        if with_media:
            images = self._images("venue", vid)
            audio = self._audio("venue", vid)
        return Venue(
            id=vid, name=i18n.loads(name), aliases=_j(aliases, {}), category=category, themes=themes, city=city,
            district=district, address=i18n.loads(address), lat=lat, lon=lon, timezone=tz,
            summary=i18n.loads(summary), description=i18n.loads(description), hours=_j(hours, None),
            tickets=_j(tickets, []), tickets_note=i18n.loads(tickets_note), contact=_j(contact, {}),
            accessibility=_j(access, {}), getting_there=i18n.loads(getting_there), tags=tuple(_j(tags, [])),
            featured=bool(featured), narration=i18n.loads(narration), images=images, audio=audio,
        )  # fmt: skip

    def venue(self, venue_id: str) -> Venue | None:
        row = self.conn.execute(f"SELECT {self._VENUE_COLS} FROM venues WHERE id = ?", (venue_id,)).fetchone()
        return self._venue(row, with_media=True) if row else None

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
    ) -> list[Venue]:
        """Filtered venues; sorted by distance from ``near`` when given, else editorial order."""
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
        venues = [self._venue(row, with_media) for row in self.conn.execute(sql, args)]
        if open_at is not None:
            venues = [v for v in venues if (s := v.open_status(open_at)) is not None and s.is_open]
        if near is not None:
            venues.sort(key=lambda v: distance_km(near[0], near[1], v.lat, v.lon))
        return venues

    # -- routes, heritage, events, transport, pages, notices -----------------------------
    def routes(self) -> list[Route]:
        return [r for (rid,) in self.conn.execute("SELECT id FROM routes ORDER BY sort, id") if (r := self.route(rid))]

    def route(self, route_id: str) -> Route | None:
        row = self.conn.execute(
            "SELECT id, name, summary, description, city, duration_minutes, distance_km, mode, featured, narration "
            "FROM routes WHERE id = ?", (route_id,)
        ).fetchone()  # fmt: skip
        if not row:
            return None
        rid, name, summary, description, city, duration, distance, mode, featured, narration = row
        stops = tuple(
            RouteStop(v, s, i18n.loads(n)) for v, s, n in self.conn.execute(
                "SELECT venue_id, stay_minutes, note FROM route_stops WHERE route_id = ? ORDER BY seq", (rid,))
        )  # fmt: skip
        themes = tuple(t for (t,) in self.conn.execute("SELECT theme_id FROM route_themes WHERE route_id = ?", (rid,)))
        return Route(
            rid, i18n.loads(name), i18n.loads(summary), i18n.loads(description), city, duration, distance, mode,
            bool(featured), themes, stops, i18n.loads(narration), self._images("route", rid), self._audio("route", rid),
        )  # fmt: skip

    def heritage(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, name, summary, description, kind, level, inscribed, city, narration "
            "FROM heritage ORDER BY sort, id"
        ).fetchall()
        out = []
        for hid, name, summary, description, kind, level, inscribed, city, narration in rows:
            venues = [
                v for (v,) in self.conn.execute("SELECT venue_id FROM heritage_venues WHERE heritage_id = ?", (hid,))
            ]
            out.append({
                "id": hid, "name": i18n.loads(name), "summary": i18n.loads(summary),
                "description": i18n.loads(description), "kind": kind, "level": level, "inscribed": inscribed,
                "city": city, "narration": i18n.loads(narration), "venues": venues,
            })  # fmt: skip
        return out

    def events_between(self, start: dt.datetime, end: dt.datetime, tz_name: str | None = None) -> list[EventOccurrence]:
        """Every occurrence overlapping [start, end): one-off sessions and weekly schedules."""
        tz = hours_mod.zone(tz_name or self.meta().get("timezone", "Asia/Shanghai"))
        events = {
            eid: (i18n.loads(t), i18n.loads(s), kind, venue, heritage, i18n.loads(price))
            for eid, t, s, kind, venue, heritage, price in self.conn.execute(
                "SELECT id, title, summary, kind, venue_id, heritage_id, price FROM events"
            )
        }
        out: list[EventOccurrence] = []
        for eid, starts, ends in self.conn.execute("SELECT event_id, starts_at, ends_at FROM event_sessions"):
            s, e = dt.datetime.fromisoformat(starts), dt.datetime.fromisoformat(ends)
            if s < end and e > start:
                out.append(EventOccurrence(eid, *events[eid], starts_at=s, ends_at=e))
        rules = self.conn.execute(
            "SELECT event_id, days, start_time, end_time, from_date, until_date FROM event_weekly"
        )
        for eid, days_json, st, et, from_date, until_date in rules.fetchall():
            days = set(_j(days_json, []))
            day = start.astimezone(tz).date() - dt.timedelta(days=1)
            last = end.astimezone(tz).date()
            while day <= last:
                in_range = (not from_date or day >= dt.date.fromisoformat(from_date)) and (
                    not until_date or day <= dt.date.fromisoformat(until_date)
                )
                if in_range and hours_mod.DAYS[day.weekday()] in days:
                    s = dt.datetime.combine(day, hours_mod.parse_hhmm(st, "start"), tz)
                    e = dt.datetime.combine(day, hours_mod.parse_hhmm(et, "end"), tz)
                    if e <= s:
                        e += dt.timedelta(days=1)
                    if s < end and e > start:
                        out.append(EventOccurrence(eid, *events[eid], starts_at=s, ends_at=e))
                day += dt.timedelta(days=1)
        out.sort(key=lambda o: (o.starts_at, o.event_id))
        return out

    def transport(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, kind, name, description, city, lat, lon, to_city_centre FROM transport ORDER BY sort, id"
        )
        return [
            {"id": i, "kind": k, "name": i18n.loads(n), "description": i18n.loads(d), "city": c, "lat": la,
             "lon": lo, "to_city_centre": i18n.loads(t)}
            for i, k, n, d, c, la, lo, t in rows
        ]  # fmt: skip

    def pages(self, kind: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, kind, title, body FROM pages"
        args: tuple[Any, ...] = ()
        if kind:
            sql += " WHERE kind = ?"
            args = (kind,)
        rows = self.conn.execute(sql + " ORDER BY sort, id", args)
        return [{"id": i, "kind": k, "title": i18n.loads(t), "body": i18n.loads(b)} for i, k, t, b in rows]

    def notices(self, now: dt.datetime) -> list[dict[str, Any]]:
        out = []
        for nid, title, body, severity, starts, ends in self.conn.execute(
            "SELECT id, title, body, severity, starts_at, ends_at FROM notices ORDER BY id"
        ):
            if starts and dt.datetime.fromisoformat(starts) > now:
                continue
            if ends and dt.datetime.fromisoformat(ends) <= now:
                continue
            out.append({"id": nid, "title": i18n.loads(title), "body": i18n.loads(body), "severity": severity})
        return out

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
        out = []
        try:
            from . import search as full_text  # the search screen only: not on the way to home

            hits = full_text.search(self.conn, query, limit=limit, kinds=kinds)
        except sqlite3.DatabaseError:
            return []  # a damaged index must not take the screen down; operators see it in logs
        for hit in hits:
            if hit.kind not in self._TITLES:
                continue
            table, title_col, sub_col = self._TITLES[hit.kind]
            row = self.conn.execute(
                f"SELECT {title_col}, {sub_col} FROM {table} WHERE id = ?", (hit.ref_id,)
            ).fetchone()
            if row:
                out.append(SearchResult(hit.kind, hit.ref_id, i18n.loads(row[0]), i18n.loads(row[1]), hit.in_name))
        return out
